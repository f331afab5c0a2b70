package plot

import (
	"errors"
	"fmt"
	"math"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/ddstools/dds/bootstrap/stats"
)

// Series is the errors of the models of one design space, with optional
// per-model weights (for instance stats.NormalizedWeights, for a normalized
// EDF). Weights is nil or has one entry per error.
type Series struct {
	Label   string
	Errs    []float64
	Weights []float64
}

// EDFOptions configures EDFPlot. The zero value of each field selects its
// default.
type EDFOptions struct {
	// Title is drawn above the figure; empty means no title.
	Title string
	// XLabel labels the error axis; empty means "error (%)".
	XLabel string
	// Normalized says that the weights make the EDFs normalized ones; it only
	// changes the wording of the y axis label.
	Normalized bool
	// Width and Height are the size the figure is laid out for (the legend
	// placement depends on it); zero means DefaultWidth and DefaultHeight.
	// Save the figure at this size.
	Width, Height vg.Length
	// XMin and XMax fix the limits of the error axis; zero means automatic
	// (the range of all the errors, padded, and widened on the right so that
	// the legend does not cover the curves).
	XMin, XMax float64
}

// EDFPlot draws the error EDFs of several design spaces on one figure. The
// curve of series s is the step function F_s(e) = Σ_{i: e_i < e} w_i / Σ w_i
// (stats.EDF.At): the (weighted) fraction of its models with error below e,
// rising from 0 to 1 at each model's error. A curve further to the left means
// a design space with more good models; the horizontal distance between two
// curves at a height q is the difference of their q-quantile errors. Each
// series gets a colour of Palette and a legend entry
// "<label> (n=<models>, min <lowest error>, mean <weighted mean error>)".
// The y axis is "cumulative prob." on [0, 1]; the legend sits at the bottom
// right, where the curves have already reached the height of the legend.
//
// It returns an error if there are no series, if a series has no errors, if
// an error or weight is NaN or infinite, if a series has a different number
// of weights than errors, if a weight is negative or all are zero, or if an
// option is invalid.
func EDFPlot(series []Series, opt EDFOptions) (*gplot.Plot, error) {
	if len(series) == 0 {
		return nil, errors.New("plot: EDFPlot needs at least one series, got none")
	}
	w, h, err := size(opt.Width, opt.Height)
	if err != nil {
		return nil, err
	}
	if err := checkRange("error", opt.XMin, opt.XMax); err != nil {
		return nil, err
	}
	edfs := make([]*stats.EDF, len(series))
	lo, hi := math.Inf(1), math.Inf(-1)
	for k, s := range series {
		name := fmt.Sprintf("series %d (%q)", k, s.Label)
		if len(s.Errs) == 0 {
			return nil, fmt.Errorf("plot: %s has no errors; every series needs at least one", name)
		}
		if err := checkFinite(name+" errors", s.Errs); err != nil {
			return nil, err
		}
		if s.Weights != nil {
			if len(s.Weights) != len(s.Errs) {
				return nil, fmt.Errorf("plot: %s has %d weights for %d errors; give one weight per error or none", name, len(s.Weights), len(s.Errs))
			}
			if err := checkFinite(name+" weights", s.Weights); err != nil {
				return nil, err
			}
		}
		e, err := stats.NewEDF(s.Errs, s.Weights)
		if err != nil {
			return nil, fmt.Errorf("plot: %s: %w", name, err)
		}
		edfs[k] = e
		x, _ := e.Points()
		lo, hi = math.Min(lo, x[0]), math.Max(hi, x[len(x)-1])
	}

	xlabel := opt.XLabel
	if xlabel == "" {
		xlabel = "error (%)"
	}
	ylabel := "cumulative prob."
	if opt.Normalized {
		ylabel = "cumulative prob. (normalized)"
	}
	p := newPlot(opt.Title, xlabel, ylabel)
	p.Y.Min, p.Y.Max = 0, 1
	p.Y.Tick.Marker = gplot.ConstantTicks{
		{Value: 0, Label: "0"}, {Value: 0.1}, {Value: 0.2, Label: "0.2"}, {Value: 0.3},
		{Value: 0.4, Label: "0.4"}, {Value: 0.5}, {Value: 0.6, Label: "0.6"}, {Value: 0.7},
		{Value: 0.8, Label: "0.8"}, {Value: 0.9}, {Value: 1, Label: "1"},
	}
	xmin, xmax := pad(lo, hi, 0.03)
	if opt.XMin != 0 {
		xmin = opt.XMin
	}
	if opt.XMax != 0 {
		xmax = opt.XMax
	}
	if xmin >= xmax {
		return nil, fmt.Errorf("plot: the error axis range [%v, %v] is empty; the errors lie in [%v, %v]", xmin, xmax, lo, hi)
	}
	p.X.Min, p.X.Max = xmin, xmax

	lines := make([]*plotter.Line, len(series))
	for k, s := range series {
		e := edfs[k]
		lines[k] = &plotter.Line{LineStyle: draw.LineStyle{
			Color: Palette[k%len(Palette)],
			Width: vg.Points(1.75),
		}}
		if k >= len(Palette) {
			lines[k].Dashes = []vg.Length{vg.Points(5), vg.Points(2.5)}
		}
		mean := "mean"
		if opt.Normalized {
			mean = "normalized mean"
		}
		p.Legend.Add(fmt.Sprintf("%s (n=%d, min %s, %s %s)", s.Label, e.N(), num(e.Min()), mean, num(e.Mean())), lines[k])
	}

	// Widen the axis to the right until every curve is above the legend's
	// top edge everywhere to the right of the legend's left edge.
	fx, fy := legendFraction(p, w, h)
	if opt.XMax == 0 && fx < 0.85 && fy < 0.95 {
		var need float64 // the largest error at which a curve reaches the legend's top
		for _, e := range edfs {
			need = math.Max(need, e.Quantile(math.Min(fy+0.04, 1)))
		}
		// The legend's left edge is at xmin + (1−fx)·(xmax−xmin).
		if left := xmin + (1-fx)*(xmax-xmin); left < need {
			p.X.Max = xmin + (need-xmin)/(1-fx)
		}
	}
	p.Legend.Top, p.Legend.Left = false, false
	p.Legend.XOffs, p.Legend.YOffs = -gap, gap

	for k, e := range edfs {
		x, y := e.Points()
		// The steps are drawn as explicit corners, so that clipping at
		// fixed axis limits keeps them exact.
		pts := make(plotter.XYs, 0, 2*len(x)+2)
		pts = append(pts, plotter.XY{X: math.Min(p.X.Min, x[0]), Y: 0})
		prev := 0.0
		for i := range x {
			pts = append(pts, plotter.XY{X: x[i], Y: prev}, plotter.XY{X: x[i], Y: y[i]})
			prev = y[i]
		}
		pts = append(pts, plotter.XY{X: math.Max(p.X.Max, x[len(x)-1]), Y: 1})
		lines[k].XYs = pts
		p.Add(lines[k])
	}
	// Adding the lines may have widened the axis beyond a fixed limit.
	p.X.Min, p.X.Max = xmin, math.Max(xmax, p.X.Max)
	if opt.XMax != 0 {
		p.X.Max = opt.XMax
	}
	p.Y.Min, p.Y.Max = 0, 1
	return p, nil
}
