package control_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callscope/callscope/recording"
	"github.com/callscope/callscope/recording/acs"
	"github.com/callscope/callscope/recording/acstest"
	"github.com/callscope/callscope/recording/callback"
	"github.com/callscope/callscope/recording/control"
	"github.com/callscope/callscope/recording/rules"
)

const rulesYAML = `
rules:
  - name: record-tollfree
    on: Microsoft.Communication.CallStarted
    when: "call.participants.exists(p, p.phone.startsWith('+1800'))"
    do: start
    with: { channel: unmixed, content: audio, format: wav }
  - name: pci-pause
    on: Microsoft.Communication.ContinuousDtmfRecognitionToneReceived
    when: "event.tone == 'asterisk'"
    do: pause
  - name: pci-resume
    on: Microsoft.Communication.ContinuousDtmfRecognitionToneReceived
    when: "event.tone == 'pound'"
    do: resume
    with: { resumes: [pci-pause] }
  - name: stop-when-alone
    on: Microsoft.Communication.ParticipantsUpdated
    when: "size(event.participants) < 2"
    do: stop
`

// harness wires the simulator, a controller and the callback handler.
type harness struct {
	t        *testing.T
	clock    *acstest.ManualClock
	sim      *acstest.Server
	client   *acs.Client
	ctl      *control.Controller
	sink     *control.MemorySink
	dir      string
	cbURL    string
	hook     *webhook
	call     *acstest.Call
	rules    *rules.Set
	cbServer *httptest.Server
	mu       sync.Mutex
	handler  http.Handler
}

type webhook struct {
	mu     sync.Mutex
	bodies [][]byte
}

func (w *webhook) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	w.mu.Lock()
	w.bodies = append(w.bodies, b)
	w.mu.Unlock()
}

func sine(freq float64, n int, amp float32) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = amp * float32(math.Sin(2*math.Pi*freq*float64(i)/16000))
	}
	return out
}

func newHarness(t *testing.T, faults acstest.Faults) *harness {
	t.Helper()
	h := &harness{t: t, clock: acstest.NewManualClock(time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)), hook: &webhook{}, dir: t.TempDir()}
	hookSrv := httptest.NewServer(h.hook)
	t.Cleanup(hookSrv.Close)
	spec, err := acstest.LoadSpecFiles("../../testdata/acs/spec")
	if err != nil {
		t.Fatal(err)
	}
	h.sim = acstest.NewServer(acstest.Options{Clock: h.clock.Now, EventGridWebhook: hookSrv.URL, Faults: faults, Spec: spec})
	t.Cleanup(h.sim.Close)
	h.client, err = acs.NewClientFromConnectionString(h.sim.ConnectionString(), acs.Options{RetryDelay: time.Millisecond, MaxRetryDelay: 2 * time.Millisecond, MaxAttempts: 3})
	if err != nil {
		t.Fatal(err)
	}
	h.client.Now = h.clock.Now
	h.rules, err = rules.Parse("test.yaml", []byte(rulesYAML))
	if err != nil {
		t.Fatal(err)
	}
	h.sink = &control.MemorySink{}
	h.open()
	h.call = h.sim.AddCall(acstest.Call{
		CallConnectionIDs: []string{"421fc800-50bf-4013-9875-290682f8f031"},
		Start:             h.clock.Now(),
		Participants: []acstest.Participant{
			{RawID: "4:+18005550100", Audio: sine(440, 16000*60, 0.3)},
			{RawID: "8:acs:631fa8d8-aab5-4ac5-8e15-261aa2590750_0000000c-d8b0", Audio: sine(660, 16000*60, 0.2)},
		},
	})
	return h
}

// open (re)creates the controller on the same state directory, as a
// process restart does, and points the callback endpoint at it.
func (h *harness) open() {
	h.t.Helper()
	if h.cbServer == nil {
		h.cbServer = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.mu.Lock()
			hd := h.handler
			h.mu.Unlock()
			hd.ServeHTTP(w, r)
		}))
		h.t.Cleanup(h.cbServer.Close)
		h.cbURL = h.cbServer.URL + "/api/callbacks"
	}
	ctl, err := control.Open(h.dir, h.client, h.rules, h.sink, control.Options{Now: h.clock.Now, CallbackURI: h.cbURL})
	if err != nil {
		h.t.Fatal(err)
	}
	hd, err := callback.NewHandler(h.t.Context(), callback.Options{OpenIDConfigURL: h.sim.OpenIDConfigURL(), Audience: h.sim.ResourceID(), Now: h.clock.Now}, ctl)
	if err != nil {
		h.t.Fatal(err)
	}
	h.mu.Lock()
	h.ctl, h.handler = ctl, hd
	h.mu.Unlock()
}

func (h *harness) callStarted(id string) {
	h.t.Helper()
	data := fmt.Sprintf(`{"startedBy":{"communicationIdentifier":{"kind":"phoneNumber","rawId":"4:+18005550100"},"role":"UserRole"},"serverCallId":%q,"isTwoParty":true,"correlationId":%q}`,
		h.call.ServerCallID, h.call.CorrelationID)
	if err := h.ctl.HandlePlatformEvent(context.Background(), recording.EventCallStarted, id, h.clock.Now(), json.RawMessage(data)); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) idle() {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.sim.WaitIdle(ctx); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) state() control.Call {
	h.t.Helper()
	c, ok := h.ctl.Find(h.call.ServerCallID)
	if !ok {
		h.t.Fatal("call unknown to the controller")
	}
	return c
}

func (h *harness) participants(n int) {
	ps := []map[string]any{}
	for i, p := range h.call.Participants {
		if i < n {
			ps = append(ps, map[string]any{"identifier": map[string]any{"rawId": p.RawID}, "isMuted": false})
		}
	}
	h.sim.SendCallback(h.cbURL, "ParticipantsUpdated", "calling/callConnections/"+h.call.CallConnectionIDs[0], map[string]any{
		"participants": ps, "sequenceNumber": 20, "serverCallId": h.call.ServerCallID, "correlationId": h.call.CorrelationID,
		"callConnectionId": h.call.CallConnectionIDs[0],
	})
}

func rowsOf(evs []control.Event, outcome string) []string {
	var out []string
	for _, e := range evs {
		if e.Outcome == outcome {
			out = append(out, e.Action+":"+e.Rule)
		}
	}
	return out
}

func TestPCIPauseResumeLifecycle(t *testing.T) {
	for _, tc := range []struct {
		name   string
		faults acstest.Faults
	}{
		{"clean", acstest.Faults{}},
		{"duplicated and reordered callbacks", acstest.Faults{DuplicateCallbacks: true, ReorderCallbacks: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.faults)
			h.callStarted("ev-1")
			h.idle()
			if st := h.state(); st.State != control.Active || st.RecordingID == "" {
				t.Fatalf("after CallStarted: %+v", st)
			}
			h.callStarted("ev-1")  // duplicate delivery
			h.callStarted("ev-1b") // same call, new event id
			h.idle()
			if n := len(h.sim.Recordings()); n != 1 {
				t.Fatalf("%d recordings, want 1", n)
			}
			h.clock.Advance(5 * time.Second)
			h.sim.SendTone(h.cbURL, h.call, 1, "asterisk")
			h.idle()
			if st := h.state(); st.State != control.Paused || st.PausedBy != "pci-pause" {
				t.Fatalf("after *: %+v", st)
			}
			h.clock.Advance(3 * time.Second)
			h.sim.SendTone(h.cbURL, h.call, 2, "pound")
			h.idle()
			if st := h.state(); st.State != control.Active {
				t.Fatalf("after #: %+v", st)
			}
			h.clock.Advance(4 * time.Second)
			h.participants(1)
			h.idle()
			st := h.state()
			if st.State != control.Stopped {
				t.Fatalf("after participant left: %+v", st)
			}
			info, _ := h.sim.Recording(st.RecordingID)
			if info.StartRequests != 1 || info.Pauses != 1 || info.Resumes != 1 || !info.Stopped {
				t.Errorf("service saw %+v", info)
			}
			ok := rowsOf(h.sink.Events(), "ok")
			want := []string{"start:record-tollfree", "pause:pci-pause", "resume:pci-resume", "stop:stop-when-alone"}
			if strings.Join(ok, ",") != strings.Join(want, ",") {
				t.Errorf("ok actions %v, want %v", ok, want)
			}
			skipped := rowsOf(h.sink.Events(), "skipped")
			if len(skipped) != 1 || skipped[0] != "start:record-tollfree" {
				t.Errorf("skipped %v", skipped)
			}
			checkRecording(t, h, st.RecordingID)
			for _, v := range h.sim.SpecViolations() {
				t.Errorf("spec: %s", v)
			}
		})
	}
}

// checkRecording downloads what the simulator produced (signed against
// the ACS host, following the redirect) and checks the pause.
func checkRecording(t *testing.T, h *harness, recID string) {
	t.Helper()
	h.hook.mu.Lock()
	bodies := h.hook.bodies
	h.hook.mu.Unlock()
	if len(bodies) != 1 {
		t.Fatalf("%d webhook deliveries, want 1", len(bodies))
	}
	var evs []struct {
		Subject   string                      `json:"subject"`
		EventType string                      `json:"eventType"`
		Data      recording.FileStatusUpdated `json:"data"`
	}
	if err := json.Unmarshal(bodies[0], &evs); err != nil {
		t.Fatal(err)
	}
	if recording.ParseSubject(evs[0].Subject).RecordingID != recID {
		t.Errorf("subject %s", evs[0].Subject)
	}
	ch := evs[0].Data.RecordingStorageInfo.RecordingChunks
	if len(ch) != 1 || !ch[0].IsLast() {
		t.Fatalf("chunks %+v", ch)
	}
	md, err := recording.ParseMetadata(download(t, h, ch[0].MetadataLocation))
	if err != nil {
		t.Fatal(err)
	}
	if len(md.PauseResumeIntervals) != 1 || md.PauseResumeIntervals[0].Duration() != 3*time.Second ||
		!md.PauseResumeIntervals[0].StartTime.Equal(h.call.Start.Add(5*time.Second)) {
		t.Errorf("pauses %+v", md.PauseResumeIntervals)
	}
	if md.ChunkDurationMs != 9000 || len(md.Participants) != 2 {
		t.Errorf("metadata %+v", md)
	}
	wav := download(t, h, ch[0].ContentLocation)
	if nch := binary.LittleEndian.Uint16(wav[22:]); nch != 2 {
		t.Errorf("%d channels", nch)
	}
	if n := binary.LittleEndian.Uint32(wav[40:]); n != 9*16000*2*2 {
		t.Errorf("data size %d, want 9 s of 2 channels", n)
	}
}

func download(t *testing.T, h *harness, loc string) []byte {
	t.Helper()
	signer, _ := acs.NewHMACSigner(h.sim.AccessKey())
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for hop := 0; hop < 3; hop++ {
		req, _ := http.NewRequest(http.MethodGet, loc, nil)
		if err := signer.Sign(req, nil, h.sim.Host(), h.clock.Now()); err != nil {
			t.Fatal(err)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusFound:
			loc = resp.Header.Get("Location")
			continue
		case http.StatusOK, http.StatusPartialContent:
			return b
		default:
			t.Fatalf("download %s: HTTP %d %s", loc, resp.StatusCode, b)
		}
	}
	t.Fatal("too many redirects")
	return nil
}

func TestRestartAndRecoverPendingStart(t *testing.T) {
	h := newHarness(t, acstest.Faults{})
	// The service fails every attempt of the first start: it stays pending
	// with its repeatability headers persisted.
	h.sim.SetFaults(acstest.Faults{FailRequests: 3, FailStatus: 503})
	h.callStarted("ev-1")
	st := h.state()
	if st.State != control.Starting || st.Start == nil || st.Start.RepeatabilityID == "" {
		t.Fatalf("after failed start: %+v", st)
	}
	firstID := st.Start.RepeatabilityID
	if got := rowsOf(h.sink.Events(), "pending"); len(got) != 1 {
		t.Errorf("pending rows %v", got)
	}
	// Restart: the state comes back from disk; Recover re-sends the same
	// start.
	h.open()
	if st := h.state(); st.State != control.Starting || st.Start.RepeatabilityID != firstID {
		t.Fatalf("after restart: %+v", st)
	}
	if err := h.ctl.Recover(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.idle()
	st = h.state()
	if st.State != control.Active || st.RecordingID == "" {
		t.Fatalf("after recover: %+v", st)
	}
	var ids []string
	for _, e := range h.sim.Exchanges() {
		if e.Method == http.MethodPost && e.EscapedPath == "/calling/recordings" {
			ids = append(ids, e.Header.Get("Repeatability-Request-ID"))
		}
	}
	if len(ids) != 4 {
		t.Fatalf("%d start attempts, want 4", len(ids))
	}
	for _, id := range ids {
		if id != firstID {
			t.Errorf("attempt used repeatability id %s, want %s", id, firstID)
		}
	}
	// Recover again after another restart: the start is answered, nothing
	// is sent. A replayed CallStarted is a duplicate.
	h.open()
	if err := h.ctl.Recover(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.callStarted("ev-1")
	h.idle()
	if n := len(h.sim.Recordings()); n != 1 {
		t.Errorf("%d recordings", n)
	}
	if info, _ := h.sim.Recording(st.RecordingID); info.StartRequests != 1 {
		t.Errorf("start reached the service %d times", info.StartRequests)
	}
}

func TestExternalPauseNotResumedByRule(t *testing.T) {
	h := newHarness(t, acstest.Faults{})
	h.callStarted("ev-1")
	h.idle()
	st := h.state()
	h.clock.Advance(2 * time.Second)
	// An operator pauses with the CLI (straight to the service).
	if _, err := h.client.PauseRecording(context.Background(), st.RecordingID); err != nil {
		t.Fatal(err)
	}
	h.idle()
	if st := h.state(); st.State != control.Paused || st.PausedBy != control.ByExternal {
		t.Fatalf("after operator pause: %+v", st)
	}
	h.clock.Advance(2 * time.Second)
	h.sim.SendTone(h.cbURL, h.call, 1, "pound")
	h.idle()
	if st := h.state(); st.State != control.Paused {
		t.Fatalf("rule resumed an operator pause: %+v", st)
	}
	if info, _ := h.sim.Recording(st.RecordingID); info.Resumes != 0 {
		t.Errorf("resume sent")
	}
	sk := rowsOf(h.sink.Events(), "skipped")
	if len(sk) != 1 || sk[0] != "resume:pci-resume" {
		t.Errorf("skipped %v", sk)
	}
	// A pause rule does not pause twice either.
	h.sim.SendTone(h.cbURL, h.call, 2, "asterisk")
	h.idle()
	if info, _ := h.sim.Recording(st.RecordingID); info.Pauses != 1 {
		t.Errorf("%d pauses sent", info.Pauses)
	}
}

func TestEndedCallNotActedOn(t *testing.T) {
	h := newHarness(t, acstest.Faults{})
	h.callStarted("ev-1")
	h.idle()
	st := h.state()
	h.clock.Advance(3 * time.Second)
	h.sim.EndCall(h.call, h.cbURL)
	h.idle()
	if st := h.state(); st.State != control.Stopped || !st.Ended {
		t.Fatalf("after hang-up: %+v", st)
	}
	n := len(h.sim.Exchanges())
	h.sim.SendTone(h.cbURL, h.call, 1, "asterisk") // late tone
	h.callStarted("ev-late")
	h.idle()
	if len(h.sim.Exchanges()) != n {
		t.Error("a request was sent for a finished call")
	}
	if info, _ := h.sim.Recording(st.RecordingID); !info.Stopped || len(info.DocumentIDs) != 1 {
		t.Errorf("recording %+v", info)
	}
	// State survives a restart: still ended.
	h.open()
	if st := h.state(); !st.Ended || st.State != control.Stopped {
		t.Errorf("after restart %+v", st)
	}
}

func TestStaleStateEventsIgnored(t *testing.T) {
	h := newHarness(t, acstest.Faults{})
	h.callStarted("ev-1")
	h.idle()
	st := h.state()
	h.clock.Advance(5 * time.Second)
	h.sim.SendTone(h.cbURL, h.call, 1, "asterisk")
	h.idle()
	// A delayed "active" stamped before the pause must not flip the state.
	stale := h.clock.Now().Add(-4 * time.Second)
	body := fmt.Sprintf(`[{"id":"late-1","type":"Microsoft.Communication.RecordingStateChanged","specversion":"1.0","time":%q,
	 "data":{"recordingId":%q,"state":"active","startDateTime":%q,"serverCallId":%q,"correlationId":%q,"callConnectionId":"bot-leg"}}]`,
		stale.Format(time.RFC3339Nano), st.RecordingID, stale.Format(time.RFC3339Nano), h.call.ServerCallID, h.call.CorrelationID)
	evs, err := callback.Decode([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if err := h.ctl.HandleCallbacks(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
	if st := h.state(); st.State != control.Paused || st.PausedBy != "pci-pause" {
		t.Errorf("stale active applied: %+v", st)
	}
}

func TestOperatorPause(t *testing.T) {
	h := newHarness(t, acstest.Faults{})
	h.callStarted("ev-1")
	h.idle()
	st := h.state()
	h.clock.Advance(time.Second)
	if err := h.ctl.Operator(context.Background(), rules.Pause, st.RecordingID); err != nil {
		t.Fatal(err)
	}
	h.idle()
	if st := h.state(); st.State != control.Paused || st.PausedBy != control.ByOperator {
		t.Fatalf("after operator pause: %+v", st)
	}
	// pci-resume names only pci-pause: the operator's pause stays.
	h.sim.SendTone(h.cbURL, h.call, 1, "pound")
	h.idle()
	if st := h.state(); st.State != control.Paused {
		t.Fatalf("rule lifted an operator pause: %+v", st)
	}
	if err := h.ctl.Operator(context.Background(), rules.Pause, st.RecordingID); err == nil {
		t.Error("second operator pause succeeded")
	}
	if err := h.ctl.Operator(context.Background(), rules.Resume, h.call.ServerCallID); err != nil {
		t.Fatal(err)
	}
	if st := h.state(); st.State != control.Active {
		t.Fatalf("after operator resume: %+v", st)
	}
	if err := h.ctl.Operator(context.Background(), rules.Stop, "unknown"); err == nil {
		t.Error("unknown id accepted")
	}
}

func TestStartRecordingFailed(t *testing.T) {
	h := newHarness(t, acstest.Faults{FailStarts: 1})
	h.callStarted("ev-1")
	h.idle()
	st := h.state()
	if st.State != control.Idle || st.RecordingID != "" {
		t.Fatalf("after StartRecordingFailed: %+v", st)
	}
	// A later start (a new event) is allowed and succeeds.
	h.callStarted("ev-2")
	h.idle()
	if st := h.state(); st.State != control.Active || st.RecordingID == "" {
		t.Fatalf("second start: %+v", st)
	}
	if n := len(h.sim.Recordings()); n != 2 {
		t.Errorf("%d recordings, want the failed one and the second", n)
	}
}

// TestConcurrentDuplicates: many calls, each CallStarted delivered several
// times concurrently (and twice with different ids): one recording per call.
func TestConcurrentDuplicates(t *testing.T) {
	h := newHarness(t, acstest.Faults{})
	const calls = 12
	var cs []*acstest.Call
	for i := 0; i < calls; i++ {
		cs = append(cs, h.sim.AddCall(acstest.Call{Start: h.clock.Now(), Participants: []acstest.Participant{{RawID: "4:+18005550100", Audio: sine(300, 16000, 0.2)}}}))
	}
	var wg sync.WaitGroup
	for i, c := range cs {
		for k := 0; k < 4; k++ {
			wg.Add(1)
			go func(c *acstest.Call, id string) {
				defer wg.Done()
				data := fmt.Sprintf(`{"startedBy":{"communicationIdentifier":{"rawId":"4:+18005550100"}},"serverCallId":%q,"correlationId":%q}`, c.ServerCallID, c.CorrelationID)
				if err := h.ctl.HandlePlatformEvent(context.Background(), recording.EventCallStarted, id, h.clock.Now(), json.RawMessage(data)); err != nil {
					t.Error(err)
				}
			}(c, fmt.Sprintf("start-%d-%d", i, k%2))
		}
	}
	wg.Wait()
	h.idle()
	if n := len(h.sim.Recordings()); n != calls {
		t.Errorf("%d recordings for %d calls", n, calls)
	}
	for _, r := range h.sim.Recordings() {
		if r.StartRequests != 1 {
			t.Errorf("recording %s got %d start requests", r.ID, r.StartRequests)
		}
	}
	for _, c := range h.ctl.Calls() {
		if c.ServerCallID != "" && c.State != control.Active {
			t.Errorf("call %s: %s", c.Key, c.State)
		}
	}
}

func TestCorruptStateFileSkipped(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "broken.json"), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".call-123.tmp"), []byte("partial"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctl, err := control.Open(dir, nil, nil, nil, control.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(ctl.Calls()); n != 0 {
		t.Errorf("%d calls from a corrupt directory", n)
	}
	if _, err := os.Stat(filepath.Join(dir, ".call-123.tmp")); !os.IsNotExist(err) {
		t.Error("leftover temp file not removed")
	}
}

func TestPrune(t *testing.T) {
	h := newHarness(t, acstest.Faults{})
	h.callStarted("ev-1")
	h.idle()
	h.sim.EndCall(h.call, h.cbURL)
	h.idle()
	if n := h.ctl.Prune(); n != 0 {
		t.Errorf("pruned %d fresh calls", n)
	}
	h.clock.Advance(49 * time.Hour)
	if n := h.ctl.Prune(); n != 1 {
		t.Errorf("pruned %d, want 1", n)
	}
	if _, ok := h.ctl.Find(h.call.ServerCallID); ok {
		t.Error("pruned call still found")
	}
	ents, _ := os.ReadDir(h.dir)
	if len(ents) != 0 {
		t.Errorf("state files left: %d", len(ents))
	}
}

// A rule that fails on a DTMF event must not leak the tone into the log.
func TestDTMFEvalErrorsRedacted(t *testing.T) {
	var logb strings.Builder
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return logb.Write(p) }), nil))
	set, err := rules.Parse("r.yaml", []byte("rules:\n  - name: bad\n    on: Microsoft.Communication.ContinuousDtmfRecognitionToneReceived\n    when: \"int(event.tone) > 1\"\n    do: pause\n"))
	if err != nil {
		t.Fatal(err)
	}
	ctl, err := control.Open(t.TempDir(), nil, set, nil, control.Options{Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	if err := ctl.Handle(context.Background(), control.Input{Type: callback.TypeContinuousDtmfRecognitionToneReceived, ID: "t1", ServerCallID: "s",
		Data: map[string]any{"tone": "asterisk"}}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(logb.String(), "r.yaml:2 bad") || strings.Contains(logb.String(), "asterisk") {
		t.Errorf("log: %s", logb.String())
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// While callscope was down the operator paused one call and another
// recording ended: Recover follows the service.
func TestRecoverReconciles(t *testing.T) {
	h := newHarness(t, acstest.Faults{})
	h.callStarted("ev-1")
	h.idle()
	st := h.state()
	other := h.sim.AddCall(acstest.Call{Start: h.clock.Now(), Participants: []acstest.Participant{{RawID: "4:+18005550100", Audio: sine(300, 16000*5, 0.2)}}})
	data := fmt.Sprintf(`{"startedBy":{"communicationIdentifier":{"rawId":"4:+18005550100"}},"serverCallId":%q,"correlationId":%q}`, other.ServerCallID, other.CorrelationID)
	if err := h.ctl.HandlePlatformEvent(context.Background(), recording.EventCallStarted, "ev-2", h.clock.Now(), json.RawMessage(data)); err != nil {
		t.Fatal(err)
	}
	h.idle()
	o, _ := h.ctl.Find(other.ServerCallID)
	// "Down": callbacks fail, so the controller does not hear about the
	// operator's pause or the stop.
	h.mu.Lock()
	h.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
	h.mu.Unlock()
	h.clock.Advance(2 * time.Second)
	if _, err := h.client.PauseRecording(context.Background(), st.RecordingID); err != nil {
		t.Fatal(err)
	}
	if _, err := h.client.StopRecording(context.Background(), o.RecordingID); err != nil {
		t.Fatal(err)
	}
	h.idle()
	if got := h.state(); got.State != control.Active {
		t.Fatalf("controller heard the pause while down: %s", got.State)
	}
	h.open() // restart: state from disk, callbacks flowing again
	if err := h.ctl.Recover(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := h.state(); got.State != control.Paused {
		t.Errorf("first call %s, want paused", got.State)
	}
	if got, _ := h.ctl.Find(other.ServerCallID); got.State != control.Stopped {
		t.Errorf("second call %s, want stopped", got.State)
	}
}
