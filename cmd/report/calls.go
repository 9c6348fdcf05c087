package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/callscope/callscope/internal/cli"
	"github.com/callscope/callscope/internal/tablefmt"
)

// callsQuery lists calls; {{where}} is replaced by the filters.
const callsQuery = `SELECT
	start_time, recording_id, round(recorded_s, 1) AS recorded_s, channels,
	round(talk_s, 1) AS talk_s, round(silence_s, 1) AS silence_s, dead_air_count,
	overlap_count, interruptions, dtmf_count, qa_score, qa_flags
FROM calls {{where}}
ORDER BY start_time, recording_id`

func newCallsCmd(g *cli.Globals) *cobra.Command {
	var date, since string
	var limit int
	cmd := &cobra.Command{
		Use:   "calls [--date YYYY-MM-DD | --since DURATION]",
		Short: "List analyzed calls (the default command)",
		Long: `List the analyzed calls, oldest first: one row per recording (its latest
analysis), with the main metrics and the QA score and flags.

--date selects the calls that started on a UTC date; --since the calls that
started within a duration before now (Go durations like 36h, or days: 7d).`,
		Args: cli.Args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := outputFormat(cmd)
			if err != nil {
				return err
			}
			var where []string
			var qargs []any
			if date != "" && since != "" {
				return cli.Usagef("--date and --since are exclusive")
			}
			if date != "" {
				d, err := time.Parse(time.DateOnly, date)
				if err != nil {
					return cli.Usagef("--date %q: want YYYY-MM-DD", date)
				}
				where = append(where, "date = CAST(? AS DATE)")
				qargs = append(qargs, d.Format(time.DateOnly))
			}
			if since != "" {
				d, err := parseSince(since)
				if err != nil {
					return cli.Usagef("--since %q: %v", since, err)
				}
				where = append(where, "start_time >= CAST(? AS TIMESTAMPTZ)")
				qargs = append(qargs, time.Now().Add(-d).UTC().Format(time.RFC3339Nano))
			}
			if limit < 0 {
				return cli.Usagef("--limit must not be negative")
			}
			q := callsQuery
			w := ""
			if len(where) > 0 {
				w = "WHERE " + strings.Join(where, " AND ")
			}
			q = strings.Replace(q, "{{where}}", w, 1)
			if limit > 0 {
				q += " LIMIT " + strconv.Itoa(limit)
			}
			db, err := openDB(cmd.Context(), g)
			if err != nil {
				return err
			}
			defer db.Close()
			if db.Empty() {
				emptyNote(g)
			}
			res, err := db.Query(cmd.Context(), q, qargs...)
			if err != nil {
				return fmt.Errorf("list calls: %w", err)
			}
			if f == tablefmt.Table {
				shortenColumn(res, "recording_id")
			}
			return render(g, f, res)
		},
	}
	cmd.Flags().StringVar(&date, "date", "", "only calls that started on this UTC date (YYYY-MM-DD)")
	cmd.Flags().StringVar(&since, "since", "", "only calls that started within this duration before now (36h, 7d)")
	cmd.Flags().IntVar(&limit, "limit", 0, "at most this many calls (0: all)")
	return cmd
}

// parseSince parses a Go duration or a number of days ("7d").
func parseSince(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.ParseFloat(n, 64)
		if err != nil || !(days >= 0 && days <= 100*366) { // also rejects NaN
			return 0, fmt.Errorf("want a duration like 36h or 7d (at most 100 years)")
		}
		return time.Duration(days * 24 * float64(time.Hour)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("want a duration like 36h or 7d")
	}
	return d, nil
}
