package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callscope/callscope/internal/cli"
)

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestMetricsListen: --metrics-listen serves the operations endpoints, and
// only them, on a second address (for queue-only deployments).
func TestMetricsListen(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs syncBuffer
	done := make(chan int, 1)
	go func() {
		g := &cli.Globals{Stdout: io.Discard, Stderr: &logs}
		done <- cli.Run(ctx, newRoot(g), []string{"serve", "--data", t.TempDir(), "--listen", "127.0.0.1:0",
			"--event-secret", "s3cr3t-value", "--metrics-listen", addr}, &logs)
	}()
	get := func(path string) (int, string) {
		var last error
		for range 100 {
			resp, err := http.Get(fmt.Sprintf("http://%s%s", addr, path))
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				return resp.StatusCode, string(b)
			}
			last = err
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("GET %s: %v\nlogs: %s", path, last, logs.String())
		return 0, ""
	}
	if code, body := get("/metrics"); code != 200 || !strings.Contains(body, "go_goroutines") {
		t.Errorf("/metrics: %d %.200s", code, body)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("/healthz: %d", code)
	}
	if code, _ := get("/api/events"); code != http.StatusNotFound && code != http.StatusMethodNotAllowed {
		t.Errorf("/api/events must not be served on the metrics address: %d", code)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d: %s", code, logs.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}
}
