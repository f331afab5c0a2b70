package design

import "github.com/ddstools/dds/bootstrap/stats"

// Normalization says how an error EDF weighs a space's models: over Normalize
// ("flops" or "params"), each of Bins equal-width complexity bins carries the same
// weight (stats.NormalizedWeights); "none" or "" weighs every model the same.
type Normalization struct {
	Normalize string // "flops", "params" or "none": the complexity the EDF is normalized over
	Bins      int    // bins of the normalization
}

// Errors returns the errors of the models idx, in that order, and their weights
// under n (nil weights when n normalizes over nothing). The weights of a
// normalization are computed over the models idx alone.
func (m *Models) Errors(idx []int, n Normalization) (errs, weights []float64, err error) {
	errs = make([]float64, len(idx))
	for k, i := range idx {
		errs[k] = m.Sample.Errs[i]
	}
	if n.Normalize == "none" || n.Normalize == "" {
		return errs, nil, nil
	}
	all, err := m.Complexity(n.Normalize)
	if err != nil {
		return nil, nil, err
	}
	cx := make([]float64, len(idx))
	for k, i := range idx {
		cx[k] = all[i]
	}
	weights, _, err = stats.NormalizedWeights(cx, n.Bins)
	return errs, weights, err
}

// All returns the indices of every model, 0 to len(m.Sample.Errs)−1.
func (m *Models) All() []int {
	idx := make([]int, len(m.Sample.Errs))
	for i := range idx {
		idx[i] = i
	}
	return idx
}
