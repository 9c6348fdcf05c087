package ingest

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/callscope/callscope/recording"
	"github.com/callscope/callscope/recording/eventgrid"
	"github.com/callscope/callscope/recording/spool"
)

// WorkerOptions configures the download workers.
type WorkerOptions struct {
	// Workers is the number of concurrent recordings. Default 4.
	Workers int `yaml:"workers"`
	// MaxAttempts before an item is marked failed. Default 10.
	MaxAttempts int `yaml:"max_attempts"`
	// RetryBase and RetryMax bound the backoff between attempts of an
	// item. Defaults 10 s and 30 min.
	RetryBase time.Duration `yaml:"retry_base"`
	RetryMax  time.Duration `yaml:"retry_max"`
}

// DefaultWorkerOptions returns the documented defaults.
func DefaultWorkerOptions() WorkerOptions {
	return WorkerOptions{Workers: 4, MaxAttempts: 10, RetryBase: 10 * time.Second, RetryMax: 30 * time.Minute}
}

func (o WorkerOptions) withDefaults() WorkerOptions {
	d := DefaultWorkerOptions()
	if o.Workers <= 0 {
		o.Workers = d.Workers
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = d.MaxAttempts
	}
	if o.RetryBase <= 0 {
		o.RetryBase = d.RetryBase
	}
	if o.RetryMax <= 0 {
		o.RetryMax = d.RetryMax
	}
	return o
}

// Workers process spool items with a Processor.
type Workers struct {
	Spool     *spool.Spool
	Processor *Processor
	Options   WorkerOptions
	Logger    *slog.Logger
	Metrics   *Metrics

	wg       sync.WaitGroup
	cancel   context.CancelFunc // cancels in-flight work
	stopping chan struct{}
	once     sync.Once
}

// Start launches the workers. They run until Shutdown.
func (w *Workers) Start() {
	w.Options = w.Options.withDefaults()
	if w.Logger == nil {
		w.Logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	w.stopping = make(chan struct{})
	next, stopNext := context.WithCancel(context.Background())
	go func() { <-w.stopping; stopNext() }()
	for range w.Options.Workers {
		w.wg.Add(1)
		go w.run(ctx, next)
	}
}

// Shutdown stops taking items and waits for in-flight ones until ctx ends,
// then cancels them (their items stay pending and resume next start).
func (w *Workers) Shutdown(ctx context.Context) error {
	w.once.Do(func() { close(w.stopping) })
	done := make(chan struct{})
	go func() { w.wg.Wait(); close(done) }()
	select {
	case <-done:
		w.cancel()
		return nil
	case <-ctx.Done():
		w.cancel()
		<-done
		return ctx.Err()
	}
}

func (w *Workers) run(ctx, next context.Context) {
	defer w.wg.Done()
	for {
		it, err := w.Spool.Next(next)
		if err != nil {
			return
		}
		w.handle(ctx, it)
	}
}

func (w *Workers) handle(ctx context.Context, it spool.Item) {
	log := w.Logger.With("item", it.ID, "recording", recording.SafeID(it.RecordingID), "attempt", it.Attempts+1)
	res, err := w.Processor.Process(ctx, it.Event)
	if err == nil {
		if cerr := w.Spool.Complete(it.ID); cerr != nil {
			log.Error("cannot mark spool item done; it will be processed again (idempotent)", "err", cerr)
		}
		if w.Metrics != nil && !res.Ignored {
			outcome := "partial"
			if res.Complete {
				outcome = "complete"
			}
			w.Metrics.Recordings.WithLabelValues(outcome).Inc()
		}
		return
	}
	if ctx.Err() != nil {
		// Shutting down: leave it pending.
		w.Spool.Release(it.ID)
		return
	}
	attempts := it.Attempts + 1
	if IsPermanent(err) || attempts >= w.Options.MaxAttempts {
		log.Error("recording event failed; left in the spool as failed (ingest spool retry/drop)", "err", err)
		if w.Metrics != nil {
			w.Metrics.Recordings.WithLabelValues("failed").Inc()
		}
		if ferr := w.Spool.Fail(it.ID, err, time.Time{}); ferr != nil {
			log.Error("cannot record failure", "err", ferr)
		}
		return
	}
	wait := w.Options.RetryBase << min(attempts-1, 16)
	if wait > w.Options.RetryMax || wait <= 0 {
		wait = w.Options.RetryMax
	}
	wait = wait/2 + time.Duration(rand.Int64N(int64(wait)/2+1))
	log.Warn("recording event failed; will retry", "err", err, "in", wait)
	if ferr := w.Spool.Fail(it.ID, err, time.Now().Add(wait)); ferr != nil {
		log.Error("cannot record failure", "err", ferr)
	}
}

// Sink stores webhook deliveries in the spool: RecordingFileStatusUpdated
// events become work items; with StorePlatform, other
// Microsoft.Communication.* events (CallStarted, IncomingCall, …) too, for
// Processor.OnEvent; anything else is acknowledged and ignored.
type Sink struct {
	Spool         *spool.Spool
	StorePlatform bool
	Logger        *slog.Logger
	Metrics       *Metrics
}

// PlatformEventPrefix marks the ACS platform events kept for OnEvent.
const PlatformEventPrefix = "Microsoft.Communication."

// IsPlatformEvent reports whether ev is an ACS platform event other than
// RecordingFileStatusUpdated.
func IsPlatformEvent(ev eventgrid.Event) bool {
	return len(ev.Type) > len(PlatformEventPrefix) && strings.EqualFold(ev.Type[:len(PlatformEventPrefix)], PlatformEventPrefix) &&
		!ev.IsType(recording.EventRecordingFileStatusUpdated)
}

// ItemOf builds the spool item of a recording event. ok is false for
// events ingest does not act on.
func ItemOf(ev eventgrid.Event) (spool.Item, bool) {
	if !ev.IsType(recording.EventRecordingFileStatusUpdated) {
		return spool.Item{}, false
	}
	it := spool.Item{ID: ev.ID, Type: ev.Type, Event: ev.Raw}
	recID, data, err := RecordingIDOf(ev)
	if err == nil {
		it.RecordingID = recID
	}
	if data != nil {
		for _, c := range data.RecordingStorageInfo.RecordingChunks {
			it.DocumentIDs = append(it.DocumentIDs, c.DocumentID)
		}
	}
	return it, true
}

// Accept implements eventgrid.Sink.
func (s *Sink) Accept(ctx context.Context, evs []eventgrid.Event) error {
	items := make([]spool.Item, 0, len(evs))
	for _, ev := range evs {
		it, ok := ItemOf(ev)
		if !ok && s.StorePlatform && IsPlatformEvent(ev) {
			it, ok = spool.Item{ID: ev.ID, Type: ev.Type, Event: ev.Raw}, true
		}
		if !ok {
			if s.Metrics != nil {
				s.Metrics.EventsIgnored.WithLabelValues(typeClass(ev.Type)).Inc()
			}
			if s.Logger != nil {
				s.Logger.Debug("event ignored", "type", typeClass(ev.Type), "id", ev.ID)
			}
			continue
		}
		items = append(items, it)
	}
	if len(items) == 0 {
		return nil
	}
	_, err := s.Spool.Put(ctx, items...)
	if err != nil {
		return err
	}
	return nil
}

var knownTypes = map[string]bool{
	recording.EventCallStarted: true, recording.EventCallEnded: true, recording.EventIncomingCall: true,
	recording.EventCallParticipantAdded: true, recording.EventCallParticipantRemoved: true,
	eventgrid.TypeSubscriptionDeleted: true,
}

// typeClass bounds metric label cardinality: known types as themselves,
// anything else as "other".
func typeClass(t string) string {
	if knownTypes[t] {
		return t
	}
	return "other"
}
