package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/callscope/callscope/internal/cli"
	"github.com/callscope/callscope/store"
)

var updateReport = flag.Bool("update-report", false, "rewrite the golden files of report calls/call/sql/schema and docs/dataset.md")

var fixDay = time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)

func ip(v int) *int         { return &v }
func fp(v float64) *float64 { return &v }

// fixtureRecording is a small, complete analysis.
func fixtureRecording(id string, start, analyzed time.Time, score float64) *store.Recording {
	return &store.Recording{
		Call: store.Call{
			RecordingID: id, CallID: "call-" + id, ServerCallID: "srv-" + id, CorrelationID: "corr-" + id,
			StartTime: start, EndTime: start.Add(95 * time.Second),
			RecordedS: 50, PausedS: 45, Chunks: 1, Channels: 2, SampleRate: 16000,
			TalkS: 30, TalkSumS: 33.5, SilenceS: 20, NonTalkS: 12, DeadAirCount: 1, DeadAirS: 10.5,
			LongestSilenceS: 10.5, OverlapS: 0.25, OverlapCount: 1, Interruptions: 1, Turns: 3, DTMFCount: 2,
			QAScore: score, QAFlags: []string{"dead_air", "one_way_audio"},
			MetricsVersion: "1", AnalyzerVersion: "test", AnalyzedAt: analyzed, Source: "file",
		},
		Channels: []store.Channel{
			{Channel: 0, ParticipantID: "4:+14255550123", ParticipantKind: "phoneNumber", Role: "customer", TalkS: 11.25, TalkShare: 0.225, SpeechShare: 0.6, Segments: 2, LongestMonologueS: 7.5, SpeechLevelDBFS: -26.04, NoiseFloorDBFS: -70, SNRDB: 43.96, PeakDBFS: -3.1, DTMFCount: 2},
			{Channel: 1, ParticipantID: "8:acs:agent", ParticipantKind: "communicationUser", Role: "agent", TalkS: 5, TalkShare: 0.1, SpeechShare: 0.4, Segments: 1, LongestMonologueS: 5, Interrupted: 1, SpeechLevelDBFS: -30, NoiseFloorDBFS: -72, SNRDB: 42, PeakDBFS: -6, OneWay: true},
		},
		Segments: []store.Segment{
			{Channel: 0, StartS: 0.5, EndS: 4.25, StartTime: start.Add(500 * time.Millisecond)},
			{Channel: 1, StartS: 4.0, EndS: 9, StartTime: start.Add(4 * time.Second)},
			{Channel: 0, StartS: 12.5, EndS: 20, StartTime: start.Add(57500 * time.Millisecond)},
		},
		Silences: []store.Silence{{StartS: 9, EndS: 12.5, Kind: "non_talk", StartTime: start.Add(9 * time.Second)}, {StartS: 20, EndS: 30.5, Kind: "dead_air", StartTime: start.Add(65 * time.Second)}},
		Overlaps: []store.Overlap{{StartS: 4, EndS: 4.25, Kind: "interruption", ByChannel: 1, OfChannel: 0, StartTime: start.Add(4 * time.Second)}},
		DTMF: []store.DTMF{
			{Channel: 0, Seq: 0, Digit: "*", StartS: 10, EndS: 10.1, LevelDBm0: -12.5, StartTime: start.Add(10 * time.Second)},
			{Channel: 0, Seq: 1, Digit: "*", StartS: 10.3, EndS: 10.4, LevelDBm0: -12.75, StartTime: start.Add(10300 * time.Millisecond)},
		},
		QAFlags: []store.QAFlag{
			{Flag: "dead_air", Severity: "warning", Value: 10.5, Threshold: 10, StartS: fp(20), Detail: "10.5 s of dead air"},
			{Flag: "one_way_audio", Severity: "critical", Channel: ip(1), Detail: "agent | never talks"},
		},
		Pauses: []store.Pause{{OffsetS: 12.5, DurationS: 45, StartTime: start.Add(12500 * time.Millisecond)}},
	}
}

// fixtureLake writes three recordings over two days, r1 analysed twice.
func fixtureLake(t testing.TB) string {
	t.Helper()
	root := t.TempDir()
	a1 := time.Date(2026, 11, 21, 2, 0, 0, 0, time.UTC)
	for _, run := range []struct {
		id   string
		recs []*store.Recording
	}{
		{"run-a", []*store.Recording{fixtureRecording("r1", fixDay, a1, 40), fixtureRecording("r2", fixDay.Add(2*time.Hour), a1, 85.5)}},
		{"run-b", []*store.Recording{fixtureRecording("r1", fixDay, a1.Add(time.Hour), 60), fixtureRecording("r3", fixDay.AddDate(0, 0, 1), a1, 100)}},
	} {
		w, err := store.NewWriter(root, store.WriterOptions{RunID: run.id})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range run.recs {
			if r.Call.RecordingID == "r3" {
				r.QAFlags, r.Call.QAFlags, r.DTMF, r.Pauses = nil, nil, nil, nil
				r.Call.DTMFCount, r.Call.PausedS = 0, 0
			}
			if err := w.Add(r); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// runCmd runs the report command with args and returns stdout, stderr and
// the exit code.
func runCmd(t testing.TB, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	g := &cli.Globals{Stdout: &out, Stderr: &errb}
	code := cli.Run(t.Context(), newRoot(g), args, &errb)
	return out.String(), errb.String(), code
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("..", "..", "testdata", "store", "report", name)
	if *updateReport {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./cmd/report -run %s -update-report writes it)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("output differs from %s (-update-report rewrites it)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestGoldenFormats(t *testing.T) {
	root := fixtureLake(t)
	cases := []struct {
		name string
		args []string
	}{
		{"calls", []string{"calls"}},
		{"calls-date", []string{"calls", "--date", "2026-11-21"}},
		{"call", []string{"call", "r1"}},
		{"sql", []string{"sql", `SELECT recording_id, date, start_time, qa_flags, qa_score, NULL AS nothing, 'a,"b"' AS quoted FROM calls ORDER BY recording_id`}},
		{"schema", []string{"schema"}},
	}
	for _, c := range cases {
		for _, f := range []string{"table", "csv", "json", "markdown"} {
			t.Run(c.name+"/"+f, func(t *testing.T) {
				args := append([]string{"--data", root, "--format", f}, c.args...)
				out, errOut, code := runCmd(t, args...)
				if code != 0 {
					t.Fatalf("exit %d: %s", code, errOut)
				}
				if errOut != "" {
					t.Errorf("stderr: %s", errOut)
				}
				checkGolden(t, c.name+"."+f, out)
			})
		}
	}
}

func TestDefaultCommandIsCalls(t *testing.T) {
	root := fixtureLake(t)
	a, _, code := runCmd(t, "--data", root)
	b, _, code2 := runCmd(t, "calls", "--data", root)
	if code != 0 || code2 != 0 || a != b || !strings.Contains(a, "r3") {
		t.Errorf("report (%d) and report calls (%d) differ:\n%s\n%s", code, code2, a, b)
	}
}

func TestGlobalFlagsEitherSide(t *testing.T) {
	root := fixtureLake(t)
	q := "SELECT count(*) AS n FROM calls"
	for _, args := range [][]string{
		{"--data", root, "sql", q, "--format", "csv"},
		{"sql", "--data", root, "--format", "csv", q},
		{"--format", "csv", "sql", q, "--data=" + root, "--quiet"},
		{"-q", "--log-level", "debug", "sql", "--data", root, q, "--format=csv"},
	} {
		out, errOut, code := runCmd(t, args...)
		if code != 0 || out != "n\n3\n" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
}

func TestExitCodes(t *testing.T) {
	root := fixtureLake(t)
	sqlFile := filepath.Join(t.TempDir(), "q.sql")
	os.WriteFile(sqlFile, []byte("SELECT count(*) AS n\nFROM calls WHERE qa_score > 70"), 0o644)
	for _, c := range []struct {
		args   []string
		code   int
		stderr string
		stdout string
	}{
		{[]string{"sql"}, 2, "missing query", ""},
		{[]string{"sql", "  "}, 2, "missing query", ""},
		{[]string{"sql", "SELECT 1", "-f", sqlFile}, 2, "not both", ""},
		{[]string{"sql", "-f", filepath.Join(root, "nope.sql")}, 2, "nope.sql", ""},
		{[]string{"sql", "-f", sqlFile, "--format", "csv"}, 0, "", "n\n2\n"},
		{[]string{"sql", "SELECT *\nFROM calls\nWHERE qa_score = = 1"}, 1, "Parser Error: syntax error at or near \"=\"\n\nLINE 3: WHERE qa_score = = 1\n                         ^", ""},
		{[]string{"sql", "SELECT nope FROM calls"}, 1, `Binder Error: Referenced column "nope" not found`, ""},
		{[]string{"sql", "SELECT 1", "extra"}, 2, "accepts at most 1 arg", ""},
		{[]string{"calls", "--date", "2026-13-01"}, 2, "--date", ""},
		{[]string{"calls", "--since", "yesterday"}, 2, "--since", ""},
		{[]string{"calls", "--date", "2026-11-20", "--since", "1h"}, 2, "exclusive", ""},
		{[]string{"calls", "--format", "xml"}, 2, "unknown format", ""},
		{[]string{"calls", "--nope"}, 2, "unknown flag", ""},
		{[]string{"nope"}, 2, "unknown command", ""},
		{[]string{"call"}, 2, "accepts 1 arg", ""},
		{[]string{"call", "missing-id"}, 1, `recording "missing-id" not found`, ""},
		{[]string{"compact", "--date", "x"}, 2, "--date", ""},
		{[]string{"calls", "--since", "87600h", "--format", "csv"}, 0, "", "r1"},
	} {
		args := append([]string{"--data", root}, c.args...)
		out, errOut, code := runCmd(t, args...)
		if code != c.code || !strings.Contains(errOut, c.stderr) || !strings.Contains(out, c.stdout) {
			t.Errorf("%q: exit %d (want %d)\nstderr %q (want %q)\nstdout %q (want %q)", c.args, code, c.code, errOut, c.stderr, out, c.stdout)
		}
	}
}

func TestEmptyDataset(t *testing.T) {
	root := filepath.Join(t.TempDir(), "nothing-here")
	for _, args := range [][]string{{}, {"calls", "--format", "json"}, {"sql", "SELECT * FROM qa_flags"}, {"call", "x"}, {"compact"}} {
		out, errOut, code := runCmd(t, append([]string{"--data", root}, args...)...)
		if strings.Contains(errOut, "panic") || strings.Contains(errOut, "goroutine") {
			t.Fatalf("%q: %s", args, errOut)
		}
		want := 0
		if len(args) > 0 && args[0] == "call" {
			want = 1
		}
		if code != want {
			t.Errorf("%q: exit %d, want %d: %s", args, code, want, errOut)
		}
		if len(args) > 0 && args[0] != "compact" && !strings.Contains(errOut, "no analyzed calls in") {
			t.Errorf("%q: stderr %q, want a clear message", args, errOut)
		}
		if len(args) > 1 && args[1] == "--format" && out != "[]\n" {
			t.Errorf("%q: stdout %q, want []", args, out)
		}
	}
}

func TestBadFileReported(t *testing.T) {
	root := fixtureLake(t)
	bad := filepath.Join(root, "lake", "calls", "date=2026-11-20", "x.parquet")
	os.WriteFile(bad, []byte("not parquet"), 0o644)
	out, errOut, code := runCmd(t, "--data", root, "sql", "SELECT count(*) AS n FROM calls", "--format", "csv")
	if code != 0 || out != "n\n3\n" {
		t.Errorf("exit %d, stdout %q", code, out)
	}
	if !strings.Contains(errOut, "skipped 1 bad file") || !strings.Contains(errOut, bad) {
		t.Errorf("stderr %q does not name %s", errOut, bad)
	}
}

func TestCompactCommand(t *testing.T) {
	root := fixtureLake(t)
	before, _, _ := runCmd(t, "--data", root, "sql", "SELECT * EXCLUDE (generation) FROM calls ORDER BY recording_id", "--format", "csv")
	out, errOut, code := runCmd(t, "--data", root, "compact", "--format", "csv")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if out != "partitions,files_in,files_out,rows_in,rows_out,temps_removed\n1,16,8,42,28,0\n" {
		t.Errorf("compact: %q", out)
	}
	// Not a terminal: plain log lines.
	if !strings.Contains(errOut, "msg=finished task=\"compacting partitions\"") {
		t.Errorf("stderr %q, want progress log lines", errOut)
	}
	after, _, _ := runCmd(t, "--data", root, "sql", "SELECT * EXCLUDE (generation) FROM calls ORDER BY recording_id", "--format", "csv")
	if before != after {
		t.Errorf("calls changed:\n%s\n%s", before, after)
	}
	_, errOut, _ = runCmd(t, "--data", root, "compact", "--quiet")
	if errOut != "" {
		t.Errorf("--quiet: stderr %q", errOut)
	}
}

// TestDatasetDoc checks that docs/dataset.md holds the data dictionary
// exactly as "report schema --format markdown" prints it.
func TestDatasetDoc(t *testing.T) {
	out, _, code := runCmd(t, "schema", "--format", "markdown")
	if code != 0 {
		t.Fatal(code)
	}
	path := filepath.Join("..", "..", "docs", "dataset.md")
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- schema:begin (generated by report schema --format markdown) -->\n", "<!-- schema:end -->"
	i, j := bytes.Index(doc, []byte(begin)), bytes.Index(doc, []byte(end))
	if i < 0 || j < i {
		t.Fatalf("%s: markers %q and %q not found", path, begin, end)
	}
	got := string(doc[i+len(begin) : j])
	if got != out {
		if *updateReport {
			os.WriteFile(path, append(append(append([]byte{}, doc[:i+len(begin)]...), out...), doc[j:]...), 0o644)
			return
		}
		t.Errorf("%s is out of date with report schema (go test ./cmd/report -run TestDatasetDoc -update-report rewrites it)", path)
	}
}

func FuzzParseSince(f *testing.F) {
	for _, s := range []string{"36h", "7d", "0.5d", "-1h", "1h30m", "d", "1e400d", "NaNd"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseSince(s)
		if err == nil && d < 0 {
			t.Errorf("parseSince(%q) = %v: negative", s, d)
		}
	})
}
