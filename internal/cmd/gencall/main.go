// Command gencall writes long multi-channel test calls for benchmarks by
// tiling a real recording (default: the AMI 4-channel excerpt) to the
// requested duration, streaming, so an 8 h file needs no more memory than a
// minute. Each repetition is offset by one second per channel so that the
// tiles do not line up.
//
//	go run ./internal/cmd/gencall -src testdata/corpus/ami/es2004a_750-810_4ch.wav -dur 1h -o /tmp/call-1h.wav
package main

import (
	"bufio"
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"time"
)

func main() {
	src := flag.String("src", "testdata/corpus/ami/es2004a_750-810_4ch.wav", "16-bit PCM WAV to tile")
	dur := flag.Duration("dur", time.Hour, "duration of the output")
	out := flag.String("o", "", "output WAV file (required)")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "gencall: -o is required")
		os.Exit(2)
	}
	if err := run(*src, *dur, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gencall:", err)
		os.Exit(1)
	}
}

// readPCM16 returns the channels, rate and interleaved samples of a plain
// 16-bit PCM WAV (the tile source is small: one minute).
func readPCM16(path string) (int, int, []int16, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, nil, err
	}
	if len(data) < 12 || string(data[:4]) != "RIFF" || string(data[8:12]) != "WAVE" {
		return 0, 0, nil, fmt.Errorf("%s: not a RIFF/WAVE file", path)
	}
	var ch, rate int
	for p := 12; p+8 <= len(data); {
		id, size := string(data[p:p+4]), int(binary.LittleEndian.Uint32(data[p+4:p+8]))
		body := data[p+8 : min(len(data), p+8+size)]
		switch id {
		case "fmt ":
			if binary.LittleEndian.Uint16(body[14:16]) != 16 {
				return 0, 0, nil, fmt.Errorf("%s: want 16-bit PCM", path)
			}
			ch, rate = int(binary.LittleEndian.Uint16(body[2:4])), int(binary.LittleEndian.Uint32(body[4:8]))
		case "data":
			s := make([]int16, len(body)/2)
			for i := range s {
				s[i] = int16(binary.LittleEndian.Uint16(body[2*i:]))
			}
			return ch, rate, s, nil
		}
		p += 8 + size + size&1
	}
	return 0, 0, nil, fmt.Errorf("%s: no data chunk", path)
}

func run(src string, dur time.Duration, out string) error {
	ch, rate, pcm, err := readPCM16(src)
	if err != nil {
		return err
	}
	tile := len(pcm) / ch
	total := int64(dur.Seconds() * float64(rate))
	dataBytes := total * int64(ch) * 2
	if dataBytes > 0xFFFFFFFF-36 {
		return fmt.Errorf("%v of %d channels at %d Hz exceeds the 4 GiB WAV limit", dur, ch, rate)
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	hdr := make([]byte, 44)
	copy(hdr, "RIFF")
	binary.LittleEndian.PutUint32(hdr[4:], uint32(36+dataBytes))
	copy(hdr[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(hdr[16:], 16)
	binary.LittleEndian.PutUint16(hdr[20:], 1)
	binary.LittleEndian.PutUint16(hdr[22:], uint16(ch))
	binary.LittleEndian.PutUint32(hdr[24:], uint32(rate))
	binary.LittleEndian.PutUint32(hdr[28:], uint32(rate*ch*2))
	binary.LittleEndian.PutUint16(hdr[32:], uint16(ch*2))
	binary.LittleEndian.PutUint16(hdr[34:], 16)
	copy(hdr[36:], "data")
	binary.LittleEndian.PutUint32(hdr[40:], uint32(dataBytes))
	if _, err := w.Write(hdr); err != nil {
		return err
	}
	buf := make([]byte, 2)
	for i := int64(0); i < total; i++ {
		rep := i / int64(tile)
		for c := 0; c < ch; c++ {
			j := (i + rep*int64(c)*int64(rate)) % int64(tile)
			binary.LittleEndian.PutUint16(buf, uint16(pcm[j*int64(ch)+int64(c)]))
			if _, err := w.Write(buf); err != nil {
				return err
			}
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}
