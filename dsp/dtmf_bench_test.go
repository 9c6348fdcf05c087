package dsp

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkDTMF measures one channel's detector on 10 s of band-limited noise
// with a digit every 200 ms (steady-state Process; allocations should be
// zero). x-realtime is audio seconds per second of CPU.
func BenchmarkDTMF(b *testing.B) {
	for _, fs := range dtmfRates {
		b.Run(fmt.Sprintf("%dHz", fs), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			specs, total := dtmfSeq("0123456789*#ABCD", 50, 0.080, 0.120, 0, -15)
			x64 := dtmfSynth(b, fs, total, specs, rng)
			dtmfAddNoise(x64, fs, 300, 3400, 0.02, rng)
			x := dtmfF32(x64)
			d, err := NewDTMFDetector(fs, DefaultDTMFOptions())
			if err != nil {
				b.Fatal(err)
			}
			// Warm up so the tone list has room: the benchmark then
			// measures the steady state.
			d.Process(x)
			d.tones = d.tones[:0]
			const chunk = 1600
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				for i := 0; i < len(x); i += chunk {
					d.Process(x[i:min(i+chunk, len(x))])
				}
				d.tones = d.tones[:0]
			}
			b.ReportMetric(total*float64(b.N)/b.Elapsed().Seconds(), "x-realtime")
			b.SetBytes(int64(len(x) * 2)) // as 16-bit PCM
		})
	}
}
