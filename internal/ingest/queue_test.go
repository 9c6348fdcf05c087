package ingest

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azqueue"

	"github.com/callscope/callscope/internal/azuritetest"
	"github.com/callscope/callscope/recording"
	"github.com/callscope/callscope/recording/acs"
	"github.com/callscope/callscope/recording/acstest"
)

// countingTransport counts completed content downloads per URL path and
// can slow some of them down.
type countingTransport struct {
	base     http.RoundTripper
	mu       sync.Mutex
	complete map[string]int
	slow     func(path string) time.Duration
}

type countBody struct {
	io.ReadCloser
	done func()
}

func (b *countBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF && b.done != nil {
		b.done()
		b.done = nil
	}
	return n, err
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if c.slow != nil {
		if d := c.slow(r.URL.Path); d > 0 {
			time.Sleep(d)
		}
	}
	resp, err := c.base.RoundTrip(r)
	if err != nil || (resp.StatusCode != 200 && resp.StatusCode != 206) {
		return resp, err
	}
	p := r.URL.Path
	resp.Body = &countBody{ReadCloser: resp.Body, done: func() {
		c.mu.Lock()
		c.complete[p]++
		c.mu.Unlock()
	}}
	return resp, nil
}

// collect is a webhook that keeps every delivery body.
type collect struct {
	mu     sync.Mutex
	bodies []string
}

func (c *collect) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	c.bodies = append(c.bodies, string(b))
	c.mu.Unlock()
}

func TestQueueTwoConsumers(t *testing.T) {
	if testing.Short() {
		t.Skip("Azurite")
	}
	az := azuritetest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	clock := acstest.NewManualClock(time.Now().UTC().Truncate(time.Second))
	hook := &collect{}
	hs := httptest.NewServer(hook)
	defer hs.Close()
	sim := acstest.NewServer(acstest.Options{Clock: clock.Now, ChunkDuration: time.Second, SeparateChunkEvents: true, EventGridWebhook: hs.URL})
	defer sim.Close()
	var recIDs []string
	for _, call := range []string{"cXVldWUtY2FsbC0x", "cXVldWUtY2FsbC0y", "cXVldWUtY2FsbC0z"} {
		recIDs = append(recIDs, record(t, sim, clock, call, 1.5))
	}
	if err := sim.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}

	q, poison, err := NewQueueClients(ctx, az.QueueURL+"/recording-events", az.ConnectionString(), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.Create(ctx, nil); err != nil {
		t.Fatal(err)
	}
	// Every delivery twice (at-least-once), one copy base64-encoded as
	// Event Grid may write it; plus one undecodable message.
	for _, b := range hook.bodies {
		for _, text := range []string{b, base64.StdEncoding.EncodeToString([]byte(b))} {
			if _, err := q.EnqueueMessage(ctx, text, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := q.EnqueueMessage(ctx, "{not an event", nil); err != nil {
		t.Fatal(err)
	}
	// A message whose content host never answers fails retryably: it is
	// retried, then moved to the poison queue after PoisonAfter dequeues.
	if _, err := q.EnqueueMessage(ctx, rfsu("unreachable-1", "unreachable-rec"), nil); err != nil {
		t.Fatal(err)
	}

	data := t.TempDir()
	ep, _ := url.Parse(sim.URL())
	ct := &countingTransport{base: &http.Transport{}, complete: map[string]int{},
		// The first recording's audio is slower than the visibility
		// timeout: renewal must keep its message hidden.
		slow: func(p string) time.Duration {
			if strings.HasSuffix(p, "/content/video") {
				return 700 * time.Millisecond
			}
			return 0
		}}
	defer ct.base.(*http.Transport).CloseIdleConnections()
	dl, err := acs.NewContentDownloader(ep, sim.AccessKey(), acs.ContentOptions{AllowedHosts: append(sim.StorageHosts(), "127.0.0.1:1"), AllowInsecureLoopback: true,
		HTTPClient: &http.Client{Transport: ct}, MaxAttempts: 2, BaseDelay: 10 * time.Millisecond, MaxDelay: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for range 2 {
		c := &QueueConsumer{Queue: q, Poison: poison, Processor: &Processor{DataDir: data, ACS: dl},
			Options: QueueOptions{VisibilityTimeout: time.Second, PollInterval: 50 * time.Millisecond, Concurrency: 2, PoisonAfter: 3, RetryDelay: time.Second}}
		wg.Add(1)
		go func() { defer wg.Done(); c.Run(runCtx) }()
	}
	for _, id := range recIDs {
		waitComplete(t, filepath.Join(data, RecordingsDir, recording.SafeID(id)), 40*time.Second)
	}
	// Wait for the queue to drain (the duplicates are processed too).
	deadline := time.Now().Add(30 * time.Second)
	for {
		props, err := q.GetProperties(ctx, nil)
		if err == nil && props.ApproximateMessagesCount != nil && *props.ApproximateMessagesCount == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue not drained: %v", *props.ApproximateMessagesCount)
		}
		time.Sleep(100 * time.Millisecond)
	}
	stop()
	wg.Wait()
	for _, id := range recIDs {
		f, err := recording.LoadFolder(filepath.Join(data, RecordingsDir, recording.SafeID(id)))
		if err != nil {
			t.Fatal(err)
		}
		checkFolder(t, f, 2)
	}
	ct.mu.Lock()
	for p, n := range ct.complete {
		if n != 1 {
			t.Errorf("%s downloaded to completion %d times", p, n)
		}
	}
	if len(ct.complete) != 3*2*2 {
		t.Errorf("%d distinct files downloaded, want 12", len(ct.complete))
	}
	ct.mu.Unlock()
	pm, err := poison.PeekMessages(ctx, &azqueue.PeekMessagesOptions{NumberOfMessages: ptr(int32(10))})
	if err != nil {
		t.Fatal(err)
	}
	var poisoned []string
	for _, m := range pm.Messages {
		poisoned = append(poisoned, (*m.MessageText)[:min(20, len(*m.MessageText))])
	}
	if len(pm.Messages) != 2 {
		t.Fatalf("poison queue holds %q, want the undecodable and the unreachable message", poisoned)
	}
}
