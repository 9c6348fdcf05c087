package eval_test

import (
	"fmt"
	"strings"

	"github.com/callscope/callscope/dsp/eval"
)

// Example scores one channel's detected speech against an RTTM reference
// on the 10 ms grid, with and without the ±0.25 s collar.
func Example() {
	segs, err := eval.ParseRTTM(strings.NewReader("SPEAKER call 1 1.00 2.00 <NA> <NA> agent <NA> <NA>\n"))
	if err != nil {
		fmt.Println(err)
		return
	}
	ref, err := eval.ChannelMap{}.Channels(segs, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	hyp := [][]eval.Interval{{{Start: 1.1, End: 3.3}}}
	s := eval.ScoreSpeech(ref, hyp, 5)
	c := s.Channels[0]
	fmt.Printf("miss %.2f s, false alarm %.2f s, DER %.1f %%\n", c.NoCollar.MissS, c.NoCollar.FAS, 100*c.NoCollar.DER)
	fmt.Printf("with the collar: miss %.2f s, false alarm %.2f s\n", c.Collar.MissS, c.Collar.FAS)
	// Output:
	// miss 0.10 s, false alarm 0.30 s, DER 20.0 %
	// with the collar: miss 0.00 s, false alarm 0.05 s
}
