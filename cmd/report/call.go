package main

import (
	"github.com/spf13/cobra"

	"github.com/callscope/callscope/internal/cli"
)

func newCallCmd(g *cli.Globals) *cobra.Command {
	return &cobra.Command{Use: "call RECORDING_ID", Hidden: true, Args: cli.Args(cobra.ExactArgs(1)), RunE: func(*cobra.Command, []string) error { return cli.Usagef("not yet") }}
}
