package dsp

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"testing"
)

// laneSource replays interleaved samples from memory.
type laneSource struct {
	f   Format
	x   []float32
	pos int
}

func (m *laneSource) Format() Format { return m.f }
func (m *laneSource) ReadFrames(dst []float32) (int, error) {
	nch := m.f.Channels
	n := min(len(dst), len(m.x)-m.pos) / nch
	copy(dst, m.x[m.pos:m.pos+n*nch])
	m.pos += n * nch
	if m.pos >= len(m.x) {
		return n, io.EOF
	}
	return n, nil
}

// readWAV returns a corpus file's format and interleaved samples.
func readWAV(t testing.TB, path string) (Format, []float32) {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	r, err := NewReader(fh)
	if err != nil {
		t.Fatal(err)
	}
	f := r.Format()
	var out []float32
	buf := make([]float32, 4096*f.Channels)
	for {
		n, err := r.ReadFrames(buf)
		out = append(out, buf[:n*f.Channels]...)
		if err == io.EOF {
			return f, out
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// remix builds an nch-channel signal from the channels of x (src channels,
// frames frames): channel c is source channel c%src, delayed by 7·c samples
// and scaled, so no two channels are equal.
func remix(x []float32, src, frames, nch int) []float32 {
	out := make([]float32, frames*nch)
	for c := range nch {
		g := float32(1 - 0.09*float64(c))
		for i := range frames {
			j := i - 7*c
			if j >= 0 {
				out[i*nch+c] = g * x[j*src+c%src]
			}
		}
	}
	return out
}

// laneTestSignal is nch channels of generated sound at sr: harmonic
// bursts (voiced-like), noise, DTMF digits, exact digital silence (where
// the filters run into denormals), a clipped stretch and a DC offset.
func laneTestSignal(sr, nch int, seconds float64, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 7))
	n := int(seconds * float64(sr))
	out := make([]float32, n*nch)
	digits := []float64{697, 1209, 770, 1336, 852, 1477, 941, 1633}
	for c := range nch {
		f0 := 110 + 23*float64(c)
		dc := 0.002 * float64(c%3)
		for i := range n {
			t := float64(i) / float64(sr)
			var v float64
			sec := int(t) + c
			switch sec % 5 {
			case 0, 1: // voiced bursts, 4 Hz syllables
				env := math.Max(0, math.Sin(2*math.Pi*4*t))
				for h := 1; h <= 8; h++ {
					v += env * 0.05 / float64(h) * math.Sin(2*math.Pi*f0*float64(h)*t+float64(h))
				}
				v += 0.003 * rng.NormFloat64()
			case 2: // a DTMF digit, 80 ms on, 80 ms off
				if math.Mod(t, 0.16) < 0.08 {
					k := int(t/0.16) % 4
					v = 0.2*math.Sin(2*math.Pi*digits[2*k]*t) + 0.25*math.Sin(2*math.Pi*digits[2*k+1]*t)
				}
				v += 0.0005 * rng.NormFloat64()
			case 3: // digital silence
				v = 0
				dc = 0
			case 4: // loud, clipped
				v = 1.4 * math.Sin(2*math.Pi*f0*2*t)
				v = math.Max(-1, math.Min(1-1.0/32768, v))
			}
			if sec%5 != 3 {
				v += dc
			}
			out[i*nch+c] = float32(v)
		}
	}
	return out
}

// analyzeLanes analyzes x with or without lane groups.
func analyzeLanes(t *testing.T, f Format, x []float32, lanes bool, workers int) *Result {
	t.Helper()
	saved := lanesEnabled
	lanesEnabled = lanes
	defer func() { lanesEnabled = saved }()
	o := DefaultOptions()
	o.Workers = workers
	res, err := Analyze(context.Background(), &laneSource{f: f, x: x}, nil, o)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// useGoKernels runs the test with the portable kernels.
func useGoKernels(t *testing.T) {
	fl, ll, gl := featLanes, levelLanes, goertzelLanes
	featLanes, levelLanes, goertzelLanes = featLanesGo, levelLanesGo, goertzelLanesGo
	t.Cleanup(func() { featLanes, levelLanes, goertzelLanes = fl, ll, gl })
}

// firstDiff describes where two results differ.
func firstDiff(a, b *Result) string {
	for c := range a.PerChannel {
		if !reflect.DeepEqual(a.PerChannel[c], b.PerChannel[c]) {
			return fmt.Sprintf("channel %d\n  %+v\n  %+v", c, a.PerChannel[c], b.PerChannel[c])
		}
	}
	if !reflect.DeepEqual(a.Tones, b.Tones) {
		return fmt.Sprintf("tones\n  %+v\n  %+v", a.Tones, b.Tones)
	}
	if !reflect.DeepEqual(a.Segments, b.Segments) {
		return fmt.Sprintf("segments: %d vs %d", len(a.Segments), len(b.Segments))
	}
	return fmt.Sprintf("\n  %+v\n  %+v", a.Call, b.Call)
}

type laneCase struct {
	name string
	f    Format
	x    []float32
}

func laneCases(t *testing.T) []laneCase {
	af, ax := readWAV(t, "../testdata/corpus/ami/es2004a_750-810_4ch.wav")
	frames := len(ax) / af.Channels
	sf, sx := readWAV(t, "../testdata/corpus/synthcall/synthcall_2ch_bleed.wav")
	df, dx := readWAV(t, "../testdata/corpus/dtmf/100by100at8000Hz/0123456789psABCD.wav")
	cs := []laneCase{
		{"ami-4ch-16k", af, ax},
		{"synthcall-bleed-2ch", sf, sx},
		{"dtmf-1ch-8k", df, dx},
	}
	short := min(frames, 20*af.SampleRate)
	for _, nch := range []int{1, 3, 5, 8} {
		f := af
		f.Channels = nch
		cs = append(cs, laneCase{fmt.Sprintf("ami-remix-%dch", nch), f, remix(ax, 4, short, nch)})
	}
	for _, c := range []struct{ sr, nch int }{{8000, 2}, {16000, 4}, {44100, 3}, {48000, 6}} {
		f := Format{Channels: c.nch, SampleRate: c.sr, BitsPerSample: 16}
		cs = append(cs, laneCase{fmt.Sprintf("generated-%dch-%dHz", c.nch, c.sr), f, laneTestSignal(c.sr, c.nch, 12, uint64(c.sr))})
	}
	return cs
}

// TestLanesMatchChannels: the lane groups (SIMD kernels where native, and
// the portable kernels) give exactly the per-channel path's results.
func TestLanesMatchChannels(t *testing.T) {
	cases := laneCases(t)
	for _, kernels := range []string{"native", "go"} {
		if kernels == "native" && !lanesNative {
			continue
		}
		t.Run(kernels, func(t *testing.T) {
			if kernels == "go" {
				useGoKernels(t)
			}
			for _, c := range cases {
				want := analyzeLanes(t, c.f, c.x, false, 1)
				for _, w := range []int{1, 2} {
					got := analyzeLanes(t, c.f, c.x, true, w)
					if !reflect.DeepEqual(got, want) {
						t.Errorf("%s, workers=%d: lanes differ from channels: %s", c.name, w, firstDiff(got, want))
					}
				}
			}
		})
	}
}
