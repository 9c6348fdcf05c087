package synth_test

import (
	"fmt"

	"github.com/callscope/callscope/dsp/synth"
)

// Example describes a two-party call with leakage and DTMF and reads back
// its exact speech truth.
func Example() {
	call := &synth.Call{
		SampleRate: 16000, Channels: 2, Duration: 10, NoiseDBFS: -66, Seed: 1,
		Utterances: []synth.Utterance{
			{Channel: 0, Start: 0.5, Duration: 3},
			{Channel: 1, Start: 3.2, Duration: 2.5, LevelDBFS: -30},
		},
		Leaks: []synth.Leak{{From: 0, To: 1, GainDB: -24, DelayS: 0.003}},
		Tones: []synth.Tone{{Channel: 1, Digit: '5', Start: 7, End: 7.08, LowDBm0: -12, TwistDB: 2}},
	}
	x, err := call.Render()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(x)/call.Channels, "frames")
	for ch, segs := range call.Truth() {
		for _, s := range segs {
			fmt.Printf("ch%d speech %.1f–%.1f s\n", ch, s.Start, s.End)
		}
	}
	// Output:
	// 160000 frames
	// ch0 speech 0.5–3.5 s
	// ch1 speech 3.2–5.7 s
}
