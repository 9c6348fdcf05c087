package dsp

import "math"

// goertzelBank runs a fixed set of Goertzel filters over consecutive blocks
// of samples and returns, per block and frequency, the block's DFT value
// with its phase referenced to absolute sample time:
//
//	C = Σ x[n]·e^(−jωn),  n running over the block's absolute sample indices.
//
// Because every block shares one phase reference, block values can be summed
// coherently (the sum is the DFT of the longer window) and the phase advance
// between blocks measures a tone's offset from the filter frequency.
//
// The per-sample cost is one multiply and two adds per frequency; the
// complex finish costs a few operations per block. Nothing allocates.
type goertzelBank struct {
	n      int // frequencies in use
	coef   [goertzelMaxFreqs]float64
	s1, s2 [goertzelMaxFreqs]float64
	// finish[i] = e^(−jω) completes the Goertzel output; phase[i] =
	// e^(−jω(n0+L−1)) references the block starting at n0 to absolute time;
	// step[i] = e^(−jωL) advances phase by one block of L samples.
	finish, phase, step [goertzelMaxFreqs]complex128
	blockLen            int
	blocks              int64 // blocks completed, for periodic renormalisation
}

const goertzelMaxFreqs = 8

// goertzelInit sets the bank up for freqs (Hz, at most goertzelMaxFreqs) at
// sample rate fs and blocks of blockLen samples starting at sample 0.
func (g *goertzelBank) init(freqs []float64, fs float64, blockLen int) {
	*g = goertzelBank{n: len(freqs), blockLen: blockLen}
	for i, f := range freqs {
		w := 2 * math.Pi * f / fs
		g.coef[i] = 2 * math.Cos(w)
		g.finish[i] = complex(math.Cos(w), -math.Sin(w))
		g.step[i] = complex(math.Cos(w*float64(blockLen)), -math.Sin(w*float64(blockLen)))
		g.phase[i] = complex(math.Cos(w*float64(blockLen-1)), -math.Sin(w*float64(blockLen-1)))
	}
}

// feed runs the filters over x, which must not cross a block boundary.
func (g *goertzelBank) feed(x []float32) {
	if g.n != goertzelMaxFreqs {
		g.feedN(x)
		return
	}
	// Eight filters kept in locals: the hot loop of the DTMF detector.
	c0, c1, c2, c3, c4, c5, c6, c7 := g.coef[0], g.coef[1], g.coef[2], g.coef[3], g.coef[4], g.coef[5], g.coef[6], g.coef[7]
	a0, a1, a2, a3, a4, a5, a6, a7 := g.s1[0], g.s1[1], g.s1[2], g.s1[3], g.s1[4], g.s1[5], g.s1[6], g.s1[7]
	b0, b1, b2, b3, b4, b5, b6, b7 := g.s2[0], g.s2[1], g.s2[2], g.s2[3], g.s2[4], g.s2[5], g.s2[6], g.s2[7]
	for _, v := range x {
		s := float64(v)
		a0, b0 = s+c0*a0-b0, a0
		a1, b1 = s+c1*a1-b1, a1
		a2, b2 = s+c2*a2-b2, a2
		a3, b3 = s+c3*a3-b3, a3
		a4, b4 = s+c4*a4-b4, a4
		a5, b5 = s+c5*a5-b5, a5
		a6, b6 = s+c6*a6-b6, a6
		a7, b7 = s+c7*a7-b7, a7
	}
	g.s1 = [goertzelMaxFreqs]float64{a0, a1, a2, a3, a4, a5, a6, a7}
	g.s2 = [goertzelMaxFreqs]float64{b0, b1, b2, b3, b4, b5, b6, b7}
}

func (g *goertzelBank) feedN(x []float32) {
	for _, v := range x {
		s := float64(v)
		for i := 0; i < g.n; i++ {
			g.s1[i], g.s2[i] = s+g.coef[i]*g.s1[i]-g.s2[i], g.s1[i]
		}
	}
}

// finishBlock writes the block's absolute-phase DFT values to out, resets the
// filters and advances the phase reference by one block.
func (g *goertzelBank) finishBlock(out *[goertzelMaxFreqs]complex128) {
	for i := 0; i < g.n; i++ {
		out[i] = goertzelOut(g.s1[i], g.s2[i], g.finish[i], g.phase[i])
		g.s1[i], g.s2[i] = 0, 0
	}
	g.advance()
}

// advance moves the phase reference on by one block, renormalizing it
// every 1024 blocks (the products' rounding errors would otherwise let its
// magnitude drift).
func (g *goertzelBank) advance() {
	for i := 0; i < g.n; i++ {
		g.phase[i] *= g.step[i]
	}
	g.blocks++
	if g.blocks&1023 == 0 {
		for i := 0; i < g.n; i++ {
			p := g.phase[i]
			g.phase[i] = p / complex(math.Hypot(real(p), imag(p)), 0)
		}
	}
}

// nextPhase writes the phase reference of the block now starting to ph and
// advances the reference by one block, exactly as finishBlock does. With
// block it computes a block's values later, from its stored samples (the
// DTMF detector computes only the blocks its decisions look at).
func (g *goertzelBank) nextPhase(ph *[goertzelMaxFreqs]complex128) {
	*ph = g.phase
	g.advance()
}

// block writes to out the absolute-phase DFT values of the whole block x
// whose phase reference nextPhase gave as ph: bit for bit what feed over
// the block followed by finishBlock gives. The bank must not be mid-block.
func (g *goertzelBank) block(x []float32, ph *[goertzelMaxFreqs]complex128, out *[goertzelMaxFreqs]complex128) {
	g.feed(x)
	for i := 0; i < g.n; i++ {
		out[i] = goertzelOut(g.s1[i], g.s2[i], g.finish[i], ph[i])
		g.s1[i], g.s2[i] = 0, 0
	}
}

// goertzelOut completes a filter whose last two states are s1 and s2,
// Goertzel's s[L−1] − e^(−jω)·s[L−2] = Σ x[n]·e^(jω(L−1−n)), and turns it
// to the absolute phase reference ph. In real arithmetic: the complex
// product with the real s2 would spend four multiplies on zeros.
func goertzelOut(s1, s2 float64, finish, ph complex128) complex128 {
	yr := s1 - real(finish)*s2
	yi := -(imag(finish) * s2)
	pr, pi := real(ph), imag(ph)
	return complex(yr*pr-yi*pi, yr*pi+yi*pr)
}
