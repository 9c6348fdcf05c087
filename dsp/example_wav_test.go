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

// ExampleConcat joins the chunk files of one recording into one Source.
func ExampleConcat() {
	var srcs []dsp.Source
	for _, p := range []string{
		"../testdata/corpus/dtmf/100by100at8000Hz/0123456789psABCD.wav",
		"../testdata/corpus/dtmf/100by100at8000Hz/AAAABBBB.wav",
	} {
		f, err := os.Open(p)
		if err != nil {
			log.Fatal(err)
		}
		defer f.Close()
		r, err := dsp.NewReader(f)
		if err != nil {
			log.Fatalf("%s: %v", p, err)
		}
		srcs = append(srcs, r)
	}
	src, err := dsp.Concat(srcs...)
	if err != nil {
		log.Fatal(err)
	}
	buf := make([]float32, 800*src.Format().Channels)
	var total int
	for {
		n, err := src.ReadFrames(buf)
		total += n
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err) // "chunk 1: dsp: WAVE file truncated at byte offset …"
		}
	}
	fmt.Printf("%d frames, %.1f s\n", total, float64(total)/float64(src.Format().SampleRate))
	// Output:
	// 28800 frames, 3.6 s
}

// ExampleLevelMeter measures each channel of a call recording: one meter
// per channel, fed the de-interleaved samples of every buffer.
func ExampleLevelMeter() {
	f, err := os.Open("../testdata/corpus/synthcall/synthcall_2ch.wav")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	r, err := dsp.NewReader(f)
	if err != nil {
		log.Fatal(err)
	}
	fm := r.Format()
	meters := make([]*dsp.LevelMeter, fm.Channels)
	for c := range meters {
		meters[c] = dsp.NewLevelMeter(fm.SampleRate)
		meters[c].SetClipThreshold(dsp.ClipThreshold(fm))
	}
	const frames = 1600 // 100 ms at 16 kHz
	buf := make([]float32, frames*fm.Channels)
	one := make([]float32, frames)
	for {
		n, err := r.ReadFrames(buf)
		for c, m := range meters {
			for i := range n {
				one[i] = buf[i*fm.Channels+c]
			}
			m.Write(one[:n])
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
	}
	for c, m := range meters {
		lv := m.Levels()
		fmt.Printf("channel %d: speech %.1f dBFS, activity %.2f, noise floor %.1f dBFS, SNR %.1f dB, peak %.1f dBFS, clipped %.4f\n",
			c, lv.SpeechLevelDBFS, lv.ActivityFactor, lv.NoiseFloorDBFS, lv.SNRDB, lv.PeakDBFS, lv.ClippedRatio)
	}
	// Output:
	// channel 0: speech -18.6 dBFS, activity 0.37, noise floor -66.5 dBFS, SNR 47.9 dB, peak -1.9 dBFS, clipped 0.0000
	// channel 1: speech -21.3 dBFS, activity 0.43, noise floor -66.5 dBFS, SNR 45.3 dB, peak -4.2 dBFS, clipped 0.0000
}
