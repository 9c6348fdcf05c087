package dsp

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// FuzzReader feeds arbitrary bytes to NewReader and ReadFrames. Seeds are
// the crafted files in testdata/dsp/wav (see mkseeds.py there). Invariants:
// no panic; header errors are the typed ones; the scratch buffer never
// exceeds its fixed bound whatever the header says; every sample is in
// [-1, 1); the frame count agrees with the header and the input length; and
// reading one byte at a time gives exactly the same result.
func FuzzReader(f *testing.F) {
	seeds, err := filepath.Glob("../testdata/dsp/wav/*.wav")
	if err != nil || len(seeds) == 0 {
		f.Fatalf("no seeds: %v", err)
	}
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		f1, n1, err1 := wavFuzzRead(t, bytes.NewReader(data), len(data))
		f2, n2, err2 := wavFuzzRead(t, oneByteReader{bytes.NewReader(data)}, len(data))
		if f1 != f2 || n1 != n2 || (err1 == nil) != (err2 == nil) || (err1 != nil && err1.Error() != err2.Error()) {
			t.Fatalf("short reads change the result: %d frames, %v / %d frames, %v", n1, err1, n2, err2)
		}
	})
}

// wavFuzzRead reads everything and checks the invariants; it returns the
// format, the frames read and the final error (nil at a clean end).
func wavFuzzRead(t *testing.T, in io.Reader, size int) (Format, int64, error) {
	r, err := NewReader(in)
	if err != nil {
		var fe *FormatError
		var ue *UnsupportedError
		var te *TruncatedError
		switch {
		case errors.As(err, &fe):
			if fe.Offset < 0 || fe.Offset > int64(size) {
				t.Fatalf("FormatError offset %d outside the %d-byte input", fe.Offset, size)
			}
		case errors.As(err, &ue):
			if !errors.Is(err, errors.ErrUnsupported) {
				t.Fatal("UnsupportedError does not wrap errors.ErrUnsupported")
			}
		case errors.As(err, &te):
			if te.Offset != int64(size) || !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("TruncatedError at %d for a %d-byte input: %v", te.Offset, size, err)
			}
		default:
			t.Fatalf("untyped header error %T: %v", err, err)
		}
		return Format{}, 0, err
	}
	fm := r.Format()
	if fm.Channels < 1 || fm.Channels > MaxChannels || fm.SampleRate <= 0 || r.blockAlign != fm.Channels*fm.BitsPerSample/8 {
		t.Fatalf("accepted format %+v, block align %d", fm, r.blockAlign)
	}
	if len(r.buf) > wavScratchFrames*MaxChannels*8 {
		t.Fatalf("scratch buffer of %d bytes", len(r.buf))
	}
	buf := make([]float32, 37*fm.Channels)
	var frames int64
	for {
		n, err := r.ReadFrames(buf)
		for i, v := range buf[:n*fm.Channels] {
			if !(v >= -1 && v < 1) {
				t.Fatalf("sample %d = %v", i, v)
			}
		}
		frames += int64(n)
		if frames*int64(r.blockAlign) > int64(size) {
			t.Fatalf("%d frames of %d bytes from a %d-byte input", frames, r.blockAlign, size)
		}
		switch {
		case err == io.EOF:
			if r.Frames() >= 0 && frames != r.Frames() {
				t.Fatalf("clean end after %d frames, header declares %d", frames, r.Frames())
			}
			return fm, frames, nil
		case err != nil:
			if !errors.Is(err, io.ErrUnexpectedEOF) || r.Frames() < 0 || frames >= r.Frames() {
				t.Fatalf("read error after %d of %d frames: %v", frames, r.Frames(), err)
			}
			return fm, frames, err
		case n == 0:
			t.Fatal("ReadFrames returned (0, nil)")
		}
	}
}
