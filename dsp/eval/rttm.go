// Package eval scores callscope's analysis against ground truth, following
// the evaluation protocol of the project's DSP anchors (§4.1 and §4.2.1):
// talk time per channel on a 10 ms grid (miss, false alarm, detection error
// rate, precision, recall, signed talk-time error, with no collar and with a
// ±0.25 s collar), overlap and mutual silence (frame precision, recall, F1,
// seconds error), and DTMF event matching (hits, misses, false digits,
// splits, start/end error median and p95).
//
// It parses the truth formats found in the corpus: NIST RTTM speaker
// segments and JSON lists of DTMF tones.
package eval

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Limits on hostile truth files.
const (
	MaxLineBytes = 64 << 10
	MaxSegments  = 1 << 20
)

// RTTMSegment is one SPEAKER line of an RTTM file.
type RTTMSegment struct {
	File     string
	Channel  int // the RTTM channel field (1-based by NIST convention)
	Onset    float64
	Duration float64
	Speaker  string
}

// ParseError is a malformed line in a truth file.
type ParseError struct {
	Line int
	Err  error
}

func (e *ParseError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *ParseError) Unwrap() error { return e.Err }

// ParseRTTM reads the SPEAKER lines of an RTTM file. Other line types and
// blank or ";;" comment lines are skipped.
func ParseRTTM(r io.Reader) ([]RTTMSegment, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), MaxLineBytes)
	var out []RTTMSegment
	line := 0
	for sc.Scan() {
		line++
		f := strings.Fields(sc.Text())
		if len(f) == 0 || strings.HasPrefix(f[0], ";;") || f[0] != "SPEAKER" {
			continue
		}
		if len(f) < 8 {
			return nil, &ParseError{line, fmt.Errorf("SPEAKER line has %d fields, want ≥ 8", len(f))}
		}
		ch, err := strconv.Atoi(f[2])
		if err != nil || ch < 0 || ch > 1<<16 {
			return nil, &ParseError{line, fmt.Errorf("channel %q: want a small non-negative integer", f[2])}
		}
		on, err := rttmTime(f[3])
		if err != nil {
			return nil, &ParseError{line, fmt.Errorf("onset: %w", err)}
		}
		dur, err := rttmTime(f[4])
		if err != nil {
			return nil, &ParseError{line, fmt.Errorf("duration: %w", err)}
		}
		if len(out) >= MaxSegments {
			return nil, &ParseError{line, fmt.Errorf("more than %d segments", MaxSegments)}
		}
		out = append(out, RTTMSegment{File: f[1], Channel: ch, Onset: on, Duration: dur, Speaker: f[7]})
	}
	if err := sc.Err(); err != nil {
		return nil, &ParseError{line + 1, err}
	}
	return out, nil
}

// rttmTime parses a non-negative, finite time in seconds (≤ 1 week).
func rttmTime(s string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if math.IsNaN(v) || v < 0 || v > 7*24*3600 {
		return 0, fmt.Errorf("%q: want 0 ≤ t ≤ 604800 s", s)
	}
	return v, nil
}

// Interval is a half-open span [Start, End) in seconds.
type Interval struct{ Start, End float64 }

// ChannelMap maps RTTM lines to recording channels. A key is either an
// RTTM speaker name or an RTTM channel number; the value is the 0-based
// recording channel. Lines matching no key go to RTTM channel − 1.
type ChannelMap map[string]int

// ParseChannelMap parses "KEY=CH,KEY=CH" (e.g. "speaker90=0,speaker91=0"
// or "1=0,2=1").
func ParseChannelMap(s string) (ChannelMap, error) {
	m := ChannelMap{}
	if strings.TrimSpace(s) == "" {
		return m, nil
	}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("channel map entry %q: want KEY=CHANNEL", kv)
		}
		c, err := strconv.Atoi(v)
		if err != nil || c < 0 || c > 1<<10 {
			return nil, fmt.Errorf("channel map entry %q: channel must be a small non-negative integer", kv)
		}
		m[k] = c
	}
	return m, nil
}

// Channels groups RTTM segments into per-channel interval lists (nch
// channels; segments mapped outside them are an error).
func (m ChannelMap) Channels(segs []RTTMSegment, nch int) ([][]Interval, error) {
	out := make([][]Interval, nch)
	for _, s := range segs {
		c, ok := m[s.Speaker]
		if !ok {
			c, ok = m[strconv.Itoa(s.Channel)]
		}
		if !ok {
			c = s.Channel - 1
		}
		if c < 0 || c >= nch {
			return nil, fmt.Errorf("rttm speaker %s (channel field %d) maps to channel %d; the recording has %d", s.Speaker, s.Channel, c, nch)
		}
		out[c] = append(out[c], Interval{s.Onset, s.Onset + s.Duration})
	}
	return out, nil
}
