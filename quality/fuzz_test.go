package quality

import (
	"errors"
	"sync"
	"testing"
)

// FuzzCustomFlag: any expression either fails NewEvaluator with an
// *ExprError naming the flag, or evaluates without panicking (failures at
// run time land in Verdict.Errors).
func FuzzCustomFlag(f *testing.F) {
	for _, s := range []string{
		"call.talk_s > 3.0",
		"channels.exists(c, c.one_way) && 'dtmf_captured' in flags",
		"call.turns / (call.chunks - 1) > 2",
		"math.greatest(call.talk_s, call.silence_s) == 100.0",
		"channels[7].talk_s > 0.0",
		"call.tlak_s",
		"(((",
		"'a'.repeat(1000000) == ''",
		"channels.all(a, channels.all(b, channels.all(c, a.talk_s + b.talk_s + c.talk_s >= 0.0)))",
		"",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	in := benchInput()
	f.Fuzz(func(t *testing.T, when string, perChannel bool) {
		if len(when) > 4096 {
			return
		}
		cfg := DefaultConfig()
		cfg.Flags.Custom = []CustomFlag{{Name: "fuzz", When: when, Severity: SeverityInfo, PerChannel: perChannel}}
		e, err := NewEvaluator(cfg)
		if err != nil {
			var ee *ExprError
			var ce *ConfigError
			if !errors.As(err, &ee) && !errors.As(err, &ce) {
				t.Fatalf("error %T %v: want *ExprError or *ConfigError", err, err)
			}
			return
		}
		v := e.Evaluate(in)
		if v.Score < 0 || v.Score > 100 {
			t.Fatalf("score %v", v.Score)
		}
	})
}

// TestEvaluateConcurrent shares one Evaluator between goroutines (run with
// -race).
func TestEvaluateConcurrent(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Roles.Rules = []RoleRule{{When: "participant.kind == 'communicationUser'", Role: RoleAgent}}
	cfg.Flags.Custom = []CustomFlag{{Name: "c", PerChannel: true, When: "channel.talk_s > 1.0", Severity: SeverityInfo}}
	e := mustEvaluator(t, cfg)
	want := e.Evaluate(benchInput())
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 50 {
				v := e.Evaluate(benchInput())
				if v.Score != want.Score || len(v.Flags) != len(want.Flags) {
					t.Errorf("concurrent verdict differs: %v vs %v", v.Score, want.Score)
					return
				}
			}
		})
	}
	wg.Wait()
}
