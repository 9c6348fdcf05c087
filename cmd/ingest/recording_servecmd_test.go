package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callscope/callscope/internal/cli"
	"github.com/callscope/callscope/recording/acs"
	"github.com/callscope/callscope/recording/acstest"
	"github.com/callscope/callscope/store"
)

// lockedBuf is a goroutine-safe log sink that also reports the listen
// address once it is logged.
type lockedBuf struct {
	mu   sync.Mutex
	b    strings.Builder
	addr chan string
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.Write(p)
	sc := bufio.NewScanner(strings.NewReader(string(p)))
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil && m["msg"] == "ingest listening" {
			select {
			case l.addr <- fmt.Sprint(m["addr"]):
			default:
			}
		}
	}
	return len(p), nil
}

func (l *lockedBuf) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// TestServeRecordingControl runs `ingest serve` with a "recording" config
// section: /api/callbacks validates the simulator's JWT, the rules start a
// recording, and the recording_events rows are in the lake at shutdown.
func TestServeRecordingControl(t *testing.T) {
	sim := acstest.NewServer(acstest.Options{})
	defer sim.Close()
	call := sim.AddCall(acstest.Call{CallConnectionIDs: []string{"421fc800-50bf-4013-9875-290682f8f031"}})
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	rulesFile := filepath.Join(dir, "rules.yaml")
	if err := os.WriteFile(rulesFile, []byte("rules:\n  - name: start-on-key\n    on: Microsoft.Communication.ContinuousDtmfRecognitionToneReceived\n    when: \"event.tone == 'one'\"\n    do: start\n  - name: record-tollfree\n    on: Microsoft.Communication.CallStarted\n    when: \"call.participants.exists(p, p.phone.startsWith('+1800'))\"\n    do: start\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "callscope.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("recording:\n  rules: %s\n  control:\n    callback_uri: https://callscope.example.com/api/callbacks\n  callbacks:\n    openid_config_url: %s\n    audience: %s\n",
		rulesFile, sim.OpenIDConfigURL(), sim.ResourceID())), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(acs.EnvConnectionString, sim.ConnectionString())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := &lockedBuf{addr: make(chan string, 1)}
	g := &cli.Globals{Stdout: io.Discard, Stderr: logs}
	done := make(chan int)
	go func() {
		done <- cli.Run(ctx, newRoot(g), []string{"serve", "--data", data, "--config", cfg, "--listen", "127.0.0.1:0", "--event-secret", "s3cr3t-value", "--log-format", "json"}, logs)
	}()
	var addr string
	select {
	case addr = <-logs.addr:
	case code := <-done:
		t.Fatalf("serve exited %d: %s", code, logs)
	case <-time.After(20 * time.Second):
		t.Fatalf("serve did not start: %s", logs)
	}
	post := func(token string, tone string, seq int) int {
		body := fmt.Sprintf(`[{"id":"tone-%d","type":"Microsoft.Communication.ContinuousDtmfRecognitionToneReceived","specversion":"1.0","time":%q,
		"data":{"sequenceId":%d,"tone":%q,"callConnectionId":%q,"serverCallId":%q,"correlationId":%q}}]`,
			seq, time.Now().UTC().Format(time.RFC3339Nano), seq, tone, call.CallConnectionIDs[0], call.ServerCallID, call.CorrelationID)
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/api/callbacks", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post(sim.Token("someone-else", time.Minute), "one", 1); code != http.StatusUnauthorized {
		t.Errorf("foreign audience: %d, want 401", code)
	}
	if code := post(sim.Token(sim.ResourceID(), time.Minute), "one", 2); code != http.StatusOK {
		t.Fatalf("callback: %d: %s", code, logs)
	}
	recs := sim.Recordings()
	if len(recs) != 1 || recs[0].ServerCallID != call.ServerCallID {
		t.Fatalf("recordings %+v", recs)
	}
	// A platform event through the Event Grid webhook → spool → worker →
	// rules starts a second call's recording.
	call2 := sim.AddCall(acstest.Call{})
	ev := fmt.Sprintf(`[{"id":"cs-2","topic":"/subscriptions/x","subject":"call/x","eventType":"Microsoft.Communication.CallStarted","eventTime":%q,"dataVersion":"1.0","metadataVersion":"1",
	"data":{"startedBy":{"communicationIdentifier":{"kind":"phoneNumber","rawId":"4:+18005550100"}},"serverCallId":%q,"correlationId":%q}}]`,
		time.Now().UTC().Format(time.RFC3339Nano), call2.ServerCallID, call2.CorrelationID)
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/api/events", strings.NewReader(ev))
	req.Header.Set("X-Callscope-Secret", "s3cr3t-value")
	req.Header.Set("aeg-event-type", "Notification")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("event grid delivery: %d", resp.StatusCode)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(sim.Recordings()) < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if recs := sim.Recordings(); len(recs) != 2 || recs[1].ServerCallID != call2.ServerCallID {
		t.Fatalf("CallStarted via Event Grid did not start a recording: %+v\n%s", recs, logs)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exit %d: %s", code, logs)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
	if strings.Contains(logs.String(), `"one"`) || strings.Contains(logs.String(), sim.AccessKey()) {
		t.Error("a DTMF tone or the access key reached the log")
	}
	// serve flushed the buffered rows before returning.
	db, err := store.Open(context.Background(), data, store.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	res, err := db.Query(context.Background(), "SELECT action, rule, outcome FROM recording_events WHERE action = 'start' ORDER BY rule DESC")
	if err != nil || len(res.Rows) != 2 || fmt.Sprint(res.Rows) != "[[start start-on-key ok] [start record-tollfree ok]]" {
		t.Fatalf("recording_events: %v %v", res, err)
	}
}
