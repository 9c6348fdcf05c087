package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const evalCorpus = "../../testdata/corpus/"

func TestEvalJSON(t *testing.T) {
	code, out, errOut := run(t, "eval", "--format", "json",
		"--rttm", evalCorpus+"synthcall/synthcall_2ch.rttm",
		"--dtmf", evalCorpus+"synthcall/synthcall_2ch.truth.json",
		evalCorpus+"synthcall/synthcall_2ch_bleed.wav")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep struct {
		Speech []struct {
			Case, System, Scope string
			Collar              map[string]any `json:"collar"`
		}
		DTMF []struct {
			Score map[string]any
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	var pooled map[string]any
	systems := map[string]bool{}
	for _, r := range rep.Speech {
		systems[r.System] = true
		if r.System == "callscope" && r.Scope == "pooled" {
			pooled = r.Collar
		}
	}
	if pooled == nil || pooled["der"].(float64) > 0.02 || !systems["callscope unbridged"] {
		t.Errorf("pooled ±0.25 s: %v; systems %v", pooled, systems)
	}
	if len(rep.DTMF) != 1 || rep.DTMF[0].Score["hits"].(float64) != 7 {
		t.Errorf("dtmf: %+v", rep.DTMF)
	}
	if strings.Contains(out, "4711") {
		t.Error("the JSON report carries DTMF digits")
	}
}

func TestEvalSuiteTable(t *testing.T) {
	dir := t.TempDir()
	abs, _ := filepath.Abs(evalCorpus)
	suite := `[{"name": "pya", "recording": "` + abs + `/pyannote/sample.wav", "rttm": "` + abs + `/pyannote/sample.rttm", "held_out": true},
	 {"name": "tones", "recording": "` + abs + `/dtmf/50by50at16000Hz/0123456789psABCD.wav", "dtmf": "` + abs + `/dtmf/derived/dtmf_truth.json"}]`
	path := filepath.Join(dir, "suite.json")
	if err := os.WriteFile(path, []byte(suite), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, "eval", "--suite", path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, w := range []string{"pya", "callscope", "silence", "tones", "16", "held out"} {
		if !strings.Contains(out, w) {
			t.Errorf("table lacks %q:\n%s", w, out)
		}
	}
}

func TestEvalUsage(t *testing.T) {
	for _, args := range [][]string{
		{"eval"},
		{"eval", evalCorpus + "pyannote/sample.wav"},
		{"eval", "--format", "xml", "--rttm", "x", "y.wav"},
		{"eval", "--suite", "s.json", "y.wav"},
		{"eval", "--peer", "nosuchpeer", "--rttm", "x", "y.wav"},
		{"eval", "--channel-map", "a=b", "--rttm", evalCorpus + "pyannote/sample.rttm", evalCorpus + "pyannote/sample.wav"},
	} {
		if code, _, _ := run(t, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

func TestEvalCheckFails(t *testing.T) {
	dir := t.TempDir()
	abs, _ := filepath.Abs(evalCorpus)
	suite := `[{"name": "pya", "recording": "` + abs + `/pyannote/sample.wav", "rttm": "` + abs + `/pyannote/sample.rttm",
	  "targets": [{"what": "impossible", "metric": "ch0.no_collar.der", "max": -1}]}]`
	path := filepath.Join(dir, "suite.json")
	if err := os.WriteFile(path, []byte(suite), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := run(t, "eval", "--suite", path, "--check"); code != 1 || !strings.Contains(out, "impossible") {
		t.Errorf("exit %d, want 1:\n%s", code, out)
	}
	if code, _, _ := run(t, "eval", "--suite", path); code != 0 {
		t.Errorf("without --check: exit %d, want 0", code)
	}
}
