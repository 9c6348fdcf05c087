package main

import (
	"github.com/spf13/cobra"

	"github.com/callscope/callscope/internal/cli"
)

func newCompactCmd(g *cli.Globals) *cobra.Command {
	return &cobra.Command{Use: "compact", Hidden: true, Args: cli.Args(cobra.NoArgs), RunE: func(*cobra.Command, []string) error { return cli.Usagef("not yet") }}
}
