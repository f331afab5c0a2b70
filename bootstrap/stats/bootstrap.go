package stats

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"

	"github.com/ddstools/dds/internal/rng"
)

// BootstrapOptions configures Bootstrap and BootstrapMany. The zero value of
// each field selects its default.
type BootstrapOptions struct {
	// B is the number of repetitions; 0 means 10000 (as in the paper). A
	// negative B is an error.
	B int
	// Fraction is the share of the pairs drawn in each repetition; 0 means
	// 0.25. It must be in (0, 1].
	Fraction float64
	// Alpha sets the interval to the central 1 − Alpha; 0 means 0.05 (a 95%
	// interval). It must be in (0, 1).
	Alpha float64
	// Seed seeds the random draws. The result depends only on the data, the
	// options and Seed, never on Workers.
	Seed uint64
	// Workers is the number of goroutines; 0 means runtime.GOMAXPROCS(0). A
	// negative value is an error.
	Workers int
}

// Interval is the result of the empirical bootstrap for one parameter: the
// percentiles 100·Alpha/2, 50 and 100·(1 − Alpha/2) of the parameter values
// kept in the B repetitions.
type Interval struct {
	Lo, Median, Hi float64
	N              int // number of (value, error) pairs
	B              int // number of repetitions
}

// Bootstrap runs the empirical bootstrap of "Designing Network Design Spaces"
// for one parameter: values[i] is the parameter of model i and errs[i] its
// error. Each of B repetitions draws m = max(1, round(Fraction·n)) indices
// uniformly with replacement from the n pairs and keeps the value of the drawn
// pair with the lowest error (on ties, the lowest index). The result holds the
// Alpha/2, 0.5 and 1 − Alpha/2 percentiles of the B kept values, interpolated
// linearly between order statistics (numpy's default "linear" method): for
// sorted kept values v_0 ≤ … ≤ v_{B−1}, the p-percentile is
// v_⌊h⌋ + (h − ⌊h⌋)·(v_{⌊h⌋+1} − v_⌊h⌋) with h = (B − 1)·p.
//
// Repetition r draws from its own PCG stream, seeded with the outputs
// 2r+1 and 2r+2 of splitmix64 started at Seed, so the result is the same for
// any number of Workers.
//
// It returns an error if there are no pairs, if the lengths differ, if a value
// or an error is NaN or infinite, or if an option is out of range.
func Bootstrap(values, errs []float64, opt BootstrapOptions) (Interval, error) {
	iv, err := BootstrapMany([][]float64{values}, errs, opt)
	if err != nil {
		return Interval{}, err
	}
	return iv[0], nil
}

// BootstrapMany runs Bootstrap for several parameters of the same models at
// once: params[k][i] is parameter k of model i and errs[i] its error, and
// the result's k-th Interval is that of params[k]. It gives exactly the same
// intervals as calling Bootstrap for each parameter with the same options, but
// draws the repetitions only once: the winning model of a repetition depends
// only on the errors, so each parameter just reads its value at the winners.
// It returns an error as Bootstrap does, and also if params is empty.
func BootstrapMany(params [][]float64, errs []float64, opt BootstrapOptions) ([]Interval, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	n := len(errs)
	if n == 0 {
		return nil, errors.New("stats: the bootstrap needs at least one (value, error) pair, got none")
	}
	if err := checkFinite("errors", errs); err != nil {
		return nil, err
	}
	if len(params) == 0 {
		return nil, errors.New("stats: the bootstrap needs at least one parameter, got none")
	}
	for k, p := range params {
		if len(p) != n {
			return nil, fmt.Errorf("stats: parameter %d has %d values for %d errors; give one value per model", k, len(p), n)
		}
		if err := checkFinite(fmt.Sprintf("params[%d]", k), p); err != nil {
			return nil, err
		}
	}

	m := max(1, int(math.Round(opt.Fraction*float64(n))))
	winners := make([]int, opt.B)
	parallel(opt.B, opt.Workers, func(lo, hi int) {
		src := rand.NewPCG(0, 0)
		for r := lo; r < hi; r++ {
			src.Seed(rng.SplitMix64(opt.Seed, uint64(2*r+1)), rng.SplitMix64(opt.Seed, uint64(2*r+2)))
			best := -1
			for range m {
				i := int(rng.Intn(src, uint64(n)))
				if best < 0 || errs[i] < errs[best] || (errs[i] == errs[best] && i < best) {
					best = i
				}
			}
			winners[r] = best
		}
	})

	out := make([]Interval, len(params))
	ps := [3]float64{opt.Alpha / 2, 0.5, 1 - opt.Alpha/2}
	parallel(len(params), opt.Workers, func(lo, hi int) {
		kept := make([]float64, opt.B)
		for k := lo; k < hi; k++ {
			for r, i := range winners {
				kept[r] = params[k][i]
			}
			slices.Sort(kept)
			out[k] = Interval{
				Lo:     percentile(kept, ps[0]),
				Median: percentile(kept, ps[1]),
				Hi:     percentile(kept, ps[2]),
				N:      n,
				B:      opt.B,
			}
		}
	})
	return out, nil
}

// withDefaults fills the zero fields of o with their defaults and checks the
// ranges.
func (o BootstrapOptions) withDefaults() (BootstrapOptions, error) {
	if o.B == 0 {
		o.B = 10000
	}
	if o.Fraction == 0 {
		o.Fraction = 0.25
	}
	if o.Alpha == 0 {
		o.Alpha = 0.05
	}
	if o.Workers == 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	switch {
	case o.B < 1:
		return o, fmt.Errorf("stats: the number of bootstrap repetitions B is %d; it must be at least 1", o.B)
	case !(o.Fraction > 0 && o.Fraction <= 1):
		return o, fmt.Errorf("stats: the bootstrap fraction is %v; it must be in (0, 1]", o.Fraction)
	case !(o.Alpha > 0 && o.Alpha < 1):
		return o, fmt.Errorf("stats: alpha is %v; it must be in (0, 1)", o.Alpha)
	case o.Workers < 1:
		return o, fmt.Errorf("stats: the number of workers is %d; it must be at least 1", o.Workers)
	}
	return o, nil
}

// percentile returns the p-quantile (0 ≤ p ≤ 1) of the ascending, non-empty
// x, interpolated linearly between order statistics: with h = (len(x) − 1)·p,
// x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]) (numpy's default "linear" method,
// type 7 of Hyndman and Fan).
func percentile(x []float64, p float64) float64 {
	h := float64(len(x)-1) * p
	i := int(math.Floor(h))
	if i >= len(x)-1 {
		return x[len(x)-1]
	}
	return x[i] + (h-float64(i))*(x[i+1]-x[i])
}

// parallel calls f on contiguous ranges [lo, hi) that cover [0, n), using at
// most workers goroutines, and waits for them.
func parallel(n, workers int, f func(lo, hi int)) {
	workers = min(workers, n)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*n/workers, (w+1)*n/workers
		wg.Go(func() { f(lo, hi) })
	}
	wg.Wait()
}
