// Command ingest is callscope's long-running service between Azure and the
// analysis: it receives Event Grid events and Call Automation callbacks,
// runs the recording-control rules, and downloads every recording chunk and
// its metadata into a durable spool and recording folders under --data.
package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/callscope/callscope/internal/cli"
)

func main() { os.Exit(cli.Main(newRoot(&cli.Globals{}))) }

func newRoot(g *cli.Globals) *cobra.Command {
	root := cli.NewRoot("ingest", "Receive ACS events and callbacks, control recordings, download recordings", g)
	root.AddCommand(newServeCmd(g), newEventsCmd(g), newBackfillCmd(g), newSpoolCmd(g))
	root.AddCommand(newACSCmd(g), newRecordingCmd(g), newRulesCmd(g))
	return root
}
