//go:build !amd64 || purego

package dsp

// lanesNative: no SIMD kernels on this platform; Analyze works channel by
// channel.
var lanesNative = false
