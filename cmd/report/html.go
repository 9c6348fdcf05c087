package main

import (
	"bytes"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/callscope/callscope/internal/cli"
	"github.com/callscope/callscope/internal/htmlreport"
	"github.com/callscope/callscope/internal/version"
	"github.com/callscope/callscope/recording"
)

func newHTMLCmd(g *cli.Globals) *cobra.Command {
	var out, date, since string
	opts := htmlOptions{MaxTimelines: htmlreport.DefaultMaxTimelines, MaxWorst: htmlreport.DefaultMaxWorst}
	cmd := &cobra.Command{
		Use:   "html -o FILE [--date YYYY-MM-DD | --since DURATION]",
		Short: "Write a self-contained HTML page: daily overview and a timeline per call",
		Long: `Write one self-contained HTML page (inline CSS, SVG and JavaScript; it loads
nothing from the network) for the selected calls: an overview (calls, talk,
silence and overlap distributions, flags by severity, the worst calls) and,
per call, a timeline with one lane per participant: speech segments,
overlaps by kind (interruption, overtalk, backchannel; from the newcomer to
the talker), silences and dead air, paused spans with their wall-clock
duration, DTMF digits (masked), and QA flags at their moments.

Each call's section has the anchor #call-<recording id>, which 'report qa'
links to. Participant ids are masked (a phone number keeps its last four
digits). --date selects the calls that started on a UTC date, --since those
within a duration before now; without either, all calls. Only the
--max-timelines worst calls (lowest QA score first) get a timeline, so a
large day stays a reasonable file; the page says so.

-o - writes the page to standard output; otherwise the file is written
atomically (temporary file, then rename).`,
		Example: `  report html -o report.html --date 2026-11-20
  report qa --date 2026-11-20 --link report.html`,
		Args: cli.Args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return cli.Usagef("html: -o FILE is required (- for standard output)")
			}
			if opts.MaxTimelines < 0 {
				return cli.Usagef("--max-timelines must not be negative")
			}
			filter, err := newCallFilter(date, since, time.Now())
			if err != nil {
				return err
			}
			db, err := openDB(cmd.Context(), g)
			if err != nil {
				return err
			}
			defer db.Close()
			if db.Empty() {
				emptyNote(g)
			}
			rep, err := loadHTMLReport(cmd.Context(), db, filter, opts)
			if err != nil {
				return err
			}
			rep.GeneratedAt = time.Now().UTC()
			rep.Version = version.String()
			rep.Data = g.Data
			var b bytes.Buffer
			if err := htmlreport.Write(&b, rep); err != nil {
				return err
			}
			if out == "-" {
				_, err := g.Stdout.Write(b.Bytes())
				return err
			}
			if err := recording.WriteFileAtomic(out, b.Bytes(), 0o644); err != nil {
				return fmt.Errorf("write %s: %w", out, err)
			}
			g.Logger.Info("wrote HTML report", "file", out, "calls", rep.Overview.Calls,
				"timelines", len(rep.Calls), "bytes", b.Len(), "selection", filter.label)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&out, "output", "o", "", "write the page to this file (- for standard output)")
	fl.StringVar(&date, "date", "", "only calls that started on this UTC date (YYYY-MM-DD)")
	fl.StringVar(&since, "since", "", "only calls that started within this duration before now (36h, 7d)")
	fl.IntVar(&opts.MaxTimelines, "max-timelines", opts.MaxTimelines, "draw a timeline for at most this many calls, worst first")
	fl.IntVar(&opts.MaxWorst, "worst", opts.MaxWorst, "list this many worst calls in the overview")
	return cmd
}
