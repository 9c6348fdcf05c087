package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/callscope/callscope/internal/cli"
	"github.com/callscope/callscope/internal/ingest"
	"github.com/callscope/callscope/recording/blob"
	"github.com/callscope/callscope/recording/eventgrid"
	"github.com/callscope/callscope/recording/spool"
)

// runOneShot opens the spool, lets enqueue add items through the same sink
// the webhook uses, then runs the workers until the spool is drained (or
// wait elapses) unless noProcess.
func runOneShot(ctx context.Context, g *cli.Globals, src *sourceFlags, wait time.Duration, noProcess bool,
	enqueue func(ctx context.Context, sink *ingest.Sink) (int, error)) error {
	cfg, err := loadConfig(g)
	if err != nil {
		return err
	}
	so := cfg.Server
	so.DataDir, so.Logger, so.InsecureNoAuth = g.Data, g.Logger, true
	if src.workers > 0 {
		so.Workers.Workers = src.workers
	}
	// One-shot runs retry quickly and give up sooner than the service.
	so.Workers.RetryBase, so.Workers.RetryMax = 2*time.Second, 30*time.Second
	if so.Workers.MaxAttempts > 5 {
		so.Workers.MaxAttempts = 5
	}
	p, err := buildProcessor(ctx, g, src, cfg)
	if err != nil {
		return err
	}
	srv, err := ingest.NewServer(so, p)
	if err != nil {
		return err
	}
	sink := &ingest.Sink{Spool: srv.Spool, Logger: g.Logger, Metrics: srv.Metrics}
	n, err := enqueue(ctx, sink)
	if err != nil {
		srv.Shutdown(nil)
		return err
	}
	g.Logger.Info("enqueued", "events", n, "spool", srv.Spool.Stats())
	if noProcess {
		return srv.Shutdown(nil)
	}
	srv.StartWorkers()
	wctx, cancel := context.WithTimeout(ctx, wait)
	derr := ingest.Drain(wctx, srv, 100*time.Millisecond)
	cancel()
	if err := srv.Shutdown(nil); err != nil {
		return err
	}
	if derr != nil {
		return fmt.Errorf("processing: %w", derr)
	}
	sp, err := spool.OpenReadOnly(srv.SpoolDir())
	if err == nil {
		if st := sp.Stats(); st.Failed > 0 {
			fmt.Fprintf(g.Stdout, "%d spool items failed; see 'ingest spool ls --state failed'\n", st.Failed)
			return &cli.FailedError{Failed: st.Failed, Total: st.Failed + st.Done, What: "spool items"}
		}
	}
	return nil
}

func newEventsCmd(g *cli.Globals) *cobra.Command {
	var (
		src       sourceFlags
		wait      time.Duration
		noProcess bool
	)
	cmd := &cobra.Command{
		Use:   "events FILE...",
		Short: "Replay saved Event Grid deliveries (JSON files) through the spool and download their recordings",
		Args:  cli.Args(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runOneShot(cmd.Context(), g, &src, wait, noProcess, func(ctx context.Context, sink *ingest.Sink) (int, error) {
				total := 0
				for _, path := range args {
					st, err := os.Stat(path)
					if err != nil {
						return total, &cli.UsageError{Err: err}
					}
					if st.Size() > 64<<20 {
						return total, cli.Usagef("%s: %d bytes, limit 64 MiB", path, st.Size())
					}
					b, err := os.ReadFile(path)
					if err != nil {
						return total, &cli.UsageError{Err: err}
					}
					evs, err := eventgrid.Decode(b)
					if err != nil {
						return total, cli.Usagef("%s: %v", path, err)
					}
					if err := sink.Accept(ctx, evs); err != nil {
						return total, fmt.Errorf("%s: %w", path, err)
					}
					total += len(evs)
				}
				return total, nil
			})
		},
	}
	src.register(cmd)
	cmd.Flags().DurationVar(&wait, "wait", 10*time.Minute, "give up waiting for downloads after this long (items stay in the spool)")
	cmd.Flags().BoolVar(&noProcess, "no-process", false, "only enqueue; a running or later 'serve' downloads")
	return cmd
}

func newBackfillCmd(g *cli.Globals) *cobra.Command {
	var (
		src       sourceFlags
		wait      time.Duration
		noProcess bool
		since     string
	)
	cmd := &cobra.Command{
		Use:   "backfill --container URL [--since DATE]",
		Short: "Enqueue every recording of a bring-your-own-storage container not yet downloaded",
		Args:  cli.Args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if src.blobContainer == "" {
				return cli.Usagef("--container is required")
			}
			var sinceT time.Time
			if since != "" {
				t, err := time.Parse("2006-01-02", since)
				if err != nil {
					return cli.Usagef("--since %q: want YYYY-MM-DD", since)
				}
				sinceT = t
			}
			return runOneShot(cmd.Context(), g, &src, wait, noProcess, func(ctx context.Context, sink *ingest.Sink) (int, error) {
				c, err := blob.New(blob.Options{ContainerURL: src.blobContainer, ConnectionString: os.Getenv(blob.EnvConnectionString), Logger: g.Logger})
				if err != nil {
					return 0, &cli.UsageError{Err: err}
				}
				evs, skipped, err := ingest.BackfillEvents(ctx, c, sinceT, g.Data, g.Logger)
				if err != nil {
					return 0, err
				}
				g.Logger.Info("backfill listing", "recordings", len(evs), "already_complete_or_unusable", skipped)
				if len(evs) == 0 {
					return 0, nil
				}
				return len(evs), sink.Accept(ctx, evs)
			})
		},
	}
	src.register(cmd)
	cmd.Flags().Lookup("blob-container").Hidden = true
	cmd.Flags().StringVar(&src.blobContainer, "container", "", "container URL (key from $"+blob.EnvConnectionString+", a SAS, or the default Azure credential)")
	cmd.Flags().StringVar(&since, "since", "", "only date folders on or after YYYY-MM-DD")
	cmd.Flags().DurationVar(&wait, "wait", 30*time.Minute, "give up waiting for downloads after this long (items stay in the spool)")
	cmd.Flags().BoolVar(&noProcess, "no-process", false, "only enqueue")
	return cmd
}
