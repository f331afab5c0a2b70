package cpu

import "math"

// BF16 returns f rounded to the nearest bfloat16 (the float32 with the low 16 bits
// of its encoding zero), ties to even, as CUDA's __float2bfloat16_rn rounds; NaN
// stays NaN (quiet) and infinities stay infinite.
func BF16(f float32) float32 {
	b := math.Float32bits(f)
	if b&0x7fffffff > 0x7f800000 { // NaN
		return math.Float32frombits((b | 0x00400000) &^ 0xffff)
	}
	b += 0x7fff + (b>>16)&1
	return math.Float32frombits(b &^ 0xffff)
}

// RoundBF16 rounds every value of v to bfloat16 in place (BF16).
func RoundBF16(v []float32) {
	for i, f := range v {
		v[i] = BF16(f)
	}
}
