package dsp

// ITU-T G.711 companding, in the form of the CCITT reference code (the public
// domain Sun Microsystems g711.c that sox, SpanDSP and most telephony code
// derive from). Decoded values are on the 16-bit linear scale: µ-law spans
// ±32124 (±8031 in G.711's 14-bit units, times 4) and A-law ±32256 (±4032 in
// 13-bit units, times 8); the Reader divides by 32768. The decoders agree
// with sox on all 256 codes. The encoders truncate to the decision interval
// as the reference code does; sox rounds, so the two differ by one
// quantization step on about 1 % of 16-bit inputs (those next to a decision
// threshold).

// g711MuLawFloat and g711ALawFloat map a code byte, as stored in a WAVE file
// (µ-law: all bits inverted; A-law: even bits inverted, as transmitted), to
// a sample in full-scale units.
var (
	g711MuLawFloat [256]float32
	g711ALawFloat  [256]float32
)

func init() {
	for i := range 256 {
		g711MuLawFloat[i] = float32(g711MuLawToLinear(byte(i))) / 32768
		g711ALawFloat[i] = float32(g711ALawToLinear(byte(i))) / 32768
	}
}

const (
	g711SignBit   = 0x80
	g711QuantMask = 0x0f
	g711SegShift  = 4
	g711SegMask   = 0x70
	g711Bias      = 0x84 // µ-law bias
	g711Clip      = 8159 // µ-law magnitude limit in 14-bit units
)

var (
	g711SegAEnd = [8]int{0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF}
	g711SegUEnd = [8]int{0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF}
)

// g711Segment returns the first segment whose end is ≥ v, or 8.
func g711Segment(v int, ends *[8]int) int {
	for i, e := range ends {
		if v <= e {
			return i
		}
	}
	return 8
}

// g711MuLawToLinear decodes a µ-law code to a 16-bit linear value.
func g711MuLawToLinear(u byte) int16 {
	u = ^u
	t := (int(u&g711QuantMask) << 3) + g711Bias
	t <<= (u & g711SegMask) >> g711SegShift
	if u&g711SignBit != 0 {
		return int16(g711Bias - t)
	}
	return int16(t - g711Bias)
}

// g711ALawToLinear decodes an A-law code to a 16-bit linear value.
func g711ALawToLinear(a byte) int16 {
	a ^= 0x55
	t := int(a&g711QuantMask) << 4
	seg := (a & g711SegMask) >> g711SegShift
	switch seg {
	case 0:
		t += 8
	case 1:
		t += 0x108
	default:
		t += 0x108
		t <<= seg - 1
	}
	if a&g711SignBit != 0 {
		return int16(t)
	}
	return int16(-t)
}

// linearToMuLaw encodes a 16-bit linear sample as a µ-law code byte (as
// stored in a WAVE file), saturating beyond the µ-law range.
func linearToMuLaw(pcm int16) byte {
	v := int(pcm) >> 2
	mask := byte(0xFF)
	if v < 0 {
		v = -v
		mask = 0x7F
	}
	v = min(v, g711Clip)
	v += g711Bias >> 2
	seg := g711Segment(v, &g711SegUEnd)
	if seg >= 8 {
		return 0x7F ^ mask
	}
	return (byte(seg<<4) | byte((v>>(seg+1))&0xF)) ^ mask
}

// linearToALaw encodes a 16-bit linear sample as an A-law code byte (as
// stored in a WAVE file), saturating beyond the A-law range.
func linearToALaw(pcm int16) byte {
	v := int(pcm) >> 3
	mask := byte(0xD5)
	if v < 0 {
		mask = 0x55
		v = -v - 1
	}
	seg := g711Segment(v, &g711SegAEnd)
	if seg >= 8 {
		return 0x7F ^ mask
	}
	a := byte(seg << g711SegShift)
	if seg < 2 {
		a |= byte((v >> 1) & g711QuantMask)
	} else {
		a |= byte((v >> seg) & g711QuantMask)
	}
	return a ^ mask
}
