package quality

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/callscope/callscope/internal/config"
)

// decode loads a "quality" section the way the commands do.
func decode(t *testing.T, yamlText string) (Config, error) {
	t.Helper()
	c, err := config.Parse("test.yaml", []byte(yamlText))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	cfg := DefaultConfig()
	err = c.Decode("quality", &cfg)
	return cfg, err
}

func TestConfigExampleFile(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "testdata", "quality", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := decode(t, string(data))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	e, err := NewEvaluator(cfg)
	if err != nil {
		t.Fatalf("NewEvaluator: %v", err)
	}
	c := e.Config()
	// Merged over the defaults: changed keys changed, others kept.
	if c.Flags.DeadAir.MinS != 8 || c.Flags.DeadAir.CriticalS != 120 || c.Flags.DeadAir.Severity != SeverityWarning {
		t.Errorf("dead_air = %+v, want min_s 8 and the default critical_s and severity", c.Flags.DeadAir)
	}
	if c.Roles.Kinds["phoneNumber"] != RoleCustomer || c.Roles.Kinds["communicationUser"] != RoleUnknown {
		t.Errorf("kinds = %v: want the defaults kept", c.Roles.Kinds)
	}
	if c.Flags.Overtalk.MaxInterruptions[RoleAgent] != 2 || c.Flags.Overtalk.MaxInterruptions[RoleCustomer] != 6 {
		t.Errorf("max_interruptions = %v, want agent 2 (default), customer 6", c.Flags.Overtalk.MaxInterruptions)
	}
	if c.Score.Weights[SeverityCritical] != 60 || c.Score.Weights[SeverityWarning] != 10 {
		t.Errorf("weights = %v", c.Score.Weights)
	}
	if len(c.Flags.Custom) != 3 || len(c.Roles.Rules) != 2 {
		t.Fatalf("custom %d, rules %d; want 3, 2", len(c.Flags.Custom), len(c.Roles.Rules))
	}

	// The example's rules and flags at work on a call with a bot, an agent
	// listed by id, and a customer who barely talks.
	in := baseInput()
	in.Participants[0].ID = "8:acs:5d9b7c1e-3f2a-4e8b-9c0d-1a2b3c4d5e6f_00000001-aaaa-4bbb-8ccc-000000000007"
	v := e.Evaluate(in)
	if want := []string{RoleAgent, RoleCustomer}; !slices.Equal(v.Roles, want) {
		t.Errorf("roles %v, want %v", v.Roles, want)
	}
	in.Result.PerChannel[1].TalkS = 4
	in.Result.Call.TalkSumS = 54
	in.Result.PerChannel[0].Levels.SNRDB = 20
	v = e.Evaluate(in)
	names := v.FlagNames()
	for _, n := range []string{"customer_barely_talks", "agent_snr_marginal", FlagTalkRatio} {
		if !slices.Contains(names, n) {
			t.Errorf("flags %v: want %s", names, n)
		}
	}
	if len(v.Errors) != 0 {
		t.Errorf("errors: %v", v.Errors)
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		Name  string
		YAML  string
		Error string // substring of the error
		Pos   [2]int // line, column of an *ExprError, 0 when not one
	}{
		{Name: "unknown key", YAML: "quality:\n  flags:\n    dead_air:\n      min_secs: 3\n", Error: "min_secs"},
		{Name: "bad severity", YAML: "quality:\n  flags:\n    clipping:\n      severity: urgent\n", Error: `flags.clipping.severity: unknown severity "urgent"`},
		{Name: "negative threshold", YAML: "quality:\n  flags:\n    dead_air:\n      min_s: -1\n", Error: "flags.dead_air.min_s: must be ≥ 0"},
		{Name: "talk ratio band", YAML: "quality:\n  flags:\n    talk_ratio:\n      min_share: 0.7\n", Error: "min_share 0.7 above max_share 0.65"},
		{Name: "bad role in kinds", YAML: "quality:\n  roles:\n    kinds:\n      phoneNumber: caller\n", Error: `roles.kinds.phoneNumber: unknown role "caller"`},
		{Name: "bad kind", YAML: "quality:\n  roles:\n    kinds:\n      phone: customer\n", Error: `roles.kinds.phone: unknown identifier kind`},
		{Name: "bad interrupter role", YAML: "quality:\n  flags:\n    overtalk:\n      max_interruptions: {boss: 1}\n", Error: "flags.overtalk.max_interruptions.boss"},
		{Name: "bad weight", YAML: "quality:\n  score:\n    weights: {critical: 150}\n", Error: "score.weights.critical: weight must be within 0..100"},
		{Name: "bad weight key", YAML: "quality:\n  score:\n    weights: {fatal: 10}\n", Error: "score.weights.fatal: unknown severity"},
		{Name: "rule role", YAML: "quality:\n  roles:\n    rules:\n      - {name: r1, when: 'true', role: boss}\n", Error: `roles.rules[0] (r1).role: unknown role "boss"`},
		{Name: "rule missing when", YAML: "quality:\n  roles:\n    rules:\n      - {name: r1, role: agent}\n", Error: "roles.rules[0] (r1).when: missing expression"},
		{Name: "rule undeclared", YAML: "quality:\n  roles:\n    rules:\n      - {name: r1, when: \"participant.kind == 'phoneNumber' || caller.id == ''\", role: agent}\n",
			Error: "roles.rules[0] (r1).when:1:38: undeclared reference to 'caller'", Pos: [2]int{1, 38}},
		{Name: "rule unknown field", YAML: "quality:\n  roles:\n    rules:\n      - {name: r1, when: \"participant.phone == 'x'\", role: agent}\n",
			Error: "roles.rules[0] (r1).when:1:12: undefined field 'phone'", Pos: [2]int{1, 12}},
		{Name: "rule not bool", YAML: "quality:\n  roles:\n    rules:\n      - {name: r1, when: \"participant.id\", role: agent}\n",
			Error: "roles.rules[0] (r1).when: expression has type string, want bool"},
		{Name: "custom typo", YAML: "quality:\n  flags:\n    custom:\n      - {name: x, when: 'call.tlak_s > 3.0', severity: info}\n",
			Error: "flags.custom[0] (x).when:1:5: undefined field 'tlak_s'", Pos: [2]int{1, 5}},
		{Name: "custom channel in call mode", YAML: "quality:\n  flags:\n    custom:\n      - {name: x, when: 'channel.talk_s > 3.0', severity: info}\n",
			Error: "flags.custom[0] (x).when:1:1: undeclared reference to 'channel'", Pos: [2]int{1, 1}},
		{Name: "custom int vs double", YAML: "quality:\n  flags:\n    custom:\n      - {name: x, when: 'call.talk_s > call.turns', severity: info}\n",
			Error: "flags.custom[0] (x).when:1:13: found no matching overload for '_>_'", Pos: [2]int{1, 13}},
		{Name: "custom syntax", YAML: "quality:\n  flags:\n    custom:\n      - name: x\n        severity: info\n        when: |\n          call.talk_s > 3.0 &&\n          (call.turns > \n",
			Error: "flags.custom[0] (x).when:3:1: Syntax error", Pos: [2]int{3, 1}},
		{Name: "custom not bool", YAML: "quality:\n  flags:\n    custom:\n      - {name: x, when: 'call.talk_s', severity: info}\n",
			Error: "flags.custom[0] (x).when: expression has type double, want bool"},
		{Name: "custom value type", YAML: "quality:\n  flags:\n    custom:\n      - {name: x, when: 'true', value: 'call.chunks > 1', severity: info}\n",
			Error: "flags.custom[0] (x).value: expression has type bool, want double or int"},
		{Name: "custom bad name", YAML: "quality:\n  flags:\n    custom:\n      - {name: Long-Hold, when: 'true', severity: info}\n",
			Error: `flags.custom[0].name: flag name "Long-Hold"`},
		{Name: "custom builtin name", YAML: "quality:\n  flags:\n    custom:\n      - {name: dead_air, when: 'true', severity: info}\n",
			Error: `flags.custom[0] (dead_air).name: duplicate flag name "dead_air"`},
		{Name: "custom duplicate", YAML: "quality:\n  flags:\n    custom:\n      - {name: a, when: 'true', severity: info}\n      - {name: a, when: 'true', severity: info}\n",
			Error: `flags.custom[1] (a).name: duplicate flag name "a"`},
		{Name: "custom severity", YAML: "quality:\n  flags:\n    custom:\n      - {name: a, when: 'true'}\n",
			Error: `flags.custom[0] (a).severity: unknown severity ""`},
		{Name: "custom missing when", YAML: "quality:\n  flags:\n    custom:\n      - {name: a, severity: info}\n",
			Error: `flags.custom[0] (a).when: missing expression`},
	}
	for _, tt := range tests {
		t.Run(tt.Name, func(t *testing.T) {
			cfg, err := decode(t, tt.YAML)
			if err == nil {
				_, err = NewEvaluator(cfg)
			}
			if err == nil {
				t.Fatalf("no error, want %q", tt.Error)
			}
			if !strings.Contains(err.Error(), tt.Error) {
				t.Fatalf("error\n got  %v\n want …%s…", err, tt.Error)
			}
			var ee *ExprError
			if tt.Pos[0] > 0 {
				if !errors.As(err, &ee) {
					t.Fatalf("error %T is not an *ExprError", err)
				}
				if ee.Line != tt.Pos[0] || (tt.Pos[1] > 0 && ee.Column != tt.Pos[1]) {
					t.Errorf("position %d:%d, want %d:%d", ee.Line, ee.Column, tt.Pos[0], tt.Pos[1])
				}
			}
		})
	}
}

func TestDefaultConfigValid(t *testing.T) {
	cfg := DefaultConfig()
	if _, err := NewEvaluator(cfg); err != nil {
		t.Fatal(err)
	}
	// Every built-in flag has a documented default severity.
	e := mustEvaluator(t, cfg)
	for _, name := range BuiltinFlags {
		if !strings.Contains(docText(t), name) {
			t.Errorf("flag %s missing from doc.go", name)
		}
	}
	_ = e
	// A nil map in a hand-built Config falls back to the defaults.
	cfg.Roles.Kinds, cfg.Score.Weights = nil, nil
	e = mustEvaluator(t, cfg)
	if v := e.Evaluate(baseInput()); v.Roles[1] != RoleCustomer {
		t.Errorf("roles %v with nil kinds: want the default kinds", v.Roles)
	}
}

func docText(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
