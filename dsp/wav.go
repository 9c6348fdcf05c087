package dsp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/go-audio/audio"
)

// Limits applied to WAVE headers before anything is sized from them.
const (
	// MaxChannels is the largest channel count NewReader accepts.
	MaxChannels = 8
	// wavMaxFmtSize bounds the fmt chunk; real ones are 16, 18, 20 or 40
	// bytes.
	wavMaxFmtSize = 1024
	// wavScratchFrames is the size of the Reader's one scratch buffer, in
	// frames: at most 4096 × 8 channels × 8 bytes = 256 KiB. Narrower
	// frames get more of them, up to wavScratchBytes: a read that large
	// goes past a bufio.Reader's buffer (64 KiB in pipeline) straight
	// into the scratch, one copy of the whole file fewer.
	wavScratchFrames = 4096
	wavScratchBytes  = 128 << 10
)

// WAVE format tags.
const (
	wavTagPCM        = 0x0001
	wavTagFloat      = 0x0003
	wavTagALaw       = 0x0006
	wavTagMuLaw      = 0x0007
	wavTagExtensible = 0xFFFE
)

// wavSubFormatSuffix is bytes 2..15 of every KSDATAFORMAT_SUBTYPE_* GUID
// derived from a format tag (00000000-0000-0010-8000-00aa00389b71); the first
// two bytes hold the tag.
var wavSubFormatSuffix = [14]byte{0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71}

// wavSoxUnknown is the data size sox writes, rounded down to a whole
// frame, when it cannot seek back to finalize the header (output to a pipe).
const wavSoxUnknown = 0x7FFFF000

// wavSampleRates are the rates NewReader accepts.
var wavSampleRates = [...]int{8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000, 96000}

// FormatError reports a malformed WAVE file. Offset is the byte offset from
// the start of the file of the field or chunk at fault.
type FormatError struct {
	Offset int64
	Msg    string
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("dsp: malformed WAVE file at byte offset %d: %s", e.Offset, e.Msg)
}

// UnsupportedError reports a well-formed WAVE file whose format NewReader
// does not handle (too many channels, an unknown format tag, a sample rate
// outside the supported set). It wraps errors.ErrUnsupported.
type UnsupportedError struct {
	Offset int64
	Msg    string
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("dsp: unsupported WAVE file at byte offset %d: %s", e.Offset, e.Msg)
}

// Unwrap returns errors.ErrUnsupported.
func (e *UnsupportedError) Unwrap() error { return errors.ErrUnsupported }

// TruncatedError reports a file that ends before what its headers declare:
// inside a chunk header, inside a chunk, or before the end of the data
// chunk. Offset is the byte offset at which the input ended. It wraps
// io.ErrUnexpectedEOF.
type TruncatedError struct {
	Offset int64
	Msg    string // what was being read
}

func (e *TruncatedError) Error() string {
	return fmt.Sprintf("dsp: WAVE file truncated at byte offset %d: %s", e.Offset, e.Msg)
}

// Unwrap returns io.ErrUnexpectedEOF.
func (e *TruncatedError) Unwrap() error { return io.ErrUnexpectedEOF }

// Reader decodes a RIFF/WAVE stream into interleaved float32 frames. It
// reads sequentially and never seeks, so the input may be a network body or
// a pipe. Memory is fixed at construction: one scratch buffer of at most 4096
// frames; ReadFrames does not allocate.
//
// Supported: integer PCM 8 (unsigned), 16, 24 and 32-bit; IEEE float 32 and
// 64-bit; G.711 µ-law and A-law (format tags 7 and 6);
// WAVE_FORMAT_EXTENSIBLE with a PCM, float, µ-law or A-law sub-format; 1 to
// MaxChannels channels; sample rates 8000, 11025, 16000, 22050, 24000,
// 32000, 44100, 48000 and 96000 Hz.
//
// Chunks may come in any order before the data chunk, provided fmt comes
// before data (a sequential reader cannot go back); unknown chunks (bext,
// LIST, JUNK, PAD, FLLR, ...) are skipped together with their pad byte.
// Nothing after the data chunk is read. The RIFF size field is not trusted
// (writers get it wrong); the data chunk size is. A data size of 0 or
// 0xFFFFFFFF marks a file whose writer never finalized the header (ffmpeg
// writing to a pipe uses 0xFFFFFFFF): the data then runs to the end of the
// input, and a trailing partial frame is dropped; so does sox's placeholder for output to a pipe (0x7FFFF000
// rounded down to a whole frame). An odd data size is fine; bytes after the last whole frame are
// ignored.
//
// Samples are scaled to full scale 1.0: integer PCM is divided by 2^(bits-1)
// (so 16-bit −32768 is −1.0 and 32767 is 0.99997), G.711 codes are decoded
// to their 16-bit linear value and divided by 32768, and float samples are
// passed through, with NaN read as 0 and values outside [−1, 1) clamped.
// Every sample returned is in [−1, 1).
type Reader struct {
	r          io.Reader
	format     Format
	audioFmt   audio.Format // for PCMBuffer
	blockAlign int
	frames     int64 // declared frames, -1 when unknown
	remaining  int64 // data bytes not yet read, -1 when unknown (read to EOF)
	off        int64 // offset of the next byte to read from r
	buf        []byte
	err        error // sticky
}

// NewReader parses the RIFF/WAVE headers from r up to the first byte of the
// data chunk and returns a Reader positioned there. Header errors are
// *FormatError, *UnsupportedError or *TruncatedError, all carrying the byte
// offset. Every header value is validated before anything is allocated from
// it.
func NewReader(r io.Reader) (*Reader, error) {
	wr := &Reader{r: r, frames: -1, remaining: -1}
	if err := wr.readHeaders(); err != nil {
		return nil, err
	}
	wr.buf = make([]byte, max(wavScratchFrames, wavScratchBytes/wr.blockAlign)*wr.blockAlign)
	wr.audioFmt = audio.Format{NumChannels: wr.format.Channels, SampleRate: wr.format.SampleRate}
	return wr, nil
}

// Format returns the stream's format.
func (r *Reader) Format() Format { return r.format }

// Frames returns the number of frames the data chunk declares, or -1 when
// the header was never finalized and the data runs to the end of the input.
// A truncated file delivers fewer frames than declared, and ReadFrames then
// ends with a *TruncatedError.
func (r *Reader) Frames() int64 { return r.frames }

// wavFull reads exactly len(b) bytes, advancing r.off by what was read. At a
// clean end (no byte read) it returns io.EOF; otherwise a short read is
// io.ErrUnexpectedEOF.
func (r *Reader) wavFull(b []byte) (int, error) {
	n, err := io.ReadFull(r.r, b)
	r.off += int64(n)
	return n, err
}

// wavSkip discards n bytes.
func (r *Reader) wavSkip(n int64, what string) error {
	if n == 0 {
		return nil
	}
	// Always read, never seek: the same input gives the same result (and
	// error offset) whether or not it is seekable, and chunks before the
	// data are small.
	m, err := io.CopyN(io.Discard, r.r, n)
	r.off += m
	if err != nil {
		if err == io.EOF {
			return &TruncatedError{Offset: r.off, Msg: what}
		}
		return fmt.Errorf("dsp: reading WAVE file at byte offset %d: %w", r.off, err)
	}
	return nil
}

func (r *Reader) wavTruncOrErr(err error, what string) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return &TruncatedError{Offset: r.off, Msg: what}
	}
	return fmt.Errorf("dsp: reading WAVE file at byte offset %d (%s): %w", r.off, what, err)
}

func (r *Reader) readHeaders() error {
	var hdr [12]byte
	if _, err := r.wavFull(hdr[:]); err != nil {
		return r.wavTruncOrErr(err, "RIFF header")
	}
	switch string(hdr[0:4]) {
	case "RIFF":
	case "RF64", "BW64":
		return &UnsupportedError{Offset: 0, Msg: fmt.Sprintf("%q (64-bit RIFF) files", hdr[0:4])}
	case "RIFX":
		return &UnsupportedError{Offset: 0, Msg: "big-endian RIFX files"}
	default:
		return &FormatError{Offset: 0, Msg: fmt.Sprintf("not a RIFF file (starts with %q)", hdr[0:4])}
	}
	if string(hdr[8:12]) != "WAVE" {
		return &FormatError{Offset: 8, Msg: fmt.Sprintf("RIFF form type is %q, not \"WAVE\"", hdr[8:12])}
	}
	haveFmt := false
	for {
		chunkOff := r.off
		var ch [8]byte
		n, err := r.wavFull(ch[:])
		if err == io.EOF && n == 0 {
			if haveFmt {
				return &FormatError{Offset: chunkOff, Msg: "no data chunk"}
			}
			return &FormatError{Offset: chunkOff, Msg: "no fmt chunk and no data chunk"}
		}
		if err != nil {
			return r.wavTruncOrErr(err, "chunk header")
		}
		id := string(ch[0:4])
		size := int64(binary.LittleEndian.Uint32(ch[4:8]))
		switch id {
		case "fmt ":
			if haveFmt {
				return &FormatError{Offset: chunkOff, Msg: "second fmt chunk"}
			}
			if err := r.readFmt(chunkOff, size); err != nil {
				return err
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return &FormatError{Offset: chunkOff, Msg: "data chunk before fmt chunk"}
			}
			if size == 0 || size == 0xFFFFFFFF || size == wavSoxUnknown-wavSoxUnknown%int64(r.blockAlign) {
				r.frames, r.remaining = -1, -1
			} else {
				r.frames = size / int64(r.blockAlign)
				r.remaining = r.frames * int64(r.blockAlign)
			}
			return nil
		default:
			if err := r.wavSkip(size+size&1, fmt.Sprintf("%q chunk at byte offset %d (%d bytes)", ch[0:4], chunkOff, size)); err != nil {
				return err
			}
		}
	}
}

// readFmt parses the fmt chunk body (size bytes, header at chunkOff) and
// consumes its pad byte.
func (r *Reader) readFmt(chunkOff, size int64) error {
	body := chunkOff + 8
	if size < 16 {
		return &FormatError{Offset: chunkOff + 4, Msg: fmt.Sprintf("fmt chunk of %d bytes, want at least 16", size)}
	}
	if size > wavMaxFmtSize {
		return &FormatError{Offset: chunkOff + 4, Msg: fmt.Sprintf("fmt chunk of %d bytes, limit %d", size, wavMaxFmtSize)}
	}
	var b [40]byte
	want := min(size, int64(len(b)))
	if _, err := r.wavFull(b[:want]); err != nil {
		return r.wavTruncOrErr(err, "fmt chunk")
	}
	if err := r.wavSkip(size-want+size&1, "fmt chunk"); err != nil {
		return err
	}
	tag := binary.LittleEndian.Uint16(b[0:2])
	channels := int(binary.LittleEndian.Uint16(b[2:4]))
	rate := int64(binary.LittleEndian.Uint32(b[4:8]))
	blockAlign := int(binary.LittleEndian.Uint16(b[12:14]))
	bits := int(binary.LittleEndian.Uint16(b[14:16]))

	subTag := tag
	if tag == wavTagExtensible {
		if size < 40 {
			return &FormatError{Offset: chunkOff + 4, Msg: fmt.Sprintf("WAVE_FORMAT_EXTENSIBLE fmt chunk of %d bytes, want 40", size)}
		}
		if cb := binary.LittleEndian.Uint16(b[16:18]); cb < 22 {
			return &FormatError{Offset: body + 16, Msg: fmt.Sprintf("WAVE_FORMAT_EXTENSIBLE extension of %d bytes, want 22", cb)}
		}
		valid := int(binary.LittleEndian.Uint16(b[18:20]))
		if valid > bits {
			return &FormatError{Offset: body + 18, Msg: fmt.Sprintf("%d valid bits in a %d-bit container", valid, bits)}
		}
		if [14]byte(b[26:40]) != wavSubFormatSuffix {
			return &UnsupportedError{Offset: body + 24, Msg: fmt.Sprintf("sub-format GUID % x", b[24:40])}
		}
		subTag = binary.LittleEndian.Uint16(b[24:26])
	}

	var enc Encoding
	switch subTag {
	case wavTagPCM:
		enc = EncodingPCM
		if bits != 8 && bits != 16 && bits != 24 && bits != 32 {
			return &UnsupportedError{Offset: body + 14, Msg: fmt.Sprintf("%d-bit integer PCM", bits)}
		}
	case wavTagFloat:
		enc = EncodingFloat
		if bits != 32 && bits != 64 {
			return &UnsupportedError{Offset: body + 14, Msg: fmt.Sprintf("%d-bit float", bits)}
		}
	case wavTagMuLaw, wavTagALaw:
		enc = EncodingMuLaw
		if subTag == wavTagALaw {
			enc = EncodingALaw
		}
		if bits != 8 {
			return &UnsupportedError{Offset: body + 14, Msg: fmt.Sprintf("%d-bit G.711 %s", bits, enc)}
		}
	default:
		off := body
		if tag == wavTagExtensible {
			off = body + 24
		}
		return &UnsupportedError{Offset: off, Msg: fmt.Sprintf("format tag 0x%04x", subTag)}
	}
	if channels < 1 {
		return &FormatError{Offset: body + 2, Msg: "0 channels"}
	}
	if channels > MaxChannels {
		return &UnsupportedError{Offset: body + 2, Msg: fmt.Sprintf("%d channels (limit %d)", channels, MaxChannels)}
	}
	rateOK := false
	for _, sr := range wavSampleRates {
		if int64(sr) == rate {
			rateOK = true
		}
	}
	if !rateOK {
		return &UnsupportedError{Offset: body + 4, Msg: fmt.Sprintf("sample rate %d Hz (supported: %v)", rate, wavSampleRates)}
	}
	if blockAlign != channels*bits/8 {
		return &FormatError{Offset: body + 12, Msg: fmt.Sprintf("block align %d, want %d for %d channels of %d bits", blockAlign, channels*bits/8, channels, bits)}
	}
	r.format = Format{Channels: channels, SampleRate: int(rate), BitsPerSample: bits, Encoding: enc, FormatTag: tag}
	r.blockAlign = blockAlign
	return nil
}

// ReadFrames decodes up to len(dst)/Channels frames into dst, interleaved.
// It fills dst unless the data ends first. At the end of the data it
// returns io.EOF, together with the last frames when there are any; when
// the input ends before the declared data size it returns the whole frames
// present and a *TruncatedError. Errors are sticky. ReadFrames does not
// allocate.
func (r *Reader) ReadFrames(dst []float32) (int, error) {
	ch := r.format.Channels
	if len(dst)%ch != 0 {
		return 0, fmt.Errorf("dsp: ReadFrames: len(dst) = %d is not a multiple of %d channels", len(dst), ch)
	}
	if r.err != nil {
		return 0, r.err
	}
	want := len(dst) / ch
	n := 0
	for n < want {
		k := min(want-n, len(r.buf)/r.blockAlign)
		if r.remaining >= 0 {
			k = int(min(int64(k), r.remaining/int64(r.blockAlign)))
			if k == 0 {
				r.err = io.EOF
				break
			}
		}
		nb := k * r.blockAlign
		got, err := r.wavFull(r.buf[:nb])
		whole := got / r.blockAlign
		r.wavDecode(dst[n*ch:(n+whole)*ch], r.buf[:whole*r.blockAlign], len(dst) >= wavStreamSamples)
		n += whole
		if r.remaining >= 0 {
			r.remaining -= int64(got)
		}
		if err != nil {
			switch {
			case (err == io.EOF || err == io.ErrUnexpectedEOF) && r.remaining < 0:
				// Unfinalized header: the data ends where the input ends.
				r.err = io.EOF
			case err == io.EOF || err == io.ErrUnexpectedEOF:
				r.err = &TruncatedError{Offset: r.off, Msg: fmt.Sprintf("data chunk declares %d frames, %d bytes missing", r.frames, r.remaining)}
			default:
				r.err = fmt.Errorf("dsp: reading WAVE data at byte offset %d: %w", r.off, err)
			}
			break
		}
	}
	if r.err == nil && r.remaining >= 0 && r.remaining < int64(r.blockAlign) {
		r.err = io.EOF
	}
	if n == want && r.err != nil && r.err != io.EOF {
		// Deliver the full buffer now, the error on the next call.
		return n, nil
	}
	return n, r.err
}

// PCMBuffer is ReadFrames in go-audio's vocabulary: it fills the
// caller-owned buf.Data (whose length must be a multiple of the channel
// count; it is not resized), sets buf.Format and buf.SourceBitDepth, and
// returns the number of samples (not frames) written, as go-audio's
// Decoder.PCMBuffer does. Unlike go-audio it reports the end with io.EOF
// and does not allocate.
func (r *Reader) PCMBuffer(buf *audio.Float32Buffer) (int, error) {
	if buf == nil {
		return 0, errors.New("dsp: PCMBuffer: nil buffer")
	}
	buf.Format = &r.audioFmt
	buf.SourceBitDepth = r.format.BitsPerSample
	n, err := r.ReadFrames(buf.Data)
	return n * r.format.Channels, err
}

// wavDecode converts whole frames from src into dst (len(dst) samples).
func (r *Reader) wavDecode(dst []float32, src []byte, stream bool) {
	switch r.format.Encoding {
	case EncodingPCM:
		switch r.format.BitsPerSample {
		case 8:
			src = src[:len(dst)]
			for i, b := range src {
				dst[i] = float32(int(b)-128) * (1.0 / 128)
			}
		case 16:
			// The hot path of a 16-bit recording: SIMD where there is
			// a kernel, then two bytes per step with one bounds check.
			for i := decode16(dst, src, stream); i < len(dst); i++ {
				b := src[2*i : 2*i+2 : 2*i+2]
				dst[i] = float32(int16(uint16(b[0])|uint16(b[1])<<8)) * (1.0 / 32768)
			}
		case 24:
			src = src[:3*len(dst)]
			for i := range dst {
				b := src[3*i : 3*i+3]
				v := int32(uint32(b[0])<<8|uint32(b[1])<<16|uint32(b[2])<<24) >> 8
				dst[i] = float32(v) * (1.0 / 8388608)
			}
		case 32:
			src = src[:4*len(dst)]
			for i := range dst {
				v := int32(binary.LittleEndian.Uint32(src[4*i:]))
				dst[i] = wavClamp(float32(float64(v) * (1.0 / 2147483648)))
			}
		}
	case EncodingFloat:
		if r.format.BitsPerSample == 32 {
			src = src[:4*len(dst)]
			for i := range dst {
				dst[i] = wavClamp(math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:])))
			}
		} else {
			src = src[:8*len(dst)]
			for i := range dst {
				dst[i] = wavClamp(float32(math.Float64frombits(binary.LittleEndian.Uint64(src[8*i:]))))
			}
		}
	case EncodingMuLaw:
		src = src[:len(dst)]
		for i, b := range src {
			dst[i] = g711MuLawFloat[b]
		}
	case EncodingALaw:
		src = src[:len(dst)]
		for i, b := range src {
			dst[i] = g711ALawFloat[b]
		}
	}
}

// decode16 converts a prefix of the 16-bit samples src into dst with a
// SIMD kernel, where there is one, and returns how many it did; stream
// asks for stores that bypass the cache.
var decode16 = func(dst []float32, src []byte, stream bool) int { return 0 }

// wavStreamSamples: a ReadFrames into at least this many samples (256 KB
// of float32, a block Analyze hands to other goroutines) stores the
// decoded samples past the cache. Written again after another core has
// read it, a cached block would first have to be fetched back from that
// core, line by line (0.3 s of a 1 h 4-channel call's 2 s).
const wavStreamSamples = 64 << 10

// wavBelowOne is the largest float32 below 1.
const wavBelowOne = float32(1 - 1.0/(1<<24))

// wavClamp maps NaN to 0 and clamps to [-1, 1).
func wavClamp(x float32) float32 {
	switch {
	case x >= wavBelowOne:
		return wavBelowOne
	case x < -1:
		return -1
	case x != x:
		return 0
	}
	return x
}
