// Package synth generates multi-channel call recordings with exact ground
// truth, for tests and benchmarks of package dsp: speech-like utterances
// (or real speech snippets the caller supplies) placed per channel,
// leakage of one channel into another at a given level and delay (with
// optional colouration and reverberant tail), white noise, and DTMF tones.
//
// A Call renders as a dsp.Source that streams in blocks, so an hour of
// audio needs no more memory than a second of it.
package synth

import (
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/callscope/callscope/dsp"
)

// Utterance is one stretch of speech on one channel.
type Utterance struct {
	Channel int
	Start   float64 // seconds
	// Duration of generated speech, seconds. Ignored when Samples is set.
	Duration float64
	// Samples, if set, is real mono speech at the call's sample rate,
	// placed at Start; its truth is Speech (relative to Start), or the
	// whole snippet when Speech is empty.
	Samples []float32
	Speech  [][2]float64
	// LevelDBFS is the RMS level of generated speech while voiced
	// (default −26 dBFS); for Samples it is a gain in dB applied to them.
	LevelDBFS float64
	// PitchHz of generated speech (default 120 Hz on even channels, 210
	// on odd ones).
	PitchHz float64
}

// Leak copies channel From's clean signal (speech and tones, not noise)
// into channel To.
type Leak struct {
	From, To int
	GainDB   float64 // e.g. −24
	DelayS   float64 // e.g. 0.003
	// LowPassHz colours the leak with a one-pole low-pass (0: none).
	LowPassHz float64
	// ReverbS adds a reverberant tail of this RT60 (0: none), built from
	// four feedback comb filters at ReverbDB below the direct leak.
	ReverbS  float64
	ReverbDB float64
	// ModDB varies the leak's gain over time (head movement, the
	// different spectra a close and a distant microphone pick up): a
	// smooth random walk with this standard deviation in dB, new target
	// every 100 ms (0: constant gain).
	ModDB float64
}

// Burst is a non-speech noise on one channel (breath, rustle, a cough):
// band-limited noise that is not part of the speech truth.
type Burst struct {
	Channel    int
	Start, End float64
	LevelDBFS  float64 // RMS
	// LowPassHz shapes the noise with a 2-pole low-pass at this corner:
	// 0 means breath-like (≈3 kHz); ~100 Hz gives the low rumble of
	// breath or wind blowing on a close-talk microphone.
	LowPassHz float64
}

// Tone is one DTMF digit.
type Tone struct {
	Channel    int
	Digit      byte
	Start, End float64
	LowDBm0    float64 // level of the low-group tone; full-scale sine = +3.14 dBm0
	TwistDB    float64 // high − low
}

// Call describes a recording.
type Call struct {
	SampleRate int
	Channels   int
	Duration   float64 // seconds
	Utterances []Utterance
	Leaks      []Leak
	Tones      []Tone
	Bursts     []Burst
	// NoiseDBFS is the RMS of white noise added to every channel
	// (default: none; use e.g. −66).
	NoiseDBFS float64
	Seed      uint64
}

// Truth returns the speech reference per channel: each utterance's span
// (generated speech is continuous between its edges; its syllable gaps are
// shorter than 200 ms, inside the default 300 ms bridge), ordered and
// merged.
func (c *Call) Truth() [][]dsp.Segment {
	out := make([][]dsp.Segment, c.Channels)
	for _, u := range c.Utterances {
		if u.Channel < 0 || u.Channel >= c.Channels {
			continue
		}
		if u.Samples != nil {
			sp := u.Speech
			if len(sp) == 0 {
				sp = [][2]float64{{0, float64(len(u.Samples)) / float64(c.SampleRate)}}
			}
			for _, s := range sp {
				out[u.Channel] = append(out[u.Channel], dsp.Segment{Channel: u.Channel, Start: u.Start + s[0], End: u.Start + s[1]})
			}
			continue
		}
		out[u.Channel] = append(out[u.Channel], dsp.Segment{Channel: u.Channel, Start: u.Start, End: u.Start + u.Duration})
	}
	for ch := range out {
		s := out[ch]
		sort.Slice(s, func(i, j int) bool { return s[i].Start < s[j].Start })
		var m []dsp.Segment
		for _, x := range s {
			if k := len(m) - 1; k >= 0 && x.Start <= m[k].End {
				m[k].End = max(m[k].End, x.End)
				continue
			}
			m = append(m, x)
		}
		out[ch] = m
	}
	return out
}

// DTMFRows and DTMFCols are the Q.23 frequencies.
var (
	dtmfRows = [4]float64{697, 770, 852, 941}
	dtmfCols = [4]float64{1209, 1336, 1477, 1633}
	dtmfKeys = "123A456B789C*0#D"
)

func tonePair(d byte) (lo, hi float64, ok bool) {
	for i := range 16 {
		if dtmfKeys[i] == d {
			return dtmfRows[i/4], dtmfCols[i%4], true
		}
	}
	return 0, 0, false
}

// Validate checks the call description.
func (c *Call) Validate() error {
	if c.SampleRate < 8000 || c.SampleRate > 96000 {
		return fmt.Errorf("synth: sample rate %d", c.SampleRate)
	}
	if c.Channels < 1 || c.Channels > dsp.MaxChannels {
		return fmt.Errorf("synth: %d channels", c.Channels)
	}
	if c.Duration <= 0 {
		return errors.New("synth: duration must be positive")
	}
	for i, u := range c.Utterances {
		if u.Channel < 0 || u.Channel >= c.Channels {
			return fmt.Errorf("synth: utterance %d on channel %d", i, u.Channel)
		}
	}
	for i, l := range c.Leaks {
		if l.From < 0 || l.From >= c.Channels || l.To < 0 || l.To >= c.Channels || l.From == l.To {
			return fmt.Errorf("synth: leak %d from %d to %d", i, l.From, l.To)
		}
		if l.DelayS < 0 || l.DelayS > 0.5 {
			return fmt.Errorf("synth: leak %d delay %g s", i, l.DelayS)
		}
	}
	for i, t := range c.Tones {
		if _, _, ok := tonePair(t.Digit); !ok || t.Channel < 0 || t.Channel >= c.Channels {
			return fmt.Errorf("synth: tone %d", i)
		}
	}
	return nil
}

// Render returns the whole call as interleaved samples (for short calls).
func (c *Call) Render() ([]float32, error) {
	src, err := c.Source()
	if err != nil {
		return nil, err
	}
	n := int(math.Round(c.Duration * float64(c.SampleRate)))
	out := make([]float32, n*c.Channels)
	got := 0
	for got < n {
		k, err := src.ReadFrames(out[got*c.Channels:])
		got += k
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	return out[:got*c.Channels], nil
}

// Source returns a streaming dsp.Source of the call.
func (c *Call) Source() (dsp.Source, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	s := &source{c: c, total: int64(math.Round(c.Duration * float64(c.SampleRate)))}
	sr := float64(c.SampleRate)
	maxDelay := 0
	for _, l := range c.Leaks {
		maxDelay = max(maxDelay, int(math.Round(l.DelayS*sr)))
	}
	s.hist = maxDelay
	s.clean = make([][]float32, c.Channels)
	s.leaks = make([]leakState, len(c.Leaks))
	for i, l := range c.Leaks {
		st := &s.leaks[i]
		st.l = l
		st.gain = float32(math.Pow(10, l.GainDB/20))
		st.delay = int(math.Round(l.DelayS * sr))
		st.rng = rand.New(rand.NewPCG(c.Seed^0x1eaf, uint64(i)+1))
		st.modCur, st.modTgt = 1, 1
		if l.LowPassHz > 0 {
			st.lpA = float32(math.Exp(-2 * math.Pi * l.LowPassHz / sr))
		}
		if l.ReverbS > 0 {
			// Schroeder combs: delays ~30-45 ms, feedback for the RT60.
			for k, d := range []float64{0.0297, 0.0371, 0.0411, 0.0437} {
				n := int(d * sr)
				st.combs[k] = make([]float32, n)
				st.fb[k] = float32(math.Pow(10, -3*d/l.ReverbS))
			}
			st.revGain = float32(math.Pow(10, -l.ReverbDB/20) / 4)
		}
	}
	s.noise = make([]*rand.Rand, c.Channels)
	for ch := range s.noise {
		s.noise[ch] = rand.New(rand.NewPCG(c.Seed, uint64(ch)+1))
	}
	if c.NoiseDBFS != 0 {
		s.noiseAmp = float32(math.Pow(10, c.NoiseDBFS/20))
	}
	s.utt = make([]uttState, len(c.Utterances))
	for i, u := range c.Utterances {
		s.utt[i] = newUtt(u, c, uint64(i))
	}
	return s, nil
}

type leakState struct {
	l       Leak
	rng     *rand.Rand
	modCur  float32 // current linear gain factor
	modTgt  float32
	modStep float32
	modLeft int // samples until the next target
	gain    float32
	delay   int
	lpA     float32
	lp      float32
	combs   [4][]float32
	pos     [4]int
	fb      [4]float32
	revGain float32
}

type source struct {
	c        *Call
	total    int64
	pos      int64
	hist     int         // samples of clean history kept for delays
	clean    [][]float32 // per channel: hist samples of history, then the block
	leaks    []leakState
	noise    []*rand.Rand
	noiseAmp float32
	utt      []uttState
}

func (s *source) Format() dsp.Format {
	return dsp.Format{Channels: s.c.Channels, SampleRate: s.c.SampleRate, BitsPerSample: 32, Encoding: dsp.EncodingFloat}
}

func (s *source) ReadFrames(dst []float32) (int, error) {
	nch := s.c.Channels
	if len(dst)%nch != 0 {
		return 0, fmt.Errorf("synth: len(dst) %d not a multiple of %d", len(dst), nch)
	}
	n := len(dst) / nch
	if rem := s.total - s.pos; int64(n) > rem {
		n = int(rem)
	}
	if n == 0 {
		return 0, io.EOF
	}
	sr := float64(s.c.SampleRate)
	for ch := range nch {
		buf := s.clean[ch]
		// Keep the last hist samples as history.
		if len(buf) >= s.hist {
			copy(buf[:s.hist], buf[len(buf)-s.hist:])
		} else {
			buf = make([]float32, s.hist)
		}
		if cap(buf) < s.hist+n {
			nb := make([]float32, s.hist, s.hist+n)
			copy(nb, buf[:s.hist])
			buf = nb
		}
		buf = buf[:s.hist+n]
		clear(buf[s.hist:])
		s.clean[ch] = buf
	}
	t0 := s.pos
	for i := range s.utt {
		s.utt[i].render(s.clean[s.utt[i].ch][s.hist:], t0, sr)
	}
	for _, t := range s.c.Tones {
		lo, hi, _ := tonePair(t.Digit)
		a := int64(math.Round(t.Start * sr))
		b := int64(math.Round(t.End * sr))
		al := math.Pow(10, (t.LowDBm0-3.14)/20)
		ah := math.Pow(10, (t.LowDBm0+t.TwistDB-3.14)/20)
		out := s.clean[t.Channel][s.hist:]
		for k := max(a, t0); k < min(b, t0+int64(n)); k++ {
			tt := float64(k-a) / sr
			out[k-t0] += float32(al*math.Sin(2*math.Pi*lo*tt) + ah*math.Sin(2*math.Pi*hi*tt))
		}
	}
	for k := range n {
		for ch := range nch {
			dst[k*nch+ch] = s.clean[ch][s.hist+k]
		}
	}
	for i := range s.leaks {
		st := &s.leaks[i]
		from := s.clean[st.l.From]
		for k := range n {
			j := s.hist + k - st.delay
			if st.l.ModDB > 0 {
				if st.modLeft == 0 {
					st.modLeft = int(0.1 * sr)
					st.modTgt = float32(math.Pow(10, st.l.ModDB*st.rng.NormFloat64()/20))
					st.modStep = (st.modTgt - st.modCur) / float32(st.modLeft)
				}
				st.modLeft--
				st.modCur += st.modStep
			}
			x := from[j] * st.gain * st.modCur
			if st.lpA != 0 {
				st.lp = (1-st.lpA)*x + st.lpA*st.lp
				x = st.lp
			}
			y := x
			if st.revGain != 0 {
				var r float32
				for c := range 4 {
					cb := st.combs[c]
					p := st.pos[c]
					v := cb[p]
					r += v
					cb[p] = x + st.fb[c]*v
					st.pos[c] = (p + 1) % len(cb)
				}
				y += r * st.revGain
			}
			dst[k*nch+st.l.To] += y
		}
	}
	for i, b := range s.c.Bursts {
		a := int64(math.Round(b.Start * sr))
		e := int64(math.Round(b.End * sr))
		amp := math.Pow(10, b.LevelDBFS/20)
		if e <= t0 || a >= t0+int64(n) {
			continue
		}
		rng := rand.New(rand.NewPCG(s.c.Seed^0xb0b, uint64(i)+1))
		fc := b.LowPassHz
		if fc <= 0 {
			fc = 3000
		}
		p := math.Exp(-2 * math.Pi * fc / sr)
		// Two identical one-pole sections: unit white noise comes out with
		// variance (1−p)⁴(1+p²)/(1−p²)³.
		norm := 1 / math.Sqrt(math.Pow(1-p, 4)*(1+p*p)/math.Pow(1-p*p, 3))
		var l1, l2 float64
		// Run the filter over the whole burst prefix so block boundaries
		// do not matter (bursts are short).
		for k := a; k < min(e, t0+int64(n)); k++ {
			l1 = p*l1 + (1-p)*rng.NormFloat64()
			l2 = p*l2 + (1-p)*l1
			if k < t0 {
				continue
			}
			x := float64(k-a) / float64(e-a)
			env := math.Sin(math.Pi * x)
			dst[int(k-t0)*nch+b.Channel] += float32(amp * env * l2 * norm)
		}
	}
	if s.noiseAmp != 0 {
		for k := range n {
			for ch := range nch {
				dst[k*nch+ch] += s.noiseAmp * float32(s.noise[ch].NormFloat64())
			}
		}
	}
	for i := range dst[:n*nch] {
		dst[i] = max(-1, min(dst[i], 1-1.0/32768))
	}
	s.pos += int64(n)
	if s.pos >= s.total {
		return n, io.EOF
	}
	return n, nil
}

// uttState renders one utterance. Generated speech is a sequence of
// syllables: a harmonic voiced sound (pitch with slow vibrato, harmonics
// up to 3.6 kHz falling 6 dB/octave, a random "formant" emphasis per
// syllable) under a raised-cosine envelope, separated by short gaps.
type uttState struct {
	ch        int
	a, b      int64 // sample span
	samples   []float32
	gain      float32
	sylls     []syll
	f0        float64
	amp       float64
	harmonics int
}

type syll struct {
	a, b int64
	w    [24]float32 // harmonic weights
}

func newUtt(u Utterance, c *Call, i uint64) uttState {
	sr := float64(c.SampleRate)
	st := uttState{ch: u.Channel, a: int64(math.Round(u.Start * sr))}
	if u.Samples != nil {
		st.samples = u.Samples
		st.b = st.a + int64(len(u.Samples))
		st.gain = float32(math.Pow(10, u.LevelDBFS/20))
		return st
	}
	st.b = int64(math.Round((u.Start + u.Duration) * sr))
	lvl := u.LevelDBFS
	if lvl == 0 {
		lvl = -26
	}
	st.f0 = u.PitchHz
	if st.f0 == 0 {
		st.f0 = 120
		if u.Channel%2 == 1 {
			st.f0 = 210
		}
	}
	st.harmonics = min(24, int(3600/st.f0))
	// RMS of Σ w_k sin with w_k = 1/k is sqrt(Σ 1/k²/2); normalize roughly.
	var e float64
	for k := 1; k <= st.harmonics; k++ {
		e += 1 / float64(k*k) / 2
	}
	st.amp = math.Pow(10, lvl/20) / math.Sqrt(e)
	rng := rand.New(rand.NewPCG(c.Seed^0x5eed, i+1))
	for p := st.a; p < st.b; {
		d := int64((0.12 + 0.16*rng.Float64()) * sr)
		gap := int64((0.02 + 0.12*rng.Float64()) * sr)
		e := min(p+d, st.b)
		if st.b-e < int64(0.08*sr) { // no sliver at the end
			e = st.b
		}
		var sy syll
		sy.a, sy.b = p, e
		peak := 1 + rng.IntN(4)
		for k := range sy.w {
			h := float64(k + 1)
			emph := 1.0
			if k+1 >= peak*2 && k+1 <= peak*2+3 {
				emph = 2
			}
			sy.w[k] = float32(emph / h)
		}
		st.sylls = append(st.sylls, sy)
		p = e + gap
	}
	return st
}

func (u *uttState) render(out []float32, t0 int64, sr float64) {
	t1 := t0 + int64(len(out))
	if u.b <= t0 || u.a >= t1 {
		return
	}
	if u.samples != nil {
		for k := max(u.a, t0); k < min(u.b, t1); k++ {
			out[k-t0] += u.samples[k-u.a] * u.gain
		}
		return
	}
	for i := range u.sylls {
		sy := &u.sylls[i]
		if sy.b <= t0 || sy.a >= t1 {
			continue
		}
		n := float64(sy.b - sy.a)
		ramp := math.Min(0.015*sr, n/2)
		for k := max(sy.a, t0); k < min(sy.b, t1); k++ {
			x := float64(k - sy.a)
			env := 1.0
			if x < ramp {
				env = 0.5 - 0.5*math.Cos(math.Pi*x/ramp)
			} else if n-x < ramp {
				env = 0.5 - 0.5*math.Cos(math.Pi*(n-x)/ramp)
			}
			tt := float64(k) / sr
			// f0 with 5 Hz vibrato of ±3 %: phase is the integral.
			ph := 2 * math.Pi * (u.f0*tt - u.f0*0.03/(2*math.Pi*5)*math.Cos(2*math.Pi*5*tt))
			var v float64
			for h := 1; h <= u.harmonics; h++ {
				v += float64(sy.w[h-1]) * math.Sin(float64(h)*ph)
			}
			out[k-t0] += float32(u.amp * env * v)
		}
	}
}
