package dsp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/go-audio/audio"
	"github.com/go-audio/wav"
)

// ---- test helpers: an independent WAVE writer and chunk walker ----

// wavTChunk is one RIFF chunk; size overrides the size field when non-nil.
type wavTChunk struct {
	id   string
	body []byte
	size *uint32
}

func wavTU32(v uint32) *uint32 { return &v }

// wavTFile assembles a RIFF/WAVE file, padding odd chunks. riffSize
// overrides the RIFF size field when non-nil.
func wavTFile(riffSize *uint32, chunks ...wavTChunk) []byte {
	var b bytes.Buffer
	b.WriteString("RIFF")
	b.Write([]byte{0, 0, 0, 0})
	b.WriteString("WAVE")
	for _, c := range chunks {
		b.WriteString(c.id)
		sz := uint32(len(c.body))
		if c.size != nil {
			sz = *c.size
		}
		binary.Write(&b, binary.LittleEndian, sz)
		b.Write(c.body)
		if len(c.body)%2 == 1 {
			b.WriteByte(0)
		}
	}
	out := b.Bytes()
	rs := uint32(len(out) - 8)
	if riffSize != nil {
		rs = *riffSize
	}
	binary.LittleEndian.PutUint32(out[4:], rs)
	return out
}

// wavTFmt is a plain 16-byte fmt chunk.
func wavTFmt(tag uint16, channels, rate, bits int) wavTChunk {
	b := make([]byte, 16)
	ba := channels * bits / 8
	binary.LittleEndian.PutUint16(b[0:], tag)
	binary.LittleEndian.PutUint16(b[2:], uint16(channels))
	binary.LittleEndian.PutUint32(b[4:], uint32(rate))
	binary.LittleEndian.PutUint32(b[8:], uint32(rate*ba))
	binary.LittleEndian.PutUint16(b[12:], uint16(ba))
	binary.LittleEndian.PutUint16(b[14:], uint16(bits))
	return wavTChunk{id: "fmt ", body: b}
}

// wavTFmtExt is a 40-byte WAVE_FORMAT_EXTENSIBLE fmt chunk.
func wavTFmtExt(subTag uint16, channels, rate, bits, valid int) wavTChunk {
	c := wavTFmt(wavTagExtensible, channels, rate, bits)
	b := append(c.body, make([]byte, 24)...)
	binary.LittleEndian.PutUint16(b[16:], 22)
	binary.LittleEndian.PutUint16(b[18:], uint16(valid))
	binary.LittleEndian.PutUint32(b[20:], 0x3) // channel mask, irrelevant
	binary.LittleEndian.PutUint16(b[24:], subTag)
	copy(b[26:], wavSubFormatSuffix[:])
	return wavTChunk{id: "fmt ", body: b}
}

func wavTData(b []byte) wavTChunk { return wavTChunk{id: "data", body: b} }

// wavTReadAll reads every frame with a buffer of bufFrames frames.
func wavTReadAll(t testing.TB, src Source, bufFrames int) ([]float32, error) {
	t.Helper()
	ch := src.Format().Channels
	buf := make([]float32, bufFrames*ch)
	var out []float32
	for i := 0; ; i++ {
		n, err := src.ReadFrames(buf)
		out = append(out, buf[:n*ch]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		if n == 0 && i > 1e7 {
			t.Fatal("no progress")
		}
	}
}

// onlyReader hides Seek and everything else, proving NewReader does not need
// it.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// oneByteReader returns at most one byte per Read, to exercise short reads.
type oneByteReader struct{ r io.Reader }

func (o oneByteReader) Read(p []byte) (int, error) {
	if len(p) > 1 {
		p = p[:1]
	}
	return o.r.Read(p)
}

// wavTWalk is the test's own chunk walker over a whole file: it returns
// the fmt chunk body and the data chunk's offset and size.
func wavTWalk(t *testing.T, b []byte) (fmtBody []byte, dataOff, dataSize int) {
	t.Helper()
	if string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		t.Fatal("not RIFF/WAVE")
	}
	for off := 12; off+8 <= len(b); {
		id := string(b[off : off+4])
		sz := int(binary.LittleEndian.Uint32(b[off+4:]))
		switch id {
		case "fmt ":
			fmtBody = b[off+8 : off+8+sz]
		case "data":
			return fmtBody, off + 8, sz
		}
		off += 8 + sz + sz%2
	}
	t.Fatal("no data chunk")
	return
}

// wavTExpected decodes sample i of a PCM data chunk with encoding/binary.
func wavTExpected(data []byte, bits, i int) float64 {
	switch bits {
	case 8:
		return (float64(data[i]) - 128) / 128
	case 16:
		return float64(int16(binary.LittleEndian.Uint16(data[2*i:]))) / 32768
	case 24:
		u := uint32(data[3*i]) | uint32(data[3*i+1])<<8 | uint32(data[3*i+2])<<16
		v := int64(u)
		if u&0x800000 != 0 {
			v -= 1 << 24
		}
		return float64(v) / (1 << 23)
	case 32:
		return float64(int32(binary.LittleEndian.Uint32(data[4*i:]))) / (1 << 31)
	}
	panic("bits")
}

// ---- the corpus ----

// wavCorpus lists every WAV in testdata/corpus with facts checked by hand
// (channels, rate, bits, frames = data size / block align).
var wavCorpus = []struct {
	path                 string
	channels, rate, bits int
	frames               int64
}{
	{"wav-fixtures/8bit.wav", 1, 44100, 8, 88200},
	{"wav-fixtures/32bit.wav", 1, 44100, 32, 88200},
	{"wav-fixtures/kick.wav", 1, 22050, 16, 4484},
	{"wav-fixtures/kick-16b441k.wav", 2, 44100, 16, 7782},
	{"wav-fixtures/bass.wav", 2, 44100, 24, 23957},
	{"wav-fixtures/dirty-kick-24b441k.wav", 2, 44100, 24, 21340},
	{"wav-fixtures/listChunkInHeader.wav", 2, 44100, 24, 15318},
	{"wav-fixtures/padded24b.wav", 1, 44100, 24, 3713}, // data 11140 bytes: one stray byte
	{"wav-fixtures/listinfo.wav", 1, 44100, 16, 88200},
	{"wav-fixtures/flloop.wav", 2, 44100, 16, 108281},
	{"wav-fixtures/bwf.wav", 1, 44100, 24, 7287},
	{"wav-fixtures/misaligned-chunk.wav", 2, 44100, 24, 564480},
	{"ami/es2004a_750-810_4ch.wav", 4, 16000, 16, 960000},
	{"synthcall/synthcall_2ch.wav", 2, 16000, 16, 406560},
	{"synthcall/synthcall_2ch_bleed.wav", 2, 16000, 16, 406560},
	{"pyannote/sample.wav", 1, 16000, 16, 480000},
	{"pyannote/empty.wav", 1, 16000, 16, 16000},
	{"dtmf/100by100at8000Hz/0123456789PpsPABCD.wav", 1, 8000, 16, 35200},
	{"dtmf/100by100at8000Hz/0123456789psABCD.wav", 1, 8000, 16, 19200},
	{"dtmf/100by100at8000Hz/AAAABBBB.wav", 1, 8000, 16, 9600},
	{"dtmf/50by50at16000Hz/0123456789psABCD.wav", 1, 16000, 16, 25600},
	{"dtmf/50by50at8000HzRadioOverlay/0123456789psABCD--0db.wav", 1, 8000, 16, 13122},
	{"dtmf/50by50at8000HzRadioOverlay/0123456789psABCD--min7db.wav", 1, 8000, 16, 17641},
}

func TestReaderCorpus(t *testing.T) {
	// Every WAV in the corpus must be in the table.
	var found int
	filepath.WalkDir("../testdata/corpus", func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".wav") {
			found++
		}
		return nil
	})
	if found != len(wavCorpus) {
		t.Errorf("testdata/corpus holds %d WAV files, the table %d", found, len(wavCorpus))
	}
	for _, tc := range wavCorpus {
		t.Run(tc.path, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("../testdata/corpus", tc.path))
			if err != nil {
				t.Fatal(err)
			}
			fb, dataOff, dataSize := wavTWalk(t, raw)
			blockAlign := int(binary.LittleEndian.Uint16(fb[12:]))

			r, err := NewReader(onlyReader{bytes.NewReader(raw)})
			if err != nil {
				t.Fatal(err)
			}
			want := Format{Channels: tc.channels, SampleRate: tc.rate, BitsPerSample: tc.bits, Encoding: EncodingPCM, FormatTag: 1}
			if r.Format() != want {
				t.Errorf("Format = %+v, want %+v", r.Format(), want)
			}
			if r.Frames() != tc.frames || r.Frames() != int64(dataSize/blockAlign) {
				t.Errorf("Frames = %d, want %d (data %d bytes / block %d)", r.Frames(), tc.frames, dataSize, blockAlign)
			}
			got, err := wavTReadAll(t, r, 1000)
			if err != nil {
				t.Fatal(err)
			}
			if int64(len(got)) != tc.frames*int64(tc.channels) {
				t.Fatalf("read %d samples, want %d", len(got), tc.frames*int64(tc.channels))
			}
			data := raw[dataOff:]
			for i, v := range got {
				e := wavTExpected(data, tc.bits, i)
				if math.Abs(float64(v)-e) > 1e-7 || v < -1 || v >= 1 {
					t.Fatalf("sample %d (frame %d ch %d) = %v, want %v", i, i/tc.channels, i%tc.channels, v, e)
				}
			}
		})
	}
}

// TestReaderGoAudioCrossCheck decodes the 16, 24 and 32-bit corpus files
// with go-audio's wav.Decoder as well and compares.
func TestReaderGoAudioCrossCheck(t *testing.T) {
	for _, tc := range wavCorpus {
		if tc.bits == 8 || (testing.Short() && tc.frames > 200000) {
			continue
		}
		t.Run(tc.path, func(t *testing.T) {
			p := filepath.Join("../testdata/corpus", tc.path)
			f, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			dec := wav.NewDecoder(f)
			ib := &audio.IntBuffer{Data: make([]int, 4096*tc.channels)}
			var ref []int
			for {
				n, err := dec.PCMBuffer(ib)
				if err != nil {
					t.Fatal(err)
				}
				if n == 0 {
					break
				}
				ref = append(ref, ib.Data[:n]...)
			}
			f2, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer f2.Close()
			r, err := NewReader(f2)
			if err != nil {
				t.Fatal(err)
			}
			got, err := wavTReadAll(t, r, 777)
			if err != nil {
				t.Fatal(err)
			}
			// go-audio counts a trailing partial sample (padded24b); it never
			// has fewer.
			if len(ref) < len(got) || len(ref) > len(got)+1 {
				t.Fatalf("go-audio %d samples, ours %d", len(ref), len(got))
			}
			scale := math.Ldexp(1, tc.bits-1)
			for i, v := range got {
				if e := float64(ref[i]) / scale; math.Abs(float64(v)-e) > 1e-7 {
					t.Fatalf("sample %d: ours %v, go-audio %v", i, v, e)
				}
			}
		})
	}
}

// TestReaderGoAudioEncoder writes files with go-audio's Encoder and reads
// them back.
func TestReaderGoAudioEncoder(t *testing.T) {
	for _, bits := range []int{8, 16, 24, 32} {
		for _, ch := range []int{1, 2, 4, 8} {
			for _, rate := range []int{8000, 16000, 48000} {
				name := fmt.Sprintf("%dbit_%dch_%d", bits, ch, rate)
				t.Run(name, func(t *testing.T) {
					p := filepath.Join(t.TempDir(), name+".wav")
					f, err := os.Create(p)
					if err != nil {
						t.Fatal(err)
					}
					frames := 5000
					max := 1<<(bits-1) - 1
					data := make([]int, frames*ch)
					for i := range data {
						// A deterministic spread over the whole range,
						// including both extremes.
						v := int((int64(i)*2654435761)%int64(2*max+2)) - max - 1
						if i == 0 {
							v = max
						}
						if i == 1 {
							v = -max - 1
						}
						data[i] = v
					}
					enc := wav.NewEncoder(f, rate, bits, ch, 1)
					stored := data
					if bits == 8 { // go-audio writes uint8(v): 8-bit WAV is unsigned
						stored = make([]int, len(data))
						for i, v := range data {
							stored[i] = v + 128
						}
					}
					if err := enc.Write(&audio.IntBuffer{Format: &audio.Format{NumChannels: ch, SampleRate: rate}, Data: stored, SourceBitDepth: bits}); err != nil {
						t.Fatal(err)
					}
					if err := enc.Close(); err != nil {
						t.Fatal(err)
					}
					f.Close()
					raw, err := os.ReadFile(p)
					if err != nil {
						t.Fatal(err)
					}
					r, err := NewReader(bytes.NewReader(raw))
					if err != nil {
						t.Fatal(err)
					}
					if r.Frames() != int64(frames) || r.Format().Channels != ch || r.Format().SampleRate != rate || r.Format().BitsPerSample != bits {
						t.Fatalf("frames %d format %+v", r.Frames(), r.Format())
					}
					got, err := wavTReadAll(t, r, 333)
					if err != nil {
						t.Fatal(err)
					}
					if len(got) != len(data) {
						t.Fatalf("%d samples, want %d", len(got), len(data))
					}
					scale := math.Ldexp(1, bits-1)
					for i, v := range got {
						e := float64(data[i]) / scale
						if math.Abs(float64(v)-e) > 1e-7 || v >= 1 || v < -1 {
							t.Fatalf("sample %d = %v, want %v", i, v, e)
						}
					}
				})
			}
		}
	}
}

// ---- generated formats ----

func TestReaderFloat(t *testing.T) {
	vals := []float64{0, 0.5, -0.5, 0.999, -1, 1, 1.5, -2, math.NaN(), math.Inf(1), math.Inf(-1), 1e-30, -0.25}
	want := []float32{0, 0.5, -0.5, 0.999, -1, wavBelowOne, wavBelowOne, -1, 0, wavBelowOne, -1, 1e-30, -0.25}
	for _, bits := range []int{32, 64} {
		for _, ext := range []bool{false, true} {
			t.Run(fmt.Sprintf("%d/ext=%v", bits, ext), func(t *testing.T) {
				var data []byte
				for _, v := range vals {
					if bits == 32 {
						data = binary.LittleEndian.AppendUint32(data, math.Float32bits(float32(v)))
					} else {
						data = binary.LittleEndian.AppendUint64(data, math.Float64bits(v))
					}
				}
				fc := wavTFmt(wavTagFloat, 1, 48000, bits)
				tag := uint16(wavTagFloat)
				if ext {
					fc = wavTFmtExt(wavTagFloat, 1, 48000, bits, bits)
					tag = wavTagExtensible
				}
				r, err := NewReader(bytes.NewReader(wavTFile(nil, fc, wavTData(data))))
				if err != nil {
					t.Fatal(err)
				}
				if f := r.Format(); f.Encoding != EncodingFloat || f.BitsPerSample != bits || f.FormatTag != tag {
					t.Fatalf("format %+v", f)
				}
				got, err := wavTReadAll(t, r, 4)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != len(want) {
					t.Fatalf("%d samples", len(got))
				}
				for i := range want {
					if got[i] != want[i] {
						t.Errorf("sample %d (%v) = %v, want %v", i, vals[i], got[i], want[i])
					}
				}
			})
		}
	}
}

func TestReaderG711(t *testing.T) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	for _, tc := range []struct {
		name string
		tag  uint16
		enc  Encoding
		dec  func(byte) int16
		ext  bool
	}{
		{"mulaw", wavTagMuLaw, EncodingMuLaw, g711MuLawToLinear, false},
		{"alaw", wavTagALaw, EncodingALaw, g711ALawToLinear, false},
		{"mulaw-ext", wavTagMuLaw, EncodingMuLaw, g711MuLawToLinear, true},
		{"alaw-ext", wavTagALaw, EncodingALaw, g711ALawToLinear, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fc := wavTFmt(tc.tag, 2, 8000, 8)
			if tc.ext {
				fc = wavTFmtExt(tc.tag, 2, 8000, 8, 8)
			}
			// G.711 WAVs usually carry an 18-byte fmt with cbSize 0 and a
			// fact chunk.
			if !tc.ext {
				fc.body = append(fc.body, 0, 0)
			}
			r, err := NewReader(bytes.NewReader(wavTFile(nil, fc, wavTChunk{id: "fact", body: []byte{128, 0, 0, 0}}, wavTData(all))))
			if err != nil {
				t.Fatal(err)
			}
			if r.Format().Encoding != tc.enc || r.Frames() != 128 {
				t.Fatalf("format %+v frames %d", r.Format(), r.Frames())
			}
			got, err := wavTReadAll(t, r, 10)
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range got {
				if want := float32(tc.dec(byte(i))) / 32768; v != want {
					t.Errorf("code 0x%02x = %v, want %v", i, v, want)
				}
			}
		})
	}
}

func TestReaderExtensiblePCM(t *testing.T) {
	// 8 channels, 48 kHz, 24 bits in a 32-bit container, each channel a
	// distinct constant.
	const ch, frames = 8, 3000
	var data []byte
	for f := 0; f < frames; f++ {
		for c := 0; c < ch; c++ {
			v := int32((c - 4) * 1000000 << 8)
			data = binary.LittleEndian.AppendUint32(data, uint32(v))
		}
	}
	r, err := NewReader(onlyReader{bytes.NewReader(wavTFile(nil, wavTFmtExt(wavTagPCM, ch, 48000, 32, 24), wavTData(data)))})
	if err != nil {
		t.Fatal(err)
	}
	want := Format{Channels: 8, SampleRate: 48000, BitsPerSample: 32, Encoding: EncodingPCM, FormatTag: wavTagExtensible}
	if r.Format() != want || r.Frames() != frames {
		t.Fatalf("format %+v frames %d", r.Format(), r.Frames())
	}
	got, err := wavTReadAll(t, r, 4096)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != ch*frames {
		t.Fatalf("%d samples", len(got))
	}
	for i, v := range got {
		if want := float32(float64((i%ch-4)*1000000) / (1 << 23)); math.Abs(float64(v-want)) > 1e-7 {
			t.Fatalf("sample %d = %v, want %v", i, v, want)
		}
	}
}

// ---- container edge cases ----

func wavT16(vals ...int16) []byte {
	var b []byte
	for _, v := range vals {
		b = binary.LittleEndian.AppendUint16(b, uint16(v))
	}
	return b
}

func TestReaderContainer(t *testing.T) {
	pcm := wavT16(100, -100, 200, -200, 300, -300)
	odd := wavTChunk{id: "inst", body: []byte{1, 2, 3, 4, 5, 6, 7}}
	bext := wavTChunk{id: "bext", body: make([]byte, 602)}
	list := wavTChunk{id: "LIST", body: append([]byte("INFOISFT"), 5, 0, 0, 0, 'h', 'e', 'l', 'l', 'o', 0)}
	for _, tc := range []struct {
		name   string
		file   []byte
		ch     int
		frames int64
		n      int // frames read
	}{
		{"plain", wavTFile(nil, wavTFmt(1, 2, 16000, 16), wavTData(pcm)), 2, 3, 3},
		{"bext-before-fmt", wavTFile(nil, bext, wavTFmt(1, 2, 16000, 16), wavTData(pcm)), 2, 3, 3},
		{"odd-chunk-before-data", wavTFile(nil, wavTFmt(1, 1, 8000, 16), odd, list, wavTData(pcm)), 1, 6, 6},
		{"odd-before-fmt", wavTFile(nil, odd, wavTFmt(1, 1, 8000, 16), wavTData(pcm)), 1, 6, 6},
		{"list-after-data", wavTFile(nil, wavTFmt(1, 1, 8000, 16), wavTData(pcm), list), 1, 6, 6},
		{"riff-size-off-by-one", wavTFile(wavTU32(uint32(44+len(pcm)-8-1)), wavTFmt(1, 1, 8000, 16), wavTData(pcm)), 1, 6, 6},
		{"riff-size-zero", wavTFile(wavTU32(0), wavTFmt(1, 1, 8000, 16), wavTData(pcm)), 1, 6, 6},
		{"odd-data", wavTFile(nil, wavTFmt(1, 1, 8000, 16), wavTData(append(wavT16(1, 2, 3), 9)), list), 1, 3, 3},
		{"data-not-multiple-of-block", wavTFile(nil, wavTFmt(1, 2, 8000, 16), wavTData(pcm[:10]), list), 2, 2, 2},
		{"odd-8bit-data", wavTFile(nil, wavTFmt(1, 1, 8000, 8), wavTData([]byte{128, 129, 130}), list), 1, 3, 3},
		{"unfinalized-0", wavTFile(nil, wavTFmt(1, 2, 16000, 16), wavTChunk{id: "data", body: pcm, size: wavTU32(0)}), 2, -1, 3},
		{"unfinalized-ffffffff", wavTFile(nil, wavTFmt(1, 2, 16000, 16), wavTChunk{id: "data", body: pcm, size: wavTU32(0xFFFFFFFF)}), 2, -1, 3},
		{"unfinalized-partial-frame", wavTFile(nil, wavTFmt(1, 2, 16000, 16), wavTChunk{id: "data", body: pcm[:11], size: wavTU32(0)})[:44+11], 2, -1, 2},
		{"sox-pipe-placeholder", wavTFile(nil, wavTFmt(1, 2, 16000, 16), wavTChunk{id: "data", body: pcm, size: wavTU32(0x7FFFF000)}), 2, -1, 3},
		{"sox-pipe-placeholder-3ch", wavTFile(nil, wavTFmtExt(wavTagPCM, 3, 16000, 16, 16), wavTChunk{id: "data", body: pcm, size: wavTU32(0x7FFFEFFC)}), 3, -1, 2},
		{"empty-data", wavTFile(nil, wavTFmt(1, 2, 16000, 16), wavTChunk{id: "data", body: nil, size: wavTU32(0)}), 2, -1, 0},
		{"rate-11025", wavTFile(nil, wavTFmt(1, 1, 11025, 16), wavTData(pcm)), 1, 6, 6},
		{"rate-96000", wavTFile(nil, wavTFmt(1, 1, 96000, 16), wavTData(pcm)), 1, 6, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, short := range []bool{false, true} {
				var in io.Reader = bytes.NewReader(tc.file)
				if short {
					in = oneByteReader{in}
				}
				r, err := NewReader(in)
				if err != nil {
					t.Fatal(err)
				}
				if r.Format().Channels != tc.ch || r.Frames() != tc.frames {
					t.Fatalf("channels %d frames %d, want %d, %d", r.Format().Channels, r.Frames(), tc.ch, tc.frames)
				}
				got, err := wavTReadAll(t, r, 2)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != tc.n*tc.ch {
					t.Fatalf("read %d samples, want %d", len(got), tc.n*tc.ch)
				}
				// Reading past the end keeps returning io.EOF.
				if n, err := r.ReadFrames(make([]float32, tc.ch)); n != 0 || err != io.EOF {
					t.Fatalf("after end: %d, %v", n, err)
				}
			}
		})
	}
}

func TestReaderErrors(t *testing.T) {
	pcm := wavT16(1, 2, 3, 4)
	badBlock := wavTFmt(1, 2, 16000, 16)
	binary.LittleEndian.PutUint16(badBlock.body[12:], 3)
	wrongGUID := wavTFmtExt(wavTagPCM, 1, 16000, 16, 16)
	wrongGUID.body[30] ^= 0xFF
	shortExt := wavTFmtExt(wavTagPCM, 1, 16000, 16, 16)
	shortExt.body = shortExt.body[:18]
	validTooBig := wavTFmtExt(wavTagPCM, 1, 16000, 16, 20)
	zeroCh := wavTFmt(1, 0, 16000, 16)
	var (
		formatErr      *FormatError
		unsupportedErr *UnsupportedError
		truncErr       *TruncatedError
	)
	for _, tc := range []struct {
		name   string
		file   []byte
		target any
		offset int64
		msg    string
	}{
		{"empty", nil, &truncErr, 0, "RIFF header"},
		{"not-riff", []byte("OggS0000WAVEfmt "), &formatErr, 0, "not a RIFF"},
		{"rifx", []byte("RIFX0000WAVE"), &unsupportedErr, 0, "RIFX"},
		{"rf64", []byte("RF640000WAVE"), &unsupportedErr, 0, "64-bit"},
		{"not-wave", []byte("RIFF0000AVI "), &formatErr, 8, "WAVE"},
		{"no-chunks", wavTFile(nil), &formatErr, 12, "no fmt chunk"},
		{"no-data", wavTFile(nil, wavTFmt(1, 1, 8000, 16)), &formatErr, 36, "no data chunk"},
		{"data-before-fmt", wavTFile(nil, wavTData(pcm), wavTFmt(1, 1, 8000, 16)), &formatErr, 12, "before fmt"},
		{"two-fmt", wavTFile(nil, wavTFmt(1, 1, 8000, 16), wavTFmt(1, 1, 8000, 16), wavTData(pcm)), &formatErr, 36, "second fmt"},
		{"fmt-too-small", wavTFile(nil, wavTChunk{id: "fmt ", body: make([]byte, 14)}, wavTData(pcm)), &formatErr, 16, "at least 16"},
		{"fmt-huge", wavTFile(nil, wavTChunk{id: "fmt ", body: make([]byte, 16), size: wavTU32(0xFFFFFFF0)}), &formatErr, 16, "limit"},
		{"fmt-truncated", wavTFile(nil, wavTFmt(1, 1, 8000, 16))[:30], &truncErr, 30, "fmt chunk"},
		{"chunk-header-truncated", wavTFile(nil, wavTFmt(1, 1, 8000, 16))[:40], &truncErr, 40, "chunk header"},
		{"junk-huge", wavTFile(nil, wavTFmt(1, 1, 8000, 16), wavTChunk{id: "JUNK", body: make([]byte, 10), size: wavTU32(0xFFFFFFF0)}), &truncErr, 54, "JUNK"},
		{"block-align", wavTFile(nil, badBlock, wavTData(pcm)), &formatErr, 32, "block align"},
		{"zero-channels", wavTFile(nil, zeroCh, wavTData(pcm)), &formatErr, 22, "0 channels"},
		{"9-channels", wavTFile(nil, wavTFmt(1, 9, 8000, 16), wavTData(pcm)), &unsupportedErr, 22, "9 channels"},
		{"65535-channels", wavTFile(nil, wavTFmt(1, 65535, 8000, 16), wavTData(pcm)), &unsupportedErr, 22, "65535 channels"},
		{"rate", wavTFile(nil, wavTFmt(1, 1, 12345, 16), wavTData(pcm)), &unsupportedErr, 24, "12345"},
		{"rate-0", wavTFile(nil, wavTFmt(1, 1, 0, 16), wavTData(pcm)), &unsupportedErr, 24, "sample rate 0"},
		{"12-bit", wavTFile(nil, wavTFmt(1, 1, 8000, 12), wavTData(pcm)), &unsupportedErr, 34, "12-bit"},
		{"float-16", wavTFile(nil, wavTFmt(3, 1, 8000, 16), wavTData(pcm)), &unsupportedErr, 34, "16-bit float"},
		{"mulaw-16", wavTFile(nil, wavTFmt(7, 1, 8000, 16), wavTData(pcm)), &unsupportedErr, 34, "mulaw"},
		{"adpcm", wavTFile(nil, wavTFmt(2, 1, 8000, 4), wavTData(pcm)), &unsupportedErr, 20, "0x0002"},
		{"ext-guid", wavTFile(nil, wrongGUID, wavTData(pcm)), &unsupportedErr, 44, "GUID"},
		{"ext-short", wavTFile(nil, shortExt, wavTData(pcm)), &formatErr, 16, "EXTENSIBLE"},
		{"ext-valid-bits", wavTFile(nil, validTooBig, wavTData(pcm)), &formatErr, 38, "valid bits"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := NewReader(bytes.NewReader(tc.file))
			if err == nil {
				t.Fatalf("no error; format %+v", r.Format())
			}
			if !errors.As(err, tc.target) {
				t.Fatalf("error %T %v", err, err)
			}
			var off int64
			switch e := err.(type) {
			case *FormatError:
				off = e.Offset
			case *UnsupportedError:
				off = e.Offset
				if !errors.Is(err, errors.ErrUnsupported) {
					t.Error("UnsupportedError does not wrap errors.ErrUnsupported")
				}
			case *TruncatedError:
				off = e.Offset
				if !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Error("TruncatedError does not wrap io.ErrUnexpectedEOF")
				}
			}
			if off != tc.offset || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q at offset %d, want offset %d and %q", err, off, tc.offset, tc.msg)
			}
		})
	}
}

func TestReaderTruncatedData(t *testing.T) {
	// 2 channels × 16 bits, data declares 100 frames, the file holds 10.5.
	var vals []int16
	for i := range 200 {
		vals = append(vals, int16(i*100))
	}
	full := wavTFile(nil, wavTFmt(1, 2, 16000, 16), wavTData(wavT16(vals...)))
	cut := full[:44+42]
	r, err := NewReader(bytes.NewReader(cut))
	if err != nil {
		t.Fatal(err)
	}
	if r.Frames() != 100 {
		t.Fatalf("Frames = %d", r.Frames())
	}
	buf := make([]float32, 2*8)
	n, err := r.ReadFrames(buf)
	if n != 8 || err != nil {
		t.Fatalf("first read: %d, %v", n, err)
	}
	n, err = r.ReadFrames(buf)
	var te *TruncatedError
	if n != 2 || !errors.As(err, &te) || te.Offset != int64(len(cut)) || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("second read: %d, %v", n, err)
	}
	if buf[3] != float32(vals[19])/32768 {
		t.Errorf("last frame %v, want %v", buf[3], float32(vals[19])/32768)
	}
	// Sticky.
	if n, err2 := r.ReadFrames(buf); n != 0 || err2 != err {
		t.Fatalf("third read: %d, %v", n, err2)
	}
	// A truncation detected only after the buffer is full is reported on the
	// next call, so the caller gets the full buffer first.
	r, _ = NewReader(bytes.NewReader(cut))
	if n, err := r.ReadFrames(make([]float32, 20)); n != 10 || err != nil {
		t.Fatalf("exact read: %d, %v", n, err)
	}
	if n, err := r.ReadFrames(make([]float32, 20)); n != 0 || !errors.As(err, &te) {
		t.Fatalf("after exact read: %d, %v", n, err)
	}
}

// errAfterReader fails with a non-EOF error after n bytes.
type errAfterReader struct {
	b   []byte
	err error
}

func (e *errAfterReader) Read(p []byte) (int, error) {
	if len(e.b) == 0 {
		return 0, e.err
	}
	n := copy(p, e.b)
	e.b = e.b[n:]
	return n, nil
}

func TestReaderIOError(t *testing.T) {
	boom := errors.New("connection reset")
	file := wavTFile(nil, wavTFmt(1, 1, 8000, 16), wavTData(make([]byte, 200)))
	r, err := NewReader(&errAfterReader{b: file[:44+50], err: boom})
	if err != nil {
		t.Fatal(err)
	}
	_, err = wavTReadAll(t, r, 7)
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "offset 94") {
		t.Fatalf("err = %v", err)
	}
	_, err = NewReader(&errAfterReader{b: file[:20], err: boom})
	if !errors.Is(err, boom) {
		t.Fatalf("header err = %v", err)
	}
}

func TestReaderBadBuffer(t *testing.T) {
	r, err := NewReader(bytes.NewReader(wavTFile(nil, wavTFmt(1, 2, 8000, 16), wavTData(wavT16(1, 2)))))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.ReadFrames(make([]float32, 3)); err == nil {
		t.Fatal("odd buffer accepted")
	}
	if n, err := r.ReadFrames(nil); n != 0 || err != nil {
		t.Fatalf("empty buffer: %d, %v", n, err)
	}
}

// TestReaderHeaderAllocation checks that a header declaring the largest
// accepted format and a 4 GiB data chunk costs no more than the fixed
// scratch buffer.
func TestReaderHeaderAllocation(t *testing.T) {
	file := wavTFile(nil, wavTFmtExt(wavTagFloat, 8, 96000, 64, 64), wavTChunk{id: "data", body: make([]byte, 64), size: wavTU32(0xFFFFFFFE)})
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	r, err := NewReader(bytes.NewReader(file))
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 300<<10 {
		t.Errorf("NewReader allocated %d bytes", got)
	}
	if r.Frames() != 0xFFFFFFFE/64 {
		t.Errorf("Frames = %d", r.Frames())
	}
	if _, err := wavTReadAll(t, r, 4096); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("err = %v", err)
	}
}

func TestReaderAllocs(t *testing.T) {
	for _, tc := range []struct {
		name string
		fc   wavTChunk
	}{
		{"pcm8", wavTFmt(1, 2, 8000, 8)},
		{"pcm16", wavTFmt(1, 4, 16000, 16)},
		{"pcm24", wavTFmt(1, 2, 48000, 24)},
		{"pcm32", wavTFmt(1, 2, 48000, 32)},
		{"float32", wavTFmt(3, 2, 48000, 32)},
		{"float64", wavTFmt(3, 2, 48000, 64)},
		{"mulaw", wavTFmt(7, 2, 8000, 8)},
		{"alaw", wavTFmt(6, 2, 8000, 8)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ba := int(binary.LittleEndian.Uint16(tc.fc.body[12:]))
			ch := int(binary.LittleEndian.Uint16(tc.fc.body[2:]))
			file := wavTFile(nil, tc.fc, wavTChunk{id: "data", body: nil, size: wavTU32(0)})
			src := io.MultiReader(bytes.NewReader(file), wavTZeros{})
			r, err := NewReader(src)
			if err != nil {
				t.Fatal(err)
			}
			buf := make([]float32, 5000*ch)
			if a := testing.AllocsPerRun(50, func() {
				if n, err := r.ReadFrames(buf); n != 5000 || err != nil {
					t.Fatal(n, err)
				}
			}); a != 0 {
				t.Errorf("%v allocs per ReadFrames (block %d)", a, ba)
			}
			fb := &audio.Float32Buffer{Data: buf}
			if a := testing.AllocsPerRun(50, func() {
				if n, err := r.PCMBuffer(fb); n != len(buf) || err != nil {
					t.Fatal(n, err)
				}
			}); a != 0 {
				t.Errorf("%v allocs per PCMBuffer", a)
			}
			if fb.Format.NumChannels != ch || fb.SourceBitDepth != r.Format().BitsPerSample {
				t.Errorf("PCMBuffer format %+v bits %d", fb.Format, fb.SourceBitDepth)
			}
		})
	}
}

// wavTZeros is an endless stream of zero bytes.
type wavTZeros struct{}

func (wavTZeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func TestPCMBuffer(t *testing.T) {
	r, err := NewReader(bytes.NewReader(wavTFile(nil, wavTFmt(1, 2, 16000, 16), wavTData(wavT16(16384, -16384, 8192, -8192, 1, 2)))))
	if err != nil {
		t.Fatal(err)
	}
	fb := &audio.Float32Buffer{Data: make([]float32, 4)}
	n, err := r.PCMBuffer(fb)
	if n != 4 || err != nil || fb.Data[0] != 0.5 || fb.Data[3] != -0.25 || fb.Format.SampleRate != 16000 || fb.Format.NumChannels != 2 || fb.SourceBitDepth != 16 {
		t.Fatalf("%d %v %+v %+v", n, err, fb.Data, fb.Format)
	}
	n, err = r.PCMBuffer(fb)
	if n != 2 || err != io.EOF {
		t.Fatalf("%d %v", n, err)
	}
	if _, err := r.PCMBuffer(nil); err == nil {
		t.Fatal("nil buffer accepted")
	}
}

func TestConcat(t *testing.T) {
	mk := func(ch, rate int, vals ...int16) *Reader {
		t.Helper()
		r, err := NewReader(bytes.NewReader(wavTFile(nil, wavTFmt(1, ch, rate, 16), wavTData(wavT16(vals...)))))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	s, err := Concat(mk(2, 16000, 1, 2, 3, 4), mk(2, 16000), mk(2, 16000, 5, 6, 7, 8, 9, 10))
	if err != nil {
		t.Fatal(err)
	}
	if s.Format().Channels != 2 || s.Format().SampleRate != 16000 {
		t.Fatalf("format %+v", s.Format())
	}
	buf := make([]float32, 6)
	n, err := s.ReadFrames(buf)
	if n != 3 || err != nil {
		t.Fatalf("%d %v", n, err)
	}
	for i, v := range buf {
		if v != float32(i+1)/32768 {
			t.Fatalf("sample %d = %v", i, v*32768)
		}
	}
	n, err = s.ReadFrames(buf)
	if n != 2 || err != io.EOF || buf[3]*32768 != 10 {
		t.Fatalf("%d %v %v", n, err, buf)
	}

	_, err = Concat(mk(2, 16000), mk(2, 16000), mk(1, 16000))
	if !errors.Is(err, ErrFormatMismatch) || !strings.Contains(err.Error(), "chunk 2") {
		t.Fatalf("channels mismatch: %v", err)
	}
	_, err = Concat(mk(2, 16000), mk(2, 8000))
	if !errors.Is(err, ErrFormatMismatch) || !strings.Contains(err.Error(), "chunk 1 has 2 channels at 8000 Hz") {
		t.Fatalf("rate mismatch: %v", err)
	}
	if _, err := Concat(); err == nil {
		t.Fatal("empty concat accepted")
	}

	// An error inside chunk 1 is reported with the chunk index.
	trunc := wavTFile(nil, wavTFmt(1, 1, 8000, 16), wavTData(wavT16(1, 2, 3, 4)))[:44+5]
	tr, err := NewReader(bytes.NewReader(trunc))
	if err != nil {
		t.Fatal(err)
	}
	s, _ = Concat(mk(1, 8000, 1), tr)
	_, err = wavTReadAll(t, s, 10)
	if !errors.Is(err, io.ErrUnexpectedEOF) || !strings.HasPrefix(err.Error(), "chunk 1: ") {
		t.Fatalf("err = %v", err)
	}
}

func TestEncodingString(t *testing.T) {
	for e, want := range map[Encoding]string{EncodingPCM: "pcm", EncodingFloat: "float", EncodingMuLaw: "mulaw", EncodingALaw: "alaw", 9: "Encoding(9)"} {
		if e.String() != want {
			t.Errorf("%d: %q", e, e.String())
		}
	}
}

// wavTCycle repeats b forever.
type wavTCycle struct {
	b   []byte
	off int
}

func (c *wavTCycle) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		m := copy(p[n:], c.b[c.off:])
		n += m
		c.off = (c.off + m) % len(c.b)
	}
	return n, nil
}

// BenchmarkReader measures steady-state decoding of 16-bit, 4-channel,
// 16 kHz PCM (the AMI layout) in 100 ms buffers from an unfinalized
// (endless) stream of varied samples. MB/s are of WAVE data; 0 allocs/op is
// the claim.
func BenchmarkReader(b *testing.B) {
	const ch = 4
	data := make([]byte, 16000*ch*2) // one second, repeated
	for i := range data {
		data[i] = byte(i*7 + i>>9)
	}
	file := wavTFile(nil, wavTFmt(1, ch, 16000, 16), wavTChunk{id: "data", size: wavTU32(0)})
	r, err := NewReader(io.MultiReader(bytes.NewReader(file), &wavTCycle{b: data}))
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]float32, 1600*ch)
	b.SetBytes(int64(len(buf) * 2))
	b.ReportAllocs()
	for b.Loop() {
		if n, err := r.ReadFrames(buf); n != 1600 || err != nil {
			b.Fatal(n, err)
		}
	}
}

// TestDecode16AllValues: every 16-bit value decodes to v/32768, through
// the SIMD kernel (where there is one) and the scalar tail alike.
func TestDecode16AllValues(t *testing.T) {
	const n = 1<<16 + 5 // a tail the kernel leaves to the loop
	src := make([]byte, 2*n)
	for i := range n {
		binary.LittleEndian.PutUint16(src[2*i:], uint16(i))
	}
	r := &Reader{format: Format{Channels: 1, Encoding: EncodingPCM, BitsPerSample: 16}}
	for _, stream := range []bool{false, true} {
		dst := make([]float32, n) // large: page-aligned, so streaming stores apply
		r.wavDecode(dst, src, stream)
		for i, got := range dst {
			if want := float32(int16(uint16(i))) / 32768; got != want {
				t.Fatalf("stream=%v: sample %d (0x%04x): %v, want %v", stream, i, uint16(i), got, want)
			}
		}
		if lanesNative {
			if k := decode16(dst[1:], src[2:], stream); k != (n-1)&^15 { // unaligned
				t.Errorf("stream=%v: SIMD kernel decoded %d samples, want %d", stream, k, (n-1)&^15)
			}
		}
	}
}
