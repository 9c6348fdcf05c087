package dsp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
)

// anBlockSeconds is how much audio Analyze reads per block: long enough
// that handing blocks between goroutines costs nothing measurable (at 1 s
// the hand-offs cost ~10 % of the CPU time with two workers), short enough
// that the buffers stay small (8 channels at 48 kHz: 6 MB each).
const anBlockSeconds = 4

// Analyze reads src to the end and returns its analysis: per-channel
// speech (with cross-channel leakage rejected and DTMF removed), levels,
// DTMF tones, and the call timeline (segments, mutual silences cut at
// pauses, classified overlaps, turns, monologues) with every metric of the
// design card §5.
//
// It streams: the source is read in blocks of anBlockSeconds into buffers
// reused throughout, channels are processed in parallel by up to
// opts.Workers goroutines (the cross-channel decision runs one block
// behind, alongside them), and what is kept per frame is two bits per
// channel (speech, voiced), so memory does not grow with the length of the
// recording beyond that (8 h × 8 channels: 5.8 MB). pauses are the audio
// offsets where paused spans were cut out of the recording; no silence or
// speech segment spans one. Analyze stops early with ctx's error when ctx
// is cancelled.
func Analyze(ctx context.Context, src Source, pauses []Pause, opts Options) (*Result, error) {
	if err := opts.VAD.Validate(); err != nil {
		return nil, fmt.Errorf("analyze: %w", err)
	}
	if err := opts.Timeline.Validate(); err != nil {
		return nil, fmt.Errorf("analyze: %w", err)
	}
	f := src.Format()
	if f.Channels < 1 || f.Channels > MaxChannels {
		return nil, fmt.Errorf("analyze: %d channels: want 1..%d", f.Channels, MaxChannels)
	}
	if f.SampleRate < 1000 || f.SampleRate > 384000 {
		return nil, fmt.Errorf("analyze: sample rate %d Hz: want 1000..384000", f.SampleRate)
	}
	res, _, err := analyze(ctx, src, pauses, opts, f)
	return res, err
}

// analyze is Analyze after the checks; tests look at the analyzer too.
func analyze(ctx context.Context, src Source, pauses []Pause, opts Options, f Format) (*Result, *analyzer, error) {
	a, err := newAnalyzer(f, opts)
	if err != nil {
		return nil, nil, err
	}
	a.lazyVoicing(pauses)
	defer a.stop()
	samples, err := a.run(ctx, src)
	if err != nil {
		return nil, nil, err
	}
	return a.result(samples, pauses), a, nil
}

// analyzer holds the per-channel state of one Analyze call.
type analyzer struct {
	f    Format
	opts Options
	nch  int

	ch     []anChannel
	vd     *vadDecider
	groups []*laneGroup // when the lane kernels run the per-sample work

	buf    [2][]float32 // interleaved blocks: one being read, one processed
	frame  []vadFrame   // one frame of all channels, for the decider
	perPos []int64      // per channel: the ring position periodicity sees

	src  Source // while run runs
	work chan anJob
	wg   sync.WaitGroup
	quit sync.Once
}

// anChannel is one channel's streaming state. Only its worker touches it
// while a block is processed, except frames[i] and pos[i] of the previous
// block (i alternates per block), which the decider reads meanwhile.
type anChannel struct {
	x      []float32 // deinterleaved samples of the current block
	feat   *vadFeatures
	dtmf   *DTMFDetector // nil below 8 kHz
	level  *LevelMeter
	frames [2][]vadFrame // frames completed in a block
	pos    [2]int64      // feat.pos at the end of that block

	// The frames near this channel's DTMF tones as of the last markDTMF,
	// ascending (dropped once decided); tones counts the tones in near.
	near  []tlRun
	tones int
}

type anJob struct {
	block []float32
	n     int // frames (samples per channel) in block
	// c is the channel, or with lanes group*3 + (0 DTMF, 1 features,
	// 2 levels); or jobDecide (the decider takes frames[i]) or jobRead
	// (the next block is read into buf i, the result to *read).
	c    int
	i    int // which of anChannel.frames and pos to fill
	read *anRead
	done *sync.WaitGroup
}

// The jobs that are not a channel's or a group's.
const (
	jobDecide = -1
	jobRead   = -2
)

// lanesEnabled says whether Analyze runs the per-sample work in lane
// groups (SIMD kernels for four channels at once) rather than channel by
// channel; both give the same results. It is on where the kernels are
// native (see lanes_amd64.go).
var lanesEnabled = lanesNative

func newAnalyzer(f Format, opts Options) (*analyzer, error) {
	nch := f.Channels
	a := &analyzer{f: f, opts: opts, nch: nch}
	block := f.SampleRate * anBlockSeconds
	a.buf[0] = make([]float32, block*nch, block*nch+laneSlack)
	a.buf[1] = make([]float32, block*nch, block*nch+laneSlack)
	a.frame = make([]vadFrame, nch)
	a.ch = make([]anChannel, nch)
	a.vd = newVADDecider(nch, opts.VAD)
	// Periodicity is computed when the decider asks for it: up to its
	// lookahead plus one block after the frame was made, while the next
	// block is written to the ring (the decider runs one block behind).
	keep := a.vd.look + a.vd.lag + 2*anBlockSeconds*100 + 2
	a.perPos = make([]int64, nch)
	a.vd.perFn = func(c int, dpos int64) float32 { return a.ch[c].feat.periodicityAtPos(dpos, a.perPos[c]) }
	for c := range a.ch {
		fpb := block*100/f.SampleRate + 2
		a.ch[c] = anChannel{
			x:      make([]float32, block),
			feat:   newVADFeatures(f.SampleRate, opts.VAD.HighPassHz, keep),
			frames: [2][]vadFrame{make([]vadFrame, 0, fpb), make([]vadFrame, 0, fpb)},
		}
		a.ch[c].level = NewLevelMeter(f.SampleRate)
		a.ch[c].level.SetClipThreshold(ClipThreshold(f))
		if f.SampleRate >= 8000 {
			d, err := NewDTMFDetector(f.SampleRate, opts.DTMF)
			if err != nil {
				return nil, fmt.Errorf("analyze: %w", err)
			}
			a.ch[c].dtmf = d
		}
	}
	jobs := nch
	if lanesEnabled && !opts.DTMF.DialToneFilter {
		for first := 0; first < nch; first += laneN {
			a.groups = append(a.groups, newLaneGroup(a, first))
		}
		jobs = a.jobs()
	}
	workers := opts.Workers
	if workers < 1 {
		workers = DefaultOptions().Workers
	}
	workers = min(workers, jobs)
	if workers > 1 {
		a.work = make(chan anJob, jobs+2)
		for range workers {
			a.wg.Add(1)
			go func() {
				defer a.wg.Done()
				for j := range a.work {
					switch j.c {
					case jobDecide:
						a.pushFrames(j.i)
					case jobRead:
						*j.read = a.read(j.i)
					default:
						a.process(j.c, j.i, j.block, j.n)
					}
					j.done.Done()
				}
			}()
		}
	}
	return a, nil
}

func (a *analyzer) stop() {
	a.quit.Do(func() {
		if a.work != nil {
			close(a.work)
			a.wg.Wait()
		}
	})
}

// jobs returns how many jobs process one block.
func (a *analyzer) jobs() int {
	if a.groups != nil {
		return 3 * len(a.groups)
	}
	return a.nch
}

// process runs job j of a block: channel j, or with lane groups a third
// of group j/3's work.
func (a *analyzer) process(j, fi int, block []float32, n int) {
	if a.groups == nil {
		a.processChannel(j, fi, block, n)
		return
	}
	g := a.groups[j/3]
	// The kernels read laneSlack samples past the last frame. Job 0 is the
	// longest: sent first, a worker starts it first.
	block = block[:cap(block)]
	switch j % 3 {
	case 0:
		if g.hasDTMF {
			g.dtmf(a, block, n)
		}
	case 1:
		g.features(a, block, n, fi)
	case 2:
		g.levels(a, block, n)
	}
}

// processChannel deinterleaves channel c of block and runs its per-channel
// stages; the block's frames go to ch.frames[fi].
func (a *analyzer) processChannel(c, fi int, block []float32, n int) {
	ch := &a.ch[c]
	x := ch.x[:n]
	nch := a.nch
	for i, k := 0, c; i < n; i, k = i+1, k+nch {
		x[i] = block[k]
	}
	ch.frames[fi] = ch.feat.process(x, ch.frames[fi][:0])
	ch.pos[fi] = ch.feat.pos
	ch.level.Write(x)
	if ch.dtmf != nil {
		ch.dtmf.Process(x)
	}
}

// anRead is one block read into a buffer.
type anRead struct {
	buf int // index into analyzer.buf
	n   int
	err error
}

// read fills buffer b from the source: whole frames, up to the end of the
// data or an error.
func (a *analyzer) read(b int) anRead {
	buf := a.buf[b]
	n := 0
	var err error
	for n*a.nch < len(buf) && err == nil {
		var k int
		k, err = a.src.ReadFrames(buf[n*a.nch:])
		n += k
		if k == 0 && err == nil {
			err = io.ErrNoProgress
		}
	}
	return anRead{buf: b, n: n, err: err}
}

// run streams src through the stages and returns the samples per channel.
//
// Each block's jobs are the stages of the block just read, the decider on
// the frames of the block before (the decider runs one block behind) and
// reading the next block into the other buffer: with workers, they all
// run side by side on the workers, and nothing else runs (a goroutine of
// its own for reading or deciding would move between the cores and take
// its caches along: with the reader alone running beside the rest, one
// worker's analysis took 20 % more CPU time).
func (a *analyzer) run(ctx context.Context, src Source) (int64, error) {
	a.src = src
	defer func() { a.src = nil }()
	var samples int64
	var done sync.WaitGroup
	// fi alternates per block; pending says frames[1-fi] wait for the
	// decider.
	fi, pending := 0, false
	r := a.read(0)
	for {
		if err := ctx.Err(); err != nil {
			return samples, err
		}
		var next anRead
		if r.n > 0 {
			block := a.buf[r.buf][:r.n*a.nch]
			// The decider runs alongside the jobs that update the DTMF
			// detectors: what it needs of their tones is copied now.
			a.markDTMF()
			more := r.err == nil
			if a.work != nil {
				k := a.jobs()
				if pending {
					k++
				}
				if more {
					k++
				}
				done.Add(k)
				// The longest first.
				if pending {
					a.work <- anJob{c: jobDecide, i: 1 - fi, done: &done}
				}
				for c := range a.jobs() {
					a.work <- anJob{block: block, n: r.n, c: c, i: fi, done: &done}
				}
				if more {
					a.work <- anJob{c: jobRead, i: 1 - r.buf, read: &next, done: &done}
				}
				done.Wait()
			} else {
				for c := range a.jobs() {
					a.process(c, fi, block, r.n)
				}
				if pending {
					a.pushFrames(1 - fi)
				}
				if more {
					next = a.read(1 - r.buf)
				}
			}
			samples += int64(r.n)
			fi, pending = 1-fi, true
		}
		if r.err != nil {
			if errors.Is(r.err, io.EOF) {
				break
			}
			return samples, fmt.Errorf("analyze: read at frame %d: %w", samples, r.err)
		}
		r = next
	}
	if err := ctx.Err(); err != nil {
		return samples, err
	}
	// Every push below decides frames of blocks whose jobs are done: the
	// DTMF marks must include those blocks first.
	a.markDTMF()
	if pending {
		a.pushFrames(1 - fi)
	}
	for c := range a.ch {
		ch := &a.ch[c]
		ch.frames[fi] = ch.feat.flush(ch.frames[fi][:0])
		ch.pos[fi] = ch.feat.pos
		if ch.dtmf != nil {
			ch.dtmf.Flush()
		}
	}
	a.markDTMF()
	a.pushFrames(fi)
	a.vd.flush()
	return samples, nil
}

// lazyVoicing sets the decider up to skip the periodicity it does not
// need (vadDecider.lazyN), with the pause boundaries as the timeline
// computes them and the frames near DTMF tones from markDTMF.
func (a *analyzer) lazyVoicing(pauses []Pause) {
	var cuts []int64
	for _, p := range pauses {
		cuts = append(cuts, int64(tlFrame(p.Offset)))
	}
	slices.Sort(cuts)
	a.vd.lazyVoicing(tlFrames(a.opts.VAD.MinVoicedS), tlFrames(a.opts.Timeline.Bridge), slices.Compact(cuts), a.nearDTMF)
}

// dtmfNearFrames is how many frames on each side of those the timeline
// removes for a DTMF tone (tlBuild) also count as near it.
const dtmfNearFrames = 3

// markDTMF records the frames near each channel's finished DTMF tones.
// It runs while no job is updating the detectors, before the decider is
// given the frames of the blocks they have processed. The decider decides
// a frame at least its lookahead (≥ 0.5 s, see vadDecider.lazyVoicing)
// before the end of that audio, and a tone is finished 25 ms after it
// ends: so the frames after a tone are decided only once the tone is
// known, which is what lazy voicing needs (the frames it removes may be
// decided earlier: they are dropped from the timeline whatever their
// voicing).
func (a *analyzer) markDTMF() {
	for c := range a.ch {
		ch := &a.ch[c]
		d := ch.dtmf
		if d == nil {
			continue
		}
		for _, tn := range d.tones[ch.tones:] {
			ch.near = append(ch.near, tlRun{tlFrame(tn.Start) - 1 - dtmfNearFrames, tlFrame(tn.End) + 1 + dtmfNearFrames})
		}
		ch.tones = len(d.tones)
	}
}

// nearDTMF says whether frame t of channel c is near one of its finished
// DTMF tones (for the decider, which asks in frame order).
func (a *analyzer) nearDTMF(c int, t int64) bool {
	ch := &a.ch[c]
	for len(ch.near) > 0 && int64(ch.near[0].e) < t {
		ch.near = ch.near[1:]
	}
	return len(ch.near) > 0 && int64(ch.near[0].s) <= t
}

// pushFrames hands the frames every channel completed in a block
// (frames[fi]) to the decider.
func (a *analyzer) pushFrames(fi int) {
	for c := range a.ch {
		a.perPos[c] = a.ch[c].pos[fi]
	}
	k := len(a.ch[0].frames[fi])
	for t := range k {
		for c := range a.ch {
			a.frame[c] = a.ch[c].frames[fi][t]
		}
		a.vd.push(a.frame)
	}
}

// result assembles the Result once the stream is done.
func (a *analyzer) result(samples int64, pauses []Pause) *Result {
	in := tlInput{
		channels:   a.nch,
		sampleRate: a.f.SampleRate,
		frames:     int(a.vd.pushed),
		duration:   float64(samples) / float64(a.f.SampleRate),
		pauses:     pauses,
		speech:     make([][]tlRun, a.nch),
		levels:     make([]Levels, a.nch),
		voiced:     make([][]tlRun, a.nch),
		minVoiced:  tlFrames(a.opts.VAD.MinVoicedS),
	}
	for c := range a.nch {
		in.speech[c], in.voiced[c] = a.vd.runs(c)
		in.levels[c] = a.ch[c].level.Levels()
		if d := a.ch[c].dtmf; d != nil {
			for _, tn := range d.Tones() {
				tn.Channel = c
				in.heard = append(in.heard, tn)
			}
		}
	}
	in.tones = ResolveDTMFLeaks(in.heard)
	return tlBuild(in, a.opts.Timeline)
}
