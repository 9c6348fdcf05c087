package dsp

import (
	"math"
	"unsafe"
)

// Lane groups: the per-sample work of up to four channels at once.
//
// The per-sample loops of the analysis (vadFeatures' high-pass, energy and
// decimation; the LevelMeter's sums, peak, clip count and P.56 envelope; the
// DTMF detector's block sums and Goertzel filters) are recurrences: each
// sample waits for the previous one, so one channel at a time leaves the
// CPU's arithmetic units idle. A lane group runs the same recurrences for
// up to four channels side by side, one channel per SIMD lane, straight
// from the interleaved block: on amd64 with AVX2 the kernels in
// lanes_amd64.s do four channels in the time scalar code takes for one. The
// arithmetic is the scalar code's, operation for operation and in the same
// order, so the results are bit for bit those of the per-channel path (the
// tests check it); the frame, block and threshold bookkeeping stays in the
// per-channel types, which the group drives.

// laneN is the number of channels a group processes together.
const laneN = 4

// laneFeat is vadFeatures' per-sample state, one value per lane.
type laneFeat struct {
	b0, b1, b2, a1, a2 [laneN]float64
	c0, c1, c2, d1, d2 [laneN]float64
	lpA, lpB           [laneN]float64
	x1, x2, y1, y2     [laneN]float64
	z1, z2             [laneN]float64
	acc, l1, decAcc    [laneN]float64
	// ring is each lane's decimated-signal ring (vadFeatures.ring).
	ring                 [laneN]unsafe.Pointer
	mask, pos, decN, dec int64
}

// laneLevel is the LevelMeter's per-sample state, one value per lane.
type laneLevel struct {
	g, g1, clip [laneN]float64
	absMask     [laneN]uint64
	up, down    [laneN]float64
	p, q, peak  [laneN]float64
	nClip       [laneN]int64
	sum, sumSq  [laneN]float64
	frameSq     [laneN]float64
	laneMask    int64 // bit l: lane l holds a channel
}

// laneGz is the DTMF detector's per-sample state (its Goertzel bank and
// block sums), one value per lane.
type laneGz struct {
	coef      [goertzelMaxFreqs][laneN]float64
	s1, s2    [goertzelMaxFreqs][laneN]float64
	sum, sum2 [laneN]float64
	// ref is the group's Goertzel phase reference: the detectors of a
	// group start together and run in step, so their banks' references
	// are the same and are advanced once, here (the banks get a copy at
	// the end of each block of audio).
	ref goertzelBank

	// Where dtmfEndLanes writes each lane's block: the detector's ring
	// slots for the Goertzel values (*[goertzelMaxFreqs]complex128) and
	// the energy (*float64); lanes without a channel write to spare.
	cdst, edst [laneN]unsafe.Pointer
	spareC     [goertzelMaxFreqs]complex128
	spareE     float64
	// The detectors' DC trackers (DTMFDetector.dc), the block length and
	// the tracker's gain per block, dtmfDCAlpha·dcScale·blockN.
	dc          [laneN]float64
	blockN, dcG float64
	// The recent blocks' powers |value|² and energies, by ring slot, for
	// dtmfGateLanes: DTMFDetector.window's first two tests for the whole
	// group at once (most windows end there).
	pw [dtmfRing][goertzelMaxFreqs][laneN]float64
	e  [dtmfRing][laneN]float64
	// The tests' constants, as window computes them: the energy of two
	// tones at the minimum level over a window, half that, the weak
	// energy share, 1 + (high-group twist limit)², 2/blockN and 0.8.
	gateE, gateMin, gateWk, gateDen, gateTwoL, gate08 float64
}

// Kernels. Each processes n ≥ 1 frames; frame i's lane l is the float32 at
// x[off + i*stride + l] (stride in samples). The SIMD versions read all
// four lanes of every frame, so x must extend laneN samples past the last
// frame's first lane; lanes without a channel compute on whatever is there
// and are ignored.
var (
	featLanes     = featLanesGo
	levelLanes    = levelLanesGo
	goertzelLanes = goertzelLanesGo
	dtmfEndLanes  = dtmfEndLanesGo
	dtmfGateLanes = dtmfGateLanesGo
	learnLags     = learnLagsGo // the VAD decider's, not a lane kernel, but AVX2 too
)

// featLanesGo is vadFeatures.process's sample loop for the lanes in use.
func featLanesGo(st *laneFeat, x []float32, off, stride, n, lanes int) {
	pos, decN := st.pos, st.decN
	for l := range lanes {
		b0, b1, b2, a1, a2 := st.b0[l], st.b1[l], st.b2[l], st.a1[l], st.a2[l]
		c0, c1, c2, d1, d2 := st.c0[l], st.c1[l], st.c2[l], st.d1[l], st.d2[l]
		lpA, lpB := st.lpA[l], st.lpB[l]
		x1, x2, y1, y2, z1, z2 := st.x1[l], st.x2[l], st.y1[l], st.y2[l], st.z1[l], st.z2[l]
		acc, l1, decAcc := st.acc[l], st.l1[l], st.decAcc[l]
		ring := unsafe.Slice((*float32)(st.ring[l]), st.mask+1)
		pos, decN = st.pos, st.decN
		for i := range n {
			v := float64(x[off+i*stride+l])
			w := (b0*v + b1*x1 + b2*x2 - a2*y2) - a1*y1
			y := (c0*w + c1*y1 + c2*y2 - d2*z2) - d1*z1
			x2, x1 = x1, v
			y2, y1 = y1, w
			z2, z1 = z1, y
			acc += y * y
			l1 = lpB*y + lpA*l1
			decAcc += l1
			decN++
			if decN == st.dec {
				ring[pos&st.mask] = float32(decAcc)
				pos++
				decAcc, decN = 0, 0
			}
		}
		st.x1[l], st.x2[l], st.y1[l], st.y2[l], st.z1[l], st.z2[l] = x1, x2, y1, y2, z1, z2
		st.acc[l], st.l1[l], st.decAcc[l] = acc, l1, decAcc
	}
	st.pos, st.decN = pos, decN
}

// levelLanesGo is LevelMeter.Write's sample loop for the lanes in use. It
// stops after the first frame at which a lane's envelope leaves the band
// [down, up) and returns the frames it did.
func levelLanesGo(st *laneLevel, x []float32, off, stride, n, lanes int) int {
	for i := range n {
		crossed := false
		for l := range lanes {
			v := float64(x[off+i*stride+l])
			a := math.Abs(v)
			st.sum[l] += v
			st.sumSq[l] += v * v
			st.frameSq[l] += v * v
			if a > st.peak[l] {
				st.peak[l] = a
			}
			if a >= st.clip[l] {
				st.nClip[l]++
			}
			st.p[l] = st.g[l]*st.p[l] + st.g1[l]*a
			st.q[l] = st.g[l]*st.q[l] + st.g1[l]*st.p[l]
			if q := st.q[l]; q >= st.up[l] || q < st.down[l] {
				crossed = true
			}
		}
		if crossed {
			return i + 1
		}
	}
	return n
}

// goertzelLanesGo is DTMFDetector.Process's block sums and
// goertzelBank.feed for the lanes in use.
func goertzelLanesGo(st *laneGz, x []float32, off, stride, n, lanes int) {
	for l := range lanes {
		sum, sum2 := st.sum[l], st.sum2[l]
		for i := range n {
			v := float64(x[off+i*stride+l])
			sum += v
			sum2 += v * v
		}
		st.sum[l], st.sum2[l] = sum, sum2
		for f := range goertzelMaxFreqs {
			c, a, b := st.coef[f][l], st.s1[f][l], st.s2[f][l]
			for i := range n {
				s := float64(x[off+i*stride+l])
				a, b = s+c*a-b, a
			}
			st.s1[f][l], st.s2[f][l] = a, b
		}
	}
}

// dtmfEndLanesGo completes the block every lane has just filled, as
// goertzelBank.finishBlock and DTMFDetector.endBlock do: goertzelOut of
// each filter against the group's phase reference into the lane's ring
// slot (cdst) and the value's power (as DTMFDetector.blockPow computes it)
// into pw; the block's energy about the DC tracker into edst and st.e's
// slot, and the tracker moved on. A lane whose block held NaN or ±Inf
// gets energy 0 and its tracker reset, and its bit in the returned mask
// (its values and powers are for the caller to clear). The filters and
// block sums are reset.
func dtmfEndLanesGo(st *laneGz, slot int) (silenced int) {
	pw := &st.pw[slot]
	for l := range laneN {
		c := (*[goertzelMaxFreqs]complex128)(st.cdst[l])
		for f := range goertzelMaxFreqs {
			v := goertzelOut(st.s1[f][l], st.s2[f][l], st.ref.finish[f], st.ref.phase[f])
			c[f] = v
			pw[f][l] = real(v)*real(v) + imag(v)*imag(v)
			st.s1[f][l], st.s2[f][l] = 0, 0
		}
		n, sum, dc := st.blockN, st.sum[l], st.dc[l]
		mean := sum / n
		e := max(0, st.sum2[l]-2*dc*sum+n*dc*dc)
		dc += st.dcG * (mean - dc)
		if !(e <= math.MaxFloat64) || !(math.Abs(dc) <= 2) {
			e, dc = 0, 0
			silenced |= 1 << l
		}
		st.dc[l] = dc
		st.e[slot][l] = e
		*(*float64)(st.edst[l]) = e
		st.sum[l], st.sum2[l] = 0, 0
	}
	return silenced
}

// dtmfGateLanesGo runs DTMFDetector.window's energy test and incoherent
// group test for the window ending with block k in every lane, from st.e
// and st.pw, and returns the lanes that pass both (bit l for lane l).
func dtmfGateLanesGo(st *laneGz, k int64) int {
	const W = dtmfWindowBlocks
	mask := 0
	for l := range laneN {
		e := 0.0
		for m := range int64(W) {
			e += st.e[(k-W+1+m)&(dtmfRing-1)][l]
		}
		if e < st.gateE {
			continue
		}
		gate := math.Max(st.gateMin, st.gateWk*e/st.gateDen) * st.gate08
		var groups [2]bool
		for f := range goertzelMaxFreqs {
			inc := 0.0
			for m := range int64(W) {
				inc += st.pw[(k-W+1+m)&(dtmfRing-1)][f][l]
			}
			groups[f/4] = groups[f/4] || st.gateTwoL*inc >= gate
		}
		if groups[0] && groups[1] {
			mask |= 1 << l
		}
	}
	return mask
}

// laneGroup drives the kernels over channels first … first+lanes−1 of an
// analyzer and keeps their per-channel types up to date at every frame,
// block and threshold crossing.
//
// Its three jobs (features, levels, DTMF) run on different cores, each
// writing its own state as it goes: the padding keeps their states on
// different cache lines (sharing one cost 7 % of the CPU time).
type laneGroup struct {
	first, lanes int
	nch          int
	dummy        []float32 // the decimated ring of lanes without a channel
	hasDTMF      bool      // the channels have DTMF detectors

	_    cacheLinePad
	feat laneFeat
	_    cacheLinePad
	lev  laneLevel
	_    cacheLinePad
	gz   laneGz
	_    cacheLinePad
}

// cacheLinePad separates data written by different cores: two 64-byte
// lines, as the adjacent-line prefetcher fetches pairs.
type cacheLinePad [128]byte

// laneSlack is how many samples past a block's last frame the kernels may
// read.
const laneSlack = laneN

func newLaneGroup(a *analyzer, first int) *laneGroup {
	g := &laneGroup{first: first, lanes: min(laneN, a.nch-first), nch: a.nch}
	f0 := a.ch[first].feat
	g.dummy = make([]float32, len(f0.ring))
	st := &g.feat
	st.mask, st.dec = f0.mask, int64(f0.dec)
	for l := range laneN {
		st.ring[l] = unsafe.Pointer(&g.dummy[0])
		if l >= g.lanes {
			// Lanes without a channel never cross a threshold.
			g.lev.up[l], g.lev.down[l] = math.Inf(1), math.Inf(-1)
			continue
		}
		f := a.ch[first+l].feat
		st.b0[l], st.b1[l], st.b2[l], st.a1[l], st.a2[l] = f.b0, f.b1, f.b2, f.a1, f.a2
		st.c0[l], st.c1[l], st.c2[l], st.d1[l], st.d2[l] = f.c0, f.c1, f.c2, f.d1, f.d2
		st.lpA[l], st.lpB[l] = f.lpA, 1-f.lpA
		st.ring[l] = unsafe.Pointer(&f.ring[0])
		g.lev.laneMask |= 1 << l
	}
	for l := range laneN {
		g.lev.absMask[l] = math.MaxInt64 // every bit but the sign
	}
	g.hasDTMF = a.ch[first].dtmf != nil
	if g.hasDTMF {
		for f := range goertzelMaxFreqs {
			for l := range laneN {
				g.gz.coef[f][l] = a.ch[first].dtmf.bank.coef[f]
			}
		}
		for l := range g.lanes {
			a.ch[first+l].dtmf.eager = true
		}
		d0 := a.ch[first].dtmf
		g.gz.ref = d0.bank
		gz := &g.gz
		nWin := float64(dtmfWindowBlocks * d0.blockN)
		gz.gateE = nWin * d0.minAmp * d0.minAmp
		gz.gateMin = gz.gateE / 2 // exact: window's nWin·minAmp²/2
		gz.gateWk = d0.opts.MinWeakEnergyShare
		gz.gateDen = 1 + d0.twistHiWeak*d0.twistHiWeak
		gz.gateTwoL = 2 / float64(d0.blockN)
		gz.gate08 = 0.8
		gz.blockN = float64(d0.blockN)
		gz.dcG = dtmfDCAlpha * d0.dcScale * gz.blockN
		for l := range laneN {
			gz.cdst[l], gz.edst[l] = unsafe.Pointer(&gz.spareC), unsafe.Pointer(&gz.spareE)
		}
	}
	g.load(a)
	return g
}

// load copies the channels' streaming state into the lanes.
func (g *laneGroup) load(a *analyzer) {
	st, lv := &g.feat, &g.lev
	st.pos, st.decN = a.ch[g.first].feat.pos, int64(a.ch[g.first].feat.decN)
	for l := range g.lanes {
		ch := &a.ch[g.first+l]
		f := ch.feat
		st.x1[l], st.x2[l], st.y1[l], st.y2[l], st.z1[l], st.z2[l] = f.x1, f.x2, f.y1, f.y2, f.z1, f.z2
		st.acc[l], st.l1[l], st.decAcc[l] = f.acc, f.l1, f.decAcc
		m := ch.level
		lv.g[l], lv.g1[l], lv.clip[l] = m.g, 1-m.g, float64(m.clip)
		lv.up[l], lv.down[l] = m.bounds(m.k)
		lv.p[l], lv.q[l], lv.peak[l] = m.p, m.q, m.peak
		lv.nClip[l] = m.nClip
		lv.sum[l], lv.sumSq[l], lv.frameSq[l] = m.sum, m.sumSq, m.frameSq
		if d := ch.dtmf; d != nil {
			g.gz.ref.phase, g.gz.ref.blocks = d.bank.phase, d.bank.blocks
			g.gz.dc[l] = d.dc
			g.gz.sum[l], g.gz.sum2[l] = d.sum, d.sum2
			for f := range goertzelMaxFreqs {
				g.gz.s1[f][l], g.gz.s2[f][l] = d.bank.s1[f], d.bank.s2[f]
			}
		}
	}
}

// features runs the high-pass, frame energy and decimation of the block's
// n frames and appends each lane's completed frames to its channel's
// frames[fi].
//
// The jobs of a block run on different cores at once, and the decider
// reads the previous block's frames meanwhile: what changes every frame
// (the frames' slice headers, the frame counters) is kept in locals and
// written back once, at the end, not to memory another core is reading.
func (g *laneGroup) features(a *analyzer, block []float32, n, fi int) {
	f0 := a.ch[g.first].feat
	st := &g.feat
	var frames [laneN][]vadFrame
	for l := range g.lanes {
		frames[l] = a.ch[g.first+l].frames[fi][:0]
	}
	fn, need, frame := f0.n, f0.need, f0.frame
	for i := 0; i < n; {
		m := min(n-i, need-fn)
		featLanes(st, block, i*g.nch+g.first, g.nch, m, g.lanes)
		i += m
		fn += m
		if fn == need {
			for l := range g.lanes {
				frames[l] = append(frames[l], vadFrame{p: float32(st.acc[l] / float64(fn)), dpos: st.pos})
				st.acc[l] = 0
			}
			fn = 0
			frame++
			need = f0.frameLen(frame)
		}
	}
	// Flush denormals as vadFeatures.process does at the end of a call.
	for l := range g.lanes {
		st.y1[l], st.y2[l], st.l1[l] = flushTiny(st.y1[l]), flushTiny(st.y2[l]), flushTiny(st.l1[l])
		st.z1[l], st.z2[l] = flushTiny(st.z1[l]), flushTiny(st.z2[l])
		ch := &a.ch[g.first+l]
		f := ch.feat
		f.x1, f.x2, f.y1, f.y2, f.z1, f.z2 = st.x1[l], st.x2[l], st.y1[l], st.y2[l], st.z1[l], st.z2[l]
		f.acc, f.l1, f.decAcc = st.acc[l], st.l1[l], st.decAcc[l]
		f.pos, f.decN = st.pos, int(st.decN)
		f.n, f.need, f.frame = fn, need, frame
		ch.frames[fi] = frames[l]
		ch.pos[fi] = st.pos
	}
}

// levels runs the level meters over the block's n frames.
func (g *laneGroup) levels(a *analyzer, block []float32, n int) {
	var ms [laneN]*LevelMeter // loaded once: a.ch shares lines with what other jobs write
	for l := range g.lanes {
		ms[l] = a.ch[g.first+l].level
	}
	m0 := ms[0]
	lv := &g.lev
	frameN, frameLen := m0.frameN, m0.frameLen
	for i := 0; i < n; {
		m := min(n-i, frameLen-frameN)
		off := i*g.nch + g.first
		for done := 0; done < m; {
			k := levelLanes(lv, block, off+done*g.nch, g.nch, m-done, g.lanes)
			done += k
			for l := range g.lanes {
				if q := lv.q[l]; q >= lv.up[l] || q < lv.down[l] {
					lm := ms[l]
					// The sample the kernel stopped at.
					lm.k = lm.cross(lm.k, q, lm.n+int64(done)-1)
					lv.up[l], lv.down[l] = lm.bounds(lm.k)
				}
			}
		}
		i += m
		for l := range g.lanes {
			ms[l].n += int64(m)
		}
		frameN += m
		if frameN == frameLen {
			for l := range g.lanes {
				ms[l].levelAddFrame(lv.frameSq[l] / float64(frameN))
				lv.frameSq[l] = 0
			}
			frameN = 0
		}
	}
	for l := range g.lanes {
		lm := ms[l]
		lm.p, lm.q, lm.peak = lv.p[l], lv.q[l], lv.peak[l]
		lm.nClip = lv.nClip[l]
		lm.sum, lm.sumSq, lm.frameSq = lv.sum[l], lv.sumSq[l], lv.frameSq[l]
		lm.frameN = frameN
	}
}

// dtmf runs the DTMF detectors over the block's n frames.
func (g *laneGroup) dtmf(a *analyzer, block []float32, n int) {
	var dsa [laneN]*DTMFDetector // loaded once, as in levels
	for l := range g.lanes {
		dsa[l] = a.ch[g.first+l].dtmf
	}
	ds := dsa[:g.lanes]
	d0 := ds[0]
	gz := &g.gz
	for i := 0; i < n; {
		m := min(n-i, d0.blockN-d0.pos)
		goertzelLanes(gz, block, i*g.nch+g.first, g.nch, m, g.lanes)
		i += m
		for _, d := range ds {
			d.pos += m
			d.samples += int64(m)
		}
		if d0.pos == d0.blockN {
			g.dtmfBlock(ds)
		}
	}
	for l, d := range ds {
		d.sum, d.sum2 = gz.sum[l], gz.sum2[l]
		for f := range goertzelMaxFreqs {
			d.bank.s1[f], d.bank.s2[f] = gz.s1[f][l], gz.s2[f][l]
		}
		d.bank.phase, d.bank.blocks = gz.ref.phase, gz.ref.blocks
		d.dc = gz.dc[l]
	}
}

// dtmfBlock completes the block every detector of the group has just
// filled: goertzelBank.finishBlock for all of them with the one phase
// reference, each detector's block energy, window's first tests for all
// of them at once, and each detector's decisions (the full window only
// where those tests pass).
func (g *laneGroup) dtmfBlock(ds []*DTMFDetector) {
	gz := &g.gz
	k := ds[0].blk
	i := k & (dtmfRing - 1)
	if k == 0 {
		// As DTMFDetector.endBlock: the DC tracker starts at the first
		// block's mean.
		for l := range ds {
			gz.dc[l] = gz.sum[l] / gz.blockN
		}
	}
	for l, d := range ds {
		gz.cdst[l], gz.edst[l] = unsafe.Pointer(&d.ringC[i]), unsafe.Pointer(&d.ringE[i])
	}
	silenced := dtmfEndLanes(gz, int(i))
	gz.ref.advance()
	for l, d := range ds {
		// Powers are computed again, the same way, by the few windows
		// that get past the gate.
		d.ringOK[i], d.ringPwOK[i] = true, false
		if silenced>>l&1 != 0 {
			d.ringC[i] = [goertzelMaxFreqs]complex128{}
			for f := range goertzelMaxFreqs {
				gz.pw[i][f][l] = 0
			}
		}
		d.pos = 0 // the sums live in gz until dtmf returns
		d.blk++
	}
	pass := 0
	if k >= dtmfWindowBlocks-1 {
		pass = dtmfGateLanes(gz, k)
	}
	for l, d := range ds {
		var h dtmfHit
		if pass>>l&1 != 0 {
			h = d.window(k)
		}
		d.step(k, h)
	}
}
