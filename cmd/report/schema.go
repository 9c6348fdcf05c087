package main

import (
	"github.com/spf13/cobra"

	"github.com/callscope/callscope/internal/cli"
	"github.com/callscope/callscope/internal/tablefmt"
	"github.com/callscope/callscope/store"
)

// schemaData is the data dictionary: one row per table column.
func schemaData() tablefmt.Data {
	d := tablefmt.Data{Columns: []string{"table", "column", "type", "nullable", "description"}}
	for _, t := range store.Tables() {
		for _, c := range t.Columns {
			d.Rows = append(d.Rows, []any{t.Name, c.Name, c.Type, c.Nullable, c.Desc})
		}
	}
	return d
}

func newSchemaCmd(g *cli.Globals) *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the data dictionary: every table, column, type and meaning",
		Args:  cli.Args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := outputFormat(cmd)
			if err != nil {
				return err
			}
			return tablefmt.Write(g.Stdout, f, schemaData())
		},
	}
}
