//go:build amd64 && !purego

package dsp

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

//go:noescape
func decode16AVX2(dst *float32, src *byte, n int, stream bool)

func init() {
	if cpu.X86.HasAVX2 {
		decode16 = decode16SIMD
	}
}

func decode16SIMD(dst []float32, src []byte, stream bool) int {
	n := len(dst) &^ 15
	if n == 0 {
		return 0
	}
	_ = src[2*n-1]
	stream = stream && uintptr(unsafe.Pointer(&dst[0]))%32 == 0
	decode16AVX2(&dst[0], &src[0], n, stream)
	return n
}
