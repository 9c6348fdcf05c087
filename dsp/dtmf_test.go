package dsp

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/mjibson/go-dsp/fft"
)

// Test signal generation and scoring shared by the DTMF tests.

// dtmfSpec is one generated tone.
type dtmfSpec struct {
	digit             byte
	start, dur        float64 // seconds
	lowDBm0, highDBm0 float64
	lowOff, highOff   float64 // relative frequency offsets (0.015 = +1.5 %)
	dropAt, dropDur   float64 // a dropout (silence) dropAt after start
}

func (s dtmfSpec) end() float64 { return s.start + s.dur }

// dtmfRowCol returns the Q.23 frequencies of a digit.
func dtmfRowCol(tb testing.TB, digit byte) (lo, hi float64) {
	tb.Helper()
	for r := range 4 {
		for c := range 4 {
			if dtmfDigits[r][c] == digit {
				return dtmfFreqs[r], dtmfFreqs[4+c]
			}
		}
	}
	tb.Fatalf("no DTMF digit %q", digit)
	return 0, 0
}

// dtmfAmp is the peak amplitude (full scale) of a sine at level dBm0.
func dtmfAmp(dbm0 float64) float64 { return math.Pow(10, (dbm0-dtmfDBm0Offset)/20) }

// dtmfSynth renders specs into a signal of total seconds at fs, with random
// phases. Tones are summed into x (which may already hold noise or speech).
func dtmfSynth(tb testing.TB, fs int, total float64, specs []dtmfSpec, rng *rand.Rand) []float64 {
	tb.Helper()
	x := make([]float64, int(math.Round(total*float64(fs))))
	for _, s := range specs {
		lo, hi := dtmfRowCol(tb, s.digit)
		lo *= 1 + s.lowOff
		hi *= 1 + s.highOff
		al, ah := dtmfAmp(s.lowDBm0), dtmfAmp(s.highDBm0)
		pl, ph := rng.Float64()*2*math.Pi, rng.Float64()*2*math.Pi
		n0 := int(math.Round(s.start * float64(fs)))
		n1 := int(math.Round(s.end() * float64(fs)))
		d0 := int(math.Round((s.start + s.dropAt) * float64(fs)))
		d1 := int(math.Round((s.start + s.dropAt + s.dropDur) * float64(fs)))
		for n := n0; n < n1 && n < len(x); n++ {
			if s.dropDur > 0 && n >= d0 && n < d1 {
				continue
			}
			t := float64(n-n0) / float64(fs)
			x[n] += al*math.Sin(2*math.Pi*lo*t+pl) + ah*math.Sin(2*math.Pi*hi*t+ph)
		}
	}
	return x
}

// dtmfAddNoise adds white Gaussian noise band-limited to [f0, f1] Hz with
// the given RMS: random bins in the band, a Hermitian spectrum, one inverse
// FFT of the whole signal (go-dsp: any length, off the hot path).
func dtmfAddNoise(x []float64, fs int, f0, f1, rms float64, rng *rand.Rand) {
	n := len(x)
	if n == 0 || rms == 0 {
		return
	}
	spec := make([]complex128, n)
	for k := 0; k <= n/2; k++ {
		f := float64(k) * float64(fs) / float64(n)
		if f >= f0 && f <= f1 {
			spec[k] = complex(rng.NormFloat64(), rng.NormFloat64())
			if k > 0 && k < n-k {
				spec[n-k] = cmplx.Conj(spec[k])
			}
		}
	}
	w := fft.IFFT(spec)
	p := 0.0
	for _, v := range w {
		p += real(v) * real(v)
	}
	g := rms / math.Sqrt(p/float64(n))
	for i := range x {
		x[i] += g * real(w[i])
	}
}

// dtmfF32 converts to float32, clamping to [−1, 1).
func dtmfF32(x []float64) []float32 {
	y := make([]float32, len(x))
	for i, v := range x {
		y[i] = float32(min(max(v, -1), 32767.0/32768))
	}
	return y
}

// dtmfRun detects over x, fed in chunks of varying size.
func dtmfRun(tb testing.TB, fs int, x []float32, opts DTMFOptions) []Tone {
	tb.Helper()
	d, err := NewDTMFDetector(fs, opts)
	if err != nil {
		tb.Fatal(err)
	}
	sizes := []int{160, 1, 37, 400, 80, 1023}
	for i := 0; len(x) > 0; i++ {
		n := min(sizes[i%len(sizes)], len(x))
		d.Process(x[:n])
		x = x[n:]
	}
	d.Flush()
	return d.Tones()
}

// dtmfScore matches detections to reference tones (same digit, overlapping
// interval; each reference matched once).
type dtmfScore struct {
	sent, hits, misses, falses, dups int
	detected                         int       // detections reported
	startErr, endErr                 []float64 // seconds, signed (got − want)
}

func dtmfMatch(ref []dtmfSpec, got []Tone) dtmfScore {
	s := dtmfScore{sent: len(ref), detected: len(got)}
	used := make([]bool, len(got))
	for _, r := range ref {
		n := 0
		for i, g := range got {
			if g.Digit == r.digit && g.Start < r.end() && g.End > r.start {
				if n == 0 {
					s.startErr = append(s.startErr, g.Start-r.start)
					s.endErr = append(s.endErr, g.End-r.end())
				} else {
					s.dups++
				}
				used[i] = true
				n++
			}
		}
		if n > 0 {
			s.hits++
		} else {
			s.misses++
		}
	}
	for _, u := range used {
		if !u {
			s.falses++
		}
	}
	return s
}

// dtmfQuantile returns the q-quantile of |v|.
func dtmfQuantile(v []float64, q float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	a := make([]float64, len(v))
	for i, x := range v {
		a[i] = math.Abs(x)
	}
	sort.Float64s(a)
	return a[min(len(a)-1, int(math.Ceil(q*float64(len(a))))-1+boolInt(q == 0))]
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// dtmfSeq builds n tones cycling through digits, on/off seconds, starting
// at lead, all at level dBm0 per tone; it returns the specs and the total
// length.
func dtmfSeq(digits string, n int, on, off, lead, dbm0 float64) ([]dtmfSpec, float64) {
	specs := make([]dtmfSpec, n)
	t := lead
	for i := range specs {
		specs[i] = dtmfSpec{digit: digits[i%len(digits)], start: t, dur: on, lowDBm0: dbm0, highDBm0: dbm0}
		t += on + off
	}
	return specs, t + lead
}

// dtmfDigitsOf returns the digits of tones as a string.
func dtmfDigitsOf(tones []Tone) string {
	var b strings.Builder
	for _, t := range tones {
		b.WriteByte(t.Digit)
	}
	return b.String()
}

var dtmfRates = []int{8000, 16000}

func TestDTMFOptionsValidate(t *testing.T) {
	if _, err := NewDTMFDetector(8000, DefaultDTMFOptions()); err != nil {
		t.Fatalf("defaults rejected: %v", err)
	}
	for _, fs := range []int{0, 7999, 200000} {
		if _, err := NewDTMFDetector(fs, DefaultDTMFOptions()); err == nil {
			t.Errorf("sample rate %d accepted", fs)
		}
	}
	bad := []func(*DTMFOptions){
		func(o *DTMFOptions) { o.FreqAccept = 0.04 },
		func(o *DTMFOptions) { o.MaxTwistHighWeakerDB = -1 },
		func(o *DTMFOptions) { o.MinLevelDBm0 = 10 },
		func(o *DTMFOptions) { o.MinEnergyShare = 1.5 },
		func(o *DTMFOptions) { o.MinGroupPurityDB = math.NaN() },
		func(o *DTMFOptions) { o.RejectToneS = 0.05 },
		func(o *DTMFOptions) { o.MaxDropoutS = 0.05 },
	}
	for i, f := range bad {
		o := DefaultDTMFOptions()
		f(&o)
		if _, err := NewDTMFDetector(8000, o); err == nil {
			t.Errorf("bad option set %d accepted: %+v", i, o)
		}
	}
}

// TestDTMFAllDigits is the Mitel decode check: every digit, 10 times, 50 ms
// on and 50 ms off at −4 dBm0 per tone, plus the nominal sweep point (all 16
// at −10 dBm0). Timing and levels are checked too.
func TestDTMFAllDigits(t *testing.T) {
	const digits = "0123456789*#ABCD"
	for _, fs := range dtmfRates {
		for _, lvl := range []float64{-4, -10} {
			rng := rand.New(rand.NewPCG(uint64(fs), uint64(-lvl)))
			specs, total := dtmfSeq(digits, 160, 0.050, 0.050, 0.1, lvl)
			x := dtmfF32(dtmfSynth(t, fs, total, specs, rng))
			got := dtmfRun(t, fs, x, DefaultDTMFOptions())
			s := dtmfMatch(specs, got)
			if s.hits != s.sent || s.falses != 0 || s.dups != 0 {
				t.Errorf("%d Hz, %g dBm0: %d/%d detected, %d false, %d duplicates", fs, lvl, s.hits, s.sent, s.falses, s.dups)
			}
			if want := strings.Repeat(digits, 10); dtmfDigitsOf(got) != want {
				t.Errorf("%d Hz, %g dBm0: digits %q, want %q", fs, lvl, dtmfDigitsOf(got), want)
			}
			worst := 0.0
			for _, g := range got {
				worst = max(worst, math.Abs(g.LevelDBm0-lvl))
			}
			t.Logf("%d Hz, %g dBm0: worst level error %.2f dB", fs, lvl, worst)
			if worst > 0.5 {
				t.Errorf("%d Hz, %g dBm0: level error up to %.2f dB", fs, lvl, worst)
			}
			ms, ps := dtmfQuantile(s.startErr, 0.5), dtmfQuantile(s.startErr, 0.95)
			me, pe := dtmfQuantile(s.endErr, 0.5), dtmfQuantile(s.endErr, 0.95)
			t.Logf("%d Hz, %g dBm0: start error median %.1f ms p95 %.1f ms; end error median %.1f ms p95 %.1f ms",
				fs, lvl, ms*1e3, ps*1e3, me*1e3, pe*1e3)
			if ms > 0.010 || ps > 0.030 || me > 0.010 || pe > 0.030 {
				t.Errorf("%d Hz: timing error too large", fs)
			}
		}
	}
}

// dtmfDetectFile runs one detector per channel of a WAV file and returns the
// tones with Channel set.
func dtmfDetectFile(tb testing.TB, path string) ([]Tone, int) {
	tb.Helper()
	chans, fs := dtmfReadWAV(tb, path)
	var all []Tone
	for c, x := range chans {
		for _, tn := range dtmfRun(tb, fs, x, DefaultDTMFOptions()) {
			tn.Channel = c
			all = append(all, tn)
		}
	}
	return all, fs
}

// dtmfTiming matches got against reference tones in order and returns the
// start and end errors; it fails when the digit sequences differ.
func dtmfTiming(tb testing.TB, name string, ref []dtmfSpec, got []Tone) (startErr, endErr []float64) {
	tb.Helper()
	s := dtmfMatch(ref, got)
	if s.hits != s.sent || s.falses != 0 || s.dups != 0 || len(got) != len(ref) {
		tb.Errorf("%s: %d tones, %d matched of %d, %d false, %d duplicates", name, len(got), s.hits, s.sent, s.falses, s.dups)
	}
	return s.startErr, s.endErr
}

func dtmfCheckTiming(tb testing.TB, name string, startErr, endErr []float64) {
	tb.Helper()
	ms, ps := dtmfQuantile(startErr, 0.5), dtmfQuantile(startErr, 0.95)
	me, pe := dtmfQuantile(endErr, 0.5), dtmfQuantile(endErr, 0.95)
	tb.Logf("%s: |start error| median %.1f ms, p95 %.1f ms; |end error| median %.1f ms, p95 %.1f ms (%d tones)",
		name, ms*1e3, ps*1e3, me*1e3, pe*1e3, len(startErr))
	if !(ms <= 0.010 && ps <= 0.030 && me <= 0.010 && pe <= 0.030) {
		tb.Errorf("%s: timing outside target (median ≤ 10 ms, p95 ≤ 30 ms)", name)
	}
}

// TestDTMFCorpusToneDetect decodes the py-tonedetect clips
// (testdata/corpus/dtmf): the four synthetic files must give exactly their
// digits with on/off times within the timing target; the radio-overlay
// capture at 0 dB must give all 16 digits in order; the −7 dB capture is
// reported.
func TestDTMFCorpusToneDetect(t *testing.T) {
	dir := filepath.Join("..", "testdata", "corpus", "dtmf")
	raw, err := os.ReadFile(filepath.Join(dir, "derived", "dtmf_truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	var truth []struct {
		File           string `json:"file"`
		SampleRate     int    `json:"sample_rate"`
		ExpectedDigits string `json:"expected_digits"`
		Tones          []struct {
			Digit string  `json:"digit"`
			Start float64 `json:"start"`
			End   float64 `json:"end"`
		} `json:"tones"`
	}
	if err := json.Unmarshal(raw, &truth); err != nil {
		t.Fatal(err)
	}
	if len(truth) != 6 {
		t.Fatalf("dtmf_truth.json lists %d files, want 6", len(truth))
	}
	var allStart, allEnd []float64
	for _, f := range truth {
		got, fs := dtmfDetectFile(t, filepath.Join(dir, filepath.FromSlash(f.File)))
		if fs != f.SampleRate {
			t.Errorf("%s: %d Hz, truth says %d", f.File, fs, f.SampleRate)
		}
		digits := dtmfDigitsOf(got)
		switch {
		case len(f.Tones) > 0:
			ref := make([]dtmfSpec, len(f.Tones))
			for i, tn := range f.Tones {
				ref[i] = dtmfSpec{digit: tn.Digit[0], start: tn.Start, dur: tn.End - tn.Start}
			}
			if digits != f.ExpectedDigits {
				t.Errorf("%s: digits %q, want %q", f.File, digits, f.ExpectedDigits)
			}
			se, ee := dtmfTiming(t, f.File, ref, got)
			dtmfCheckTiming(t, f.File, se, ee)
			allStart, allEnd = append(allStart, se...), append(allEnd, ee...)
		case strings.Contains(f.File, "--0db"):
			t.Logf("%s: %q (want %q; multimon-ng gets it, SpanDSP gives 0235678#D)", f.File, digits, f.ExpectedDigits)
			if digits != f.ExpectedDigits {
				t.Errorf("%s: digits %q, want %q", f.File, digits, f.ExpectedDigits)
			}
		default:
			n := dtmfLCS(digits, f.ExpectedDigits)
			t.Logf("%s (stretch goal): %q, %d of %d digits in order, %d extra (multimon-ng: 001479#*ACD, SpanDSP: nothing)",
				f.File, digits, n, len(f.ExpectedDigits), len(digits)-n)
		}
	}
	dtmfCheckTiming(t, "py-tonedetect synthetic files", allStart, allEnd)
}

// dtmfLCS is the length of the longest common subsequence of a and b.
func dtmfLCS(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for i := range len(a) {
		for j := range len(b) {
			if a[i] == b[j] {
				cur[j+1] = prev[j] + 1
			} else {
				cur[j+1] = max(cur[j], prev[j+1])
			}
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// TestDTMFCorpusSynthcall decodes the 2-channel synthetic call
// (testdata/corpus/synthcall): `4711#` on ch1 and `*9` on ch0 at the truth
// times. In the bleed variant each channel leaks into the other at −24 dB,
// so the caller's digits also reach ch0 (at about −36 dBm0); after
// ResolveDTMFLeaks every digit must be reported once, on its own channel.
func TestDTMFCorpusSynthcall(t *testing.T) {
	dir := filepath.Join("..", "testdata", "corpus", "synthcall")
	raw, err := os.ReadFile(filepath.Join(dir, "synthcall_2ch.truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	var truth struct {
		DTMF []struct {
			Channel int     `json:"channel"`
			Digit   string  `json:"digit"`
			Start   float64 `json:"start"`
			End     float64 `json:"end"`
			Low     float64 `json:"low_dbm0"`
			High    float64 `json:"high_dbm0"`
		} `json:"dtmf"`
	}
	if err := json.Unmarshal(raw, &truth); err != nil {
		t.Fatal(err)
	}
	if len(truth.DTMF) != 7 {
		t.Fatalf("truth lists %d tones, want 7", len(truth.DTMF))
	}
	for _, name := range []string{"synthcall_2ch.wav", "synthcall_2ch_bleed.wav"} {
		raw, _ := dtmfDetectFile(t, filepath.Join(dir, name))
		var perCh [2]string
		for _, tn := range raw {
			perCh[tn.Channel] += string(tn.Digit)
		}
		got := ResolveDTMFLeaks(raw)
		t.Logf("%s: detected ch0 %q, ch1 %q; after ResolveDTMFLeaks %d tones", name, perCh[0], perCh[1], len(got))
		var startErr, endErr []float64
		for ch := range 2 {
			var ref []dtmfSpec
			var want string
			for _, tn := range truth.DTMF {
				if tn.Channel == ch {
					ref = append(ref, dtmfSpec{digit: tn.Digit[0], start: tn.Start, dur: tn.End - tn.Start, lowDBm0: tn.Low, highDBm0: tn.High})
					want += tn.Digit
				}
			}
			var gch []Tone
			for _, tn := range got {
				if tn.Channel == ch {
					gch = append(gch, tn)
				}
			}
			if d := dtmfDigitsOf(gch); d != want {
				t.Errorf("%s ch%d: digits %q, want %q", name, ch, d, want)
				continue
			}
			se, ee := dtmfTiming(t, fmt.Sprintf("%s ch%d", name, ch), ref, gch)
			startErr, endErr = append(startErr, se...), append(endErr, ee...)
			for i, tn := range gch {
				if want := (ref[i].lowDBm0 + ref[i].highDBm0) / 2; math.Abs(tn.LevelDBm0-want) > 1 {
					t.Errorf("%s ch%d digit %c: level %.1f dBm0, want %.1f", name, ch, tn.Digit, tn.LevelDBm0, want)
				}
			}
		}
		for i, tn := range got {
			if tn.Seq != i || (i > 0 && tn.Start < got[i-1].Start) {
				t.Errorf("%s: tone %d has Seq %d / is out of order", name, i, tn.Seq)
			}
		}
		dtmfCheckTiming(t, name, startErr, endErr)
	}
}

func TestResolveDTMFLeaks(t *testing.T) {
	tone := func(ch int, d byte, start, end, lvl float64) Tone {
		return Tone{Channel: ch, Digit: d, Start: start, End: end, LevelDBm0: lvl}
	}
	for _, tt := range []struct {
		Name   string
		Input  []Tone
		Output []Tone
	}{
		{Name: "empty", Input: nil, Output: []Tone{}},
		{
			Name:   "leak dropped, stronger kept",
			Input:  []Tone{tone(0, '4', 1.002, 1.081, -36), tone(1, '4', 1.0, 1.08, -11)},
			Output: []Tone{{Channel: 1, Seq: 0, Digit: '4', Start: 1.0, End: 1.08, LevelDBm0: -11}},
		},
		{
			Name:   "leak on the later-starting stronger channel",
			Input:  []Tone{tone(0, '9', 2.0, 2.05, -20), tone(1, '9', 2.001, 2.05, -44)},
			Output: []Tone{{Channel: 0, Seq: 0, Digit: '9', Start: 2.0, End: 2.05, LevelDBm0: -20}},
		},
		{
			Name:  "different digits at the same time both kept",
			Input: []Tone{tone(1, '1', 1.0, 1.1, -10), tone(0, '2', 1.0, 1.1, -12)},
			Output: []Tone{
				{Channel: 0, Seq: 0, Digit: '2', Start: 1.0, End: 1.1, LevelDBm0: -12},
				{Channel: 1, Seq: 1, Digit: '1', Start: 1.0, End: 1.1, LevelDBm0: -10},
			},
		},
		{
			Name:  "same digit, not overlapping, both kept and renumbered",
			Input: []Tone{tone(0, '5', 3.0, 3.1, -10), tone(1, '5', 1.0, 1.1, -10), tone(1, '5', 3.1, 3.2, -30)},
			Output: []Tone{
				{Channel: 1, Seq: 0, Digit: '5', Start: 1.0, End: 1.1, LevelDBm0: -10},
				{Channel: 0, Seq: 1, Digit: '5', Start: 3.0, End: 3.1, LevelDBm0: -10},
				{Channel: 1, Seq: 2, Digit: '5', Start: 3.1, End: 3.2, LevelDBm0: -30},
			},
		},
		{
			Name:   "repeated digit on one channel is not a leak",
			Input:  []Tone{tone(2, '7', 1.0, 1.1, -10), tone(2, '7', 1.05, 1.2, -10)},
			Output: []Tone{{Channel: 2, Seq: 0, Digit: '7', Start: 1.0, End: 1.1, LevelDBm0: -10}, {Channel: 2, Seq: 1, Digit: '7', Start: 1.05, End: 1.2, LevelDBm0: -10}},
		},
		{
			Name:   "heard on three channels",
			Input:  []Tone{tone(0, '#', 5.0, 5.08, -40), tone(2, '#', 5.0, 5.08, -9), tone(1, '#', 5.001, 5.08, -33)},
			Output: []Tone{{Channel: 2, Seq: 0, Digit: '#', Start: 5.0, End: 5.08, LevelDBm0: -9}},
		},
	} {
		t.Run(tt.Name, func(t *testing.T) {
			in := append([]Tone(nil), tt.Input...)
			got := ResolveDTMFLeaks(tt.Input)
			if !slices.Equal(got, tt.Output) {
				t.Errorf("ResolveDTMFLeaks:\n got %+v\nwant %+v", got, tt.Output)
			}
			if !slices.Equal(in, tt.Input) {
				t.Errorf("input modified")
			}
		})
	}
}

// TestDTMFProcessAllocs: Process allocates nothing in steady state.
func TestDTMFProcessAllocs(t *testing.T) {
	for _, fs := range dtmfRates {
		opts := DefaultDTMFOptions()
		opts.DialToneFilter = fs == 16000 // cover the filtered path too
		d, err := NewDTMFDetector(fs, opts)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(3, 4))
		x := make([]float32, fs/10)
		for i := range x {
			x[i] = float32(rng.NormFloat64() * 0.1)
		}
		d.Process(x)
		if a := testing.AllocsPerRun(50, func() { d.Process(x[:333]); d.Process(x[333:]) }); a != 0 {
			t.Errorf("%d Hz: %v allocations per Process", fs, a)
		}
	}
}

// TestDTMFChunkingInvariant: the result does not depend on how the stream
// is cut into Process calls.
func TestDTMFChunkingInvariant(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	specs, total := dtmfSeq("0123456789*#ABCD", 32, 0.045, 0.045, 0.1, -20)
	x64 := dtmfSynth(t, 8000, total, specs, rng)
	dtmfAddNoise(x64, 8000, 300, 3400, 0.01, rng)
	x := dtmfF32(x64)
	whole, err := NewDTMFDetector(8000, DefaultDTMFOptions())
	if err != nil {
		t.Fatal(err)
	}
	whole.Process(x)
	whole.Flush()
	want := whole.Tones()
	got := dtmfRun(t, 8000, x, DefaultDTMFOptions())
	if !slices.Equal(got, want) {
		t.Errorf("chunked %v\nwhole %v", got, want)
	}
	if len(want) != len(specs) {
		t.Errorf("%d tones, want %d", len(want), len(specs))
	}
	// After Flush, Process is ignored and Tones is stable.
	whole.Process(x)
	whole.Flush()
	if !slices.Equal(whole.Tones(), want) {
		t.Errorf("Process after Flush changed the result")
	}
}

// TestDTMFOtherRates: the detector works at any rate, here 11.025, 22.05,
// 32, 44.1 and 48 kHz, with the same decode and timing quality.
func TestDTMFOtherRates(t *testing.T) {
	const digits = "0123456789*#ABCD"
	for _, fs := range []int{11025, 22050, 32000, 44100, 48000} {
		rng := rand.New(rand.NewPCG(uint64(fs), 7))
		specs, total := dtmfSeq(digits, 32, 0.040, 0.040, 0.1, -20)
		for i := range specs {
			specs[i].lowOff, specs[i].highOff = 0.015*(rng.Float64()*2-1), 0.015*(rng.Float64()*2-1)
		}
		x := dtmfF32(dtmfSynth(t, fs, total, specs, rng))
		got := dtmfRun(t, fs, x, DefaultDTMFOptions())
		s := dtmfMatch(specs, got)
		if s.hits != s.sent || s.falses != 0 || s.dups != 0 || dtmfDigitsOf(got) != digits+digits {
			t.Errorf("%d Hz: %q; %d/%d, %d false, %d duplicates", fs, dtmfDigitsOf(got), s.hits, s.sent, s.falses, s.dups)
		}
		dtmfCheckTiming(t, fmt.Sprintf("%d Hz", fs), s.startErr, s.endErr)
	}
}

// TestDTMFEdgesOfStream: a tone at the very start and one running to the end
// of the stream are both reported, with edges clamped to the audio.
func TestDTMFEdgesOfStream(t *testing.T) {
	for _, fs := range dtmfRates {
		rng := rand.New(rand.NewPCG(8, 9))
		specs := []dtmfSpec{
			{digit: '1', start: 0, dur: 0.06, lowDBm0: -10, highDBm0: -10},
			{digit: '#', start: 0.2, dur: 0.0633, lowDBm0: -10, highDBm0: -10},
		}
		x := dtmfF32(dtmfSynth(t, fs, 0.2633, specs, rng))
		got := dtmfRun(t, fs, x, DefaultDTMFOptions())
		if dtmfDigitsOf(got) != "1#" {
			t.Fatalf("%d Hz: %q, want \"1#\"", fs, dtmfDigitsOf(got))
		}
		if got[0].Start < 0 || got[0].Start > 0.002 || got[1].End > 0.2633+1e-9 || got[1].End < 0.26 {
			t.Errorf("%d Hz: edges %+v", fs, got)
		}
	}
}

var dtmfUpdateGolden = flag.Bool("update-dtmf", false, "rewrite testdata/dsp/dtmf/*.golden from the detector's output")

// TestDTMFCorpusGolden renders every digit found in the DTMF and synthcall
// corpus files (per channel, before leak resolution) and compares with
// testdata/dsp/dtmf/corpus.golden, so any change in what the detector
// reports, or where, shows up in review. Regenerate with
// `go test ./dsp -run TestDTMFCorpusGolden -update-dtmf`.
func TestDTMFCorpusGolden(t *testing.T) {
	var files []string
	for _, pat := range []string{"dtmf/*/*.wav", "synthcall/*.wav"} {
		m, err := filepath.Glob(filepath.Join("..", "testdata", "corpus", filepath.FromSlash(pat)))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	sort.Strings(files)
	if len(files) != 8 {
		t.Fatalf("found %d corpus files, want 8: %v", len(files), files)
	}
	var b strings.Builder
	b.WriteString("# file channel digit start_s end_s level_dbm0 (DTMFDetector, default options)\n")
	for _, f := range files {
		tones, _ := dtmfDetectFile(t, f)
		rel, _ := filepath.Rel(filepath.Join("..", "testdata", "corpus"), f)
		for _, tn := range tones {
			fmt.Fprintf(&b, "%s %d %c %.3f %.3f %.1f\n", filepath.ToSlash(rel), tn.Channel, tn.Digit, tn.Start, tn.End, tn.LevelDBm0)
		}
	}
	golden := filepath.Join("..", "testdata", "dsp", "dtmf", "corpus.golden")
	if *dtmfUpdateGolden {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update-dtmf to create it)", err)
	}
	if got := b.String(); got != string(want) {
		t.Errorf("detector output differs from %s:\n%s", golden, dtmfDiff(string(want), got))
	}
}

// dtmfDiff lists the lines only in want (−) or only in got (+).
func dtmfDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for _, l := range w {
		if !slices.Contains(g, l) {
			b.WriteString("- " + l + "\n")
		}
	}
	for _, l := range g {
		if !slices.Contains(w, l) {
			b.WriteString("+ " + l + "\n")
		}
	}
	return b.String()
}

// TestDTMFHostileInput: NaN, infinities, huge values, DC, clipping square
// waves and white noise give no digits and do not poison what follows.
func TestDTMFHostileInput(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	n := 8000
	junk := map[string][]float32{}
	nan := make([]float32, n)
	for i := range nan {
		switch i % 3 {
		case 0:
			nan[i] = float32(math.NaN())
		case 1:
			nan[i] = float32(math.Inf(1))
		default:
			nan[i] = 3e38
		}
	}
	junk["nan-inf-huge"] = nan
	dc := make([]float32, n)
	square := make([]float32, n)
	noise := make([]float32, n)
	for i := range dc {
		dc[i] = 0.9
		if (i/4)%2 == 0 { // 1 kHz square wave at full scale
			square[i] = 1
		} else {
			square[i] = -1
		}
		noise[i] = float32(min(max(rng.NormFloat64()*0.3, -1), 0.99))
	}
	junk["dc"], junk["square"], junk["white noise"] = dc, square, noise
	for name, x := range junk {
		for _, fs := range dtmfRates {
			for _, filt := range []bool{false, true} {
				opts := DefaultDTMFOptions()
				opts.DialToneFilter = filt
				specs, total := dtmfSeq("159D", 4, 0.05, 0.05, 0.1, -10)
				tail := dtmfF32(dtmfSynth(t, fs, total, specs, rng))
				in := append(append([]float32(nil), x...), tail...)
				got := dtmfRun(t, fs, in, opts)
				if dtmfDigitsOf(got) != "159D" {
					t.Errorf("%s at %d Hz (dial-tone filter %v), then 159D: got %q", name, fs, filt, dtmfDigitsOf(got))
				}
			}
		}
	}
}

// TestDTMFBackToBack: digits with no pause at all (outside Q.24, which
// requires 40 ms) are still each reported once.
func TestDTMFBackToBack(t *testing.T) {
	for _, fs := range dtmfRates {
		rng := rand.New(rand.NewPCG(13, uint64(fs)))
		specs, total := dtmfSeq("1597*#", 6, 0.06, 0, 0.1, -10)
		got := dtmfRun(t, fs, dtmfF32(dtmfSynth(t, fs, total, specs, rng)), DefaultDTMFOptions())
		if dtmfDigitsOf(got) != "1597*#" {
			t.Errorf("%d Hz: %q, want \"1597*#\"", fs, dtmfDigitsOf(got))
		}
		s := dtmfMatch(specs, got)
		t.Logf("%d Hz back-to-back: median |start error| %.1f ms, |end error| %.1f ms", fs, 1e3*dtmfQuantile(s.startErr, 0.5), 1e3*dtmfQuantile(s.endErr, 0.5))
	}
}

// TestDTMFLongTone: a digit held for 2 s (longer than the detector's
// look-back) is one tone with both edges right, also when its level fades
// by 12 dB and there is noise.
func TestDTMFLongTone(t *testing.T) {
	for _, fs := range dtmfRates {
		rng := rand.New(rand.NewPCG(17, uint64(fs)))
		spec := []dtmfSpec{{digit: '0', start: 0.3, dur: 2.0, lowDBm0: -12, highDBm0: -14}}
		x := dtmfSynth(t, fs, 2.6, spec, rng)
		n0, n1 := int(0.3*float64(fs)), int(2.3*float64(fs))
		for i := n0; i < n1; i++ { // fade by 12 dB across the tone
			x[i] *= math.Pow(10, -12.0/20*float64(i-n0)/float64(n1-n0))
		}
		dtmfAddNoise(x, fs, 300, 3400, dtmfAmp(-30)/math.Sqrt2, rng)
		got := dtmfRun(t, fs, dtmfF32(x), DefaultDTMFOptions())
		if len(got) != 1 || got[0].Digit != '0' {
			t.Fatalf("%d Hz: %+v, want one '0'", fs, got)
		}
		if math.Abs(got[0].Start-0.3) > 0.005 || math.Abs(got[0].End-2.3) > 0.005 {
			t.Errorf("%d Hz: edges %.4f–%.4f, want 0.3–2.3", fs, got[0].Start, got[0].End)
		}
	}
}

// FuzzDTMFDetector feeds arbitrary 16-bit samples (any rate choice, any
// chunking) and checks the invariants: no panic, digits from the DTMF set,
// tones in order, inside the audio, at least the rejection duration long,
// and finite levels.
func FuzzDTMFDetector(f *testing.F) {
	rng := rand.New(rand.NewPCG(21, 22))
	specs, total := dtmfSeq("19#D", 4, 0.045, 0.045, 0.02, -12)
	tone := dtmfF32(dtmfSynth(f, 8000, total, specs, rng))
	seed := make([]byte, 2*len(tone))
	for i, v := range tone {
		s := int16(v * 32767)
		seed[2*i], seed[2*i+1] = byte(s), byte(s>>8)
	}
	f.Add(seed, uint8(0), uint16(160))
	f.Add(seed, uint8(1), uint16(7))
	f.Add([]byte{0xff, 0x7f, 0x00, 0x80}, uint8(0), uint16(1))
	f.Add([]byte{}, uint8(1), uint16(0))
	f.Fuzz(func(t *testing.T, data []byte, rate uint8, chunk uint16) {
		fs := []int{8000, 16000, 11025, 48000}[rate%4]
		x := make([]float32, len(data)/2)
		for i := range x {
			x[i] = float32(int16(uint16(data[2*i])|uint16(data[2*i+1])<<8)) / 32768
		}
		d, err := NewDTMFDetector(fs, DefaultDTMFOptions())
		if err != nil {
			t.Fatal(err)
		}
		step := int(chunk%2000) + 1
		for i := 0; i < len(x); i += step {
			d.Process(x[i:min(i+step, len(x))])
		}
		d.Flush()
		dur := float64(len(x)) / float64(fs)
		prev := -1.0
		for _, tn := range d.Tones() {
			if !strings.ContainsRune("0123456789*#ABCD", rune(tn.Digit)) {
				t.Fatalf("digit %q", tn.Digit)
			}
			if tn.Start < prev || tn.Start < 0 || tn.End > dur+1e-9 || tn.End-tn.Start < 0.023 {
				t.Fatalf("tone %+v (audio %.4f s, previous start %.4f)", tn, dur, prev)
			}
			if math.IsNaN(tn.LevelDBm0) || math.IsInf(tn.LevelDBm0, 0) || tn.LevelDBm0 > 10 {
				t.Fatalf("level %v", tn.LevelDBm0)
			}
			prev = tn.Start
		}
	})
}

// TestDTMFDCOffsetAndHum: a DC offset (up to −20 dBFS) and mains hum do not
// hide −25 dBm0 digits.
func TestDTMFDCOffsetAndHum(t *testing.T) {
	for _, fs := range dtmfRates {
		for _, c := range []struct{ dc, hum float64 }{{0.1, 0}, {-0.05, 0.01}, {0.01, 0.02}} {
			rng := rand.New(rand.NewPCG(41, uint64(fs)))
			specs, total := dtmfSeq(dtmfSweepDigits, 20, 0.05, 0.05, 0.02, -25)
			x := dtmfSynth(t, fs, total, specs, rng)
			for i := range x {
				x[i] += c.dc + c.hum*math.Sin(2*math.Pi*50*float64(i)/float64(fs))
			}
			s := dtmfMatch(specs, dtmfRun(t, fs, dtmfF32(x), DefaultDTMFOptions()))
			if s.hits != s.sent || s.falses != 0 || s.dups != 0 {
				t.Errorf("%d Hz, DC %g, 50 Hz hum %g: %d/%d detected, %d false, %d duplicates", fs, c.dc, c.hum, s.hits, s.sent, s.falses, s.dups)
			}
		}
	}
}

// TestDTMFMeasureEarlyReject checks that measure's early rejection changes
// no result: against the same detector with the shortcut disabled, on
// windows whose blocks advance by any phase (uniform over the circle, plus
// many near the rejection bound), with noise.
func TestDTMFMeasureEarlyReject(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 8))
	trials := 40000
	if testing.Short() {
		trials = 5000
	}
	for _, fs := range []int{8000, 16000, 44100, 48000} {
		d, err := NewDTMFDetector(fs, DefaultDTMFOptions())
		if err != nil {
			t.Fatal(err)
		}
		ref, _ := NewDTMFDetector(fs, DefaultDTMFOptions())
		for f := range ref.rejTh {
			ref.rejTh[f], ref.rejTan[f] = math.Inf(1), 0
		}
		rejected := 0
		for i := range trials {
			f := i % goertzelMaxFreqs
			th := (2*rng.Float64() - 1) * math.Pi
			if i%3 == 0 { // near the bound
				th = math.Copysign(d.rejTh[f]+(2*rng.Float64()-1)*0.05, th)
			}
			ph := 2 * math.Pi * rng.Float64()
			noise := math.Pow(10, -3*rng.Float64())
			var c [dtmfWindowBlocks]complex128
			for m := range c {
				a := ph + float64(m)*th
				c[m] = complex(math.Cos(a)+noise*rng.NormFloat64(), math.Sin(a)+noise*rng.NormFloat64())
			}
			m1, a1, o1, ok1 := d.measure(&c, f)
			m2, a2, o2, ok2 := ref.measure(&c, f)
			if m1 != m2 || a1 != a2 || o1 != o2 || ok1 != ok2 {
				t.Fatalf("fs %d filter %d advance %g: early rejection gives %v %v %v %v, full measure %v %v %v %v",
					fs, f, th, m1, a1, o1, ok1, m2, a2, o2, ok2)
			}
			if !ok2 {
				rejected++
			}
		}
		if rejected == 0 || rejected == trials {
			t.Errorf("fs %d: %d of %d rejected: the test does not exercise both outcomes", fs, rejected, trials)
		}
	}
}
