package dsp

import "math"

// Level conventions.
//
// dBFS here is 20·log10 of an RMS (or peak) value in full-scale units, with
// full scale 1.0: a full-scale square wave is 0 dBFS and a full-scale sine
// is −3.01 dBFS RMS (the ITU-T "dBov" convention of P.56 and the G.191
// software tools, and what sox's "RMS lev dB" reports). Levels that do not
// exist (no signal at all, no active speech) are reported as LevelFloorDBFS,
// never as −Inf or NaN, so every value survives JSON and SQL.
const (
	// LevelFloorDBFS is the lowest level reported: digital silence.
	LevelFloorDBFS = -150.0

	// NoiseFloorPercentile is the percentile of 10 ms frame energies taken
	// as the noise floor.
	NoiseFloorPercentile = 10.0

	// DefaultClipThreshold is the clipping threshold when the source format
	// is unknown: within 1 LSB of 16-bit full scale (32766/32768).
	DefaultClipThreshold = 1 - 2.0/32768
)

// P.56 method B parameters (ITU-T P.56 §B; G.191 sv-p56).
const (
	levelP56T        = 0.030 // envelope time constant, s
	levelP56H        = 0.200 // hangover, s
	levelP56M        = 15.9  // margin, dB
	levelThreshLowDB = -100.0
	levelThreshStep  = 2.0 // dB
	levelThreshN     = 50  // -100, -98, ..., -2 dBFS
)

// Noise floor histogram: 10 ms frame mean-square energy in 0.1 dB bins from
// LevelFloorDBFS to 0 dBFS.
const (
	levelHistBins = 1500
	levelHistStep = 0.1
)

// LevelMeter measures the levels of one channel, streaming, in fixed memory
// (about 14 KB whatever the length) and without allocating.
//
//   - Active speech level and activity factor: ITU-T P.56 method B, as in
//     the G.191 speech voltmeter (sv-p56): the envelope is |x| through two
//     cascaded one-pole smoothers (τ = 30 ms); a sample is active for
//     threshold c_j while the envelope is ≥ c_j or for 200 ms of hangover
//     after it drops below; for each threshold the active level A_j is the
//     mean square over its active samples, and the active speech level is
//     where A_j − c_j falls to the 15.9 dB margin, interpolated linearly in
//     dB between adjacent thresholds (sv-p56 bisects to 0.5 dB on the same
//     line). The thresholds are spaced 2 dB apart from −100 to −2 dBFS
//     (sv-p56 uses 15 thresholds a factor of 2 apart); activity factor =
//     long-term mean square / active mean square.
//   - Noise floor: the NoiseFloorPercentile (10th) percentile of the
//     mean-square energies of consecutive 10 ms frames, from a histogram of
//     0.1 dB bins (no per-frame storage). Frames of exact digital silence
//     are left out (a muted or padded stretch is not the noise floor); the
//     trailing partial frame is not counted. For white noise at 16 kHz the
//     10th percentile lies about 0.6 dB below the noise RMS.
//   - SNR = active speech level − noise floor (0 when there is no active
//     speech).
//   - Peak: 20·log10(max |x|).
//   - Clipped ratio: the share of samples with |x| ≥ the clip threshold
//     (DefaultClipThreshold unless SetClipThreshold; see ClipThreshold).
//   - DC offset: the mean sample value.
type LevelMeter struct {
	// P.56 state.
	g       float64 // smoother coefficient exp(-1/(fs·T))
	hang    int64   // hangover in samples
	p, q    float64 // the two smoother stages
	k       int     // thresholds the envelope is at or above: c[0..k)
	thresh  [levelThreshN]float64
	count   [levelThreshN]int64 // closed active samples per threshold
	aboveAt [levelThreshN]int64 // start of the current above run
	belowAt [levelThreshN]int64 // start of the current below run; -1: never above yet

	// Whole-signal statistics.
	n     int64
	sum   float64
	sumSq float64
	peak  float64
	clip  float32
	nClip int64

	// 10 ms frames.
	frameLen   int
	frameN     int
	frameSq    float64
	zeroFrames int64
	hist       [levelHistBins]uint32
	histN      int64
}

// NewLevelMeter returns a meter for a channel sampled at sampleRate Hz
// (which must be positive).
func NewLevelMeter(sampleRate int) *LevelMeter {
	if sampleRate <= 0 {
		panic("dsp: NewLevelMeter: sample rate must be positive")
	}
	m := &LevelMeter{}
	fs := float64(sampleRate)
	m.g = math.Exp(-1 / (fs * levelP56T))
	m.hang = int64(math.Floor(levelP56H*fs + 0.5))
	m.frameLen = max(1, int(math.Round(fs*FrameSeconds)))
	for j := range m.thresh {
		m.thresh[j] = math.Pow(10, (levelThreshLowDB+levelThreshStep*float64(j))/20)
	}
	m.clip = DefaultClipThreshold
	m.Reset()
	return m
}

// ClipThreshold returns the clipping threshold for samples decoded from f:
// within 1 LSB of full scale for integer PCM (8-bit: 126/128; 16-bit:
// 32766/32768; 24-bit and up: float32 resolution), the largest code for
// G.711 (µ-law 32124/32768, A-law 32256/32768), and 1 − 2⁻²³ for float
// (the Reader clamps float input to [−1, 1), so clipped floats land there).
func ClipThreshold(f Format) float64 {
	switch f.Encoding {
	case EncodingMuLaw:
		return 32124.0 / 32768
	case EncodingALaw:
		return 32256.0 / 32768
	case EncodingPCM:
		if f.BitsPerSample >= 8 && f.BitsPerSample < 24 {
			return 1 - math.Ldexp(2, -(f.BitsPerSample-1))
		}
	}
	return 1 - math.Ldexp(1, -23)
}

// SetClipThreshold sets the magnitude at or above which a sample counts as
// clipped (see ClipThreshold).
func (m *LevelMeter) SetClipThreshold(t float64) { m.clip = float32(t) }

// Reset clears the measurements (the sample rate and clip threshold stay).
func (m *LevelMeter) Reset() {
	m.p, m.q, m.k = 0, 0, 0
	m.count = [levelThreshN]int64{}
	m.aboveAt = [levelThreshN]int64{}
	for j := range m.belowAt {
		m.belowAt[j] = -1
	}
	m.n, m.sum, m.sumSq, m.peak, m.nClip = 0, 0, 0, 0, 0
	m.frameN, m.frameSq, m.zeroFrames = 0, 0, 0
	m.hist = [levelHistBins]uint32{}
	m.histN = 0
}

// Write adds one channel's consecutive samples (full-scale units). It may be
// called with any length, including 0; it does not allocate.
func (m *LevelMeter) Write(x []float32) {
	g, g1 := m.g, 1-m.g
	p, q, k := m.p, m.q, m.k
	n := m.n
	sum, sumSq, peak := m.sum, m.sumSq, m.peak
	// The samples are float32, so float32(|v|) is |v| and comparing in
	// float64 gives the same answer without a conversion per sample.
	clip, nClip := float64(m.clip), m.nClip
	frameN, frameSq := m.frameN, m.frameSq
	up, down := m.bounds(k)
	for len(x) > 0 {
		seg := x[:min(len(x), m.frameLen-frameN)]
		for _, s := range seg {
			v := float64(s)
			a := math.Abs(v)
			sum += v
			sumSq += v * v
			frameSq += v * v
			if a > peak {
				peak = a
			}
			if a >= clip {
				nClip++
			}
			p = g*p + g1*a
			q = g*q + g1*p
			// The envelope moves slowly: it rarely leaves the band
			// between the thresholds next below and above it.
			if q >= up || q < down {
				k = m.cross(k, q, n)
				up, down = m.bounds(k)
			}
			n++
		}
		x = x[len(seg):]
		frameN += len(seg)
		if frameN == m.frameLen {
			m.levelAddFrame(frameSq / float64(frameN))
			frameN, frameSq = 0, 0
		}
	}
	m.p, m.q, m.k = p, q, k
	m.n = n
	m.sum, m.sumSq, m.peak = sum, sumSq, peak
	m.nClip = nClip
	m.frameN, m.frameSq = frameN, frameSq
}

// bounds returns the thresholds that end the envelope's stay at k
// thresholds: it crosses up at q ≥ up and down at q < down (±Inf at the
// ends of the range).
func (m *LevelMeter) bounds(k int) (up, down float64) {
	up, down = math.Inf(1), math.Inf(-1)
	if k < levelThreshN {
		up = m.thresh[k]
	}
	if k > 0 {
		down = m.thresh[k-1]
	}
	return up, down
}

// cross moves the envelope's threshold count k to envelope value q at
// sample n, closing and opening the thresholds' active runs, and returns
// the new count. The envelope moves slowly, so k changes by at most a step
// or two per sample.
func (m *LevelMeter) cross(k int, q float64, n int64) int {
	for k < levelThreshN && q >= m.thresh[k] {
		// below → above at sample n: close the below run, whose
		// first m.hang samples were active (hangover).
		if b := m.belowAt[k]; b >= 0 {
			m.count[k] += min(n-b, m.hang)
		}
		m.aboveAt[k] = n
		k++
	}
	for k > 0 && q < m.thresh[k-1] {
		k--
		m.count[k] += n - m.aboveAt[k]
		m.belowAt[k] = n
	}
	return k
}

func (m *LevelMeter) levelAddFrame(meanSq float64) {
	if meanSq == 0 {
		m.zeroFrames++
		return
	}
	db := 10 * math.Log10(meanSq)
	i := int(math.Floor((db - LevelFloorDBFS) / levelHistStep))
	i = min(max(i, 0), levelHistBins-1)
	m.hist[i]++
	m.histN++
}

// levelActive returns threshold j's active sample count so far.
func (m *LevelMeter) levelActive(j int) int64 {
	if j < m.k {
		return m.count[j] + m.n - m.aboveAt[j]
	}
	if b := m.belowAt[j]; b >= 0 {
		return m.count[j] + min(m.n-b, m.hang)
	}
	return m.count[j]
}

// Levels returns the measurements so far. It does not change the meter, so
// it may be called at any time.
func (m *LevelMeter) Levels() Levels {
	lv := Levels{
		SpeechLevelDBFS: LevelFloorDBFS,
		NoiseFloorDBFS:  LevelFloorDBFS,
		PeakDBFS:        LevelFloorDBFS,
	}
	if m.n == 0 {
		return lv
	}
	lv.DCOffset = m.sum / float64(m.n)
	lv.ClippedRatio = float64(m.nClip) / float64(m.n)
	if m.peak > 0 {
		lv.PeakDBFS = max(20*math.Log10(m.peak), LevelFloorDBFS)
	}
	lv.NoiseFloorDBFS = m.levelNoiseFloor()
	if asl, ok := m.levelP56(); ok {
		lv.SpeechLevelDBFS = asl
		lv.ActivityFactor = min(1, m.sumSq/float64(m.n)/math.Pow(10, asl/10))
		lv.SNRDB = asl - lv.NoiseFloorDBFS
	}
	return lv
}

// levelP56 returns the active speech level in dBFS, or false when the
// signal has no active speech (sv-p56 then reports −100 dB and activity 0).
func (m *LevelMeter) levelP56() (float64, bool) {
	if m.sumSq == 0 {
		return 0, false
	}
	a0 := m.levelActive(0)
	if a0 == 0 {
		return 0, false
	}
	aPrev := 10 * math.Log10(m.sumSq/float64(a0))
	cPrev := 20 * math.Log10(m.thresh[0])
	if aPrev-cPrev < levelP56M {
		return 0, false
	}
	for j := 1; j < levelThreshN; j++ {
		aj := m.levelActive(j)
		if aj == 0 {
			// No sample reached this threshold; neither will higher ones.
			break
		}
		a := 10 * math.Log10(m.sumSq/float64(aj))
		c := 20 * math.Log10(m.thresh[j])
		if d := a - c; d <= levelP56M {
			dPrev := aPrev - cPrev
			t := (dPrev - levelP56M) / (dPrev - d)
			return aPrev + t*(a-aPrev), true
		}
		aPrev, cPrev = a, c
	}
	return 0, false
}

// levelNoiseFloor returns the NoiseFloorPercentile percentile of the frame
// energy histogram (the centre of the bin it falls in), in dBFS.
func (m *LevelMeter) levelNoiseFloor() float64 {
	if m.histN == 0 {
		return LevelFloorDBFS
	}
	rank := int64(math.Ceil(NoiseFloorPercentile / 100 * float64(m.histN)))
	rank = max(rank, 1)
	var cum int64
	for i, c := range m.hist {
		cum += int64(c)
		if cum >= rank {
			return LevelFloorDBFS + (float64(i)+0.5)*levelHistStep
		}
	}
	return 0
}
