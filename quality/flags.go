package quality

import (
	"fmt"
	"math"

	"github.com/callscope/callscope/dsp"
)

// eps absorbs rounding in threshold comparisons: metrics are sums of 10 ms
// frames, so 10 s may arrive as 9.999999999.
const eps = 1e-9

func tol(t float64) float64 { return eps * math.Max(1, math.Abs(t)) }

// above reports v > t; atLeast v ≥ t; below v < t (each with tolerance).
func above(v, t float64) bool   { return v > t+tol(t) }
func atLeast(v, t float64) bool { return v >= t-tol(t) }
func below(v, t float64) bool   { return v < t-tol(t) }

func fptr(v float64) *float64 { return &v }
func iptr(v int) *int         { return &v }

// clock formats an audio offset as m:ss.s for details.
func clock(s float64) string {
	m := int(s / 60)
	return fmt.Sprintf("%d:%04.1f", m, s-float64(m*60))
}

func (s *state) add(f Flag) { s.flags = append(s.flags, f) }

// who names a channel and its role for details.
func (s *state) who(c int) string { return fmt.Sprintf("channel %d (%s)", c, s.roles[c]) }

func (e *Evaluator) builtin(s *state) {
	f := &e.cfg.Flags
	m := s.r.Call

	// one-way audio first: it fills Verdict.OneWay whether or not the flag
	// is enabled.
	e.oneWay(s)

	if c := f.DeadAir; c.Enabled {
		var longest *dsp.Silence
		n, total := 0, 0.0
		for i := range s.r.Silences {
			si := &s.r.Silences[i]
			if d := si.Duration(); atLeast(d, c.MinS) {
				n++
				total += d
				if longest == nil || d > longest.Duration() {
					longest = si
				}
			}
		}
		if longest != nil {
			sev, thr := c.Severity, c.MinS
			if c.CriticalS > 0 && atLeast(longest.Duration(), c.CriticalS) {
				sev, thr = SeverityCritical, c.CriticalS
			}
			s.add(Flag{Name: FlagDeadAir, Severity: sev, Value: longest.Duration(), Threshold: thr,
				StartS: fptr(longest.Start),
				Detail: fmt.Sprintf("%d silence(s) ≥ %g s, %.1f s in total; longest %.1f s at %s", n, c.MinS, total, longest.Duration(), clock(longest.Start))})
		}
	}

	if c := f.NonTalkShare; c.Enabled && m.DurationS > 0 {
		share := m.NonTalkS / m.DurationS
		if above(share, c.MaxShare) {
			fl := Flag{Name: FlagNonTalkShare, Severity: c.Severity, Value: share, Threshold: c.MaxShare,
				Detail: fmt.Sprintf("non-talk %.1f s of %.1f s recorded (%.1f %%)", m.NonTalkS, m.DurationS, 100*share)}
			if l := longestSilence(s.r.Silences); l != nil {
				fl.StartS = fptr(l.Start)
			}
			s.add(fl)
		}
	}

	if c := f.Overtalk; c.Enabled {
		if m.TalkS > 0 {
			share := m.OverlapS / m.TalkS
			if above(share, c.MaxShare) {
				fl := Flag{Name: FlagOvertalk, Severity: c.Severity, Value: share, Threshold: c.MaxShare,
					Detail: fmt.Sprintf("overlap %.1f s = %.1f %% of talk time, %d event(s)", m.OverlapS, 100*share, m.OverlapCount)}
				if o := longestOverlap(s.r.Overlaps); o != nil {
					fl.StartS = fptr(o.Start)
				}
				s.add(fl)
			}
		}
		for ch, r := range s.ch {
			bound, ok := c.MaxInterruptions[s.roles[ch]]
			if !ok || bound < 0 || r.InterruptionsMade <= bound {
				continue
			}
			fl := Flag{Name: FlagOvertalk, Severity: c.Severity, Channel: iptr(ch), Value: float64(r.InterruptionsMade),
				Threshold: float64(bound),
				Detail:    fmt.Sprintf("%s interrupted %d time(s), bound %d", s.who(ch), r.InterruptionsMade, bound)}
			// Point at the interruption that crossed the bound.
			k := 0
			for _, o := range s.r.Overlaps {
				if o.Kind == dsp.OverlapInterruption && o.By == ch {
					if k == bound {
						fl.StartS = fptr(o.Start)
						break
					}
					k++
				}
			}
			s.add(fl)
		}
	}

	if c := f.AgentMonologue; c.Enabled {
		for ch, r := range s.ch {
			if s.roles[ch] != RoleAgent || !above(r.LongestMonologueS, c.MaxS) {
				continue
			}
			fl := Flag{Name: FlagAgentMonologue, Severity: c.Severity, Channel: iptr(ch), Value: r.LongestMonologueS,
				Threshold: c.MaxS,
				Detail:    fmt.Sprintf("%s talked %.1f s without a turn", s.who(ch), r.LongestMonologueS)}
			if st, ok := monologueStart(s.r.Segments, ch, r.LongestMonologueS); ok {
				fl.StartS = fptr(st)
			}
			s.add(fl)
		}
	}

	if c := f.TalkRatio; c.Enabled {
		agent, sum, agents, last := 0.0, 0.0, 0, -1
		for ch, r := range s.ch {
			sum += r.TalkS
			if s.roles[ch] == RoleAgent {
				agent += r.TalkS
				agents++
				last = ch
			}
		}
		if agents > 0 && agents < s.n && sum > 0 && atLeast(sum, c.MinTalkS) {
			share := agent / sum
			var thr float64
			var what string
			switch {
			case above(share, c.MaxShare):
				thr, what = c.MaxShare, "above"
			case below(share, c.MinShare):
				thr, what = c.MinShare, "below"
			}
			if what != "" {
				fl := Flag{Name: FlagTalkRatio, Severity: c.Severity, Value: share, Threshold: thr,
					Detail: fmt.Sprintf("agent share of speech %.1f %% (%.1f of %.1f s), %s the %.0f–%.0f %% band", 100*share, agent, sum, what, 100*c.MinShare, 100*c.MaxShare)}
				if agents == 1 {
					fl.Channel = iptr(last)
				}
				s.add(fl)
			}
		}
	}

	for ch, r := range s.ch {
		measured := r.Levels != (dsp.Levels{})
		if c := f.LowLevel; c.Enabled && measured && atLeast(r.TalkS, c.MinTalkS) && below(r.Levels.SpeechLevelDBFS, c.MinDBFS) {
			s.add(Flag{Name: FlagLowLevel, Severity: c.Severity, Channel: iptr(ch), Value: r.Levels.SpeechLevelDBFS,
				Threshold: c.MinDBFS,
				Detail:    fmt.Sprintf("%s active speech level %.1f dBFS, below %g dBFS", s.who(ch), r.Levels.SpeechLevelDBFS, c.MinDBFS)})
		}
		if c := f.LowSNR; c.Enabled && measured && atLeast(r.TalkS, c.MinTalkS) && below(r.Levels.SNRDB, c.MinDB) {
			s.add(Flag{Name: FlagLowSNR, Severity: c.Severity, Channel: iptr(ch), Value: r.Levels.SNRDB,
				Threshold: c.MinDB,
				Detail:    fmt.Sprintf("%s SNR %.1f dB (speech %.1f dBFS, noise floor %.1f dBFS), below %g dB", s.who(ch), r.Levels.SNRDB, r.Levels.SpeechLevelDBFS, r.Levels.NoiseFloorDBFS, c.MinDB)})
		}
		if c := f.Clipping; c.Enabled && measured && above(r.Levels.ClippedRatio, c.MaxRatio) {
			s.add(Flag{Name: FlagClipping, Severity: c.Severity, Channel: iptr(ch), Value: r.Levels.ClippedRatio,
				Threshold: c.MaxRatio,
				Detail:    fmt.Sprintf("%s %.3f %% of samples clipped (peak %.1f dBFS)", s.who(ch), 100*r.Levels.ClippedRatio, r.Levels.PeakDBFS)})
		}
		if c := f.DTMFCaptured; c.Enabled {
			n := max(r.DTMFCount, countTones(s.r.Tones, ch))
			if n > c.MaxCount {
				// Never the digits: counts and times only (PCI).
				fl := Flag{Name: FlagDTMFCaptured, Severity: c.Severity, Channel: iptr(ch), Value: float64(n),
					Threshold: float64(c.MaxCount),
					Detail:    fmt.Sprintf("%d DTMF digit(s) recorded on %s; possible card or PIN entry, the recording should have been paused", n, s.who(ch))}
				for _, t := range s.r.Tones {
					if t.Channel == ch {
						fl.StartS = fptr(t.Start)
						break
					}
				}
				s.add(fl)
			}
		}
		if c := f.ChannelUnmapped; c.Enabled && !s.parts[ch].Mapped {
			fl := Flag{Name: FlagChannelUnmapped, Severity: c.Severity, Channel: iptr(ch), Value: r.TalkS,
				Detail: fmt.Sprintf("channel %d has no participant in the recording metadata (%.1f s of speech)", ch, r.TalkS)}
			if !s.mapped {
				fl.Detail += "; no channel is mapped: metadata missing?"
			}
			s.add(fl)
		}
	}

	if c := f.RecordingIncomplete; c.Enabled && !s.in.Complete {
		d := fmt.Sprintf("%d chunk(s) analyzed", s.in.Chunks)
		if s.in.MissingChunks > 0 {
			d += fmt.Sprintf(", %d missing below the highest index", s.in.MissingChunks)
		} else {
			d += "; the last did not end with SessionEnded"
		}
		s.add(Flag{Name: FlagRecordingIncomplete, Severity: c.Severity, Value: float64(s.in.MissingChunks), Detail: d})
	}

	if c := f.ShortRecording; c.Enabled && below(m.DurationS, c.MinS) {
		s.add(Flag{Name: FlagShortRecording, Severity: c.Severity, Value: m.DurationS, Threshold: c.MinS,
			Detail: fmt.Sprintf("%.1f s recorded, below %g s", m.DurationS, c.MinS)})
	}
}

// oneWay marks channels that stay silent, at the noise floor, while the
// others talk, and raises one_way_audio for them. With metadata present,
// unmapped channels are left to channel_unmapped. A channel whose Levels
// are all zero (not measured) is judged on talk alone.
func (e *Evaluator) oneWay(s *state) {
	c := e.cfg.Flags.OneWayAudio
	total := 0.0
	for _, r := range s.ch {
		total += r.TalkS
	}
	for ch, r := range s.ch {
		if s.mapped && !s.parts[ch].Mapped {
			continue
		}
		others := total - r.TalkS
		if above(r.TalkS, c.MaxTalkS) || !atLeast(others, c.MinOtherTalkS) {
			continue
		}
		lv := r.Levels
		// Levels all zero were not measured: decide on talk alone.
		floor := lv == (dsp.Levels{}) || math.IsNaN(lv.SpeechLevelDBFS) || math.IsInf(lv.SpeechLevelDBFS, 0) ||
			!above(lv.SpeechLevelDBFS, c.SilentDBFS) ||
			!above(lv.SNRDB, c.MaxSNRDB) // NaN SNR counts as at the floor
		if !floor {
			continue
		}
		s.oneWay[ch] = true
		if !c.Enabled {
			continue
		}
		fl := Flag{Name: FlagOneWayAudio, Severity: c.Severity, Channel: iptr(ch), Value: r.TalkS, Threshold: c.MaxTalkS,
			Detail: fmt.Sprintf("%s: %.1f s of speech while the others talked %.1f s; level %.1f dBFS, SNR %.1f dB", s.who(ch), r.TalkS, others, lv.SpeechLevelDBFS, lv.SNRDB)}
		for _, sg := range s.r.Segments {
			if sg.Channel != ch {
				fl.StartS = fptr(sg.Start)
				break
			}
		}
		s.add(fl)
	}
}

func countTones(ts []dsp.Tone, ch int) int {
	n := 0
	for _, t := range ts {
		if t.Channel == ch {
			n++
		}
	}
	return n
}

func longestSilence(ss []dsp.Silence) *dsp.Silence {
	var best *dsp.Silence
	for i := range ss {
		if best == nil || ss[i].Duration() > best.Duration() {
			best = &ss[i]
		}
	}
	return best
}

func longestOverlap(os []dsp.Overlap) *dsp.Overlap {
	var best *dsp.Overlap
	for i := range os {
		if os[i].Kind == dsp.OverlapBackchannel {
			continue
		}
		if best == nil || os[i].Duration() > best.Duration() {
			best = &os[i]
		}
	}
	return best
}

// monologueStart estimates where channel ch's longest monologue starts:
// runs of ch's segments are split wherever another channel talks for 1 s
// or more (a turn, not a back-channel), and the run whose span is closest
// to want is chosen. dsp does not report the start, so this is a pointer
// for the reviewer, not a metric.
func monologueStart(segs []dsp.Segment, ch int, want float64) (float64, bool) {
	bestStart, bestDiff, found := 0.0, math.Inf(1), false
	runStart, runEnd, open := 0.0, 0.0, false
	closeRun := func() {
		if open {
			if d := math.Abs((runEnd - runStart) - want); d < bestDiff {
				bestStart, bestDiff, found = runStart, d, true
			}
		}
		open = false
	}
	for _, sg := range segs {
		switch {
		case sg.Channel == ch && !open:
			runStart, runEnd, open = sg.Start, sg.End, true
		case sg.Channel == ch:
			runEnd = math.Max(runEnd, sg.End)
		case sg.Duration() >= 1 && open && sg.End > runEnd:
			// another talker takes a turn (not a back-channel inside ch's speech)
			closeRun()
		}
	}
	closeRun()
	return bestStart, found
}
