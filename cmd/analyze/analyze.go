package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/callscope/callscope/internal/cli"
	"github.com/callscope/callscope/internal/progress"
	"github.com/callscope/callscope/pipeline"
	"github.com/callscope/callscope/recording"
	"github.com/callscope/callscope/store"
)

type analyzeFlags struct {
	jobs        int
	storeDigits bool
	cpuProfile  string
}

func newAnalyzeCmd(g *cli.Globals) *cobra.Command {
	var f analyzeFlags
	cmd := cli.NewRoot("analyze [flags] [PATH...]", "Analyze call recordings into the Parquet dataset", g)
	cmd.Long = `analyze reads each PATH — a recording folder (chunk-NNNN.wav, chunk-NNNN.acsmetadata.json,
events/, manifest.json, as ingest writes them), a WAV file, or a directory holding such folders
or files — computes per-channel speech, talk time, silences, overlaps, levels and DTMF, raises QA
flags, and appends calls, channels, segments, silences, overlaps, dtmf and qa_flags rows to
DATA/lake. With no PATH it analyzes every recording folder under DATA/recordings.

A recording that cannot be analyzed is reported by name, recorded under DATA/quarantine/ with
its reason, and the others go on; the exit code is then 1. Nothing partial is written for it.`
	cmd.Args = cli.Args(cobra.ArbitraryArgs)
	cmd.Flags().IntVarP(&f.jobs, "jobs", "j", 0, "recordings analyzed at once (default: number of CPUs; each uses the remaining CPUs for its channels)")
	cmd.Flags().BoolVar(&f.storeDigits, "store-digits", false, "store raw DTMF digits instead of a mask (PCI: only where the operator opted in; config dtmf.store_digits)")
	cmd.Flags().StringVar(&f.cpuProfile, "cpuprofile", "", "write a Go CPU profile of the run to this `file` (for performance reports; read it with go tool pprof)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if f.cpuProfile != "" {
			stop, err := startCPUProfile(f.cpuProfile)
			if err != nil {
				return &cli.UsageError{Err: err}
			}
			defer stop()
		}
		return runAnalyze(cmd.Context(), g, f, cmd.Flags().Changed("store-digits"), args)
	}
	return cmd
}

func runAnalyze(ctx context.Context, g *cli.Globals, f analyzeFlags, digitsFlagSet bool, args []string) error {
	log := g.Logger
	opts, err := pipeline.OptionsFromConfig(g.Cfg)
	if err != nil {
		return &cli.UsageError{Err: err}
	}
	opts.Logger = log
	if digitsFlagSet {
		opts.StoreDigits = f.storeDigits
	}
	inputs, err := expandInputs(g.Data, args)
	if err != nil {
		return err
	}
	if len(inputs) == 0 {
		log.Warn("nothing to analyze", "recordings", filepath.Join(g.Data, recording.RecordingsDir))
		return nil
	}
	jobs := f.jobs
	if jobs <= 0 {
		jobs = min(runtime.NumCPU(), len(inputs))
	}
	opts.DSP.Workers = max(1, runtime.NumCPU()/jobs)
	an, err := pipeline.New(opts)
	if err != nil {
		return &cli.UsageError{Err: err}
	}
	w, err := store.NewWriter(g.Data, store.WriterOptions{})
	if err != nil {
		return fmt.Errorf("open dataset %s: %w", g.Data, err)
	}
	var (
		mu     sync.Mutex
		failed int
	)
	fail := func(path string, err error) {
		mu.Lock()
		failed++
		mu.Unlock()
		qdir, qerr := pipeline.Quarantine(g.Data, path, err, time.Now())
		if qerr != nil {
			log.Error("analysis failed; quarantine failed too", "input", path, "err", err, "quarantine_err", qerr)
			return
		}
		log.Error("analysis failed", "input", path, "err", err, "quarantine", qdir)
	}
	// On a terminal a progress bar replaces the per-recording log lines
	// (still there at --log-level debug); elsewhere the bar is a periodic
	// log line and each recording is logged.
	bar := progress.NewBar(int64(len(inputs)), "analyzing", g.Quiet || len(inputs) < 2, g.Stderr, log)
	perRecording := slog.LevelInfo
	if !g.Quiet && len(inputs) >= 2 && progress.IsTerminal(g.Stderr) {
		perRecording = slog.LevelDebug
	}
	eg, ectx := errgroup.WithContext(ctx)
	eg.SetLimit(jobs)
	for _, path := range inputs {
		eg.Go(func() error {
			defer bar.Add(1)
			if ectx.Err() != nil {
				return ectx.Err()
			}
			start := time.Now()
			in, err := pipeline.Open(path)
			if err != nil {
				fail(path, err)
				return nil
			}
			out, err := an.Analyze(ectx, in)
			if err != nil {
				if ectx.Err() != nil {
					return ectx.Err()
				}
				fail(path, err)
				return nil
			}
			mu.Lock()
			err = w.Add(out.Rows)
			mu.Unlock()
			if err != nil {
				return fmt.Errorf("buffer rows of %s: %w", path, err)
			}
			c := out.Result.Call
			log.Log(ectx, perRecording, "analyzed", "input", path, "recording_id", in.RecordingID,
				"channels", out.Result.Channels, "recorded_s", round2(c.DurationS), "talk_s", round2(c.TalkS),
				"silence_s", round2(c.SilenceS), "overlap_s", round2(c.OverlapS), "dtmf", c.DTMFCount,
				"qa_score", round2(out.Verdict.Score), "flags", len(out.Verdict.Flags),
				"x_realtime", round2(c.DurationS/time.Since(start).Seconds()))
			return nil
		})
	}
	werr := eg.Wait()
	bar.Finish()
	// Write what succeeded even when the run was interrupted: every buffered
	// recording is complete.
	if err := w.Close(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("write dataset: %w", err)
	}
	if werr != nil {
		return werr
	}
	log.Info("done", "recordings", len(inputs), "failed", failed, "lake", filepath.Join(g.Data, "lake"))
	if failed > 0 {
		return &cli.FailedError{Failed: failed, Total: len(inputs), What: "recordings"}
	}
	return nil
}

// startCPUProfile starts profiling the process into path; stop ends the
// profile and closes the file.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("--cpuprofile %s: %w", path, err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			slog.Error("write CPU profile", "file", path, "err", err)
		}
	}, nil
}

func round2(x float64) float64 { return float64(int64(x*100+0.5)) / 100 }

// expandInputs turns the arguments into a list of inputs: recording folders
// and WAV files as given, and directories that are neither expanded one
// level. No arguments means every folder under DATA/recordings.
func expandInputs(data string, args []string) ([]string, error) {
	if len(args) == 0 {
		dir := filepath.Join(data, recording.RecordingsDir)
		if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		args = []string{dir}
	}
	var out []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			// Keep it: the analysis reports it as a failed input.
			out = append(out, a)
			continue
		}
		if !st.IsDir() || isRecordingFolder(a) {
			out = append(out, filepath.Clean(a))
			continue
		}
		ents, err := os.ReadDir(a)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", a, err)
		}
		var found []string
		for _, e := range ents {
			p := filepath.Join(a, e.Name())
			switch {
			case e.IsDir() && isRecordingFolder(p):
				found = append(found, p)
			case !e.IsDir() && (filepath.Ext(e.Name()) == ".wav" || filepath.Ext(e.Name()) == ".WAV"):
				found = append(found, p)
			}
		}
		if len(found) == 0 {
			out = append(out, a) // reported as "not a recording folder"
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, nil
}

func isRecordingFolder(dir string) bool {
	if _, err := os.Stat(filepath.Join(dir, recording.ManifestFile)); err == nil {
		return true
	}
	m, _ := filepath.Glob(filepath.Join(dir, "chunk-*.wav"))
	return len(m) > 0
}
