//go:build amd64 && !purego

package dsp

func featLanesSIMDForTest(st *laneFeat, x []float32, off, stride, n int) {
	featLanesSIMD(st, x, off, stride, n, laneN)
}

func levelLanesSIMDForTest(st *laneLevel, x []float32, off, stride, n int) int {
	return levelLanesSIMD(st, x, off, stride, n, laneN)
}

func goertzelLanesSIMDForTest(st *laneGz, x []float32, off, stride, n int) {
	goertzelLanesSIMD(st, x, off, stride, n, laneN)
}
