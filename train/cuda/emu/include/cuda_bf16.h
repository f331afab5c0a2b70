/*
 * cuda_bf16.h — __nv_bfloat16 for the host emulation: a bfloat16 is the high 16 bits
 * of a float32. Conversions are bit-exact to CUDA's: __float2bfloat16_rn rounds to
 * nearest, ties to even (overflow to infinity), and any NaN becomes the canonical NaN
 * 0x7fff, as the conversion of CUDA's header and the cvt.rn.bf16.f32 instruction give;
 * __bfloat162float is exact.
 */
#ifndef DDS_EMU_CUDA_BF16_H
#define DDS_EMU_CUDA_BF16_H

#include "cuda_runtime.h"

struct __nv_bfloat16;
static inline __nv_bfloat16 __float2bfloat16_rn(float f);
static inline float __bfloat162float(__nv_bfloat16 h);

struct __nv_bfloat16 {
	unsigned short __x;
	__nv_bfloat16() = default;
	__nv_bfloat16(float f);
	operator float() const;
};

static inline unsigned short dds_emu_bf16_bits(float f) {
	unsigned int x = __float_as_uint(f);
	if ((x & 0x7fffffffu) > 0x7f800000u) return 0x7fffu;
	/* Add half an ulp of bfloat16, minus one when the kept part is even: ties go to
	 * the even neighbour; a carry into the exponent is the correct rounding (up to
	 * infinity). */
	x += 0x7fffu + ((x >> 16) & 1u);
	return (unsigned short)(x >> 16);
}

static inline __nv_bfloat16 __float2bfloat16_rn(float f) {
	__nv_bfloat16 h;
	h.__x = dds_emu_bf16_bits(f);
	return h;
}
static inline __nv_bfloat16 __float2bfloat16(float f) { return __float2bfloat16_rn(f); }
static inline float __bfloat162float(__nv_bfloat16 h) { return __uint_as_float((unsigned int)h.__x << 16); }

inline __nv_bfloat16::__nv_bfloat16(float f) : __x(dds_emu_bf16_bits(f)) {}
inline __nv_bfloat16::operator float() const { return __bfloat162float(*this); }

typedef __nv_bfloat16 nv_bfloat16;

#endif /* DDS_EMU_CUDA_BF16_H */
