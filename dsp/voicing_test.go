package dsp

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
)

// voicedFrames counts the frames the decider found voiced, all channels.
func voicedFrames(a *analyzer) int {
	n := 0
	for c := range a.nch {
		a.vd.voiced[c].eachRun(func(s, e int) { n += e - s })
	}
	return n
}

// voicingSignal is continuous voiced speech on every channel, in stretches
// of random length, with DTMF digits on top of it (so the timeline cuts
// stretches at them) and unvoiced noise bursts between the stretches.
func voicingSignal(rng *rand.Rand, sr, nch int, seconds float64) []float32 {
	n := int(seconds * float64(sr))
	x := make([]float32, n*nch)
	low := []float64{697, 770, 852, 941}
	high := []float64{1209, 1336, 1477, 1633}
	for c := range nch {
		f0 := 100 + 40*rng.Float64()
		for i := 0; i < n; {
			// A stretch: voiced speech or noise.
			m := min(n-i, int((0.05+1.5*rng.Float64())*float64(sr)))
			voiced := rng.IntN(3) > 0
			amp := 0.02 + 0.1*rng.Float64()
			// Some voiced stretches are mostly breathy: 30 ms chunks of
			// them are noise, so reaching MinVoicedS takes a while.
			breathy := rng.IntN(3) == 0
			for k := range m {
				t := float64(i+k) / float64(sr)
				var v float64
				if voiced && !(breathy && (i+k)/(sr*3/100)%4 != 0) {
					for h := 1; h <= 6; h++ {
						v += amp / float64(h) * math.Sin(2*math.Pi*f0*float64(h)*t)
					}
				} else {
					v = amp * 0.3 * rng.NormFloat64()
				}
				x[(i+k)*nch+c] = float32(v)
			}
			// Sometimes a digit on top of the speech: 40–120 ms.
			if voiced && m > sr/4 && rng.IntN(2) == 0 {
				at := i + rng.IntN(m-sr/8)
				d := int((0.04 + 0.08*rng.Float64()) * float64(sr))
				fl, fh := low[rng.IntN(4)], high[rng.IntN(4)]
				for k := range min(d, n-at) {
					t := float64(k) / float64(sr)
					x[(at+k)*nch+c] += float32(0.3*math.Sin(2*math.Pi*fl*t) + 0.35*math.Sin(2*math.Pi*fh*t))
				}
			}
			i += m
		}
	}
	return x
}

// voicingGridSignal is voiced speech on every channel in stretches of 2.5 s
// with gaps of 0.26–0.34 s (about the timeline's 0.3 s bridge) and, with
// tones, DTMF digits on top of it every 0.83 s
// from phase on (60 ms each, and two held for 1.7 s), so that
// digits fall inside stretches at every position relative to Analyze's
// 4 s blocks, the last one included.
func voicingGridSignal(sr, nch int, seconds, phase float64, tones bool) []float32 {
	n := int(seconds * float64(sr))
	x := make([]float32, n*nch)
	for c := range nch {
		f0 := 110 + 30*float64(c)
		for i := range n {
			t := float64(i) / float64(sr)
			if voicingGridOn(t + 0.7*float64(c)) {
				for h := 1; h <= 6; h++ {
					x[i*nch+c] += float32(0.06 / float64(h) * math.Sin(2*math.Pi*f0*float64(h)*t))
				}
			}
			if !tones || t < phase {
				continue
			}
			tt := math.Mod(t-phase-0.1*float64(c), 0.83)
			// Held digits across block boundaries: in progress when the
			// decider gets the frames before the boundary.
			held := t > 6.7+phase && t < 8.4+phase || t > 18.7 && t < 20.4
			if tt < 0.06 || held {
				x[i*nch+c] += float32(0.3*math.Sin(2*math.Pi*770*t) + 0.35*math.Sin(2*math.Pi*1336*t))
			}
		}
	}
	return x
}

// voicingGridOn says whether voicingGridSignal's speech is on at t.
func voicingGridOn(t float64) bool {
	gaps := []float64{0.26, 0.28, 0.29, 0.3, 0.31, 0.32, 0.34}
	for i := 0; ; i++ {
		if t < 2.5 {
			return true
		}
		g := gaps[i%len(gaps)]
		if t < 2.5+g {
			return false
		}
		t -= 2.5 + g
	}
}

// TestLazyVoicingExact: skipping the periodicity a stretch no longer needs
// changes no result, with pauses and DTMF digits cutting stretches of
// speech, and does skip most of it.
func TestLazyVoicingExact(t *testing.T) {
	type tc struct {
		name   string
		f      Format
		x      []float32
		pauses []Pause
	}
	var cases []tc
	for _, c := range laneCases(t) {
		cases = append(cases, tc{c.name, c.f, c.x, nil})
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 16 {
		f := Format{Channels: 1 + i%4, SampleRate: []int{8000, 16000}[i%2], BitsPerSample: 16}
		seconds := 9 + 3*float64(i%4) // the last block of 4 s is partial or whole
		var pauses []Pause
		for range rng.IntN(6) {
			pauses = append(pauses, Pause{Offset: seconds * rng.Float64(), Duration: 5})
		}
		cases = append(cases, tc{fmt.Sprintf("speech-dtmf-pauses-%d", i), f, voicingSignal(rng, f.SampleRate, f.Channels, seconds), pauses})
	}
	// Digits and pause boundaries inside stretches, everywhere: a stretch
	// cut there must have its own voiced frames counted, so a digit or a
	// boundary that lazy voicing missed drops speech.
	for k := range 16 {
		sr, nch := 8000, 1
		if k%5 == 4 {
			sr, nch = 16000, 2
		}
		seconds := 21 + 3*float64(k%2)
		phase := 0.21 * float64(k/3%4)
		tones, cut := k%4&1 != 0, k%4&2 != 0 // neither, digits, boundaries or both
		var pauses []Pause
		for p := 0.45 + phase; cut && p < seconds; p += 1.3 {
			pauses = append(pauses, Pause{Offset: p, Duration: 2})
		}
		f := Format{Channels: nch, SampleRate: sr, BitsPerSample: 16}
		name := fmt.Sprintf("grid-%d-%dch-%dHz-%gs-phase%g-tones=%v-cuts=%v", k, nch, sr, seconds, phase, tones, cut)
		cases = append(cases, tc{name, f, voicingGridSignal(sr, nch, seconds, phase, tones), pauses})
	}
	opts := func(i int) Options {
		o := DefaultOptions()
		o.Workers = 1 + i%2
		if i%3 == 1 {
			o.VAD.LookaheadS = 0.5 // the shortest that keeps lazy voicing on
		}
		if i%4 == 2 {
			o.VAD.MinVoicedS = 0.2
		}
		return o
	}
	i := 0
	analyzeWith := func(c tc, lazy bool) (*Result, int) {
		saved := lazyVoicingOn
		lazyVoicingOn = lazy
		defer func() { lazyVoicingOn = saved }()
		res, a, err := analyze(context.Background(), &laneSource{f: c.f, x: c.x}, c.pauses, opts(i), c.f)
		if err != nil {
			t.Fatal(err)
		}
		return res, voicedFrames(a)
	}
	var tones, lazyN, allN int
	for _, c := range cases {
		i++
		want, nAll := analyzeWith(c, false)
		got, nLazy := analyzeWith(c, true)
		if !reflect.DeepEqual(got, want) && fmt.Sprintf("%+v", *got) != fmt.Sprintf("%+v", *want) {
			t.Errorf("%s: lazy voicing changes the result: %s", c.name, firstDiff(got, want))
		}
		tones += len(want.Tones)
		lazyN += nLazy
		allN += nAll
	}
	t.Logf("%d cases, %d DTMF tones; voiced frames computed lazily %d of %d", len(cases), tones, lazyN, allN)
	if tones < 20 {
		t.Errorf("only %d DTMF tones in the cases: the cuts at tones go untested", tones)
	}
	if lazyN*2 > allN {
		t.Errorf("lazy voicing found %d voiced frames of %d: it skips too little", lazyN, allN)
	}
}
