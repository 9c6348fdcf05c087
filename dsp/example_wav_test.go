package dsp_test

import (
	"errors"
	"fmt"
	"io"
	"log"
	"math"
	"os"

	"github.com/callscope/callscope/dsp"
)

// ExampleNewReader streams a 2-channel recording in 100 ms buffers and
// prints each channel's peak level.
func ExampleNewReader() {
	f, err := os.Open("../testdata/corpus/synthcall/synthcall_2ch.wav")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()

	r, err := dsp.NewReader(f) // any io.Reader: a file, a blob download body, a pipe
	if err != nil {
		log.Fatal(err)
	}
	fm := r.Format()
	fmt.Printf("%d channels, %d Hz, %d-bit %s, %d frames (%.2f s)\n",
		fm.Channels, fm.SampleRate, fm.BitsPerSample, fm.Encoding, r.Frames(), float64(r.Frames())/float64(fm.SampleRate))

	buf := make([]float32, fm.SampleRate/10*fm.Channels) // 100 ms, reused
	peak := make([]float64, fm.Channels)
	var total int
	for {
		n, err := r.ReadFrames(buf)
		for i, x := range buf[:n*fm.Channels] {
			peak[i%fm.Channels] = math.Max(peak[i%fm.Channels], math.Abs(float64(x)))
		}
		total += n
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil { // *dsp.TruncatedError, I/O errors
			log.Fatal(err)
		}
	}
	fmt.Println("read", total, "frames")
	for c, p := range peak {
		fmt.Printf("channel %d peak %.1f dBFS\n", c, 20*math.Log10(p))
	}
	// Output:
	// 2 channels, 16000 Hz, 16-bit pcm, 406560 frames (25.41 s)
	// read 406560 frames
	// channel 0 peak -1.9 dBFS
	// channel 1 peak -4.2 dBFS
}
