package dsp

import (
	"fmt"
	"runtime"
)

// Options configures Analyze. The zero value is not useful: start from
// DefaultOptions and change what you need (the YAML config's dsp section
// decodes into a value holding the defaults).
type Options struct {
	VAD      VADOptions      `yaml:"vad"`
	Timeline TimelineOptions `yaml:"timeline"`
	// DTMF configures the DTMF detector run on every channel (recordings
	// sampled below 8 kHz get no DTMF detection).
	DTMF DTMFOptions `yaml:"dtmf"`
	// Workers bounds the goroutines that compute per-channel features,
	// levels and DTMF in parallel. Default runtime.NumCPU(); values < 1
	// mean the default.
	Workers int `yaml:"workers"`
}

// DefaultOptions returns the documented defaults (design card §5).
func DefaultOptions() Options {
	return Options{
		VAD:      DefaultVADOptions(),
		Timeline: DefaultTimelineOptions(),
		DTMF:     DefaultDTMFOptions(),
		Workers:  runtime.NumCPU(),
	}
}

// VADOptions configures the per-channel voice activity decision with
// cross-channel leakage rejection. Levels are measured on each channel's
// 10 ms frame energy after a high-pass filter.
//
// A frame of channel i is speech when, with P the frame power, N the
// channel's noise floor and L the leakage predicted from the other
// channels (each one's power around its estimated delay into i, up to
// LeakMaxLagMS later, times the learned coupling from it into i):
//
//	P − L ≥ N · 10^(SNR/10)   (own power above the floor; SNR = OnsetSNRDB to start, OffsetSNRDB to continue)
//	P ≥ L · 10^(LeakMarginDB/10)
//	P ≥ 10^(MinLevelDBFS/10)
//
// A stretch of speech must moreover hold MinVoicedS of voiced (periodic)
// frames. Tuned on synthcall, generated calls (dsp/synth) and the pyannote
// sample; the AMI excerpt is held out (see testdata/README.md).
type VADOptions struct {
	// HighPassHz is the corner of the 4th-order Butterworth high-pass
	// applied before measuring frame energy. Default 300 Hz (the telephone
	// band: removes hum, DC, breath pops and rumble on close-talk
	// microphones).
	HighPassHz float64 `yaml:"high_pass_hz"`
	// OnsetSNRDB is how far above the noise floor a frame's own power must
	// be to start speech. Default 11 dB.
	OnsetSNRDB float64 `yaml:"onset_snr_db"`
	// OffsetSNRDB is the (lower) margin that keeps speech going once
	// started (hysteresis). Default 8 dB.
	OffsetSNRDB float64 `yaml:"offset_snr_db"`
	// MinLevelDBFS is an absolute floor: quieter frames are never speech.
	// Default −65 dBFS.
	MinLevelDBFS float64 `yaml:"min_level_dbfs"`
	// NoiseWindowS is the minimum-statistics window of the noise floor
	// tracker. Default 5 s.
	NoiseWindowS float64 `yaml:"noise_window_s"`
	// NoiseRiseDB bounds how fast the noise floor may rise, in dB per
	// second (it falls at once), so that a long stretch of speech without
	// pauses is not taken for the floor. Default 2 dB/s.
	NoiseRiseDB float64 `yaml:"noise_rise_db"`
	// LeakMarginDB: a frame must exceed the leakage predicted from the
	// other channels by this much to be the channel's own speech.
	// Default 12 dB.
	LeakMarginDB float64 `yaml:"leak_margin_db"`
	// LeakMaxDelayMS is the longest leak delay searched: the delay of
	// each pair of channels (acoustic crosstalk: a few ms; line or
	// acoustic echo of the far end: tens to hundreds of ms) is estimated
	// from the correlation of their frame levels. Default 250 ms.
	LeakMaxDelayMS float64 `yaml:"leak_max_delay_ms"`
	// LeakMaxLagMS is how long after its estimated delay a leak is still
	// expected (its spread). Default 20 ms.
	LeakMaxLagMS float64 `yaml:"leak_max_lag_ms"`
	// LeakDecayDB models a reverberant leak tail: the leak predicted from a
	// channel decays by this many dB per 10 ms frame after it stops.
	// Default 3 dB.
	LeakDecayDB float64 `yaml:"leak_decay_db"`
	// LeakPriorDB is the coupling assumed between two channels before it
	// has been measured. Default −15 dB (conservative: rejects loud echoes).
	LeakPriorDB float64 `yaml:"leak_prior_db"`
	// LeakPercentile is the percentile of the level difference (this
	// channel − a dominant other channel) taken as the coupling.
	// Default 0.5.
	LeakPercentile float64 `yaml:"leak_percentile"`
	// DominantSNRDB: frames where a channel is the loudest and this far
	// above its own floor teach the coupling into the others. Default 20 dB.
	DominantSNRDB float64 `yaml:"dominant_snr_db"`
	// VoicedPeriodicity: a speech frame is voiced when the normalized
	// autocorrelation of its low band (< 900 Hz, last 20 ms) peaks at
	// least this high at a pitch lag (80–400 Hz). Default 0.7.
	VoicedPeriodicity float64 `yaml:"voiced_periodicity"`
	// MinVoicedS: a stretch of speech (after bridging) needs at least this
	// much voiced speech, or it is taken for breath, rustle or noise and
	// dropped. Default 0.05 s.
	MinVoicedS float64 `yaml:"min_voiced_s"`
	// LookaheadS delays each decision so that noise floors and couplings
	// include what follows. Memory grows with it (a few bytes per frame
	// and channel). Default 3 s.
	LookaheadS float64 `yaml:"lookahead_s"`
}

// DefaultVADOptions returns the VAD defaults.
func DefaultVADOptions() VADOptions {
	return VADOptions{
		HighPassHz:        300,
		OnsetSNRDB:        11,
		OffsetSNRDB:       8,
		MinLevelDBFS:      -65,
		NoiseWindowS:      5,
		NoiseRiseDB:       2,
		LeakMarginDB:      12,
		LeakMaxDelayMS:    250,
		LeakMaxLagMS:      20,
		LeakDecayDB:       3,
		LeakPriorDB:       -15,
		LeakPercentile:    0.5,
		DominantSNRDB:     20,
		VoicedPeriodicity: 0.7,
		MinVoicedS:        0.05,
		LookaheadS:        3,
	}
}

// Validate reports the first option out of range.
func (o VADOptions) Validate() error {
	switch {
	case o.HighPassHz < 0 || o.HighPassHz > 1000:
		return fmt.Errorf("vad high_pass_hz %g: want 0..1000", o.HighPassHz)
	case o.OnsetSNRDB < o.OffsetSNRDB:
		return fmt.Errorf("vad onset_snr_db %g below offset_snr_db %g", o.OnsetSNRDB, o.OffsetSNRDB)
	case o.NoiseWindowS < 0.1 || o.NoiseWindowS > 60:
		return fmt.Errorf("vad noise_window_s %g: want 0.1..60", o.NoiseWindowS)
	case o.NoiseRiseDB <= 0 || o.NoiseRiseDB > 100:
		return fmt.Errorf("vad noise_rise_db %g: want 0 < x ≤ 100", o.NoiseRiseDB)
	case o.LeakMaxDelayMS < 0 || o.LeakMaxDelayMS > 1000:
		return fmt.Errorf("vad leak_max_delay_ms %g: want 0..1000", o.LeakMaxDelayMS)
	case o.LeakMaxLagMS < 0 || o.LeakMaxLagMS > 200:
		return fmt.Errorf("vad leak_max_lag_ms %g: want 0..200", o.LeakMaxLagMS)
	case o.LeakDecayDB < 0:
		return fmt.Errorf("vad leak_decay_db %g: want ≥ 0", o.LeakDecayDB)
	case o.LeakPercentile <= 0 || o.LeakPercentile >= 1:
		return fmt.Errorf("vad leak_percentile %g: want 0 < p < 1", o.LeakPercentile)
	case o.VoicedPeriodicity < 0 || o.VoicedPeriodicity > 1:
		return fmt.Errorf("vad voiced_periodicity %g: want 0..1", o.VoicedPeriodicity)
	case o.MinVoicedS < 0 || o.MinVoicedS > 10:
		return fmt.Errorf("vad min_voiced_s %g: want 0..10", o.MinVoicedS)
	case o.LookaheadS < 0 || o.LookaheadS > 60:
		return fmt.Errorf("vad lookahead_s %g: want 0..60", o.LookaheadS)
	}
	return nil
}

// TimelineOptions holds the thresholds of the call timeline (design card
// §5). Durations are seconds; they are applied on the 10 ms frame grid
// (rounded to whole frames) and a duration exactly at a threshold meets it.
type TimelineOptions struct {
	// Bridge: pauses shorter than this inside one channel's speech are
	// speech. Default 0.3 s.
	Bridge float64 `yaml:"bridge_s"`
	// MinSpeech: islands of speech shorter than this (after bridging) are
	// not speech. Default 0.1 s.
	MinSpeech float64 `yaml:"min_speech_s"`
	// SilenceMin: mutual silences at least this long are listed (rows of
	// the silences table, kind "gap"). Default 1 s.
	SilenceMin float64 `yaml:"silence_min_s"`
	// NonTalkMin: silences at least this long are "non_talk" (Contact
	// Lens/NICE non-talk time). Default 3 s.
	NonTalkMin float64 `yaml:"non_talk_min_s"`
	// DeadAirMin: silences at least this long are "dead_air". Default 10 s.
	DeadAirMin float64 `yaml:"dead_air_min_s"`
	// MinOverlap: overlap events shorter than this are not events (their
	// frames still count in overlap_s). Default 0.2 s.
	MinOverlap float64 `yaml:"min_overlap_s"`
	// BackchannelMax: a newcomer's segment shorter than this that lies
	// inside the other's speech is a backchannel. Default 1 s.
	BackchannelMax float64 `yaml:"backchannel_max_s"`
	// InterruptMinTalk: an interrupter keeps talking at least this long
	// from its start. Default 1 s.
	InterruptMinTalk float64 `yaml:"interrupt_min_talk_s"`
	// InterruptYield: the interrupted channel stops within this long of
	// the interrupter's start. Default 2 s.
	InterruptYield float64 `yaml:"interrupt_yield_s"`
}

// DefaultTimelineOptions returns the timeline defaults.
func DefaultTimelineOptions() TimelineOptions {
	return TimelineOptions{
		Bridge:           0.3,
		MinSpeech:        0.1,
		SilenceMin:       1,
		NonTalkMin:       3,
		DeadAirMin:       10,
		MinOverlap:       0.2,
		BackchannelMax:   1,
		InterruptMinTalk: 1,
		InterruptYield:   2,
	}
}

// Validate reports the first option out of range.
func (o TimelineOptions) Validate() error {
	for _, f := range []struct {
		name string
		v    float64
	}{
		{"bridge_s", o.Bridge}, {"min_speech_s", o.MinSpeech}, {"silence_min_s", o.SilenceMin},
		{"non_talk_min_s", o.NonTalkMin}, {"dead_air_min_s", o.DeadAirMin}, {"min_overlap_s", o.MinOverlap},
		{"backchannel_max_s", o.BackchannelMax}, {"interrupt_min_talk_s", o.InterruptMinTalk},
		{"interrupt_yield_s", o.InterruptYield},
	} {
		if f.v < 0 || f.v > 3600 {
			return fmt.Errorf("timeline %s %g: want 0..3600", f.name, f.v)
		}
	}
	if o.NonTalkMin < o.SilenceMin || o.DeadAirMin < o.NonTalkMin {
		return fmt.Errorf("timeline: want silence_min_s ≤ non_talk_min_s ≤ dead_air_min_s, have %g, %g, %g",
			o.SilenceMin, o.NonTalkMin, o.DeadAirMin)
	}
	return nil
}
