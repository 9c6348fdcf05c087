//go:build amd64 && !purego

package dsp

import "golang.org/x/sys/cpu"

//go:noescape
func corrLagsAVX2(dst *float64, a *float64, xb *float64, win, passes int)

//go:noescape
func corrRatioAVX2(r, cs, eb *float64, ea float64, n int)

// periodicitySIMD says whether vadFeatures.corrSIMD runs.
var periodicitySIMD = cpu.X86.HasAVX2
