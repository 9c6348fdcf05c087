//go:build !amd64 || purego

package dsp

// Never called: lanesNative is false here.

func featLanesSIMDForTest(*laneFeat, []float32, int, int, int)       {}
func levelLanesSIMDForTest(*laneLevel, []float32, int, int, int) int { return 0 }
func goertzelLanesSIMDForTest(*laneGz, []float32, int, int, int)     {}
func dtmfEndLanesSIMDForTest(*laneGz, int) int                       { return 0 }
func dtmfGateLanesSIMDForTest(*laneGz, int64) int                    { return 0 }
func learnLagsSIMDForTest(*learnArgs)                                {}
