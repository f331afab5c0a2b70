//go:build (amd64 && amd64.v3) || arm64

package cpu

// fusedMultiplyAdd reports whether the compiler turns x*y + z into one fused
// multiply-add instruction on this target (amd64 built with GOAMD64=v3 or later, arm64).
// That nearly doubles the speed of the scalar kernel gemmGo, which changes which GEMM
// code is faster (see Sgemm).
const fusedMultiplyAdd = true
