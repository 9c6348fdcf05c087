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
	"unsafe"
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
	fl, ll, gl, el, tl := featLanes, levelLanes, goertzelLanes, dtmfEndLanes, dtmfGateLanes
	featLanes, levelLanes, goertzelLanes = featLanesGo, levelLanesGo, goertzelLanesGo
	dtmfEndLanes, dtmfGateLanes = dtmfEndLanesGo, dtmfGateLanesGo
	t.Cleanup(func() { featLanes, levelLanes, goertzelLanes, dtmfEndLanes, dtmfGateLanes = fl, ll, gl, el, tl })
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
	// Float samples that are NaN or ±Inf: the blocks they land in count
	// as silence, in every stage that keeps state across blocks.
	f := Format{Channels: 4, SampleRate: 16000, BitsPerSample: 32, Encoding: EncodingFloat}
	x := laneTestSignal(f.SampleRate, f.Channels, 12, 99)
	for i, at := range []float64{1.003, 2.5, 2.51, 4.2, 7.77, 9.1} {
		k := int(at*float64(f.SampleRate))*f.Channels + i%f.Channels
		x[k] = []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))}[i%3]
	}
	return append(cs, laneCase{"generated-nan-inf", f, x})
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
					// Printed, as NaN (the DC offset of a channel with a NaN
					// sample) is not DeepEqual to itself; %v prints floats
					// exactly.
					if !reflect.DeepEqual(got, want) && fmt.Sprintf("%+v", *got) != fmt.Sprintf("%+v", *want) {
						t.Errorf("%s, workers=%d: lanes differ from channels: %s", c.name, w, firstDiff(got, want))
					}
				}
			}
		})
	}
}

// TestLaneKernelsBitExact runs the native kernels and the portable ones
// from the same random states over the same random frames (speech-like
// values, exact zeros, tiny and huge values, NaN and ±Inf) and requires
// bit-identical states afterwards.
func TestLaneKernelsBitExact(t *testing.T) {
	if !lanesNative {
		t.Skip("no native lane kernels on this CPU")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	val := func() float32 {
		switch rng.IntN(20) {
		case 0:
			return 0
		case 1:
			return float32(math.NaN())
		case 2:
			return float32(math.Inf(1 - 2*rng.IntN(2)))
		case 3:
			return float32(rng.NormFloat64() * 1e-38)
		case 4:
			return float32(rng.NormFloat64() * 1e30)
		}
		return float32(rng.NormFloat64() * 0.1)
	}
	rnd := func(a *[laneN]float64) {
		for l := range a {
			a[l] = rng.NormFloat64() * 0.3
		}
	}
	for trial := range 300 {
		stride := 4 + rng.IntN(5)
		n := 1 + rng.IntN(300)
		x := make([]float32, n*stride+laneN)
		for i := range x {
			x[i] = val()
		}
		if trial%3 == 0 { // finite input only, for long clean runs
			for i := range x {
				x[i] = float32(rng.NormFloat64() * 0.1)
			}
		}
		off := rng.IntN(stride - laneN + 1)

		var f1 laneFeat
		for _, a := range []*[laneN]float64{&f1.b0, &f1.b1, &f1.b2, &f1.a1, &f1.a2, &f1.c0, &f1.c1, &f1.c2, &f1.d1, &f1.d2,
			&f1.lpA, &f1.lpB, &f1.x1, &f1.x2, &f1.y1, &f1.y2, &f1.z1, &f1.z2, &f1.acc, &f1.l1, &f1.decAcc} {
			rnd(a)
		}
		rings := make([][]float32, laneN)
		for l := range rings {
			rings[l] = make([]float32, 64)
			f1.ring[l] = unsafe.Pointer(&rings[l][0])
		}
		f1.mask, f1.dec, f1.pos = 63, int64(1+rng.IntN(9)), int64(rng.IntN(100))
		f1.decN = int64(rng.IntN(int(f1.dec)))
		f2 := f1
		rings2 := make([][]float32, laneN)
		for l := range rings2 {
			rings2[l] = make([]float32, 64)
			f2.ring[l] = unsafe.Pointer(&rings2[l][0])
		}
		featLanesSIMDForTest(&f1, x, off, stride, n)
		featLanesGo(&f2, x, off, stride, n, laneN)
		f2.ring = f1.ring
		if !bitsEqual(unsafe.Pointer(&f1), unsafe.Pointer(&f2), unsafe.Sizeof(f1)) || !reflect.DeepEqual(bitsOf(rings), bitsOf(rings2)) {
			t.Fatalf("trial %d: featLanes differs (n=%d stride=%d)", trial, n, stride)
		}

		var v1 laneLevel
		for _, a := range []*[laneN]float64{&v1.p, &v1.q, &v1.peak, &v1.sum, &v1.sumSq, &v1.frameSq} {
			rnd(a)
		}
		for l := range laneN {
			v1.g[l] = 0.99 + 0.01*rng.Float64()
			v1.g1[l] = 1 - v1.g[l]
			v1.clip[l] = 0.5
			v1.absMask[l] = math.MaxInt64
			v1.down[l] = 0.01 * rng.Float64()
			v1.up[l] = v1.down[l] + 0.05*rng.Float64()
			v1.nClip[l] = int64(rng.IntN(10))
		}
		v1.laneMask = int64(1 + rng.IntN(15))
		v2 := v1
		for done := 0; done < n; {
			k1 := levelLanesSIMDForTest(&v1, x, off+done*stride, stride, n-done)
			k2 := levelLanesGoMasked(&v2, x, off+done*stride, stride, n-done)
			if k1 != k2 || !bitsEqual(unsafe.Pointer(&v1), unsafe.Pointer(&v2), unsafe.Sizeof(v1)) {
				t.Fatalf("trial %d: levelLanes differs at frame %d (returned %d, %d)", trial, done, k1, k2)
			}
			done += k1
		}

		var g1 laneGz
		for f := range goertzelMaxFreqs {
			rnd(&g1.coef[f])
			rnd(&g1.s1[f])
			rnd(&g1.s2[f])
		}
		rnd(&g1.sum)
		rnd(&g1.sum2)
		g2 := g1
		goertzelLanesSIMDForTest(&g1, x, off, stride, n)
		goertzelLanesGo(&g2, x, off, stride, n, laneN)
		if !bitsEqual(unsafe.Pointer(&g1), unsafe.Pointer(&g2), unsafe.Sizeof(g1)) {
			t.Fatalf("trial %d: goertzelLanes differs (n=%d)", trial, n)
		}

		// The block end and the window gate, on the Goertzel states just
		// run and random (sometimes non-finite) ring contents.
		wide := func() float64 {
			switch rng.IntN(12) {
			case 0:
				return 0
			case 1:
				return math.NaN()
			case 2:
				return math.Inf(1)
			case 3:
				return rng.ExpFloat64() * 1e-310 // denormal
			}
			return rng.ExpFloat64() * math.Pow(10, float64(rng.IntN(12)-9))
		}
		for f := range goertzelMaxFreqs {
			th := rng.Float64() * 2 * math.Pi
			g1.ref.finish[f] = complex(math.Cos(th), -math.Sin(th))
			g1.ref.phase[f] = complex(math.Cos(3*th), -math.Sin(3*th))
		}
		for s := range dtmfRing {
			for l := range laneN {
				g1.e[s][l] = wide()
				for f := range goertzelMaxFreqs {
					g1.pw[s][f][l] = wide()
				}
			}
		}
		g1.gateE, g1.gateWk, g1.gateDen, g1.gateTwoL, g1.gate08 = rng.ExpFloat64()*1e-3, 0.45, 1+rng.Float64()*10, 2.0/80, 0.8
		g1.gateMin = g1.gateE / 2
		g1.blockN = float64(40 * (1 + rng.IntN(4)))
		g1.dcG = 0.002 * g1.blockN * (0.5 + rng.Float64())
		for l := range laneN {
			g1.dc[l] = rng.NormFloat64() * []float64{0, 1e-3, 0.5, 3}[rng.IntN(4)]
		}
		var c1, c2 [laneN][goertzelMaxFreqs]complex128
		var e1, e2 [laneN]float64
		g2 = g1
		for l := range laneN {
			g1.cdst[l], g1.edst[l] = unsafe.Pointer(&c1[l]), unsafe.Pointer(&e1[l])
			g2.cdst[l], g2.edst[l] = unsafe.Pointer(&c2[l]), unsafe.Pointer(&e2[l])
		}
		slot := rng.IntN(dtmfRing)
		m1 := dtmfEndLanesSIMDForTest(&g1, slot)
		m2 := dtmfEndLanesGo(&g2, slot)
		g2.cdst, g2.edst = g1.cdst, g1.edst
		if m1 != m2 || !bitsEqual(unsafe.Pointer(&g1), unsafe.Pointer(&g2), unsafe.Sizeof(g1)) ||
			!bitsEqual(unsafe.Pointer(&c1), unsafe.Pointer(&c2), unsafe.Sizeof(c1)) || !bitsEqual(unsafe.Pointer(&e1), unsafe.Pointer(&e2), unsafe.Sizeof(e1)) {
			t.Fatalf("trial %d: dtmfEndLanes differs (silenced %04b, %04b)", trial, m1, m2)
		}
		for range 8 {
			k := int64(rng.IntN(1000))
			if m1, m2 := dtmfGateLanesSIMDForTest(&g1, k), dtmfGateLanesGo(&g1, k); m1 != m2 {
				t.Fatalf("trial %d: dtmfGateLanes(k=%d) = %04b, want %04b", trial, k, m1, m2)
			}
		}
	}
}

// levelLanesGoMasked is levelLanesGo for all four lanes, stopping where a
// lane in laneMask crosses (as the native kernel does).
func levelLanesGoMasked(st *laneLevel, x []float32, off, stride, n int) int {
	up, down := st.up, st.down
	for l := range laneN {
		if st.laneMask&(1<<l) == 0 {
			st.up[l], st.down[l] = math.NaN(), math.NaN() // no q compares true
		}
	}
	k := levelLanesGo(st, x, off, stride, n, laneN)
	st.up, st.down = up, down
	return k
}

// bitsEqual compares two states word by word: equal bits, or both NaN
// (which NaN an operation yields depends on operand order, which the
// compiler chooses; a NaN is a NaN to every later step).
func bitsEqual(a, b unsafe.Pointer, n uintptr) bool {
	wa := unsafe.Slice((*uint64)(a), n/8)
	wb := unsafe.Slice((*uint64)(b), n/8)
	for i := range wa {
		x, y := math.Float64frombits(wa[i]), math.Float64frombits(wb[i])
		if wa[i] != wb[i] && !(x != x && y != y) {
			return false
		}
	}
	return true
}

// bitsOf is the rings' bits, every NaN as one.
func bitsOf(rs [][]float32) [][]uint32 {
	out := make([][]uint32, len(rs))
	for i, r := range rs {
		for _, v := range r {
			b := math.Float32bits(v)
			if v != v {
				b = 0x7fc00000
			}
			out[i] = append(out[i], b)
		}
	}
	return out
}

// BenchmarkLanes runs each kernel over one second of a 4-channel 16 kHz
// block (the AVX2 kernels where native): ns per frame of four channels,
// and no allocation.
func BenchmarkLanes(b *testing.B) {
	const sr, nch = 16000, 4
	x := laneTestSignal(sr, nch, 1, 9)
	x = append(x, make([]float32, laneSlack)...)
	var a analyzer
	a.nch = nch
	a.ch = make([]anChannel, nch)
	for c := range a.ch {
		a.ch[c].feat = newVADFeatures(sr, 300, 400)
		a.ch[c].level = NewLevelMeter(sr)
		d, err := NewDTMFDetector(sr, DefaultDTMFOptions())
		if err != nil {
			b.Fatal(err)
		}
		a.ch[c].dtmf = d
		a.ch[c].frames = [2][]vadFrame{make([]vadFrame, 0, 128)}
	}
	g := newLaneGroup(&a, 0)
	for _, k := range []struct {
		name string
		run  func()
	}{
		{"features", func() { g.features(&a, x, sr, 0) }},
		{"levels", func() { g.levels(&a, x, sr) }},
		{"dtmf", func() {
			g.dtmf(&a, x, sr)
			// The signal's digits, found again every pass, are not what
			// is measured: recording them would grow the lists.
			for c := range a.ch {
				a.ch[c].dtmf.tones = a.ch[c].dtmf.tones[:0]
			}
		}},
	} {
		b.Run(k.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				k.run()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/sr, "ns/frame")
		})
	}
}
