//go:build !amd64 || purego

package dsp

// No SIMD kernels here: these are never called.

var periodicitySIMD = false

func corrLagsAVX2(dst *float64, a *float64, xb *float64, win, passes int) {
	panic("dsp: corrLagsAVX2 without SIMD")
}

func corrRatioAVX2(r, cs, eb *float64, ea float64, n int) { panic("dsp: corrRatioAVX2 without SIMD") }
