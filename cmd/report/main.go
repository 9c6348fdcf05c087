// Command report queries the callscope dataset (Parquet under --data/lake)
// with DuckDB: call tables, QA reports, HTML timelines and ad-hoc SQL.
package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/callscope/callscope/internal/cli"
)

func main() { os.Exit(cli.Main(newRoot(&cli.Globals{}))) }

func newRoot(g *cli.Globals) *cobra.Command {
	root := cli.NewRoot("report", "Query the callscope dataset: calls, QA, HTML, SQL", g)
	return root
}
