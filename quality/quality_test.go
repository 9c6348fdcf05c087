package quality

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/callscope/callscope/dsp"
	"github.com/callscope/callscope/recording"
)

func TestRoles(t *testing.T) {
	const (
		acs1  = "8:acs:r_1"
		acs2  = "8:acs:r_2"
		phone = "4:+14255550123"
		teams = "8:orgid:2dd0a7b8-8a29-4d6a-8ad1-35d1cc5a2a91"
		app   = "28:orgid:bot"
	)
	tests := []struct {
		Name   string
		Rules  []RoleRule
		Infer  *bool
		Input  []Participant
		N      int
		Output []string
		Error  string
	}{
		{Name: "acs user and phone: inferred agent", Input: []Participant{{0, acs1, ""}, {1, phone, ""}}, N: 2,
			Output: []string{RoleAgent, RoleCustomer}},
		{Name: "no inference", Infer: new(false), Input: []Participant{{0, acs1, ""}, {1, phone, ""}}, N: 2,
			Output: []string{RoleUnknown, RoleCustomer}},
		{Name: "two acs users: no inference", Input: []Participant{{0, acs1, ""}, {1, acs2, ""}, {2, phone, ""}}, N: 3,
			Output: []string{RoleUnknown, RoleUnknown, RoleCustomer}},
		{Name: "teams user is agent, app is bot", Input: []Participant{{0, teams, ""}, {1, phone, ""}, {2, app, ""}}, N: 3,
			Output: []string{RoleAgent, RoleCustomer, RoleBot}},
		{Name: "unmapped channel not inferred", Input: []Participant{{1, phone, ""}}, N: 2,
			Output: []string{RoleUnknown, RoleCustomer}},
		{Name: "explicit kind wins over id", Input: []Participant{{0, "x", "phoneNumber"}}, N: 1,
			Output: []string{RoleCustomer}},
		{Name: "rule by id list", Rules: []RoleRule{{Name: "agents", When: "participant.id in ['8:acs:r_2']", Role: RoleAgent}},
			Input: []Participant{{0, acs1, ""}, {1, acs2, ""}, {2, phone, ""}}, N: 3,
			Output: []string{RoleUnknown, RoleAgent, RoleCustomer}},
		{Name: "rule order: first match", Rules: []RoleRule{
			{Name: "a", When: "participant.channel == 0", Role: RoleBot},
			{Name: "b", When: "participant.kind == 'communicationUser'", Role: RoleAgent}},
			Input: []Participant{{0, acs1, ""}, {1, acs2, ""}}, N: 2,
			Output: []string{RoleBot, RoleAgent}},
		{Name: "rule over participants", Rules: []RoleRule{{When: "participant.kind == 'communicationUser' && participants.exists(p, p.kind == 'phoneNumber')", Role: RoleAgent}},
			Input: []Participant{{0, acs1, ""}, {1, acs2, ""}, {2, phone, ""}}, N: 3,
			Output: []string{RoleAgent, RoleAgent, RoleCustomer}},
		{Name: "rule on unmapped", Rules: []RoleRule{{When: "!participant.mapped", Role: RoleBot}},
			Input: []Participant{{1, phone, ""}}, N: 2,
			Output: []string{RoleBot, RoleCustomer}},
		{Name: "rule error does not match", Rules: []RoleRule{{Name: "boom", When: "participant.id[0] == 'x'", Role: RoleAgent}},
			Input: []Participant{{0, phone, ""}}, N: 1,
			Output: []string{RoleCustomer}, Error: "roles.rules[0] (boom).when"},
	}
	for _, tt := range tests {
		t.Run(tt.Name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Roles.Rules = tt.Rules
			if tt.Infer != nil {
				cfg.Roles.InferAgent = *tt.Infer
			}
			e, err := NewEvaluator(cfg)
			if err != nil {
				if tt.Error != "" && strings.Contains(err.Error(), tt.Error) {
					return // a compile-time error is acceptable for a bad expression
				}
				t.Fatal(err)
			}
			res := &dsp.Result{Channels: tt.N, Call: dsp.CallMetrics{DurationS: 60}}
			v := e.Evaluate(Input{Result: res, Participants: tt.Input, Complete: true})
			if !slices.Equal(v.Roles, tt.Output) {
				t.Errorf("roles\n got  %v\n want %v", v.Roles, tt.Output)
			}
			switch {
			case tt.Error == "" && len(v.Errors) > 0:
				t.Errorf("errors %v, want none", v.Errors)
			case tt.Error != "" && (len(v.Errors) == 0 || !strings.Contains(v.Errors[0].Error(), tt.Error)):
				t.Errorf("errors %v, want one with %q", v.Errors, tt.Error)
			}
		})
	}
}

func TestCustomFlags(t *testing.T) {
	tests := []struct {
		Name   string
		Flag   CustomFlag
		Input  func(*Input)
		Output []string // fmtFlag of each custom flag raised, detail dropped
		Error  string   // substring of Verdict.Errors[0]
	}{
		{Name: "call level, not raised", Flag: CustomFlag{Name: "long_call", When: "call.duration_s > 600.0", Severity: SeverityInfo},
			Output: nil},
		{Name: "call level with value", Flag: CustomFlag{Name: "long_call", When: "call.duration_s > 60.0", Value: "call.duration_s", Threshold: 60, Severity: SeverityInfo},
			Output: []string{"long_call info ch=nil value=120 threshold=60 start=nil"}},
		{Name: "int value", Flag: CustomFlag{Name: "many_turns", When: "call.turns >= 20", Value: "call.turns", Severity: SeverityWarning},
			Output: []string{"many_turns warning ch=nil value=20 threshold=0 start=nil"}},
		{Name: "default value 1", Flag: CustomFlag{Name: "x", When: "call.complete && call.chunks == 1 && call.channels == 2", Severity: SeverityInfo},
			Output: []string{"x info ch=nil value=1 threshold=0 start=nil"}},
		{Name: "sees built-in flags", Flag: CustomFlag{Name: "pci_and_silence", When: "'dtmf_captured' in flags && 'dead_air' in flags", Severity: SeverityCritical},
			Input:  func(in *Input) { dtmf(1, 2)(in); withSilence(12)(in) },
			Output: []string{"pci_and_silence critical ch=nil value=1 threshold=0 start=nil"}},
		{Name: "roles and shares", Flag: CustomFlag{Name: "agent_dominates", When: "call.agent_share > 0.45 && call.agent_talk_s == 50.0 && call.customer_talk_s == 54.0", Value: "call.agent_share", Severity: SeverityInfo},
			Output: []string{"agent_dominates info ch=nil value=0.480769 threshold=0 start=nil"}},
		{Name: "channels list", Flag: CustomFlag{Name: "all_mapped", When: "channels.all(c, c.mapped) && channels.exists(c, c.role == 'customer' && c.participant_kind == 'phoneNumber')", Severity: SeverityInfo},
			Output: []string{"all_mapped info ch=nil value=1 threshold=0 start=nil"}},
		{Name: "per channel", Flag: CustomFlag{Name: "quiet_channel", PerChannel: true, When: "channel.speech_level_dbfs < -30.0", Value: "channel.speech_level_dbfs", Threshold: -30, Severity: SeverityWarning},
			Input:  level(1, -35, 54),
			Output: []string{"quiet_channel warning ch=1 value=-35 threshold=-30 start=nil"}},
		{Name: "per channel, every channel", Flag: CustomFlag{Name: "talked", PerChannel: true, When: "channel.talk_s > 0.0 && !channel.one_way", Value: "channel.channel", Severity: SeverityInfo},
			Output: []string{"talked info ch=0 value=0 threshold=0 start=nil", "talked info ch=1 value=1 threshold=0 start=nil"}},
		{Name: "one_way visible", Flag: CustomFlag{Name: "dead_line", PerChannel: true, When: "channel.one_way && channel.role == 'customer'", Severity: SeverityCritical},
			Input:  oneWay(0, 0, -90),
			Output: []string{"dead_line critical ch=1 value=1 threshold=0 start=nil"}},
		{Name: "math and strings extensions", Flag: CustomFlag{Name: "ext", When: "math.greatest(call.talk_s, call.silence_s) == 100.0 && channels[1].participant_id.startsWith('4:+1')", Severity: SeverityInfo},
			Output: []string{"ext info ch=nil value=1 threshold=0 start=nil"}},
		{Name: "evaluation error", Flag: CustomFlag{Name: "div", When: "call.turns / (call.chunks - 1) > 2", Severity: SeverityInfo},
			Output: nil, Error: "flags.custom[0] (div).when: evaluate: division by zero"},
		{Name: "evaluation error per channel", Flag: CustomFlag{Name: "div", PerChannel: true, When: "channel.segments / (1 - channel.channel) > 2", Severity: SeverityInfo},
			Output: []string{"div info ch=0 value=1 threshold=0 start=nil"}, Error: "channel 1: quality: flags.custom[0] (div).when: evaluate: division by zero"},
		{Name: "disabled", Flag: CustomFlag{Name: "off", When: "true", Severity: SeverityInfo, Disabled: true},
			Output: nil},
	}
	for _, tt := range tests {
		t.Run(tt.Name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Flags.TalkRatio.Enabled = false
			cfg.Flags.Custom = []CustomFlag{tt.Flag}
			e := mustEvaluator(t, cfg)
			in := baseInput()
			if tt.Input != nil {
				tt.Input(&in)
			}
			v := e.Evaluate(in)
			var g []string
			for _, f := range v.Flags {
				if f.Name == tt.Flag.Name {
					f.Detail = ""
					g = append(g, fmtFlag(f))
				}
			}
			if !slices.Equal(g, tt.Output) {
				t.Errorf("custom flags\n got  %q\n want %q", g, tt.Output)
			}
			switch {
			case tt.Error == "" && len(v.Errors) > 0:
				t.Errorf("errors %v, want none", v.Errors)
			case tt.Error != "":
				if len(v.Errors) != 1 || !strings.Contains(v.Errors[0].Error(), tt.Error) {
					t.Fatalf("errors %v, want one with %q", v.Errors, tt.Error)
				}
				var ee *ExprError
				if !errors.As(v.Errors[0], &ee) {
					t.Errorf("error %T does not wrap an *ExprError", v.Errors[0])
				}
			}
		})
	}
}

func TestScore(t *testing.T) {
	fl := func(name, sev string, ch int) Flag {
		f := Flag{Name: name, Severity: sev}
		if ch >= 0 {
			f.Channel = iptr(ch)
		}
		return f
	}
	tests := []struct {
		Name    string
		Weights map[string]float64
		Flags   []Flag
		Output  float64
	}{
		{Name: "clean", Output: 100},
		{Name: "one info", Flags: []Flag{fl("a", SeverityInfo, -1)}, Output: 98},
		{Name: "one warning", Flags: []Flag{fl("a", SeverityWarning, -1)}, Output: 90},
		{Name: "one critical", Flags: []Flag{fl("a", SeverityCritical, -1)}, Output: 50},
		{Name: "one of each", Flags: []Flag{fl("a", SeverityInfo, -1), fl("b", SeverityWarning, -1), fl("c", SeverityCritical, -1)}, Output: 38},
		{Name: "same flag on two channels counts once", Flags: []Flag{fl("a", SeverityWarning, 0), fl("a", SeverityWarning, 1)}, Output: 90},
		{Name: "same flag, highest severity counts", Flags: []Flag{fl("a", SeverityWarning, -1), fl("a", SeverityCritical, 1)}, Output: 50},
		{Name: "floor at zero", Flags: []Flag{fl("a", SeverityCritical, -1), fl("b", SeverityCritical, -1), fl("c", SeverityWarning, -1)}, Output: 0},
		{Name: "custom weights", Weights: map[string]float64{SeverityInfo: 0, SeverityWarning: 5, SeverityCritical: 100},
			Flags: []Flag{fl("a", SeverityInfo, -1), fl("b", SeverityWarning, -1)}, Output: 95},
	}
	for _, tt := range tests {
		t.Run(tt.Name, func(t *testing.T) {
			cfg := DefaultConfig()
			if tt.Weights != nil {
				cfg.Score.Weights = tt.Weights
			}
			e := mustEvaluator(t, cfg)
			if got := e.score(tt.Flags); got != tt.Output {
				t.Errorf("score %v, want %v", got, tt.Output)
			}
		})
	}
	// End to end: the score of a verdict follows its flags.
	e := mustEvaluator(t, DefaultConfig())
	in := baseInput()
	dtmf(1, 3)(&in)
	withSilence(15)(&in)
	clip(0, 0.01)(&in)
	clip(1, 0.01)(&in)
	v := e.Evaluate(in)
	if want := []string{FlagDTMFCaptured, FlagClipping, FlagDeadAir}; !slices.Equal(v.FlagNames(), want) {
		t.Errorf("flag names %v, want %v", v.FlagNames(), want)
	}
	if v.Score != 30 || v.MaxSeverity() != SeverityCritical {
		t.Errorf("score %v, max severity %q; want 30, critical", v.Score, v.MaxSeverity())
	}
}

func TestEvaluateDegenerate(t *testing.T) {
	e := mustEvaluator(t, DefaultConfig())
	v := e.Evaluate(Input{})
	if len(v.Roles) != 0 || len(v.OneWay) != 0 {
		t.Errorf("nil result: roles %v one-way %v", v.Roles, v.OneWay)
	}
	if want := []string{FlagRecordingIncomplete, FlagShortRecording}; !slices.Equal(v.FlagNames(), want) {
		t.Errorf("nil result: flags %v, want %v", v.FlagNames(), want)
	}
	// PerChannel shorter than Channels, and out of order.
	res := &dsp.Result{Channels: 3, Call: dsp.CallMetrics{DurationS: 30}, PerChannel: []dsp.ChannelResult{{Channel: 2, TalkS: 20}, {Channel: 0, TalkS: 1.5}}}
	v = e.Evaluate(Input{Result: res, Complete: true, Participants: []Participant{{0, "4:+1", ""}, {1, "4:+2", ""}, {2, "8:acs:x", ""}}})
	if want := []bool{false, true, false}; !slices.Equal(v.OneWay, want) {
		t.Errorf("one-way %v, want %v", v.OneWay, want)
	}
}

func TestInputHelpers(t *testing.T) {
	ch := func(c int) *int { return &c }
	t0 := time.Date(2026, 11, 20, 14, 3, 5, 0, time.UTC)
	md0 := &recording.Metadata{
		Participants:         []recording.Participant{{ParticipantID: "8:acs:a", Channel: ch(0)}, {ParticipantID: "4:+1425", Channel: ch(1)}, {ParticipantID: "mixed"}},
		PauseResumeIntervals: []recording.PauseInterval{{StartTime: t0, DurationMs: 45000}},
	}
	md1 := &recording.Metadata{
		Participants:         []recording.Participant{{ParticipantID: "8:acs:b", Channel: ch(1)}, {ParticipantID: "28:orgid:bot", Channel: ch(2)}},
		PauseResumeIntervals: []recording.PauseInterval{{StartTime: t0.Add(time.Hour), DurationMs: 1500}},
	}
	got := ParticipantsFromMetadata(md1, nil, md0)
	want := []Participant{{0, "8:acs:a", "communicationUser"}, {1, "8:acs:b", "communicationUser"}, {2, "28:orgid:bot", "microsoftTeamsApp"}}
	if !slices.Equal(got, want) {
		t.Errorf("participants\n got  %v\n want %v", got, want)
	}
	if p := PausedSeconds(md0, nil, md1); p != 46.5 {
		t.Errorf("paused %v, want 46.5", p)
	}
	for _, tt := range []struct {
		chunks           []recording.ManifestChunk
		present, missing int
		complete         bool
	}{
		{nil, 0, 0, false},
		{[]recording.ManifestChunk{{Index: 0, EndReason: "SessionEnded"}}, 1, 0, true},
		{[]recording.ManifestChunk{{Index: 0, EndReason: "ChunkMaximumTimeExceeded"}}, 1, 0, false},
		{[]recording.ManifestChunk{{Index: 0}, {Index: 2}, {Index: 3, EndReason: "SessionEnded"}}, 3, 1, false},
		{[]recording.ManifestChunk{{Index: 1, EndReason: "SessionEnded"}, {Index: 0}, {Index: 0}}, 2, 0, false},
	} {
		p, m, c := ChunkState(tt.chunks)
		if p != tt.present || m != tt.missing || c != tt.complete {
			t.Errorf("ChunkState(%v) = %d, %d, %v; want %d, %d, %v", tt.chunks, p, m, c, tt.present, tt.missing, tt.complete)
		}
	}
}

// benchInput is a realistic 2-channel 10-minute call: 300 segments, 150
// silences, 40 overlaps, some DTMF.
func benchInput() Input {
	in := baseInput()
	r := in.Result
	r.Call.DurationS = 600
	for i := range 300 {
		s := float64(i) * 2
		r.Segments = append(r.Segments, dsp.Segment{Channel: i % 2, Start: s, End: s + 1.5})
	}
	for i := range 150 {
		s := float64(i) * 4
		r.Silences = append(r.Silences, dsp.Silence{Start: s + 1.5, End: s + 2.7 + float64(i%13), Kind: dsp.SilenceGap})
	}
	for i := range 40 {
		s := float64(i) * 15
		r.Overlaps = append(r.Overlaps, dsp.Overlap{Start: s, End: s + 0.5, Kind: dsp.OverlapInterruption, By: i % 2, Of: 1 - i%2})
	}
	dtmf(1, 4)(&in)
	r.PerChannel[0].InterruptionsMade = 20
	return in
}

func BenchmarkEvaluate(b *testing.B) {
	for _, bc := range []struct {
		name   string
		custom []CustomFlag
	}{
		{"builtin", nil},
		{"custom", []CustomFlag{
			{Name: "a", When: "call.customer_talk_s < 0.1 * call.talk_sum_s", Severity: SeverityWarning},
			{Name: "b", PerChannel: true, When: "channel.role == 'agent' && channel.snr_db < 25.0 && !('low_snr' in flags)", Value: "channel.snr_db", Severity: SeverityInfo},
			{Name: "c", When: "channels.exists(c, c.one_way)", Severity: SeverityCritical},
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			cfg := DefaultConfig()
			cfg.Roles.Rules = []RoleRule{{Name: "agents", When: "participant.id in ['8:acs:x', '8:acs:y']", Role: RoleAgent}}
			cfg.Flags.Custom = bc.custom
			e := mustEvaluator(b, cfg)
			in := benchInput()
			b.ReportAllocs()
			for b.Loop() {
				v := e.Evaluate(in)
				if len(v.Flags) == 0 {
					b.Fatal("no flags")
				}
			}
		})
	}
}

func ExampleEvaluator_Evaluate() {
	e, err := NewEvaluator(DefaultConfig())
	if err != nil {
		panic(err)
	}
	res := &dsp.Result{
		Channels: 2,
		Call:     dsp.CallMetrics{DurationS: 95, TalkS: 70, TalkSumS: 72, OverlapS: 2, DTMFCount: 4},
		PerChannel: []dsp.ChannelResult{
			{Channel: 0, TalkS: 40, Levels: dsp.Levels{SpeechLevelDBFS: -24, NoiseFloorDBFS: -68, SNRDB: 44}},
			{Channel: 1, TalkS: 32, DTMFCount: 4, Levels: dsp.Levels{SpeechLevelDBFS: -31, NoiseFloorDBFS: -60, SNRDB: 29}},
		},
		Silences: []dsp.Silence{{Start: 41.2, End: 54.0, Kind: dsp.SilenceDeadAir}},
		Tones:    []dsp.Tone{{Channel: 1, Digit: '4', Start: 61.0, End: 61.1}},
	}
	v := e.Evaluate(Input{
		Result:       res,
		Participants: []Participant{{Channel: 0, ID: "8:acs:agent-1"}, {Channel: 1, ID: "4:+14255550123"}},
		Chunks:       1,
		Complete:     true,
	})
	fmt.Println("roles:", v.Roles)
	fmt.Println("score:", v.Score)
	for _, f := range v.Flags {
		fmt.Printf("%s %s value=%.1f threshold=%g start=%g: %s\n", f.Severity, f.Name, f.Value, f.Threshold, *f.StartS, f.Detail)
	}
	// Output:
	// roles: [agent customer]
	// score: 40
	// critical dtmf_captured value=4.0 threshold=0 start=61: 4 DTMF digit(s) recorded on channel 1 (customer); possible card or PIN entry, the recording should have been paused
	// warning dead_air value=12.8 threshold=10 start=41.2: 1 silence(s) ≥ 10 s, 12.8 s in total; longest 12.8 s at 0:41.2
}
