package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/callscope/callscope/internal/cli"
	"github.com/callscope/callscope/internal/config"
	"github.com/callscope/callscope/recording/acs"
	"github.com/callscope/callscope/recording/control"
	"github.com/callscope/callscope/store"
)

// TestStoreSinkWritesRecordingEvents proves control rows land in the
// recording_events table of the lake and read back through DuckDB.
func TestStoreSinkWritesRecordingEvents(t *testing.T) {
	data := t.TempDir()
	w, err := store.NewWriter(data, store.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var logb bytes.Buffer
	g := &cli.Globals{Stdout: &logb, Stderr: &logb}
	if err := g.Setup(newRoot(g)); err != nil {
		t.Fatal(err)
	}
	sink := newStoreSink(ctx, w, time.Hour, g)
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	rows := []control.Event{
		{Time: at, RecordingID: "rec-1", ServerCallID: "srv", CorrelationID: "corr", Event: "Microsoft.Communication.CallStarted", Action: "start", Rule: "record-sales", Outcome: "ok", EventID: "e1"},
		{Time: at.Add(5 * time.Second), RecordingID: "rec-1", Event: "Microsoft.Communication.ContinuousDtmfRecognitionToneReceived", Action: "pause", Rule: "pci-pause", Outcome: "ok", EventID: "e2"},
		{Time: at.Add(5 * time.Second), RecordingID: "rec-1", Event: "Microsoft.Communication.ContinuousDtmfRecognitionToneReceived", Outcome: "state", Detail: "active -> paused: rule pci-pause", EventID: "e3"},
	}
	if err := sink.RecordEvents(ctx, rows); err != nil {
		t.Fatal(err)
	}
	if err := sink.RecordEvents(ctx, rows[:1]); err != nil { // a duplicate delivery
		t.Fatal(err)
	}
	cancel()
	<-sink.done // closed the writer: everything flushed
	db, err := store.Open(context.Background(), data, store.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	res, err := db.Query(context.Background(), "SELECT action, rule, outcome, detail FROM recording_events ORDER BY time, event_id")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range res.Rows {
		got = append(got, fmt.Sprint(r...))
	}
	want := []string{"startrecord-salesok", "pausepci-pauseok", "state" + "active -> paused: rule pci-pause"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("rows %q, want %q", got, want)
	}
}

// TestRecordingConfigExample decodes the configuration example of
// docs/rules.md strictly.
func TestRecordingConfigExample(t *testing.T) {
	doc, err := os.ReadFile("../../docs/rules.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(doc)
	i := strings.Index(s, "```yaml\nacs:")
	if i < 0 {
		t.Fatal("no configuration example in docs/rules.md")
	}
	s = s[i+len("```yaml\n"):]
	s = s[:strings.Index(s, "```")]
	cfg, err := config.Parse("docs/rules.md", []byte(s))
	if err != nil {
		t.Fatal(err)
	}
	rc := recordingConfig{}
	if err := cfg.Decode("recording", &rc); err != nil {
		t.Fatal(err)
	}
	ao := acs.DefaultOptions()
	if err := cfg.Decode("acs", &ao); err != nil {
		t.Fatal(err)
	}
	if rc.Control.Retention != 48*time.Hour || rc.EventsFlush != 30*time.Second || rc.Callbacks.Audience == "" || rc.Control.Start.Channel != "unmixed" || ao.APIVersion != "2025-06-15" {
		t.Errorf("decoded %+v %+v", rc, ao)
	}
}
