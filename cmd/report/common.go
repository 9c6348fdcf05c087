package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/callscope/callscope/internal/cli"
	"github.com/callscope/callscope/internal/tablefmt"
	"github.com/callscope/callscope/store"
)

// addFormatFlag adds the persistent --format flag every report subcommand
// inherits.
func addFormatFlag(root *cobra.Command) {
	root.PersistentFlags().String("format", "table", "output format: table, csv, json or markdown")
}

// outputFormat returns the --format of cmd (inherited from the root), as a
// UsageError when it is not a known format. Subcommands in other files
// (qa, html) use it too.
func outputFormat(cmd *cobra.Command) (tablefmt.Format, error) {
	s, err := cmd.Flags().GetString("format")
	if err != nil {
		return tablefmt.Table, nil
	}
	f, err := tablefmt.ParseFormat(s)
	if err != nil {
		return "", cli.Usagef("--format: %v", err)
	}
	return f, nil
}

// openDB opens the dataset under --data. Files the views skip are logged
// by store and summarized on stderr.
func openDB(ctx context.Context, g *cli.Globals) (*store.DB, error) {
	db, err := store.Open(ctx, g.Data, store.OpenOptions{Logger: g.Logger})
	if err != nil {
		return nil, fmt.Errorf("open dataset %s: %w", g.Data, err)
	}
	if bad := db.BadFiles(); len(bad) > 0 {
		fmt.Fprintf(g.Stderr, "report: skipped %d bad file(s) in %s:\n", len(bad), store.LakeDir(g.Data))
		for _, b := range bad {
			fmt.Fprintf(g.Stderr, "  %s: %v\n", b.Path, b.Err)
		}
	}
	return db, nil
}

// emptyNote tells the user the dataset has no calls, on stderr.
func emptyNote(g *cli.Globals) {
	fmt.Fprintf(g.Stderr, "report: no analyzed calls in %s (run 'analyze' first, or check --data)\n", filepath.Clean(store.LakeDir(g.Data)))
}

// render writes res in the command's format.
func render(g *cli.Globals, f tablefmt.Format, res *store.Result) error {
	return tablefmt.Write(g.Stdout, f, tablefmt.Data{Columns: res.Columns, Types: res.Types, Rows: res.Rows})
}

// ShortIDLen is the length above which the terminal table shows a recording
// id as its first 8 and last 12 characters. ACS recording ids are ~170
// characters of base64 whose distinguishing part is at the end; `report call`
// accepts the short form, a unique prefix or a unique suffix.
const ShortIDLen = 24

// shortID abbreviates a long id for a terminal table.
func shortID(id string) string {
	if len(id) <= ShortIDLen {
		return id
	}
	return id[:8] + "…" + id[len(id)-12:]
}

// shortenColumn abbreviates the string values of one column in place.
func shortenColumn(res *store.Result, col string) {
	for i, c := range res.Columns {
		if c != col {
			continue
		}
		for _, r := range res.Rows {
			if s, ok := r[i].(string); ok {
				r[i] = shortID(s)
			}
		}
	}
}

// resolveRecordingID maps what the user typed to one recording id: the id
// itself, the short form shown by `report calls` (prefix…suffix), or a
// unique prefix or suffix. It returns "" when nothing matches and an error
// naming the candidates when several do.
func resolveRecordingID(ctx context.Context, db *store.DB, arg string) (string, error) {
	res, err := db.Query(ctx, `SELECT recording_id FROM calls WHERE recording_id = ?`, arg)
	if err != nil {
		return "", fmt.Errorf("look up recording %s: %w", arg, err)
	}
	if len(res.Rows) > 0 {
		return arg, nil
	}
	prefix, suffix, short := strings.Cut(arg, "…")
	if !short {
		prefix, suffix = arg, ""
	}
	q := `SELECT recording_id FROM calls WHERE starts_with(recording_id, $1) AND ends_with(recording_id, $2)`
	if !short {
		q = `SELECT recording_id FROM calls WHERE starts_with(recording_id, $1) OR ends_with(recording_id, $1)`
	}
	args := []any{prefix}
	if short {
		args = append(args, suffix)
	}
	res, err = db.Query(ctx, q+` ORDER BY recording_id LIMIT 6`, args...)
	if err != nil {
		return "", fmt.Errorf("look up recording %s: %w", arg, err)
	}
	switch len(res.Rows) {
	case 0:
		return "", nil
	case 1:
		return res.Rows[0][0].(string), nil
	}
	var ids []string
	for _, r := range res.Rows {
		ids = append(ids, shortID(r[0].(string)))
	}
	return "", cli.Usagef("%q matches several recordings (%s): give more of the id", arg, strings.Join(ids, ", "))
}

// callFilter selects calls for qa and html: a WHERE clause over calls c, its
// arguments, and a label for headings.
type callFilter struct {
	where []string
	args  []any
	label string // "date 2026-11-20", "since 2026-11-20T08:00:00Z", "all dates"
}

// newCallFilter builds the filter of --date or --since (exclusive).
func newCallFilter(date, since string, now time.Time) (callFilter, error) {
	f := callFilter{label: "all dates"}
	if date != "" && since != "" {
		return f, cli.Usagef("--date and --since are exclusive")
	}
	if date != "" {
		d, err := time.Parse(time.DateOnly, date)
		if err != nil {
			return f, cli.Usagef("--date %q: want YYYY-MM-DD", date)
		}
		f.where = append(f.where, "c.date = CAST(? AS DATE)")
		f.args = append(f.args, d.Format(time.DateOnly))
		f.label = "date " + d.Format(time.DateOnly)
	}
	if since != "" {
		d, err := parseSince(since)
		if err != nil {
			return f, cli.Usagef("--since %q: %v", since, err)
		}
		from := now.Add(-d).UTC()
		f.where = append(f.where, "c.start_time >= CAST(? AS TIMESTAMPTZ)")
		f.args = append(f.args, from.Format(time.RFC3339Nano))
		f.label = "since " + from.Format(time.RFC3339)
	}
	return f, nil
}

// sevRankSQL ranks a severity column: critical 3, warning 2, info 1.
const sevRankSQL = `CASE %s WHEN 'critical' THEN 3 WHEN 'warning' THEN 2 WHEN 'info' THEN 1 ELSE 0 END`

// sql fills the placeholders of q: {{where}}, and {{rank f.severity}} and
// {{rank severity}} with sevRankSQL over that column.
func (f callFilter) sql(q string) string {
	w := ""
	if len(f.where) > 0 {
		w = "WHERE " + strings.Join(f.where, " AND ")
	}
	q = strings.ReplaceAll(q, "{{where}}", w)
	for _, col := range []string{"f.severity", "severity"} {
		q = strings.ReplaceAll(q, "{{rank "+col+"}}", fmt.Sprintf(sevRankSQL, col))
	}
	return q
}
