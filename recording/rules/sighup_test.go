//go:build unix

package rules

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func TestEngineReloadOnSIGHUP(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(path, []byte("rules:\n  - name: one\n    on: Microsoft.Communication.CallStarted\n    do: start\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e, err := NewEngine(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go e.Watch(ctx, time.Hour) // no polling: only the signal can reload
	<-e.watching
	if err := os.WriteFile(path, []byte("rules:\n  - name: two\n    on: Microsoft.Communication.CallStarted\n    do: stop\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for e.Rules().Rules[0].Name != "two" && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if e.Rules().Rules[0].Name != "two" {
		t.Error("SIGHUP did not reload")
	}
}
