package synth

import (
	"io"
	"math"
	"testing"
)

func testCall() *Call {
	return &Call{
		SampleRate: 16000, Channels: 2, Duration: 6, NoiseDBFS: -66, Seed: 9,
		Utterances: []Utterance{{Channel: 0, Start: 0.5, Duration: 2}, {Channel: 1, Start: 2, Duration: 1.5, LevelDBFS: -30}},
		Leaks: []Leak{{From: 0, To: 1, GainDB: -24, DelayS: 0.003, ModDB: 3, ReverbS: 0.3, ReverbDB: 6, LowPassHz: 2000},
			{From: 1, To: 0, GainDB: -24, DelayS: 0.003}},
		Tones:  []Tone{{Channel: 1, Digit: '5', Start: 4, End: 4.08, LowDBm0: -10, TwistDB: 2}},
		Bursts: []Burst{{Channel: 0, Start: 5, End: 5.4, LevelDBFS: -40}, {Channel: 1, Start: 4.5, End: 5, LevelDBFS: -20, LowPassHz: 90}},
	}
}

func rms(x []float32, nch, ch int, a, b float64, sr int) float64 {
	var s float64
	n := 0
	for k := int(a * float64(sr)); k < int(b*float64(sr)); k++ {
		v := float64(x[k*nch+ch])
		s += v * v
		n++
	}
	return 10 * math.Log10(s/float64(n))
}

func TestRenderLevelsAndTruth(t *testing.T) {
	c := testCall()
	x, err := c.Render()
	if err != nil {
		t.Fatal(err)
	}
	if len(x) != 6*16000*2 {
		t.Fatalf("%d samples", len(x))
	}
	checks := []struct {
		name   string
		ch     int
		a, b   float64
		lo, hi float64
	}{
		{"ch0 speech", 0, 0.6, 1.9, -30, -22},
		{"ch1 speech", 1, 2.1, 3.4, -34, -26},
		{"ch0 noise", 0, 3.7, 3.95, -67.5, -64.5},
		{"ch1 hears ch0 ≈ 24 dB down", 1, 0.6, 1.9, -57, -45},
		{"tone", 1, 4.01, 4.07, -14, -8},
	}
	for _, ck := range checks {
		if got := rms(x, 2, ck.ch, ck.a, ck.b, 16000); got < ck.lo || got > ck.hi {
			t.Errorf("%s: %.1f dBFS, want %g…%g", ck.name, got, ck.lo, ck.hi)
		}
	}
	tr := c.Truth()
	if len(tr[0]) != 1 || tr[0][0].Start != 0.5 || tr[0][0].End != 2.5 || len(tr[1]) != 1 || tr[1][0].End != 3.5 {
		t.Errorf("truth %+v", tr)
	}
}

func TestStreamingMatchesRender(t *testing.T) {
	c := testCall()
	want, err := c.Render()
	if err != nil {
		t.Fatal(err)
	}
	src, _ := c.Source()
	got := make([]float32, 0, len(want))
	buf := make([]float32, 2*777) // odd block size
	for {
		n, err := src.ReadFrames(buf)
		got = append(got, buf[:2*n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%d vs %d samples", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("sample %d differs with another block size: %g vs %g", i, got[i], want[i])
		}
	}
}

func TestValidate(t *testing.T) {
	bad := []*Call{
		{SampleRate: 100, Channels: 1, Duration: 1},
		{SampleRate: 16000, Channels: 0, Duration: 1},
		{SampleRate: 16000, Channels: 1, Duration: 0},
		{SampleRate: 16000, Channels: 1, Duration: 1, Utterances: []Utterance{{Channel: 1}}},
		{SampleRate: 16000, Channels: 2, Duration: 1, Leaks: []Leak{{From: 0, To: 0}}},
		{SampleRate: 16000, Channels: 1, Duration: 1, Tones: []Tone{{Digit: 'x'}}},
	}
	for i, c := range bad {
		if _, err := c.Source(); err == nil {
			t.Errorf("case %d accepted", i)
		}
	}
}

func TestSamplesUtterance(t *testing.T) {
	snip := make([]float32, 8000)
	for i := range snip {
		snip[i] = 0.1
	}
	c := &Call{SampleRate: 16000, Channels: 1, Duration: 2, Utterances: []Utterance{{Start: 1, Samples: snip, Speech: [][2]float64{{0.1, 0.4}}}}}
	x, err := c.Render()
	if err != nil {
		t.Fatal(err)
	}
	if x[16000] != 0.1 || x[15999] != 0 || x[24000] != 0 {
		t.Errorf("snippet misplaced: %g %g %g", x[15999], x[16000], x[24000])
	}
	if tr := c.Truth(); len(tr[0]) != 1 || tr[0][0].Start != 1.1 || tr[0][0].End != 1.4 {
		t.Errorf("truth %+v", tr)
	}
}
