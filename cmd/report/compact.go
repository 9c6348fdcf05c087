package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/callscope/callscope/internal/cli"
	"github.com/callscope/callscope/internal/progress"
	"github.com/callscope/callscope/internal/tablefmt"
	"github.com/callscope/callscope/store"
)

func newCompactCmd(g *cli.Globals) *cobra.Command {
	var date string
	cmd := &cobra.Command{
		Use:   "compact [--date YYYY-MM-DD]",
		Short: "Rewrite lake partitions into one file per table, latest analysis only",
		Long: `Rewrite each partition (date) of the lake, or only --date, into one Parquet
file per table holding only the latest analysis of each recording, then
remove the files folded in. Queries see the same data before, during and
after; it is safe to run while analyze or ingest write. Abandoned
temporary files older than an hour are removed.`,
		Args: cli.Args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := outputFormat(cmd)
			if err != nil {
				return err
			}
			if date != "" {
				if _, err := time.Parse(time.DateOnly, date); err != nil {
					return cli.Usagef("--date %q: want YYYY-MM-DD", date)
				}
			}
			var bar *progress.Bar
			opts := store.CompactOptions{
				Logger: g.Logger,
				Progress: func(done, total int) {
					if bar == nil {
						bar = progress.NewBar(int64(total), "compacting partitions", g.Quiet, g.Stderr, g.Logger)
					}
					bar.Set(int64(done))
				},
			}
			st, err := store.Compact(cmd.Context(), g.Data, date, opts)
			bar.Finish()
			if err != nil {
				return err
			}
			return tablefmt.Write(g.Stdout, f, tablefmt.Data{
				Columns: []string{"partitions", "files_in", "files_out", "rows_in", "rows_out", "temps_removed"},
				Rows:    [][]any{{st.Partitions, st.FilesIn, st.FilesOut, st.RowsIn, st.RowsOut, st.TempsRemoved}},
			})
		},
	}
	cmd.Flags().StringVar(&date, "date", "", "compact only this partition (YYYY-MM-DD)")
	return cmd
}
