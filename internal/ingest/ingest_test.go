package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/goleak"

	"github.com/callscope/callscope/recording"
	"github.com/callscope/callscope/recording/acs"
	"github.com/callscope/callscope/recording/acstest"
	"github.com/callscope/callscope/recording/eventgrid"
	"github.com/callscope/callscope/recording/spool"
)

func TestMain(m *testing.M) {
	if os.Getenv(crashChildEnv) != "" {
		crashChildMain()
		return
	}
	goleak.VerifyTestMain(m)
}

const testSecret = "test-event-secret"

// delegate lets a webhook URL exist before the service behind it.
type delegate struct {
	mu sync.Mutex
	h  http.Handler
}

// set routes the requests to h from now on.
func (d *delegate) set(h http.Handler) {
	d.mu.Lock()
	d.h = h
	d.mu.Unlock()
}

func (d *delegate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	h := d.h
	d.mu.Unlock()
	if h == nil {
		http.Error(w, "not ready", http.StatusServiceUnavailable)
		return
	}
	h.ServeHTTP(w, r)
}

type service struct {
	srv  *Server
	reg  *prometheus.Registry
	data string
	ts   *httptest.Server
	dl   *acs.ContentDownloader
}

func (s *service) webhook() string { return s.ts.URL + "/api/events?code=" + testSecret }

func (s *service) stop(t testing.TB) {
	s.ts.Close()
	if err := s.srv.Shutdown(nil); err != nil {
		t.Error(err)
	}
}

// newService starts an ingest service (webhook on a loopback listener,
// workers) downloading from sim.
func newService(t testing.TB, sim *acstest.Server, data string, mod func(*ServerOptions, *Processor)) *service {
	t.Helper()
	d := &delegate{}
	ts := httptest.NewServer(d)
	var dl *acs.ContentDownloader
	if sim != nil {
		ep, _ := url.Parse(sim.URL())
		var err error
		tr := &http.Transport{}
		t.Cleanup(tr.CloseIdleConnections)
		dl, err = acs.NewContentDownloader(ep, sim.AccessKey(), acs.ContentOptions{
			AllowedHosts: sim.StorageHosts(), AllowInsecureLoopback: true,
			BaseDelay: 10 * time.Millisecond, MaxDelay: 50 * time.Millisecond, MaxRetryAfter: 100 * time.Millisecond,
			HTTPClient: &http.Client{Transport: tr},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	reg := prometheus.NewRegistry()
	o := DefaultServerOptions()
	o.DataDir = data
	o.Auth = eventgrid.NewSecretAuth(testSecret)
	o.Registerer, o.Gatherer = reg, reg
	o.Workers.Workers = 2
	o.Workers.RetryBase, o.Workers.RetryMax = 20*time.Millisecond, 100*time.Millisecond
	o.ShutdownTimeout = 5 * time.Second
	p := &Processor{DataDir: data, ACS: dl}
	if mod != nil {
		mod(&o, p)
	}
	srv, err := NewServer(o, p)
	if err != nil {
		t.Fatal(err)
	}
	if o.Workers.Workers > 0 {
		srv.StartWorkers()
	}
	d.set(srv.Handler())
	return &service{srv: srv, reg: reg, data: data, ts: ts, dl: dl}
}

func sine(freq float64, seconds float64, sr int) []float32 {
	out := make([]float32, int(seconds*float64(sr)))
	for i := range out {
		out[i] = float32(0.3 * math.Sin(2*math.Pi*freq*float64(i)/float64(sr)))
	}
	return out
}

// record runs one recording on the simulator and returns its id.
func record(t testing.TB, sim *acstest.Server, clock *acstest.ManualClock, serverCallID string, seconds float64) string {
	t.Helper()
	sim.AddCall(acstest.Call{
		ServerCallID: serverCallID, CorrelationID: "corr-" + serverCallID, Start: clock.Now(),
		Participants: []acstest.Participant{
			{RawID: "4:+14255550100", Audio: sine(440, seconds+1, 16000)},
			{RawID: "8:acs:res_user", Audio: sine(660, seconds+1, 16000)},
		},
	})
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	c, err := acs.NewClientFromConnectionString(sim.ConnectionString(), acs.Options{HTTPClient: &http.Client{Transport: tr}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := c.StartRecording(ctx, acs.StartRequest{CallLocator: acs.ServerCall(serverCallID),
		RecordingContentType: acs.ContentAudio, RecordingChannelType: acs.ChannelUnmixed, RecordingFormatType: acs.FormatWav}, acs.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Duration(seconds * float64(time.Second)))
	if _, err := c.StopRecording(ctx, st.RecordingID); err != nil {
		t.Fatal(err)
	}
	return st.RecordingID
}

func waitComplete(t testing.TB, dir string, timeout time.Duration) *recording.Folder {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		f, err := recording.LoadFolder(dir)
		if err == nil && f.Manifest.Complete {
			return f
		}
		if time.Now().After(deadline) {
			t.Fatalf("recording folder %s not complete after %v (last err %v)", dir, timeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func checkFolder(t testing.TB, f *recording.Folder, wantChunks int) {
	t.Helper()
	if len(f.Manifest.Chunks) != wantChunks {
		t.Fatalf("%d chunks, want %d", len(f.Manifest.Chunks), wantChunks)
	}
	for _, c := range f.Manifest.Chunks {
		b, err := os.ReadFile(filepath.Join(f.Dir, c.Audio))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		if int64(len(b)) != c.AudioSize || hex.EncodeToString(sum[:]) != c.AudioSHA256 || !strings.HasPrefix(string(b), "RIFF") {
			t.Fatalf("chunk %d: size %d/%d sha ok=%v", c.Index, len(b), c.AudioSize, hex.EncodeToString(sum[:]) == c.AudioSHA256)
		}
		if f.Chunks[c.Index].Metadata == nil || f.Chunks[c.Index].Metadata.ChunkDocumentID != c.DocumentID {
			t.Fatalf("chunk %d: metadata %+v", c.Index, f.Chunks[c.Index].Metadata)
		}
	}
	ents, _ := os.ReadDir(f.Dir)
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".part") {
			t.Errorf("leftover %s", e.Name())
		}
	}
}

func TestEndToEndACS(t *testing.T) {
	clock := acstest.NewManualClock(time.Now().UTC().Truncate(time.Second))
	d := &delegate{}
	hook := httptest.NewServer(d)
	defer hook.Close()
	sim := acstest.NewServer(acstest.Options{Clock: clock.Now, ChunkDuration: time.Second, SeparateChunkEvents: true,
		EventGridWebhook: hook.URL + "/api/events?code=" + testSecret})
	defer sim.Close()
	data := t.TempDir()
	svc := newService(t, sim, data, nil)
	defer svc.stop(t)
	d.set(svc.srv.Handler())

	recID := record(t, sim, clock, "c2VydmVyLWNhbGwtMQ==", 2.5)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := sim.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	f := waitComplete(t, filepath.Join(data, RecordingsDir, recording.SafeID(recID)), 20*time.Second)
	checkFolder(t, f, 3)
	if len(f.Manifest.Events) != 3 {
		t.Errorf("events %v, want one per chunk event", f.Manifest.Events)
	}
	got := testutil.ToFloat64(svc.srv.Metrics.EventsAcknowledged)
	if got != 3 {
		t.Errorf("acknowledged %v, want 3", got)
	}
	if n := testutil.ToFloat64(svc.srv.Metrics.Downloads.WithLabelValues("audio", "acs")); n != 3 {
		t.Errorf("audio downloads %v", n)
	}

	// Redelivering every event changes nothing: the spool dedupes by id.
	before := len(svc.srv.Spool.List())
	for _, dv := range sim.Deliveries() {
		if dv.Kind != "eventgrid" {
			continue
		}
		resp, err := http.Post(svc.webhook(), "application/json", strings.NewReader(string(dv.Body)))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("redelivery status %d", resp.StatusCode)
		}
	}
	if after := len(svc.srv.Spool.List()); after != before {
		t.Fatalf("redelivery changed the spool: %+v -> %+v", before, after)
	}
	// Metrics endpoint.
	resp, err := http.Get(svc.ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	buf := new(strings.Builder)
	fmt.Fprint(buf, readAll(resp))
	for _, name := range []string{"callscope_ingest_spool_depth", "callscope_ingest_download_duration_seconds_bucket", "callscope_ingest_events_acknowledged_total 6"} {
		if !strings.Contains(buf.String(), name) {
			t.Errorf("metrics lack %q", name)
		}
	}
	if strings.Contains(buf.String(), sim.AccessKey()) || strings.Contains(buf.String(), testSecret) {
		t.Error("metrics leak a secret")
	}
}

func readAll(resp *http.Response) string {
	b := new(strings.Builder)
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return b.String()
		}
	}
}

// hostile deliveries: every one is answered correctly and none makes a
// request with credentials to a foreign host or writes outside the data dir.
func TestHostileInput(t *testing.T) {
	foreignHits := 0
	var mu sync.Mutex
	foreign := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		foreignHits++
		mu.Unlock()
	}))
	defer foreign.Close()
	sim := acstest.NewServer(acstest.Options{})
	defer sim.Close()
	data := t.TempDir()
	svc := newService(t, sim, data, func(o *ServerOptions, p *Processor) { o.MaxBodyBytes = 64 << 10 })
	defer svc.stop(t)

	ev := func(id, subject, content string) string {
		return fmt.Sprintf(`[{"id":%q,"eventType":"Microsoft.Communication.RecordingFileStatusUpdated","subject":%q,"eventTime":"2026-01-01T00:00:00Z","data":{"recordingStorageInfo":{"recordingChunks":[{"documentId":"doc-%s","index":0,"endReason":"SessionEnded","contentLocation":%q,"metadataLocation":%q}]}}}]`,
			id, subject, id, content, content)
	}
	tests := []struct {
		name string
		body string
		ct   string
		want int
	}{
		{"oversized", "[" + strings.Repeat(" ", 70<<10) + "]", "application/json", 413},
		{"malformed", `[{"id":"x",`, "application/json", 400},
		{"unknown type", `[{"id":"u1","eventType":"Contoso.Thing","subject":"s","data":{}}]`, "application/json", 200},
		{"path traversal id", ev("t1", "/recording/call/c/recordingId/../../../etc/passwd", "http://"+sim.StorageHosts()[0]+"/v1/objects/none/content/video"), "application/json", 200},
		{"foreign host", ev("f1", "/recording/call/c/recordingId/foreignrec", foreign.URL+"/steal"), "application/json", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.Post(svc.webhook(), tt.ct, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
	// Both recording events end up failed (not retried forever), in the
	// spool for an operator, and nothing touched the foreign host.
	deadline := time.Now().Add(10 * time.Second)
	for {
		a, _ := svc.srv.Spool.Get("t1")
		b, _ := svc.srv.Spool.Get("f1")
		if a.State == spool.Failed && b.State == spool.Failed {
			if !strings.Contains(b.LastError, "allow-list") {
				t.Errorf("foreign host error: %s", b.LastError)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("states %s/%s (%s | %s)", a.State, b.State, a.LastError, b.LastError)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if foreignHits != 0 {
		t.Fatalf("foreign host got %d requests", foreignHits)
	}
	ents, _ := os.ReadDir(filepath.Join(data, RecordingsDir))
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), "h-") && e.Name() != "foreignrec" {
			t.Errorf("unexpected recording folder %q", e.Name())
		}
	}
	if _, err := os.Stat(filepath.Join(data, "etc")); err == nil {
		t.Error("path traversal created a folder outside recordings/")
	}
	if n := testutil.ToFloat64(svc.srv.Metrics.DeliveriesRejected.WithLabelValues("too_large")); n != 1 {
		t.Errorf("too_large rejections %v", n)
	}
	// Unauthenticated.
	resp, _ := http.Post(svc.ts.URL+"/api/events?code=wrong", "application/json", strings.NewReader(`[]`))
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("wrong secret: %d", resp.StatusCode)
	}
}

func TestNoAuthRefused(t *testing.T) {
	_, err := NewServer(ServerOptions{DataDir: t.TempDir()}, &Processor{})
	if err != ErrNoAuth {
		t.Fatalf("got %v, want ErrNoAuth", err)
	}
}

func TestReadyzAndShutdown(t *testing.T) {
	svc := newService(t, nil, t.TempDir(), nil)
	resp, _ := http.Get(svc.ts.URL + "/readyz")
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("readyz %d", resp.StatusCode)
	}
	svc.stop(t)
}

func TestDeleteAfterDownload(t *testing.T) {
	clock := acstest.NewManualClock(time.Now().UTC().Truncate(time.Second))
	d := &delegate{}
	hook := httptest.NewServer(d)
	defer hook.Close()
	sim := acstest.NewServer(acstest.Options{Clock: clock.Now, EventGridWebhook: hook.URL + "/api/events?code=" + testSecret})
	defer sim.Close()
	data := t.TempDir()
	svc := newService(t, sim, data, func(o *ServerOptions, p *Processor) { p.DeleteAfterDownload = true })
	defer svc.stop(t)
	d.set(svc.srv.Handler())
	recID := record(t, sim, clock, "ZGVsZXRlLW1l", 1)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := sim.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	f := waitComplete(t, filepath.Join(data, RecordingsDir, recording.SafeID(recID)), 10*time.Second)
	checkFolder(t, f, 1)
	// The content is gone from ACS storage after the verified download.
	deadline := time.Now().Add(5 * time.Second)
	for {
		ev := f.Event.RecordingStorageInfo.RecordingChunks[0]
		_, err := svc.dl.DownloadFile(ctx, ev.ContentLocation, filepath.Join(t.TempDir(), "again"))
		if err != nil && strings.Contains(err.Error(), "HTTP 404") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("content still downloadable after delete-after-download: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestPlatformEventsReachOnEvent(t *testing.T) {
	var mu sync.Mutex
	var got []string
	svc := newService(t, nil, t.TempDir(), func(o *ServerOptions, p *Processor) {
		p.OnEvent = func(_ context.Context, ev eventgrid.Event) error {
			mu.Lock()
			got = append(got, ev.Type)
			mu.Unlock()
			return nil
		}
	})
	defer svc.stop(t)
	body, err := os.ReadFile("../../testdata/acs/samples/eventgrid-spec-incomingcall.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{string(body), `[{"id":"x1","eventType":"Contoso.Other","data":{}}]`} {
		resp, err := http.Post(svc.webhook(), "application/json", strings.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("OnEvent saw %v", got)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got[0] != recording.EventIncomingCall {
		t.Fatalf("OnEvent got %v", got)
	}
	if _, err := svc.srv.Spool.Get("x1"); err == nil {
		t.Fatal("a non-ACS event was stored")
	}
}
