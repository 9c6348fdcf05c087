package dsp_test

import (
	"fmt"
	"math"

	"github.com/callscope/callscope/dsp"
)

// dial renders digits as DTMF at 8 kHz: each tone 70 ms at −10 dBm0 per
// frequency, 60 ms apart, after 100 ms of silence.
func dial(digits string) []float32 {
	rows := map[rune][2]float64{
		'1': {697, 1209}, '2': {697, 1336}, '3': {697, 1477},
		'4': {770, 1209}, '5': {770, 1336}, '6': {770, 1477},
		'7': {852, 1209}, '8': {852, 1336}, '9': {852, 1477},
		'*': {941, 1209}, '0': {941, 1336}, '#': {941, 1477},
	}
	const fs = 8000
	amp := math.Pow(10, (-10-3.14)/20) // −10 dBm0; full-scale sine = +3.14 dBm0
	x := make([]float32, fs/10)
	for _, d := range digits {
		f := rows[d]
		for n := range fs * 70 / 1000 {
			t := float64(n) / fs
			x = append(x, float32(amp*(math.Sin(2*math.Pi*f[0]*t)+math.Sin(2*math.Pi*f[1]*t))))
		}
		x = append(x, make([]float32, fs*60/1000)...)
	}
	return x
}

func ExampleDTMFDetector() {
	det, err := dsp.NewDTMFDetector(8000, dsp.DefaultDTMFOptions())
	if err != nil {
		panic(err)
	}
	samples := dial("4711#")
	// Feed the channel in whatever pieces the reader delivers.
	for len(samples) > 0 {
		n := min(len(samples), 256)
		det.Process(samples[:n])
		samples = samples[n:]
	}
	det.Flush()
	for _, t := range det.Tones() {
		fmt.Printf("%c %.2f–%.2f s %.0f dBm0\n", t.Digit, t.Start, t.End, t.LevelDBm0)
	}
	// Output:
	// 4 0.10–0.17 s -10 dBm0
	// 7 0.23–0.30 s -10 dBm0
	// 1 0.36–0.43 s -10 dBm0
	// 1 0.49–0.56 s -10 dBm0
	// # 0.62–0.69 s -10 dBm0
}

func ExampleResolveDTMFLeaks() {
	// The caller's "5" leaks into the agent's channel 24 dB down.
	tones := []dsp.Tone{
		{Channel: 0, Digit: '5', Start: 1.002, End: 1.081, LevelDBm0: -35.2},
		{Channel: 1, Digit: '5', Start: 1.000, End: 1.080, LevelDBm0: -11.1},
		{Channel: 0, Digit: '9', Start: 3.000, End: 3.050, LevelDBm0: -21.4},
	}
	for _, t := range dsp.ResolveDTMFLeaks(tones) {
		fmt.Printf("#%d ch%d %c at %.3f s\n", t.Seq, t.Channel, t.Digit, t.Start)
	}
	// Output:
	// #0 ch1 5 at 1.000 s
	// #1 ch0 9 at 3.000 s
}
