package progress

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestLogLinesWhenNotATerminal(t *testing.T) {
	var buf bytes.Buffer
	b := NewBar(10, "compact", false, &buf, nil)
	b.SetInterval(0)
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); b.Add(1) }()
	}
	wg.Wait()
	b.Finish()
	b.Finish()
	out := buf.String()
	if !strings.Contains(out, "msg=finished task=compact done=10") || !strings.Contains(out, "total=10 percent=100") {
		t.Errorf("log:\n%s", out)
	}
	if n := strings.Count(out, "msg=progress"); n != 10 {
		t.Errorf("%d progress lines, want 10 (interval 0):\n%s", n, out)
	}
}

func TestIntervalLimitsLines(t *testing.T) {
	var buf bytes.Buffer
	b := NewBar(0, "x", false, &buf, slog.New(slog.NewJSONHandler(&buf, nil)))
	b.SetInterval(time.Hour)
	for i := 0; i < 100; i++ {
		b.Add(1)
	}
	b.Finish()
	if got := strings.Count(buf.String(), "\n"); got != 1 {
		t.Errorf("%d lines, want only the final one:\n%s", got, buf.String())
	}
	if !strings.Contains(buf.String(), `"done":100`) {
		t.Errorf("final line: %s", buf.String())
	}
}

func TestQuietAndNil(t *testing.T) {
	var buf bytes.Buffer
	b := NewBar(5, "x", true, &buf, nil)
	b.SetInterval(0)
	b.Add(5)
	b.Finish()
	if buf.Len() != 0 {
		t.Errorf("quiet wrote %q", buf.String())
	}
	var nb *Bar
	nb.Add(1)
	nb.Set(2)
	nb.Finish()
	if IsTerminal(&buf) {
		t.Error("a buffer is not a terminal")
	}
}
