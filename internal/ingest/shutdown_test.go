package ingest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/callscope/callscope/recording"
	"github.com/callscope/callscope/recording/acs"
	"github.com/callscope/callscope/recording/acstest"
)

// TestShutdownDrainsInFlight: a download in flight when shutdown starts is
// finished (within the deadline) and its spool item marked done.
func TestShutdownDrainsInFlight(t *testing.T) {
	clock := acstest.NewManualClock(time.Now().UTC().Truncate(time.Second))
	d := &delegate{}
	hook := httptest.NewServer(d)
	defer hook.Close()
	sim := acstest.NewServer(acstest.Options{Clock: clock.Now, EventGridWebhook: hook.URL + "/api/events?code=" + testSecret})
	defer sim.Close()
	var started atomic.Bool
	ct := &countingTransport{base: &http.Transport{}, complete: map[string]int{}, slow: func(p string) time.Duration {
		if strings.HasSuffix(p, "/content/video") {
			started.Store(true)
			return 400 * time.Millisecond
		}
		return 0
	}}
	defer ct.base.(*http.Transport).CloseIdleConnections()
	data := t.TempDir()
	svc := newService(t, nil, data, func(o *ServerOptions, p *Processor) {
		ep, _ := url.Parse(sim.URL())
		dl, err := acs.NewContentDownloader(ep, sim.AccessKey(), acs.ContentOptions{AllowedHosts: sim.StorageHosts(), AllowInsecureLoopback: true, HTTPClient: &http.Client{Transport: ct}})
		if err != nil {
			t.Fatal(err)
		}
		p.ACS = dl
	})
	d.set(svc.srv.Handler())
	recID := record(t, sim, clock, "c2h1dGRvd24=", 1)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := sim.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	for !started.Load() {
		if ctx.Err() != nil {
			t.Fatal("download never started")
		}
		time.Sleep(5 * time.Millisecond)
	}
	svc.stop(t) // graceful: waits for the in-flight recording
	f, err := recording.LoadFolder(filepath.Join(data, RecordingsDir, recording.SafeID(recID)))
	if err != nil || !f.Manifest.Complete {
		t.Fatalf("in-flight recording not finished by shutdown: %v", err)
	}
}
