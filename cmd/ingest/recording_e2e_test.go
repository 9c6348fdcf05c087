package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callscope/callscope/internal/cli"
	"github.com/callscope/callscope/internal/ingest"
	"github.com/callscope/callscope/pipeline"
	"github.com/callscope/callscope/recording"
	"github.com/callscope/callscope/recording/acs"
	"github.com/callscope/callscope/recording/acstest"
	"github.com/callscope/callscope/recording/callback"
	"github.com/callscope/callscope/recording/control"
	"github.com/callscope/callscope/recording/rules"
	"github.com/callscope/callscope/store"
	_ "github.com/callscope/callscope/store/duckdb" // the SQL engine behind store.Open
)

// readPCM16 reads a 16-bit PCM WAV into one float32 slice per channel.
func readPCM16(t testing.TB, path string) [][]float32 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	nch := int(binary.LittleEndian.Uint16(b[22:]))
	for off := 12; off+8 <= len(b); {
		id, size := string(b[off:off+4]), int(binary.LittleEndian.Uint32(b[off+4:]))
		if id == "data" {
			pcm := b[off+8 : min(off+8+size, len(b))]
			out := make([][]float32, nch)
			frames := len(pcm) / (2 * nch)
			for c := range out {
				out[c] = make([]float32, frames)
				for i := 0; i < frames; i++ {
					out[c][i] = float32(int16(binary.LittleEndian.Uint16(pcm[(i*nch+c)*2:]))) / 32768
				}
			}
			return out
		}
		off += 8 + size + size%2
	}
	t.Fatal("no data chunk")
	return nil
}

type hookCollector struct {
	mu     sync.Mutex
	bodies [][]byte
}

func (h *hookCollector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	h.bodies = append(h.bodies, b)
	h.mu.Unlock()
}

// TestRecordingControlEndToEnd: rules file → CallStarted → unmixed start →
// a DTMF "*" callback pauses (PCI) → "#" resumes → the caller leaves, a
// rule stops → RecordingFileStatusUpdated → download → analyze → Parquet →
// the dataset shows the pause, no dead air inside it, none of the card
// digits typed while paused, and the recording_events rows.
func TestRecordingControlEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	ctx := context.Background()
	src := readPCM16(t, "../../testdata/corpus/synthcall/synthcall_2ch.wav") // 25.4 s; card digits 4711# on channel 1 at 14.37–15.09 s
	const sr = 16000
	// The call: the corpus up to 14.0 s, then 13 s in which both sides are
	// silent except the caller's keypad burst at the end (the corpus's
	// 14.0–15.2 s), then the rest of the corpus.
	splice := func(ch []float32) []float32 {
		out := append([]float32(nil), ch[:14*sr]...)
		out = append(out, make([]float32, 11.8*sr)...)
		out = append(out, ch[14*sr:]...)
		return out
	}
	agent, customer := splice(src[0]), splice(src[1])

	data := t.TempDir()
	clock := acstest.NewManualClock(time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC))
	hook := &hookCollector{}
	hs := httptest.NewServer(hook)
	defer hs.Close()
	spec, err := acstest.LoadSpecFiles("../../testdata/acs/spec")
	if err != nil {
		t.Fatal(err)
	}
	sim := acstest.NewServer(acstest.Options{Clock: clock.Now, EventGridWebhook: hs.URL, Spec: spec})
	defer sim.Close()
	call := sim.AddCall(acstest.Call{Start: clock.Now(), CallConnectionIDs: []string{"421fc800-50bf-4013-9875-290682f8f031"},
		Participants: []acstest.Participant{{RawID: "8:acs:631fa8d8-aab5-4ac5-8e15-261aa2590750_agent", Audio: agent}, {RawID: "4:+18005550100", Audio: customer}}})

	client, err := acs.NewClientFromConnectionString(sim.ConnectionString(), acs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	client.Now = clock.Now
	set, err := rules.Load("../../testdata/rules/pci.yaml")
	if err != nil {
		t.Fatal(err)
	}
	w, err := store.NewWriter(data, store.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var logb bytes.Buffer
	g := &cli.Globals{Stdout: &logb, Stderr: &logb}
	if err := g.Setup(newRoot(g)); err != nil {
		t.Fatal(err)
	}
	sinkCtx, stopSink := context.WithCancel(ctx)
	sink := newStoreSink(sinkCtx, w, time.Hour, g)
	var handler http.Handler
	cbs := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) { handler.ServeHTTP(rw, r) }))
	defer cbs.Close()
	cbURL := cbs.URL + "/api/callbacks"
	ctl, err := control.Open(data+"/control", client, set, sink, control.Options{Now: clock.Now, CallbackURI: cbURL})
	if err != nil {
		t.Fatal(err)
	}
	handler, err = callback.NewHandler(t.Context(), callback.Options{OpenIDConfigURL: sim.OpenIDConfigURL(), Audience: sim.ResourceID(), Now: clock.Now}, ctl)
	if err != nil {
		t.Fatal(err)
	}
	idle := func() {
		t.Helper()
		c, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := sim.WaitIdle(c); err != nil {
			t.Fatal(err)
		}
	}

	started := fmt.Sprintf(`{"startedBy":{"communicationIdentifier":{"kind":"phoneNumber","rawId":"4:+18005550100"}},"serverCallId":%q,"correlationId":%q,"isTwoParty":true}`, call.ServerCallID, call.CorrelationID)
	if err := ctl.HandlePlatformEvent(ctx, recording.EventCallStarted, "evt-call-started", clock.Now(), json.RawMessage(started)); err != nil {
		t.Fatal(err)
	}
	idle()
	clock.Advance(14 * time.Second)
	sim.SendTone(cbURL, call, 1, "asterisk")
	idle()
	clock.Advance(13 * time.Second) // the caller types the card number
	sim.SendTone(cbURL, call, 7, "pound")
	idle()
	clock.Advance(6 * time.Second) // stop before the agent's own tones at corpus 21.64 s
	sim.SendCallback(cbURL, "ParticipantsUpdated", "calling/callConnections/"+call.CallConnectionIDs[0], map[string]any{
		"participants":   []map[string]any{{"identifier": map[string]any{"rawId": call.Participants[0].RawID}}},
		"sequenceNumber": 9, "serverCallId": call.ServerCallID, "correlationId": call.CorrelationID, "callConnectionId": call.CallConnectionIDs[0],
	})
	idle()
	sim.EndCall(call, cbURL)
	idle()
	st, ok := ctl.Find(call.ServerCallID)
	if !ok || st.State != control.Stopped || !st.Ended {
		t.Fatalf("controller state %+v", st)
	}

	// The ingest downloader fetches what RecordingFileStatusUpdated announced.
	hook.mu.Lock()
	bodies := hook.bodies
	hook.mu.Unlock()
	if len(bodies) != 1 {
		t.Fatalf("%d RecordingFileStatusUpdated deliveries", len(bodies))
	}
	ep, _ := url.Parse(sim.URL())
	dl, err := acs.NewContentDownloader(ep, sim.AccessKey(), acs.ContentOptions{AllowedHosts: sim.StorageHosts(), AllowInsecureLoopback: true, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	p := &ingest.Processor{DataDir: data, ACS: dl}
	res, err := p.Process(ctx, bodies[0])
	if err != nil || !res.Complete {
		t.Fatalf("download: %+v %v", res, err)
	}
	if res.RecordingID != st.RecordingID {
		t.Fatalf("downloaded %s, controller recorded %s", res.RecordingID, st.RecordingID)
	}

	an, err := pipeline.New(pipeline.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	in, err := pipeline.Open(res.Dir)
	if err != nil {
		t.Fatal(err)
	}
	out, err := an.Analyze(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Add(out.Rows); err != nil {
		t.Fatal(err)
	}
	stopSink()
	<-sink.done

	db, err := store.Open(ctx, data, store.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	q := func(sql string, args ...any) [][]any {
		t.Helper()
		r, err := db.Query(ctx, sql, args...)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return r.Rows
	}
	rows := q(`SELECT recorded_s, paused_s, dead_air_count, dtmf_count, channels FROM calls WHERE recording_id = ?`, st.RecordingID)
	if len(rows) != 1 {
		t.Fatalf("calls rows %v", rows)
	}
	recorded, paused := rows[0][0].(float64), rows[0][1].(float64)
	if recorded < 19.9 || recorded > 20.1 || paused < 12.9 || paused > 13.1 {
		t.Errorf("recorded_s %v paused_s %v, want 20 and 13", recorded, paused)
	}
	if fmt.Sprint(rows[0][2:]) != "[0 0 2]" {
		t.Errorf("dead_air_count, dtmf_count, channels = %v, want [0 0 2]", rows[0][2:])
	}
	if r := q(`SELECT offset_s, duration_s FROM pauses WHERE recording_id = ?`, st.RecordingID); len(r) != 1 ||
		fmt.Sprintf("%.1f %.1f", r[0][0], r[0][1]) != "14.0 13.0" {
		t.Errorf("pauses %v, want one at 14.0 s lasting 13 s", r)
	}
	if r := q(`SELECT start_s, end_s FROM silences WHERE recording_id = ? AND kind = 'dead_air'`, st.RecordingID); len(r) != 0 {
		t.Errorf("dead air %v inside the recording", r)
	}
	if r := q(`SELECT count(*) FROM dtmf WHERE recording_id = ?`, st.RecordingID); fmt.Sprint(r[0][0]) != "0" {
		t.Errorf("%v DTMF digits in the recording, want none", r[0][0])
	}
	ev := q(`SELECT action, rule, outcome FROM recording_events WHERE recording_id = ? AND action <> '' ORDER BY time, action, rule`, st.RecordingID)
	want := "[[start record-sales ok] [pause pci-pause ok] [resume pci-resume ok] [stop stop-when-alone ok]]"
	if rules.Hash(call.CorrelationID)%100 < 10 {
		// The simulator's correlation id is random: one call in ten is also
		// sampled, and that second start must be skipped, not sent.
		want = "[[start record-sales ok] [start sample-10-percent skipped] [pause pci-pause ok] [resume pci-resume ok] [stop stop-when-alone ok]]"
	}
	if fmt.Sprint(ev) != want {
		t.Errorf("recording_events actions %v\nwant %s", ev, want)
	}
	if r := q(`SELECT count(*) FROM recording_events WHERE outcome = 'state'`); r[0][0].(int64) < 5 {
		t.Errorf("%v state-change rows", r[0][0])
	}
	for _, v := range sim.SpecViolations() {
		t.Errorf("spec: %s", v)
	}
	reportShowsCall(t, data, st.RecordingID)

	// Control: the same call recorded without the pause (the first 33 s
	// as one WAV) has the card digits and the dead air — so the zeros above
	// come from the pause, not from a deaf analyzer.
	whole := dir2WAV(t, t.TempDir(), [][]float32{agent[:33*sr], customer[:33*sr]})
	ctlIn, err := pipeline.Open(whole)
	if err != nil {
		t.Fatal(err)
	}
	ctlOut, err := an.Analyze(ctx, ctlIn)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(ctlOut.Rows.DTMF); n < 5 {
		t.Errorf("control: %d DTMF digits detected without the pause, want ≥ 5", n)
	}
	if n := ctlOut.Rows.Call.DeadAirCount; n < 1 {
		t.Errorf("control: dead_air_count %d without the pause, want ≥ 1", n)
	}
}

// dir2WAV writes channels as a 16-bit PCM WAV in dir and returns its path.
func dir2WAV(t testing.TB, dir string, chans [][]float32) string {
	t.Helper()
	n, nch := len(chans[0]), len(chans)
	b := make([]byte, 44+n*nch*2)
	copy(b, "RIFF")
	binary.LittleEndian.PutUint32(b[4:], uint32(36+n*nch*2))
	copy(b[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(b[16:], 16)
	binary.LittleEndian.PutUint16(b[20:], 1)
	binary.LittleEndian.PutUint16(b[22:], uint16(nch))
	binary.LittleEndian.PutUint32(b[24:], 16000)
	binary.LittleEndian.PutUint32(b[28:], uint32(16000*nch*2))
	binary.LittleEndian.PutUint16(b[32:], uint16(nch*2))
	binary.LittleEndian.PutUint16(b[34:], 16)
	copy(b[36:], "data")
	binary.LittleEndian.PutUint32(b[40:], uint32(n*nch*2))
	for i := 0; i < n; i++ {
		for c := range chans {
			v := max(-1, min(1, float64(chans[c][i])))
			binary.LittleEndian.PutUint16(b[44+(i*nch+c)*2:], uint16(int16(v*32767)))
		}
	}
	p := dir + "/whole.wav"
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// reportShowsCall runs the real report command, as an operator would, over
// the end-to-end dataset: the call's timeline shows the pause, and
// recording_events lists every action with its rule.
func reportShowsCall(t *testing.T, data, recordingID string) {
	t.Helper()
	if testing.Short() {
		t.Log("-short: not building the report command")
		return
	}
	bin := filepath.Join(t.TempDir(), "report")
	build := exec.Command("go", "build", "-o", bin, "github.com/callscope/callscope/cmd/report")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build report: %v\n%s", err, out)
	}
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(bin, append([]string{"--data", data}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("report %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	call := run("call", recordingID, "--format", "json")
	for _, want := range []string{`"what": "pause"`, `"paused_s": 13`, `"dead_air_count": 0`, `"dtmf_count": 0`} {
		if !strings.Contains(call, want) {
			t.Errorf("report call: no %s in\n%s", want, call)
		}
	}
	ev := run("sql", "--format", "csv", "SELECT action, rule, outcome FROM recording_events WHERE action <> '' AND outcome = 'ok' ORDER BY time, rule")
	if want := "action,rule,outcome\nstart,record-sales,ok\npause,pci-pause,ok\nresume,pci-resume,ok\nstop,stop-when-alone,ok\n"; ev != want {
		t.Errorf("report sql recording_events:\n%s\nwant\n%s", ev, want)
	}
}
