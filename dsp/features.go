package dsp

import "math"

// vadFrame is what the VAD knows of one 10 ms frame of one channel.
type vadFrame struct {
	p    float32 // mean square after the high-pass (speech band)
	per  float32 // periodicity, when computed with the frame (tests)
	dpos int64   // decimated samples written when the frame ended (see periodicityAt)
}

// Periodicity analysis: the high-passed signal is low-passed (a one-pole
// at vadPerLPHz, then the boxcar of the decimation), decimated to about vadPerRate by averaging,
// and at each frame end the normalized autocorrelation of the last
// vadPerWinS is searched over pitch lags vadPerMinF0..vadPerMaxF0.
const (
	vadPerLPHz   = 900
	vadPerRate   = 2000
	vadPerWinS   = 0.02
	vadPerMinF0  = 80
	vadPerMaxF0  = 400
	vadPerMaxLag = 128 // bound on window + longest lag, decimated samples
)

// vadFeatures turns one channel's samples into the 10 ms frame features the
// VAD decides on: a 4th-order Butterworth high-pass, the mean square over
// the frame, and a periodicity measure (voiced speech is periodic at its
// pitch; breath, rumble, rustle and fricatives are not). Frame k covers
// samples [⌊k·sr/100⌋, ⌊(k+1)·sr/100⌋), so rates that are not multiples of
// 100 Hz stay on the grid without drift. It keeps its filter state across
// calls and allocates nothing per call.
type vadFeatures struct {
	sr int

	// Two biquad sections (4th-order Butterworth high-pass). The second
	// section's input history is the first one's output history, y1 and y2.
	b0, b1, b2, a1, a2 float64
	x1, x2, y1, y2     float64
	c0, c1, c2, d1, d2 float64
	z1, z2             float64

	acc   float64 // Σ y² in the current frame
	n     int     // samples in the current frame
	need  int     // samples the current frame holds when complete
	frame int64   // index of the current frame

	// Periodicity.
	lpA         float64
	l1          float64
	dec         int // decimation factor
	decN        int
	decAcc      float64
	ring        []float32 // decimated signal, a power-of-two ring
	mask        int64
	pos         int64 // samples written to ring (next index = pos & mask)
	win, lo, hi int   // window and lag range, in decimated samples

	// per is periodicityAtPos's scratch, kept to spare zeroing 5 KB per
	// call (only the decider calls it, one frame at a time).
	per *perScratch
}

// perScratch is the working memory of one periodicity computation.
type perScratch struct {
	// buf holds the hi+win samples from buf[perPad]; the zeros before
	// them are what the SIMD kernel reads for the lags past hi that fill
	// its last vector (their sums are discarded).
	buf     [perPad + vadPerMaxLag]float64
	r       [vadPerMaxLag + 4]float64
	raw     [32 * ((vadPerMaxLag + 31) / 32)]float64
	cs, ebs [vadPerMaxLag + 4]float64
}

// newVADFeatures returns the feature extractor of one channel. keepFrames
// is how many frames back periodicityAt must reach (the decider's
// lookahead plus the frames of one block).
func newVADFeatures(sampleRate int, highPassHz float64, keepFrames int) *vadFeatures {
	f := &vadFeatures{sr: sampleRate}
	f.b0, f.c0 = 1, 1 // pass-through when the high-pass is off
	if highPassHz > 0 && highPassHz < float64(sampleRate)/2 {
		// RBJ cookbook high-pass sections with the Q of a 4th-order
		// Butterworth.
		hp := func(q float64) (b0, b1, b2, a1, a2 float64) {
			w0 := 2 * math.Pi * highPassHz / float64(sampleRate)
			cw, sw := math.Cos(w0), math.Sin(w0)
			alpha := sw / (2 * q)
			a0 := 1 + alpha
			return (1 + cw) / 2 / a0, -(1 + cw) / a0, (1 + cw) / 2 / a0, -2 * cw / a0, (1 - alpha) / a0
		}
		f.b0, f.b1, f.b2, f.a1, f.a2 = hp(0.5412)
		f.c0, f.c1, f.c2, f.d1, f.d2 = hp(1.3066)
	}
	f.lpA = math.Exp(-2 * math.Pi * vadPerLPHz / float64(sampleRate))
	f.dec = max(1, int(math.Round(float64(sampleRate)/vadPerRate)))
	fd := float64(sampleRate) / float64(f.dec)
	f.win = int(math.Round(vadPerWinS * fd))
	f.lo = max(1, int(math.Ceil(fd/vadPerMaxF0)))
	f.hi = int(math.Floor(fd / vadPerMinF0))
	if f.win+f.hi > vadPerMaxLag {
		f.hi = vadPerMaxLag - f.win
	}
	// The ring keeps keepFrames of history beyond the analysis window, so
	// the decider can ask for the periodicity of a frame that long ago.
	need := int64(keepFrames+2)*int64(math.Ceil(fd/100)) + int64(f.win+f.hi)
	size := int64(256)
	for size < need {
		size *= 2
	}
	f.ring = make([]float32, size)
	f.per = new(perScratch)
	f.mask = size - 1
	f.need = f.frameLen(0)
	return f
}

func (f *vadFeatures) frameLen(k int64) int {
	sr := int64(f.sr)
	return int((k+1)*sr/100 - k*sr/100)
}

// process filters x and appends the features of every frame completed by
// it to out, returning the extended slice.
func (f *vadFeatures) process(x []float32, out []vadFrame) []vadFrame {
	b0, b1, b2, a1, a2 := f.b0, f.b1, f.b2, f.a1, f.a2
	x1, x2, y1, y2 := f.x1, f.x2, f.y1, f.y2
	c0, c1, c2, d1, d2 := f.c0, f.c1, f.c2, f.d1, f.d2
	z1, z2 := f.z1, f.z2
	acc, n, need := f.acc, f.n, f.need
	lpA, lpB, l1 := f.lpA, 1-f.lpA, f.l1
	dec, decN, decAcc := f.dec, f.decN, f.decAcc
	// Locals: the compiler would reload the fields after every store to
	// the ring.
	ring, mask, pos := f.ring, f.mask, f.pos
	for len(x) > 0 {
		m := need - n
		if m > len(x) {
			m = len(x)
		}
		for _, s := range x[:m] {
			v := float64(s)
			// Feedback terms last: the loop-carried chain through y1 is
			// then one multiply and one subtract.
			w := (b0*v + b1*x1 + b2*x2 - a2*y2) - a1*y1
			y := (c0*w + c1*y1 + c2*y2 - d2*z2) - d1*z1
			x2, x1 = x1, v
			y2, y1 = y1, w
			z2, z1 = z1, y
			acc += y * y
			l1 = lpB*y + lpA*l1
			decAcc += l1
			decN++
			if decN == dec {
				ring[pos&mask] = float32(decAcc)
				pos++
				decAcc, decN = 0, 0
			}
		}
		x = x[m:]
		n += m
		if n == need {
			f.pos = pos
			out = append(out, f.frameDone(acc/float64(n)))
			acc, n = 0, 0
			f.frame++
			need = f.frameLen(f.frame)
		}
	}
	// Flush denormals so silence does not slow the filter down.
	y1, y2, l1, z1, z2 = flushTiny(y1), flushTiny(y2), flushTiny(l1), flushTiny(z1), flushTiny(z2)
	f.l1, f.decN, f.decAcc = l1, decN, decAcc
	f.z1, f.z2 = z1, z2
	f.x1, f.x2, f.y1, f.y2 = x1, x2, y1, y2
	f.acc, f.n, f.need = acc, n, need
	f.pos = pos
	return out
}

// flushTiny returns 0 for |x| < 1e-30: the filter states are flushed at
// the end of every call, before they decay into denormals, which are slow.
func flushTiny(x float64) float64 {
	if math.Abs(x) < 1e-30 {
		return 0
	}
	return x
}

// flush appends the power of a partial last frame, if any.
func (f *vadFeatures) flush(out []vadFrame) []vadFrame {
	if f.n > 0 {
		out = append(out, f.frameDone(f.acc/float64(f.n)))
		f.acc, f.n = 0, 0
		f.frame++
		f.need = f.frameLen(f.frame)
	}
	return out
}

// frameDone returns the features of a frame of mean square p.
func (f *vadFeatures) frameDone(p float64) vadFrame {
	return vadFrame{p: float32(p), dpos: f.pos}
}

// periodicityAt returns the largest normalized autocorrelation of the win
// decimated samples before end (a frame's dpos) with the samples lo..hi
// earlier: about 1 for voiced sound, low for noise. It returns 0 when there
// is not enough history, no energy, or end has left the ring. It is
// computed on demand (only for frames the decider takes for speech), which
// spares most of its cost.
func (f *vadFeatures) periodicityAt(end int64) float32 {
	return f.periodicityAtPos(end, f.pos)
}

// periodicityAtPos is periodicityAt as seen when pos samples had been
// written to the ring. It reads only ring samples before pos (and not
// f.pos), so it may run while process writes the samples after pos, as
// long as the ring holds them both.
func (f *vadFeatures) periodicityAtPos(end, pos int64) float32 {
	if end < int64(f.win+f.hi) || end > pos || pos-end+int64(f.win+f.hi) > f.mask+1 {
		return 0
	}
	// Copy the hi+win samples before end into a contiguous scratch:
	// x[hi:] is the analysis window, x[hi-L:hi-L+win] the window L back.
	sc := f.per
	n := f.hi + f.win
	x := sc.buf[perPad : perPad+n]
	// The ring wraps at most once within the n samples.
	start := int((end - int64(n)) & f.mask)
	first := min(n, len(f.ring)-start)
	for k, v := range f.ring[start : start+first] {
		x[k] = float64(v)
	}
	for k, v := range f.ring[:n-first] {
		x[first+k] = float64(v)
	}
	a := x[f.hi:]
	// ea, and eb (lag lo's window) for corr: two independent sums in one
	// loop run in the time of one.
	var ea, eb float64
	for k, v := range a {
		ea += v * v
		w := x[f.hi-f.lo+k]
		eb += w * w
	}
	if ea < 1e-18 {
		return 0
	}
	// r[L] for every lag, then the best peak refined by a parabola
	// through its neighbours (the pitch period is rarely a whole number
	// of decimated samples).
	// The lagged window's energy at each lag: lo's, then slide the window
	// one sample earlier per lag (add the new first, drop the old last).
	nl := f.hi - f.lo + 1
	for i := range nl {
		if i > 0 {
			L := f.lo + i
			nv, ov := x[f.hi-L], x[f.hi-L+f.win]
			eb += nv*nv - ov*ov
		}
		sc.ebs[i] = eb
	}
	r := &sc.r
	if periodicitySIMD {
		f.corrSIMD(sc, ea)
	} else {
		f.corr(x, ea, &sc.ebs, r)
	}
	best := 0.0
	for L := f.lo; L <= f.hi; L++ {
		v := r[L]
		if L > f.lo && L < f.hi && v > r[L-1] && v >= r[L+1] {
			if d := r[L-1] - 2*v + r[L+1]; d < 0 {
				v -= (r[L-1] - r[L+1]) * (r[L-1] - r[L+1]) / (8 * d)
			}
		}
		if v > best {
			best = v
		}
	}
	best = min(best, 1)
	return float32(best)
}

// perPad is the room before periodicityAtPos's scratch for the SIMD
// kernel's reads past the longest lag: up to 31 lags beyond the last.
const perPad = 32

// corr writes to r[lo…hi] the normalized autocorrelation of the window
// x[hi:] (energy ea) at each lag (lagged window energy ebs[L−lo]).
func (f *vadFeatures) corr(x []float64, ea float64, ebs *[vadPerMaxLag + 4]float64, r *[vadPerMaxLag + 4]float64) {
	a := x[f.hi:]
	// The correlations come first, four lags per pass over a:
	// independent sums keep the pipeline busy, and each is still summed
	// in order.
	var cs [vadPerMaxLag + 1]float64
	win := f.win
	L := f.lo
	for ; L+3 <= f.hi; L += 4 {
		b0 := x[f.hi-L:][:win]
		b1 := x[f.hi-L-1:][:win]
		b2 := x[f.hi-L-2:][:win]
		b3 := x[f.hi-L-3:][:win]
		var c0, c1, c2, c3 float64
		for k, v := range a[:win] {
			c0 += v * b0[k]
			c1 += v * b1[k]
			c2 += v * b2[k]
			c3 += v * b3[k]
		}
		cs[L], cs[L+1], cs[L+2], cs[L+3] = c0, c1, c2, c3
	}
	for ; L <= f.hi; L++ {
		b := x[f.hi-L:][:win]
		var c float64
		for k, v := range a[:win] {
			c += v * b[k]
		}
		cs[L] = c
	}
	for L := f.lo; L <= f.hi; L++ {
		r[L] = 0
		if eb := ebs[L-f.lo]; eb > 1e-18 {
			r[L] = cs[L] / math.Sqrt(ea*eb)
		}
	}
}

// corrSIMD is corr into sc.r with the products and the normalization in
// the kernels of periodicity_amd64.s: the same operations in the same
// order, so the same bits.
func (f *vadFeatures) corrSIMD(sc *perScratch, ea float64) {
	x := sc.buf[perPad : perPad+f.hi+f.win]
	nl := f.hi - f.lo + 1
	groups := (nl + 3) / 4
	passes := (groups + 7) / 8
	// raw[4g+j] is lag lo+4g+3−j.
	raw, cs, ebs := &sc.raw, &sc.cs, &sc.ebs
	corrLagsAVX2(&raw[0], &x[f.hi], &sc.buf[perPad+f.hi-f.lo-3], f.win, passes)
	// cs and ebs per lag from index 0 = lag lo, padded with zeros to whole
	// vectors (the padding's ratios land past hi, where nobody reads).
	for i := range nl {
		cs[i] = raw[i&^3+3-i&3]
	}
	clear(cs[nl : (nl+3)&^3])
	clear(ebs[nl : (nl+3)&^3])
	corrRatioAVX2(&sc.r[f.lo], &cs[0], &ebs[0], ea, (nl+3)&^3)
}
