package sampler

import (
	"math"

	"github.com/ddstools/dds/formats"
)

// grid returns the integer range [kLo, kHi] of multiples k·q that lie in [lo, hi].
func grid(p *formats.Param) (kLo, kHi int64) {
	const eps = 1e-9
	return int64(math.Ceil(p.Lo/p.Quantum - eps)), int64(math.Floor(p.Hi/p.Quantum + eps))
}

// onGrid returns k·q, computed as k/(1/q) when 1/q is an integer so that decimal
// quanta give the nearest float to the decimal value (3644·0.01 → 36.44).
func onGrid(k int64, q float64) float64 {
	if inv := math.Round(1 / q); inv >= 1 && math.Abs(inv*q-1) < 1e-12 {
		return float64(k) / inv
	}
	return float64(k) * q
}

// draw returns one value of p:
//   - choice: uniform over the choices in [lo, hi];
//   - uniform with quantum q: uniform over the multiples of q in [lo, hi];
//   - uniform without quantum: lo + (hi−lo)·U;
//   - log-uniform: exp(U(log lo, log hi)), then with quantum q the nearest multiple of
//     q, kept inside the multiples that lie in [lo, hi].
func draw(r source, p *formats.Param) float64 {
	switch p.Dist {
	case formats.DistChoice:
		vals := p.InRange()
		return vals[r.intn(uint64(len(vals)))]
	case formats.DistUniform:
		if p.Quantum > 0 {
			kLo, kHi := grid(p)
			return onGrid(kLo+int64(r.intn(uint64(kHi-kLo+1))), p.Quantum)
		}
		return p.Lo + (p.Hi-p.Lo)*r.float()
	default: // log-uniform
		x := math.Exp(math.Log(p.Lo) + (math.Log(p.Hi)-math.Log(p.Lo))*r.float())
		if p.Quantum > 0 {
			kLo, kHi := grid(p)
			k := min(max(int64(math.Round(x/p.Quantum)), kLo), kHi)
			return onGrid(k, p.Quantum)
		}
		return x
	}
}
