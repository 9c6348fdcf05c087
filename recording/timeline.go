package recording

import (
	"sort"
	"time"
)

// ChunkSpan is what the timeline needs to know of one chunk: when its audio
// starts, how long the audio is (as read from the WAV, not the metadata's
// chunkDuration), and the spans paused inside it.
type ChunkSpan struct {
	Start        time.Time
	AudioSeconds float64
	Pauses       []PauseInterval
}

// Pause is a paused span placed on the audio timeline: Offset is the audio
// offset in seconds (chunks concatenated) at which the audio jumps over it.
type Pause struct {
	Offset   float64
	Start    time.Time
	Duration time.Duration
}

// End returns the wall-clock time the recording resumed.
func (p Pause) End() time.Time { return p.Start.Add(p.Duration) }

// Timeline maps an offset in a recording's audio (chunks concatenated in
// index order, paused spans cut out) to wall-clock time:
//
//	wall(t) = chunkStartTime + (t - chunkOffset) + Σ durations of the chunk's pauses at or before t
//
// The zero Timeline maps every offset to the zero time.
type Timeline struct {
	chunks []timelineChunk
	pauses []Pause
}

type timelineChunk struct {
	offset float64 // audio offset of the chunk's first sample
	span   ChunkSpan
	pauses []Pause // this chunk's pauses, Offset relative to the recording
}

// NewTimeline builds the timeline of chunks given in index order.
func NewTimeline(chunks []ChunkSpan) *Timeline {
	t := &Timeline{}
	off := 0.0
	for _, c := range chunks {
		tc := timelineChunk{offset: off, span: c}
		ps := append([]PauseInterval(nil), c.Pauses...)
		sort.SliceStable(ps, func(i, j int) bool { return ps[i].StartTime.Before(ps[j].StartTime) })
		var before time.Duration
		for _, p := range ps {
			// Audio recorded before the pause = wall time since chunk start
			// minus earlier pauses.
			in := p.StartTime.Sub(c.Start) - before
			o := in.Seconds()
			if o < 0 {
				o = 0
			}
			if o > c.AudioSeconds {
				o = c.AudioSeconds
			}
			tp := Pause{Offset: off + o, Start: p.StartTime, Duration: p.Duration()}
			tc.pauses = append(tc.pauses, tp)
			t.pauses = append(t.pauses, tp)
			before += p.Duration()
		}
		t.chunks = append(t.chunks, tc)
		off += c.AudioSeconds
	}
	return t
}

// Duration returns the total audio duration in seconds.
func (t *Timeline) Duration() float64 {
	if len(t.chunks) == 0 {
		return 0
	}
	last := t.chunks[len(t.chunks)-1]
	return last.offset + last.span.AudioSeconds
}

// Pauses returns the paused spans in audio order. The slice is shared; do not
// modify it.
func (t *Timeline) Pauses() []Pause { return t.pauses }

// PausedSeconds returns the total paused time.
func (t *Timeline) PausedSeconds() float64 {
	var d time.Duration
	for _, p := range t.pauses {
		d += p.Duration
	}
	return d.Seconds()
}

// ChunkOffsets returns the audio offset at which each chunk starts.
func (t *Timeline) ChunkOffsets() []float64 {
	out := make([]float64, len(t.chunks))
	for i, c := range t.chunks {
		out[i] = c.offset
	}
	return out
}

// Start returns the wall-clock time of audio offset 0.
func (t *Timeline) Start() time.Time { return t.WallClock(0) }

// End returns the wall-clock time of the end of the audio.
func (t *Timeline) End() time.Time { return t.WallClock(t.Duration()) }

// WallClock maps an audio offset in seconds to wall-clock time. Audio at a
// pause's offset belongs to the resumed side of the pause. Offsets past the
// end extrapolate from the last chunk.
func (t *Timeline) WallClock(offset float64) time.Time {
	if len(t.chunks) == 0 {
		return time.Time{}
	}
	i := sort.Search(len(t.chunks), func(i int) bool { return t.chunks[i].offset > offset }) - 1
	if i < 0 {
		i = 0
	}
	c := t.chunks[i]
	in := offset - c.offset
	w := c.span.Start.Add(time.Duration(in * float64(time.Second)))
	for _, p := range c.pauses {
		if p.Offset <= offset {
			w = w.Add(p.Duration)
		}
	}
	return w
}
