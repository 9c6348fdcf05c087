package main

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/callscope/callscope/internal/cli"
	"github.com/callscope/callscope/recording/acs"
	"github.com/callscope/callscope/recording/callback"
	"github.com/callscope/callscope/recording/control"
	"github.com/callscope/callscope/recording/eventgrid"
	"github.com/callscope/callscope/recording/rules"
	"github.com/callscope/callscope/store"
)

// recordingConfig is the "recording" section of the configuration file.
// When the section is present, `ingest serve` mounts the Call Automation
// callback endpoint at /api/callbacks and runs the recording-control state
// machine (credentials from $CALLSCOPE_ACS_CONNECTION_STRING).
//
//	recording:
//	  rules: /etc/callscope/rules.yaml   # CEL rules (docs/rules.md); reloaded on SIGHUP / change
//	  rules_reload: 2s
//	  events_flush: 30s                   # recording_events Parquet flush interval
//	  control: { callback_uri: https://callscope.example.com/api/callbacks, start: { channel: unmixed } }
//	  callbacks: { audience: <ACS immutable resource id> }
type recordingConfig struct {
	Rules       string           `yaml:"rules"`
	RulesReload time.Duration    `yaml:"rules_reload"`
	EventsFlush time.Duration    `yaml:"events_flush"`
	Control     control.Options  `yaml:"control"`
	Callbacks   callback.Options `yaml:"callbacks"`
}

func init() { callbackMount = mountRecordingControl }

// recordingController is the controller `ingest serve` runs, for the
// Event Grid path to hand platform events (CallStarted, CallEnded, …) to
// with HandlePlatformEvent. Nil when recording control is not configured.
var recordingController *control.Controller

func mountRecordingControl(ctx context.Context, g *cli.Globals) (http.Handler, error) {
	if !g.Cfg.Has("recording") {
		return nil, nil
	}
	cfg := recordingConfig{RulesReload: 2 * time.Second, EventsFlush: 30 * time.Second, Control: control.DefaultOptions(), Callbacks: callback.DefaultOptions()}
	if err := g.Cfg.Decode("recording", &cfg); err != nil {
		return nil, &cli.UsageError{Err: err}
	}
	var af acsFlags
	af.apiVersion = acs.DefaultAPIVersion
	client, err := af.client(g)
	if err != nil {
		return nil, err
	}
	var rs control.RuleSource
	if cfg.Rules != "" {
		eng, err := rules.NewEngine(cfg.Rules, g.Logger.With("component", "rules"))
		if err != nil {
			return nil, &cli.UsageError{Err: err}
		}
		go eng.Watch(ctx, cfg.RulesReload)
		rs = eng
	}
	w, err := store.NewWriter(g.Data, store.WriterOptions{Logger: g.Logger})
	if err != nil {
		return nil, fmt.Errorf("recording events writer: %w", err)
	}
	sink := newStoreSink(ctx, w, cfg.EventsFlush, g)
	cfg.Control.Logger = g.Logger.With("component", "control")
	ctl, err := control.Open(filepath.Join(g.Data, "control"), client, rs, sink, cfg.Control)
	if err != nil {
		return nil, err
	}
	go func() {
		if err := ctl.Recover(ctx); err != nil {
			g.Logger.Error("recover pending recording starts", "error", err)
		}
		t := time.NewTicker(time.Hour)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if n := ctl.Prune(); n > 0 {
					g.Logger.Info("pruned finished calls from the control state", "calls", n)
				}
			}
		}
	}()
	cfg.Callbacks.Logger = g.Logger.With("component", "callbacks")
	h, err := callback.NewHandler(ctx, cfg.Callbacks, ctl)
	if err != nil {
		return nil, &cli.UsageError{Err: err}
	}
	recordingController, recordingSink = ctl, sink
	return h, nil
}

// recordingSink is the sink of the running serve command, closed by
// closeRecordingControl when serve returns.
var recordingSink *storeSink

// closeRecordingControl flushes the recording_events rows still buffered
// (serve defers it, so nothing buffered is lost at shutdown).
func closeRecordingControl() {
	if recordingSink != nil {
		recordingSink.Close()
	}
	recordingController, recordingSink = nil, nil
}

// storeSink writes recording_events rows through a store.Writer and
// flushes them every interval, and when ctx ends or Close is called.
type storeSink struct {
	w    *store.Writer
	once sync.Once
	stop chan struct{}
	done chan struct{}
}

// Close stops the flush loop, flushes and closes the writer, and waits.
func (s *storeSink) Close() {
	s.once.Do(func() { close(s.stop) })
	<-s.done
}

func newStoreSink(ctx context.Context, w *store.Writer, every time.Duration, g *cli.Globals) *storeSink {
	s := &storeSink{w: w, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for running := true; running; {
			select {
			case <-ctx.Done():
				running = false
			case <-s.stop:
				running = false
			case <-t.C:
				if err := w.Flush(ctx); err != nil {
					g.Logger.Error("flush recording events", "error", err)
				}
			}
		}
		cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := w.Close(cctx); err != nil {
			g.Logger.Error("flush recording events", "error", err)
		}
	}()
	return s
}

// RecordEvents implements control.EventSink.
func (s *storeSink) RecordEvents(_ context.Context, evs []control.Event) error {
	rows := make([]store.RecordingEvent, len(evs))
	for i, e := range evs {
		rows[i] = toStoreEvent(e)
	}
	return s.w.AddEvents(rows...)
}

func toStoreEvent(e control.Event) store.RecordingEvent {
	return store.RecordingEvent{
		Time: e.Time, RecordingID: e.RecordingID, ServerCallID: e.ServerCallID, CorrelationID: e.CorrelationID,
		Event: e.Event, Action: e.Action, Rule: e.Rule, Outcome: e.Outcome, Detail: e.Detail, EventID: e.EventID,
	}
}

// platformEvent hands an Event Grid platform event (CallStarted, CallEnded,
// IncomingCall, …) from the spool workers to the recording controller; a
// no-op when recording control is not configured.
func platformEvent(ctx context.Context, ev eventgrid.Event) error {
	if recordingController == nil {
		return nil
	}
	return recordingController.HandlePlatformEvent(ctx, ev.Type, ev.ID, ev.Time, ev.Data)
}
