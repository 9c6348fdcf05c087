package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/callscope/callscope/internal/cli"
)

// maxSQLFile bounds a -f query file.
const maxSQLFile = 16 << 20

func newSQLCmd(g *cli.Globals) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "sql QUERY | -f FILE",
		Short: "Run any SQL over the dataset's views",
		Long: `Run SQL (DuckDB dialect) over the views calls, channels, segments, silences,
overlaps, dtmf, qa_flags, pauses and recording_events (latest analysis of each
recording), or raw.<table> (every analysis). "report schema" lists the
columns. -f - reads the query from stdin. Several statements may be given;
the result of the last one is printed.

"overlaps" is an SQL keyword: write "overlaps" (quoted) or main.overlaps.`,
		Example: `  report sql "SELECT flag, count(*) FROM qa_flags GROUP BY ALL ORDER BY 2 DESC"
  report --data /srv/callscope sql -f weekly.sql --format csv`,
		Args: cli.Args(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := outputFormat(cmd)
			if err != nil {
				return err
			}
			var q string
			switch {
			case len(args) == 1 && file != "":
				return cli.Usagef("give the query as an argument or with -f, not both")
			case len(args) == 1:
				q = args[0]
			case file != "":
				q, err = readQuery(cmd, file)
				if err != nil {
					return err
				}
			}
			if strings.TrimSpace(q) == "" {
				return cli.Usagef("sql: missing query (give it as an argument or with -f FILE; see 'report sql --help')")
			}
			db, err := openDB(cmd.Context(), g)
			if err != nil {
				return err
			}
			defer db.Close()
			res, err := db.Query(cmd.Context(), q)
			if err != nil {
				return &sqlError{err}
			}
			if db.Empty() && len(res.Rows) == 0 {
				emptyNote(g)
			}
			return render(g, f, res)
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "read the query from this file (- for stdin)")
	return cmd
}

func readQuery(cmd *cobra.Command, file string) (string, error) {
	var r io.Reader
	if file == "-" {
		r = cmd.InOrStdin()
	} else {
		fh, err := os.Open(file)
		if err != nil {
			return "", cli.Usagef("-f: %v", err)
		}
		defer fh.Close()
		r = fh
	}
	b, err := io.ReadAll(io.LimitReader(r, maxSQLFile+1))
	if err != nil {
		return "", fmt.Errorf("read query: %w", err)
	}
	if len(b) > maxSQLFile {
		return "", cli.Usagef("-f %s: query larger than %d bytes", file, maxSQLFile)
	}
	return string(b), nil
}

// sqlError prints DuckDB's message as it is (it names the error class and,
// for syntax errors, the LINE with a caret under the position).
type sqlError struct{ err error }

func (e *sqlError) Error() string { return "sql: " + e.err.Error() }
func (e *sqlError) Unwrap() error { return e.err }
