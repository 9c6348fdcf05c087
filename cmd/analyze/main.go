// Command analyze streams call recordings (recording folders as ingest
// writes them, or WAV files) through dsp and quality and appends the
// results to the Parquet dataset under --data/lake.
package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/callscope/callscope/internal/cli"
)

func main() { os.Exit(cli.Main(newRoot(&cli.Globals{}))) }

func newRoot(g *cli.Globals) *cobra.Command {
	root := newAnalyzeCmd(g)
	root.AddCommand(newEvalCmd(g))
	return root
}
