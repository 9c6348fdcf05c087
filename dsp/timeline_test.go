package dsp

import (
	"math"
	"reflect"
	"testing"
)

// tlSegs builds per-channel raw speech runs from [start, end) seconds.
func tlSegs(chans ...[][2]float64) [][]tlRun {
	out := make([][]tlRun, len(chans))
	for c, segs := range chans {
		for _, s := range segs {
			out[c] = append(out[c], tlRun{tlFrame(s[0]), tlFrame(s[1])})
		}
	}
	return out
}

func tlTest(dur float64, pauses []Pause, tones []Tone, chans ...[][2]float64) *Result {
	in := tlInput{
		channels:   len(chans),
		sampleRate: 16000,
		frames:     int(math.Ceil(dur/FrameSeconds - 1e-9)),
		duration:   dur,
		speech:     tlSegs(chans...),
		heard:      tones,
		tones:      tones,
		pauses:     pauses,
	}
	return tlBuild(in, DefaultTimelineOptions())
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func segsOf(r *Result, ch int) [][2]float64 {
	var out [][2]float64
	for _, s := range r.Segments {
		if s.Channel == ch {
			out = append(out, [2]float64{math.Round(s.Start*100) / 100, math.Round(s.End*100) / 100})
		}
	}
	return out
}

func TestTimelineBridgingAndMinSpeech(t *testing.T) {
	tests := []struct {
		name string
		in   [][2]float64
		want [][2]float64
	}{
		{"gap 0.29 s is bridged", [][2]float64{{1, 2}, {2.29, 3}}, [][2]float64{{1, 3}}},
		{"gap 0.30 s is not", [][2]float64{{1, 2}, {2.30, 3}}, [][2]float64{{1, 2}, {2.3, 3}}},
		{"island 0.09 s is dropped", [][2]float64{{1, 2}, {5, 5.09}}, [][2]float64{{1, 2}}},
		{"island 0.10 s is kept", [][2]float64{{1, 2}, {5, 5.10}}, [][2]float64{{1, 2}, {5, 5.1}}},
		{"short pieces bridged into speech", [][2]float64{{1, 1.05}, {1.2, 1.25}, {1.4, 1.45}}, [][2]float64{{1, 1.45}}},
		{"speech to the end", [][2]float64{{9, 10}}, [][2]float64{{9, 10}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tlTest(10, nil, nil, tt.in)
			if got := segsOf(r, 0); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("segments = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestTimelineSilenceKinds(t *testing.T) {
	// One channel; silences between speech of the given lengths.
	tests := []struct {
		gap  float64
		want SilenceKind // "" = not listed
	}{
		{0.99, ""}, {1.00, SilenceGap}, {2.99, SilenceGap}, {3.00, SilenceNonTalk},
		{9.99, SilenceNonTalk}, {10.00, SilenceDeadAir}, {25, SilenceDeadAir},
	}
	for _, tt := range tests {
		r := tlTest(2+tt.gap+2, nil, nil, [][2]float64{{0, 2}, {2 + tt.gap, 4 + tt.gap}})
		var got SilenceKind
		if len(r.Silences) > 1 {
			t.Fatalf("gap %.2f s: %d silences, want ≤ 1", tt.gap, len(r.Silences))
		}
		if len(r.Silences) == 1 {
			got = r.Silences[0].Kind
			if !near(r.Silences[0].Duration(), tt.gap) {
				t.Errorf("gap %.2f s: silence lasts %g s", tt.gap, r.Silences[0].Duration())
			}
		}
		if got != tt.want {
			t.Errorf("gap %.2f s: kind %q, want %q", tt.gap, got, tt.want)
		}
		if !near(r.Call.SilenceS, tt.gap) || !near(r.Call.LongestSilenceS, tt.gap) {
			t.Errorf("gap %.2f s: silence_s %g, longest %g", tt.gap, r.Call.SilenceS, r.Call.LongestSilenceS)
		}
		wantNT, wantDA := 0.0, 0
		if tt.gap >= 3 {
			wantNT = tt.gap
		}
		if tt.gap >= 10 {
			wantDA = 1
		}
		if !near(r.Call.NonTalkS, wantNT) || r.Call.DeadAirCount != wantDA {
			t.Errorf("gap %.2f s: non_talk_s %g (want %g), dead_air_count %d (want %d)", tt.gap, r.Call.NonTalkS, wantNT, r.Call.DeadAirCount, wantDA)
		}
	}
}

func TestTimelinePauseCutsSilence(t *testing.T) {
	// 12 s of mutual silence with a pause at 15 s: two silences (5 s and
	// 7 s), neither dead air.
	r := tlTest(30, []Pause{{Offset: 15, Duration: 45}}, nil, [][2]float64{{5, 10}, {22, 30}}, [][2]float64{{0, 5}})
	want := []Silence{{10, 15, SilenceNonTalk}, {15, 22, SilenceNonTalk}}
	if len(r.Silences) != 2 || !near(r.Silences[0].Start, 10) || !near(r.Silences[0].End, 15) ||
		!near(r.Silences[1].Start, 15) || !near(r.Silences[1].End, 22) ||
		r.Silences[0].Kind != want[0].Kind || r.Silences[1].Kind != want[1].Kind {
		t.Fatalf("silences = %+v, want %+v", r.Silences, want)
	}
	if r.Call.DeadAirCount != 0 || r.Call.LongestSilenceS != 7 {
		t.Errorf("dead air %d, longest %g; want 0, 7", r.Call.DeadAirCount, r.Call.LongestSilenceS)
	}
	// A pause also cuts speech: the segment does not span it, and no
	// bridging joins speech across it.
	r = tlTest(10, []Pause{{Offset: 5, Duration: 60}}, nil, [][2]float64{{2, 4.9}, {5.1, 8}})
	if got := segsOf(r, 0); !reflect.DeepEqual(got, [][2]float64{{2, 4.9}, {5.1, 8}}) {
		t.Errorf("segments across a pause = %v", got)
	}
	r = tlTest(10, []Pause{{Offset: 5, Duration: 60}}, nil, [][2]float64{{2, 8}})
	if got := segsOf(r, 0); !reflect.DeepEqual(got, [][2]float64{{2, 5}, {5, 8}}) {
		t.Errorf("a segment spanning a pause = %v, want it cut at 5 s", got)
	}
}

func TestTimelineOverlapClassification(t *testing.T) {
	tests := []struct {
		name      string
		a, b      [][2]float64
		want      []OverlapKind
		overlapS  float64
		by, of    int
		interrupt int
	}{
		{"backchannel inside A", [][2]float64{{0, 5}}, [][2]float64{{2, 2.5}}, []OverlapKind{OverlapBackchannel}, 0.5, 1, 0, 0},
		{"interruption: A yields within 2 s", [][2]float64{{0, 5}}, [][2]float64{{4, 8}}, []OverlapKind{OverlapInterruption}, 1, 1, 0, 1},
		{"A yields after 2.5 s: overtalk", [][2]float64{{0, 6.5}}, [][2]float64{{4, 8}}, []OverlapKind{OverlapOvertalk}, 2.5, 1, 0, 0},
		{"both keep talking: overtalk", [][2]float64{{0, 10}}, [][2]float64{{4, 8}}, []OverlapKind{OverlapOvertalk}, 4, 1, 0, 0},
		{"B talks 0.9 s past A: not ≥ 1 s, not inside: overtalk", [][2]float64{{0, 5}}, [][2]float64{{4.6, 5.5}}, []OverlapKind{OverlapOvertalk}, 0.4, 1, 0, 0},
		{"0.19 s overlap is no event", [][2]float64{{0, 5}}, [][2]float64{{4.81, 8}}, nil, 0.19, 0, 0, 0},
		{"0.20 s overlap is one", [][2]float64{{0, 5}}, [][2]float64{{4.8, 8}}, []OverlapKind{OverlapInterruption}, 0.2, 1, 0, 1},
		{"A interrupts B", [][2]float64{{3, 9}}, [][2]float64{{0, 4}}, []OverlapKind{OverlapInterruption}, 1, 0, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tlTest(12, nil, nil, tt.a, tt.b)
			var kinds []OverlapKind
			for _, o := range r.Overlaps {
				kinds = append(kinds, o.Kind)
			}
			if !reflect.DeepEqual(kinds, tt.want) {
				t.Fatalf("overlaps %+v, want kinds %v", r.Overlaps, tt.want)
			}
			if !near(r.Call.OverlapS, tt.overlapS) {
				t.Errorf("overlap_s %g, want %g", r.Call.OverlapS, tt.overlapS)
			}
			if len(r.Overlaps) > 0 && (r.Overlaps[0].By != tt.by || r.Overlaps[0].Of != tt.of) {
				t.Errorf("by %d of %d, want by %d of %d", r.Overlaps[0].By, r.Overlaps[0].Of, tt.by, tt.of)
			}
			if r.Call.Interruptions != tt.interrupt || r.Call.OverlapCount != len(tt.want) {
				t.Errorf("interruptions %d, overlap_count %d; want %d, %d", r.Call.Interruptions, r.Call.OverlapCount, tt.interrupt, len(tt.want))
			}
			if tt.interrupt > 0 {
				if r.PerChannel[tt.by].InterruptionsMade != 1 || r.PerChannel[tt.of].Interrupted != 1 {
					t.Errorf("per channel: %+v", r.PerChannel)
				}
			}
			if len(tt.want) == 1 && tt.want[0] == OverlapBackchannel && r.PerChannel[tt.by].Backchannels != 1 {
				t.Errorf("backchannels on ch%d = %d, want 1", tt.by, r.PerChannel[tt.by].Backchannels)
			}
		})
	}
}

func TestTimelineTurnsAndMonologue(t *testing.T) {
	tests := []struct {
		name  string
		a, b  [][2]float64
		turns int
		mono  [2]float64
	}{
		{"alternating", [][2]float64{{0, 2}, {4.5, 6}}, [][2]float64{{2.5, 4}}, 2, [2]float64{2, 1.5}},
		{"A with pauses, B silent", [][2]float64{{0, 2}, {2.5, 5}, {6, 9}}, nil, 0, [2]float64{9, 0}},
		{"backchannel does not end A's monologue", [][2]float64{{0, 10}}, [][2]float64{{3, 3.4}}, 0, [2]float64{10, 0}},
		{"B's turn ends it", [][2]float64{{0, 4}, {6, 7}}, [][2]float64{{4.5, 5.5}}, 2, [2]float64{4, 1}},
		{"a 3 s silence ends it", [][2]float64{{0, 2}, {5, 6}}, nil, 0, [2]float64{2, 0}},
		{"a 2.9 s silence does not", [][2]float64{{0, 2}, {4.9, 6}}, nil, 0, [2]float64{6, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tlTest(12, nil, nil, tt.a, tt.b)
			if r.Call.Turns != tt.turns {
				t.Errorf("turns %d, want %d", r.Call.Turns, tt.turns)
			}
			for c := range 2 {
				if !near(r.PerChannel[c].LongestMonologueS, tt.mono[c]) {
					t.Errorf("ch%d longest monologue %g, want %g", c, r.PerChannel[c].LongestMonologueS, tt.mono[c])
				}
			}
		})
	}
}

func TestTimelineMetricsAndDTMF(t *testing.T) {
	tones := []Tone{
		{Channel: 1, Digit: '4', Start: 6.00, End: 6.08, LevelDBm0: -12},
		{Channel: 1, Digit: '7', Start: 6.16, End: 6.24, LevelDBm0: -12},
	}
	// ch1's raw VAD took the tones for speech (5.95–6.3): they are removed
	// and nothing is bridged across them.
	r := tlTest(10.005, nil, tones,
		[][2]float64{{1, 4}, {7, 9}},
		[][2]float64{{3, 5}, {5.95, 6.3}})
	if got := segsOf(r, 1); !reflect.DeepEqual(got, [][2]float64{{3, 5}}) {
		t.Errorf("ch1 segments = %v, want the tones removed", got)
	}
	c := r.Call
	checks := []struct {
		name      string
		got, want float64
	}{
		{"duration_s", c.DurationS, 10.005},
		{"talk_s (union)", c.TalkS, 6},
		{"talk_sum_s", c.TalkSumS, 7},
		{"overlap_s", c.OverlapS, 1},
		{"silence_s", c.SilenceS, 10.005 - 6},
		{"ch0 talk", r.PerChannel[0].TalkS, 5},
		{"ch0 talk_share", r.PerChannel[0].TalkShare, 5 / 10.005},
		{"ch0 speech_share", r.PerChannel[0].SpeechShare, 5.0 / 7},
		{"ch1 speech_share", r.PerChannel[1].SpeechShare, 2.0 / 7},
	}
	for _, ck := range checks {
		if !near(ck.got, ck.want) {
			t.Errorf("%s = %g, want %g", ck.name, ck.got, ck.want)
		}
	}
	if c.DTMFCount != 2 || r.PerChannel[1].DTMFCount != 2 || r.Tones[1].Seq != 1 {
		t.Errorf("dtmf: call %d, ch1 %d, tones %+v", c.DTMFCount, r.PerChannel[1].DTMFCount, r.Tones)
	}
	if r.Frames != 1001 || r.Channels != 2 || r.SampleRate != 16000 {
		t.Errorf("frames %d channels %d rate %d", r.Frames, r.Channels, r.SampleRate)
	}
	// The last silence ends at the true end of the audio, not the frame grid.
	if s := r.Silences[len(r.Silences)-1]; !near(s.End, 10.005) {
		t.Errorf("last silence ends at %g, want 10.005", s.End)
	}
	if r.PerChannel[0].Segments != 2 || r.PerChannel[1].Segments != 1 {
		t.Errorf("segment counts %d, %d", r.PerChannel[0].Segments, r.PerChannel[1].Segments)
	}
}

func TestTimelineEmpty(t *testing.T) {
	r := tlTest(0, nil, nil, nil, nil)
	if r.Call.TalkS != 0 || len(r.Silences) != 0 || r.Frames != 0 {
		t.Errorf("empty recording: %+v", r)
	}
	r = tlTest(20, nil, nil, nil)
	if len(r.Silences) != 1 || r.Silences[0].Kind != SilenceDeadAir || r.PerChannel[0].SpeechShare != 0 {
		t.Errorf("silent recording: %+v", r)
	}
}

// BenchmarkTimeline builds the timeline of a 1 h, 4-channel call with a
// talker change every few seconds (the per-recording, not per-sample,
// stage).
func BenchmarkTimeline(b *testing.B) {
	const hour = 3600
	chans := make([][][2]float64, 4)
	t, i := 0.5, 0
	for t < hour-5 {
		d := 1.5 + float64(i%5)*0.7
		chans[i%4] = append(chans[i%4], [2]float64{t, t + d})
		t += d + 0.4 - 0.3*float64(i%3)
		i++
	}
	in := tlInput{channels: 4, sampleRate: 16000, frames: hour * 100, duration: hour, speech: tlSegs(chans...)}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		tlBuild(in, DefaultTimelineOptions())
	}
}
