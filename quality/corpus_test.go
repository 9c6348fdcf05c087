package quality

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/callscope/callscope/dsp"
	"github.com/callscope/callscope/recording"
)

// analyzeFile runs the real dsp analysis on a WAV file of the repository's
// test data.
func analyzeFile(t *testing.T, path string, pauses []dsp.Pause) *dsp.Result {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := dsp.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	res, err := dsp.Analyze(context.Background(), r, pauses, dsp.DefaultOptions())
	if err != nil {
		t.Fatalf("analyze %s: %v", path, err)
	}
	return res
}

func corpus(parts ...string) string {
	return filepath.Join(append([]string{"..", "testdata", "corpus"}, parts...)...)
}

func flagsNamed(v Verdict, name string) []Flag {
	var out []Flag
	for _, f := range v.Flags {
		if f.Name == name {
			out = append(out, f)
		}
	}
	return out
}

// TestCorpusSynthcallDTMF: the synthcall has the caller key 4711# and the
// agent *9; the recording should have been paused, so dtmf_captured is
// raised, critical, on both channels, with counts and no digits.
func TestCorpusSynthcallDTMF(t *testing.T) {
	for _, file := range []string{"synthcall_2ch.wav", "synthcall_2ch_bleed.wav"} {
		t.Run(file, func(t *testing.T) {
			res := analyzeFile(t, corpus("synthcall", file), nil)
			e := mustEvaluator(t, DefaultConfig())
			v := e.Evaluate(Input{
				Result:       res,
				Participants: []Participant{{Channel: 0, ID: agentID}, {Channel: 1, ID: customerID}},
				Chunks:       1, Complete: true,
			})
			t.Logf("flags %v score %v", got(v), v.Score)
			d := flagsNamed(v, FlagDTMFCaptured)
			counts := map[int]float64{}
			for _, f := range d {
				if f.Severity != SeverityCritical || f.Channel == nil || f.StartS == nil {
					t.Errorf("dtmf_captured %+v: want critical with channel and start", f)
					continue
				}
				counts[*f.Channel] = f.Value
				if strings.ContainsAny(f.Detail, "#*") || strings.Contains(f.Detail, "4711") {
					t.Errorf("detail %q leaks digits", f.Detail)
				}
			}
			if counts[1] != 5 || counts[0] != 2 {
				t.Errorf("dtmf_captured counts by channel %v, want channel 1: 5 (4711#), channel 0: 2 (*9)", counts)
			}
			if v.Score > 50 {
				t.Errorf("score %v: a recording with card digits must score ≤ 50", v.Score)
			}
			if !slices.Equal(v.Roles, []string{RoleAgent, RoleCustomer}) {
				t.Errorf("roles %v", v.Roles)
			}
			if slices.Contains(v.OneWay, true) {
				t.Errorf("one-way %v: both sides talk", v.OneWay)
			}
		})
	}
}

// TestCorpusAMINearlySilentNotOneWay: in the AMI excerpt MEE014 (channel
// 2) talks only 1.19 s ("Mm. Yeah.") and picks up the others' leakage; he
// is a quiet participant, not one-way audio.
func TestCorpusAMINearlySilentNotOneWay(t *testing.T) {
	dir := filepath.Join("..", "testdata", "recordings",
		"eyJQbGF0Zm9ybUVuZHBvaW50SWQiOiIwYTFiMmMzZC0wMDAwLTRhNWItOGM5ZC0wMDAwMDAwMDAwMDEiLCJSZXNvdXJjZVNwZWNpZmljSWQiOiI5ZjhlN2Q2Yy0xMTExLTRiMmEtOWM4ZC0wMDAwMDAwMDAwMDEifQ")
	folder, err := recording.LoadFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	var mds []*recording.Metadata
	for _, c := range folder.Chunks {
		mds = append(mds, c.Metadata)
	}
	present, missing, complete := ChunkState(folder.Manifest.Chunks)
	res := analyzeFile(t, corpus("ami", "es2004a_750-810_4ch.wav"), nil)
	e := mustEvaluator(t, DefaultConfig())
	v := e.Evaluate(Input{
		Result: res, Participants: ParticipantsFromMetadata(mds...),
		Chunks: present, MissingChunks: missing, Complete: complete, PausedS: PausedSeconds(mds...),
	})
	t.Logf("channel 2: talk %.2f s, level %.1f dBFS, SNR %.1f dB; flags %v; score %v",
		res.PerChannel[2].TalkS, res.PerChannel[2].Levels.SpeechLevelDBFS, res.PerChannel[2].Levels.SNRDB, got(v), v.Score)
	if v.OneWay[2] {
		t.Errorf("channel 2 marked one-way")
	}
	// The level test alone keeps him out too, once dsp measures levels:
	// his own speech and the others' leakage stand well above his noise
	// floor.
	if lv := res.PerChannel[2].Levels; lv != (dsp.Levels{}) && lv.SNRDB <= e.Config().Flags.OneWayAudio.MaxSNRDB {
		t.Errorf("channel 2 SNR %.1f dB at the noise floor (≤ %g dB)", lv.SNRDB, e.Config().Flags.OneWayAudio.MaxSNRDB)
	}
	if f := flagsNamed(v, FlagOneWayAudio); len(f) != 0 {
		t.Errorf("one_way_audio raised: %+v", f)
	}
	if f := flagsNamed(v, FlagChannelUnmapped); len(f) != 0 {
		t.Errorf("channel_unmapped raised on a fully mapped recording: %+v", f)
	}
	if f := flagsNamed(v, FlagDTMFCaptured); len(f) != 0 {
		t.Errorf("dtmf_captured raised on a meeting: %+v", f)
	}
}

// deadLine replaces one channel of a source with white noise at a fixed
// RMS level: the customer's microphone or leg of the call is dead while the
// line still hisses.
type deadLine struct {
	dsp.Source
	ch   int
	amp  float32
	rand *rand.Rand
}

func (d *deadLine) ReadFrames(dst []float32) (int, error) {
	n, err := d.Source.ReadFrames(dst)
	nch := d.Format().Channels
	for i := 0; i < n; i++ {
		// uniform noise in [-a, a] has RMS a/√3
		dst[i*nch+d.ch] = d.amp * (2*d.rand.Float32() - 1)
	}
	return n, err
}

// TestCorpusGeneratedOneWay: the synthcall (twice) with its customer channel
// replaced by line noise (−66 dBFS, the call's own noise floor) is one-way
// audio on that channel; the original call, where the customer talks, is
// not.
func TestCorpusGeneratedOneWay(t *testing.T) {
	// The call played twice (50.8 s): the agent talks 16.7 s, above the
	// 10 s of others' talk one-way audio needs.
	analyze := func(dead bool) *dsp.Result {
		var parts []dsp.Source
		for range 2 {
			f, err := os.Open(corpus("synthcall", "synthcall_2ch.wav"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			r, err := dsp.NewReader(f)
			if err != nil {
				t.Fatal(err)
			}
			parts = append(parts, r)
		}
		r, err := dsp.Concat(parts...)
		if err != nil {
			t.Fatal(err)
		}
		var src dsp.Source = r
		if dead {
			amp := float32(math.Sqrt(3) * math.Pow(10, -66.0/20))
			src = &deadLine{Source: r, ch: 1, amp: amp, rand: rand.New(rand.NewPCG(1, 2))}
		}
		res, err := dsp.Analyze(context.Background(), src, nil, dsp.DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	e := mustEvaluator(t, DefaultConfig())
	in := Input{Participants: []Participant{{Channel: 0, ID: agentID}, {Channel: 1, ID: customerID}}, Chunks: 1, Complete: true}

	in.Result = analyze(true)
	v := e.Evaluate(in)
	t.Logf("dead customer line: talk %.2f s, levels %+v; flags %v", in.Result.PerChannel[1].TalkS, in.Result.PerChannel[1].Levels, got(v))
	if !slices.Equal(v.OneWay, []bool{false, true}) {
		t.Errorf("one-way %v, want [false true]", v.OneWay)
	}
	f := flagsNamed(v, FlagOneWayAudio)
	if len(f) != 1 || *f[0].Channel != 1 || f[0].Severity != SeverityCritical || f[0].StartS == nil {
		t.Fatalf("one_way_audio %+v: want one, critical, on channel 1, with a start", f)
	}

	in.Result = analyze(false)
	v = e.Evaluate(in)
	t.Logf("both talk: flags %v", got(v))
	if slices.Contains(v.OneWay, true) || len(flagsNamed(v, FlagOneWayAudio)) != 0 {
		t.Errorf("both sides talk, yet one-way %v, flags %v", v.OneWay, got(v))
	}
}
