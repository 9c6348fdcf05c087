package control

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/callscope/callscope/recording/acs"
	"github.com/callscope/callscope/recording/callback"
	"github.com/callscope/callscope/recording/rules"
)

// Recorder is the recording REST API (*acs.Client).
type Recorder interface {
	StartRecording(ctx context.Context, req acs.StartRequest, so acs.StartOptions) (*acs.StartResult, error)
	PauseRecording(ctx context.Context, recordingID string) (acs.ResponseInfo, error)
	ResumeRecording(ctx context.Context, recordingID string) (acs.ResponseInfo, error)
	StopRecording(ctx context.Context, recordingID string) (acs.ResponseInfo, error)
	GetRecording(ctx context.Context, recordingID string) (*acs.RecordingState, error)
}

var _ Recorder = (*acs.Client)(nil)

// RuleSource evaluates rules (*rules.Engine or *rules.Set).
type RuleSource interface {
	Evaluate(ev rules.Event) ([]rules.Match, error)
}

// Event is one row of the recording_events table.
type Event struct {
	Time          time.Time
	RecordingID   string
	ServerCallID  string
	CorrelationID string
	Event         string // the event type that triggered it
	Action        string // start, pause, resume, stop; "" for a state change
	Rule          string
	Outcome       string // ok, failed, skipped, pending, or "state" for a state change
	Detail        string
	EventID       string // stable id for deduplication
}

// EventSink receives recording_events rows.
type EventSink interface {
	RecordEvents(ctx context.Context, evs []Event) error
}

// MemorySink keeps rows in memory (dry runs, tests, and until a store is
// wired).
type MemorySink struct {
	mu     sync.Mutex
	events []Event
}

// RecordEvents appends evs.
func (m *MemorySink) RecordEvents(_ context.Context, evs []Event) error {
	m.mu.Lock()
	m.events = append(m.events, evs...)
	m.mu.Unlock()
	return nil
}

// Events returns a copy of the rows.
func (m *MemorySink) Events() []Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.events)
}

// Options configure a Controller.
type Options struct {
	// Start holds the start defaults a rule's "with" overrides. Default
	// unmixed audio WAV.
	Start rules.Params `yaml:"start"`
	// CallbackURI is the recordingStateCallbackUri sent with starts (the
	// public URL of POST /api/callbacks) unless a rule sets one.
	CallbackURI string `yaml:"callback_uri"`
	// Retention is how long the state of an ended or stopped call is kept.
	// Default 48 h.
	Retention time.Duration `yaml:"retention"`

	Logger *slog.Logger     `yaml:"-"`
	Now    func() time.Time `yaml:"-"`
}

// DefaultOptions returns the defaults.
func DefaultOptions() Options {
	return Options{Start: rules.Params{Channel: acs.ChannelUnmixed, Content: acs.ContentAudio, Format: acs.FormatWav}, Retention: 48 * time.Hour}
}

// Controller is the state machine of every call. It is safe for
// concurrent use; events of one call are processed one at a time.
type Controller struct {
	st    store
	rec   Recorder
	rules RuleSource
	sink  EventSink
	opts  Options
	log   *slog.Logger

	mu       sync.Mutex
	calls    map[string]*entry
	byRec    map[string]string
	byServer map[string]string
	byCorr   map[string]string
}

type entry struct {
	mu   sync.Mutex
	call *Call
}

// Open loads the call states under dir (created if needed) and returns a
// controller. rules may be nil (manual control only); sink nil discards.
func Open(dir string, rec Recorder, rs RuleSource, sink EventSink, opts Options) (*Controller, error) {
	d := DefaultOptions()
	if opts.Start.Channel == "" && opts.Start.Content == "" && opts.Start.Format == "" {
		opts.Start.Channel, opts.Start.Content, opts.Start.Format = d.Start.Channel, d.Start.Content, d.Start.Format
	}
	if opts.Retention <= 0 {
		opts.Retention = d.Retention
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if sink == nil {
		sink = &MemorySink{}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("control state dir: %w", err)
	}
	c := &Controller{
		st: store{dir}, rec: rec, rules: rs, sink: sink, opts: opts, log: opts.Logger,
		calls: map[string]*entry{}, byRec: map[string]string{}, byServer: map[string]string{}, byCorr: map[string]string{},
	}
	calls, err := c.st.load()
	if err != nil {
		c.log.Error("some call states could not be loaded", "error", err)
	}
	now := opts.Now()
	for _, call := range calls {
		if (call.Ended || call.State == Stopped) && now.Sub(call.UpdatedAt) > opts.Retention {
			_ = c.st.remove(call.Key)
			continue
		}
		c.calls[call.Key] = &entry{call: call}
		c.index(call)
	}
	return c, nil
}

// index records call's identifiers; c.mu must be held.
func (c *Controller) index(call *Call) {
	if call.RecordingID != "" {
		c.byRec[call.RecordingID] = call.Key
	}
	if call.ServerCallID != "" {
		c.byServer[call.ServerCallID] = call.Key
	}
	if call.CorrelationID != "" {
		c.byCorr[call.CorrelationID] = call.Key
	}
}

// Input is a normalised call event.
type Input struct {
	Type          string // full event type
	ID            string // event id (dedupe)
	Time          time.Time
	RecordingID   string
	ServerCallID  string
	CorrelationID string
	GroupCallID   string
	Participants  []string // raw ids mentioned by the event
	// RecordingStateChanged: State "active"/"inactive" and StartDateTime
	// (zero when the service sent the zero time).
	State         string
	StartDateTime time.Time
	// Data is the event's data object for the rules.
	Data map[string]any
}

// lookup finds or creates the entry of in: by recordingId, then
// serverCallId, then correlationId. It returns nil when in carries none of
// them.
func (c *Controller) lookup(in Input) *entry {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := ""
	for _, k := range []struct {
		m  map[string]string
		id string
	}{{c.byRec, in.RecordingID}, {c.byServer, in.ServerCallID}, {c.byCorr, in.CorrelationID}} {
		if k.id == "" {
			continue
		}
		if v, ok := k.m[k.id]; ok {
			key = v
			break
		}
	}
	if key == "" {
		switch {
		case in.ServerCallID != "":
			key = "s:" + in.ServerCallID
		case in.CorrelationID != "":
			key = "c:" + in.CorrelationID
		case in.RecordingID != "":
			key = "r:" + in.RecordingID
		default:
			return nil
		}
	}
	e, ok := c.calls[key]
	if !ok {
		e = &entry{call: &Call{Key: key, State: Idle}}
		c.calls[key] = e
	}
	return e
}

// Handle processes one event: it updates the call's identifiers, applies
// RecordingStateChanged / StartRecordingFailed / call-end, evaluates the
// rules and executes their actions. It returns an error only when the call
// state could not be persisted (the sender should retry).
func (c *Controller) Handle(ctx context.Context, in Input) error {
	e := c.lookup(in)
	if e == nil {
		c.log.Warn("event without recordingId, serverCallId or correlationId ignored", "type", in.Type, "id", in.ID)
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	call := e.call
	if call.seen(in.ID) {
		c.log.Debug("duplicate event ignored", "type", in.Type, "id", in.ID)
		return nil
	}
	c.mu.Lock()
	if call.ServerCallID == "" {
		call.ServerCallID = in.ServerCallID
	}
	if call.CorrelationID == "" {
		call.CorrelationID = in.CorrelationID
	}
	if call.GroupCallID == "" {
		call.GroupCallID = in.GroupCallID
	}
	if call.RecordingID == "" && in.RecordingID != "" && call.State != Idle {
		call.RecordingID = in.RecordingID
	}
	c.index(call)
	c.mu.Unlock()
	for _, p := range in.Participants {
		call.addParticipant(p)
	}
	if in.Time.IsZero() {
		in.Time = c.opts.Now()
	}
	var rows []Event
	row := func(action, rule, outcome, detail string) {
		rows = append(rows, Event{
			Time: c.opts.Now(), RecordingID: call.RecordingID, ServerCallID: call.ServerCallID, CorrelationID: call.CorrelationID,
			Event: in.Type, Action: action, Rule: rule, Outcome: outcome, Detail: detail,
			EventID: eventID(in.ID, in.Type, action, rule, outcome, detail),
		})
	}
	// A start left unfinished (crash, exhausted retries) is re-sent with
	// its original repeatability headers.
	if call.State == Starting && call.RecordingID == "" && call.Start != nil && !call.Ended {
		c.sendStart(ctx, call, row)
	}
	c.observe(call, in, row)
	if c.rules != nil {
		rev := rules.Event{Type: in.Type, ID: in.ID, Time: in.Time, Data: in.Data, Call: call.callVar(), Recording: call.recordingVar()}
		if rev.Data == nil {
			rev.Data = map[string]any{}
		}
		matches, err := c.rules.Evaluate(rev)
		if err != nil {
			msg := err.Error()
			if strings.Contains(in.Type, "Dtmf") {
				// A CEL error may quote the tone; name the rules only.
				msg = "details withheld on DTMF events: " + failedRules(err)
			}
			c.log.Warn("rule evaluation failed", "type", in.Type, "error", msg)
		}
		for _, m := range matches {
			c.execute(ctx, call, m.Rule, m.Action, m.With, row)
		}
	}
	call.markSeen(in.ID)
	call.UpdatedAt = c.opts.Now()
	if err := c.st.save(call); err != nil {
		return err
	}
	c.emit(ctx, rows)
	return nil
}

func (c *Controller) emit(ctx context.Context, rows []Event) {
	if len(rows) == 0 {
		return
	}
	if err := c.sink.RecordEvents(ctx, rows); err != nil {
		c.log.Error("recording_events write failed", "rows", len(rows), "error", err.Error())
	}
}

func eventID(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// transition changes the state and logs it.
func (c *Controller) transition(call *Call, to State, at time.Time, why string, row func(action, rule, outcome, detail string)) {
	if call.State == to {
		return
	}
	from := call.State
	call.State = to
	if at.After(call.LastChange) {
		call.LastChange = at
	}
	if to != Paused {
		call.PausedBy = ""
	}
	row("", "", "state", fmt.Sprintf("%s -> %s: %s", from, to, why))
	c.log.Info("recording state", "call", call.Key, "recording", call.RecordingID, "from", string(from), "to", string(to), "why", why)
}

// observe applies what the event says about the recording or the call.
func (c *Controller) observe(call *Call, in Input, row func(action, rule, outcome, detail string)) {
	switch in.Type {
	case callback.TypeRecordingStateChanged:
		if call.RecordingID != "" && in.RecordingID != "" && in.RecordingID != call.RecordingID {
			row("", "", "ignored", "state change for another recording "+in.RecordingID)
			return
		}
		if call.State == Stopped || call.State == Idle {
			row("", "", "ignored", fmt.Sprintf("%s while %s", in.State, call.State))
			return
		}
		stale := !in.Time.After(call.LastChange)
		switch {
		case in.State == acs.StateInactive && in.StartDateTime.IsZero() && call.State == Starting:
			row("", "", "ignored", "inactive before start (zero start time)")
		case in.State == acs.StateInactive && in.StartDateTime.IsZero():
			row("", "", "ignored", "late inactive with zero start time")
		case in.State == acs.StateActive && call.State == Starting:
			c.transition(call, Active, in.Time, "recording confirmed active", row)
		case in.State == acs.StateActive && call.State == Paused:
			if stale {
				row("", "", "ignored", "out-of-order active older than the last transition")
				return
			}
			c.transition(call, Active, in.Time, "resumed outside callscope", row)
		case in.State == acs.StateInactive && call.State == Active:
			if stale {
				row("", "", "ignored", "out-of-order inactive older than the last transition")
				return
			}
			c.transition(call, Paused, in.Time, "paused outside callscope", row)
			call.PausedBy = ByExternal
		case in.State == acs.StateInactive && call.State == Starting:
			c.transition(call, Paused, in.Time, "recording started paused", row)
			if call.PausedBy == "" {
				call.PausedBy = call.StartedBy
			}
		}
	case callback.TypeStartRecordingFailed:
		if call.State == Starting || call.State == Active || call.State == Paused {
			c.transition(call, Idle, in.Time, "start recording failed", row)
			call.RecordingID, call.Start = "", nil
		}
	case callback.TypeCallDisconnected, "Microsoft.Communication.CallEnded":
		if !call.Ended {
			call.Ended = true
			row("", "", "state", "call ended")
			if call.State == Active || call.State == Paused || call.State == Starting {
				c.transition(call, Stopped, in.Time, "call ended", row)
			}
		}
	}
}

// execute runs one rule action against the call.
func (c *Controller) execute(ctx context.Context, call *Call, rule string, act rules.Action, with rules.Params, row func(action, rule, outcome, detail string)) {
	skip := func(why string) {
		row(string(act), rule, "skipped", why)
		c.log.Info("action skipped", "call", call.Key, "rule", rule, "action", string(act), "why", why)
	}
	if call.Ended {
		skip("call ended")
		return
	}
	switch act {
	case rules.Start:
		if call.State != Idle {
			skip("recording already " + string(call.State))
			return
		}
		p := c.opts.Start
		if with.Channel != "" {
			p.Channel = with.Channel
		}
		if with.Content != "" {
			p.Content = with.Content
		}
		if with.Format != "" {
			p.Format = with.Format
		}
		p.PauseOnStart = with.PauseOnStart
		p.CallbackURI = with.CallbackURI
		if p.CallbackURI == "" {
			p.CallbackURI = c.opts.CallbackURI
		}
		p.BYOSContainer = with.BYOSContainer
		if p.BYOSContainer == "" {
			p.BYOSContainer = c.opts.Start.BYOSContainer
		}
		pend := &Pending{RepeatabilityID: acs.NewUUID(), FirstSent: c.opts.Now().UTC().Truncate(time.Second), Rule: rule, Params: p}
		switch {
		case call.ServerCallID != "":
			pend.Locator, pend.LocatorID = acs.LocatorServerCall, call.ServerCallID
		case call.GroupCallID != "":
			pend.Locator, pend.LocatorID = acs.LocatorGroupCall, call.GroupCallID
		default:
			skip("no serverCallId or group id to start on")
			return
		}
		call.Start, call.StartedBy = pend, rule
		c.transition(call, Starting, c.opts.Now(), "rule "+rule, row)
		// Persist before sending: a crash now leaves a start that Recover
		// re-sends with the same Repeatability-Request-ID.
		if err := c.st.save(call); err != nil {
			c.transition(call, Idle, c.opts.Now(), "cannot persist start", row)
			call.Start = nil
			row(string(act), rule, "failed", err.Error())
			return
		}
		c.sendStart(ctx, call, row)
	case rules.Pause:
		if call.State != Active {
			skip("recording " + string(call.State) + describePauser(call))
			return
		}
		if _, err := c.rec.PauseRecording(ctx, call.RecordingID); err != nil {
			row(string(act), rule, "failed", err.Error())
			return
		}
		row(string(act), rule, "ok", "")
		c.transition(call, Paused, c.opts.Now(), "rule "+rule, row)
		call.PausedBy = rule
	case rules.Resume:
		if call.State != Paused {
			skip("recording " + string(call.State))
			return
		}
		if !mayResume(rule, with.Resumes, call.PausedBy) {
			skip("paused by " + call.PausedBy + "; rule may resume only " + resumable(rule, with.Resumes))
			return
		}
		if _, err := c.rec.ResumeRecording(ctx, call.RecordingID); err != nil {
			row(string(act), rule, "failed", err.Error())
			return
		}
		row(string(act), rule, "ok", "was paused by "+call.PausedBy)
		c.transition(call, Active, c.opts.Now(), "rule "+rule, row)
	case rules.Stop:
		if call.State != Active && call.State != Paused {
			skip("recording " + string(call.State))
			return
		}
		if _, err := c.rec.StopRecording(ctx, call.RecordingID); err != nil && !errors.Is(err, acs.ErrNotFound) {
			row(string(act), rule, "failed", err.Error())
			return
		} else if err != nil {
			row(string(act), rule, "ok", "already stopped (404)")
		} else {
			row(string(act), rule, "ok", "")
		}
		c.transition(call, Stopped, c.opts.Now(), "rule "+rule, row)
	}
}

func describePauser(call *Call) string {
	if call.State == Paused && call.PausedBy != "" {
		return " (by " + call.PausedBy + ")"
	}
	return ""
}

func mayResume(rule string, resumes []string, pausedBy string) bool {
	if pausedBy == rule {
		return true
	}
	for _, r := range resumes {
		if r == "*" || r == pausedBy {
			return true
		}
	}
	return false
}

func resumable(rule string, resumes []string) string {
	return strings.Join(append([]string{rule}, resumes...), ", ")
}

// sendStart sends the call's pending start.
func (c *Controller) sendStart(ctx context.Context, call *Call, row func(action, rule, outcome, detail string)) {
	p := call.Start
	req := acs.StartRequest{
		RecordingStateCallbackURI: p.Params.CallbackURI,
		RecordingContentType:      p.Params.Content,
		RecordingChannelType:      p.Params.Channel,
		RecordingFormatType:       p.Params.Format,
		PauseOnStart:              p.Params.PauseOnStart,
	}
	if p.Locator == acs.LocatorGroupCall {
		req.CallLocator = acs.GroupCall(p.LocatorID)
	} else {
		req.CallLocator = acs.ServerCall(p.LocatorID)
	}
	if p.Params.BYOSContainer != "" {
		req.ExternalStorage = &acs.ExternalStorage{RecordingStorageKind: acs.StorageBlob, RecordingDestinationContainerURL: p.Params.BYOSContainer}
	}
	res, err := c.rec.StartRecording(ctx, req, acs.StartOptions{RepeatabilityRequestID: p.RepeatabilityID, FirstSent: p.FirstSent})
	if err != nil {
		var re *acs.ResponseError
		if errors.As(err, &re) && re.StatusCode >= 400 && re.StatusCode < 500 && re.StatusCode != 408 && re.StatusCode != 429 {
			row("start", p.Rule, "failed", err.Error())
			c.transition(call, Idle, c.opts.Now(), "start rejected", row)
			call.Start = nil
			return
		}
		// Transient: keep the pending start; the next event or Recover
		// re-sends it with the same repeatability headers.
		row("start", p.Rule, "pending", err.Error())
		return
	}
	call.RecordingID = res.RecordingID
	c.mu.Lock()
	c.index(call)
	c.mu.Unlock()
	row("start", p.Rule, "ok", fmt.Sprintf("HTTP %d, repeatability %s", res.StatusCode, res.RepeatabilityResult))
	if p.Params.PauseOnStart {
		c.transition(call, Paused, c.opts.Now(), "started paused", row)
		call.PausedBy = p.Rule
	} else {
		c.transition(call, Active, c.opts.Now(), "start accepted", row)
	}
}

// Recover re-sends every start that was persisted but never answered
// (a crash between persisting and the response), with its original
// Repeatability-Request-ID, so the service answers with the recording it
// may already have started instead of starting another. It also
// reconciles active and paused recordings with the service (callbacks may
// have been missed while down): a recording the service no longer knows is
// stopped, one whose state differs follows the service.
func (c *Controller) Recover(ctx context.Context) error {
	c.mu.Lock()
	var es []*entry
	for _, e := range c.calls {
		es = append(es, e)
	}
	c.mu.Unlock()
	var errs []error
	for _, e := range es {
		e.mu.Lock()
		call := e.call
		if call.State == Starting && call.RecordingID == "" && call.Start != nil && !call.Ended {
			var rows []Event
			row := func(action, rule, outcome, detail string) {
				rows = append(rows, Event{Time: c.opts.Now(), RecordingID: call.RecordingID, ServerCallID: call.ServerCallID, CorrelationID: call.CorrelationID,
					Event: "recover", Action: action, Rule: rule, Outcome: outcome, Detail: detail, EventID: eventID("recover", call.Key, call.Start.RepeatabilityID, outcome, detail)})
			}
			c.sendStart(ctx, call, row)
			call.UpdatedAt = c.opts.Now()
			if err := c.st.save(call); err != nil {
				errs = append(errs, err)
			}
			c.emit(ctx, rows)
		} else if (call.State == Active || call.State == Paused) && call.RecordingID != "" && !call.Ended {
			var rows []Event
			row := func(action, rule, outcome, detail string) {
				rows = append(rows, Event{Time: c.opts.Now(), RecordingID: call.RecordingID, ServerCallID: call.ServerCallID, CorrelationID: call.CorrelationID,
					Event: "recover", Action: action, Rule: rule, Outcome: outcome, Detail: detail, EventID: eventID("recover", call.Key, call.RecordingID, string(call.State), detail, c.opts.Now().String())})
			}
			st, err := c.rec.GetRecording(ctx, call.RecordingID)
			switch {
			case errors.Is(err, acs.ErrNotFound):
				c.transition(call, Stopped, c.opts.Now(), "service no longer has the recording", row)
			case err != nil:
				c.log.Warn("reconcile recording state", "call", call.Key, "error", err.Error())
			case st.RecordingState == acs.StateActive && call.State == Paused:
				c.transition(call, Active, c.opts.Now(), "resumed outside callscope (seen at recovery)", row)
			case st.RecordingState == acs.StateInactive && call.State == Active:
				c.transition(call, Paused, c.opts.Now(), "paused outside callscope (seen at recovery)", row)
				call.PausedBy = ByExternal
			}
			if len(rows) > 0 {
				call.UpdatedAt = c.opts.Now()
				if err := c.st.save(call); err != nil {
					errs = append(errs, err)
				}
				c.emit(ctx, rows)
			}
		}
		e.mu.Unlock()
	}
	return errors.Join(errs...)
}

// Calls returns a snapshot of every call's state.
func (c *Controller) Calls() []Call {
	c.mu.Lock()
	es := make([]*entry, 0, len(c.calls))
	for _, e := range c.calls {
		es = append(es, e)
	}
	c.mu.Unlock()
	out := make([]Call, 0, len(es))
	for _, e := range es {
		e.mu.Lock()
		cp := *e.call
		cp.Participants = slices.Clone(cp.Participants)
		cp.SeenEvents = nil
		e.mu.Unlock()
		out = append(out, cp)
	}
	slices.SortFunc(out, func(a, b Call) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// byID returns the call holding id as its recording id, server call id
// or correlation id (in that order), or nil.
func (c *Controller) byID(id string) *entry {
	c.mu.Lock()
	defer c.mu.Unlock()
	key, ok := c.byRec[id]
	if !ok {
		key, ok = c.byServer[id]
	}
	if !ok {
		key, ok = c.byCorr[id]
	}
	if !ok {
		return nil
	}
	return c.calls[key]
}

// Find returns the state of the call holding recordingID, serverCallID or
// correlationID (in that order).
func (c *Controller) Find(id string) (Call, bool) {
	e := c.byID(id)
	if e == nil {
		return Call{}, false
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return *e.call, true
}

// HandleCallbacks implements callback.Sink.
func (c *Controller) HandleCallbacks(ctx context.Context, evs []callback.Event) error {
	var errs []error
	for _, ev := range evs {
		in := Input{
			Type: ev.Type, ID: ev.ID, Time: ev.Time, RecordingID: ev.RecordingID, ServerCallID: ev.ServerCallID,
			CorrelationID: ev.CorrelationID, State: ev.State, StartDateTime: ev.StartDateTime,
		}
		for _, p := range ev.Participants {
			in.Participants = append(in.Participants, p.RawID)
		}
		if len(ev.Data) > 0 {
			_ = json.Unmarshal(ev.Data, &in.Data)
		}
		if err := c.Handle(ctx, in); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// HandlePlatformEvent processes an Event Grid platform event (CallStarted,
// CallEnded, IncomingCall, CallParticipantAdded/Removed, …) given its
// type, id, time and data object.
func (c *Controller) HandlePlatformEvent(ctx context.Context, typ, id string, t time.Time, data json.RawMessage) error {
	var m map[string]any
	if len(data) > 0 {
		if err := json.Unmarshal(data, &m); err != nil {
			return fmt.Errorf("platform event %s data: %w", id, err)
		}
	}
	cv := rules.CallFromData(m)
	in := Input{Type: typ, ID: id, Time: t, Data: m}
	in.ServerCallID, _ = cv["serverCallId"].(string)
	in.CorrelationID, _ = cv["correlationId"].(string)
	in.GroupCallID, _ = cv["groupCallId"].(string)
	if ps, ok := cv["participants"].([]any); ok {
		for _, p := range ps {
			if pm, ok := p.(map[string]any); ok {
				if raw, ok := pm["rawId"].(string); ok {
					in.Participants = append(in.Participants, raw)
				}
			}
		}
	}
	return c.Handle(ctx, in)
}

// Operator applies a manual action (pause, resume or stop) to the call that
// holds id (a recordingId, serverCallId or correlationId) through the state
// machine, as "operator": a pause made this way is resumed by rules only if
// their with.resumes names "operator", and an operator resume lifts any
// pause. The action is written to recording_events with rule "operator".
func (c *Controller) Operator(ctx context.Context, act rules.Action, id string) error {
	if act == rules.Start {
		return errors.New("control: operator start is not supported; use ingest recording start")
	}
	e := c.byID(id)
	if e == nil {
		return fmt.Errorf("control: no call with id %q", id)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	call := e.call
	var rows []Event
	trigger := "operator-" + acs.NewUUID()
	row := func(action, rule, outcome, detail string) {
		rows = append(rows, Event{Time: c.opts.Now(), RecordingID: call.RecordingID, ServerCallID: call.ServerCallID, CorrelationID: call.CorrelationID,
			Event: "operator", Action: action, Rule: rule, Outcome: outcome, Detail: detail, EventID: eventID(trigger, action, outcome, detail)})
	}
	c.execute(ctx, call, ByOperator, act, rules.Params{Resumes: []string{"*"}}, row)
	call.UpdatedAt = c.opts.Now()
	err := c.st.save(call)
	c.emit(ctx, rows)
	for _, r := range rows {
		if r.Action != "" && r.Outcome != "ok" {
			return fmt.Errorf("control: operator %s: %s: %s", act, r.Outcome, r.Detail)
		}
	}
	return err
}

// Prune forgets calls that ended or stopped more than Options.Retention
// ago: their state files are removed and their ids unindexed. It returns how
// many were pruned. Run it periodically in long-running services.
func (c *Controller) Prune() int {
	now := c.opts.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for key, e := range c.calls {
		if !e.mu.TryLock() {
			continue // busy: not finished anyway
		}
		call := e.call
		if (call.Ended || call.State == Stopped) && now.Sub(call.UpdatedAt) > c.opts.Retention {
			if err := c.st.remove(call.Key); err != nil && !os.IsNotExist(err) {
				c.log.Warn("prune call state", "call", key, "error", err)
				e.mu.Unlock()
				continue
			}
			delete(c.calls, key)
			for _, m := range []map[string]string{c.byRec, c.byServer, c.byCorr} {
				for id, k := range m {
					if k == key {
						delete(m, id)
					}
				}
			}
			n++
		}
		e.mu.Unlock()
	}
	return n
}

// failedRules lists the rules of the EvalErrors in err.
func failedRules(err error) string {
	var names []string
	var walk func(error)
	walk = func(e error) {
		var ee *rules.EvalError
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
		} else if errors.As(e, &ee) {
			names = append(names, ee.Pos+" "+ee.Rule)
		}
	}
	walk(err)
	return strings.Join(names, ", ")
}
