package dsp

import "math"

// vadFeatures turns one channel's samples into the 10 ms frame power the
// VAD decides on: a 2nd-order Butterworth high-pass, then the mean square
// over the frame. Frame k covers samples [⌊k·sr/100⌋, ⌊(k+1)·sr/100⌋), so
// rates that are not multiples of 100 Hz stay on the grid without drift.
// It keeps its filter state across calls and allocates nothing per call.
type vadFeatures struct {
	sr int

	b0, b1, b2, a1, a2 float64
	x1, x2, y1, y2     float64

	acc   float64 // Σ y² in the current frame
	n     int     // samples in the current frame
	need  int     // samples the current frame holds when complete
	frame int64   // index of the current frame
}

func newVADFeatures(sampleRate int, highPassHz float64) *vadFeatures {
	f := &vadFeatures{sr: sampleRate}
	f.b0 = 1 // pass-through when the high-pass is off
	if highPassHz > 0 && highPassHz < float64(sampleRate)/2 {
		// RBJ cookbook high-pass, Q = 1/√2.
		w0 := 2 * math.Pi * highPassHz / float64(sampleRate)
		cw, sw := math.Cos(w0), math.Sin(w0)
		alpha := sw / math.Sqrt2 // sin(w0)/(2Q), Q = 1/√2
		a0 := 1 + alpha
		f.b0 = (1 + cw) / 2 / a0
		f.b1 = -(1 + cw) / a0
		f.b2 = (1 + cw) / 2 / a0
		f.a1 = -2 * cw / a0
		f.a2 = (1 - alpha) / a0
	}
	f.need = f.frameLen(0)
	return f
}

func (f *vadFeatures) frameLen(k int64) int {
	sr := int64(f.sr)
	return int((k+1)*sr/100 - k*sr/100)
}

// process filters x and appends the power of every frame completed by it
// to out, returning the extended slice.
func (f *vadFeatures) process(x []float32, out []float32) []float32 {
	b0, b1, b2, a1, a2 := f.b0, f.b1, f.b2, f.a1, f.a2
	x1, x2, y1, y2 := f.x1, f.x2, f.y1, f.y2
	acc, n, need := f.acc, f.n, f.need
	for len(x) > 0 {
		m := need - n
		if m > len(x) {
			m = len(x)
		}
		for _, s := range x[:m] {
			v := float64(s)
			y := b0*v + b1*x1 + b2*x2 - a1*y1 - a2*y2
			x2, x1 = x1, v
			y2, y1 = y1, y
			acc += y * y
		}
		x = x[m:]
		n += m
		if n == need {
			out = append(out, float32(acc/float64(n)))
			acc, n = 0, 0
			f.frame++
			need = f.frameLen(f.frame)
		}
	}
	// Flush denormals so silence does not slow the filter down.
	if math.Abs(y1) < 1e-30 {
		y1 = 0
	}
	if math.Abs(y2) < 1e-30 {
		y2 = 0
	}
	f.x1, f.x2, f.y1, f.y2 = x1, x2, y1, y2
	f.acc, f.n, f.need = acc, n, need
	return out
}

// flush appends the power of a partial last frame, if any.
func (f *vadFeatures) flush(out []float32) []float32 {
	if f.n > 0 {
		out = append(out, float32(f.acc/float64(f.n)))
		f.acc, f.n = 0, 0
		f.frame++
		f.need = f.frameLen(f.frame)
	}
	return out
}
