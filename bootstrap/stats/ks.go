package stats

import "math"

// KS returns the two-sample Kolmogorov–Smirnov statistic
//
//	D = sup_x |F_a(x) − F_b(x)|
//
// and its asymptotic p-value. Both EDFs are step functions that are constant
// between consecutive jump points, so D is computed exactly as the largest
// difference over the union of the jump points of a and b, taken on both
// sides of every jump (F(x) with the strict < of the EDF, and the limit from
// the right, which counts the models with error exactly x). D is the same for
// the strict (<) and the non-strict (≤) definition of the EDF.
//
// The p-value is p = KolmogorovQ((√m + 0.12 + 0.11/√m)·D) with
// m = n_a·n_b/(n_a + n_b) (Stephens' correction), where n_a and n_b are the
// effective sample sizes NEff (= N for unweighted EDFs). For weighted EDFs
// this is an approximation. It is accurate for samples of tens of models or
// more; for small samples it is only indicative.
//
// If a or b is nil, KS returns NaN, NaN.
func KS(a, b *EDF) (D, p float64) {
	if a == nil || b == nil {
		return math.NaN(), math.NaN()
	}
	// Walk the union of the jump points in ascending order. At a point u,
	// fa and fb are the right limits Σ_{e ≤ u} w / Σ w; the values at u itself
	// (strict <) are the right limits at the previous union point, already seen.
	var fa, fb float64
	i, j := 0, 0
	for i < len(a.x) || j < len(b.x) {
		switch {
		case j == len(b.x) || (i < len(a.x) && a.x[i] < b.x[j]):
			fa = a.cdf[i]
			i++
		case i == len(a.x) || b.x[j] < a.x[i]:
			fb = b.cdf[j]
			j++
		default: // equal jump points
			fa, fb = a.cdf[i], b.cdf[j]
			i++
			j++
		}
		D = math.Max(D, math.Abs(fa-fb))
	}
	m := math.Sqrt(a.neff * b.neff / (a.neff + b.neff))
	return D, KolmogorovQ((m + 0.12 + 0.11/m) * D)
}

// KolmogorovQ returns the survival function of the Kolmogorov distribution,
//
//	Q(λ) = 2 Σ_{j≥1} (−1)^{j−1} exp(−2 j² λ²),
//
// the asymptotic probability that √n·D exceeds λ. Q(λ) = 1 for λ ≤ 0. For
// λ < 1.18 it uses the equivalent series
// 1 − (√(2π)/λ) Σ_{j≥1} exp(−(2j−1)² π² / (8λ²)), which converges quickly
// there. It returns NaN for NaN.
func KolmogorovQ(lambda float64) float64 {
	switch {
	case math.IsNaN(lambda):
		return math.NaN()
	case lambda <= 0:
		return 1
	case lambda < 1.18:
		c := -math.Pi * math.Pi / (8 * lambda * lambda)
		var s float64
		for j := 1; j <= 20; j++ {
			k := float64(2*j - 1)
			s += math.Exp(c * k * k)
		}
		return 1 - math.Sqrt(2*math.Pi)/lambda*s
	default:
		var s float64
		sign := 1.0
		for j := 1; j <= 20; j++ {
			fj := float64(j)
			s += sign * math.Exp(-2*fj*fj*lambda*lambda)
			sign = -sign
		}
		return 2 * s
	}
}

// DiffAtQuantiles returns, for each q in qs, the error difference
// b.Quantile(q) − a.Quantile(q) between the two spaces at that quantile:
// negative where b's models are better. An entry is NaN where q is NaN or
// outside [0, 1], and every entry is NaN if a or b is nil.
func DiffAtQuantiles(a, b *EDF, qs []float64) []float64 {
	d := make([]float64, len(qs))
	for i, q := range qs {
		if a == nil || b == nil {
			d[i] = math.NaN()
			continue
		}
		d[i] = b.Quantile(q) - a.Quantile(q)
	}
	return d
}
