package dsp_test

import (
	"context"
	"syscall"
	"testing"

	"github.com/callscope/callscope/dsp"
	"github.com/callscope/callscope/dsp/synth"
)

// benchCall is a generated 4-channel 16 kHz call of the given length:
// alternating talkers with overlaps, −26 dB leakage between all channels,
// noise at −66 dBFS and a few DTMF digits.
func benchCall(seconds float64) *synth.Call {
	c := &synth.Call{SampleRate: 16000, Channels: 4, Duration: seconds, NoiseDBFS: -66, Seed: 7}
	for t, i := 0.5, 0; t < seconds-4; i++ {
		d := 1.5 + float64(i%5)*0.7
		c.Utterances = append(c.Utterances, synth.Utterance{Channel: i % 4, Start: t, Duration: d})
		t += d + 0.4 - 0.6*float64(i%3)/2
	}
	for from := range 4 {
		for to := range 4 {
			if from != to {
				c.Leaks = append(c.Leaks, synth.Leak{From: from, To: to, GainDB: -26, DelayS: 0.003})
			}
		}
	}
	for i, d := range []byte("4711#") {
		a := 2 + float64(i)*0.16
		c.Tones = append(c.Tones, synth.Tone{Channel: 1, Digit: d, Start: a, End: a + 0.08, LowDBm0: -12, TwistDB: 2})
	}
	return c
}

func renderBench(b *testing.B, seconds float64) *dsp.MemSource {
	b.Helper()
	c := benchCall(seconds)
	x, err := c.Render()
	if err != nil {
		b.Fatal(err)
	}
	return dsp.NewMemSource(dsp.Format{Channels: c.Channels, SampleRate: c.SampleRate, BitsPerSample: 16}, x)
}

// BenchmarkAnalyze runs the whole analysis over 1 min of 4-channel 16 kHz
// audio held in memory and reports how many times faster than real time it
// runs (wall clock) and the CPU-equivalent per sample.
func BenchmarkAnalyze(b *testing.B) {
	for _, w := range []int{1, 2} {
		b.Run(map[int]string{1: "workers=1", 2: "workers=2"}[w], func(b *testing.B) {
			src := renderBench(b, 60)
			opts := dsp.DefaultOptions()
			opts.Workers = w
			b.ReportAllocs()
			b.ResetTimer()
			c0 := cpuNow()
			for range b.N {
				src.Rewind()
				if _, err := dsp.Analyze(context.Background(), src, nil, opts); err != nil {
					b.Fatal(err)
				}
			}
			sec := b.Elapsed().Seconds() / float64(b.N)
			cpu := float64(cpuNow()-c0) / 1e9 / float64(b.N)
			b.ReportMetric(60/sec, "x_realtime")
			b.ReportMetric(60/cpu, "x_realtime_cpu")
			b.ReportMetric(cpu*1e9/(60*16000*4), "cpu-ns/sample")
		})
	}
}

// BenchmarkAnalyzeAMI is BenchmarkAnalyze on the real AMI excerpt (1 min,
// 4 headset channels at 16 kHz, testdata/corpus/ami), whose noise floor and
// crosstalk keep the DTMF energy gate open far more often than synthetic
// calls do: the profile to optimise against.
func BenchmarkAnalyzeAMI(b *testing.B) {
	f, x := dsp.ReadWAV(b, "../testdata/corpus/ami/es2004a_750-810_4ch.wav")
	src := dsp.NewMemSource(f, x)
	samples := float64(len(x))
	sec := samples / float64(f.Channels*f.SampleRate)
	for _, w := range []int{1, 2} {
		b.Run(map[int]string{1: "workers=1", 2: "workers=2"}[w], func(b *testing.B) {
			opts := dsp.DefaultOptions()
			opts.Workers = w
			b.ReportAllocs()
			b.ResetTimer()
			c0 := cpuNow()
			for range b.N {
				src.Rewind()
				if _, err := dsp.Analyze(context.Background(), src, nil, opts); err != nil {
					b.Fatal(err)
				}
			}
			cpu := float64(cpuNow()-c0) / 1e9 / float64(b.N)
			b.ReportMetric(sec/(b.Elapsed().Seconds()/float64(b.N)), "x_realtime")
			b.ReportMetric(sec/cpu, "x_realtime_cpu")
			b.ReportMetric(cpu*1e9/samples, "cpu-ns/sample")
		})
	}
}

// cpuNow returns the process's user+system CPU time in ns.
func cpuNow() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
