package main

import (
	"fmt"
	"math"
	"slices"

	"github.com/ddstools/dds/bootstrap/plot"
	"github.com/ddstools/dds/bootstrap/stats"
)

// logScale lists the parameters drawn on a logarithmic axis: widths and complexity.
func logScale(name string) bool {
	switch name {
	case "w0", "wa", "flops", "params", "acts":
		return true
	}
	return len(name) >= 2 && name[0] == 'w' && name[1] >= '1' && name[1] <= '9'
}

// figure names what a figure shows: the space, the run (the input and the error
// column), and the bootstrap's settings.
type figure struct {
	space, input, column string
	models, B            int
	seed                 uint64
}

// scatter writes the figure of error against parameter name with its interval.
// A quantity that is not a parameter of the space (reportedOnly) says so in the
// title. flops, params and acts are drawn in units of M or G (the text's K/M/G
// suffixes), and integer-valued parameters with few distinct values are jittered so
// that models with equal values show as a cloud rather than one point.
func scatter(path, name string, values, errs []float64, iv *stats.Interval, f figure, reportedOnly bool) error {
	logX := logScale(name)
	for _, v := range values {
		if v <= 0 {
			logX = false
		}
	}
	xlabel, unit := name, ""
	if scale, u := complexityUnit(name, values); scale != 1 {
		unit = u
		values = slices.Clone(values)
		for i := range values {
			values[i] /= scale
		}
		if iv != nil {
			scaled := *iv
			scaled.Lo, scaled.Median, scaled.Hi = iv.Lo/scale, iv.Median/scale, iv.Hi/scale
			iv = &scaled
		}
		xlabel = fmt.Sprintf("%s (%s)", name, unit)
	}
	title := fmt.Sprintf("%s: %s", f.space, name)
	if reportedOnly {
		title += " (reported only: not a parameter of the space)"
	}
	title += fmt.Sprintf("\n%d models of %s, %s, B=%d, seed %d", f.models, f.input, f.column, f.B, f.seed)
	opt := plot.ScatterOptions{Title: title, XLabel: xlabel, YLabel: f.column + " (%)", LogX: logX, Unit: unit}
	if discrete(values) {
		opt.Jitter = 0.5
	}
	p, err := plot.Scatter(values, errs, iv, opt)
	if err != nil {
		return err
	}
	return plot.Save(p, path, 0, 0)
}

// complexityUnit returns the scale and unit name (1e6 "M" or 1e9 "G", by the
// largest value) of a complexity quantity, or 1 for anything else or small values.
func complexityUnit(name string, values []float64) (float64, string) {
	switch name {
	case "flops", "params", "acts":
	default:
		return 1, ""
	}
	switch top := slices.Max(values); {
	case top >= 1e9:
		return 1e9, "G"
	case top >= 1e6:
		return 1e6, "M"
	case top >= 1e3:
		return 1e3, "K"
	}
	return 1, ""
}

// discrete reports whether values are whole numbers taking at most 32 distinct
// values (depths, group widths, bottleneck ratios, widths in a narrow range).
func discrete(values []float64) bool {
	seen := map[float64]bool{}
	for _, v := range values {
		if v != math.Trunc(v) {
			return false
		}
		seen[v] = true
	}
	return len(seen) <= 32
}
