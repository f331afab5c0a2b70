package main

import (
	"fmt"
	"slices"

	"github.com/ddstools/dds/bootstrap/design"
	"github.com/ddstools/dds/bootstrap/plot"
	"github.com/ddstools/dds/refine/refiner"
)

// plotEvidence writes the EDF of all models and of each candidate's satisfying
// models on one figure, leaving out candidates whose models are all of them (their
// curve is the whole's) or fewer than two.
func plotEvidence(path string, m *design.Models, evs []refiner.Evidence, opt refiner.Options, chosen, input string) error {
	var series []plot.Series
	for _, c := range append([]string{""}, refiner.Candidates...) {
		label := c
		if c == "" {
			label = "all"
		} else {
			e := evs[slices.IndexFunc(evs, func(e refiner.Evidence) bool { return e.Constraint == c })]
			switch {
			case c == chosen && e.NSat > 0:
				label += " (chosen)"
			case e.NSat < 2 || e.NSat == e.N:
				continue // no curve of its own: the same as all, or too few models
			}
			if e.NSat == e.N {
				label += " = all"
			}
		}
		errs, w, err := refiner.Errors(m, c, opt)
		if err != nil {
			return err
		}
		series = append(series, plot.Series{Label: label, Errs: errs, Weights: w})
	}
	title := fmt.Sprintf("refine: %s, %d models of %s\nerror EDFs of the candidate refinements", m.Sample.Space.Name, len(m.Sample.Errs), input)
	if opt.Normalize != "none" {
		title = fmt.Sprintf("%s (normalized over %s)", title, opt.Normalize)
	}
	p, err := plot.EDFPlot(series, plot.EDFOptions{Title: title, Normalized: opt.Normalize != "none"})
	if err != nil {
		return err
	}
	return plot.Save(p, path, 0, 0)
}
