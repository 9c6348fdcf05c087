package main

import (
	"context"
	"fmt"
	"path/filepath"

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
