//go:build amd64 && !purego

#include "textflag.h"

// Kernels of vadFeatures.periodicityAtPos: the same products summed in
// the same order as the scalar code, four lags per vector.

// func corrLagsAVX2(dst *float64, a *float64, xb *float64, win, passes int)
//
// Each pass computes eight groups of four lags: group g's lane j sums
// a[k]·xb[k−4g+j] over k < win, into dst[4g+j]; the next pass continues
// 32 lags further (xb 32 samples earlier, dst 32 further). Eight
// accumulators keep the adds' latency hidden.
TEXT ·corrLagsAVX2(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ xb+16(FP), DX
	MOVQ win+24(FP), R8
	MOVQ passes+32(FP), R9

corrpass:
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	XORQ   AX, AX

corrk:
	VBROADCASTSD (SI)(AX*8), Y8
	VMULPD       (DX)(AX*8), Y8, Y9
	VADDPD       Y9, Y0, Y0
	VMULPD       -32(DX)(AX*8), Y8, Y10
	VADDPD       Y10, Y1, Y1
	VMULPD       -64(DX)(AX*8), Y8, Y11
	VADDPD       Y11, Y2, Y2
	VMULPD       -96(DX)(AX*8), Y8, Y12
	VADDPD       Y12, Y3, Y3
	VMULPD       -128(DX)(AX*8), Y8, Y13
	VADDPD       Y13, Y4, Y4
	VMULPD       -160(DX)(AX*8), Y8, Y14
	VADDPD       Y14, Y5, Y5
	VMULPD       -192(DX)(AX*8), Y8, Y15
	VADDPD       Y15, Y6, Y6
	VMULPD       -224(DX)(AX*8), Y8, Y9
	VADDPD       Y9, Y7, Y7
	INCQ         AX
	CMPQ         AX, R8
	JNE          corrk

	VMOVUPD Y0, (DI)
	VMOVUPD Y1, 32(DI)
	VMOVUPD Y2, 64(DI)
	VMOVUPD Y3, 96(DI)
	VMOVUPD Y4, 128(DI)
	VMOVUPD Y5, 160(DI)
	VMOVUPD Y6, 192(DI)
	VMOVUPD Y7, 224(DI)
	ADDQ    $256, DI
	SUBQ    $256, DX
	DECQ    R9
	JNZ     corrpass
	VZEROUPPER
	RET

DATA corrMinE<>+0(SB)/8, $1e-18
GLOBL corrMinE<>(SB), RODATA|NOPTR, $8

// func corrRatioAVX2(r, cs, eb *float64, ea float64, n int)
//
// r[i] = cs[i] / sqrt(ea·eb[i]) where eb[i] > 1e-18, else 0; n a multiple
// of 4.
TEXT ·corrRatioAVX2(SB), NOSPLIT, $0-40
	MOVQ         r+0(FP), DI
	MOVQ         cs+8(FP), SI
	MOVQ         eb+16(FP), DX
	VBROADCASTSD ea+24(FP), Y0
	MOVQ         n+32(FP), CX
	VBROADCASTSD corrMinE<>(SB), Y1
	SHRQ         $2, CX
	JZ           ratiodone

ratioloop:
	VMOVUPD (SI), Y2
	VMOVUPD (DX), Y3
	VCMPPD  $0x1e, Y1, Y3, Y4 // eb > 1e-18 (ordered)
	VMULPD  Y3, Y0, Y3
	VSQRTPD Y3, Y3
	VDIVPD  Y3, Y2, Y2
	VANDPD  Y4, Y2, Y2
	VMOVUPD Y2, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	DECQ    CX
	JNZ     ratioloop

ratiodone:
	VZEROUPPER
	RET
