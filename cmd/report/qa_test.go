package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/callscope/callscope/dsp"
	"github.com/callscope/callscope/internal/cli"
	"github.com/callscope/callscope/quality"
	"github.com/callscope/callscope/store"
)

var update = flag.Bool("update", false, "rewrite the golden files of report qa")

// qaCall describes one analyzed call of the test lake: its dsp result is
// hand-built, its verdict computed by the real quality evaluator.
type qaCall struct {
	id    string
	start time.Time
	mod   func(*dsp.Result, *quality.Input)
}

// cleanResult is a two-party call that raises no flag.
func cleanResult() *dsp.Result {
	lv := dsp.Levels{SpeechLevelDBFS: -26, NoiseFloorDBFS: -70, SNRDB: 44, PeakDBFS: -6}
	return &dsp.Result{
		Channels: 2, SampleRate: 16000,
		Call: dsp.CallMetrics{DurationS: 120, TalkS: 100, TalkSumS: 104, SilenceS: 20, NonTalkS: 12, OverlapS: 4, Turns: 20},
		PerChannel: []dsp.ChannelResult{
			{Channel: 0, TalkS: 50, Levels: lv},
			{Channel: 1, TalkS: 54, Levels: lv},
		},
	}
}

var qaDay = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

// qaCalls: three calls on 2026-11-20 (clean; dead air; card digits, dead
// air and clipping) and one on 2026-11-19 (short, info only).
func qaCalls() []qaCall {
	return []qaCall{
		{id: "rec-clean", start: qaDay, mod: func(*dsp.Result, *quality.Input) {}},
		{id: "rec-deadair", start: qaDay.Add(time.Hour), mod: func(r *dsp.Result, _ *quality.Input) {
			r.Silences = []dsp.Silence{{Start: 41.2, End: 54, Kind: dsp.SilenceDeadAir}}
		}},
		{id: "rec-pci", start: qaDay.Add(2 * time.Hour), mod: func(r *dsp.Result, _ *quality.Input) {
			r.Silences = []dsp.Silence{{Start: 80, End: 95, Kind: dsp.SilenceDeadAir}}
			r.PerChannel[1].DTMFCount = 4
			r.Tones = []dsp.Tone{{Channel: 1, Digit: '4', Start: 61, End: 61.1}}
			r.PerChannel[0].Levels.ClippedRatio = 0.01
			r.PerChannel[1].Levels.ClippedRatio = 0.02
		}},
		{id: "rec-short", start: qaDay.Add(-20 * time.Hour), mod: func(r *dsp.Result, _ *quality.Input) {
			r.Call.DurationS, r.Call.NonTalkS = 8, 0
		}},
	}
}

// writeLake analyzes calls with the default quality config and writes
// them to a real lake under root with store.Writer.
func writeLake(t *testing.T, root string, calls []qaCall, analyzedAt time.Time) {
	t.Helper()
	ev, err := quality.NewEvaluator(quality.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	w, err := store.NewWriter(root, store.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range calls {
		res := cleanResult()
		in := quality.Input{Result: res, Chunks: 1, Complete: true,
			Participants: []quality.Participant{{Channel: 0, ID: "8:acs:agent"}, {Channel: 1, ID: "4:+14255550123"}}}
		c.mod(res, &in)
		v := ev.Evaluate(in)
		rec := &store.Recording{Call: store.Call{
			RecordingID: c.id, StartTime: c.start, EndTime: c.start.Add(time.Duration(res.Call.DurationS * float64(time.Second))),
			RecordedS: res.Call.DurationS, Chunks: 1, Channels: 2, SampleRate: 16000,
			DTMFCount: res.Call.DTMFCount, QAScore: v.Score, QAFlags: v.FlagNames(),
			MetricsVersion: dsp.MetricsVersion, AnalyzerVersion: "test", AnalyzedAt: analyzedAt, Source: "file",
		}}
		for ch, r := range res.PerChannel {
			rec.Channels = append(rec.Channels, store.Channel{Channel: ch, ParticipantID: in.Participants[ch].ID,
				Role: v.Roles[ch], TalkS: r.TalkS, OneWay: v.OneWay[ch]})
		}
		for _, f := range v.Flags {
			rec.QAFlags = append(rec.QAFlags, store.QAFlag{Flag: f.Name, Severity: f.Severity, Channel: f.Channel,
				Value: f.Value, Threshold: f.Threshold, StartS: f.StartS, Detail: f.Detail})
		}
		if err := w.Add(rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// runReport runs the report command and returns stdout, stderr and the
// exit code.
func runReport(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	g := &cli.Globals{Stdout: &out, Stderr: &errb}
	code := cli.Run(t.Context(), newRoot(g), args, &errb)
	return out.String(), errb.String(), code
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("..", "..", "testdata", "quality", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test -update rewrites it)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestReportQA(t *testing.T) {
	root := t.TempDir()
	writeLake(t, root, qaCalls(), time.Date(2026, 11, 21, 2, 0, 0, 0, time.UTC))

	t.Run("table golden", func(t *testing.T) {
		out, errOut, code := runReport(t, "qa", "--data", root, "--date", "2026-11-20")
		if code != 0 {
			t.Fatalf("exit %d, stderr %s", code, errOut)
		}
		golden(t, "report_qa.golden", out)
	})
	t.Run("markdown golden", func(t *testing.T) {
		out, errOut, code := runReport(t, "qa", "--data", root, "--format", "markdown", "--fail-on", "warning", "--link", "qa-2026-11-20.html")
		if code != cli.ExitFailed {
			t.Fatalf("exit %d, want 1; stderr %s", code, errOut)
		}
		golden(t, "report_qa_markdown.golden", out)
	})

	gate := []struct {
		Name   string
		Args   []string
		Output int    // exit code
		Error  string // substring of stderr
	}{
		{Name: "no gate", Args: []string{"--date", "2026-11-20"}, Output: 0},
		{Name: "critical raised", Args: []string{"--date", "2026-11-20", "--fail-on", "critical"}, Output: 1,
			Error: "1 of 3 calls (flags at or above critical) failed"},
		{Name: "warning raised", Args: []string{"--date", "2026-11-20", "--fail-on", "warning"}, Output: 1,
			Error: "2 of 3 calls (flags at or above warning) failed"},
		{Name: "only info on the 19th: critical passes", Args: []string{"--date", "2026-11-19", "--fail-on", "critical"}, Output: 0},
		{Name: "only info on the 19th: warning passes", Args: []string{"--date", "2026-11-19", "--fail-on", "warning"}, Output: 0},
		{Name: "only info on the 19th: info fails", Args: []string{"--date", "2026-11-19", "--fail-on", "info"}, Output: 1,
			Error: "1 of 1 calls (flags at or above info) failed"},
		{Name: "no calls that day", Args: []string{"--date", "2026-11-18", "--fail-on", "info"}, Output: 0},
		{Name: "none", Args: []string{"--fail-on", "none"}, Output: 0},
		{Name: "bad severity", Args: []string{"--fail-on", "fatal"}, Output: 2, Error: `--fail-on "fatal"`},
		{Name: "exclusive", Args: []string{"--date", "2026-11-20", "--since", "24h"}, Output: 2, Error: "exclusive"},
		{Name: "bad date", Args: []string{"--date", "20.11.2026"}, Output: 2, Error: "YYYY-MM-DD"},
		{Name: "bad only", Args: []string{"--only", "calls"}, Output: 2, Error: "--only"},
		{Name: "bad format", Args: []string{"--format", "xml"}, Output: 2, Error: "--format"},
	}
	for _, tt := range gate {
		t.Run(tt.Name, func(t *testing.T) {
			_, errOut, code := runReport(t, append([]string{"qa", "--data", root}, tt.Args...)...)
			if code != tt.Output {
				t.Fatalf("exit %d, want %d; stderr %s", code, tt.Output, errOut)
			}
			if !strings.Contains(errOut, tt.Error) {
				t.Errorf("stderr %q, want …%s…", errOut, tt.Error)
			}
		})
	}

	t.Run("json", func(t *testing.T) {
		out, errOut, code := runReport(t, "qa", "--data", root, "--format", "json", "--fail-on", "critical")
		if code != 1 {
			t.Fatalf("exit %d, want 1; stderr %s", code, errOut)
		}
		var rep struct {
			Selection    string           `json:"selection"`
			Calls        int              `json:"calls"`
			FlaggedCalls int              `json:"flagged_calls"`
			MinScore     float64          `json:"min_score"`
			FailOn       string           `json:"fail_on"`
			GateFlags    int              `json:"gate_flags"`
			GateCalls    int              `json:"gate_calls"`
			Failed       bool             `json:"failed"`
			Flags        []map[string]any `json:"flags"`
			Worst        []map[string]any `json:"worst"`
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("%v in %s", err, out)
		}
		if rep.Selection != "all dates" || rep.Calls != 4 || rep.FlaggedCalls != 3 || rep.MinScore != 30 ||
			rep.FailOn != "critical" || rep.GateFlags != 1 || rep.GateCalls != 1 || !rep.Failed {
			t.Errorf("summary %+v", rep)
		}
		if len(rep.Flags) != 4 || rep.Flags[0]["flag"] != "dtmf_captured" || rep.Flags[0]["severity"] != "critical" {
			t.Errorf("flags %v: want 4 rows, dtmf_captured critical first", rep.Flags)
		}
		if len(rep.Worst) != 3 {
			t.Fatalf("worst %v: want the 3 flagged calls", rep.Worst)
		}
		w0 := rep.Worst[0]
		if w0["recording_id"] != "rec-pci" || w0["link"] != "report.html#call-rec-pci" || w0["severity"] != "critical" || w0["review_s"] != 61.0 {
			t.Errorf("worst call %v", w0)
		}
	})

	t.Run("csv", func(t *testing.T) {
		out, _, code := runReport(t, "qa", "--data", root, "--format", "csv")
		if code != 0 {
			t.Fatalf("exit %d", code)
		}
		parts := strings.Split(out, "\n\n")
		if len(parts) != 2 {
			t.Fatalf("want two CSV tables separated by an empty line, got %q", out)
		}
		for i, want := range []string{"severity,flag,calls,pct_calls,raised", "qa_score,recording_id,start_time,severity,flags,review_s,link"} {
			recs, err := csv.NewReader(strings.NewReader(parts[i])).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(recs[0], ","); got != want {
				t.Errorf("table %d header %q, want %q", i, got, want)
			}
		}
		out, _, _ = runReport(t, "qa", "--data", root, "--format", "csv", "--only", "worst", "--worst", "1")
		recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil || len(recs) != 2 || recs[1][1] != "rec-pci" {
			t.Errorf("--only worst --worst 1: %q (%v)", out, err)
		}
	})

	t.Run("latest analysis wins", func(t *testing.T) {
		root2 := t.TempDir()
		writeLake(t, root2, qaCalls(), time.Date(2026, 11, 21, 2, 0, 0, 0, time.UTC))
		// Re-analysis of rec-pci after the operator fixed the PCI pause: clean.
		fixed := qaCalls()[2]
		fixed.mod = func(*dsp.Result, *quality.Input) {}
		writeLake(t, root2, []qaCall{fixed}, time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC))
		out, errOut, code := runReport(t, "qa", "--data", root2, "--fail-on", "critical", "--format", "json", "--only", "flags")
		if code != 0 {
			t.Fatalf("exit %d after the re-analysis, want 0; stderr %s; %s", code, errOut, out)
		}
		if strings.Contains(out, "dtmf_captured") {
			t.Errorf("the superseded analysis still counts: %s", out)
		}
	})
}

func TestReportQAEmptyAndSince(t *testing.T) {
	root := t.TempDir()
	out, errOut, code := runReport(t, "qa", "--data", root, "--fail-on", "info")
	if code != 0 || !strings.Contains(errOut, "no analyzed calls") || !strings.Contains(out, "0 call(s)") {
		t.Errorf("empty lake: exit %d, stdout %q, stderr %q", code, out, errOut)
	}

	now := time.Now().UTC()
	writeLake(t, root, []qaCall{
		{id: "rec-recent", start: now.Add(-time.Hour), mod: func(r *dsp.Result, _ *quality.Input) {
			r.Silences = []dsp.Silence{{Start: 10, End: 25}}
		}},
		{id: "rec-old", start: now.Add(-72 * time.Hour), mod: func(r *dsp.Result, _ *quality.Input) {
			r.PerChannel[1].DTMFCount = 2
		}},
	}, now)
	out, errOut, code = runReport(t, "qa", "--data", root, "--since", "24h", "--fail-on", "critical", "--format", "json")
	if code != 0 {
		t.Fatalf("--since 24h: exit %d (the critical call is 3 days old); stderr %s", code, errOut)
	}
	if !strings.Contains(out, `"calls": 1`) || !strings.Contains(out, "rec-recent") || strings.Contains(out, "rec-old") {
		t.Errorf("--since 24h selected the wrong calls: %s", out)
	}
	_, _, code = runReport(t, "qa", "--data", root, "--since", "4d", "--fail-on", "critical")
	if code != 1 {
		t.Errorf("--since 4d: exit %d, want 1", code)
	}
}

// BenchmarkReportQA100k measures `report qa --fail-on critical` over a
// lake of 100,000 calls (design target: a QA summary over 100k calls in
// under 1 s). The lake is written once with store.Writer.
func BenchmarkReportQA100k(b *testing.B) {
	const n = 100_000
	root := b.TempDir()
	w, err := store.NewWriter(root, store.WriterOptions{})
	if err != nil {
		b.Fatal(err)
	}
	names := []string{quality.FlagDeadAir, quality.FlagOvertalk, quality.FlagLowSNR, quality.FlagDTMFCaptured, quality.FlagTalkRatio, quality.FlagOneWayAudio}
	sevs := []string{quality.SeverityWarning, quality.SeverityWarning, quality.SeverityWarning, quality.SeverityCritical, quality.SeverityInfo, quality.SeverityCritical}
	analyzed := time.Date(2026, 11, 21, 2, 0, 0, 0, time.UTC)
	for i := range n {
		start := qaDay.Add(time.Duration(i%(30*24*60)) * time.Minute)
		rec := &store.Recording{Call: store.Call{RecordingID: "rec-" + strconv.Itoa(i), StartTime: start, EndTime: start.Add(5 * time.Minute),
			RecordedS: 300, Channels: 2, SampleRate: 16000, QAScore: 100, AnalyzedAt: analyzed, MetricsVersion: "1", AnalyzerVersion: "bench"}}
		for k := 0; k < i%4; k++ {
			j := (i/4 + k) % len(names)
			rec.Call.QAFlags = append(rec.Call.QAFlags, names[j])
			rec.Call.QAScore -= 10
			rec.QAFlags = append(rec.QAFlags, store.QAFlag{Flag: names[j], Severity: sevs[j], Value: 12, Threshold: 10, StartS: new(float64(k)), Detail: "bench"})
		}
		if err := w.Add(rec); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(b.Context()); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		out, errOut, code := runBench(b, "qa", "--data", root, "--fail-on", "critical", "--format", "json")
		if code != 1 || !strings.Contains(out, `"calls": 100000`) {
			b.Fatalf("exit %d, stderr %s, stdout %.300s", code, errOut, out)
		}
	}
}

func runBench(b *testing.B, args ...string) (string, string, int) {
	var out, errb bytes.Buffer
	g := &cli.Globals{Stdout: &out, Stderr: &errb}
	code := cli.Run(b.Context(), newRoot(g), args, &errb)
	return out.String(), errb.String(), code
}
