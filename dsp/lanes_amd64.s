//go:build amd64 && !purego

#include "textflag.h"
#include "go_asm.h"

// AVX2 kernels of the lane groups (lanes.go): four channels, one per
// 64-bit lane, straight from interleaved float32 frames. Every operation is
// the one the portable kernel does, in the same order (no FMA), so the
// results are bit for bit equal; lanes_test.go checks it. Each frame's four
// lanes are read with one 16-byte load at x + i*stride.

// func featLanesAVX2(st *laneFeat, x *float32, stride, n int)
TEXT ·featLanesAVX2(SB), NOSPLIT, $0-32
	MOVQ st+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ stride+16(FP), BX
	MOVQ n+24(FP), CX
	VMOVUPD laneFeat_x1(DI), Y1
	VMOVUPD laneFeat_x2(DI), Y2
	VMOVUPD laneFeat_y1(DI), Y3
	VMOVUPD laneFeat_y2(DI), Y4
	VMOVUPD laneFeat_z1(DI), Y5
	VMOVUPD laneFeat_z2(DI), Y6
	VMOVUPD laneFeat_acc(DI), Y7
	VMOVUPD laneFeat_l1(DI), Y8
	VMOVUPD laneFeat_decAcc(DI), Y9
	MOVQ laneFeat_pos(DI), R8
	MOVQ laneFeat_decN(DI), DX
	MOVQ laneFeat_dec(DI), R9
	MOVQ laneFeat_mask(DI), R10

featloop:
	VCVTPS2PD (SI), Y0

	// w = (((b0*v + b1*x1) + b2*x2) - a2*y2) - a1*y1
	VMULPD laneFeat_b0(DI), Y0, Y10
	VMULPD laneFeat_b1(DI), Y1, Y11
	VADDPD Y11, Y10, Y10
	VMULPD laneFeat_b2(DI), Y2, Y11
	VADDPD Y11, Y10, Y10
	VMULPD laneFeat_a2(DI), Y4, Y11
	VSUBPD Y11, Y10, Y10
	VMULPD laneFeat_a1(DI), Y3, Y11
	VSUBPD Y11, Y10, Y10

	// y = (((c0*w + c1*y1) + c2*y2) - d2*z2) - d1*z1
	VMULPD laneFeat_c0(DI), Y10, Y12
	VMULPD laneFeat_c1(DI), Y3, Y11
	VADDPD Y11, Y12, Y12
	VMULPD laneFeat_c2(DI), Y4, Y11
	VADDPD Y11, Y12, Y12
	VMULPD laneFeat_d2(DI), Y6, Y11
	VSUBPD Y11, Y12, Y12
	VMULPD laneFeat_d1(DI), Y5, Y11
	VSUBPD Y11, Y12, Y12

	VMOVAPD Y1, Y2  // x2 = x1
	VMOVAPD Y0, Y1  // x1 = v
	VMOVAPD Y3, Y4  // y2 = y1
	VMOVAPD Y10, Y3 // y1 = w
	VMOVAPD Y5, Y6  // z2 = z1
	VMOVAPD Y12, Y5 // z1 = y

	// acc += y*y; l1 = lpB*y + lpA*l1; decAcc += l1
	VMULPD Y12, Y12, Y11
	VADDPD Y11, Y7, Y7
	VMULPD laneFeat_lpB(DI), Y12, Y11
	VMULPD laneFeat_lpA(DI), Y8, Y8
	VADDPD Y8, Y11, Y8
	VADDPD Y8, Y9, Y9

	INCQ DX
	CMPQ DX, R9
	JNE  featnext

	// Every dec samples: each lane's float32(decAcc) to its ring.
	VCVTPD2PSY Y9, X11
	MOVQ       R8, AX
	ANDQ       R10, AX
	MOVQ       laneFeat_ring+0(DI), R11
	VMOVSS     X11, (R11)(AX*4)
	MOVQ       laneFeat_ring+8(DI), R11
	VEXTRACTPS $1, X11, (R11)(AX*4)
	MOVQ       laneFeat_ring+16(DI), R11
	VEXTRACTPS $2, X11, (R11)(AX*4)
	MOVQ       laneFeat_ring+24(DI), R11
	VEXTRACTPS $3, X11, (R11)(AX*4)
	INCQ       R8
	VXORPD     Y9, Y9, Y9
	XORQ       DX, DX

featnext:
	ADDQ BX, SI
	DECQ CX
	JNZ  featloop

	VMOVUPD Y1, laneFeat_x1(DI)
	VMOVUPD Y2, laneFeat_x2(DI)
	VMOVUPD Y3, laneFeat_y1(DI)
	VMOVUPD Y4, laneFeat_y2(DI)
	VMOVUPD Y5, laneFeat_z1(DI)
	VMOVUPD Y6, laneFeat_z2(DI)
	VMOVUPD Y7, laneFeat_acc(DI)
	VMOVUPD Y8, laneFeat_l1(DI)
	VMOVUPD Y9, laneFeat_decAcc(DI)
	MOVQ    R8, laneFeat_pos(DI)
	MOVQ    DX, laneFeat_decN(DI)
	VZEROUPPER
	RET

// func levelLanesAVX2(st *laneLevel, x *float32, stride, n int) int
TEXT ·levelLanesAVX2(SB), NOSPLIT, $0-40
	MOVQ    st+0(FP), DI
	MOVQ    x+8(FP), SI
	MOVQ    stride+16(FP), BX
	MOVQ    n+24(FP), CX
	MOVQ    CX, R8
	MOVQ    laneLevel_laneMask(DI), R9
	VMOVUPD laneLevel_p(DI), Y3
	VMOVUPD laneLevel_q(DI), Y4
	VMOVUPD laneLevel_peak(DI), Y5
	VMOVDQU laneLevel_nClip(DI), Y6
	VMOVUPD laneLevel_sum(DI), Y7
	VMOVUPD laneLevel_sumSq(DI), Y8
	VMOVUPD laneLevel_frameSq(DI), Y9

levelloop:
	VCVTPS2PD (SI), Y0
	VANDPD    laneLevel_absMask(DI), Y0, Y1 // a = |v|
	VADDPD    Y0, Y7, Y7                    // sum += v
	VMULPD    Y0, Y0, Y2                    // v*v
	VADDPD    Y2, Y8, Y8                    // sumSq
	VADDPD    Y2, Y9, Y9                    // frameSq
	VMAXPD    Y5, Y1, Y5                    // peak = a > peak ? a : peak
	VCMPPD    $0x1d, laneLevel_clip(DI), Y1, Y12 // a >= clip (ordered)
	VPSUBQ    Y12, Y6, Y6                   // nClip++ where so
	VMULPD    laneLevel_g(DI), Y3, Y3
	VMULPD    laneLevel_g1(DI), Y1, Y12
	VADDPD    Y12, Y3, Y3                   // p = g*p + g1*a
	VMULPD    laneLevel_g(DI), Y4, Y4
	VMULPD    laneLevel_g1(DI), Y3, Y12
	VADDPD    Y12, Y4, Y4                   // q = g*q + g1*p
	VCMPPD    $0x1d, laneLevel_up(DI), Y4, Y12   // q >= up
	VCMPPD    $0x11, laneLevel_down(DI), Y4, Y13 // q < down
	VORPD     Y12, Y13, Y12
	VMOVMSKPD Y12, AX
	ADDQ      BX, SI
	DECQ      CX
	TESTQ     R9, AX
	JNZ       leveldone
	TESTQ     CX, CX
	JNZ       levelloop

leveldone:
	SUBQ    CX, R8
	VMOVUPD Y3, laneLevel_p(DI)
	VMOVUPD Y4, laneLevel_q(DI)
	VMOVUPD Y5, laneLevel_peak(DI)
	VMOVDQU Y6, laneLevel_nClip(DI)
	VMOVUPD Y7, laneLevel_sum(DI)
	VMOVUPD Y8, laneLevel_sumSq(DI)
	VMOVUPD Y9, laneLevel_frameSq(DI)
	MOVQ    R8, ret+32(FP)
	VZEROUPPER
	RET

// func goertzelLanesAVX2(st *laneGz, x *float32, stride, n int)
//
// All eight filters in one pass: a in Y0–Y7, b in st.s2 (memory: its
// store and reload are off the a → a dependency chain), the block sums in
// Y14 and Y15.
TEXT ·goertzelLanesAVX2(SB), NOSPLIT, $0-32
	MOVQ st+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ stride+16(FP), BX
	MOVQ n+24(FP), CX
	VMOVUPD laneGz_s1+0(DI), Y0
	VMOVUPD laneGz_s1+32(DI), Y1
	VMOVUPD laneGz_s1+64(DI), Y2
	VMOVUPD laneGz_s1+96(DI), Y3
	VMOVUPD laneGz_s1+128(DI), Y4
	VMOVUPD laneGz_s1+160(DI), Y5
	VMOVUPD laneGz_s1+192(DI), Y6
	VMOVUPD laneGz_s1+224(DI), Y7
	VMOVUPD laneGz_sum(DI), Y14
	VMOVUPD laneGz_sum2(DI), Y15

gzloop:
	VCVTPS2PD (SI), Y8
	VADDPD    Y8, Y14, Y14 // Σx
	VMULPD    Y8, Y8, Y9
	VADDPD    Y9, Y15, Y15 // Σx²
	// a, b = (s + c*a) - b, a
	VMULPD  laneGz_coef+0(DI), Y0, Y9
	VADDPD  Y9, Y8, Y9
	VSUBPD  laneGz_s2+0(DI), Y9, Y9
	VMOVUPD Y0, laneGz_s2+0(DI)
	VMOVAPD Y9, Y0
	VMULPD  laneGz_coef+32(DI), Y1, Y9
	VADDPD  Y9, Y8, Y9
	VSUBPD  laneGz_s2+32(DI), Y9, Y9
	VMOVUPD Y1, laneGz_s2+32(DI)
	VMOVAPD Y9, Y1
	VMULPD  laneGz_coef+64(DI), Y2, Y9
	VADDPD  Y9, Y8, Y9
	VSUBPD  laneGz_s2+64(DI), Y9, Y9
	VMOVUPD Y2, laneGz_s2+64(DI)
	VMOVAPD Y9, Y2
	VMULPD  laneGz_coef+96(DI), Y3, Y9
	VADDPD  Y9, Y8, Y9
	VSUBPD  laneGz_s2+96(DI), Y9, Y9
	VMOVUPD Y3, laneGz_s2+96(DI)
	VMOVAPD Y9, Y3
	VMULPD  laneGz_coef+128(DI), Y4, Y9
	VADDPD  Y9, Y8, Y9
	VSUBPD  laneGz_s2+128(DI), Y9, Y9
	VMOVUPD Y4, laneGz_s2+128(DI)
	VMOVAPD Y9, Y4
	VMULPD  laneGz_coef+160(DI), Y5, Y9
	VADDPD  Y9, Y8, Y9
	VSUBPD  laneGz_s2+160(DI), Y9, Y9
	VMOVUPD Y5, laneGz_s2+160(DI)
	VMOVAPD Y9, Y5
	VMULPD  laneGz_coef+192(DI), Y6, Y9
	VADDPD  Y9, Y8, Y9
	VSUBPD  laneGz_s2+192(DI), Y9, Y9
	VMOVUPD Y6, laneGz_s2+192(DI)
	VMOVAPD Y9, Y6
	VMULPD  laneGz_coef+224(DI), Y7, Y9
	VADDPD  Y9, Y8, Y9
	VSUBPD  laneGz_s2+224(DI), Y9, Y9
	VMOVUPD Y7, laneGz_s2+224(DI)
	VMOVAPD Y9, Y7
	ADDQ BX, SI
	DECQ CX
	JNZ  gzloop

	VMOVUPD Y0, laneGz_s1+0(DI)
	VMOVUPD Y1, laneGz_s1+32(DI)
	VMOVUPD Y2, laneGz_s1+64(DI)
	VMOVUPD Y3, laneGz_s1+96(DI)
	VMOVUPD Y4, laneGz_s1+128(DI)
	VMOVUPD Y5, laneGz_s1+160(DI)
	VMOVUPD Y6, laneGz_s1+192(DI)
	VMOVUPD Y7, laneGz_s1+224(DI)
	VMOVUPD Y14, laneGz_sum(DI)
	VMOVUPD Y15, laneGz_sum2(DI)
	VZEROUPPER
	RET


// func goertzelLanesAVX512(st *laneGz, x *float32, stride, n int)
//
// goertzelLanesAVX2 with AVX-512VL's 32 registers: a (Y0–Y7), b (Y16–Y23)
// and the coefficients (Y24–Y31) all stay in registers; the new a is
// written over b, so a's and b's registers swap roles every frame (two
// frames per loop).
TEXT ·goertzelLanesAVX512(SB), NOSPLIT, $0-32
	MOVQ st+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ stride+16(FP), BX
	MOVQ n+24(FP), CX
	VMOVUPD laneGz_s1+0(DI), Y0
	VMOVUPD laneGz_s1+32(DI), Y1
	VMOVUPD laneGz_s1+64(DI), Y2
	VMOVUPD laneGz_s1+96(DI), Y3
	VMOVUPD laneGz_s1+128(DI), Y4
	VMOVUPD laneGz_s1+160(DI), Y5
	VMOVUPD laneGz_s1+192(DI), Y6
	VMOVUPD laneGz_s1+224(DI), Y7
	VMOVUPD laneGz_s2+0(DI), Y16
	VMOVUPD laneGz_s2+32(DI), Y17
	VMOVUPD laneGz_s2+64(DI), Y18
	VMOVUPD laneGz_s2+96(DI), Y19
	VMOVUPD laneGz_s2+128(DI), Y20
	VMOVUPD laneGz_s2+160(DI), Y21
	VMOVUPD laneGz_s2+192(DI), Y22
	VMOVUPD laneGz_s2+224(DI), Y23
	VMOVUPD laneGz_coef+0(DI), Y24
	VMOVUPD laneGz_coef+32(DI), Y25
	VMOVUPD laneGz_coef+64(DI), Y26
	VMOVUPD laneGz_coef+96(DI), Y27
	VMOVUPD laneGz_coef+128(DI), Y28
	VMOVUPD laneGz_coef+160(DI), Y29
	VMOVUPD laneGz_coef+192(DI), Y30
	VMOVUPD laneGz_coef+224(DI), Y31
	VMOVUPD laneGz_sum(DI), Y14
	VMOVUPD laneGz_sum2(DI), Y15
	TESTQ   $1, CX
	JZ      gz512pairs

	// One frame with moves, so that an even count remains.
	VCVTPS2PD (SI), Y8
	VADDPD    Y8, Y14, Y14
	VMULPD    Y8, Y8, Y10
	VADDPD    Y10, Y15, Y15
	VMULPD  Y24, Y0, Y9
	VADDPD  Y9, Y8, Y9
	VSUBPD  Y16, Y9, Y9
	VMOVAPD Y0, Y16
	VMOVAPD Y9, Y0
	VMULPD  Y25, Y1, Y9
	VADDPD  Y9, Y8, Y9
	VSUBPD  Y17, Y9, Y9
	VMOVAPD Y1, Y17
	VMOVAPD Y9, Y1
	VMULPD  Y26, Y2, Y9
	VADDPD  Y9, Y8, Y9
	VSUBPD  Y18, Y9, Y9
	VMOVAPD Y2, Y18
	VMOVAPD Y9, Y2
	VMULPD  Y27, Y3, Y9
	VADDPD  Y9, Y8, Y9
	VSUBPD  Y19, Y9, Y9
	VMOVAPD Y3, Y19
	VMOVAPD Y9, Y3
	VMULPD  Y28, Y4, Y9
	VADDPD  Y9, Y8, Y9
	VSUBPD  Y20, Y9, Y9
	VMOVAPD Y4, Y20
	VMOVAPD Y9, Y4
	VMULPD  Y29, Y5, Y9
	VADDPD  Y9, Y8, Y9
	VSUBPD  Y21, Y9, Y9
	VMOVAPD Y5, Y21
	VMOVAPD Y9, Y5
	VMULPD  Y30, Y6, Y9
	VADDPD  Y9, Y8, Y9
	VSUBPD  Y22, Y9, Y9
	VMOVAPD Y6, Y22
	VMOVAPD Y9, Y6
	VMULPD  Y31, Y7, Y9
	VADDPD  Y9, Y8, Y9
	VSUBPD  Y23, Y9, Y9
	VMOVAPD Y7, Y23
	VMOVAPD Y9, Y7
	ADDQ BX, SI
	DECQ CX

gz512pairs:
	TESTQ CX, CX
	JZ    gz512done

gz512loop:
	VCVTPS2PD (SI), Y8
	VADDPD    Y8, Y14, Y14
	VMULPD    Y8, Y8, Y10
	VADDPD    Y10, Y15, Y15
	VMULPD Y24, Y0, Y9
	VADDPD Y9, Y8, Y9
	VSUBPD Y16, Y9, Y16
	VMULPD Y25, Y1, Y9
	VADDPD Y9, Y8, Y9
	VSUBPD Y17, Y9, Y17
	VMULPD Y26, Y2, Y9
	VADDPD Y9, Y8, Y9
	VSUBPD Y18, Y9, Y18
	VMULPD Y27, Y3, Y9
	VADDPD Y9, Y8, Y9
	VSUBPD Y19, Y9, Y19
	VMULPD Y28, Y4, Y9
	VADDPD Y9, Y8, Y9
	VSUBPD Y20, Y9, Y20
	VMULPD Y29, Y5, Y9
	VADDPD Y9, Y8, Y9
	VSUBPD Y21, Y9, Y21
	VMULPD Y30, Y6, Y9
	VADDPD Y9, Y8, Y9
	VSUBPD Y22, Y9, Y22
	VMULPD Y31, Y7, Y9
	VADDPD Y9, Y8, Y9
	VSUBPD Y23, Y9, Y23
	VCVTPS2PD (SI)(BX*1), Y8
	VADDPD    Y8, Y14, Y14
	VMULPD    Y8, Y8, Y10
	VADDPD    Y10, Y15, Y15
	VMULPD Y24, Y16, Y9
	VADDPD Y9, Y8, Y9
	VSUBPD Y0, Y9, Y0
	VMULPD Y25, Y17, Y9
	VADDPD Y9, Y8, Y9
	VSUBPD Y1, Y9, Y1
	VMULPD Y26, Y18, Y9
	VADDPD Y9, Y8, Y9
	VSUBPD Y2, Y9, Y2
	VMULPD Y27, Y19, Y9
	VADDPD Y9, Y8, Y9
	VSUBPD Y3, Y9, Y3
	VMULPD Y28, Y20, Y9
	VADDPD Y9, Y8, Y9
	VSUBPD Y4, Y9, Y4
	VMULPD Y29, Y21, Y9
	VADDPD Y9, Y8, Y9
	VSUBPD Y5, Y9, Y5
	VMULPD Y30, Y22, Y9
	VADDPD Y9, Y8, Y9
	VSUBPD Y6, Y9, Y6
	VMULPD Y31, Y23, Y9
	VADDPD Y9, Y8, Y9
	VSUBPD Y7, Y9, Y7
	LEAQ (SI)(BX*2), SI
	SUBQ $2, CX
	JNZ  gz512loop

gz512done:
	VMOVUPD Y0, laneGz_s1+0(DI)
	VMOVUPD Y1, laneGz_s1+32(DI)
	VMOVUPD Y2, laneGz_s1+64(DI)
	VMOVUPD Y3, laneGz_s1+96(DI)
	VMOVUPD Y4, laneGz_s1+128(DI)
	VMOVUPD Y5, laneGz_s1+160(DI)
	VMOVUPD Y6, laneGz_s1+192(DI)
	VMOVUPD Y7, laneGz_s1+224(DI)
	VMOVUPD Y16, laneGz_s2+0(DI)
	VMOVUPD Y17, laneGz_s2+32(DI)
	VMOVUPD Y18, laneGz_s2+64(DI)
	VMOVUPD Y19, laneGz_s2+96(DI)
	VMOVUPD Y20, laneGz_s2+128(DI)
	VMOVUPD Y21, laneGz_s2+160(DI)
	VMOVUPD Y22, laneGz_s2+192(DI)
	VMOVUPD Y23, laneGz_s2+224(DI)
	VMOVUPD Y14, laneGz_sum(DI)
	VMOVUPD Y15, laneGz_sum2(DI)
	VZEROUPPER
	RET

DATA dtmfMaxE<>+0(SB)/8, $0x7fefffffffffffff // math.MaxFloat64
DATA dtmfMaxE<>+8(SB)/8, $2.0
GLOBL dtmfMaxE<>(SB), RODATA|NOPTR, $16

// func dtmfEndLanesAVX2(st *laneGz, slot int) int
// dtmfEndLanesGo: per filter f, with the group's phase reference,
// yr = s1 − Re(finish)·s2, yi = −(Im(finish)·s2), value = (yr·pr − yi·pi,
// yr·pi + yi·pr) to each lane's cdst, power = re·re + im·im to pw[slot];
// then per lane mean = sum/n, e = max(0, (sum2 − (2·dc)·sum) + (n·dc)·dc),
// dc += dcG·(mean − dc), and the lanes with !(e ≤ MaxFloat64) or
// !(|dc| ≤ 2) silenced (e = dc = 0, returned as a mask). Filters and sums
// are cleared.
TEXT ·dtmfEndLanesAVX2(SB), NOSPLIT, $0-24
	MOVQ st+0(FP), DI
	MOVQ slot+8(FP), DX
	MOVQ DX, SI
	SHLQ $8, SI
	LEAQ laneGz_pw(DI)(SI*1), SI // &pw[slot]
	MOVQ laneGz_cdst+0(DI), R8
	MOVQ laneGz_cdst+8(DI), R9
	MOVQ laneGz_cdst+16(DI), R10
	MOVQ laneGz_cdst+24(DI), R11
	VXORPD    Y15, Y15, Y15
	VPCMPEQQ  Y14, Y14, Y14
	VPSLLQ    $63, Y14, Y14 // the sign bit of every lane
	XORQ AX, AX             // f·32: offset into [8][4]float64
	XORQ BX, BX             // f·16: offset into [8]complex128

endloop:
	VMOVUPD      laneGz_s1(DI)(AX*1), Y0
	VMOVUPD      laneGz_s2(DI)(AX*1), Y1
	VBROADCASTSD laneGz_ref+goertzelBank_finish(DI)(BX*1), Y2   // Re(finish)
	VBROADCASTSD laneGz_ref+goertzelBank_finish+8(DI)(BX*1), Y3 // Im(finish)
	VBROADCASTSD laneGz_ref+goertzelBank_phase(DI)(BX*1), Y4    // pr
	VBROADCASTSD laneGz_ref+goertzelBank_phase+8(DI)(BX*1), Y5  // pi
	VMULPD Y2, Y1, Y6
	VSUBPD Y6, Y0, Y6  // yr
	VMULPD Y3, Y1, Y7
	VXORPD Y14, Y7, Y7 // yi
	VMULPD Y4, Y6, Y8
	VMULPD Y5, Y7, Y9
	VSUBPD Y9, Y8, Y8  // re = yr·pr − yi·pi
	VMULPD Y5, Y6, Y10
	VMULPD Y4, Y7, Y11
	VADDPD Y11, Y10, Y10 // im = yr·pi + yi·pr
	// Each lane's (re, im) to its ring slot.
	VUNPCKLPD    Y10, Y8, Y11 // re0 im0 re2 im2
	VUNPCKHPD    Y10, Y8, Y12 // re1 im1 re3 im3
	VMOVUPD      X11, (R8)(BX*1)
	VMOVUPD      X12, (R9)(BX*1)
	VEXTRACTF128 $1, Y11, (R10)(BX*1)
	VEXTRACTF128 $1, Y12, (R11)(BX*1)
	VMULPD Y8, Y8, Y12
	VMULPD Y10, Y10, Y13
	VADDPD Y13, Y12, Y12
	VMOVUPD Y12, (SI)(AX*1)
	VMOVUPD Y15, laneGz_s1(DI)(AX*1)
	VMOVUPD Y15, laneGz_s2(DI)(AX*1)
	ADDQ $32, AX
	ADDQ $16, BX
	CMPQ AX, $(32*const_goertzelMaxFreqs)
	JLT  endloop

	// The block's energy about the DC tracker.
	VMOVUPD      laneGz_sum(DI), Y0
	VMOVUPD      laneGz_sum2(DI), Y1
	VMOVUPD      laneGz_dc(DI), Y2
	VBROADCASTSD laneGz_blockN(DI), Y3
	VDIVPD       Y3, Y0, Y4 // mean
	VADDPD       Y2, Y2, Y5 // 2·dc (exact)
	VMULPD       Y0, Y5, Y5
	VSUBPD       Y5, Y1, Y5
	VMULPD       Y2, Y3, Y6
	VMULPD       Y2, Y6, Y6
	VADDPD       Y6, Y5, Y5
	VMAXPD       Y5, Y15, Y5 // max(0, x), x when NaN or ±0
	VADDPD       Y15, Y5, Y5 // −0 → +0, as Go's max: e
	VSUBPD       Y2, Y4, Y7
	VBROADCASTSD laneGz_dcG(DI), Y9
	VMULPD       Y7, Y9, Y7
	VADDPD       Y7, Y2, Y2 // dc
	VBROADCASTSD dtmfMaxE<>+0(SB), Y10
	VCMPPD       $0x06, Y10, Y5, Y12 // !(e <= MaxFloat64)
	VANDNPD      Y2, Y14, Y11        // |dc|
	VBROADCASTSD dtmfMaxE<>+8(SB), Y10
	VCMPPD       $0x06, Y10, Y11, Y13 // !(|dc| <= 2)
	VORPD        Y13, Y12, Y12
	VANDNPD      Y5, Y12, Y5
	VANDNPD      Y2, Y12, Y2
	VMOVMSKPD    Y12, AX
	MOVQ         AX, ret+16(FP)
	VMOVUPD      Y2, laneGz_dc(DI)
	SHLQ         $5, DX
	VMOVUPD      Y5, laneGz_e(DI)(DX*1)
	MOVQ         laneGz_edst+0(DI), R8
	MOVQ         laneGz_edst+8(DI), R9
	MOVQ         laneGz_edst+16(DI), R10
	MOVQ         laneGz_edst+24(DI), R11
	VMOVSD       X5, (R8)
	VMOVHPD      X5, (R9)
	VEXTRACTF128 $1, Y5, X6
	VMOVSD       X6, (R10)
	VMOVHPD      X6, (R11)
	VMOVUPD      Y15, laneGz_sum(DI)
	VMOVUPD      Y15, laneGz_sum2(DI)
	VZEROUPPER
	RET

// GATESUM adds the six blocks' values at offset off of the slots in
// R8…R13 (already scaled) into Y, from zero, in window order.
#define GATESUM(base, off, Y) \
	VXORPD Y, Y, Y \
	VADDPD base+off(DI)(R8*1), Y, Y \
	VADDPD base+off(DI)(R9*1), Y, Y \
	VADDPD base+off(DI)(R10*1), Y, Y \
	VADDPD base+off(DI)(R11*1), Y, Y \
	VADDPD base+off(DI)(R12*1), Y, Y \
	VADDPD base+off(DI)(R13*1), Y, Y

// GATEPASS sets Yp to the lanes whose filter f passes: gateTwoL·inc ≥ gate
// (Y2, ordered: false for NaN), inc the six blocks' powers.
#define GATEPASS(f, Yp) \
	GATESUM(laneGz_pw, (32*f), Yp) \
	VMULPD Y3, Yp, Yp \
	VCMPPD $0x1d, Y2, Yp, Yp

// SLOT sets R to the ring slot of block k−5+m, times scale.
#define SLOT(m, R, shift) \
	LEAQ (m-5)(CX), R \
	ANDQ $(const_dtmfRing-1), R \
	SHLQ $shift, R

// func dtmfGateAVX2(st *laneGz, k int64) int
// dtmfGateLanesGo's tests for the four lanes at once: the same sums in the
// same order, the same products, quotient and comparisons.
TEXT ·dtmfGateAVX2(SB), NOSPLIT, $0-24
	MOVQ st+0(FP), DI
	MOVQ k+8(FP), CX
	// Energies: [dtmfRing][4]float64, 32 bytes a slot.
	SLOT(0, R8, 5)
	SLOT(1, R9, 5)
	SLOT(2, R10, 5)
	SLOT(3, R11, 5)
	SLOT(4, R12, 5)
	SLOT(5, R13, 5)
	GATESUM(laneGz_e, 0, Y0)
	VBROADCASTSD laneGz_gateE(DI), Y1
	VCMPPD       $0x05, Y1, Y0, Y1 // !(e < gateE)
	VBROADCASTSD laneGz_gateWk(DI), Y2
	VMULPD       Y2, Y0, Y2
	VBROADCASTSD laneGz_gateDen(DI), Y4
	VDIVPD       Y4, Y2, Y2 // wk·e/den
	VBROADCASTSD laneGz_gateMin(DI), Y4
	VMAXPD       Y2, Y4, Y2 // math.Max(min, wk·e/den): NaN when the quotient is
	VBROADCASTSD laneGz_gate08(DI), Y4
	VMULPD       Y4, Y2, Y2 // gate
	VBROADCASTSD laneGz_gateTwoL(DI), Y3
	// Powers: [dtmfRing][8][4]float64, 256 bytes a slot.
	SHLQ $3, R8
	SHLQ $3, R9
	SHLQ $3, R10
	SHLQ $3, R11
	SHLQ $3, R12
	SHLQ $3, R13
	GATEPASS(0, Y4)
	GATEPASS(1, Y5)
	VORPD Y5, Y4, Y4
	GATEPASS(2, Y5)
	VORPD Y5, Y4, Y4
	GATEPASS(3, Y5)
	VORPD Y5, Y4, Y4 // low group
	GATEPASS(4, Y6)
	GATEPASS(5, Y5)
	VORPD Y5, Y6, Y6
	GATEPASS(6, Y5)
	VORPD Y5, Y6, Y6
	GATEPASS(7, Y5)
	VORPD Y5, Y6, Y6 // high group
	VANDPD    Y6, Y4, Y4
	VANDPD    Y1, Y4, Y4
	VMOVMSKPD Y4, AX
	MOVQ      AX, ret+16(FP)
	VZEROUPPER
	RET

// func learnLagsAVX2(a *learnArgs), for a.dw == 4
// learnLagsGo: the ring walked back from tr, one lag a step; for each lag
// whose frame had a dominant source j, x = float64(db[ls*nch+j]),
// wx = w·x, wxx = wx·x, three scalar adds into xstat and the twelve
// listener sums of dstat in three vectors (Σy += w·y, Σyy += w·y·y,
// Σxy += wx·y).
TEXT ·learnLagsAVX2(SB), NOSPLIT, $0-8
	MOVQ a+0(FP), DI
	MOVQ learnArgs_dom(DI), SI
	MOVQ learnArgs_db(DI), R8
	MOVQ learnArgs_dstat(DI), R9
	MOVQ learnArgs_xstat(DI), R10
	MOVQ learnArgs_tr(DI), AX // ls
	MOVQ learnArgs_r(DI), R11
	MOVQ learnArgs_n(DI), CX
	MOVQ learnArgs_nl(DI), R12
	MOVQ learnArgs_nch(DI), R13
	XORQ DX, DX               // l
	TESTQ CX, CX
	JLE   learndone
	VMOVSD  learnArgs_w(DI), X4
	MOVQ    learnArgs_ly(DI), R14
	VMOVUPD (R14), Y1
	MOVQ    learnArgs_lwy(DI), R14
	VMOVUPD (R14), Y2
	MOVQ    learnArgs_lwyy(DI), R14
	VMOVUPD (R14), Y3

learnloop:
	MOVBQSX (SI)(AX*1), BX // j
	TESTQ   BX, BX
	JS      learnnext
	MOVQ    AX, R14
	IMULQ   R13, R14
	ADDQ    BX, R14
	VCVTSS2SD (R8)(R14*4), X5, X5 // x
	VMULSD  X5, X4, X6            // wx = w·x
	VMULSD  X5, X6, X7            // wxx = wx·x
	MOVQ    BX, R14
	IMULQ   R12, R14
	ADDQ    DX, R14               // k = j·nl + l
	LEAQ    (R14)(R14*2), R15     // 3k
	LEAQ    (R10)(R15*8), R15     // &xstat[3k]
	VADDSD  (R15), X4, X8
	VMOVSD  X8, (R15)
	VADDSD  8(R15), X6, X8
	VMOVSD  X8, 8(R15)
	VADDSD  16(R15), X7, X8
	VMOVSD  X8, 16(R15)
	LEAQ    (R14)(R14*2), R15     // 3k
	SHLQ    $5, R15               // 96k bytes
	ADDQ    R9, R15               // &dstat[12k]
	VADDPD  (R15), Y2, Y8
	VMOVUPD Y8, (R15)
	VADDPD  32(R15), Y3, Y8
	VMOVUPD Y8, 32(R15)
	VBROADCASTSD X6, Y9
	VMULPD  Y1, Y9, Y9
	VADDPD  64(R15), Y9, Y8
	VMOVUPD Y8, 64(R15)

learnnext:
	DECQ AX
	JNS  learnwrap
	ADDQ R11, AX

learnwrap:
	INCQ DX
	CMPQ DX, CX
	JLT  learnloop

learndone:
	VZEROUPPER
	RET
