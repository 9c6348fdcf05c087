package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/callscope/callscope/internal/cli"
	"github.com/callscope/callscope/pipeline"
	"github.com/callscope/callscope/store"
	_ "github.com/callscope/callscope/store/duckdb" // the SQL engine behind store.Open
)

// run executes the analyze command in-process and returns its exit code and
// what it printed.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	g := &cli.Globals{Stdout: &stdout, Stderr: &stderr}
	root := newRoot(g)
	root.SetOut(&stdout)
	root.SetErr(&stderr)
	code := cli.Run(context.Background(), root, args, &stderr)
	return code, stdout.String(), stderr.String()
}

func calls(t *testing.T, data string) []map[string]any {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, data, store.OpenOptions{})
	if err != nil {
		t.Fatalf("open dataset: %v", err)
	}
	defer db.Close()
	res, err := db.Query(ctx, "SELECT recording_id, channels, recorded_s, talk_s, dtmf_count FROM calls ORDER BY recording_id")
	if err != nil {
		t.Fatalf("query calls: %v", err)
	}
	var out []map[string]any
	for _, r := range res.Rows {
		m := map[string]any{}
		for i, c := range res.Columns {
			m[c] = r[i]
		}
		out = append(out, m)
	}
	return out
}

func TestAnalyzeBadInputsGoOn(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join("..", "..", "testdata", "corpus", "synthcall", "synthcall_2ch.wav")
	wav, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.wav")
	os.WriteFile(empty, nil, 0o644)
	trunc := filepath.Join(dir, "truncated.wav")
	os.WriteFile(trunc, wav[:len(wav)/2], 0o644)
	notwav := filepath.Join(dir, "notes.wav")
	os.WriteFile(notwav, []byte("this is not a RIFF file, just text\n"), 0o644)
	missing := filepath.Join(dir, "missing.wav")
	data := filepath.Join(dir, "data")

	code, _, stderr := run(t, "--data", data, good, missing, empty, trunc, notwav)
	if code != cli.ExitFailed {
		t.Fatalf("exit code %d, want %d; stderr:\n%s", code, cli.ExitFailed, stderr)
	}
	for name, want := range map[string]string{
		"missing.wav":   "no such file",
		"empty.wav":     "empty file",
		"truncated.wav": "truncated",
		"notes.wav":     "RIFF",
	} {
		line := ""
		for _, l := range strings.Split(stderr, "\n") {
			if strings.Contains(l, name) && strings.Contains(l, "analysis failed") {
				line = l
			}
		}
		if line == "" || !strings.Contains(strings.ToLower(line), strings.ToLower(want)) {
			t.Errorf("%s: want an error naming the file with %q, got line %q", name, want, line)
		}
		reason := filepath.Join(data, pipeline.QuarantineDir, strings.TrimSuffix(name, ".wav"), "reason.json")
		raw, err := os.ReadFile(reason)
		if err != nil {
			t.Errorf("%s: no quarantine reason: %v", name, err)
			continue
		}
		var r pipeline.Reason
		if err := json.Unmarshal(raw, &r); err != nil || r.Error == "" {
			t.Errorf("%s: bad reason file %s: %v", name, raw, err)
		}
	}
	if !strings.Contains(stderr, "4 of 5 recordings failed") {
		t.Errorf("stderr lacks the summary: %s", stderr)
	}
	got := calls(t, data)
	if len(got) != 1 || got[0]["recording_id"] != "synthcall_2ch" {
		t.Fatalf("calls = %v, want only synthcall_2ch", got)
	}
	// Nothing partial: no temp files in the lake.
	filepath.WalkDir(filepath.Join(data, "lake"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasSuffix(p, ".parquet") {
			t.Errorf("stray file in lake: %s", p)
		}
		return nil
	})
}

func TestAnalyzeDemoFolders(t *testing.T) {
	data := t.TempDir()
	folders, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "recordings", "*"))
	code, _, stderr := run(t, append([]string{"--data", data, "--log-format", "json"}, folders...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got := calls(t, data)
	if len(got) != 2 {
		t.Fatalf("calls = %v", got)
	}
	for _, c := range got {
		if c["talk_s"].(float64) <= 0 || c["recorded_s"].(float64) < 25 {
			t.Errorf("implausible call row %v", c)
		}
	}
	// Re-analysis replaces: still two calls.
	if code, _, stderr := run(t, append([]string{"--quiet"}, append(folders, "--data", data)...)...); code != 0 {
		t.Fatalf("second run exit %d: %s", code, stderr)
	}
	if got := calls(t, data); len(got) != 2 {
		t.Fatalf("after re-analysis calls = %v", got)
	}
}

func TestAnalyzeUsage(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", []string{"--frobnicate"}, "unknown flag"},
		{"bad log format", []string{"--log-format", "xml", "x.wav"}, "--log-format"},
		{"bad log level", []string{"x.wav", "--log-level", "loud"}, "--log-level"},
		{"missing config", []string{"--config", "/nonexistent/callscope.yaml", "x.wav"}, "read config"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := run(t, tc.args...)
			if code != cli.ExitUsage || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d stderr %q; want %d and %q", code, stderr, cli.ExitUsage, tc.want)
			}
		})
	}
	code, stdout, _ := run(t, "--help")
	if code != 0 || !strings.Contains(stdout, "--data") || !strings.Contains(stdout, "--store-digits") {
		t.Fatalf("--help: exit %d\n%s", code, stdout)
	}
}

func TestAnalyzeConfigErrorNamesKey(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(cfg, []byte("dtmf:\n  store_digitz: true\n"), 0o644)
	code, _, stderr := run(t, "--config", cfg, "--data", t.TempDir(), filepath.Join("..", "..", "testdata", "corpus", "pyannote", "empty.wav"))
	if code != cli.ExitUsage || !strings.Contains(stderr, "store_digitz") || !strings.Contains(stderr, cfg) {
		t.Fatalf("exit %d stderr %q", code, stderr)
	}
}

// TestExampleConfig keeps docs/callscope.example.yaml valid: every section
// analyze reads decodes strictly and the CEL compiles.
func TestExampleConfig(t *testing.T) {
	data := t.TempDir()
	code, _, stderr := run(t, "--config", filepath.Join("..", "..", "docs", "callscope.example.yaml"), "--data", data,
		filepath.Join("..", "..", "testdata", "corpus", "synthcall", "synthcall_2ch.wav"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
}
