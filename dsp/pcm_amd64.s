//go:build amd64 && !purego

#include "textflag.h"

// 1/32768 as a float32: 2^-15.
DATA pcmScale16<>+0(SB)/4, $0x38000000
GLOBL pcmScale16<>(SB), RODATA|NOPTR, $4

// func decode16AVX2(dst *float32, src *byte, n int, stream bool)
//
// n 16-bit little-endian samples (n a multiple of 16) to float32 ×2^-15:
// sign extension, an exact int→float conversion and an exact scaling, so
// the result is the scalar loop's. With stream (dst 32-byte aligned) the
// stores bypass the cache: a block another core will read then costs no
// ownership transfer of its lines when it is written again.
TEXT ·decode16AVX2(SB), NOSPLIT, $0-25
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         n+16(FP), CX
	MOVBLZX      stream+24(FP), DX
	SHRQ         $4, CX
	JZ           done
	VBROADCASTSS pcmScale16<>(SB), Y2
	TESTQ        DX, DX
	JNZ          ntloop

// DECODE16 converts 16 samples from SI to DI with the store instruction
// STORE, and moves both on.
#define DECODE16(STORE) \
	VPMOVSXWD (SI), Y0 \
	VPMOVSXWD 16(SI), Y1 \
	VCVTDQ2PS Y0, Y0 \
	VCVTDQ2PS Y1, Y1 \
	VMULPS    Y2, Y0, Y0 \
	VMULPS    Y2, Y1, Y1 \
	STORE     Y0, (DI) \
	STORE     Y1, 32(DI) \
	ADDQ      $32, SI \
	ADDQ      $64, DI

loop:
	DECODE16(VMOVUPS)
	DECQ CX
	JNZ  loop
	VZEROUPPER

done:
	RET

ntloop:
	DECODE16(VMOVNTPS)
	DECQ CX
	JNZ  ntloop
	SFENCE
	VZEROUPPER
	RET
