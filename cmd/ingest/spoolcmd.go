package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/callscope/callscope/internal/cli"
	"github.com/callscope/callscope/internal/ingest"
	"github.com/callscope/callscope/recording/spool"
)

func newSpoolCmd(g *cli.Globals) *cobra.Command {
	cmd := &cobra.Command{Use: "spool", Short: "Inspect and repair the ingest spool (ls, show, retry, drop)"}
	dir := func() string { return filepath.Join(g.Data, ingest.SpoolDir) }
	var states []string
	var asJSON bool
	ls := &cobra.Command{
		Use:   "ls",
		Short: "List spool items (works while serve runs)",
		Args:  cli.Args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			sp, err := spool.OpenReadOnly(dir())
			if err != nil {
				return err
			}
			defer sp.Close()
			var st []spool.State
			for _, s := range states {
				switch spool.State(s) {
				case spool.Pending, spool.Done, spool.Failed, spool.Dropped:
					st = append(st, spool.State(s))
				default:
					return cli.Usagef("--state %q: want pending, done, failed or dropped", s)
				}
			}
			items := sp.List(st...)
			if asJSON {
				enc := json.NewEncoder(g.Stdout)
				for _, it := range items {
					if err := enc.Encode(it); err != nil {
						return err
					}
				}
				return nil
			}
			tw := tabwriter.NewWriter(g.Stdout, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSTATE\tATTEMPTS\tRECORDING\tENQUEUED\tERROR")
			for _, it := range items {
				e := it.LastError
				if len(e) > 80 {
					e = e[:80] + "…"
				}
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\n", it.ID, it.State, it.Attempts, it.RecordingID, it.EnqueuedAt.Format(time.RFC3339), e)
			}
			s := sp.Stats()
			fmt.Fprintf(tw, "\n%d pending, %d failed, %d done, %d dropped\n", s.Pending, s.Failed, s.Done, s.Dropped)
			return tw.Flush()
		},
	}
	ls.Flags().StringArrayVar(&states, "state", nil, "only items in this state (repeatable)")
	ls.Flags().BoolVar(&asJSON, "json", false, "one JSON object per line")
	show := &cobra.Command{
		Use:   "show ID",
		Short: "Print one spool item with its event",
		Args:  cli.Args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			sp, err := spool.OpenReadOnly(dir())
			if err != nil {
				return err
			}
			defer sp.Close()
			it, err := sp.Get(args[0])
			if err != nil {
				return err
			}
			enc := json.NewEncoder(g.Stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(it)
		},
	}
	mutate := func(use, short string, fn func(*spool.Spool, string) error) *cobra.Command {
		return &cobra.Command{
			Use:   use + " ID...",
			Short: short,
			Args:  cli.Args(cobra.MinimumNArgs(1)),
			RunE: func(cmd *cobra.Command, args []string) error {
				sp, err := spool.Open(dir(), spool.Options{Logger: g.Logger})
				if errors.Is(err, spool.ErrLocked) {
					return fmt.Errorf("%w: stop 'ingest serve' first (it owns the spool)", err)
				}
				if err != nil {
					return err
				}
				defer sp.Close()
				for _, id := range args {
					if err := fn(sp, id); err != nil {
						return err
					}
					fmt.Fprintf(g.Stdout, "%s %s\n", use, id)
				}
				return nil
			},
		}
	}
	cmd.AddCommand(ls, show,
		mutate("retry", "Make failed or dropped items pending again (the next serve processes them)", (*spool.Spool).Retry),
		mutate("drop", "Give up on items (kept for deduplication)", (*spool.Spool).Drop))
	return cmd
}
