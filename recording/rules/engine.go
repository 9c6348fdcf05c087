package rules

import (
	"bytes"
	"context"
	"crypto/sha256"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Engine holds the rule set in force and reloads it. It is safe for
// concurrent use; Evaluate never waits for a reload.
type Engine struct {
	path string
	log  *slog.Logger
	cur  atomic.Pointer[Set]

	watching chan struct{} // closed once Watch listens for SIGHUP (tests)

	mu   sync.Mutex // serialises reloads
	sum  [32]byte   // content hash of the last file read (good or bad)
	good [32]byte   // content hash of the set in force
}

// NewEngine loads path; it fails when the first load fails.
func NewEngine(path string, logger *slog.Logger) (*Engine, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	e := &Engine{path: path, log: logger, watching: make(chan struct{})}
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	set, err := Parse(path, data)
	if err != nil {
		return nil, err
	}
	e.sum = sha256.Sum256(data)
	e.good = e.sum
	e.cur.Store(set)
	return e, nil
}

func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(&limited{f, MaxFileSize + 1}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Rules returns the set in force.
func (e *Engine) Rules() *Set { return e.cur.Load() }

// Evaluate evaluates ev against the set in force.
func (e *Engine) Evaluate(ev Event) ([]Match, error) { return e.cur.Load().Evaluate(ev) }

// Reload reads the file again. When it fails to read or compile, the rules
// in force stay and the error is returned (and logged). It reports whether
// a new set was installed.
func (e *Engine) Reload() (bool, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.reload(true)
}

func (e *Engine) reload(force bool) (bool, error) {
	data, err := readFile(e.path)
	if err != nil {
		e.log.Error("rules reload failed, keeping the rules in force", "file", e.path, "error", err)
		return false, err
	}
	sum := sha256.Sum256(data)
	if !force && sum == e.sum {
		return false, nil
	}
	e.sum = sum
	if sum == e.good {
		return false, nil
	}
	set, err := Parse(e.path, data)
	if err != nil {
		e.log.Error("rules reload failed, keeping the rules in force", "file", e.path, "error", err)
		return false, err
	}
	e.cur.Store(set)
	e.good = sum
	e.log.Info("rules reloaded", "file", e.path, "rules", len(set.Rules))
	return true, nil
}

// Watch reloads on SIGHUP and when the file's content changes (checked
// every interval; default 2 s) until ctx ends.
func (e *Engine) Watch(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = 2 * time.Second
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	e.mu.Lock()
	select {
	case <-e.watching:
	default:
		close(e.watching)
	}
	e.mu.Unlock()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			e.log.Info("SIGHUP: reloading rules", "file", e.path)
			_, _ = e.Reload()
		case <-t.C:
			e.mu.Lock()
			_, _ = e.reload(false)
			e.mu.Unlock()
		}
	}
}
