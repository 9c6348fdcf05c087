package rules

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const td = "../../testdata/rules"

func TestLoadAndEvaluate(t *testing.T) {
	set, err := Load(filepath.Join(td, "pci.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Rules) != 5 {
		t.Fatalf("%d rules", len(set.Rules))
	}
	b, _ := os.ReadFile(filepath.Join(td, "events-callstarted-tollfree.json"))
	evs, err := DecodeEvents(b)
	if err != nil {
		t.Fatal(err)
	}
	m, err := set.Evaluate(evs[0])
	if err != nil {
		t.Fatal(err)
	}
	// record-sales fires; sample-10-percent depends on the hash.
	if len(m) == 0 || m[0].Rule != "record-sales" || m[0].Action != Start || m[0].With.Channel != "unmixed" || m[0].Pos != filepath.Join(td, "pci.yaml")+":3" {
		t.Errorf("matches %+v", m)
	}
	sampled := Hash("5d1c7e2b-6c2a-4f4b-9a53-3e9c1d7a0001")%100 < 10
	if got := len(m) == 2; got != sampled {
		t.Errorf("sampling rule fired=%v, hash says %v", got, sampled)
	}
	b, _ = os.ReadFile(filepath.Join(td, "events-dtmf-tone.json"))
	evs, _ = DecodeEvents(b)
	evs[0].Recording = map[string]any{"state": "active"}
	m, err = set.Evaluate(evs[0])
	if err != nil || len(m) != 1 || m[0].Rule != "pci-pause" {
		t.Errorf("dtmf: %+v %v", m, err)
	}
	evs[0].Data["tone"] = "pound"
	m, _ = set.Evaluate(evs[0])
	if len(m) != 0 {
		t.Errorf("resume fired while active: %+v", m)
	}
	evs[0].Recording["state"] = "paused"
	m, _ = set.Evaluate(evs[0])
	if len(m) != 1 || m[0].Action != Resume {
		t.Errorf("resume: %+v", m)
	}
	// A rule whose expression fails at run time does not match.
	delete(evs[0].Data, "tone")
	m, err = set.Evaluate(evs[0])
	var ee *EvalError
	if len(m) != 0 || !errors.As(err, &ee) || ee.Rule != "pci-pause" {
		t.Errorf("missing key: %+v %v", m, err)
	}
}

func TestHash(t *testing.T) {
	// FNV-1a 32 reference values.
	for s, want := range map[string]int64{"": 0x811c9dc5, "a": 0xe40c292c, "foobar": 0xbf9cf968} {
		if got := Hash(s); got != want {
			t.Errorf("Hash(%q) = %#x, want %#x", s, got, want)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	_, err := Load(filepath.Join(td, "bad.yaml"))
	if err == nil {
		t.Fatal("bad.yaml loaded")
	}
	msg := err.Error()
	for _, want := range []string{
		`bad.yaml:6: rule "typo-in-cel": when: column 29: undeclared reference to 'calll'`,
		`bad.yaml:11: rule "not-bool": when: expression has type int, want bool`,
		`bad.yaml:16: rule "bad-action": do: unknown action "record"`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, `"fine"`) {
		t.Errorf("good rule reported: %s", msg)
	}
	var re *Error
	if !errors.As(err, &re) || re.File == "" || re.Line == 0 {
		t.Errorf("not a *rules.Error: %T", err)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"rules: {}", "rules must be a list"},
		{"rule: []", "unknown top-level key"},
		{"rules:\n  - name: a\n    on: Microsoft.Communication.CallStarted\n    do: start\n    wen: x\n", "field wen not found"},
		{"rules:\n  - on: Microsoft.Communication.CallStarted\n    do: start\n", "missing name"},
		{"rules:\n  - name: a\n    do: start\n", "missing event type"},
		{"rules:\n  - name: a\n    on: CallStarted\n    do: start\n", "want Microsoft.Communication"},
		{"rules:\n  - name: a\n    on: Microsoft.Communication.CallStarted\n    do: pause\n    with: {channel: mixed}\n", "start only"},
		{"rules:\n  - name: a\n    on: Microsoft.Communication.CallStarted\n    do: start\n    with: {channel: unmixed, format: mp3}\n", "wav only"},
		{"rules:\n  - name: a\n    on: Microsoft.Communication.CallStarted\n    do: start\n  - name: a\n    on: Microsoft.Communication.CallStarted\n    do: stop\n", "x.yaml:5: rule \"a\": name: duplicate name (first at line 2)"},
		{"rules:\n  - name: a\n    on: Microsoft.Communication.CallStarted\n    when: \"event.x ==\"\n    do: start\n", "x.yaml:2: rule \"a\": when: column"},
		{"rules: [\n", "x.yaml:"},
	} {
		_, err := Parse("x.yaml", []byte(tc.src))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err %v, want %q", tc.src, err, tc.want)
		}
	}
}

func TestEngineReload(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rules.yaml")
	write := func(s string) {
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	write("rules:\n  - name: one\n    on: Microsoft.Communication.CallStarted\n    do: start\n")
	e, err := NewEngine(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	ev := Event{Type: "Microsoft.Communication.CallStarted"}
	// Evaluations run concurrently with reloads and never see a broken set.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int)
	go func() {
		n := 0
		for ctx.Err() == nil {
			m, err := e.Evaluate(ev)
			if err != nil || len(m) != 1 {
				t.Errorf("evaluation during reload: %+v %v", m, err)
				break
			}
			n++
		}
		done <- n
	}()
	write("rules:\n  - name: broken\n    on: Microsoft.Communication.CallStarted\n    when: 'nope('\n    do: start\n")
	if ok, err := e.Reload(); ok || err == nil {
		t.Errorf("bad file installed: %v %v", ok, err)
	}
	if e.Rules().Rules[0].Name != "one" {
		t.Error("old rules lost")
	}
	write("rules:\n  - name: two\n    on: Microsoft.Communication.CallStarted\n    do: stop\n")
	go e.Watch(ctx, 10*time.Millisecond)
	deadline := time.Now().Add(5 * time.Second)
	for e.Rules().Rules[0].Name != "two" && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if e.Rules().Rules[0].Name != "two" {
		t.Error("file change not picked up")
	}
	cancel()
	if n := <-done; n == 0 {
		t.Error("no evaluations ran")
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"pci.yaml", "bad.yaml"} {
		b, err := os.ReadFile(filepath.Join(td, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("rules:\n  - name: a\n    on: [Microsoft.Communication.X]\n    when: \"hash(event.id) % 2 == 0\"\n    do: stop\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		set, err := Parse("fuzz.yaml", b)
		if err != nil {
			var re *Error
			if !errors.As(err, &re) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		for _, r := range set.Rules {
			if r.prg == nil || r.Name == "" || len(r.On) == 0 {
				t.Fatalf("incomplete rule accepted: %+v", r)
			}
			_, _ = set.Evaluate(Event{Type: r.On[0], Data: map[string]any{"tone": "one"}})
		}
	})
}
