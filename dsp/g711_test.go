package dsp

import (
	"math"
	"testing"
)

// ITU-T G.711 decoder outputs, from Tables 1a/2a of the Recommendation
// (µ-law in 14-bit units × 4, A-law in 13-bit units × 8), keyed by the
// octet as stored in a WAVE file.
var g711MuLawRef = []struct {
	code byte
	lin  int16
}{
	{0xFF, 0}, {0x7F, 0}, // +0 and −0
	{0xFE, 8}, {0x7E, -8}, // first step: ±2 units
	{0xF0, 120}, {0x70, -120}, // top of the first segment: ±30
	{0xEF, 132}, {0x6F, -132}, // start of the second segment: ±33
	{0xC0, 1884}, {0x40, -1884}, // top of segment 4: ±471
	{0x8F, 16764}, {0x0F, -16764}, // first code of the last segment: ±4191
	{0x80, 32124}, {0x00, -32124}, // full scale: ±8031
}

var g711ALawRef = []struct {
	code byte
	lin  int16
}{
	{0xD5, 8}, {0x55, -8}, // ±1
	{0xD4, 24}, {0x54, -24}, // ±3
	{0xC5, 264}, {0x45, -264}, // start of segment 2: ±33
	{0xF5, 528}, {0x75, -528}, // start of segment 3: ±66
	{0xE5, 1056}, {0x65, -1056}, // start of segment 4: ±132
	{0xA5, 16896}, {0x25, -16896}, // start of the last segment: ±2112
	{0xAA, 32256}, {0x2A, -32256}, // full scale: ±4032
}

func TestG711Reference(t *testing.T) {
	for _, r := range g711MuLawRef {
		if got := g711MuLawToLinear(r.code); got != r.lin {
			t.Errorf("µ-law 0x%02x decodes to %d, want %d", r.code, got, r.lin)
		}
		if r.code != 0x7F { // −0 encodes as +0
			if got := linearToMuLaw(r.lin); got != r.code {
				t.Errorf("µ-law: %d encodes to 0x%02x, want 0x%02x", r.lin, got, r.code)
			}
		}
		if g711MuLawFloat[r.code] != float32(r.lin)/32768 {
			t.Errorf("µ-law table 0x%02x = %v", r.code, g711MuLawFloat[r.code])
		}
	}
	for _, r := range g711ALawRef {
		if got := g711ALawToLinear(r.code); got != r.lin {
			t.Errorf("A-law 0x%02x decodes to %d, want %d", r.code, got, r.lin)
		}
		if got := linearToALaw(r.lin); got != r.code {
			t.Errorf("A-law: %d encodes to 0x%02x, want 0x%02x", r.lin, got, r.code)
		}
		if g711ALawFloat[r.code] != float32(r.lin)/32768 {
			t.Errorf("A-law table 0x%02x = %v", r.code, g711ALawFloat[r.code])
		}
	}
}

// TestG711RoundTrip checks that every code survives decode→encode, and that
// every 16-bit value encodes to a code whose decoded value is the nearest
// reconstruction level (quantization error within half a step) and keeps
// order.
func TestG711RoundTrip(t *testing.T) {
	for c := range 256 {
		code := byte(c)
		want := code
		if code == 0x7F {
			want = 0xFF
		}
		if got := linearToMuLaw(g711MuLawToLinear(code)); got != want {
			t.Errorf("µ-law 0x%02x → %d → 0x%02x", code, g711MuLawToLinear(code), got)
		}
		if got := linearToALaw(g711ALawToLinear(code)); got != code {
			t.Errorf("A-law 0x%02x → %d → 0x%02x", code, g711ALawToLinear(code), got)
		}
	}
	for _, law := range []struct {
		name   string
		enc    func(int16) byte
		dec    func(byte) int16
		maxLin int
	}{
		{"µ-law", linearToMuLaw, g711MuLawToLinear, 32124},
		{"A-law", linearToALaw, g711ALawToLinear, 32256},
	} {
		prev := math.MinInt
		for x := math.MinInt16; x <= math.MaxInt16; x++ {
			y := int(law.dec(law.enc(int16(x))))
			if y < prev {
				t.Fatalf("%s: not monotonic at %d (%d after %d)", law.name, x, y, prev)
			}
			prev = y
			if x > law.maxLin || x < -law.maxLin {
				// Beyond the largest level: saturates.
				if y != law.maxLin && y != -law.maxLin {
					t.Fatalf("%s: %d → %d, want saturation", law.name, x, y)
				}
				continue
			}
			// The step in the segment of x is at most |x|/16 + 16
			// (segment 1 steps are 8 for µ-law, 16 for A-law).
			if e := y - x; e*e > (g711Abs(x)/16+16)*(g711Abs(x)/16+16) {
				t.Fatalf("%s: %d → %d, error %d", law.name, x, y, e)
			}
		}
	}
}

func g711Abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
