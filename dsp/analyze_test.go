package dsp_test

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/callscope/callscope/dsp"
	"github.com/callscope/callscope/dsp/eval"
	"github.com/callscope/callscope/dsp/synth"
)

var update = flag.Bool("update", false, "rewrite golden files")

const corpus = "../testdata/corpus/"

func analyzeWAV(t testing.TB, path string, opts dsp.Options) *dsp.Result {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := dsp.NewReader(bufio.NewReader(f))
	if err != nil {
		t.Fatal(err)
	}
	res, err := dsp.Analyze(context.Background(), r, nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func refOf(t testing.TB, path string, nch int) [][]eval.Interval {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	segs, err := eval.ParseRTTM(f)
	if err != nil {
		t.Fatal(err)
	}
	iv, err := eval.ChannelMap{}.Channels(segs, nch)
	if err != nil {
		t.Fatal(err)
	}
	return iv
}

func hypOf(res *dsp.Result) [][]eval.Interval {
	out := make([][]eval.Interval, res.Channels)
	for _, s := range res.Segments {
		out[s.Channel] = append(out[s.Channel], eval.Interval{Start: s.Start, End: s.End})
	}
	return out
}

func scoreWAV(t *testing.T, wav, rttm string) (*dsp.Result, eval.SpeechScores) {
	t.Helper()
	res := analyzeWAV(t, corpus+wav, dsp.DefaultOptions())
	return res, eval.ScoreSpeech(refOf(t, corpus+rttm, res.Channels), hypOf(res), res.Call.DurationS)
}

// atMost fails when got > limit; the limits below lock the figures reached
// (commit 2026-11) with a small margin so they cannot regress. The product
// targets (design card §10, anchors §4.1) are in the comments.
func atMost(t *testing.T, what string, got, limit float64) {
	t.Helper()
	if math.IsNaN(got) || got > limit {
		t.Errorf("%s = %.4g, want ≤ %.4g", what, got, limit)
	}
}

func TestAnalyzeSynthcallClean(t *testing.T) {
	res, sc := scoreWAV(t, "synthcall/synthcall_2ch.wav", "synthcall/synthcall_2ch.rttm")
	for c, p := range sc.Channels {
		atMost(t, fmt.Sprintf("ch%d DER ±0.25 s", c), p.Collar.DER, 0.02)                       // target ≤ 8 %; reached 0.0 %
		atMost(t, fmt.Sprintf("ch%d |talk-time error|", c), math.Abs(p.NoCollar.TalkErr), 0.04) // target ≤ 5 %; reached 3.2 %, 1.4 %
	}
	atMost(t, "|mutual-silence error| s", math.Abs(sc.Silence.NoCollar.ErrS), 0.45) // target ≤ 0.5 s; reached 0.39 s
	atMost(t, "|overlap error| s", math.Abs(sc.Overlap.NoCollar.ErrS), 0.1)         // target ≤ 0.3 s; reached 0.00 s
	if len(res.Tones) != 7 {
		t.Errorf("%d DTMF tones, want 7", len(res.Tones))
	}
}

func TestAnalyzeSynthcallBleed(t *testing.T) {
	res, sc := scoreWAV(t, "synthcall/synthcall_2ch_bleed.wav", "synthcall/synthcall_2ch.rttm")
	for c, p := range sc.Channels {
		atMost(t, fmt.Sprintf("ch%d false speech ±0.25 s", c), p.Collar.FAS, 0.1)      // target ≤ 0.5 s (WebRTC 3.6–4.7 s); reached 0.00 s
		atMost(t, fmt.Sprintf("ch%d false speech, no collar", c), p.NoCollar.FAS, 0.6) // reached 0.54, 0.11 s (label tails)
		atMost(t, fmt.Sprintf("ch%d DER ±0.25 s", c), p.Collar.DER, 0.02)
	}
	atMost(t, "|overlap error| s", math.Abs(sc.Overlap.NoCollar.ErrS), 0.2) // target ≤ 0.5 s (WebRTC +8.6 s); reached 0.09 s
	// Caller DTMF leaks into the agent channel at about −36 dBm0: each
	// digit is reported once, on the channel it came from.
	want := map[byte]int{'4': 1, '7': 1, '1': 1, '#': 1, '*': 0, '9': 0}
	if len(res.Tones) != 7 {
		t.Fatalf("%d tones, want 7: %+v", len(res.Tones), res.Tones)
	}
	for _, tn := range res.Tones {
		if tn.Channel != want[tn.Digit] {
			t.Errorf("tone %q on ch%d, want ch%d", tn.Digit, tn.Channel, want[tn.Digit])
		}
	}
}

func TestAnalyzePyannoteSample(t *testing.T) {
	_, sc := scoreWAV(t, "pyannote/sample.wav", "pyannote/sample.rttm")
	atMost(t, "DER, no collar", sc.Channels[0].NoCollar.DER, 0.02) // reached 1.3 % (WebRTC m2/10 ms 2.5 %)
	atMost(t, "DER ±0.25 s", sc.Channels[0].Collar.DER, 0.005)     // reached 0.0 %
}

// TestAnalyzeAMI is the held-out check: no threshold was tuned on it.
func TestAnalyzeAMI(t *testing.T) {
	_, sc := scoreWAV(t, "ami/es2004a_750-810_4ch.wav", "ami/es2004a_750-810.rttm")
	atMost(t, "pooled DER ±0.25 s", sc.Pooled.Collar.DER, 0.14) // target ≤ 30 % (naive gate 43 %, WebRTC 70 %); reached 12.1 %
	atMost(t, "pooled DER, no collar", sc.Pooled.NoCollar.DER, 0.16)
	atMost(t, "MEE014 (ch2) false speech", sc.Channels[2].NoCollar.FAS, 3.5) // target < 5 s; reached 3.05 s
	if o := sc.Overlap.NoCollar.HypS; o < 9.32-3 || o > 9.32+3 {
		t.Errorf("overlap found %.2f s, want 9.3 ± 3 s", o) // reached 8.42 s
	}
}

// meeting is a generated 4-party call in the manner of the AMI excerpt:
// uneven talker levels, one nearly silent participant, leakage between all
// headsets (−26 … −38 dB, delayed, low-passed, reverberant, its gain
// wandering ±5 dB), breath noises and low-frequency rumble bursts.
func meeting(seed uint64) *synth.Call {
	c := &synth.Call{SampleRate: 16000, Channels: 4, Duration: 60, NoiseDBFS: -68, Seed: seed}
	lv := []float64{-26, -28, -30, -25}
	pitch := []float64{110, 220, 130, 200}
	turns := []struct {
		ch   int
		a, d float64
	}{{3, 0, 5.3}, {1, 0.2, 1.5}, {0, 5.2, 2.9}, {1, 7.4, 12}, {3, 18.5, 0.5}, {1, 20, 9.8}, {2, 27.9, 0.7},
		{3, 29.8, 14.7}, {0, 35, 0.3}, {0, 37.1, 0.7}, {2, 42.2, 0.45}, {0, 44.5, 15.5}, {3, 53.8, 2.1}}
	for _, t := range turns {
		c.Utterances = append(c.Utterances, synth.Utterance{Channel: t.ch, Start: t.a, Duration: t.d, LevelDBFS: lv[t.ch], PitchHz: pitch[t.ch]})
	}
	g := [][]float64{{0, -30, -33, -36}, {-31, 0, -28, -35}, {-27, -26, 0, -29}, {-38, -34, -32, 0}}
	for from := range 4 {
		for to := range 4 {
			if from != to {
				c.Leaks = append(c.Leaks, synth.Leak{From: from, To: to, GainDB: g[to][from], DelayS: 0.002 + 0.002*float64(from+to),
					LowPassHz: 2500, ReverbS: 0.5, ReverbDB: 3, ModDB: 5})
			}
		}
	}
	for i := range 12 {
		a := 2.5 + float64(i)*4.7
		c.Bursts = append(c.Bursts, synth.Burst{Channel: i % 4, Start: a, End: a + 0.4, LevelDBFS: -42})
		c.Bursts = append(c.Bursts, synth.Burst{Channel: (i + 2) % 4, Start: a + 1.3, End: a + 1.9, LevelDBFS: -18, LowPassHz: 90})
	}
	return c
}

func truthOf(c *synth.Call) [][]eval.Interval {
	ref := make([][]eval.Interval, c.Channels)
	for ch, segs := range c.Truth() {
		for _, s := range segs {
			ref[ch] = append(ref[ch], eval.Interval{Start: s.Start, End: s.End})
		}
	}
	return ref
}

func TestAnalyzeSynthMeeting(t *testing.T) {
	c := meeting(1)
	src, err := c.Source()
	if err != nil {
		t.Fatal(err)
	}
	res, err := dsp.Analyze(context.Background(), src, nil, dsp.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	sc := eval.ScoreSpeech(truthOf(c), hypOf(res), res.Call.DurationS)
	atMost(t, "pooled DER ±0.25 s", sc.Pooled.Collar.DER, 0.025) // reached 1.4 %
	atMost(t, "ch2 false speech", sc.Channels[2].NoCollar.FAS, 0.8)
	atMost(t, "|overlap error| s", math.Abs(sc.Overlap.NoCollar.ErrS), 1.0)
}

func TestAnalyzeWorkersAgree(t *testing.T) {
	// The decision must not depend on how channels are spread over
	// goroutines.
	c := meeting(2)
	c.Duration = 20
	var prev *dsp.Result
	for _, w := range []int{1, 2, 4} {
		src, _ := c.Source()
		o := dsp.DefaultOptions()
		o.Workers = w
		res, err := dsp.Analyze(context.Background(), src, nil, o)
		if err != nil {
			t.Fatal(err)
		}
		if prev != nil && renderTimeline(prev) != renderTimeline(res) {
			t.Errorf("workers=%d gives a different timeline", w)
		}
		prev = res
	}
}

func TestAnalyzeCancel(t *testing.T) {
	c := meeting(3)
	src, _ := c.Source()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := dsp.Analyze(ctx, src, nil, dsp.DefaultOptions()); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

type errSource struct {
	n   int
	err error
}

func (e *errSource) Format() dsp.Format { return dsp.Format{Channels: 2, SampleRate: 16000} }
func (e *errSource) ReadFrames(dst []float32) (int, error) {
	if e.n > 0 {
		e.n--
		clear(dst)
		return len(dst) / 2, nil
	}
	return 0, e.err
}

func TestAnalyzeErrors(t *testing.T) {
	boom := errors.New("disk on fire")
	_, err := dsp.Analyze(context.Background(), &errSource{n: 3, err: boom}, nil, dsp.DefaultOptions())
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "frame") {
		t.Errorf("read error: %v", err)
	}
	bad := dsp.DefaultOptions()
	bad.Timeline.DeadAirMin = 1
	if _, err := dsp.Analyze(context.Background(), &errSource{err: boom}, nil, bad); err == nil {
		t.Error("dead_air_min below non_talk_min accepted")
	}
	for _, f := range []dsp.Format{{Channels: 0, SampleRate: 16000}, {Channels: 2, SampleRate: 10}} {
		if _, err := dsp.Analyze(context.Background(), &fmtSource{f}, nil, dsp.DefaultOptions()); err == nil {
			t.Errorf("format %+v accepted", f)
		}
	}
}

type fmtSource struct{ f dsp.Format }

func (s *fmtSource) Format() dsp.Format                { return s.f }
func (s *fmtSource) ReadFrames([]float32) (int, error) { return 0, errors.New("unreachable") }

// TestAnalyzeMemoryDoesNotGrow analyzes 1 and 10 minutes of generated
// audio: what is allocated must not grow with the length beyond the
// results themselves.
func TestAnalyzeMemoryDoesNotGrow(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 10 min of audio")
	}
	alloc := func(seconds float64) uint64 {
		c := &synth.Call{SampleRate: 16000, Channels: 2, Duration: seconds, NoiseDBFS: -66, Seed: 1}
		src, _ := c.Source()
		// Pre-warm the source so its own buffers are not counted.
		buf := make([]float32, 2*16000)
		src.ReadFrames(buf)
		var m0, m1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m0)
		if _, err := dsp.Analyze(context.Background(), src, nil, dsp.DefaultOptions()); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&m1)
		return m1.TotalAlloc - m0.TotalAlloc
	}
	a1, a10 := alloc(60), alloc(600)
	t.Logf("allocated: 1 min %d B, 10 min %d B", a1, a10)
	if a10 > a1+512<<10 {
		t.Errorf("10 min allocates %d B, 1 min %d B: memory grows with length", a10, a1)
	}
}

// renderTimeline writes a Result as text for golden files (levels are
// left out: they belong to the level meter's own tests).
func renderTimeline(r *dsp.Result) string {
	var b strings.Builder
	c := r.Call
	fmt.Fprintf(&b, "channels %d  rate %d  frames %d\n", r.Channels, r.SampleRate, r.Frames)
	fmt.Fprintf(&b, "call: duration %.2f talk %.2f talk_sum %.2f silence %.2f non_talk %.2f dead_air %d/%.2f longest_silence %.2f\n",
		c.DurationS, c.TalkS, c.TalkSumS, c.SilenceS, c.NonTalkS, c.DeadAirCount, c.DeadAirS, c.LongestSilenceS)
	fmt.Fprintf(&b, "      overlap %.2f in %d events, interruptions %d, turns %d, dtmf %d\n",
		c.OverlapS, c.OverlapCount, c.Interruptions, c.Turns, c.DTMFCount)
	for _, p := range r.PerChannel {
		fmt.Fprintf(&b, "ch%d: talk %.2f share %.3f speech_share %.3f segments %d monologue %.2f made %d interrupted %d backchannels %d dtmf %d\n",
			p.Channel, p.TalkS, p.TalkShare, p.SpeechShare, p.Segments, p.LongestMonologueS, p.InterruptionsMade, p.Interrupted, p.Backchannels, p.DTMFCount)
	}
	for _, s := range r.Segments {
		fmt.Fprintf(&b, "segment  ch%d %6.2f %6.2f\n", s.Channel, s.Start, s.End)
	}
	for _, s := range r.Silences {
		fmt.Fprintf(&b, "silence      %6.2f %6.2f %s\n", s.Start, s.End, s.Kind)
	}
	for _, o := range r.Overlaps {
		fmt.Fprintf(&b, "overlap      %6.2f %6.2f %s by ch%d of ch%d\n", o.Start, o.End, o.Kind, o.By, o.Of)
	}
	for _, tn := range r.Tones {
		fmt.Fprintf(&b, "tone     ch%d %6.2f %6.2f %c\n", tn.Channel, tn.Start, tn.End, tn.Digit)
	}
	return b.String()
}

// TestGoldenSynthcall compares the rendered timeline of the synthcall
// recordings with golden files (go test -run Golden -update rewrites them).
func TestGoldenSynthcall(t *testing.T) {
	for _, name := range []string{"synthcall_2ch", "synthcall_2ch_bleed"} {
		t.Run(name, func(t *testing.T) {
			got := renderTimeline(analyzeWAV(t, corpus+"synthcall/"+name+".wav", dsp.DefaultOptions()))
			path := filepath.Join("..", "testdata", "eval", "golden", name+".timeline.txt")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("timeline differs from %s:\n--- got\n%s\n--- want\n%s", path, got, want)
			}
		})
	}
}

// ExampleAnalyze analyzes a generated two-party call: the agent talks, the
// caller barges in and the agent yields.
func ExampleAnalyze() {
	call := &synth.Call{
		SampleRate: 16000, Channels: 2, Duration: 16, NoiseDBFS: -66, Seed: 1,
		Utterances: []synth.Utterance{
			{Channel: 0, Start: 0.5, Duration: 4},
			{Channel: 1, Start: 3.5, Duration: 3},   // interrupts; the agent stops at 4.5 s
			{Channel: 0, Start: 8.0, Duration: 1.5}, // after a 1.5 s gap
		},
		Leaks: []synth.Leak{{From: 0, To: 1, GainDB: -24, DelayS: 0.003}, {From: 1, To: 0, GainDB: -24, DelayS: 0.003}},
	}
	src, _ := call.Source()
	res, err := dsp.Analyze(context.Background(), src, nil, dsp.DefaultOptions())
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range res.Segments {
		fmt.Printf("ch%d speaks %.2f–%.2f s\n", s.Channel, s.Start, s.End)
	}
	for _, o := range res.Overlaps {
		fmt.Printf("%s by ch%d of ch%d at %.2f s\n", o.Kind, o.By, o.Of, o.Start)
	}
	for _, s := range res.Silences {
		fmt.Printf("%s %.2f–%.2f s\n", s.Kind, s.Start, s.End)
	}
	fmt.Printf("talk %.2f s, overlap %.2f s, turns %d\n", res.Call.TalkS, res.Call.OverlapS, res.Call.Turns)
	// Output:
	// ch0 speaks 0.50–4.50 s
	// ch1 speaks 3.50–6.50 s
	// ch0 speaks 8.00–9.50 s
	// interruption by ch1 of ch0 at 3.50 s
	// gap 6.50–8.00 s
	// non_talk 9.50–16.00 s
	// talk 7.50 s, overlap 1.00 s, turns 2
}

// TestAnalyzeEcho: the far end's voice comes back on the other channel
// late (line or acoustic echo, 40–200 ms): the leak delay of each pair is
// estimated, so the echo is not speech there, while the channel's own
// speech still is.
func TestAnalyzeEcho(t *testing.T) {
	for _, delay := range []float64{0.04, 0.08, 0.2} {
		for _, gain := range []float64{-30, -12} {
			c := &synth.Call{SampleRate: 16000, Channels: 2, Duration: 30, NoiseDBFS: -66, Seed: 4,
				Utterances: []synth.Utterance{{Channel: 0, Start: 1, Duration: 6}, {Channel: 1, Start: 8, Duration: 4},
					{Channel: 0, Start: 13, Duration: 8}, {Channel: 1, Start: 22, Duration: 5}},
				Leaks: []synth.Leak{{From: 0, To: 1, GainDB: gain, DelayS: delay, LowPassHz: 3000}}}
			src, _ := c.Source()
			res, err := dsp.Analyze(context.Background(), src, nil, dsp.DefaultOptions())
			if err != nil {
				t.Fatal(err)
			}
			sc := eval.ScoreSpeech(truthOf(c), hypOf(res), res.Call.DurationS)
			what := fmt.Sprintf("echo %g ms at %g dB", delay*1000, gain)
			atMost(t, what+": ch1 false speech", sc.Channels[1].NoCollar.FAS, 0.1)
			atMost(t, what+": ch1 missed speech", sc.Channels[1].NoCollar.MissS, 0.2)
			atMost(t, what+": ch0 missed speech", sc.Channels[0].NoCollar.MissS, 0.1)
		}
	}
}
