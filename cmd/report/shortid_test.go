package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/callscope/callscope/store"
)

// TestLongRecordingIDs: the terminal table abbreviates ACS-length ids, and
// `report call` accepts the abbreviation, a unique prefix or suffix, and
// refuses an ambiguous one.
func TestLongRecordingIDs(t *testing.T) {
	data := t.TempDir()
	ids := []string{
		"eyJQbGF0Zm9ybUVuZHBvaW50SWQiOiIwYTFiMmMzZC0wMDAwIiwiUmVzb3VyY2VTcGVjaWZpY0lkIjoiOWY4ZS0wMDAxIn0",
		"eyJQbGF0Zm9ybUVuZHBvaW50SWQiOiIwYTFiMmMzZC0wMDAwIiwiUmVzb3VyY2VTcGVjaWZpY0lkIjoiOWY4ZS0wMDAyIn0",
	}
	w, err := store.NewWriter(data, store.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	for i, id := range ids {
		if err := w.Add(fixtureRecording(id, start.Add(time.Duration(i)*time.Hour), start.Add(24*time.Hour), 80)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	out, _, code := runCmd(t, "--data", data, "calls")
	if code != 0 || strings.Contains(out, ids[0]) || !strings.Contains(out, shortID(ids[0])) {
		t.Fatalf("calls table (exit %d) should show %q, not the full id:\n%s", code, shortID(ids[0]), out)
	}
	if out, _, _ := runCmd(t, "--data", data, "calls", "--format", "csv"); !strings.Contains(out, ids[0]) {
		t.Fatalf("csv must keep full ids:\n%s", out)
	}
	for _, arg := range []string{ids[1], shortID(ids[1]), ids[1][:len(ids[1])-3], "MDAyIn0"} {
		out, stderr, code := runCmd(t, "--data", data, "call", arg)
		if code != 0 || !strings.Contains(out, ids[1]) {
			t.Errorf("call %q: exit %d, stderr %s\n%s", arg, code, stderr, out)
		}
	}
	if _, stderr, code := runCmd(t, "--data", data, "call", "eyJQbGF0"); code != 2 || !strings.Contains(stderr, "matches several recordings") {
		t.Errorf("ambiguous prefix: exit %d, stderr %s", code, stderr)
	}
	if _, stderr, code := runCmd(t, "--data", data, "call", "nope"); code != 1 || !strings.Contains(stderr, "not found") {
		t.Errorf("unknown id: exit %d, stderr %s", code, stderr)
	}
}
