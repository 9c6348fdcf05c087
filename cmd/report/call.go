package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/spf13/cobra"

	"github.com/callscope/callscope/internal/cli"
	"github.com/callscope/callscope/internal/tablefmt"
	"github.com/callscope/callscope/store"
)

// The queries of report call; ? is the recording id.
const (
	callSummaryQuery = `SELECT * EXCLUDE (generation) FROM calls WHERE recording_id = ?`

	callChannelsQuery = `SELECT channel, role, participant_kind, participant_id,
	round(talk_s, 2) AS talk_s, round(talk_share, 3) AS talk_share, segments,
	round(longest_monologue_s, 2) AS longest_monologue_s, interruptions_made, interrupted, backchannels,
	round(speech_level_dbfs, 1) AS speech_level_dbfs, round(snr_db, 1) AS snr_db, round(peak_dbfs, 1) AS peak_dbfs,
	dtmf_count, one_way
FROM channels WHERE recording_id = ? ORDER BY channel`

	callFlagsQuery = `SELECT severity, flag, channel, value, threshold, start_s, detail
FROM qa_flags WHERE recording_id = ?
ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, flag, channel`

	// The timeline: every segment, silence, overlap, pause and DTMF digit
	// (digits never shown, only counted) in audio order.
	callTimelineQuery = `SELECT round(start_s, 3) AS start_s, round(end_s, 3) AS end_s, what, channel, kind, detail FROM (
	SELECT start_s, end_s, 'speech' AS what, channel, NULL AS kind, '' AS detail FROM segments WHERE recording_id = $1
	UNION ALL
	SELECT start_s, end_s, 'silence', NULL, kind, '' FROM silences WHERE recording_id = $1
	UNION ALL
	SELECT start_s, end_s, 'overlap', by_channel, kind, 'channel ' || by_channel || ' over ' || of_channel FROM main.overlaps WHERE recording_id = $1
	UNION ALL
	SELECT offset_s, offset_s, 'pause', NULL, NULL, round(duration_s, 1) || ' s not recorded' FROM pauses WHERE recording_id = $1
	UNION ALL
	SELECT start_s, end_s, 'dtmf', channel, NULL, 'digit ' || (seq + 1) FROM dtmf WHERE recording_id = $1
) ORDER BY 1, 2, what, channel`
)

func newCallCmd(g *cli.Globals) *cobra.Command {
	var width int
	cmd := &cobra.Command{
		Use:   "call RECORDING_ID",
		Short: "Show one call: participants, metrics, QA flags and its timeline",
		Long: `Show the latest analysis of one recording: the call's metrics, one row per
channel (participant, role, talk, levels), the QA flags, and the timeline
(speech segments per channel, silences and overlaps with their kinds, pauses,
DTMF digits, which are never shown, only counted).

--format table and markdown draw the timeline as text lanes too; json prints
one object with the call's columns and arrays channels, qa_flags and
timeline; csv prints the timeline rows.`,
		Args: cli.Args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := outputFormat(cmd)
			if err != nil {
				return err
			}
			if width < 20 || width > 1000 {
				return cli.Usagef("--width %d: want 20..1000", width)
			}
			db, err := openDB(cmd.Context(), g)
			if err != nil {
				return err
			}
			defer db.Close()
			id, err := resolveRecordingID(cmd.Context(), db, args[0])
			if err != nil {
				return err
			}
			var d *callDetail
			if id != "" {
				if d, err = loadCall(cmd.Context(), db, id); err != nil {
					return err
				}
			}
			if d == nil {
				if db.Empty() {
					emptyNote(g)
				}
				return &cli.FailedError{Failed: 1, What: fmt.Sprintf("recording %q not found in %s", args[0], store.LakeDir(g.Data))}
			}
			return d.write(g.Stdout, f, width)
		},
	}
	cmd.Flags().IntVar(&width, "width", 72, "width of the text timeline, in characters")
	return cmd
}

type callDetail struct {
	id                                 string
	summary, channels, flags, timeline *store.Result
}

func loadCall(ctx context.Context, db *store.DB, id string) (*callDetail, error) {
	d := &callDetail{id: id}
	for _, q := range []struct {
		dst **store.Result
		sql string
	}{{&d.summary, callSummaryQuery}, {&d.channels, callChannelsQuery}, {&d.flags, callFlagsQuery}, {&d.timeline, callTimelineQuery}} {
		res, err := db.Query(ctx, q.sql, id)
		if err != nil {
			return nil, fmt.Errorf("load call %s: %w", id, err)
		}
		*q.dst = res
		if q.dst == &d.summary && len(res.Rows) == 0 {
			return nil, nil
		}
	}
	return d, nil
}

func resultData(r *store.Result) tablefmt.Data {
	return tablefmt.Data{Columns: r.Columns, Types: r.Types, Rows: r.Rows}
}

func (d *callDetail) write(w io.Writer, f tablefmt.Format, width int) error {
	switch f {
	case tablefmt.JSON:
		obj := tablefmt.Objects(resultData(d.summary))[0]
		obj.Set("channels", tablefmt.Objects(resultData(d.channels)))
		obj.Set("qa_flags", tablefmt.Objects(resultData(d.flags)))
		obj.Set("timeline", tablefmt.Objects(resultData(d.timeline)))
		b, err := json.MarshalIndent([]tablefmt.Object{obj}, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	case tablefmt.CSV:
		return tablefmt.Write(w, f, resultData(d.timeline))
	}
	md := f == tablefmt.Markdown
	heading := func(s string) {
		if md {
			fmt.Fprintf(w, "\n## %s\n\n", s)
		} else {
			fmt.Fprintf(w, "\n%s\n%s\n", s, strings.Repeat("=", len(s)))
		}
	}
	if md {
		fmt.Fprintf(w, "# Call %s\n", d.id)
	} else {
		fmt.Fprintf(w, "Call %s\n", d.id)
	}
	// The summary as name/value rows.
	kv := tablefmt.Data{Columns: []string{"metric", "value"}, Types: []string{"VARCHAR", ""}}
	for i, c := range d.summary.Columns {
		kv.Rows = append(kv.Rows, []any{c, tablefmt.JSONValue(d.summary.Rows[0][i], d.summary.Types[i])})
	}
	heading("Summary")
	if err := tablefmt.Write(w, f, kv); err != nil {
		return err
	}
	heading("Participants")
	if err := tablefmt.Write(w, f, resultData(d.channels)); err != nil {
		return err
	}
	heading("QA flags")
	if len(d.flags.Rows) == 0 {
		fmt.Fprintln(w, "none")
	} else if err := tablefmt.Write(w, f, resultData(d.flags)); err != nil {
		return err
	}
	heading("Timeline")
	if md {
		fmt.Fprintln(w, "```")
	}
	d.lanes(w, width)
	if md {
		fmt.Fprintln(w, "```")
	}
	fmt.Fprintln(w)
	return tablefmt.Write(w, f, resultData(d.timeline))
}

// lanes draws the timeline as text: one lane per channel (# speech, D a
// DTMF digit), then silences (. gap, - non_talk, = dead_air), overlaps
// (x interruption, o overtalk, b backchannel) and pauses (|).
func (d *callDetail) lanes(w io.Writer, width int) {
	total := 0.0
	for _, r := range d.timeline.Rows {
		total = math.Max(total, num(r[1]))
	}
	if i := colIndex(d.summary, "recorded_s"); i >= 0 {
		total = math.Max(total, num(d.summary.Rows[0][i]))
	}
	if total <= 0 {
		fmt.Fprintln(w, "(no audio)")
		return
	}
	type lane struct {
		name  string
		cells []byte
	}
	var order []string
	lanes := map[string]*lane{}
	get := func(name string) *lane {
		l, ok := lanes[name]
		if !ok {
			l = &lane{name: name, cells: []byte(strings.Repeat(" ", width))}
			lanes[name] = l
			order = append(order, name)
		}
		return l
	}
	roles := map[int64]string{}
	for _, r := range d.channels.Rows {
		ch := int64(num(r[0]))
		role, _ := r[1].(string)
		roles[ch] = role
		get(laneName(ch, role))
	}
	mark := func(l *lane, start, end float64, c byte) {
		a := int(start / total * float64(width))
		b := int(math.Ceil(end / total * float64(width)))
		a = min(max(a, 0), width-1)
		b = min(max(b, a+1), width)
		for i := a; i < b; i++ {
			l.cells[i] = c
		}
	}
	get("silence")
	get("overlap")
	for _, r := range d.timeline.Rows {
		start, end := num(r[0]), num(r[1])
		what, _ := r[2].(string)
		kind, _ := r[4].(string)
		switch what {
		case "speech", "dtmf":
			ch := int64(num(r[3]))
			c := byte('#')
			if what == "dtmf" {
				c = 'D'
			}
			mark(get(laneName(ch, roles[ch])), start, end, c)
		case "silence":
			mark(get("silence"), start, end, map[string]byte{"gap": '.', "non_talk": '-', "dead_air": '='}[kind])
		case "overlap":
			mark(get("overlap"), start, end, map[string]byte{"interruption": 'x', "overtalk": 'o', "backchannel": 'b'}[kind])
		case "pause":
			mark(get("pauses"), start, start, '|')
		}
	}
	nameW := 0
	for _, n := range order {
		nameW = max(nameW, len(n))
	}
	for _, n := range order {
		l := lanes[n]
		for i, c := range l.cells {
			if c == 0 {
				l.cells[i] = '?'
			}
		}
		fmt.Fprintf(w, "%-*s |%s|\n", nameW, n, l.cells)
	}
	fmt.Fprintf(w, "%-*s  0 s%s%.1f s\n", nameW, "", strings.Repeat(" ", max(width-len(fmt.Sprintf("0 s%.1f s", total)), 1)), total)
	fmt.Fprintf(w, "%-*s  # speech  D dtmf  . gap  - non_talk  = dead_air  x interruption  o overtalk  b backchannel  | pause\n", nameW, "")
}

func laneName(ch int64, role string) string {
	if role == "" {
		return fmt.Sprintf("ch%d", ch)
	}
	return fmt.Sprintf("ch%d %s", ch, role)
}

func colIndex(r *store.Result, name string) int {
	for i, c := range r.Columns {
		if c == name {
			return i
		}
	}
	return -1
}

func num(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case int32:
		return float64(x)
	case int64:
		return float64(x)
	case int:
		return float64(x)
	}
	return 0
}
