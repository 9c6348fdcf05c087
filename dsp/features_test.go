package dsp

import (
	"math"
	"math/rand/v2"
	"syscall"
	"testing"
)

// featSignal returns n samples of a 150 Hz harmonic tone (voiced-like)
// gated on and off every 0.5 s, plus white noise at −60 dBFS.
func featSignal(n, sr int) []float32 {
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, n)
	for i := range x {
		t := float64(i) / float64(sr)
		v := 0.001 * rng.NormFloat64()
		if int(t*2)%2 == 0 {
			for h := 1; h <= 20; h++ {
				v += 0.05 / float64(h) * math.Sin(2*math.Pi*150*float64(h)*t)
			}
		}
		x[i] = float32(v)
	}
	return x
}

func TestVADFeaturesFrameGrid(t *testing.T) {
	for _, sr := range []int{8000, 16000, 22050, 44100} {
		f := newVADFeatures(sr, 300, 200)
		x := make([]float32, sr) // 1 s
		var out []vadFrame
		// Feed in awkward pieces.
		for i := 0; i < len(x); i += 77 {
			out = f.process(x[i:min(i+77, len(x))], out)
		}
		out = f.flush(out)
		if len(out) != 100 {
			t.Errorf("%d Hz: %d frames from 1 s, want 100", sr, len(out))
		}
	}
	// A partial last frame is flushed.
	f := newVADFeatures(16000, 300, 200)
	out := f.flush(f.process(make([]float32, 16000+50), nil))
	if len(out) != 101 {
		t.Errorf("1 s + 50 samples: %d frames, want 101", len(out))
	}
}

func TestVADFeaturesPowerAndPeriodicity(t *testing.T) {
	sr := 16000
	x := featSignal(2*sr, sr)
	f := newVADFeatures(sr, 300, 200)
	out := f.flush(f.process(x, nil))
	for k := range out {
		out[k].per = f.periodicityAt(out[k].dpos)
	}
	var onP, offP, onPer, offPer float64
	var nOn, nOff int
	for k, fr := range out {
		if k%50 < 5 || k%50 > 45 { // skip edges
			continue
		}
		if (k/50)%2 == 0 {
			onP += float64(fr.p)
			onPer += float64(fr.per)
			nOn++
		} else {
			offP += float64(fr.p)
			offPer += float64(fr.per)
			nOff++
		}
	}
	onDB := 10 * math.Log10(onP/float64(nOn))
	offDB := 10 * math.Log10(offP/float64(nOff))
	if onDB-offDB < 25 {
		t.Errorf("tone %.1f dB vs noise %.1f dB: want ≥ 25 dB apart", onDB, offDB)
	}
	if p := onPer / float64(nOn); p < 0.8 {
		t.Errorf("periodicity of a 150 Hz harmonic tone = %.2f, want ≥ 0.8", p)
	}
	if p := offPer / float64(nOff); p > 0.5 {
		t.Errorf("periodicity of white noise = %.2f, want ≤ 0.5 (below the 0.6 voicing threshold)", p)
	}
	// The 300 Hz high-pass removes a 100 Hz hum by ≥ 30 dB relative to 1 kHz.
	hum := make([]float32, sr)
	tone := make([]float32, sr)
	for i := range hum {
		hum[i] = float32(0.1 * math.Sin(2*math.Pi*100*float64(i)/float64(sr)))
		tone[i] = float32(0.1 * math.Sin(2*math.Pi*1000*float64(i)/float64(sr)))
	}
	ph := newVADFeatures(sr, 300, 200).process(hum, nil)
	pt := newVADFeatures(sr, 300, 200).process(tone, nil)
	if d := 10 * math.Log10(float64(pt[50].p)/float64(ph[50].p)); d < 30 {
		t.Errorf("1 kHz vs 100 Hz after the high-pass: %.1f dB, want ≥ 30", d)
	}
}

func TestVADFeaturesNoAlloc(t *testing.T) {
	x := featSignal(16000, 16000)
	f := newVADFeatures(16000, 300, 200)
	out := make([]vadFrame, 0, 200)
	allocs := testing.AllocsPerRun(20, func() {
		out = f.process(x, out[:0])
	})
	if allocs != 0 {
		t.Errorf("process allocates %.1f times per call, want 0", allocs)
	}
}

// BenchmarkVADFeatures is the per-channel feature stage: high-pass, frame
// power and the decimated signal for periodicity, over one minute of one
// 16 kHz channel.
func BenchmarkVADFeatures(b *testing.B) {
	x := featSignal(60*16000, 16000)
	f := newVADFeatures(16000, 300, 200)
	out := make([]vadFrame, 0, 6100)
	b.ReportAllocs()
	b.ResetTimer()
	c0 := vadCPU()
	for range b.N {
		out = f.process(x, out[:0])
	}
	b.ReportMetric(float64(vadCPU()-c0)/float64(b.N)/float64(len(x)), "cpu-ns/sample")
}

// vadCPU returns the process's user+system CPU time in ns: benchmarks
// report CPU per sample, which the shared machine's load does not inflate
// the way it inflates wall time.
func vadCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkPeriodicity is the on-demand periodicity search, per frame (the
// decider asks for it only on frames it takes for speech).
func BenchmarkPeriodicity(b *testing.B) {
	x := featSignal(16000, 16000)
	f := newVADFeatures(16000, 300, 200)
	out := f.process(x, nil)
	b.ReportAllocs()
	b.ResetTimer()
	c0 := vadCPU()
	var s float32
	for i := range b.N {
		s += f.periodicityAt(out[50+i%40].dpos)
	}
	_ = s
	b.ReportMetric(float64(vadCPU()-c0)/float64(b.N), "cpu-ns/frame")
}

// TestPeriodicitySIMDBitExact: the SIMD correlation gives the scalar
// code's periodicity, bit for bit, at every supported rate.
func TestPeriodicitySIMDBitExact(t *testing.T) {
	if !periodicitySIMD {
		t.Skip("no SIMD periodicity kernels on this CPU")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, sr := range []int{8000, 11025, 16000, 22050, 32000, 44100, 48000, 96000} {
		f := newVADFeatures(sr, 300, 400)
		x := make([]float32, sr/10)
		for block := range 20 {
			f0 := 60 + 40*rng.Float64()
			for i := range x {
				tt := float64(block*len(x)+i) / float64(sr)
				x[i] = float32(0.3*math.Sin(2*math.Pi*f0*tt)*math.Sin(2*math.Pi*3*tt) + 0.05*rng.NormFloat64())
				if block%5 == 4 {
					x[i] = 0
				}
			}
			frames := f.process(x, nil)
			for _, fr := range frames {
				periodicitySIMD = false
				want := f.periodicityAt(fr.dpos)
				periodicitySIMD = true
				got := f.periodicityAt(fr.dpos)
				if math.Float32bits(got) != math.Float32bits(want) {
					t.Fatalf("%d Hz, block %d: SIMD %v, scalar %v", sr, block, got, want)
				}
			}
		}
	}
}
