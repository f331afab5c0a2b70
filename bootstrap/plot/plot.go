// Package plot draws the figures used to compare design spaces and to narrow
// their parameters, over plain slices of numbers:
//
//   - EDFPlot draws the error empirical distribution functions (EDFs) of
//     several design spaces on one figure, so that a space whose curve lies
//     to the left (more models with low error) is seen to be the better one.
//   - Scatter draws the error of every model against the value of one of its
//     parameters, with the empirical-bootstrap interval of that parameter
//     (stats.Interval) as a shaded band and its median as a line: the range
//     of values where the best models live.
//   - Save writes a figure as PNG or SVG.
//
// The figures use gonum.org/v1/plot; the returned *plot.Plot values can be
// adjusted further before saving. Figures use a fixed colour-blind-friendly
// palette (Okabe–Ito) and the Liberation Sans font. The legend is placed
// inside the plotting area where it does not cover the data, with the axis
// ranges widened when needed; that placement is computed for the figure size
// given in the options, so save the figure at that size (or larger).
//
// Used by bootstrap, compare and refine.
package plot

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/recorder"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/ddstools/dds/formats"
)

// Default figure size, used when an option or a Save argument is zero.
const (
	DefaultWidth  = 5 * vg.Inch
	DefaultHeight = 3.5 * vg.Inch
)

// PNGDPI is the resolution at which Save renders PNG files.
const PNGDPI = 150

// Palette is the Okabe–Ito colour-blind-friendly palette, in the order in
// which series are coloured (yellow last, as it has the least contrast on
// white). Series beyond its length reuse the colours with dashed lines.
var Palette = []color.Color{
	color.NRGBA{0x00, 0x72, 0xB2, 0xFF}, // blue
	color.NRGBA{0xD5, 0x5E, 0x00, 0xFF}, // vermillion
	color.NRGBA{0x00, 0x9E, 0x73, 0xFF}, // bluish green
	color.NRGBA{0xCC, 0x79, 0xA7, 0xFF}, // reddish purple
	color.NRGBA{0xE6, 0x9F, 0x00, 0xFF}, // orange
	color.NRGBA{0x56, 0xB4, 0xE9, 0xFF}, // sky blue
	color.NRGBA{0x00, 0x00, 0x00, 0xFF}, // black
	color.NRGBA{0xF0, 0xE4, 0x42, 0xFF}, // yellow
}

// Font sizes of the figure texts.
const (
	titleSize  = 12
	labelSize  = 11
	tickSize   = 9
	legendSize = 9
)

// gap is the distance between the legend and the edges of the plotting area.
const gap = 4 * vg.Millimeter / 2

var sans = font.Font{Typeface: "Liberation", Variant: "Sans"}

// newPlot returns an empty plot with the package's fonts, light grid lines
// and the given texts.
func newPlot(title, xlabel, ylabel string) *gplot.Plot {
	p := gplot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = font.From(sans, titleSize)
	p.Title.Padding = vg.Points(6)
	for _, a := range []*gplot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(sans, labelSize)
		a.Label.Padding = vg.Points(2)
		a.Tick.Label.Font = font.From(sans, tickSize)
		a.Padding = vg.Points(3)
		a.Width = vg.Points(0.75)
		a.Tick.Width = vg.Points(0.75)
	}
	p.X.Tick.Marker, p.Y.Tick.Marker = niceTicks{}, niceTicks{}
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	p.Legend.TextStyle.Font = font.From(sans, legendSize)
	p.Legend.ThumbnailWidth = vg.Points(22)
	p.Legend.Padding = vg.Points(2)
	p.Legend.YPosition = draw.PosCenter

	g := plotter.NewGrid()
	light := draw.LineStyle{Color: color.Gray{Y: 225}, Width: vg.Points(0.5)}
	g.Vertical, g.Horizontal = light, light
	p.Add(g)
	return p
}

// legendFraction returns the share of the width and of the height of the
// plotting area that p's legend takes, plus the gap around it and a clearance
// of the same size, when p is drawn at w×h.
func legendFraction(p *gplot.Plot, w, h vg.Length) (fx, fy float64) {
	c := draw.NewCanvas(new(recorder.Canvas), w, h)
	da := p.DataCanvas(c)
	r := p.Legend.Rectangle(da)
	dw, dh := da.Max.X-da.Min.X, da.Max.Y-da.Min.Y
	if dw <= 0 || dh <= 0 {
		return 1, 1
	}
	return float64(r.Max.X-r.Min.X+3*gap) / float64(dw), float64(r.Max.Y-r.Min.Y+3*gap) / float64(dh)
}

// size returns w and h with zero replaced by the default size.
func size(w, h vg.Length) (vg.Length, vg.Length, error) {
	if w == 0 {
		w = DefaultWidth
	}
	if h == 0 {
		h = DefaultHeight
	}
	if !(w > 0 && h > 0) || math.IsInf(float64(w), 0) || math.IsInf(float64(h), 0) {
		return 0, 0, fmt.Errorf("plot: the figure size %v×%v is invalid; width and height must be positive", w, h)
	}
	return w, h, nil
}

// Save writes p, drawn at w×h (zero means DefaultWidth or DefaultHeight), to
// path in the format named by its extension: ".png" (rendered at PNGDPI dots
// per inch) or ".svg" (text kept as text; the fonts are named, not embedded).
// The file is written as formats.CreateFile writes: to a temporary file in the
// same directory renamed into place, so path is either left as it was or holds the
// whole figure, with the mode a shell's > would give it.
func Save(p *gplot.Plot, path string, w, h vg.Length) error {
	if p == nil {
		return errors.New("plot: Save got a nil plot")
	}
	w, h, err := size(w, h)
	if err != nil {
		return err
	}
	var out vg.CanvasWriterTo
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".png":
		out = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(PNGDPI))}
	case ".svg":
		out = vgsvg.New(w, h)
	default:
		return fmt.Errorf("plot: cannot save %q: unknown figure format %q; use .png or .svg", path, ext)
	}
	p.Draw(draw.New(out))

	o, err := formats.CreateFile(path)
	if err != nil {
		return fmt.Errorf("plot: cannot save the figure: %w", err)
	}
	err = o.Finish(func(w io.Writer) error {
		_, err := out.WriteTo(w)
		return err
	})
	if err != nil {
		return fmt.Errorf("plot: cannot save the figure to %q: %w", path, err)
	}
	return nil
}

// num formats v for a legend with four significant digits.
func num(v float64) string {
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// checkFinite returns an error naming the first NaN or infinite entry of x.
func checkFinite(what string, x []float64) error {
	for i, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("plot: %s[%d] is %v; every value must be a finite number", what, i, v)
		}
	}
	return nil
}

// checkRange returns an error unless lo and hi are finite (or zero, meaning
// automatic) and, when both are set, lo < hi.
func checkRange(what string, lo, hi float64) error {
	for _, v := range []float64{lo, hi} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("plot: the %s axis limit %v is not a finite number", what, v)
		}
	}
	if lo != 0 && hi != 0 && lo >= hi {
		return fmt.Errorf("plot: the %s axis range [%v, %v] is empty; the minimum must be below the maximum", what, lo, hi)
	}
	return nil
}

// pad returns [lo, hi] widened by frac of its length on each side; an empty
// range is widened around its value.
func pad(lo, hi, frac float64) (float64, float64) {
	d := hi - lo
	if d == 0 {
		d = math.Max(math.Abs(lo)*0.1, 1)
		return lo - d/2, hi + d/2
	}
	return lo - frac*d, hi + frac*d
}

// padLog is pad on a logarithmic axis (lo, hi > 0).
func padLog(lo, hi, frac float64) (float64, float64) {
	a, b := pad(math.Log(lo), math.Log(hi), frac)
	if lo == hi {
		a, b = math.Log(lo)-0.2, math.Log(hi)+0.2
	}
	return math.Exp(a), math.Exp(b)
}

// logTicks marks a logarithmic axis at 1, 2 and 5 times the powers of ten
// (adding 1.5, 3 and 7 when the range is short), labelling every mark when
// there are few of them and only the powers of ten otherwise.
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []gplot.Tick {
	for _, mult := range [][]float64{{1, 2, 5}, {1, 1.5, 2, 3, 5, 7}} {
		var ticks []gplot.Tick
		for e := math.Floor(math.Log10(lo)) - 1; e <= math.Ceil(math.Log10(hi)); e++ {
			for _, m := range mult {
				v := m * math.Pow(10, e)
				if v >= lo && v <= hi {
					ticks = append(ticks, gplot.Tick{Value: v, Label: num(v)})
				}
			}
		}
		if len(ticks) > 12 {
			for i := range ticks {
				if f := ticks[i].Value / math.Pow(10, math.Round(math.Log10(ticks[i].Value))); math.Abs(f-1) > 1e-9 {
					ticks[i].Label = ""
				}
			}
		}
		if len(ticks) >= 3 {
			return ticks
		}
	}
	var ticks []gplot.Tick
	for _, t := range (gplot.DefaultTicks{}).Ticks(lo, hi) {
		if t.Value > 0 {
			ticks = append(ticks, t)
		}
	}
	return ticks
}

// niceTicks marks a linear axis at multiples of 1, 2 or 5 times a power of
// ten, chosen to give about five labelled marks, with unlabelled minor marks
// between them.
type niceTicks struct{}

func (niceTicks) Ticks(lo, hi float64) []gplot.Tick {
	if !(hi > lo) {
		return []gplot.Tick{{Value: lo, Label: num(lo)}}
	}
	raw := (hi - lo) / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	var step, sub float64
	for _, c := range []struct{ mult, parts float64 }{{1, 5}, {2, 4}, {5, 5}, {10, 5}} {
		if step, sub = c.mult*mag, c.mult*mag/c.parts; step >= 0.75*raw {
			break
		}
	}
	var ticks []gplot.Tick
	for i := math.Ceil(lo / sub); i*sub <= hi+1e-9*(hi-lo); i++ {
		v := i * sub
		t := gplot.Tick{Value: v}
		if k := v / step; math.Abs(k-math.Round(k)) < 1e-6 {
			v = math.Round(k) * step
			if v == 0 {
				v = 0 // not −0
			}
			t.Value, t.Label = v, strconv.FormatFloat(v, 'f', max(0, -int(math.Floor(math.Log10(step)))), 64)
		}
		ticks = append(ticks, t)
	}
	return ticks
}
