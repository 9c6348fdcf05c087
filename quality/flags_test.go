package quality

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/callscope/callscope/dsp"
)

const (
	agentID    = "8:acs:5d9b7c1e-3f2a-4e8b-9c0d-1a2b3c4d5e6f_00000002-aaaa-4bbb-8ccc-0000000000a1"
	customerID = "4:+14255550123"
)

// baseInput is a clean two-party call that raises no flag under the
// defaults: channel 0 an ACS user (inferred agent), channel 1 a phone
// (customer), 120 s, balanced talk, good levels.
func baseInput() Input {
	lv := dsp.Levels{SpeechLevelDBFS: -26, ActivityFactor: 0.5, NoiseFloorDBFS: -70, SNRDB: 44, PeakDBFS: -6}
	return Input{
		Result: &dsp.Result{
			Channels: 2, SampleRate: 16000, Frames: 12000,
			Call: dsp.CallMetrics{
				DurationS: 120, TalkS: 100, TalkSumS: 104, SilenceS: 20, NonTalkS: 12,
				LongestSilenceS: 6, OverlapS: 4, OverlapCount: 3, Interruptions: 1, Turns: 20,
			},
			PerChannel: []dsp.ChannelResult{
				{Channel: 0, TalkS: 50, TalkShare: 50.0 / 120, SpeechShare: 50.0 / 104, Segments: 10, LongestMonologueS: 30, InterruptionsMade: 1, Levels: lv},
				{Channel: 1, TalkS: 54, TalkShare: 54.0 / 120, SpeechShare: 54.0 / 104, Segments: 10, LongestMonologueS: 25, Interrupted: 1, Levels: lv},
			},
			Segments: []dsp.Segment{{Channel: 0, Start: 0, End: 30}, {Channel: 1, Start: 33, End: 58}, {Channel: 0, Start: 60, End: 80}},
			Silences: []dsp.Silence{{Start: 30, End: 33, Kind: dsp.SilenceNonTalk}, {Start: 100, End: 106, Kind: dsp.SilenceNonTalk}},
			Overlaps: []dsp.Overlap{
				{Start: 10, End: 10.5, Kind: dsp.OverlapBackchannel, By: 1, Of: 0},
				{Start: 40, End: 41.5, Kind: dsp.OverlapInterruption, By: 0, Of: 1},
				{Start: 70, End: 72, Kind: dsp.OverlapOvertalk, By: 1, Of: 0},
			},
		},
		Participants: []Participant{{Channel: 0, ID: agentID}, {Channel: 1, ID: customerID}},
		Chunks:       1,
		Complete:     true,
	}
}

// want is an expected flag: name, severity, channel (-1 for none).
type want struct {
	Name     string
	Severity string
	Channel  int
}

func (w want) String() string { return fmt.Sprintf("%s/%s/ch%d", w.Name, w.Severity, w.Channel) }

func got(v Verdict) []want {
	out := []want{}
	for _, f := range v.Flags {
		c := -1
		if f.Channel != nil {
			c = *f.Channel
		}
		out = append(out, want{f.Name, f.Severity, c})
	}
	return out
}

func TestBaseInputIsClean(t *testing.T) {
	e := mustEvaluator(t, DefaultConfig())
	v := e.Evaluate(baseInput())
	if len(v.Flags) != 0 || v.Score != 100 {
		t.Fatalf("clean call: flags %v, score %v; want none, 100", got(v), v.Score)
	}
	if want := []string{RoleAgent, RoleCustomer}; !slices.Equal(v.Roles, want) {
		t.Errorf("roles %v, want %v", v.Roles, want)
	}
	if want := []bool{false, false}; !slices.Equal(v.OneWay, want) {
		t.Errorf("one-way %v, want %v", v.OneWay, want)
	}
}

func mustEvaluator(t testing.TB, cfg Config) *Evaluator {
	t.Helper()
	e, err := NewEvaluator(cfg)
	if err != nil {
		t.Fatalf("NewEvaluator: %v", err)
	}
	return e
}

// setTalk sets both channels' talk and keeps the call totals consistent.
func setTalk(in *Input, agent, customer float64) {
	r := in.Result
	r.PerChannel[0].TalkS, r.PerChannel[1].TalkS = agent, customer
	r.Call.TalkSumS = agent + customer
}

func withSilence(d float64) func(*Input) {
	return func(in *Input) {
		in.Result.Silences = append(in.Result.Silences, dsp.Silence{Start: 80, End: 80 + d, Kind: dsp.SilenceDeadAir})
	}
}

// TestBuiltinFlags checks every built-in flag at, just below and just above
// its threshold (and on the side conditions that gate it).
func TestBuiltinFlags(t *testing.T) {
	tests := []struct {
		Name   string
		Config func(*Config)
		Input  func(*Input)
		Output []want // the complete list of flags expected
	}{
		// dead_air: silence ≥ 10 s warning, ≥ 120 s critical.
		{Name: "dead_air/below", Input: withSilence(9.99), Output: nil},
		{Name: "dead_air/at", Input: withSilence(10), Output: []want{{FlagDeadAir, SeverityWarning, -1}}},
		{Name: "dead_air/at-rounded", Input: withSilence(9.9999999999), Output: []want{{FlagDeadAir, SeverityWarning, -1}}},
		{Name: "dead_air/above", Input: withSilence(10.01), Output: []want{{FlagDeadAir, SeverityWarning, -1}}},
		{Name: "dead_air/critical-below", Input: withSilence(119.99), Output: []want{{FlagDeadAir, SeverityWarning, -1}}},
		{Name: "dead_air/critical-at", Input: withSilence(120), Output: []want{{FlagDeadAir, SeverityCritical, -1}}},
		{Name: "dead_air/critical-above", Input: withSilence(120.01), Output: []want{{FlagDeadAir, SeverityCritical, -1}}},
		{Name: "dead_air/critical-off", Config: func(c *Config) { c.Flags.DeadAir.CriticalS = 0 }, Input: withSilence(500), Output: []want{{FlagDeadAir, SeverityWarning, -1}}},
		{Name: "dead_air/configured", Config: func(c *Config) { c.Flags.DeadAir.MinS = 5 }, Input: withSilence(5), Output: []want{{FlagDeadAir, SeverityWarning, -1}}},
		{Name: "dead_air/disabled", Config: func(c *Config) { c.Flags.DeadAir.Enabled = false }, Input: withSilence(30), Output: nil},

		// non_talk_share: non_talk_s / duration_s > 0.25.
		{Name: "non_talk_share/below", Input: func(in *Input) { in.Result.Call.NonTalkS = 29.9 }, Output: nil},
		{Name: "non_talk_share/at", Input: func(in *Input) { in.Result.Call.NonTalkS = 30 }, Output: nil},
		{Name: "non_talk_share/above", Input: func(in *Input) { in.Result.Call.NonTalkS = 30.1 }, Output: []want{{FlagNonTalkShare, SeverityInfo, -1}}},
		{Name: "non_talk_share/zero-duration", Input: func(in *Input) { in.Result.Call.DurationS = 0; in.Result.Call.NonTalkS = 5 }, Output: []want{{FlagShortRecording, SeverityInfo, -1}}},

		// overtalk (share): overlap_s / talk_s > 0.10.
		{Name: "overtalk/share-below", Input: func(in *Input) { in.Result.Call.OverlapS = 9.9 }, Output: nil},
		{Name: "overtalk/share-at", Input: func(in *Input) { in.Result.Call.OverlapS = 10 }, Output: nil},
		{Name: "overtalk/share-above", Input: func(in *Input) { in.Result.Call.OverlapS = 10.1 }, Output: []want{{FlagOvertalk, SeverityWarning, -1}}},
		// overtalk (interruptions by role): agent > 2.
		{Name: "overtalk/agent-below", Input: func(in *Input) { in.Result.PerChannel[0].InterruptionsMade = 1 }, Output: nil},
		{Name: "overtalk/agent-at", Input: func(in *Input) { in.Result.PerChannel[0].InterruptionsMade = 2 }, Output: nil},
		{Name: "overtalk/agent-above", Input: func(in *Input) { in.Result.PerChannel[0].InterruptionsMade = 3 }, Output: []want{{FlagOvertalk, SeverityWarning, 0}}},
		{Name: "overtalk/customer-unbounded", Input: func(in *Input) { in.Result.PerChannel[1].InterruptionsMade = 30 }, Output: nil},
		{Name: "overtalk/customer-bounded-at", Config: func(c *Config) { c.Flags.Overtalk.MaxInterruptions[RoleCustomer] = 5 }, Input: func(in *Input) { in.Result.PerChannel[1].InterruptionsMade = 5 }, Output: nil},
		{Name: "overtalk/customer-bounded-above", Config: func(c *Config) { c.Flags.Overtalk.MaxInterruptions[RoleCustomer] = 5 }, Input: func(in *Input) { in.Result.PerChannel[1].InterruptionsMade = 6 }, Output: []want{{FlagOvertalk, SeverityWarning, 1}}},
		{Name: "overtalk/agent-negative-bound", Config: func(c *Config) { c.Flags.Overtalk.MaxInterruptions[RoleAgent] = -1 }, Input: func(in *Input) { in.Result.PerChannel[0].InterruptionsMade = 9 }, Output: nil},

		// agent_monologue: agent's longest monologue > 90 s.
		{Name: "agent_monologue/below", Input: func(in *Input) { in.Result.PerChannel[0].LongestMonologueS = 89.99 }, Output: nil},
		{Name: "agent_monologue/at", Input: func(in *Input) { in.Result.PerChannel[0].LongestMonologueS = 90 }, Output: nil},
		{Name: "agent_monologue/above", Input: func(in *Input) { in.Result.PerChannel[0].LongestMonologueS = 90.01 }, Output: []want{{FlagAgentMonologue, SeverityWarning, 0}}},
		{Name: "agent_monologue/customer", Input: func(in *Input) { in.Result.PerChannel[1].LongestMonologueS = 300 }, Output: nil},

		// talk_ratio: agent share of speech outside [0.20, 0.65].
		{Name: "talk_ratio/max-below", Input: func(in *Input) { setTalk(in, 64.9, 35.1) }, Output: nil},
		{Name: "talk_ratio/max-at", Input: func(in *Input) { setTalk(in, 65, 35) }, Output: nil},
		{Name: "talk_ratio/max-above", Input: func(in *Input) { setTalk(in, 65.1, 34.9) }, Output: []want{{FlagTalkRatio, SeverityInfo, 0}}},
		{Name: "talk_ratio/min-above", Input: func(in *Input) { setTalk(in, 20.1, 79.9) }, Output: nil},
		{Name: "talk_ratio/min-at", Input: func(in *Input) { setTalk(in, 20, 80) }, Output: nil},
		{Name: "talk_ratio/min-below", Input: func(in *Input) { setTalk(in, 19.9, 80.1) }, Output: []want{{FlagTalkRatio, SeverityInfo, 0}}},
		{Name: "talk_ratio/min-talk-below", Input: func(in *Input) { setTalk(in, 9.99, 0) }, Output: nil},
		{Name: "talk_ratio/min-talk-at", Input: func(in *Input) { setTalk(in, 10, 0) }, Output: []want{{FlagTalkRatio, SeverityInfo, 0}}},
		{Name: "talk_ratio/no-agent", Input: func(in *Input) {
			setTalk(in, 90, 10)
			in.Participants[0].ID = "4:+14255550999" // two customers
		}, Output: nil},

		// one_way_audio: ≤ 1 s of talk, others ≥ 10 s, level at the floor.
		{Name: "one_way/talk-below", Config: noRatio, Input: oneWay(0.99, 5, -50), Output: []want{{FlagOneWayAudio, SeverityCritical, 1}}},
		{Name: "one_way/talk-at", Config: noRatio, Input: oneWay(1, 5, -50), Output: []want{{FlagOneWayAudio, SeverityCritical, 1}}},
		{Name: "one_way/talk-above", Config: noRatio, Input: oneWay(1.01, 5, -50), Output: nil},
		{Name: "one_way/snr-below", Config: noRatio, Input: oneWay(0, 9.99, -50), Output: []want{{FlagOneWayAudio, SeverityCritical, 1}}},
		{Name: "one_way/snr-at", Config: noRatio, Input: oneWay(0, 10, -50), Output: []want{{FlagOneWayAudio, SeverityCritical, 1}}},
		{Name: "one_way/snr-above", Config: noRatio, Input: oneWay(0, 10.01, -50), Output: nil},
		{Name: "one_way/level-below", Config: noRatio, Input: oneWay(0, 40, -70.01), Output: []want{{FlagOneWayAudio, SeverityCritical, 1}}},
		{Name: "one_way/level-at", Config: noRatio, Input: oneWay(0, 40, -70), Output: []want{{FlagOneWayAudio, SeverityCritical, 1}}},
		{Name: "one_way/level-above", Config: noRatio, Input: oneWay(0, 40, -69.99), Output: nil},
		{Name: "one_way/digital-silence", Config: noRatio, Input: oneWay(0, math.NaN(), math.Inf(-1)), Output: []want{{FlagOneWayAudio, SeverityCritical, 1}}},
		{Name: "one_way/others-below", Config: noRatio, Input: func(in *Input) { oneWay(0, 0, -90)(in); setTalk(in, 9.99, 0) }, Output: nil},
		{Name: "one_way/others-at", Config: noRatio, Input: func(in *Input) { oneWay(0, 0, -90)(in); setTalk(in, 10, 0) }, Output: []want{{FlagOneWayAudio, SeverityCritical, 1}}},
		{Name: "one_way/unmapped-with-metadata", Config: noRatio, Input: func(in *Input) { oneWay(0, 0, -90)(in); in.Participants = in.Participants[:1] }, Output: []want{{FlagChannelUnmapped, SeverityWarning, 1}}},
		{Name: "one_way/no-metadata", Config: noRatio, Input: func(in *Input) { oneWay(0, 0, -90)(in); in.Participants = nil }, Output: []want{{FlagOneWayAudio, SeverityCritical, 1}, {FlagChannelUnmapped, SeverityWarning, 0}, {FlagChannelUnmapped, SeverityWarning, 1}}},

		// low_level: talk ≥ 2 s and level < −40 dBFS.
		{Name: "low_level/below", Input: level(0, -40.01, 50), Output: []want{{FlagLowLevel, SeverityWarning, 0}}},
		{Name: "low_level/at", Input: level(0, -40, 50), Output: nil},
		{Name: "low_level/above", Input: level(0, -39.99, 50), Output: nil},
		{Name: "low_level/talk-below", Config: noRatio, Input: level(0, -50, 1.99), Output: nil},
		{Name: "low_level/talk-at", Config: noRatio, Input: level(0, -50, 2), Output: []want{{FlagLowLevel, SeverityWarning, 0}}},

		// low_snr: talk ≥ 2 s and SNR < 15 dB.
		{Name: "low_snr/below", Input: snr(1, 14.99, 50), Output: []want{{FlagLowSNR, SeverityWarning, 1}}},
		{Name: "low_snr/at", Input: snr(1, 15, 50), Output: nil},
		{Name: "low_snr/above", Input: snr(1, 15.01, 50), Output: nil},
		{Name: "low_snr/talk-below", Config: noRatio, Input: snr(1, 3, 1.99), Output: nil},
		{Name: "low_snr/talk-at", Config: noRatio, Input: snr(1, 3, 2), Output: []want{{FlagLowSNR, SeverityWarning, 1}}},

		// clipping: clipped ratio > 0.001.
		{Name: "clipping/below", Input: clip(1, 0.00099), Output: nil},
		{Name: "clipping/at", Input: clip(1, 0.001), Output: nil},
		{Name: "clipping/above", Input: clip(1, 0.00101), Output: []want{{FlagClipping, SeverityWarning, 1}}},

		// dtmf_captured: digits on a channel > 0 (any), critical.
		{Name: "dtmf/none", Input: dtmf(1, 0), Output: nil},
		{Name: "dtmf/one", Input: dtmf(1, 1), Output: []want{{FlagDTMFCaptured, SeverityCritical, 1}}},
		{Name: "dtmf/max-at", Config: func(c *Config) { c.Flags.DTMFCaptured.MaxCount = 4 }, Input: dtmf(1, 4), Output: nil},
		{Name: "dtmf/max-below", Config: func(c *Config) { c.Flags.DTMFCaptured.MaxCount = 4 }, Input: dtmf(1, 3), Output: nil},
		{Name: "dtmf/max-above", Config: func(c *Config) { c.Flags.DTMFCaptured.MaxCount = 4 }, Input: dtmf(1, 5), Output: []want{{FlagDTMFCaptured, SeverityCritical, 1}}},
		{Name: "dtmf/tones-only", Input: func(in *Input) { in.Result.Tones = []dsp.Tone{{Channel: 0, Digit: '5', Start: 3, End: 3.1}} }, Output: []want{{FlagDTMFCaptured, SeverityCritical, 0}}},

		// recording_incomplete.
		{Name: "recording_incomplete/complete", Input: func(in *Input) { in.Complete = true }, Output: nil},
		{Name: "recording_incomplete/gap", Input: func(in *Input) { in.Complete = false; in.Chunks = 2; in.MissingChunks = 1 }, Output: []want{{FlagRecordingIncomplete, SeverityWarning, -1}}},
		{Name: "recording_incomplete/no-end", Input: func(in *Input) { in.Complete = false }, Output: []want{{FlagRecordingIncomplete, SeverityWarning, -1}}},

		// channel_unmapped.
		{Name: "channel_unmapped/all-mapped", Input: func(in *Input) {}, Output: nil},
		{Name: "channel_unmapped/one", Input: func(in *Input) { in.Participants = in.Participants[1:] }, Output: []want{{FlagChannelUnmapped, SeverityWarning, 0}}},
		{Name: "channel_unmapped/out-of-range-participant", Input: func(in *Input) { in.Participants[1].Channel = 4 }, Output: []want{{FlagChannelUnmapped, SeverityWarning, 1}}},

		// levels all zero were not measured: no level flags; one-way on talk alone.
		{Name: "levels/unmeasured", Input: func(in *Input) { in.Result.PerChannel[0].Levels = dsp.Levels{} }, Output: nil},
		{Name: "one_way/unmeasured", Config: noRatio, Input: func(in *Input) { oneWay(0, 0, 0)(in); in.Result.PerChannel[1].Levels = dsp.Levels{} },
			Output: []want{{FlagOneWayAudio, SeverityCritical, 1}}},
		{Name: "one_way/unmeasured-talks", Config: noRatio, Input: func(in *Input) { oneWay(1.01, 0, 0)(in); in.Result.PerChannel[1].Levels = dsp.Levels{} },
			Output: nil},

		// short_recording: duration < 10 s.
		{Name: "short_recording/below", Input: duration(9.99), Output: []want{{FlagShortRecording, SeverityInfo, -1}}},
		{Name: "short_recording/at", Input: duration(10), Output: nil},
		{Name: "short_recording/above", Input: duration(10.01), Output: nil},

		// severity override.
		{Name: "severity/configured", Config: func(c *Config) { c.Flags.Clipping.Severity = SeverityCritical }, Input: clip(0, 0.5), Output: []want{{FlagClipping, SeverityCritical, 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.Name, func(t *testing.T) {
			cfg := DefaultConfig()
			if tt.Config != nil {
				tt.Config(&cfg)
			}
			in := baseInput()
			tt.Input(&in)
			v := mustEvaluator(t, cfg).Evaluate(in)
			g := got(v)
			w := tt.Output
			if w == nil {
				w = []want{}
			}
			if !slices.Equal(g, w) {
				t.Fatalf("flags\n got  %v\n want %v", g, w)
			}
			for _, f := range v.Flags {
				if f.Detail == "" {
					t.Errorf("%s: empty detail", f.Name)
				}
				if math.IsNaN(f.Value) || math.IsNaN(f.Threshold) {
					t.Errorf("%s: NaN value %v or threshold %v", f.Name, f.Value, f.Threshold)
				}
			}
		})
	}
}

// noRatio disables talk_ratio, which a one-way call also raises (the
// agent does all the talking); it is tested on its own.
func noRatio(c *Config) { c.Flags.TalkRatio.Enabled = false }

func oneWay(talk, snr, level float64) func(*Input) {
	return func(in *Input) {
		c := &in.Result.PerChannel[1]
		c.TalkS = talk
		c.Levels.SNRDB, c.Levels.SpeechLevelDBFS = snr, level
		setTalk(in, 30, talk)
	}
}

func level(ch int, dbfs, talk float64) func(*Input) {
	return func(in *Input) {
		in.Result.PerChannel[ch].Levels.SpeechLevelDBFS = dbfs
		in.Result.PerChannel[ch].TalkS = talk
	}
}

func snr(ch int, db, talk float64) func(*Input) {
	return func(in *Input) {
		in.Result.PerChannel[ch].Levels.SNRDB = db
		in.Result.PerChannel[ch].TalkS = talk
	}
}

func clip(ch int, r float64) func(*Input) {
	return func(in *Input) { in.Result.PerChannel[ch].Levels.ClippedRatio = r }
}

func duration(d float64) func(*Input) {
	return func(in *Input) { in.Result.Call.DurationS, in.Result.Call.NonTalkS = d, 0 }
}

func dtmf(ch, n int) func(*Input) {
	return func(in *Input) {
		in.Result.PerChannel[ch].DTMFCount = n
		in.Result.Call.DTMFCount = n
		for i := range n {
			in.Result.Tones = append(in.Result.Tones, dsp.Tone{Channel: ch, Seq: i, Digit: "4711#"[i%5], Start: 5 + 0.2*float64(i), End: 5.1 + 0.2*float64(i)})
		}
	}
}

// TestDTMFDetailHasNoDigits: the detail of dtmf_captured depends on how
// many digits there were and when, never on which (PCI).
func TestDTMFDetailHasNoDigits(t *testing.T) {
	e := mustEvaluator(t, DefaultConfig())
	details := map[string]bool{}
	for _, digits := range []string{"4111111111111111", "#*ABCD9876543210"} {
		in := baseInput()
		for i := range len(digits) {
			in.Result.Tones = append(in.Result.Tones, dsp.Tone{Channel: 1, Seq: i, Digit: digits[i], Start: 5 + 0.2*float64(i), End: 5.1 + 0.2*float64(i)})
		}
		in.Result.PerChannel[1].DTMFCount = len(digits)
		v := e.Evaluate(in)
		if len(v.Flags) != 1 || v.Flags[0].Name != FlagDTMFCaptured {
			t.Fatalf("flags %v, want one dtmf_captured", got(v))
		}
		f := v.Flags[0]
		if strings.Contains(f.Detail, digits[:4]) || strings.Contains(f.Detail, "#") || strings.Contains(f.Detail, "*") {
			t.Errorf("detail %q leaks digits of %q", f.Detail, digits)
		}
		if f.StartS == nil || *f.StartS != 5 || f.Value != 16 || f.Threshold != 0 {
			t.Errorf("flag %+v: want start 5, value 16, threshold 0", f)
		}
		details[f.Detail] = true
	}
	if len(details) != 1 {
		t.Errorf("details differ with the digits: %v", details)
	}
}

// TestFlagFields checks value, threshold, channel and start of the rows a
// reviewer jumps from.
func TestFlagFields(t *testing.T) {
	tests := []struct {
		Name   string
		Input  func(*Input)
		Output Flag
	}{
		{Name: "dead_air", Input: func(in *Input) {
			in.Result.Silences = append(in.Result.Silences, dsp.Silence{Start: 80, End: 92}, dsp.Silence{Start: 140, End: 165})
		}, Output: Flag{Name: FlagDeadAir, Severity: SeverityWarning, Value: 25, Threshold: 10, StartS: fptr(140)}},
		{Name: "dead_air critical", Input: func(in *Input) {
			in.Result.Silences = append(in.Result.Silences, dsp.Silence{Start: 80, End: 230})
		}, Output: Flag{Name: FlagDeadAir, Severity: SeverityCritical, Value: 150, Threshold: 120, StartS: fptr(80)}},
		{Name: "overtalk interruptions", Input: func(in *Input) {
			in.Result.PerChannel[0].InterruptionsMade = 3
			in.Result.Overlaps = []dsp.Overlap{
				{Start: 5, End: 6, Kind: dsp.OverlapInterruption, By: 0, Of: 1},
				{Start: 15, End: 16, Kind: dsp.OverlapInterruption, By: 1, Of: 0},
				{Start: 25, End: 26, Kind: dsp.OverlapInterruption, By: 0, Of: 1},
				{Start: 35, End: 36, Kind: dsp.OverlapInterruption, By: 0, Of: 1},
			}
		}, Output: Flag{Name: FlagOvertalk, Severity: SeverityWarning, Channel: iptr(0), Value: 3, Threshold: 2, StartS: fptr(35)}},
		{Name: "overtalk share", Input: func(in *Input) { in.Result.Call.OverlapS = 20 },
			Output: Flag{Name: FlagOvertalk, Severity: SeverityWarning, Value: 0.2, Threshold: 0.1, StartS: fptr(70)}},
		{Name: "agent_monologue", Input: func(in *Input) {
			in.Result.PerChannel[0].LongestMonologueS = 95
			in.Result.Segments = []dsp.Segment{
				{Channel: 0, Start: 0, End: 20}, {Channel: 1, Start: 21, End: 30},
				{Channel: 0, Start: 31, End: 80}, {Channel: 1, Start: 60, End: 60.5}, // back-channel
				{Channel: 0, Start: 80.2, End: 126}, {Channel: 1, Start: 127, End: 140},
			}
		}, Output: Flag{Name: FlagAgentMonologue, Severity: SeverityWarning, Channel: iptr(0), Value: 95, Threshold: 90, StartS: fptr(31)}},
		{Name: "talk_ratio", Input: func(in *Input) { setTalk(in, 80, 20) },
			Output: Flag{Name: FlagTalkRatio, Severity: SeverityInfo, Channel: iptr(0), Value: 0.8, Threshold: 0.65}},
		{Name: "one_way", Input: func(in *Input) { oneWay(0.2, 3, -60)(in); in.Result.Segments = in.Result.Segments[:1] },
			Output: Flag{Name: FlagOneWayAudio, Severity: SeverityCritical, Channel: iptr(1), Value: 0.2, Threshold: 1, StartS: fptr(0)}},
		{Name: "low_level", Input: level(1, -45, 50),
			Output: Flag{Name: FlagLowLevel, Severity: SeverityWarning, Channel: iptr(1), Value: -45, Threshold: -40}},
		{Name: "recording_incomplete", Input: func(in *Input) { in.Complete = false; in.Chunks = 3; in.MissingChunks = 2 },
			Output: Flag{Name: FlagRecordingIncomplete, Severity: SeverityWarning, Value: 2}},
		{Name: "short_recording", Input: duration(4.5),
			Output: Flag{Name: FlagShortRecording, Severity: SeverityInfo, Value: 4.5, Threshold: 10}},
	}
	for _, tt := range tests {
		t.Run(tt.Name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Flags.TalkRatio.Enabled = tt.Output.Name == FlagTalkRatio
			in := baseInput()
			tt.Input(&in)
			v := mustEvaluator(t, cfg).Evaluate(in)
			if len(v.Flags) != 1 {
				t.Fatalf("flags %v, want exactly one %s", got(v), tt.Output.Name)
			}
			f := v.Flags[0]
			f.Detail = ""
			if fmtFlag(f) != fmtFlag(tt.Output) {
				t.Errorf("flag\n got  %s\n want %s", fmtFlag(f), fmtFlag(tt.Output))
			}
		})
	}
}

func fmtFlag(f Flag) string {
	ch, st := "nil", "nil"
	if f.Channel != nil {
		ch = fmt.Sprint(*f.Channel)
	}
	if f.StartS != nil {
		st = fmt.Sprintf("%.3f", *f.StartS)
	}
	return fmt.Sprintf("%s %s ch=%s value=%.6g threshold=%.6g start=%s", f.Name, f.Severity, ch, f.Value, f.Threshold, st)
}
