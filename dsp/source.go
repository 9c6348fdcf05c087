package dsp

import (
	"errors"
	"fmt"
	"io"
)

// Encoding is how the samples of a PCM stream are coded.
type Encoding uint8

// Sample encodings. The zero value is integer PCM, so a Format literal
// without an Encoding describes ordinary linear PCM.
const (
	EncodingPCM   Encoding = iota // linear integer PCM: 8-bit unsigned, 16/24/32-bit signed
	EncodingFloat                 // IEEE 754 float, 32 or 64 bits
	EncodingMuLaw                 // ITU-T G.711 µ-law, 8 bits
	EncodingALaw                  // ITU-T G.711 A-law, 8 bits
)

// String returns "pcm", "float", "mulaw" or "alaw".
func (e Encoding) String() string {
	switch e {
	case EncodingPCM:
		return "pcm"
	case EncodingFloat:
		return "float"
	case EncodingMuLaw:
		return "mulaw"
	case EncodingALaw:
		return "alaw"
	}
	return fmt.Sprintf("Encoding(%d)", uint8(e))
}

// Format describes an interleaved PCM stream.
type Format struct {
	Channels      int
	SampleRate    int // frames per second
	BitsPerSample int // container bits per sample as stored (8, 16, 24, 32, 64)
	Encoding      Encoding
	// FormatTag is the WAVE format tag as found in the file (1 PCM, 3 IEEE
	// float, 6 A-law, 7 µ-law, 0xFFFE WAVE_FORMAT_EXTENSIBLE); 0 for streams
	// that did not come from a WAVE file.
	FormatTag uint16
}

// Source is a stream of interleaved float32 frames, the input of the
// analysis. ReadFrames follows the io.Reader contract adapted to frames:
// len(dst) must be a multiple of Format().Channels; it returns the number of
// whole frames written to dst (n*Channels samples), and io.EOF once the
// stream is exhausted (possibly together with n > 0). Callers must process
// the n frames before looking at err.
type Source interface {
	Format() Format
	ReadFrames(dst []float32) (frames int, err error)
}

// ErrFormatMismatch is wrapped by Concat when the sources do not share a
// channel count and sample rate.
var ErrFormatMismatch = errors.New("sources differ in channels or sample rate")

// Concat joins sources end to end, as the chunks of one recording: ACS
// splits long recordings into several WAV files that form one timeline. All
// sources must have the same Channels and SampleRate; otherwise Concat
// returns an error wrapping ErrFormatMismatch that names the first chunk
// (0-based index) that differs. The other Format fields may differ between
// chunks (each source decodes its own samples); the joined Format reports
// those of the first source. Errors from a source are wrapped with its chunk
// index. The joined source fills dst across chunk boundaries.
func Concat(srcs ...Source) (Source, error) {
	if len(srcs) == 0 {
		return nil, errors.New("dsp: concat: no sources")
	}
	for i, s := range srcs {
		if s == nil {
			return nil, fmt.Errorf("dsp: concat: chunk %d is nil", i)
		}
	}
	f0 := srcs[0].Format()
	if f0.Channels <= 0 {
		return nil, fmt.Errorf("dsp: concat: chunk 0 has %d channels", f0.Channels)
	}
	for i, s := range srcs[1:] {
		f := s.Format()
		if f.Channels != f0.Channels || f.SampleRate != f0.SampleRate {
			return nil, fmt.Errorf("dsp: concat: chunk %d has %d channels at %d Hz, chunk 0 has %d channels at %d Hz: %w",
				i+1, f.Channels, f.SampleRate, f0.Channels, f0.SampleRate, ErrFormatMismatch)
		}
	}
	return &concatSource{srcs: append([]Source(nil), srcs...), format: f0}, nil
}

// concatSource reads its sources one after the other.
type concatSource struct {
	srcs   []Source
	cur    int
	format Format
	err    error // sticky
}

func (c *concatSource) Format() Format { return c.format }

func (c *concatSource) ReadFrames(dst []float32) (int, error) {
	ch := c.format.Channels
	if len(dst)%ch != 0 {
		return 0, fmt.Errorf("dsp: ReadFrames: len(dst) = %d is not a multiple of %d channels", len(dst), ch)
	}
	if c.err != nil {
		return 0, c.err
	}
	n := 0
	for n*ch < len(dst) {
		if c.cur >= len(c.srcs) {
			c.err = io.EOF
			break
		}
		m, err := c.srcs[c.cur].ReadFrames(dst[n*ch:])
		if m < 0 || (m*ch) > len(dst)-n*ch {
			c.err = fmt.Errorf("dsp: concat: chunk %d returned an invalid frame count %d", c.cur, m)
			return n, c.err
		}
		n += m
		if err == io.EOF {
			c.cur++
			continue
		}
		if err != nil {
			c.err = fmt.Errorf("chunk %d: %w", c.cur, err)
			return n, c.err
		}
		if m == 0 {
			// A source that returns (0, nil) is not making progress; give the
			// caller what we have rather than spinning.
			break
		}
	}
	if c.err != nil {
		return n, c.err
	}
	return n, nil
}
