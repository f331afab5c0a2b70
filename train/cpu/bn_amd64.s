//go:build amd64 && !purego

#include "textflag.h"

// Row kernels of batch normalisation (bn.go). Each runs over rows rows of n channels
// with row stride ld (both in elements, n a multiple of 8); per-channel arrays have n
// values. AVX2 and FMA.

// func bnStatsRows(x *float32, rows, ld, n int, s, q *float64)
// s[k] += Σ_r x[r·ld+k], q[k] += Σ_r x[r·ld+k]² in float64; n a multiple of 8, rows
// >= 1. Blocks of 8 channels in turn, each over all the rows with its sums in registers.
TEXT ·bnStatsRows(SB), NOSPLIT, $0-48
	MOVQ x+0(FP), SI
	MOVQ rows+8(FP), AX
	MOVQ ld+16(FP), DX
	SHLQ $2, DX
	MOVQ n+24(FP), CX
	MOVQ s+32(FP), R8
	MOVQ q+40(FP), R9
	TESTQ AX, AX
	JZ sdone
	TESTQ CX, CX
	JZ sdone
sblk:
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	MOVQ SI, DI
	MOVQ AX, BX
srow:
	VCVTPS2PD (DI), Y4
	VCVTPS2PD 16(DI), Y5
	VADDPD Y4, Y0, Y0
	VADDPD Y5, Y1, Y1
	VFMADD231PD Y4, Y4, Y2
	VFMADD231PD Y5, Y5, Y3
	ADDQ DX, DI
	DECQ BX
	JNZ srow
	VADDPD (R8), Y0, Y0
	VADDPD 32(R8), Y1, Y1
	VADDPD (R9), Y2, Y2
	VADDPD 32(R9), Y3, Y3
	VMOVUPD Y0, (R8)
	VMOVUPD Y1, 32(R8)
	VMOVUPD Y2, (R9)
	VMOVUPD Y3, 32(R9)
	ADDQ $32, SI
	ADDQ $64, R8
	ADDQ $64, R9
	SUBQ $8, CX
	JNZ sblk
sdone:
	VZEROUPPER
	RET

// func bnGradSumRows(dy, y, x, mu *float32, rows, ld, n int, s, q *float64)
// With dz = dy, or dy masked to y > 0 when y != nil: s[k] += Σ_r dz, q[k] += Σ_r
// dz·(x − mu[k]) in float64 (the difference in float32); n a multiple of 8. Blocks of
// 8 channels in turn, each over all the rows with its sums in registers.
TEXT ·bnGradSumRows(SB), NOSPLIT, $0-72
	MOVQ dy+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ x+16(FP), R11
	MOVQ mu+24(FP), R10
	MOVQ rows+32(FP), AX
	MOVQ ld+40(FP), DX
	SHLQ $2, DX
	MOVQ n+48(FP), CX
	MOVQ s+56(FP), R8
	MOVQ q+64(FP), R9
	MOVQ AX, R12
	IMULQ DX, R12 // rows·ld in bytes: how far a block's pointers advance
	VXORPS Y15, Y15, Y15
	TESTQ AX, AX
	JZ gdone
	TESTQ CX, CX
	JZ gdone
gblk:
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VMOVUPS (R10), Y14
	MOVQ AX, BX
grow:
	VMOVUPS (SI), Y4
	TESTQ DI, DI
	JZ gnomask
	VMOVUPS (DI), Y5
	VCMPPS $0x1e, Y15, Y5, Y5
	VANDPS Y5, Y4, Y4
	ADDQ DX, DI
gnomask:
	VMOVUPS (R11), Y6
	VSUBPS Y14, Y6, Y6
	VCVTPS2PD X4, Y8
	VEXTRACTF128 $1, Y4, X9
	VCVTPS2PD X9, Y9
	VCVTPS2PD X6, Y10
	VEXTRACTF128 $1, Y6, X11
	VCVTPS2PD X11, Y11
	VADDPD Y8, Y0, Y0
	VADDPD Y9, Y1, Y1
	VFMADD231PD Y10, Y8, Y2
	VFMADD231PD Y11, Y9, Y3
	ADDQ DX, SI
	ADDQ DX, R11
	DECQ BX
	JNZ grow
	VADDPD (R8), Y0, Y0
	VADDPD 32(R8), Y1, Y1
	VADDPD (R9), Y2, Y2
	VADDPD 32(R9), Y3, Y3
	VMOVUPD Y0, (R8)
	VMOVUPD Y1, 32(R8)
	VMOVUPD Y2, (R9)
	VMOVUPD Y3, 32(R9)
	SUBQ R12, SI
	SUBQ R12, R11
	ADDQ $32, SI
	ADDQ $32, R11
	TESTQ DI, DI
	JZ gnext
	SUBQ R12, DI
	ADDQ $32, DI
gnext:
	ADDQ $32, R10
	ADDQ $64, R8
	ADDQ $64, R9
	SUBQ $8, CX
	JNZ gblk
gdone:
	VZEROUPPER
	RET

// func bnApplyRows(y, x, res, sc, sh, mu *float32, rows, ld, n int, relu bool)
// y = (x − mu[k])·sc[k] + sh[k] (+ res when res != nil), then max(0, ·) when relu;
// n multiple of 8.
TEXT ·bnApplyRows(SB), NOSPLIT, $0-73
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ res+16(FP), R11
	MOVQ sc+24(FP), R8
	MOVQ sh+32(FP), R9
	MOVQ mu+40(FP), R10
	MOVQ rows+48(FP), AX
	MOVQ ld+56(FP), DX
	SHLQ $2, DX
	MOVQ n+64(FP), CX
	MOVBLZX relu+72(FP), R12
	VXORPS Y15, Y15, Y15
	TESTQ AX, AX
	JZ adone
	TESTQ CX, CX
	JZ adone
arow:
	XORQ BX, BX
ach:
	VMOVUPS (SI)(BX*4), Y0
	VSUBPS (R10)(BX*4), Y0, Y0
	VMULPS (R8)(BX*4), Y0, Y0
	VADDPS (R9)(BX*4), Y0, Y0
	TESTQ R11, R11
	JZ anores
	VADDPS (R11)(BX*4), Y0, Y0
anores:
	TESTQ R12, R12
	JZ anorelu
	VMAXPS Y0, Y15, Y0
anorelu:
	VMOVUPS Y0, (DI)(BX*4)
	ADDQ $8, BX
	CMPQ BX, CX
	JLT ach
	ADDQ DX, SI
	ADDQ DX, DI
	TESTQ R11, R11
	JZ anext
	ADDQ DX, R11
anext:
	DECQ AX
	JNZ arow
adone:
	VZEROUPPER
	RET

// func bnGradRows(dx, dres, dy, y, x, a, b, d, mu *float32, rows, ld, n int)
// dz = dy, or dy masked to y > 0 when y != nil; dres = dz when dres != nil;
// dx = a[k]·dz + b[k]·(x − mu[k]) + d[k]; n multiple of 8. dx may be dy.
TEXT ·bnGradRows(SB), NOSPLIT, $0-96
	MOVQ dx+0(FP), DI
	MOVQ dres+8(FP), R13
	MOVQ dy+16(FP), SI
	MOVQ y+24(FP), R12
	MOVQ x+32(FP), R11
	MOVQ a+40(FP), R8
	MOVQ b+48(FP), R9
	MOVQ d+56(FP), R14
	MOVQ mu+64(FP), R10
	MOVQ rows+72(FP), AX
	MOVQ ld+80(FP), DX
	SHLQ $2, DX
	MOVQ n+88(FP), CX
	VXORPS Y15, Y15, Y15
	TESTQ AX, AX
	JZ ddone
	TESTQ CX, CX
	JZ ddone
drow:
	XORQ BX, BX
dch:
	VMOVUPS (SI)(BX*4), Y0
	TESTQ R12, R12
	JZ dnomask
	VMOVUPS (R12)(BX*4), Y1
	VCMPPS $0x1e, Y15, Y1, Y1
	VANDPS Y1, Y0, Y0
dnomask:
	TESTQ R13, R13
	JZ dnores
	VMOVUPS Y0, (R13)(BX*4)
dnores:
	VMOVUPS (R11)(BX*4), Y2
	VSUBPS (R10)(BX*4), Y2, Y2
	VMULPS (R8)(BX*4), Y0, Y0
	VMULPS (R9)(BX*4), Y2, Y2
	VADDPS Y2, Y0, Y0
	VADDPS (R14)(BX*4), Y0, Y0
	VMOVUPS Y0, (DI)(BX*4)
	ADDQ $8, BX
	CMPQ BX, CX
	JLT dch
	ADDQ DX, SI
	ADDQ DX, DI
	ADDQ DX, R11
	TESTQ R12, R12
	JZ dnext1
	ADDQ DX, R12
dnext1:
	TESTQ R13, R13
	JZ dnext2
	ADDQ DX, R13
dnext2:
	DECQ AX
	JNZ drow
ddone:
	VZEROUPPER
	RET
