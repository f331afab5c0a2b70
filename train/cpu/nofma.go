//go:build !((amd64 && amd64.v3) || arm64)

package cpu

// fusedMultiplyAdd reports whether the compiler turns x*y + z into one fused
// multiply-add instruction on this target; here it does not (see fma.go).
const fusedMultiplyAdd = false
