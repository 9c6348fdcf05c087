package dsp

// Voice activity per channel with cross-channel leakage rejection.
//
// Every channel of a call hears the others: acoustic crosstalk between
// headsets (a few ms, 25–45 dB down in the AMI meeting), electrical bleed,
// and echo of the far end (tens to hundreds of ms). A per-channel VAD
// counts all of it as speech. The decider here works on 10 ms frames of
// every channel at once:
//
//  1. Noise floor per channel: minimum statistics over NoiseWindowS (eight
//     sub-windows), allowed to fall at once and to rise at most NoiseRiseDB
//     per second.
//  2. Leak model per ordered pair (j into i): on frames where j dominates
//     (the loudest channel, DominantSNRDB above its floor) the level
//     difference dB(i,t) − dB(j,t−d) is collected in a decaying histogram;
//     its LeakPercentile is the coupling. The delay d is the lag (0 …
//     LeakMaxDelayMS) at which dB(i,t) correlates best with dB(j,t−lag)
//     over those frames. Until measured, the coupling is LeakPriorDB.
//  3. Predicted leak into i: Σ_j coupling(i,j) × P_j over frames t−d−1 …
//     t−d−LeakMaxLagMS, with a tail decaying LeakDecayDB per frame.
//  4. A frame is speech when its own power (minus the predicted leak) is
//     OnsetSNRDB above the floor (OffsetSNRDB once speech has started),
//     LeakMarginDB above the predicted leak, and above MinLevelDBFS.
//  5. Voicing: for frames taken for speech, the periodicity of the low band
//     (vadFeatures.periodicityAt) marks them voiced; the timeline drops a
//     bridged stretch with less than MinVoicedS of voiced frames (breath,
//     rustle, rumble on a close-talk microphone).
//
// Decisions lag the input by LookaheadS, so floors and couplings include
// what follows; all state is fixed-size except one bit per frame and
// channel for the output.

import (
	"math"
	"unsafe"
)

// vadBits is a growable bitset: one bit per 10 ms frame of one channel.
// It grows by fixed chunks (vadBitsChunk words, 43 min of frames), so a
// long recording never copies it nor leaves the old copies as garbage.
type vadBits struct {
	w [][]uint64
	n int
}

const vadBitsChunk = 4096 // words per chunk (a power of two)

func (b *vadBits) push(v bool) {
	if b.n%(64*vadBitsChunk) == 0 {
		b.w = append(b.w, make([]uint64, vadBitsChunk))
	}
	if v {
		b.w[b.n/(64*vadBitsChunk)][b.n/64%vadBitsChunk] |= 1 << uint(b.n%64)
	}
	b.n++
}

func (b *vadBits) get(i int) bool {
	return b.w[i/(64*vadBitsChunk)][i/64%vadBitsChunk]>>uint(i%64)&1 != 0
}

// runs returns the maximal runs of set bits as [start, end) frame pairs.
// It counts them first and allocates once: a long recording has hundreds
// of thousands of raw runs per channel, and growing the slice would leave
// garbage as large as the result at the peak of the analysis's memory.
func (b *vadBits) runs() []tlRun {
	n := 0
	b.eachRun(func(s, e int) { n++ })
	out := make([]tlRun, 0, n)
	b.eachRun(func(s, e int) { out = append(out, tlRun{s, e}) })
	return out
}

// eachRun calls fn with each maximal run of set bits, in order.
func (b *vadBits) eachRun(fn func(s, e int)) {
	start := -1
	for i := 0; i < b.n; i++ {
		if b.get(i) {
			if start < 0 {
				start = i
			}
		} else if start >= 0 {
			fn(start, i)
			start = -1
		}
	}
	if start >= 0 {
		fn(start, b.n)
	}
}

const (
	vadHistMinDB = -90.0 // coupling histogram range, dB
	vadHistBins  = 100   // 1 dB bins from vadHistMinDB
	vadPowFloor  = 1e-10 // −100 dBFS: digital silence is not −∞
)

// vadDecider makes the speech decision of every channel, frame by frame,
// from the frames' powers. It is streaming: push one frame (all
// channels) at a time; a frame is decided LookaheadS later, so the noise
// floors and the leakage couplings include what follows it. Memory is
// fixed except for the output bitsets.
type vadDecider struct {
	nch int
	o   VADOptions

	look, lag int       // frames
	maxDelay  int       // longest leak delay searched, frames
	dbring    []float32 // power in dB, same layout as ring
	domring   []int8    // the dominant channel of each frame, or -1
	ring      []float32 // power of the last R frames: [(t%R)*nch + c]
	pring     []float32 // periodicity given with the frame, same layout
	dring     []int64   // the frame's dpos, same layout
	// perFn, when set, computes a channel's periodicity for a frame (by
	// its dpos) on demand: only for frames decided to be speech.
	perFn   func(c int, dpos int64) float32
	fring   []float32 // noise floor at push time, same layout
	R       int
	pushed  int64
	decided int64

	// Noise floor: minimum statistics over nSub sub-windows of subLen frames.
	subLen, nSub, subPos, subIdx int
	subMin                       []float32 // [c*nSub + k]
	rise                         float32   // floor rise limit per frame
	curMin                       []float32
	floor                        []float32

	// Coupling from channel j into channel i: a decaying histogram of the
	// level difference Pi/Pj (dB) over frames where j dominates.
	hist   []float32 // [(i*nch+j)*vadHistBins + bin]
	histN  []float32 // total weight per pair
	hw     float32   // current increment (grows to make old counts decay)
	hgrow  float32
	dom    float32   // DominantSNRDB as a power ratio
	coup   []float32 // linear power coupling per pair
	sinceC int

	// Leak delay per pair: the lag (frames) maximizing the correlation of
	// dB(i, t) with dB(j, t−lag) over frames where j dominated at t−lag.
	// Weighted sums per pair and lag: [((j*(maxDelay+1)+lag)*3+k)*dw + i],
	// k = Σy, Σyy, Σxy: the listening channels i of one j, lag and k side
	// by side, as each frame updates them together (i == j is summed too,
	// to keep the loop straight, and never read; with up to four channels
	// dw is 4 and the sums of the missing ones stay 0). Those of x alone
	// (n, Σx, Σxx) are the same for every i, so they are kept once per j
	// and lag in xstat [(j*(maxDelay+1)+lag)*3 + k].
	dstat []float64
	dw    int
	xstat []float64
	vx    []float64 // updateDelays' scratch
	// learn's per-frame scratch: y, w·y and w·y·y of every channel (dw
	// of them), the terms every lag adds alike.
	ly, lwy, lwyy []float64
	la            learnArgs // learn's lag loop, pointing at the above
	delay         []int     // per pair
	penv          []float32 // decaying leak envelope per pair

	decay    float32
	onset    float32
	offset   float32
	margin   float32
	minLevel float32
	voicedR  float32
	state    []bool

	out    []vadBits // speech decision per channel
	voiced []vadBits // speech frames that are voiced

	// Lazy voicing. The timeline keeps a stretch of speech only when it
	// holds minVoiced voiced frames (tlVoiced), so once a channel's
	// current stretch has that many, the periodicity of its later frames
	// cannot change anything and is not computed: most speech frames of
	// a long utterance are spared. A stretch ends at a frame that is not
	// speech, and anywhere the timeline may cut it: at a pause boundary
	// (cuts, ascending frame numbers) and near a DTMF tone of the channel
	// (nearDTMF, whose frames are always computed and never counted). A
	// stretch goes on over a gap shorter than the timeline's bridge,
	// which joins the speech on both sides (the barriers that block a
	// bridge end the stretch anyway). lazyN is minVoiced when this is on,
	// else math.MaxInt.
	lazyN    int
	voicedN  []int // per channel: voiced frames counted in the current stretch
	gapN     []int // per channel: frames since its last speech frame
	bridgeN  int   // a gap this long ends a stretch (the timeline bridges shorter ones)
	cuts     []int64
	nearDTMF func(c int, t int64) bool
}

func newVADDecider(nch int, o VADOptions) *vadDecider {
	v := &vadDecider{nch: nch, o: o}
	v.look = int(math.Round(o.LookaheadS * 100))
	v.lag = int(math.Ceil(o.LeakMaxLagMS / 10))
	v.maxDelay = int(math.Ceil(o.LeakMaxDelayMS / 10))
	v.R = v.look + v.maxDelay + v.lag + 3
	v.ring = make([]float32, v.R*nch)
	v.pring = make([]float32, v.R*nch)
	v.dbring = make([]float32, v.R*nch)
	v.domring = make([]int8, v.R)
	v.dw = nch
	if nch <= 4 {
		v.dw = 4
	}
	v.dstat = make([]float64, nch*v.dw*(v.maxDelay+1)*3)
	v.xstat = make([]float64, nch*(v.maxDelay+1)*3)
	v.ly = make([]float64, v.dw)
	v.lwy = make([]float64, v.dw)
	v.lwyy = make([]float64, v.dw)
	v.la = learnArgs{dom: &v.domring[0], db: &v.dbring[0], dstat: &v.dstat[0], xstat: &v.xstat[0],
		ly: &v.ly[0], lwy: &v.lwy[0], lwyy: &v.lwyy[0], r: v.R, nl: v.maxDelay + 1, nch: nch, dw: v.dw}
	v.delay = make([]int, nch*nch)
	v.penv = make([]float32, nch*nch)
	v.dring = make([]int64, v.R*nch)
	v.fring = make([]float32, v.R*nch)
	v.nSub = 8
	v.subLen = int(math.Round(o.NoiseWindowS * 100 / float64(v.nSub)))
	if v.subLen < 1 {
		v.subLen = 1
	}
	v.subMin = make([]float32, nch*v.nSub)
	for i := range v.subMin {
		v.subMin[i] = math.MaxFloat32
	}
	v.rise = float32(math.Pow(10, o.NoiseRiseDB/10/100))
	v.curMin = make([]float32, nch)
	v.floor = make([]float32, nch)
	for c := range nch {
		v.curMin[c] = math.MaxFloat32
	}
	v.hist = make([]float32, nch*nch*vadHistBins)
	v.histN = make([]float32, nch*nch)
	v.hw = 1
	v.hgrow = float32(math.Pow(2, 1.0/6000)) // half-life: 60 s of dominant frames
	v.dom = float32(math.Pow(10, o.DominantSNRDB/10))
	v.coup = make([]float32, nch*nch)
	prior := float32(math.Pow(10, o.LeakPriorDB/10))
	for i := range v.coup {
		v.coup[i] = prior
	}
	v.decay = float32(math.Pow(10, -o.LeakDecayDB/10))
	v.onset = float32(math.Pow(10, o.OnsetSNRDB/10))
	v.offset = float32(math.Pow(10, o.OffsetSNRDB/10))
	v.margin = float32(math.Pow(10, o.LeakMarginDB/10))
	v.minLevel = float32(math.Pow(10, o.MinLevelDBFS/10))
	v.voicedR = float32(o.VoicedPeriodicity)
	v.state = make([]bool, nch)
	v.out = make([]vadBits, nch)
	v.voiced = make([]vadBits, nch)
	v.lazyN = math.MaxInt
	v.voicedN = make([]int, nch)
	v.gapN = make([]int, nch)
	return v
}

// lazyVoicing turns lazy voicing on (see vadDecider.lazyN) for a decider
// whose stretches need minVoiced voiced frames, are bridged over gaps
// shorter than bridge frames, and are cut at the frames cuts (ascending)
// and near the DTMF tones nearDTMF reports. It stays off when the
// lookahead is under half a second: a tone must be known by the time the
// frames after it are decided.
func (v *vadDecider) lazyVoicing(minVoiced, bridge int, cuts []int64, nearDTMF func(c int, t int64) bool) {
	if !lazyVoicingOn || v.look < 50 {
		return
	}
	v.lazyN, v.bridgeN, v.cuts, v.nearDTMF = minVoiced, bridge, cuts, nearDTMF
}

// lazyVoicingOn lets tests compare lazy voicing with computing every
// speech frame's periodicity.
var lazyVoicingOn = true

// push adds one frame: fr[c] is channel c's frame.
func (v *vadDecider) push(fr []vadFrame) {
	nch := v.nch
	slot := int(v.pushed%int64(v.R)) * nch
	for c := range nch {
		x := fr[c].p
		if !(x >= vadPowFloor) { // NaN too: a frame of NaN is silence
			x = vadPowFloor
		}
		v.ring[slot+c] = x
		v.dbring[slot+c] = float32(10 * math.Log10(float64(x)))
		v.pring[slot+c] = fr[c].per
		v.dring[slot+c] = fr[c].dpos
		if x < v.curMin[c] {
			v.curMin[c] = x
		}
	}
	v.subPos++
	for c := range nch {
		f := v.curMin[c]
		for k := range v.nSub {
			if m := v.subMin[c*v.nSub+k]; m < f {
				f = m
			}
		}
		// The floor falls at once but rises at most NoiseRiseDB per
		// second, so a long stretch of speech does not become the floor.
		if prev := v.floor[c]; prev > 0 && f > prev*v.rise {
			f = prev * v.rise
		}
		v.floor[c] = f
		v.fring[slot+c] = f
	}
	if v.subPos == v.subLen {
		for c := range nch {
			v.subMin[c*v.nSub+v.subIdx] = v.curMin[c]
			v.curMin[c] = math.MaxFloat32
		}
		v.subIdx = (v.subIdx + 1) % v.nSub
		v.subPos = 0
	}
	if nch > 1 {
		v.learn(slot)
	}
	v.pushed++
	for v.pushed-v.decided > int64(v.look) {
		v.decide()
	}
}

// back returns the ring index l frames before ring index i (0 ≤ l ≤ R):
// (t−l) mod R without a division, which would cost more than the rest of
// the loops that ask for it.
func (v *vadDecider) back(i, l int) int {
	i -= l
	if i < 0 {
		i += v.R
	}
	return i
}

// learnArgs is learn's lag loop: the rings, the sums and the newest
// frame's terms (ly, lwy, lwyy: dw values each). All but tr, n and w are
// set once, by newVADDecider.
type learnArgs struct {
	dom           *int8    // domring
	db            *float32 // dbring
	dstat, xstat  *float64
	ly, lwy, lwyy *float64
	tr, r, n, nl  int // newest frame's ring index, ring length, lags to do, lags in the sums
	nch, dw       int
	w             float64
}

// learnLagsGo adds the newest frame to the sums of every lag l < a.n whose
// frame, l earlier, had a dominant source j: xstat's n, Σx, Σxx and the
// listeners' Σy, Σyy, Σxy of (j, l), x being j's level then.
func learnLagsGo(a *learnArgs) {
	dw := a.dw
	dom := unsafe.Slice(a.dom, a.r)
	db := unsafe.Slice(a.db, a.r*a.nch)
	dstat := unsafe.Slice(a.dstat, a.nch*a.nl*3*dw)
	xstat := unsafe.Slice(a.xstat, a.nch*a.nl*3)
	ly, lwy, lwyy := unsafe.Slice(a.ly, dw), unsafe.Slice(a.lwy, dw), unsafe.Slice(a.lwyy, dw)
	ls := a.tr
	for l := range a.n {
		if j := int(dom[ls]); j >= 0 {
			x := float64(db[ls*a.nch+j])
			// w·x·x is (w·x)·x: the products shared by every i, hoisted.
			wx := a.w * x
			wxx := wx * x
			k := j*a.nl + l
			xs := (*[3]float64)(xstat[k*3:])
			xs[0] += a.w
			xs[1] += wx
			xs[2] += wxx
			st := dstat[k*3*dw:][:3*dw]
			sy, syy, sxy := st[:dw], st[dw:2*dw], st[2*dw:]
			for i, y := range ly {
				sy[i] += lwy[i]
				syy[i] += lwyy[i]
				sxy[i] += wx * y
			}
		}
		if ls--; ls < 0 {
			ls += a.r
		}
	}
}

// learn updates the leak statistics with the newest frame (slot).
func (v *vadDecider) learn(slot int) {
	nch := v.nch
	p := v.ring[slot : slot+nch]
	t := v.pushed
	dom := 0
	for c := 1; c < nch; c++ {
		if p[c] > p[dom] {
			dom = c
		}
	}
	if p[dom] < v.floor[dom]*v.dom {
		dom = -1
	}
	tr := int(t % int64(v.R)) // t's ring index; t−l's is back(tr, l)
	v.domring[tr] = int8(dom)
	w := float64(v.hw)
	nl := v.maxDelay + 1
	// Delay statistics: this frame of every channel i against the frames
	// lag earlier where another channel j dominated. w·y and w·y·y =
	// (w·y)·y are the same at every lag: computed once.
	ly, lwy, lwyy := v.ly[:nch], v.lwy[:nch], v.lwyy[:nch]
	for i, y32 := range v.dbring[slot : slot+nch] {
		y := float64(y32)
		ly[i] = y
		lwy[i] = w * y
		lwyy[i] = w * y * y
	}
	n := nl
	if int64(n) > t {
		n = int(t) + 1 // lags with a frame
	}
	a := &v.la
	a.tr, a.n, a.w = tr, n, w
	if v.dw == 4 {
		learnLags(a) // AVX2 where there is the kernel
	} else {
		learnLagsGo(a)
	}
	// Coupling histograms at each pair's delay.
	for i := range nch {
		for j := range nch {
			k := i*nch + j
			d := v.delay[k]
			if i == j || int64(d) > t {
				continue
			}
			ls := v.back(tr, d)
			if int(v.domring[ls]) != j {
				continue
			}
			db := float64(v.dbring[slot+i] - v.dbring[ls*nch+j])
			b := int(db - vadHistMinDB)
			b = max(0, min(b, vadHistBins-1))
			v.hist[k*vadHistBins+b] += v.hw
			v.histN[k] += v.hw
		}
	}
	v.hw *= v.hgrow
	if v.hw > 1e20 {
		for i := range v.hist {
			v.hist[i] /= v.hw
		}
		for i := range v.histN {
			v.histN[i] /= v.hw
		}
		for i := range v.dstat {
			v.dstat[i] /= float64(v.hw)
		}
		for i := range v.xstat {
			v.xstat[i] /= float64(v.hw)
		}
		v.hw = 1
	}
	v.sinceC++
	if v.sinceC >= 25 {
		v.sinceC = 0
		v.updateDelays()
		v.updateCoupling()
	}
}

// updateDelays sets each pair's delay to the lag of best correlation, once
// enough dominant frames have been seen at every lag.
func (v *vadDecider) updateDelays() {
	const minFrames = 50
	nch, nl := v.nch, v.maxDelay+1
	if len(v.vx) < nl {
		v.vx = make([]float64, nl)
	}
	for j := range nch {
		// What depends on the source j alone, once for every listener:
		// whether every lag has been seen often enough (if not, all of
		// j's delays stay as they are) and the source's variance at each.
		seen := true
		for l := range nl {
			xs := v.xstat[(j*nl+l)*3:] // n, Σx, Σxx
			n := xs[0]
			if n/float64(v.hw) < minFrames {
				seen = false
				break
			}
			v.vx[l] = xs[2] - xs[1]*xs[1]/n
		}
		if !seen {
			continue
		}
		for i := range nch {
			if i == j {
				continue
			}
			k := i*nch + j
			best, bestR := 0, math.Inf(-1)
			for l := range nl {
				xs := v.xstat[(j*nl+l)*3:] // n, Σx, Σxx
				st := v.dstat[(j*nl+l)*3*v.dw+i:]
				sy, syy, sxy := st[0], st[v.dw], st[2*v.dw]
				n := xs[0]
				vx := v.vx[l]
				vy := syy - sy*sy/n
				if vx <= 0 || vy <= 0 {
					continue
				}
				r := (sxy - xs[1]*sy/n) / math.Sqrt(vx*vy)
				if r > bestR {
					best, bestR = l, r
				}
			}
			v.delay[k] = best
		}
	}
}

// updateCoupling sets each pair's coupling to the LeakPercentile of its
// histogram, blended with the prior while few frames have been seen.
func (v *vadDecider) updateCoupling() {
	const priorWeight = 30 // frames' worth of prior
	for k := range v.histN {
		n := v.histN[k]
		if n == 0 {
			continue
		}
		h := v.hist[k*vadHistBins : (k+1)*vadHistBins]
		target := float32(v.o.LeakPercentile) * n
		var cum float32
		b := 0
		for ; b < vadHistBins-1; b++ {
			cum += h[b]
			if cum >= target {
				break
			}
		}
		est := vadHistMinDB + float64(b) + 0.5
		// Weight of what was seen, in frames (the increment grows, so
		// divide by it).
		seen := float64(n / v.hw)
		w := seen / (seen + priorWeight)
		db := w*est + (1-w)*v.o.LeakPriorDB
		v.coup[k] = float32(math.Pow(10, db/10))
	}
}

// decide makes the decision for the oldest undecided frame.
func (v *vadDecider) decide() {
	nch := v.nch
	t := v.decided
	tr := int(t % int64(v.R))
	slot := tr * nch
	// Leak envelope per pair: j's power over the lag window at the pair's
	// delay (a frame early too, as a delay rarely falls on a frame edge),
	// with a decaying tail.
	// The window's maximum depends on the source and the delay only, and
	// a source's delays into the other channels are mostly equal: it is
	// computed once per run of equal delays (max is exact and, without
	// NaN, order-free, so the envelope is the same).
	for j := range nch {
		wd, wm := int64(-1), float32(0)
		for i := range nch {
			if i == j {
				continue
			}
			k := i*nch + j
			d := int64(v.delay[k])
			if d != wd {
				wd, wm = d, 0 // powers are ≥ vadPowFloor > 0
				for l := max(d-1, 0); l <= d+int64(v.lag) && l <= t; l++ {
					s := v.back(tr, int(l)) * nch
					wm = max(wm, v.ring[s+j]) // no NaN in ring: branch-free
				}
			}
			v.penv[k] = max(v.penv[k]*v.decay, wm)
		}
	}
	// A pause boundary at t starts a new stretch on every channel.
	for len(v.cuts) > 0 && v.cuts[0] < t {
		v.cuts = v.cuts[1:]
	}
	cut := len(v.cuts) > 0 && v.cuts[0] == t
	for i := range nch {
		p := v.ring[slot+i]
		fl := v.fring[slot+i]
		if v.floor[i] < fl {
			fl = v.floor[i]
		}
		var leak float32
		for j := range nch {
			if j != i {
				leak += v.coup[i*nch+j] * v.penv[i*nch+j]
			}
		}
		thr := v.onset
		if v.state[i] {
			thr = v.offset
		}
		sp := p-leak >= fl*thr && p >= leak*v.margin && p >= v.minLevel
		v.state[i] = sp
		v.out[i].push(sp)
		voiced := false
		near := v.nearDTMF != nil && v.nearDTMF(i, t)
		if cut || near {
			v.voicedN[i] = 0
		}
		if sp {
			v.gapN[i] = 0
			if near || v.voicedN[i] < v.lazyN {
				per := v.pring[slot+i]
				if v.perFn != nil {
					per = v.perFn(i, v.dring[slot+i])
				}
				voiced = per >= v.voicedR
				if voiced && !near {
					v.voicedN[i]++
				}
			}
		} else if v.gapN[i]++; v.gapN[i] >= v.bridgeN {
			v.voicedN[i] = 0
		}
		v.voiced[i].push(voiced)
	}
	v.decided++
}

// runs returns channel c's speech and voiced-speech runs.
func (v *vadDecider) runs(c int) (speech, voiced []tlRun) {
	return v.out[c].runs(), v.voiced[c].runs()
}

// flush decides every remaining frame.
func (v *vadDecider) flush() {
	for v.decided < v.pushed {
		v.decide()
	}
}
