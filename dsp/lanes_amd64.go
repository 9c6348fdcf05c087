//go:build amd64 && !purego

package dsp

import "golang.org/x/sys/cpu"

// lanesNative: the AVX2 kernels of lanes_amd64.s run where the CPU has
// AVX2 (x86-64-v3: Intel since Haswell, AMD since Excavator).
var lanesNative = cpu.X86.HasAVX2

// lanesAVX512: the Goertzel kernel has an AVX-512VL version (32 vector
// registers hold all its state).
var lanesAVX512 = lanesNative && cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL

func init() {
	if lanesNative {
		featLanes, levelLanes, goertzelLanes = featLanesSIMD, levelLanesSIMD, goertzelLanesSIMD
		dtmfEndLanes, dtmfGateLanes = dtmfEndLanesAVX2, dtmfGateAVX2
		learnLags = learnLagsAVX2
	}
	if lanesAVX512 {
		goertzelLanes = goertzelLanesSIMD512
	}
}

//go:noescape
func featLanesAVX2(st *laneFeat, x *float32, stride, n int)

//go:noescape
func levelLanesAVX2(st *laneLevel, x *float32, stride, n int) int

//go:noescape
func goertzelLanesAVX2(st *laneGz, x *float32, stride, n int)

//go:noescape
func goertzelLanesAVX512(st *laneGz, x *float32, stride, n int)

// The kernels read four lanes of every frame: x must hold them.
func laneBounds(x []float32, off, stride, n int) *float32 {
	_ = x[off+(n-1)*stride+laneN-1]
	return &x[off]
}

func featLanesSIMD(st *laneFeat, x []float32, off, stride, n, _ int) {
	featLanesAVX2(st, laneBounds(x, off, stride, n), 4*stride, n)
}

func levelLanesSIMD(st *laneLevel, x []float32, off, stride, n, _ int) int {
	return levelLanesAVX2(st, laneBounds(x, off, stride, n), 4*stride, n)
}

func goertzelLanesSIMD(st *laneGz, x []float32, off, stride, n, _ int) {
	goertzelLanesAVX2(st, laneBounds(x, off, stride, n), 4*stride, n)
}

func goertzelLanesSIMD512(st *laneGz, x []float32, off, stride, n, _ int) {
	goertzelLanesAVX512(st, laneBounds(x, off, stride, n), 4*stride, n)
}

//go:noescape
func dtmfEndLanesAVX2(st *laneGz, slot int) int

//go:noescape
func dtmfGateAVX2(st *laneGz, k int64) int

//go:noescape
func learnLagsAVX2(a *learnArgs)
