package main

import (
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

// scatter writes the figure of error against parameter name with its interval.
func scatter(path, name string, values, errs []float64, iv *stats.Interval, column string) error {
	logX := logScale(name)
	for _, v := range values {
		if v <= 0 {
			logX = false
		}
	}
	p, err := plot.Scatter(values, errs, iv, plot.ScatterOptions{Title: name, XLabel: name, YLabel: column + " (%)", LogX: logX})
	if err != nil {
		return err
	}
	return plot.Save(p, path, 0, 0)
}
