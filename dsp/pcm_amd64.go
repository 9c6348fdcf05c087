//go:build amd64 && !purego

package dsp

import "golang.org/x/sys/cpu"

//go:noescape
func decode16AVX2(dst *float32, src *byte, n int)

func init() {
	if cpu.X86.HasAVX2 {
		decode16 = decode16SIMD
	}
}

func decode16SIMD(dst []float32, src []byte) int {
	n := len(dst) &^ 15
	if n == 0 {
		return 0
	}
	_ = src[2*n-1]
	decode16AVX2(&dst[0], &src[0], n)
	return n
}
