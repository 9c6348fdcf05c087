package dsp

import (
	"fmt"
	"math"
	"math/cmplx"
	"sort"
)

// DTMFOptions configures the DTMF detector. The defaults meet ITU-T Q.24,
// AT&T/Bellcore column. Where Q.24 gives a must-operate and a must-not-operate
// value (frequency, duration, pause), the detector decides at the midpoint of
// the two, which leaves room for measurement error on both sides.
type DTMFOptions struct {
	// FreqAccept is the relative frequency offset up to which tones must
	// be accepted. Default 0.015 (±1.5 %).
	FreqAccept float64 `yaml:"freq_accept"`
	// FreqReject is the relative frequency offset at or beyond which a tone
	// must be rejected. Default 0.035 (±3.5 %). The decision threshold is
	// (FreqAccept+FreqReject)/2 = 2.5 %, applied to each tone's measured
	// frequency.
	FreqReject float64 `yaml:"freq_reject"`
	// MaxTwistHighWeakerDB is how much weaker than the low-group tone the
	// high-group tone may be ("normal" twist). Q.24 requires at least 8 dB;
	// default 10 dB.
	MaxTwistHighWeakerDB float64 `yaml:"max_twist_high_weaker_db"`
	// MaxTwistHighStrongerDB is how much stronger than the low-group tone
	// the high-group tone may be ("reverse" twist). Q.24 requires at least
	// 4 dB; default 6 dB.
	MaxTwistHighStrongerDB float64 `yaml:"max_twist_high_stronger_db"`
	// MinLevelDBm0 is the weakest level, per tone, that is detected. Q.24
	// requires 0 … −25 dBm0 to be detected and −55 dBm0 or below to be
	// rejected; default −45 dBm0 (full-scale sine = +3.14 dBm0).
	MinLevelDBm0 float64 `yaml:"min_level_dbm0"`
	// MinEnergyShare is the share of the signal's energy (over a 30 ms
	// analysis window) the two tones must carry. It rejects speech and
	// music, whose energy spreads over many frequencies. Default 0.75
	// (equal tones in white noise reach it at about 2 dB S/N re each tone).
	MinEnergyShare float64 `yaml:"min_energy_share"`
	// MinWeakEnergyShare, WeakMaxFreqDev and WeakMaxFreqSpread admit
	// tones over a loud background (an acoustic capture, a talker over the
	// keypad). A window whose tones carry at least MinWeakEnergyShare of
	// its energy (but less than MinEnergyShare) still counts when both
	// tones are within WeakMaxFreqDev of nominal; a tone that relies on
	// such windows needs four consecutive ones, over which each tone's
	// measured frequency varies by at most WeakMaxFreqSpread (a keypad's
	// oscillator is steady; speech harmonics drift). Defaults 0.45, 0.008
	// (0.8 %) and 0.003 (0.3 %). Set MinWeakEnergyShare equal to
	// MinEnergyShare to disable.
	MinWeakEnergyShare float64 `yaml:"min_weak_energy_share"`
	WeakMaxFreqDev     float64 `yaml:"weak_max_freq_dev"`
	WeakMaxFreqSpread  float64 `yaml:"weak_max_freq_spread"`
	// DialToneFilter puts notch filters at 350 and 440 Hz (North American
	// dial tone) before the detector, as SpanDSP optionally does, so that
	// digits dialled over dial tone are found (the MT8870 receiver
	// tolerates dial tone 22 dB above the digits). Off by default: a
	// recorded call leg rarely carries dial tone, and the notches cost
	// some CPU.
	DialToneFilter bool `yaml:"dial_tone_filter"`
	// MinGroupPurityDB: within each group (low, high) the tone found must
	// be this much stronger than each of the group's other three
	// frequencies. Default 8 dB (as SpanDSP and Asterisk).
	MinGroupPurityDB float64 `yaml:"min_group_purity_db"`
	// MinToneS is the shortest tone that must be detected, in seconds.
	// Default 0.040.
	MinToneS float64 `yaml:"min_tone_s"`
	// RejectToneS is the longest tone that must be rejected. Default 0.023.
	// Tones are kept when their estimated duration is at least the midpoint
	// of RejectToneS and MinToneS (31.5 ms by default).
	RejectToneS float64 `yaml:"reject_tone_s"`
	// MinPauseS is the shortest pause that must separate two digits (also
	// two equal digits). Default 0.040.
	MinPauseS float64 `yaml:"min_pause_s"`
	// MaxDropoutS is the longest interruption that must not split a digit.
	// Default 0.010. Interruptions shorter than the midpoint of MaxDropoutS
	// and MinPauseS (25 ms by default) are bridged.
	MaxDropoutS float64 `yaml:"max_dropout_s"`
}

// DefaultDTMFOptions returns the documented defaults.
func DefaultDTMFOptions() DTMFOptions {
	return DTMFOptions{
		FreqAccept:             0.015,
		FreqReject:             0.035,
		MaxTwistHighWeakerDB:   10,
		MaxTwistHighStrongerDB: 6,
		MinLevelDBm0:           -45,
		MinEnergyShare:         0.75,
		MinWeakEnergyShare:     0.45,
		WeakMaxFreqDev:         0.008,
		WeakMaxFreqSpread:      0.003,
		MinGroupPurityDB:       8,
		MinToneS:               0.040,
		RejectToneS:            0.023,
		MinPauseS:              0.040,
		MaxDropoutS:            0.010,
	}
}

// validate reports the first option out of range.
func (o DTMFOptions) validate() error {
	switch {
	case !(o.FreqAccept > 0 && o.FreqAccept < o.FreqReject && o.FreqAccept+o.FreqReject <= 0.1):
		// Beyond a 5 % decision threshold the low group's filters (10 %
		// apart) would claim each other's tones.
		return fmt.Errorf("freq_accept %g and freq_reject %g: want 0 < accept < reject, accept+reject ≤ 0.1", o.FreqAccept, o.FreqReject)
	case !(o.MaxTwistHighWeakerDB >= 0 && o.MaxTwistHighStrongerDB >= 0):
		return fmt.Errorf("twist limits %g/%g dB: want ≥ 0", o.MaxTwistHighWeakerDB, o.MaxTwistHighStrongerDB)
	case !(o.MinLevelDBm0 <= 3.14 && o.MinLevelDBm0 > -120):
		return fmt.Errorf("min_level_dbm0 %g: want −120 < level ≤ 3.14", o.MinLevelDBm0)
	case !(o.MinEnergyShare >= 0 && o.MinEnergyShare <= 1):
		return fmt.Errorf("min_energy_share %g: want 0…1", o.MinEnergyShare)
	case !(o.MinWeakEnergyShare >= 0 && o.MinWeakEnergyShare <= o.MinEnergyShare):
		return fmt.Errorf("min_weak_energy_share %g: want 0…min_energy_share (%g)", o.MinWeakEnergyShare, o.MinEnergyShare)
	case !(o.WeakMaxFreqDev >= 0 && o.WeakMaxFreqDev <= o.FreqReject):
		return fmt.Errorf("weak_max_freq_dev %g: want 0…freq_reject (%g)", o.WeakMaxFreqDev, o.FreqReject)
	case !(o.WeakMaxFreqSpread >= 0 && o.WeakMaxFreqSpread <= 2*o.FreqReject):
		return fmt.Errorf("weak_max_freq_spread %g: want 0…2·freq_reject", o.WeakMaxFreqSpread)
	case !(o.MinGroupPurityDB >= 0):
		return fmt.Errorf("min_group_purity_db %g: want ≥ 0", o.MinGroupPurityDB)
	case !(o.RejectToneS >= 0 && o.RejectToneS < o.MinToneS && o.MinToneS <= 1):
		return fmt.Errorf("reject_tone_s %g and min_tone_s %g: want 0 ≤ reject < min ≤ 1", o.RejectToneS, o.MinToneS)
	case !(o.MaxDropoutS >= 0 && o.MaxDropoutS < o.MinPauseS && o.MinPauseS <= 0.2):
		return fmt.Errorf("max_dropout_s %g and min_pause_s %g: want 0 ≤ dropout < pause ≤ 0.2", o.MaxDropoutS, o.MinPauseS)
	}
	return nil
}

// DTMF frequencies (ITU-T Q.23) and the digit at each row/column.
var (
	dtmfFreqs  = [8]float64{697, 770, 852, 941, 1209, 1336, 1477, 1633}
	dtmfDigits = [4][4]byte{
		{'1', '2', '3', 'A'},
		{'4', '5', '6', 'B'},
		{'7', '8', '9', 'C'},
		{'*', '0', '#', 'D'},
	}
)

const (
	// dtmfBlockS is the analysis block (5 ms): the time resolution of the
	// tone edges and of the dropout/pause logic. The decision window is
	// dtmfWindowBlocks blocks (30 ms), slid by one block.
	dtmfBlockS       = 0.005
	dtmfWindowBlocks = 6
	// dtmfRing holds the recent blocks (power of two, 320 ms) for locating
	// a tone's onset after it has been recognised.
	dtmfRing = 64
	// dtmfMinRun is how many consecutive windows must recognise the same
	// digit strongly before a tone counts (3 windows span 40 ms);
	// dtmfMinRunWeak how many when some recognitions were weak.
	dtmfMinRun     = 3
	dtmfMinRunWeak = 4
	// dtmfOnFrac: a block belongs to the tone while each tone's magnitude in
	// it is at least this fraction of the tone's steady magnitude (−6 dB,
	// i.e. the tone fills at least half the block).
	dtmfOnFrac = 0.5
	// dtmfNoiseFrac: occupancy fractions below this are taken as noise
	// when refining edges.
	dtmfNoiseFrac = 0.2
	// dtmfDCAlpha is the DC tracker's step per sample at 8 kHz, applied
	// once per block (time constant about 1/(α·8000) = 62.5 ms).
	dtmfDCAlpha = 0.002
	// dtmfRefHits is how many recent recognitions set a tone's steady
	// magnitude (60 ms: more than any bridged dropout disturbs).
	dtmfRefHits = 12
	// dtmfDBm0Offset: a full-scale sine is +3.14 dBm0 (G.711 convention).
	dtmfDBm0Offset = 3.14
)

// DTMFDetector finds DTMF digits in one channel's samples. Feed it with
// Process, call Flush at the end of the stream, then read Tones.
//
// How it decides: eight Goertzel filters (the Q.23 frequencies) run over
// 5 ms blocks whose outputs share one phase reference. Every 5 ms the last
// 30 ms window is examined. Each filter measures the true frequency of the
// component near it from the phase advance between blocks; a group's tone is
// the filter whose component lies within the frequency tolerance (the
// midpoint of FreqAccept and FreqReject) of its own frequency. The tone,
// measured coherently at that frequency (so an offset tone is not
// under-read), must beat the group's other three filters by
// MinGroupPurityDB and reach MinLevelDBm0; the twist must be within limits;
// and the two tones must carry MinEnergyShare of the window's energy (a
// strong recognition) or MinWeakEnergyShare with both tones close to nominal
// (a weak one). Three consecutive strong recognitions, or four consecutive
// ones of either kind with steady frequencies, make a tone. The tone's
// extent then follows the 5 ms envelope at its two frequencies: dropouts
// shorter than the bridging limit are bridged, tones shorter than the
// duration limit dropped, and the start and end placed at the true edges,
// refined within a block from the partial-block magnitudes (not at the
// moment the digit was recognised). The level is measured over the windows
// that lie fully inside the tone.
//
// Samples that are NaN or infinite make their 5 ms block count as silence.
type DTMFDetector struct {
	opts    DTMFOptions
	fs      float64
	blockN  int     // samples per block
	blockT  float64 // seconds per block
	bank    goertzelBank
	pos     int     // samples in the current block
	sum     float64 // Σx of the current block
	sum2    float64 // Σx² of the current block
	dc      float64 // running DC estimate
	dcScale float64 // 8000/fs: the DC tracker's time constant in seconds is rate-independent
	samples int64   // samples consumed

	// Dial-tone notches (DialToneFilter), their scratch output and their
	// gain at the eight DTMF frequencies (divided out of the levels).
	notch     [2]dtmfNotch
	notchBuf  []float32
	notchGain [goertzelMaxFreqs]float64

	blk   int64 // blocks completed
	ringC [dtmfRing][goertzelMaxFreqs]complex128
	ringE [dtmfRing]float64
	// The Goertzel values of a block are computed when a decision first
	// looks at them (most windows fail the energy test, which needs none):
	// ringX holds the ring's blocks' samples (blockN each), ringP their
	// phase references, ringOK whether ringC holds their values.
	ringX  []float32
	ringP  [dtmfRing][goertzelMaxFreqs]complex128
	ringOK [dtmfRing]bool
	// ringPw holds |value|² of the ring's blocks' Goertzel values, computed
	// when a window first needs them (ringPwOK).
	ringPw   [dtmfRing][goertzelMaxFreqs]float64
	ringPwOK [dtmfRing]bool
	// eager: a lane group runs the Goertzel filters over every block as
	// it streams (four channels cost what one does) and leaves their
	// state in bank; ringX is then unused.
	eager bool

	// derived thresholds
	freqTol float64
	// rejTh[f] and rejTan[f]: measure's exact early rejection (see there).
	rejTh, rejTan [goertzelMaxFreqs]float64
	twistHiWeak   float64 // linear amplitude ratios low/high
	twistHiStrng  float64
	minAmp        float64 // peak amplitude, full scale
	purity        float64 // power ratio
	minDur        float64 // seconds
	gapBlocks     int

	// tone in progress
	active     bool
	digit      byte
	row, col   int
	refR, refC float64 // steady block magnitude of each tone
	// amps holds the tone amplitudes (FS) of the last recognising windows
	// (a ring); the level is the mean over those near the strongest.
	amps          [dtmfRing][2]float64
	mags          [dtmfRing][2]float64 // the windows' block magnitudes, as amps
	nAmps         int
	run           int  // consecutive recognising windows (strong or weak)
	runS, maxRunS int  // consecutive strong ones
	weakOK        bool // dtmfMinRunWeak consecutive windows with steady frequencies
	// offs holds the frequency offsets of the run's last windows.
	offs       [dtmfMinRunWeak][2]float64
	onset      int64 // first block of the tone
	onsetFrac  float64
	lastOn     int64
	offCount   int
	otherDigit byte
	otherRun   int
	scanFloor  int64 // blocks ≤ scanFloor belong to the previous tone
	tones      []Tone
	flushed    bool
}

// NewDTMFDetector returns a detector for a channel sampled at sampleRate Hz
// (8000 … 192000).
func NewDTMFDetector(sampleRate int, opts DTMFOptions) (*DTMFDetector, error) {
	if sampleRate < 8000 || sampleRate > 192000 {
		return nil, fmt.Errorf("dsp: DTMF detector: sample rate %d Hz not supported (want 8000…192000)", sampleRate)
	}
	if err := opts.validate(); err != nil {
		return nil, fmt.Errorf("dsp: DTMF options: %w", err)
	}
	d := &DTMFDetector{opts: opts, fs: float64(sampleRate)}
	d.blockN = int(math.Round(d.fs * dtmfBlockS))
	d.blockT = float64(d.blockN) / d.fs
	d.dcScale = 8000 / d.fs
	d.bank.init(dtmfFreqs[:], d.fs, d.blockN)
	d.ringX = make([]float32, dtmfRing*d.blockN)
	d.freqTol = (opts.FreqAccept + opts.FreqReject) / 2
	for f, f0 := range dtmfFreqs {
		// The largest accepted phase advance per block, plus what the
		// fine estimate can move away from the coarse one (π/half), plus
		// a margin far above rounding.
		thMax := d.freqTol * f0 * 2 * math.Pi * float64(d.blockN) / d.fs
		d.rejTh[f] = thMax + math.Pi/(dtmfWindowBlocks/2) + 1e-6
		if d.rejTh[f] > math.Pi/2 && d.rejTh[f] < math.Pi {
			d.rejTan[f] = math.Tan(math.Pi-d.rejTh[f]) * (1 - 1e-9)
		}
	}
	d.twistHiWeak = math.Pow(10, opts.MaxTwistHighWeakerDB/20)
	d.twistHiStrng = math.Pow(10, opts.MaxTwistHighStrongerDB/20)
	d.minAmp = math.Pow(10, (opts.MinLevelDBm0-dtmfDBm0Offset)/20)
	d.purity = math.Pow(10, opts.MinGroupPurityDB/10)
	d.minDur = (opts.MinToneS + opts.RejectToneS) / 2
	bridge := (opts.MinPauseS + opts.MaxDropoutS) / 2
	d.gapBlocks = max(1, int(math.Ceil(bridge/d.blockT-1e-9)))
	d.scanFloor = -1
	d.tones = make([]Tone, 0, 16)
	for i := range d.notchGain {
		d.notchGain[i] = 1
	}
	if opts.DialToneFilter {
		d.notchBuf = make([]float32, 256)
		for i, f := range []float64{350, 440} {
			d.notch[i].init(f, d.fs)
		}
		for i, f := range dtmfFreqs {
			d.notchGain[i] = d.notch[0].gain(f, d.fs) * d.notch[1].gain(f, d.fs)
		}
	}
	return d, nil
}

// Process consumes the next samples of the channel (full scale ±1). It can
// be called with any number of samples and does not allocate, except to
// record a finished tone.
func (d *DTMFDetector) Process(x []float32) {
	if d.flushed {
		return
	}
	for len(x) > 0 {
		n := min(len(x), d.blockN-d.pos)
		chunk := x[:n]
		if d.notchBuf != nil {
			n = min(n, len(d.notchBuf))
			chunk = d.notchBuf[:n]
			for i, v := range x[:n] {
				chunk[i] = float32(d.notch[1].run(d.notch[0].run(float64(v))))
			}
			if y := d.notch[1].y1 + d.notch[1].y2; !(math.Abs(y) <= math.MaxFloat64) {
				// Non-finite input: restart the filters (the block it
				// lands in counts as silence).
				d.notch[0].reset()
				d.notch[1].reset()
			}
		}
		slot := int(d.blk&(dtmfRing-1)) * d.blockN
		copy(d.ringX[slot+d.pos:slot+d.pos+n], chunk)
		// Locals: accumulating into the fields would store and reload them
		// every sample (the compiler cannot prove chunk does not alias d).
		sum, sum2 := d.sum, d.sum2
		for _, v := range chunk {
			f := float64(v)
			sum += f
			sum2 += f * f
		}
		d.sum, d.sum2 = sum, sum2
		d.pos += n
		d.samples += int64(n)
		x = x[n:]
		if d.pos == d.blockN {
			d.endBlock()
		}
	}
}

// Flush ends the stream: a tone still in progress is finished (its end is
// the end of the audio at the latest). Process after Flush is ignored.
func (d *DTMFDetector) Flush() {
	if d.flushed {
		return
	}
	if d.pos > 0 {
		// Complete the last block with silence; the edge refinement then
		// sees the tone filling only the real part.
		if d.eager {
			var zeros [64]float32
			for rest := d.blockN - d.pos; rest > 0; rest -= len(zeros) {
				d.bank.feed(zeros[:min(rest, len(zeros))])
			}
		} else {
			slot := int(d.blk&(dtmfRing-1)) * d.blockN
			clear(d.ringX[slot+d.pos : slot+d.blockN])
		}
		d.pos = d.blockN
		d.endBlock()
	}
	if d.active {
		d.finish(d.blk)
	}
	d.flushed = true
}

// Tones returns the digits found so far, in order (a copy). Channel and Seq
// are left 0 for the caller to set.
func (d *DTMFDetector) Tones() []Tone {
	return append([]Tone(nil), d.tones...)
}

// endBlock stores the completed block and runs the decision logic.
func (d *DTMFDetector) endBlock() {
	k := d.blk
	i := k & (dtmfRing - 1)
	d.ringPwOK[i] = false
	if d.eager {
		d.bank.finishBlock(&d.ringC[i])
		d.ringOK[i] = true
	} else {
		d.bank.nextPhase(&d.ringP[i])
		d.ringOK[i] = false
	}
	// The block's energy about a slowly tracked DC level: a DC offset is
	// not signal energy the tones compete with.
	n := float64(d.blockN)
	mean := d.sum / n
	if k == 0 {
		d.dc = mean
	}
	e := max(0, d.sum2-2*d.dc*d.sum+n*d.dc*d.dc)
	d.dc += dtmfDCAlpha * d.dcScale * n * (mean - d.dc)
	if !(e <= math.MaxFloat64) || !(math.Abs(d.dc) <= 2) { // NaN or ±Inf in the block
		d.ringC[i] = [goertzelMaxFreqs]complex128{}
		d.ringOK[i] = true
		e = 0
		d.dc = 0
	}
	d.ringE[i] = e
	d.sum, d.sum2 = 0, 0
	d.pos = 0
	d.blk++
	var h dtmfHit
	if k >= dtmfWindowBlocks-1 {
		h = d.window(k)
	}
	d.step(k, h)
}

// dtmfHit is one window's decision.
type dtmfHit struct {
	ok, strong bool
	digit      byte
	row, col   int     // frequency indices 0…3 and 4…7
	magR, magC float64 // mean block magnitude of each tone at its measured frequency
	ampR, ampC float64 // peak amplitude (full scale) of each tone
	offR, offC float64 // measured relative frequency offsets
}

// window examines the dtmfWindowBlocks blocks ending with block k.
func (d *DTMFDetector) window(k int64) dtmfHit {
	const W = dtmfWindowBlocks
	e := 0.0
	for m := 0; m < W; m++ {
		e += d.ringE[(k-W+1+int64(m))&(dtmfRing-1)]
	}
	nWin := float64(W * d.blockN)
	// Two tones at the minimum level carry nWin·minAmp² of energy.
	if e < nWin*d.minAmp*d.minAmp {
		return dtmfHit{}
	}
	// Cheap gate first: the incoherent block power 2/L·Σ|c|² bounds (within
	// the 5 ms blocks' leakage) the energy a component near the filter can
	// carry; a filter below what the weaker tone of an acceptable pair
	// needs is not measured, and unless each group has a filter above it
	// there is no pair (most windows end here).
	var pw [W]*[goertzelMaxFreqs]float64
	for m := range W {
		pw[m] = d.blockPow(k - W + 1 + int64(m))
	}
	gate := math.Max(nWin*d.minAmp*d.minAmp/2, d.opts.MinWeakEnergyShare*e/(1+d.twistHiWeak*d.twistHiWeak)) * 0.8
	var pass [goertzelMaxFreqs]bool
	var groups [2]bool
	for f := range goertzelMaxFreqs {
		inc := 0.0
		for m := range W {
			inc += pw[m][f]
		}
		pass[f] = 2/float64(d.blockN)*inc >= gate
		groups[f/4] = groups[f/4] || pass[f]
	}
	if !groups[0] || !groups[1] {
		return dtmfHit{}
	}
	// Each filter measures the dominant component within ±100 Hz of it; a
	// group's tone is the filter whose component lies within the frequency
	// tolerance of the filter's own frequency (at most one can).
	var blk [W]*[goertzelMaxFreqs]complex128
	for m := range W {
		blk[m] = d.blockDFT(k - W + 1 + int64(m))
	}
	var p [goertzelMaxFreqs]float64 // coherent power over the window
	for f := range goertzelMaxFreqs {
		var s complex128
		for m := range W {
			s += blk[m][f]
		}
		p[f] = real(s)*real(s) + imag(s)*imag(s)
	}
	row, col := -1, -1
	var magR, ampR, magC, ampC, offR, offC float64
	for f := range goertzelMaxFreqs {
		if !pass[f] {
			continue
		}
		var c [W]complex128
		for m := range W {
			c[m] = blk[m][f]
		}
		mag, amp, off, ok := d.measure(&c, f)
		if !ok {
			continue
		}
		if f < 4 && (row < 0 || amp > ampR) {
			row, magR, ampR, offR = f, mag, amp, off
		} else if f >= 4 && (col < 0 || amp > ampC) {
			col, magC, ampC, offC = f, mag, amp, off
		}
	}
	if row < 0 || col < 0 {
		return dtmfHit{}
	}
	// Group purity: the tone's power at its measured frequency against
	// the other filters of its group.
	pr := magR * magR * W * W
	pc := magC * magC * W * W
	for f := range 4 {
		if f != row && pr < d.purity*p[f] {
			return dtmfHit{}
		}
		if f+4 != col && pc < d.purity*p[f+4] {
			return dtmfHit{}
		}
	}
	if ampR < d.minAmp || ampC < d.minAmp {
		return dtmfHit{}
	}
	if ampC*d.twistHiWeak < ampR || ampC > ampR*d.twistHiStrng {
		return dtmfHit{}
	}
	// Energy share of the two tones over the window (nWin·A²/2 each).
	// A window is a strong recognition when the tones carry
	// MinEnergyShare; a weak one when they carry MinWeakEnergyShare and
	// both sit within WeakMaxFreqDev of nominal.
	tones := nWin * (ampR*ampR + ampC*ampC) / 2
	strong := tones >= d.opts.MinEnergyShare*e
	if !strong && (tones < d.opts.MinWeakEnergyShare*e || math.Abs(offR) > d.opts.WeakMaxFreqDev || math.Abs(offC) > d.opts.WeakMaxFreqDev) {
		return dtmfHit{}
	}
	return dtmfHit{ok: true, strong: strong, digit: dtmfDigits[row][col-4], row: row, col: col,
		magR: magR, magC: magC, ampR: ampR, ampC: ampC, offR: offR, offC: offC}
}

// measure estimates the frequency of the dominant component near filter f
// from the phase advance between blocks, checks it against the tolerance,
// and returns the component's mean block magnitude (as the filter sees it),
// its peak amplitude corrected for the offset, and its relative offset from
// the filter frequency.
func (d *DTMFDetector) measure(c *[dtmfWindowBlocks]complex128, f int) (mag, amp, off float64, ok bool) {
	const W = dtmfWindowBlocks
	const half = W / 2
	// Coarse: lag of one block (unambiguous within ±100 Hz).
	var z1 complex128
	for m := 1; m < W; m++ {
		z1 += c[m] * cmplx.Conj(c[m-1])
	}
	if z1 == 0 {
		return 0, 0, 0, false
	}
	// Early rejection, exact: the fine estimate below is the half-window
	// phase unwrapped to within π of half·th, so |th_fine| ≥ |th| − π/half,
	// and a coarse |th| beyond rejTh[f] (that, plus the largest accepted
	// advance and a margin) cannot pass the tolerance test. Most filters
	// on speech or noise stop here; the cheaper sector test spares them
	// the arctangent too (|Phase(z1)| > rejTh[f] when z1 lies in the
	// narrow sector around the negative real axis).
	if re := real(z1); re < 0 && math.Abs(imag(z1)) < -re*d.rejTan[f] {
		return 0, 0, 0, false
	}
	th := cmplx.Phase(z1)
	if math.Abs(th) > d.rejTh[f] {
		return 0, 0, 0, false
	}
	// Fine: the two half windows, half blocks apart, unwrapped with the
	// coarse estimate. Longer sums leak less of the other group's tone.
	var a, b complex128
	for m := 0; m < half; m++ {
		a += c[m]
		b += c[m+half]
	}
	if z2 := b * cmplx.Conj(a); z2 != 0 {
		ph := cmplx.Phase(z2)
		ph += 2 * math.Pi * math.Round((half*th-ph)/(2*math.Pi))
		th = ph / half
	}
	df := th * d.fs / (2 * math.Pi * float64(d.blockN))
	if math.Abs(df) > d.freqTol*dtmfFreqs[f] {
		return 0, 0, 0, false
	}
	// Coherent sum at the measured frequency.
	u := complex(math.Cos(th), -math.Sin(th))
	r := complex(1, 0)
	var s complex128
	for m := 0; m < W; m++ {
		s += c[m] * r
		r *= u
	}
	mag = cmplx.Abs(s) / W
	off = df / dtmfFreqs[f]
	// A block of L samples of a tone of amplitude A, offset by δ rad/sample
	// from the filter, has magnitude A/2·|sin(δL/2)/sin(δ/2)|.
	dl := th / float64(d.blockN)
	att := float64(d.blockN)
	if math.Abs(dl) > 1e-12 {
		att = math.Abs(math.Sin(th/2) / math.Sin(dl/2))
	}
	amp = 2 * mag / att / d.notchGain[f]
	return mag, amp, off, true
}

// blockDFT returns the Goertzel values of block k, one of the last
// dtmfRing blocks, computing them on first use.
func (d *DTMFDetector) blockDFT(k int64) *[goertzelMaxFreqs]complex128 {
	i := k & (dtmfRing - 1)
	if !d.ringOK[i] {
		x := d.ringX[int(i)*d.blockN : int(i+1)*d.blockN]
		d.bank.block(x, &d.ringP[i], &d.ringC[i])
		d.ringOK[i] = true
	}
	return &d.ringC[i]
}

// blockPow returns |value|² of block k's Goertzel values (one of the last
// dtmfRing blocks), computing them on first use.
func (d *DTMFDetector) blockPow(k int64) *[goertzelMaxFreqs]float64 {
	i := k & (dtmfRing - 1)
	if !d.ringPwOK[i] {
		b := d.blockDFT(k)
		for f, v := range b {
			d.ringPw[i][f] = real(v)*real(v) + imag(v)*imag(v)
		}
		d.ringPwOK[i] = true
	}
	return &d.ringPw[i]
}

// occ returns block k's occupancy by the current tone: the smaller of the
// two tones' magnitudes relative to their steady magnitudes (≈ the fraction
// of the block the tone fills).
func (d *DTMFDetector) occ(k int64) float64 {
	if k < 0 || k >= d.blk || d.blk-k > dtmfRing {
		return 0
	}
	b := d.blockDFT(k)
	qr := cmplx.Abs(b[d.row]) / d.refR
	qc := cmplx.Abs(b[d.col]) / d.refC
	return math.Min(qr, qc)
}

// step advances the tone state machine with block k and its window's
// decision.
func (d *DTMFDetector) step(k int64, h dtmfHit) {
	if !d.active {
		if h.ok && k-dtmfWindowBlocks+1 > d.scanFloor {
			d.begin(k, h)
		}
		return
	}
	if h.ok && h.digit == d.digit {
		d.run++
		d.pushOffsets(h)
		if h.strong {
			d.runS++
			d.maxRunS = max(d.maxRunS, d.runS)
		} else {
			d.runS = 0
		}
		d.otherRun = 0
		d.amps[d.nAmps%dtmfRing] = [2]float64{h.ampR, h.ampC}
		d.mags[d.nAmps%dtmfRing] = [2]float64{h.magR, h.magC}
		d.nAmps++
		// The steady magnitudes are the largest of the recent
		// recognitions: they follow a slowly drifting level, and the
		// windows that straddle a dropout (at most dtmfRefHits of them)
		// cannot pull them down.
		var r, c float64
		for i := max(0, d.nAmps-dtmfRefHits); i < d.nAmps; i++ {
			m := d.mags[i%dtmfRing]
			r, c = max(r, m[0]), max(c, m[1])
		}
		grew := r > d.refR || c > d.refC
		d.refR, d.refC = r, c
		if grew && k-d.onset < dtmfRing-2 {
			// The steady magnitude grew: re-place the onset near where it
			// was (never across a dropout later in the tone).
			j := d.onset
			for j < k && d.occ(j) < dtmfOnFrac {
				j++
			}
			d.findOnset(j)
		}
	} else {
		d.run, d.runS = 0, 0
		if h.ok {
			if h.digit == d.otherDigit {
				d.otherRun++
			} else {
				d.otherDigit, d.otherRun = h.digit, 1
			}
			// Another digit took over without a pause: end this tone
			// where its envelope last held and start the new one.
			if d.otherRun >= 2 {
				d.finish(k)
				d.begin(k, h)
				return
			}
		} else {
			d.otherRun = 0
		}
	}
	if d.occ(k) >= dtmfOnFrac {
		d.lastOn = k
		d.offCount = 0
	} else {
		d.offCount++
		if d.offCount >= d.gapBlocks {
			d.finish(k)
		}
	}
}

// pushOffsets records the frequency offsets of the run's latest window and
// checks the weak-recognition rule: dtmfMinRunWeak consecutive windows whose
// measured frequencies stay within WeakMaxFreqSpread.
func (d *DTMFDetector) pushOffsets(h dtmfHit) {
	d.offs[(d.run-1)%dtmfMinRunWeak] = [2]float64{h.offR, h.offC}
	if d.run < dtmfMinRunWeak || d.weakOK {
		return
	}
	for i := range 2 {
		lo, hi := d.offs[0][i], d.offs[0][i]
		for _, o := range d.offs[1:] {
			lo, hi = min(lo, o[i]), max(hi, o[i])
		}
		if hi-lo > d.opts.WeakMaxFreqSpread {
			return
		}
	}
	d.weakOK = true
}

// begin starts a candidate tone from a recognising window ending at block k.
func (d *DTMFDetector) begin(k int64, h dtmfHit) {
	d.active = true
	d.digit, d.row, d.col = h.digit, h.row, h.col
	d.refR, d.refC = h.magR, h.magC
	d.amps[0] = [2]float64{h.ampR, h.ampC}
	d.mags[0] = [2]float64{h.magR, h.magC}
	d.nAmps = 1
	d.run = 1
	d.weakOK = false
	d.pushOffsets(h)
	d.runS, d.maxRunS = 0, 0
	if h.strong {
		d.runS, d.maxRunS = 1, 1
	}
	d.otherDigit, d.otherRun = 0, 0
	d.offCount = 0
	d.findOnset(k)
	d.lastOn = k
	for j := k; j > d.onset && d.occ(j) < dtmfOnFrac; j-- {
		d.lastOn = j - 1
	}
}

// findOnset scans back from block k to the first block of the tone and
// refines the start within it.
func (d *DTMFDetector) findOnset(k int64) {
	lo := max(d.scanFloor+1, k-dtmfRing+2, 0)
	j := k
	// Skip back over blocks before k that are not (yet) on, e.g. when the
	// window recognised the tone in its earlier part.
	for j > lo && d.occ(j) < dtmfOnFrac {
		j--
	}
	for j > lo && d.occ(j-1) >= dtmfOnFrac {
		j--
	}
	d.onset = j
	qIn := math.Min(1, d.occ(j))
	qPrev := 0.0
	if j > lo {
		qPrev = d.occ(j - 1)
	}
	if qPrev < dtmfNoiseFrac {
		qPrev = 0
	}
	if qIn >= 0.999 {
		d.onsetFrac = -qPrev // started in the previous block
	} else {
		d.onsetFrac = 1 - qIn // started inside block j
	}
}

// finish ends the tone in progress; k is the current block. The tone is kept
// when it was recognised long enough and its duration reaches the limit.
func (d *DTMFDetector) finish(k int64) {
	d.active = false
	last := d.lastOn
	qLast := math.Min(1, d.occ(last))
	qNext := 0.0
	if last+1 <= k {
		qNext = d.occ(last + 1)
	}
	if qNext < dtmfNoiseFrac || qNext >= dtmfOnFrac {
		qNext = 0
	}
	start := (float64(d.onset) + d.onsetFrac) * d.blockT
	var end float64
	if qLast >= 0.999 {
		end = (float64(last+1) + qNext) * d.blockT
	} else {
		end = (float64(last) + qLast) * d.blockT
	}
	if tEnd := float64(d.samples) / d.fs; end > tEnd {
		end = tEnd
	}
	start = max(start, 0)
	d.scanFloor = last
	if (d.maxRunS < dtmfMinRun && !d.weakOK) || end-start < d.minDur {
		return
	}
	// Windows that straddle an edge or a dropout read low: average the
	// ones within 1.5 dB of the strongest.
	n := min(d.nAmps, dtmfRing)
	top := 0.0
	for _, a := range d.amps[:n] {
		top = max(top, a[0]+a[1])
	}
	var sr, sc float64
	cnt := 0
	for _, a := range d.amps[:n] {
		if a[0]+a[1] >= top*0.84 {
			sr, sc = sr+a[0], sc+a[1]
			cnt++
		}
	}
	lvl := (20*math.Log10(sr/float64(cnt)) + 20*math.Log10(sc/float64(cnt))) / 2
	d.tones = append(d.tones, Tone{
		Digit:     d.digit,
		Start:     start,
		End:       end,
		LevelDBm0: lvl + dtmfDBm0Offset,
	})
}

// dtmfNotch is a second-order IIR notch (zeros on the unit circle, poles at
// radius dtmfNotchR: about 50 Hz wide at 8 kHz).
type dtmfNotch struct {
	c, r2c, r2     float64 // 2cos(w0), 2r·cos(w0), r²
	x1, x2, y1, y2 float64
}

const dtmfNotchR = 0.98

func (n *dtmfNotch) init(f, fs float64) {
	// Keep the bandwidth in Hz at any rate.
	r := math.Pow(dtmfNotchR, 8000/fs)
	w := 2 * math.Pi * f / fs
	*n = dtmfNotch{c: 2 * math.Cos(w), r2c: 2 * r * math.Cos(w), r2: r * r}
}

func (n *dtmfNotch) run(x float64) float64 {
	y := x - n.c*n.x1 + n.x2 + n.r2c*n.y1 - n.r2*n.y2
	n.x2, n.x1 = n.x1, x
	n.y2, n.y1 = n.y1, y
	return y
}

func (n *dtmfNotch) reset() { n.x1, n.x2, n.y1, n.y2 = 0, 0, 0, 0 }

// gain is the notch's magnitude response at f.
func (n *dtmfNotch) gain(f, fs float64) float64 {
	z := cmplx.Exp(complex(0, -2*math.Pi*f/fs)) // z^-1
	num := 1 - complex(n.c, 0)*z + z*z
	den := 1 - complex(n.r2c, 0)*z + complex(n.r2, 0)*z*z
	return cmplx.Abs(num / den)
}

// ResolveDTMFLeaks merges the tones of all channels of a recording. A digit
// heard on several channels at overlapping times (acoustic or electrical
// leakage between participants' streams) is kept once, on the channel where
// it is strongest. The result is sorted by Start (then Channel) and Seq is
// renumbered 0…n−1. The input is not modified.
func ResolveDTMFLeaks(tones []Tone) []Tone {
	out := append([]Tone(nil), tones...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Start != out[j].Start {
			return out[i].Start < out[j].Start
		}
		return out[i].Channel < out[j].Channel
	})
	drop := make([]bool, len(out))
	for i := range out {
		for j := i + 1; j < len(out) && out[j].Start < out[i].End; j++ {
			a, b := &out[i], &out[j]
			if a.Digit != b.Digit || a.Channel == b.Channel || b.End <= a.Start {
				continue
			}
			if a.LevelDBm0 >= b.LevelDBm0 {
				drop[j] = true
			} else {
				drop[i] = true
			}
		}
	}
	n := 0
	for i := range out {
		if !drop[i] {
			out[n] = out[i]
			out[n].Seq = n
			n++
		}
	}
	return out[:n:n]
}
