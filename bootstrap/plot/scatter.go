package plot

import (
	"errors"
	"fmt"
	"image/color"
	"math"
	"math/rand/v2"
	"slices"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/ddstools/dds/bootstrap/stats"
)

// ScatterOptions configures Scatter. The zero value of each field selects its
// default.
type ScatterOptions struct {
	// Title is drawn above the figure; empty means no title.
	Title string
	// XLabel labels the parameter axis, usually the parameter's name.
	XLabel string
	// YLabel labels the error axis; empty means "error (%)".
	YLabel string
	// LogX draws the parameter axis on a logarithmic scale; every value (and
	// the interval) must then be positive.
	LogX bool
	// Alpha is the alpha the interval was computed with, only for the legend
	// wording ("95% CI" for 0.05); zero means 0.05.
	Alpha float64
	// Unit follows each number of the interval in the legend ("M" for values
	// given in millions); empty means none.
	Unit string
	// Jitter spreads points that share a value, for a discrete parameter: each
	// point moves along the parameter axis by a pseudo-random offset (fixed by
	// its index, so figures are reproducible) uniform in ±Jitter/2 of the
	// smallest gap between distinct values (a ratio of values on a logarithmic
	// axis). The interval stays where it is. Zero draws the values exactly; it
	// must be in [0, 1).
	Jitter float64
	// Width and Height are the size the figure is laid out for (the legend
	// placement depends on it); zero means DefaultWidth and DefaultHeight.
	// Save the figure at this size.
	Width, Height vg.Length
}

// Colours of the scatter figure.
var (
	pointColor  = color.NRGBA{0x00, 0x72, 0xB2, 0x66} // blue, 40% opaque
	bandColor   = color.NRGBA{0xE6, 0x9F, 0x00, 0x59} // orange, 35% opaque
	medianColor = color.NRGBA{0xD5, 0x5E, 0x00, 0xFF} // vermillion
)

// Scatter draws the error of every model (errs[i]) against the value of one of
// its parameters (values[i]) as small semi-transparent circles. When iv is not
// nil it also draws the empirical-bootstrap interval of the parameter (see
// stats.Bootstrap) as a shaded vertical band from iv.Lo to iv.Hi, the range
// in which the best model of a random subsample has its parameter value with
// probability 1 − Alpha, and iv.Median as a vertical line, the most likely
// value of the best model; the legend reads
// "95% CI [lo, hi], median m (B=<repetitions>, n=<models>)". The legend sits
// at the top right, above the highest point (the error axis is extended
// upwards to make room).
//
// It returns an error if there are no models, if values and errs differ in
// length, if a value, an error or a bound of iv is NaN or infinite, if iv's
// bounds are not ordered Lo ≤ Median ≤ Hi, if LogX is set and a value or
// bound is not positive, or if an option is invalid.
func Scatter(values, errs []float64, iv *stats.Interval, opt ScatterOptions) (*gplot.Plot, error) {
	if len(values) == 0 || len(errs) == 0 {
		return nil, fmt.Errorf("plot: Scatter needs at least one model, got %d values and %d errors", len(values), len(errs))
	}
	if len(values) != len(errs) {
		return nil, fmt.Errorf("plot: Scatter got %d values for %d errors; give one value per model", len(values), len(errs))
	}
	if err := checkFinite("values", values); err != nil {
		return nil, err
	}
	if err := checkFinite("errs", errs); err != nil {
		return nil, err
	}
	w, h, err := size(opt.Width, opt.Height)
	if err != nil {
		return nil, err
	}
	alpha := opt.Alpha
	if alpha == 0 {
		alpha = 0.05
	}
	if !(alpha > 0 && alpha < 1) {
		return nil, fmt.Errorf("plot: alpha is %v; it must be in (0, 1)", opt.Alpha)
	}
	if !(opt.Jitter >= 0 && opt.Jitter < 1) {
		return nil, fmt.Errorf("plot: jitter is %v; it must be in [0, 1)", opt.Jitter)
	}
	if opt.LogX && slices.Min(values) <= 0 {
		return nil, errors.New("plot: a logarithmic parameter axis needs positive values, and the data or the interval hold a value ≤ 0")
	}
	xs := jitter(values, opt.Jitter, opt.LogX)
	xlo, xhi := slices.Min(xs), slices.Max(xs)
	if iv != nil {
		if err := checkFinite("the interval", []float64{iv.Lo, iv.Median, iv.Hi}); err != nil {
			return nil, err
		}
		if !(iv.Lo <= iv.Median && iv.Median <= iv.Hi) {
			return nil, fmt.Errorf("plot: the interval [%v, %v] with median %v is not ordered; need Lo ≤ Median ≤ Hi", iv.Lo, iv.Hi, iv.Median)
		}
		xlo, xhi = math.Min(xlo, iv.Lo), math.Max(xhi, iv.Hi)
	}
	if opt.LogX && xlo <= 0 {
		return nil, errors.New("plot: a logarithmic parameter axis needs positive values, and the data or the interval hold a value ≤ 0")
	}

	ylabel := opt.YLabel
	if ylabel == "" {
		ylabel = "error (%)"
	}
	p := newPlot(opt.Title, opt.XLabel, ylabel)
	if opt.LogX {
		p.X.Scale = gplot.LogScale{}
		p.X.Tick.Marker = logTicks{}
		p.X.Min, p.X.Max = padLog(xlo, xhi, 0.04)
	} else {
		p.X.Min, p.X.Max = pad(xlo, xhi, 0.04)
	}
	ylo, yhi := pad(slices.Min(errs), slices.Max(errs), 0.05)
	p.Y.Min, p.Y.Max = ylo, yhi

	var b *band
	if iv != nil {
		b = &band{iv: *iv, top: yhi}
		p.Add(b)
		u := opt.Unit
		p.Legend.Add(fmt.Sprintf("%s%% CI [%s%s, %s%s], median %s%s (B=%d, n=%d)",
			num(100*(1-alpha)), num(iv.Lo), u, num(iv.Hi), u, num(iv.Median), u, iv.B, iv.N), b)
	}

	pts := make(plotter.XYs, len(values))
	for i := range values {
		pts[i] = plotter.XY{X: xs[i], Y: errs[i]}
	}
	sc := &plotter.Scatter{XYs: pts, GlyphStyle: draw.GlyphStyle{
		Color:  pointColor,
		Radius: vg.Points(2),
		Shape:  draw.CircleGlyph{},
	}}
	p.Add(sc)
	if b != nil {
		p.Add(medianLine{b})
	}

	// Raise the top of the error axis so that the legend fits above the
	// highest point.
	if iv != nil {
		if _, fy := legendFraction(p, w, h); fy < 0.6 {
			top := slices.Max(errs) + 0.02*(yhi-ylo)
			p.Y.Max = math.Max(yhi, ylo+(top-ylo)/(1-fy))
		}
	}
	p.Legend.Top, p.Legend.Left = true, false
	p.Legend.XOffs, p.Legend.YOffs = -gap, -gap
	return p, nil
}

// band draws the bootstrap interval as a shaded band from the bottom of the
// plotting area up to the error top (below the legend). It does not take part
// in the axis ranges.
type band struct {
	iv  stats.Interval
	top float64
}

// span returns the canvas ordinates between which the band is drawn.
func (b *band) span(c draw.Canvas, p *gplot.Plot) (vg.Length, vg.Length) {
	_, trY := p.Transforms(&c)
	return c.Min.Y, min(c.Max.Y, trY(b.top))
}

// minBand is the narrowest a band is drawn, so that an interval with Lo == Hi
// stays visible.
const minBand = vg.Length(3)

func (b *band) Plot(c draw.Canvas, p *gplot.Plot) {
	trX, _ := p.Transforms(&c)
	lo, hi := trX(b.iv.Lo), trX(b.iv.Hi)
	if hi-lo < minBand {
		m := (lo + hi) / 2
		lo, hi = m-minBand/2, m+minBand/2
	}
	y0, y1 := b.span(c, p)
	poly := c.ClipPolygonX([]vg.Point{{X: lo, Y: y0}, {X: lo, Y: y1}, {X: hi, Y: y1}, {X: hi, Y: y0}})
	c.FillPolygon(bandColor, poly)
}

var medianStyle = draw.LineStyle{Color: medianColor, Width: vg.Points(1.75)}

// Thumbnail draws the band with its median line, for the legend.
func (b *band) Thumbnail(c *draw.Canvas) {
	c.FillPolygon(bandColor, []vg.Point{c.Min, {X: c.Min.X, Y: c.Max.Y}, c.Max, {X: c.Max.X, Y: c.Min.Y}})
	x := c.Center().X
	c.StrokeLine2(medianStyle, x, c.Min.Y, x, c.Max.Y)
}

// medianLine draws the interval's median as a vertical line over the points.
type medianLine struct{ b *band }

func (m medianLine) Plot(c draw.Canvas, p *gplot.Plot) {
	trX, _ := p.Transforms(&c)
	x := trX(m.b.iv.Median)
	if x < c.Min.X || x > c.Max.X {
		return
	}
	y0, y1 := m.b.span(c, p)
	c.StrokeLine2(medianStyle, x, y0, x, y1)
}

// jitter returns values each moved by a pseudo-random offset uniform in ±frac/2 of
// the smallest gap between distinct values (of their logarithms when logX), the
// offset of value i fixed by i. With fewer than two distinct values the gap is a
// tenth of the value's size (1 for zero).
func jitter(values []float64, frac float64, logX bool) []float64 {
	out := slices.Clone(values)
	if frac == 0 {
		return out
	}
	tr := func(v float64) float64 { return v }
	inv := tr
	if logX {
		tr, inv = math.Log, math.Exp
	}
	distinct := slices.Clone(values)
	for i := range distinct {
		distinct[i] = tr(distinct[i])
	}
	slices.Sort(distinct)
	distinct = slices.Compact(distinct)
	gap := math.Inf(1)
	for i := 1; i < len(distinct); i++ {
		gap = math.Min(gap, distinct[i]-distinct[i-1])
	}
	if math.IsInf(gap, 1) {
		gap = math.Max(math.Abs(distinct[0])/10, 1)
		if logX {
			gap = 0.1
		}
	}
	for i, v := range values {
		r := rand.New(rand.NewPCG(uint64(i), 0x6a177e4))
		out[i] = inv(tr(v) + (r.Float64()-0.5)*frac*gap)
	}
	return out
}
