package design

import (
	"fmt"

	"github.com/ddstools/dds/bootstrap/stats"
)

// Summary is what a comparison of spaces reports about one space's error EDF: the
// EDF of its models (weighted by a Normalization, see Models.Errors), its count,
// lowest error, quartiles and (weighted) mean, and the two-sided KS distance and
// p-value between it and the reference EDF (the first space's).
type Summary struct {
	Errs, Weights []float64 // what the EDF was built from (nil weights: unweighted)
	EDF           *stats.EDF
	N             int
	Min, Q25      float64
	Median, Q75   float64
	Mean          float64
	D, P          float64
}

// Compare summarizes the error EDF of every space's models, weighted as n says, and
// compares each with the first space's by the KS test (so the first has D = 0,
// p = 1).
func Compare(spaces []*Models, n Normalization) ([]Summary, error) {
	out := make([]Summary, len(spaces))
	for i, m := range spaces {
		errs, w, err := m.Errors(m.All(), n)
		if err != nil {
			return nil, err
		}
		e, err := stats.NewEDF(errs, w)
		if err != nil {
			return nil, fmt.Errorf("space %d: %v", i+1, err)
		}
		out[i] = Summary{Errs: errs, Weights: w, EDF: e, N: e.N(), Min: e.Min(), Q25: e.Quantile(0.25),
			Median: e.Quantile(0.5), Q75: e.Quantile(0.75), Mean: e.Mean()}
	}
	for i := range out {
		out[i].D, out[i].P = stats.KS(out[i].EDF, out[0].EDF)
	}
	return out, nil
}
