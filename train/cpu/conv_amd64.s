//go:build amd64 && !purego

#include "textflag.h"

// func im2colTap(dst, src *float32, groups, cg, ld int)
// For g < groups: dst[g·ld : g·ld+cg] = src[g·cg : (g+1)·cg], or zeros when src is nil;
// cg a multiple of 8, ld in elements. AVX.
TEXT ·im2colTap(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ groups+16(FP), AX
	MOVQ cg+24(FP), CX
	MOVQ ld+32(FP), DX
	SHLQ $2, DX
	SHLQ $2, CX
	TESTQ AX, AX
	JZ tdone
	TESTQ SI, SI
	JZ tzero
	CMPQ CX, $32
	JNE tgen
t8:
	VMOVUPS (SI), Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ DX, DI
	DECQ AX
	JNZ t8
	JMP tdone
tgen:
	XORQ BX, BX
tgc:
	VMOVUPS (SI)(BX*1), Y0
	VMOVUPS Y0, (DI)(BX*1)
	ADDQ $32, BX
	CMPQ BX, CX
	JLT tgc
	ADDQ CX, SI
	ADDQ DX, DI
	DECQ AX
	JNZ tgen
	JMP tdone
tzero:
	VXORPS Y0, Y0, Y0
tzg:
	XORQ BX, BX
tzc:
	VMOVUPS Y0, (DI)(BX*1)
	ADDQ $32, BX
	CMPQ BX, CX
	JLT tzc
	ADDQ DX, DI
	DECQ AX
	JNZ tzg
tdone:
	VZEROUPPER
	RET
