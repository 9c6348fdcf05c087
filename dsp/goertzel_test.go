package dsp

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"
)

// TestGoertzelBankMatchesDFT checks each block's value against the direct
// sum Σ x[n]·e^(−jωn) over absolute sample indices, for several rates,
// block lengths and many blocks (the phase reference must not drift).
func TestGoertzelBankMatchesDFT(t *testing.T) {
	for _, tc := range []struct {
		fs    float64
		block int
	}{{8000, 40}, {16000, 80}, {44100, 220}, {8000, 1}} {
		rng := rand.New(rand.NewPCG(1, uint64(tc.fs)))
		freqs := []float64{697, 770, 852, 941, 1209, 1336, 1477, 1633}
		var g goertzelBank
		g.init(freqs, tc.fs, tc.block)
		const blocks = 3000
		x := make([]float32, tc.block*blocks)
		for i := range x {
			x[i] = float32(rng.Float64()*2 - 1)
		}
		var out [goertzelMaxFreqs]complex128
		worst := 0.0
		for b := range blocks {
			blk := x[b*tc.block : (b+1)*tc.block]
			// Feed in two pieces to exercise partial feeding.
			h := len(blk) / 2
			g.feed(blk[:h])
			g.feed(blk[h:])
			g.finishBlock(&out)
			if b%97 != 0 && b != blocks-1 {
				continue
			}
			for i, f := range freqs {
				var want complex128
				for n, v := range blk {
					abs := float64(b*tc.block + n)
					w := 2 * math.Pi * f / tc.fs * abs
					want += complex(float64(v), 0) * complex(math.Cos(w), -math.Sin(w))
				}
				worst = max(worst, cmplx.Abs(out[i]-want)/math.Sqrt(float64(tc.block)))
			}
		}
		if worst > 1e-6 {
			t.Errorf("fs %g, block %d: worst deviation from the direct DFT %.3g (re √L)", tc.fs, tc.block, worst)
		}
	}
}

// TestGoertzelBankFewerFrequencies covers the generic (not eight-filter)
// path.
func TestGoertzelBankFewerFrequencies(t *testing.T) {
	var g goertzelBank
	g.init([]float64{1000}, 8000, 8)
	x := []float32{1, 0, -1, 0, 1, 0, -1, 0} // 2 kHz: orthogonal to 1 kHz over 8 samples
	var out [goertzelMaxFreqs]complex128
	g.feed(x)
	g.finishBlock(&out)
	if cmplx.Abs(out[0]) > 1e-9 {
		t.Errorf("2 kHz seen by the 1 kHz filter: %v", out[0])
	}
	for i := range x {
		x[i] = float32(math.Cos(2 * math.Pi * 1000 * float64(8+i) / 8000))
	}
	g.feed(x)
	g.finishBlock(&out)
	// A cosine at the filter frequency, phase-referenced to sample 0:
	// Σ cos(ωn)e^(−jωn) over 8 samples = 4 (the negative-frequency part
	// sums to 0 over whole periods).
	if cmplx.Abs(out[0]-4) > 1e-6 { // float32 input
		t.Errorf("1 kHz cosine: got %v, want 4", out[0])
	}
}
