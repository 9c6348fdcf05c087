package dsp

import (
	"math"
	"sort"
)

// tlRun is a run of frames [s, e) on the 10 ms grid.
type tlRun struct{ s, e int }

// tlInput is what the timeline is built from.
type tlInput struct {
	channels   int
	sampleRate int
	frames     int       // frames on the grid (the last may be partial)
	duration   float64   // seconds of audio
	speech     [][]tlRun // per channel: raw VAD decision, ordered, disjoint
	voiced     [][]tlRun // per channel: voiced speech frames (nil: no voicing check)
	minVoiced  int       // frames of voiced speech a bridged run needs
	heard      []Tone    // every tone detected on any channel (before leak resolution): not speech there
	tones      []Tone    // tones to report (leaks resolved)
	pauses     []Pause
	levels     []Levels // per channel; may be nil
}

// tlFrame converts seconds to the nearest frame boundary.
func tlFrame(s float64) int { return int(math.Round(s / FrameSeconds)) }

// tlFrames converts a duration option to whole frames (at least 0).
func tlFrames(s float64) int {
	n := tlFrame(s)
	if n < 0 {
		return 0
	}
	return n
}

// tlBuild applies the speech post-processing (DTMF removal, pause cuts,
// bridging, minimum speech) and computes every field of the Result.
func tlBuild(in tlInput, o TimelineOptions) *Result {
	n := in.frames
	nch := in.channels
	res := &Result{
		Channels:   nch,
		SampleRate: in.sampleRate,
		Frames:     n,
		Pauses:     append([]Pause(nil), in.pauses...),
		PerChannel: make([]ChannelResult, nch),
	}
	sort.Slice(res.Pauses, func(i, j int) bool { return res.Pauses[i].Offset < res.Pauses[j].Offset })

	// Pause boundaries on the frame grid, strictly inside the recording.
	var cuts []int
	for _, p := range res.Pauses {
		b := tlFrame(p.Offset)
		if b > 0 && b < n && (len(cuts) == 0 || cuts[len(cuts)-1] != b) {
			cuts = append(cuts, b)
		}
	}
	isCut := func(t int) bool {
		i := sort.SearchInts(cuts, t)
		return i < len(cuts) && cuts[i] == t
	}

	// Per-channel speech: cut at pauses, remove DTMF, bridge, min speech.
	runs := make([][]tlRun, nch)
	for c := range nch {
		var raw []tlRun
		if c < len(in.speech) {
			raw = in.speech[c]
		}
		var barriers []tlRun
		for _, tn := range in.heard {
			if tn.Channel == c {
				barriers = append(barriers, tlRun{tlFrame(tn.Start) - 1, tlFrame(tn.End) + 1})
			}
		}
		for _, b := range cuts {
			barriers = append(barriers, tlRun{b, b})
		}
		sort.Slice(barriers, func(i, j int) bool { return barriers[i].s < barriers[j].s })
		runs[c] = tlClean(raw, barriers, n, tlFrames(o.Bridge), tlFrames(o.MinSpeech))
		if in.voiced != nil && in.minVoiced > 0 {
			runs[c] = tlVoiced(runs[c], in.voiced[c], in.minVoiced)
		}
	}

	// Frame weights: every frame is 10 ms except a partial last one.
	last := in.duration - float64(n-1)*FrameSeconds
	if n == 0 || last > FrameSeconds || last < 0 {
		last = FrameSeconds
	}
	sec := func(frames int, touchesEnd bool) float64 {
		if frames == 0 {
			return 0
		}
		if touchesEnd {
			return float64(frames-1)*FrameSeconds + last
		}
		return float64(frames) * FrameSeconds
	}
	endS := func(e int) float64 {
		if e >= n {
			return in.duration
		}
		return float64(e) * FrameSeconds
	}

	// Segments and per-channel talk.
	var talkSum float64
	for c := range nch {
		cr := &res.PerChannel[c]
		cr.Channel = c
		if c < len(in.levels) {
			cr.Levels = in.levels[c]
		}
		for _, r := range runs[c] {
			seg := Segment{Channel: c, Start: float64(r.s) * FrameSeconds, End: endS(r.e)}
			res.Segments = append(res.Segments, seg)
			cr.TalkS += sec(r.e-r.s, r.e >= n)
		}
		cr.Segments = len(runs[c])
		talkSum += cr.TalkS
	}
	sort.SliceStable(res.Segments, func(i, j int) bool {
		a, b := res.Segments[i], res.Segments[j]
		if a.Start != b.Start {
			return a.Start < b.Start
		}
		return a.Channel < b.Channel
	})

	// Sweep the frames.
	silMin, nonTalkMin, deadMin := tlFrames(o.SilenceMin), tlFrames(o.NonTalkMin), tlFrames(o.DeadAirMin)
	minOv := tlFrames(o.MinOverlap)
	idx := make([]int, nch)    // current or next run per channel
	act := make([]int, 0, nch) // channels active at t
	call := &res.Call
	call.DurationS = in.duration
	call.TalkSumS = talkSum

	silStart, ovStart := -1, -1
	var ovChans []int // channels active when the overlap run started
	closeSilence := func(t int) {
		if silStart < 0 {
			return
		}
		f := t - silStart
		d := sec(f, t >= n)
		call.SilenceS += d
		if d > call.LongestSilenceS {
			call.LongestSilenceS = d
		}
		if f >= silMin {
			s := Silence{Start: float64(silStart) * FrameSeconds, End: endS(t), Kind: SilenceGap}
			if f >= nonTalkMin {
				s.Kind = SilenceNonTalk
				call.NonTalkS += d
			}
			if f >= deadMin {
				s.Kind = SilenceDeadAir
				call.DeadAirCount++
				call.DeadAirS += d
			}
			res.Silences = append(res.Silences, s)
		}
		silStart = -1
	}
	closeOverlap := func(t int) {
		if ovStart < 0 {
			return
		}
		f := t - ovStart
		call.OverlapS += sec(f, t >= n)
		if f >= minOv && f > 0 {
			ov := tlClassify(ovStart, ovChans, runs, o)
			ov.Start, ov.End = float64(ovStart)*FrameSeconds, endS(t)
			res.Overlaps = append(res.Overlaps, ov)
			call.OverlapCount++
			switch ov.Kind {
			case OverlapInterruption:
				call.Interruptions++
				res.PerChannel[ov.By].InterruptionsMade++
				res.PerChannel[ov.Of].Interrupted++
			case OverlapBackchannel:
				res.PerChannel[ov.By].Backchannels++
			}
		}
		ovStart = -1
	}

	// Monologues and turns.
	cur, monoStart, monoLast, silRun, prevSole := -1, 0, 0, 0, -1
	closeMono := func() {
		if cur >= 0 {
			d := sec(monoLast+1-monoStart, monoLast+1 >= n)
			if d > res.PerChannel[cur].LongestMonologueS {
				res.PerChannel[cur].LongestMonologueS = d
			}
		}
		cur = -1
	}

	for t := 0; t < n; t++ {
		if len(cuts) > 0 && isCut(t) {
			closeSilence(t)
			closeOverlap(t)
			closeMono()
			silRun = 0
		}
		act = act[:0]
		for c := range nch {
			rs := runs[c]
			for idx[c] < len(rs) && rs[idx[c]].e <= t {
				idx[c]++
			}
			if idx[c] < len(rs) && rs[idx[c]].s <= t {
				act = append(act, c)
			}
		}
		w := FrameSeconds
		if t == n-1 {
			w = last
		}
		switch {
		case len(act) == 0:
			closeOverlap(t)
			if silStart < 0 {
				silStart = t
			}
			silRun++
			if silRun >= nonTalkMin {
				closeMono()
			}
		case len(act) == 1:
			closeSilence(t)
			closeOverlap(t)
			call.TalkS += w
			silRun = 0
		default:
			closeSilence(t)
			call.TalkS += w
			silRun = 0
			if ovStart < 0 {
				ovStart = t
				ovChans = append(ovChans[:0], act...)
			}
		}
		if len(act) == 1 {
			s := act[0]
			if prevSole >= 0 && s != prevSole {
				call.Turns++
			}
			prevSole = s
			if s != cur {
				closeMono()
				cur = s
				monoStart = runs[s][idx[s]].s
			}
			monoLast = t
		} else if len(act) > 1 && cur >= 0 {
			for _, c := range act {
				if c == cur {
					monoLast = t
				}
			}
		}
	}
	closeSilence(n)
	closeOverlap(n)
	closeMono()

	// Tones.
	res.Tones = append([]Tone(nil), in.tones...)
	sort.SliceStable(res.Tones, func(i, j int) bool {
		if res.Tones[i].Start != res.Tones[j].Start {
			return res.Tones[i].Start < res.Tones[j].Start
		}
		return res.Tones[i].Channel < res.Tones[j].Channel
	})
	for i := range res.Tones {
		res.Tones[i].Seq = i
		if c := res.Tones[i].Channel; c >= 0 && c < nch {
			res.PerChannel[c].DTMFCount++
		}
	}
	call.DTMFCount = len(res.Tones)

	for c := range nch {
		cr := &res.PerChannel[c]
		if in.duration > 0 {
			cr.TalkShare = cr.TalkS / in.duration
		}
		if talkSum > 0 {
			cr.SpeechShare = cr.TalkS / talkSum
		}
	}
	return res
}

// tlClean cuts raw runs at zero-width barriers, removes frames inside
// barriers, bridges gaps shorter than bridge frames that no barrier
// touches, and drops runs shorter than minLen frames.
func tlClean(raw, barriers []tlRun, n, bridge, minLen int) []tlRun {
	// Remove barrier frames and cut at barrier points. Sized for the
	// common case (no barrier inside a run); bridging and the minimum
	// work in place, and the result is copied out at its final size (a
	// long recording has hundreds of thousands of raw runs).
	cut := make([]tlRun, 0, len(raw))
	for _, r := range raw {
		if r.e > n {
			r.e = n
		}
		if r.s < 0 {
			r.s = 0
		}
		pieces := []tlRun{r}
		for _, b := range barriers {
			if b.e < r.s || b.s > r.e {
				continue
			}
			var next []tlRun
			for _, p := range pieces {
				if b.s == b.e { // a cut point
					if b.s > p.s && b.s < p.e {
						next = append(next, tlRun{p.s, b.s}, tlRun{b.s, p.e})
					} else {
						next = append(next, p)
					}
					continue
				}
				if p.s < b.s {
					next = append(next, tlRun{p.s, min(p.e, b.s)})
				}
				if p.e > b.e {
					next = append(next, tlRun{max(p.s, b.e), p.e})
				}
			}
			pieces = next
		}
		for _, p := range pieces {
			if p.e > p.s {
				cut = append(cut, p)
			}
		}
	}
	// Bridge.
	blocked := func(a, b int) bool { // any barrier touching [a, b]
		for _, br := range barriers {
			if br.s == br.e {
				if br.s >= a && br.s <= b {
					return true
				}
			} else if br.s < b && br.e > a {
				return true
			}
		}
		return false
	}
	out := cut[:0] // writes never pass reads
	for _, r := range cut {
		if k := len(out) - 1; k >= 0 && r.s-out[k].e < bridge && !blocked(out[k].e, r.s) {
			out[k].e = r.e
			continue
		}
		out = append(out, r)
	}
	// Minimum speech.
	keep := out[:0]
	for _, r := range out {
		if r.e-r.s >= minLen {
			keep = append(keep, r)
		}
	}
	if len(keep) == 0 {
		return nil
	}
	return append([]tlRun(nil), keep...)
}

// tlVoiced keeps the runs holding at least minVoiced frames of voiced.
func tlVoiced(runs, voiced []tlRun, minVoiced int) []tlRun {
	keep := runs[:0]
	j := 0
	for _, r := range runs {
		for j < len(voiced) && voiced[j].e <= r.s {
			j++
		}
		n := 0
		for k := j; k < len(voiced) && voiced[k].s < r.e; k++ {
			n += min(voiced[k].e, r.e) - max(voiced[k].s, r.s)
		}
		if n >= minVoiced {
			keep = append(keep, r)
		}
	}
	return keep
}

// tlClassify classifies the overlap starting at frame s among the channels
// active then (design card §5).
func tlClassify(s int, active []int, runs [][]tlRun, o TimelineOptions) Overlap {
	seg := func(c int) tlRun {
		rs := runs[c]
		i := sort.Search(len(rs), func(i int) bool { return rs[i].e > s })
		return rs[i]
	}
	by := active[0]
	for _, c := range active[1:] {
		a, b := seg(c), seg(by)
		if a.s > b.s || (a.s == b.s && a.e-a.s < b.e-b.s) {
			by = c
		}
	}
	of := -1
	for _, c := range active {
		if c == by {
			continue
		}
		if of < 0 || seg(c).s < seg(of).s {
			of = c
		}
	}
	b, a := seg(by), seg(of)
	ov := Overlap{Kind: OverlapOvertalk, By: by, Of: of}
	switch {
	case b.e-b.s < tlFrames(o.BackchannelMax) && b.s >= a.s && b.e <= a.e:
		ov.Kind = OverlapBackchannel
	case b.s > a.s && b.e-b.s >= tlFrames(o.InterruptMinTalk) &&
		a.e <= b.s+tlFrames(o.InterruptYield) && a.e < b.e:
		ov.Kind = OverlapInterruption
	}
	return ov
}
