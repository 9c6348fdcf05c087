package main

import (
	"context"
	"fmt"
	"time"

	"github.com/callscope/callscope/internal/cli"
	"github.com/callscope/callscope/pipeline"
	"github.com/callscope/callscope/store"
)

// analyzeHook returns the in-process analysis run on each completed
// recording folder (--analyze): pipeline → store under --data; a failure
// quarantines the folder like 'analyze' does.
func analyzeHook(g *cli.Globals) (func(ctx context.Context, dir string) error, error) {
	opts, err := pipeline.OptionsFromConfig(g.Cfg)
	if err != nil {
		return nil, &cli.UsageError{Err: err}
	}
	opts.Logger = g.Logger
	an, err := pipeline.New(opts)
	if err != nil {
		return nil, &cli.UsageError{Err: err}
	}
	return func(ctx context.Context, dir string) error {
		fail := func(err error) error {
			if q, qerr := pipeline.Quarantine(g.Data, dir, err, time.Now()); qerr == nil {
				return fmt.Errorf("analyze %s: %w (quarantined in %s)", dir, err, q)
			}
			return fmt.Errorf("analyze %s: %w", dir, err)
		}
		in, err := pipeline.Open(dir)
		if err != nil {
			return fail(err)
		}
		out, err := an.Analyze(ctx, in)
		if err != nil {
			return fail(err)
		}
		w, err := store.NewWriter(g.Data, store.WriterOptions{})
		if err != nil {
			return fmt.Errorf("open dataset: %w", err)
		}
		if err := w.Add(out.Rows); err != nil {
			return fmt.Errorf("buffer rows of %s: %w", dir, err)
		}
		if err := w.Close(context.WithoutCancel(ctx)); err != nil {
			return fmt.Errorf("write dataset: %w", err)
		}
		g.Logger.Info("analyzed", "recording", in.RecordingID, "qa_score", out.Verdict.Score, "flags", len(out.Verdict.Flags))
		return nil
	}, nil
}
