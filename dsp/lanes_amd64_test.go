//go:build amd64 && !purego

package dsp

import "unsafe"

func featLanesSIMDForTest(st *laneFeat, x []float32, off, stride, n int) {
	featLanesSIMD(st, x, off, stride, n, laneN)
}

func levelLanesSIMDForTest(st *laneLevel, x []float32, off, stride, n int) int {
	return levelLanesSIMD(st, x, off, stride, n, laneN)
}

// goertzelLanesSIMDForTest runs every native Goertzel kernel this CPU has
// from copies of st and panics unless they agree bit for bit; st gets the
// result.
func goertzelLanesSIMDForTest(st *laneGz, x []float32, off, stride, n int) {
	if lanesAVX512 {
		st2 := *st
		goertzelLanesSIMD512(&st2, x, off, stride, n, laneN)
		goertzelLanesSIMD(st, x, off, stride, n, laneN)
		if st2 != *st && !bitsEqual(unsafe.Pointer(&st2), unsafe.Pointer(st), unsafe.Sizeof(st2)) {
			panic("dsp: AVX-512 and AVX2 Goertzel kernels differ")
		}
		return
	}
	goertzelLanesSIMD(st, x, off, stride, n, laneN)
}

func dtmfEndLanesSIMDForTest(st *laneGz, slot int) int { return dtmfEndLanesAVX2(st, slot) }

func dtmfGateLanesSIMDForTest(st *laneGz, k int64) int { return dtmfGateAVX2(st, k) }

func learnLagsSIMDForTest(a *learnArgs) { learnLagsAVX2(a) }
