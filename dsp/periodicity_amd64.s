//go:build amd64 && !purego

#include "textflag.h"

// Kernels of vadFeatures.periodicityAtPos: the same products summed in
// the same order as the scalar code, four lags per vector.

// func corrLagsAVX2(dst *float64, a *float64, xb *float64, win, passes int)
//
// Each pass computes four groups of four lags: group g's lane j sums
// a[k]·xb[k−4g+j] over k < win, into dst[4g+j]; the next pass continues
// 16 lags further (xb 16 samples earlier, dst 16 further).
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
	XORQ   AX, AX

corrk:
	VBROADCASTSD (SI)(AX*8), Y4
	VMULPD       (DX)(AX*8), Y4, Y5
	VADDPD       Y5, Y0, Y0
	VMULPD       -32(DX)(AX*8), Y4, Y6
	VADDPD       Y6, Y1, Y1
	VMULPD       -64(DX)(AX*8), Y4, Y7
	VADDPD       Y7, Y2, Y2
	VMULPD       -96(DX)(AX*8), Y4, Y8
	VADDPD       Y8, Y3, Y3
	INCQ         AX
	CMPQ         AX, R8
	JNE          corrk

	VMOVUPD Y0, (DI)
	VMOVUPD Y1, 32(DI)
	VMOVUPD Y2, 64(DI)
	VMOVUPD Y3, 96(DI)
	ADDQ    $128, DI
	SUBQ    $128, DX
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
