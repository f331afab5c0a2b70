//go:build !amd64 || purego

package cpu

// Without the assembly micro-kernels (other architectures, or the purego build tag)
// Sgemm and the convolutions run the pure-Go kernels only.
const (
	hasFMA    = false
	hasAVX512 = false
)

func callKernel(id int, k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha float32, acc bool) {
	panic("cpu: SIMD GEMM kernel called on a build without it")
}

func bnStatsRows(x *float32, rows, ld, n int, s, q *float64) { panic("cpu: no SIMD kernels") }
func bnGradSumRows(dy, y, x, mu *float32, rows, ld, n int, s, q *float64) {
	panic("cpu: no SIMD kernels")
}
func bnApplyRows(y, x, res, sc, sh, mu *float32, rows, ld, n int, relu bool) {
	panic("cpu: no SIMD kernels")
}
func bnGradRows(dx, dres, dy, y, x, a, b, d, mu *float32, rows, ld, n int) {
	panic("cpu: no SIMD kernels")
}
func im2colTap(dst, src *float32, groups, cg, ld int) { panic("cpu: no SIMD kernels") }
