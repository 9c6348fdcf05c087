// Package cli holds what the three callscope commands share: the global
// flags (--data, --config, --log-level, --log-format, --quiet) accepted
// before or after any subcommand, the slog logger they configure, and the
// mapping of errors to exit codes (0 ok, 1 some inputs failed, 2 usage).
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/callscope/callscope/internal/config"
)

// Exit codes.
const (
	ExitOK      = 0
	ExitFailed  = 1 // some inputs failed, or a gate (report qa --fail-on) tripped
	ExitUsage   = 2 // bad flags, arguments or configuration
	DefaultData = "./data"
)

// UsageError is a mistake in how the command was called: exit code 2.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Usagef returns a UsageError.
func Usagef(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// FailedError reports that the command ran but some of its work failed
// (N of M inputs, a QA gate): exit code 1. The details were logged already.
type FailedError struct {
	Failed, Total int
	What          string // "recordings", "flags at or above critical", ...
}

func (e *FailedError) Error() string {
	if e.Total > 0 {
		return fmt.Sprintf("%d of %d %s failed", e.Failed, e.Total, e.What)
	}
	return fmt.Sprintf("%d %s", e.Failed, e.What)
}

// Globals are the flags every command accepts.
type Globals struct {
	Data      string
	Config    string
	LogLevel  string
	LogFormat string
	Quiet     bool

	// Set by Setup.
	Logger *slog.Logger
	Cfg    *config.Config
	Stdout io.Writer
	Stderr io.Writer
}

// NewRoot builds a root command with the global flags, logger set-up before
// any subcommand runs, and flag errors turned into UsageErrors.
func NewRoot(use, short string, g *Globals) *cobra.Command {
	root := &cobra.Command{
		Use:           use,
		Short:         short,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			return g.Setup(cmd)
		},
	}
	pf := root.PersistentFlags()
	pf.StringVar(&g.Data, "data", DefaultData, "dataset root: lake/, recordings/, spool/, quarantine/")
	pf.StringVar(&g.Config, "config", "", "YAML configuration file (defaults apply when absent)")
	pf.StringVar(&g.LogLevel, "log-level", "info", "log level: debug, info, warn, error")
	pf.StringVar(&g.LogFormat, "log-format", "text", "log format: text or json")
	pf.BoolVarP(&g.Quiet, "quiet", "q", false, "no progress bar and only warnings and errors in the log")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &UsageError{Err: fmt.Errorf("%s: %w (see '%s --help')", c.CommandPath(), err, c.CommandPath())}
	})
	root.CompletionOptions.DisableDefaultCmd = true
	return root
}

// Setup validates the global flags, loads the configuration and builds the
// logger. It is idempotent.
func (g *Globals) Setup(cmd *cobra.Command) error {
	if g.Stdout == nil {
		g.Stdout = cmd.OutOrStdout()
	}
	if g.Stderr == nil {
		g.Stderr = cmd.ErrOrStderr()
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(g.LogLevel)); err != nil {
		return Usagef("--log-level %q: want debug, info, warn or error", g.LogLevel)
	}
	if g.Quiet && lvl < slog.LevelWarn {
		lvl = slog.LevelWarn
	}
	ho := &slog.HandlerOptions{Level: lvl}
	switch strings.ToLower(g.LogFormat) {
	case "text":
		g.Logger = slog.New(slog.NewTextHandler(g.Stderr, ho))
	case "json":
		g.Logger = slog.New(slog.NewJSONHandler(g.Stderr, ho))
	default:
		return Usagef("--log-format %q: want text or json", g.LogFormat)
	}
	if g.Data == "" {
		return Usagef("--data must not be empty")
	}
	cfg, err := config.Load(g.Config)
	if err != nil {
		return &UsageError{Err: err}
	}
	g.Cfg = cfg
	return nil
}

// Args wraps a cobra positional-argument validator so its errors exit 2.
func Args(v cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := v(cmd, args); err != nil {
			return &UsageError{Err: fmt.Errorf("%s: %w (see '%s --help')", cmd.CommandPath(), err, cmd.CommandPath())}
		}
		return nil
	}
}

// Main runs root with the process arguments, cancels its context on SIGINT
// and SIGTERM, prints the error (if any) on stderr and returns the exit code.
func Main(root *cobra.Command) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, root, os.Args[1:], os.Stderr)
}

// Run executes root with args and maps the outcome to an exit code. Tests
// call it directly.
func Run(ctx context.Context, root *cobra.Command, args []string, stderr io.Writer) int {
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	fmt.Fprintf(stderr, "%s: %v\n", root.Name(), err)
	return ExitCode(err)
}

// ExitCode maps an error to the process exit code.
func ExitCode(err error) int {
	var ue *UsageError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ue):
		return ExitUsage
	case strings.HasPrefix(err.Error(), "unknown command"), strings.HasPrefix(err.Error(), "unknown flag"):
		return ExitUsage
	default:
		return ExitFailed
	}
}
