//go:build amd64 && !purego

package cpu

import "golang.org/x/sys/cpu"

//go:generate go run gen_kernels.go

// hasFMA reports whether the SIMD micro-kernels of gemm_kernels_amd64.s can run: AVX2
// and FMA, with the operating system saving the YMM registers (golang.org/x/sys/cpu
// checks that). hasAVX512 adds the 16-lane kernels (AVX-512F, ZMM state saved).
var (
	hasFMA    = cpu.X86.HasAVX2 && cpu.X86.HasFMA
	hasAVX512 = hasFMA && cpu.X86.HasAVX512F
)

// The micro-kernels and callKernel are in gemm_kernels_amd64.go (generated).

// Row kernels of batch normalisation (bn_amd64.s; see bn.go for the formulas).

//go:noescape
func bnStatsRows(x *float32, rows, ld, n int, s, q *float64)

//go:noescape
func bnGradSumRows(dy, y, x, mu *float32, rows, ld, n int, s, q *float64)

//go:noescape
func bnApplyRows(y, x, res, sc, sh, mu *float32, rows, ld, n int, relu bool)

//go:noescape
func bnGradRows(dx, dres, dy, y, x, a, b, d, mu *float32, rows, ld, n int)

// The row kernel of im2col (conv_amd64.s; see conv_im2col.go).

//go:noescape
func im2colTap(dst, src *float32, groups, cg, ld int)
