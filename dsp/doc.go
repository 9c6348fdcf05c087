// Package dsp turns a multi-channel (unmixed) call recording into the
// per-channel timeline that every callscope metric comes from: a streaming
// PCM reader, a 10 ms frame grid, voice activity per channel with
// cross-channel leakage rejection, levels, DTMF, and the call timeline
// (segments, mutual silences, overlaps, turns).
//
// The package is pure computation over io.Reader: it opens no files and
// touches no network. Definitions follow the design card (metrics version
// MetricsVersion); every threshold is an Options field with a documented
// default.
package dsp
