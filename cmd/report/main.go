// Command report queries the callscope dataset (Parquet under --data/lake)
// with DuckDB: call tables, QA reports, HTML timelines and ad-hoc SQL.
//
// Without a subcommand it lists calls (report calls). Every subcommand
// accepts --format table|csv|json|markdown and the global flags, before or
// after the subcommand name.
package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/callscope/callscope/internal/cli"
	_ "github.com/callscope/callscope/store/duckdb" // the SQL engine behind store.Open
)

func main() { os.Exit(cli.Main(newRoot(&cli.Globals{}))) }

func newRoot(g *cli.Globals) *cobra.Command {
	root := cli.NewRoot("report", "Query the callscope dataset: calls, QA, HTML, SQL", g)
	addFormatFlag(root)
	calls := newCallsCmd(g)
	root.AddCommand(calls)
	root.AddCommand(newCallCmd(g))
	root.AddCommand(newSQLCmd(g))
	root.AddCommand(newSchemaCmd(g))
	root.AddCommand(newCompactCmd(g))
	root.AddCommand(newQACmd(g))
	root.AddCommand(newHTMLCmd(g))
	// "report" alone is "report calls" with its defaults.
	root.Args = cli.Args(cobra.NoArgs)
	root.RunE = calls.RunE
	return root
}
