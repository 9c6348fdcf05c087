package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/callscope/callscope/internal/cli"
	"github.com/callscope/callscope/internal/tablefmt"
	"github.com/callscope/callscope/quality"
	"github.com/callscope/callscope/store"
)

// The HTML timeline of a call is the element with id "call-<recording id>"
// in the page `report html` writes, so a worst call links to
// <--link>#call-<recording id> (default report.html#call-<recording id>).
const qaAnchorPrefix = "#call-"

// The report reads the latest-wins views once into two temporary tables
// (the views recompute "latest" on every query): qa_calls, the selected
// calls, and qa_sel, their flags — the qa_flags rows of exactly the
// analysis the calls view shows, as store's views define them.
const (
	qaCallsTable = `CREATE OR REPLACE TEMP TABLE qa_calls AS
SELECT c.recording_id, c.analyzed_at, c.generation, c.start_time, c.qa_score, len(c.qa_flags) AS n_flags
FROM calls c {{where}}`
	qaSelTable = `CREATE OR REPLACE TEMP TABLE qa_sel AS
SELECT f.recording_id, f.flag, f.severity, {{rank f.severity}} AS r, f.start_s
FROM raw.qa_flags f JOIN qa_calls c
	ON f.recording_id = c.recording_id AND f.analyzed_at = c.analyzed_at AND f.generation = c.generation`

	qaSummaryQuery = `SELECT count(*), count(*) FILTER (WHERE n_flags > 0), avg(qa_score), min(qa_score) FROM qa_calls`

	qaFlagsQuery = `SELECT severity, flag,
	count(DISTINCT recording_id) AS calls,
	round(100.0 * count(DISTINCT recording_id) / greatest(CAST(? AS BIGINT), 1), 1) AS pct_calls,
	count(*) AS raised
FROM qa_sel
GROUP BY severity, flag, r
ORDER BY r DESC, calls DESC, raised DESC, flag`

	qaGateQuery = `SELECT count(*), count(DISTINCT recording_id) FROM qa_sel WHERE r >= ?`

	// The worst calls: lowest score first, then highest severity; for
	// those only, flags lists the names raised (highest severity first, as
	// calls.qa_flags) and review_s the earliest flagged moment at the
	// highest severity.
	qaWorstQuery = `WITH sev AS (
	SELECT recording_id, max(r) AS r FROM qa_sel GROUP BY recording_id
), top AS (
	SELECT c.recording_id, c.qa_score, c.start_time, s.r
	FROM qa_calls c LEFT JOIN sev s ON s.recording_id = c.recording_id
	WHERE c.qa_score < 100 OR c.n_flags > 0
	ORDER BY c.qa_score, s.r DESC NULLS LAST, c.start_time, c.recording_id
	LIMIT ?
), per AS (
	SELECT q.recording_id, q.flag, max(q.r) AS r
	FROM qa_sel q SEMI JOIN top t ON q.recording_id = t.recording_id
	GROUP BY q.recording_id, q.flag
), agg AS (
	SELECT recording_id, list(flag ORDER BY r DESC, flag) AS flags FROM per GROUP BY recording_id
), m AS (
	SELECT q.recording_id, min(q.start_s) AS review_s
	FROM qa_sel q JOIN top t ON q.recording_id = t.recording_id AND q.r = t.r
	GROUP BY q.recording_id
)
SELECT t.qa_score, t.recording_id, t.start_time,
	CASE t.r WHEN 3 THEN 'critical' WHEN 2 THEN 'warning' WHEN 1 THEN 'info' END AS severity,
	coalesce(a.flags, CAST([] AS VARCHAR[])) AS flags, round(m.review_s, 2) AS review_s,
	? || '` + qaAnchorPrefix + `' || t.recording_id AS link
FROM top t LEFT JOIN agg a ON a.recording_id = t.recording_id LEFT JOIN m ON m.recording_id = t.recording_id
ORDER BY t.qa_score, t.r DESC NULLS LAST, t.start_time, t.recording_id`
)

// qaReport is what `report qa` computes.
type qaReport struct {
	Selection    string   `json:"selection"`
	Calls        int64    `json:"calls"`
	FlaggedCalls int64    `json:"flagged_calls"`
	MeanScore    *float64 `json:"mean_score"` // nil without calls
	MinScore     *float64 `json:"min_score"`
	FailOn       string   `json:"fail_on,omitempty"`
	GateFlags    int64    `json:"gate_flags"` // flags at or above FailOn
	GateCalls    int64    `json:"gate_calls"` // calls with such flags
	Failed       bool     `json:"failed"`

	flags, worst *store.Result
}

func newQACmd(g *cli.Globals) *cobra.Command {
	var date, since, failOn, only, link string
	var worst int
	cmd := &cobra.Command{
		Use:   "qa [--date YYYY-MM-DD | --since DURATION] [--fail-on warning|critical]",
		Short: "QA summary: flags by severity, the worst calls, and a gate for nightly jobs",
		Long: `Summarize the QA verdicts of the selected calls (their latest analysis): how
many calls raised each flag at each severity, and the worst calls (lowest
qa_score first) with a link to their HTML timeline:
<--link>#call-<recording id>, the anchor 'report html' gives every call.

--date selects the calls that started on a UTC date, --since those that
started within a duration before now (36h, 7d); without either, all calls.

--fail-on warning|critical makes the command exit with status 1 when any
selected call raised a flag at or above that severity (info is accepted
too), after printing the report: a nightly job can gate on it.

--format table and markdown print a summary, the flag counts and the worst
calls; json prints one object {selection, calls, flagged_calls, mean_score,
min_score, fail_on, gate_flags, gate_calls, failed, flags: [...],
worst: [...]}; csv prints the flag counts, an empty line and the worst
calls, or one of them with --only.`,
		Args: cli.Args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := outputFormat(cmd)
			if err != nil {
				return err
			}
			if failOn != "" && failOn != "none" && quality.SeverityRank(failOn) == 0 {
				return cli.Usagef("--fail-on %q: want warning or critical (or info, none)", failOn)
			}
			if failOn == "none" {
				failOn = ""
			}
			switch only {
			case "", "flags", "worst":
			default:
				return cli.Usagef("--only %q: want flags or worst", only)
			}
			if worst < 0 {
				return cli.Usagef("--worst must not be negative")
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
			rep, err := runQA(cmd.Context(), db, filter, failOn, worst, link)
			if err != nil {
				return err
			}
			if err := writeQA(g.Stdout, format, only, rep); err != nil {
				return err
			}
			if rep.Failed {
				g.Logger.Warn("QA gate failed", "fail_on", failOn, "calls", rep.GateCalls, "flags", rep.GateFlags, "selection", rep.Selection)
				return &cli.FailedError{Failed: int(rep.GateCalls), Total: int(rep.Calls),
					What: fmt.Sprintf("calls (flags at or above %s)", failOn)}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&date, "date", "", "only calls that started on this UTC date (YYYY-MM-DD)")
	fl.StringVar(&since, "since", "", "only calls that started within this duration before now (36h, 7d)")
	fl.StringVar(&failOn, "fail-on", "", "exit 1 when a flag at or above this severity is raised: warning or critical")
	fl.IntVar(&worst, "worst", 10, "list this many worst calls (0: none)")
	fl.StringVar(&link, "link", "report.html", "page the worst calls link to (anchor #call-<recording id>)")
	fl.StringVar(&only, "only", "", "print only one table: flags or worst")
	return cmd
}

// runQA runs the queries of the report.
func runQA(ctx context.Context, db *store.DB, f callFilter, failOn string, worst int, link string) (*qaReport, error) {
	// Temporary tables belong to one connection: keep the pool at one.
	db.SQL().SetMaxOpenConns(1)
	if _, err := db.SQL().ExecContext(ctx, f.sql(qaCallsTable), f.args...); err != nil {
		return nil, fmt.Errorf("qa: select calls: %w", err)
	}
	if _, err := db.SQL().ExecContext(ctx, f.sql(qaSelTable)); err != nil {
		return nil, fmt.Errorf("qa: select flags: %w", err)
	}
	rep := &qaReport{Selection: f.label, FailOn: failOn}
	if err := db.SQL().QueryRowContext(ctx, qaSummaryQuery).Scan(&rep.Calls, &rep.FlaggedCalls, &rep.MeanScore, &rep.MinScore); err != nil {
		return nil, fmt.Errorf("qa summary: %w", err)
	}
	var err error
	if rep.flags, err = db.Query(ctx, qaFlagsQuery, rep.Calls); err != nil {
		return nil, fmt.Errorf("qa flag counts: %w", err)
	}
	if rep.worst, err = db.Query(ctx, qaWorstQuery, worst, link); err != nil {
		return nil, fmt.Errorf("qa worst calls: %w", err)
	}
	if failOn != "" {
		if err := db.SQL().QueryRowContext(ctx, qaGateQuery, quality.SeverityRank(failOn)).Scan(&rep.GateFlags, &rep.GateCalls); err != nil {
			return nil, fmt.Errorf("qa gate: %w", err)
		}
		rep.Failed = rep.GateFlags > 0
	}
	return rep, nil
}

func data(r *store.Result) tablefmt.Data {
	return tablefmt.Data{Columns: r.Columns, Types: r.Types, Rows: r.Rows}
}

// writeQA renders the report in format; only selects one table.
func writeQA(w io.Writer, format tablefmt.Format, only string, rep *qaReport) error {
	switch format {
	case tablefmt.JSON:
		return writeQAJSON(w, only, rep)
	case tablefmt.CSV:
		if only != "worst" {
			if err := tablefmt.Write(w, format, data(rep.flags)); err != nil {
				return err
			}
		}
		if only == "" {
			fmt.Fprintln(w)
		}
		if only != "flags" {
			return tablefmt.Write(w, format, data(rep.worst))
		}
		return nil
	}
	md := format == tablefmt.Markdown
	if md {
		rep.worst = markdownLinks(rep.worst)
	} else {
		shortenColumn(rep.worst, "recording_id") // the link keeps the full id
	}
	heading := func(s string) {
		if md {
			fmt.Fprintf(w, "## %s\n\n", s)
		} else {
			fmt.Fprintf(w, "%s\n", s)
		}
	}
	if only == "" {
		heading("QA summary")
		for _, l := range qaSummaryLines(rep) {
			if md {
				fmt.Fprintf(w, "- %s\n", l)
			} else {
				fmt.Fprintf(w, "  %s\n", l)
			}
		}
		fmt.Fprintln(w)
	}
	if only != "worst" {
		if only == "" {
			heading("Flags by severity (calls = calls raising the flag)")
		}
		if err := tablefmt.Write(w, format, data(rep.flags)); err != nil {
			return err
		}
	}
	if only == "" {
		fmt.Fprintln(w)
	}
	if only != "flags" {
		if only == "" {
			heading("Worst calls (lowest qa_score; review_s = first moment at the highest severity)")
		}
		return tablefmt.Write(w, format, data(rep.worst))
	}
	return nil
}

// mdURL escapes what would end a Markdown link destination; browsers
// percent-decode a fragment before matching it to an element id.
var mdURL = strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29", "<", "%3C", ">", "%3E")

// markdownLinks returns r with its link column as Markdown links.
func markdownLinks(r *store.Result) *store.Result {
	col := -1
	for i, c := range r.Columns {
		if c == "link" {
			col = i
		}
	}
	if col < 0 {
		return r
	}
	out := *r
	out.Rows = make([][]any, len(r.Rows))
	for i, row := range r.Rows {
		row = append([]any(nil), row...)
		if s, ok := row[col].(string); ok {
			row[col] = "[timeline](" + mdURL.Replace(s) + ")"
		}
		out.Rows[i] = row
	}
	return &out
}

func qaSummaryLines(rep *qaReport) []string {
	l := []string{fmt.Sprintf("%d call(s), %s; %d with flags", rep.Calls, rep.Selection, rep.FlaggedCalls)}
	if rep.MeanScore != nil && rep.MinScore != nil {
		l = append(l, fmt.Sprintf("qa_score mean %.1f, lowest %.1f", *rep.MeanScore, *rep.MinScore))
	}
	if rep.FailOn != "" {
		verdict := "PASS"
		if rep.Failed {
			verdict = "FAIL"
		}
		l = append(l, fmt.Sprintf("gate --fail-on %s: %s (%d flag(s) in %d call(s))", rep.FailOn, verdict, rep.GateFlags, rep.GateCalls))
	}
	return l
}

func writeQAJSON(w io.Writer, only string, rep *qaReport) error {
	table := func(r *store.Result) (json.RawMessage, error) {
		var b bytes.Buffer
		if err := tablefmt.Write(&b, tablefmt.JSON, data(r)); err != nil {
			return nil, err
		}
		return json.RawMessage(bytes.TrimSpace(b.Bytes())), nil
	}
	switch only {
	case "flags", "worst":
		r := rep.flags
		if only == "worst" {
			r = rep.worst
		}
		return tablefmt.Write(w, tablefmt.JSON, data(r))
	}
	flags, err := table(rep.flags)
	if err != nil {
		return err
	}
	worst, err := table(rep.worst)
	if err != nil {
		return err
	}
	out := struct {
		*qaReport
		Flags json.RawMessage `json:"flags"`
		Worst json.RawMessage `json:"worst"`
	}{rep, flags, worst}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
