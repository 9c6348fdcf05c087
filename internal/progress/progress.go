// Package progress shows the progress of a long command: a progress bar
// when stderr is a terminal, periodic log lines otherwise (CI, files,
// pipes), nothing with --quiet.
package progress

import (
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// DefaultInterval is how often a Bar logs when not on a terminal.
const DefaultInterval = 5 * time.Second

// Bar tracks done of total units. Its methods are safe for concurrent use
// and do nothing on a nil *Bar.
type Bar struct {
	mu       sync.Mutex
	desc     string
	total    int64
	done     int64
	start    time.Time
	lastLog  time.Time
	interval time.Duration
	log      *slog.Logger
	bar      *progressbar.ProgressBar
	quiet    bool
	finished bool
}

// NewBar returns a Bar for total units (0 if unknown) labelled description.
// On a terminal out (an *os.File that is a character device) it draws a
// progress bar there; otherwise it logs a line through logger (nil: a text
// logger on out) at most every DefaultInterval and one when finished. With
// quiet it shows nothing.
func NewBar(total int64, description string, quiet bool, out io.Writer, logger *slog.Logger) *Bar {
	b := &Bar{desc: description, total: total, start: time.Now(), interval: DefaultInterval, quiet: quiet}
	if quiet {
		return b
	}
	if IsTerminal(out) {
		b.bar = progressbar.NewOptions64(max(total, -1),
			progressbar.OptionSetWriter(out),
			progressbar.OptionSetDescription(description),
			progressbar.OptionShowCount(),
			progressbar.OptionSetElapsedTime(true),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
		return b
	}
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(out, nil))
	}
	b.log = logger
	b.lastLog = b.start
	return b
}

// SetInterval changes how often a non-terminal Bar logs.
func (b *Bar) SetInterval(d time.Duration) {
	if b == nil {
		return
	}
	b.mu.Lock()
	b.interval = d
	b.mu.Unlock()
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Add records n more units done.
func (b *Bar) Add(n int64) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.set(b.done + n)
}

// Set records that done units are done.
func (b *Bar) Set(done int64) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.set(done)
}

func (b *Bar) set(done int64) {
	b.done = done
	switch {
	case b.quiet || b.finished:
	case b.bar != nil:
		_ = b.bar.Set64(done)
	case b.log != nil && time.Since(b.lastLog) >= b.interval:
		b.lastLog = time.Now()
		b.logLine("progress")
	}
}

func (b *Bar) logLine(msg string) {
	attrs := []any{"task", b.desc, "done", b.done, "elapsed", time.Since(b.start).Round(time.Millisecond)}
	if b.total > 0 {
		attrs = append(attrs, "total", b.total, "percent", int(100*b.done/b.total))
	}
	b.log.Info(msg, attrs...)
}

// Finish completes the bar (clearing it on a terminal) or logs the final
// line. It is idempotent.
func (b *Bar) Finish() {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.finished || b.quiet {
		b.finished = true
		return
	}
	b.finished = true
	if b.bar != nil {
		_ = b.bar.Finish()
		return
	}
	b.logLine("finished")
}
