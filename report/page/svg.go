package page

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// scale maps data values in [lo, hi] to pixels in [p0, p1], linearly or in log10.
type scale struct {
	lo, hi, p0, p1 float64
	log            bool
	pow2           bool // log ticks at powers of two (network widths)
}

// newScale returns a scale over the values, padded by a fraction pad of the range
// on each side (in log space when log).
func newScale(values []float64, log bool, pad, p0, p1 float64) scale {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) || (log && v <= 0) {
			continue
		}
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	if lo > hi {
		lo, hi = 0, 1
	}
	if log {
		lo, hi = math.Log10(lo), math.Log10(hi)
	}
	if lo == hi {
		d := math.Max(math.Abs(lo)*0.1, 0.5)
		if log {
			d = 0.15
		}
		lo, hi = lo-d, hi+d
	}
	d := (hi - lo) * pad
	lo, hi = lo-d, hi+d
	if log {
		lo, hi = math.Pow(10, lo), math.Pow(10, hi)
	}
	return scale{lo: lo, hi: hi, p0: p0, p1: p1, log: log}
}

func (s scale) at(v float64) float64 {
	lo, hi := s.lo, s.hi
	if s.log {
		v, lo, hi = math.Log10(v), math.Log10(lo), math.Log10(hi)
	}
	return s.p0 + (v-lo)/(hi-lo)*(s.p1-s.p0)
}

// ticks returns about n tick values inside the scale's range. A linear scale
// gets multiples of 1, 2 or 5 times a power of ten. A log scale gets powers of two
// when pow2 (every other one when there are more than 7), otherwise the first of
// {1}, {1, 2, 5} and {1, ..., 9} times powers of ten that gives at least 3 ticks;
// a log range too narrow for any falls back to the linear rule.
func (s scale) ticks(n int) []float64 {
	if s.log && s.pow2 {
		var out []float64
		for e := math.Ceil(math.Log2(s.lo) - 1e-9); e <= math.Floor(math.Log2(s.hi)+1e-9); e++ {
			out = append(out, math.Pow(2, e))
		}
		if len(out) > 7 {
			var half []float64
			for i := len(out) - 1; i >= 0; i -= 2 {
				half = append([]float64{out[i]}, half...)
			}
			out = half
		}
		if len(out) >= 2 {
			return out
		}
	}
	if s.log {
		for _, mults := range [][]float64{{1}, {1, 2, 5}, {1, 2, 3, 4, 5, 6, 7, 8, 9}} {
			var out []float64
			for e := math.Floor(math.Log10(s.lo)); e <= math.Ceil(math.Log10(s.hi)); e++ {
				for _, m := range mults {
					v := m * math.Pow(10, e)
					if v >= s.lo && v <= s.hi {
						out = append(out, v)
					}
				}
			}
			if len(out) >= 3 {
				return out
			}
		}
	}
	span := s.hi - s.lo
	raw := span / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var out []float64
	for v := math.Ceil(s.lo/step) * step; v <= s.hi+step*1e-9; v += step {
		if math.Abs(v) < step*1e-9 {
			v = 0
		}
		out = append(out, v)
	}
	return out
}

// frame is one panel: a plot area inside a box of the SVG, with its scales.
type frame struct {
	x, y                     scale
	left, top, right, bottom float64 // the plot area in SVG pixels
}

// newFrame lays out a panel at (ox, oy) of size w × h with room for tick labels and
// axis labels.
func newFrame(ox, oy, w, h float64, xs, ys []float64, xlog, ylog bool, ypad float64) *frame {
	f := &frame{left: ox + 52, top: oy + 24, right: ox + w - 16, bottom: oy + h - 40}
	f.x = newScale(xs, xlog, 0.04, f.left, f.right)
	f.y = newScale(ys, ylog, ypad, f.bottom, f.top)
	return f
}

// svgDoc accumulates SVG markup.
type svgDoc struct {
	b    strings.Builder
	w, h float64
}

func newSVG(w, h float64, label string) *svgDoc {
	d := &svgDoc{w: w, h: h}
	fmt.Fprintf(&d.b, `<svg class="fig" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %g %g" width="%g" height="%g" role="img" aria-label="%s">`, w, h, w, h, esc(label))
	return d
}

func (d *svgDoc) String() string { return d.b.String() + "</svg>" }

func (d *svgDoc) printf(format string, a ...any) { fmt.Fprintf(&d.b, format, a...) }

// axes draws the panel's grid, ticks, tick labels, axis labels and title.
func (d *svgDoc) axes(f *frame, title, xlabel, ylabel string, xfmt, yfmt func(float64) string) {
	d.printf(`<g class="ax">`)
	d.printf(`<rect class="area" x="%.1f" y="%.1f" width="%.1f" height="%.1f"/>`, f.left, f.top, f.right-f.left, f.bottom-f.top)
	for _, v := range f.x.ticks(5) {
		x := f.x.at(v)
		d.printf(`<line class="grid" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, x, f.top, x, f.bottom)
		d.printf(`<text class="tick" x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, x, f.bottom+14, esc(xfmt(v)))
	}
	for _, v := range f.y.ticks(5) {
		y := f.y.at(v)
		d.printf(`<line class="grid" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, f.left, y, f.right, y)
		d.printf(`<text class="tick" x="%.1f" y="%.1f" text-anchor="end">%s</text>`, f.left-5, y+4, esc(yfmt(v)))
	}
	d.printf(`<text class="label" x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, (f.left+f.right)/2, f.bottom+32, esc(xlabel))
	cy := (f.top + f.bottom) / 2
	d.printf(`<text class="label" x="%.1f" y="%.1f" text-anchor="middle" transform="rotate(-90 %.1f %.1f)">%s</text>`, f.left-38, cy, f.left-38, cy, esc(ylabel))
	if title != "" {
		d.printf(`<text class="title" x="%.1f" y="%.1f">%s</text>`, f.left, f.top-8, esc(title))
	}
	d.printf(`</g>`)
}

// heading writes a panel's title: main in bold, then sub in a lighter face.
func (d *svgDoc) heading(f *frame, main, sub string) {
	d.printf(`<text class="title" x="%.1f" y="%.1f">%s<tspan class="subt" dx="6">%s</tspan></text>`, f.left-2, f.top-8, esc(main), esc(sub))
}

// clip starts a group clipped to the panel's plot area (id must be unique in the page).
func (d *svgDoc) clip(f *frame, id string) {
	d.printf(`<clipPath id="%s"><rect x="%.1f" y="%.1f" width="%.1f" height="%.1f"/></clipPath><g clip-path="url(#%s)">`,
		id, f.left, f.top, f.right-f.left, f.bottom-f.top, id)
}

// step draws the EDF whose step points are x, y (stats.EDF.Points) as a step
// function rising from 0 at the left edge to 1 at the right edge.
func (d *svgDoc) step(f *frame, x, y []float64, colour, dash, title string, width float64) {
	var p strings.Builder
	fmt.Fprintf(&p, "M%.1f %.1f", f.left, f.y.at(0))
	prev := 0.0
	for i := range x {
		px := f.x.at(x[i])
		fmt.Fprintf(&p, "H%.1fV%.1f", px, f.y.at(y[i]))
		prev = y[i]
	}
	fmt.Fprintf(&p, "H%.1f", f.right)
	_ = prev
	d.line(p.String(), colour, dash, title, width)
}

// polyline draws the points (x[i], y[i]) joined, skipping NaNs.
func (d *svgDoc) polyline(f *frame, x, y []float64, colour, dash, title string, width float64) {
	var p strings.Builder
	move := true
	for i := range x {
		if math.IsNaN(y[i]) || math.IsNaN(x[i]) {
			move = true
			continue
		}
		c := 'L'
		if move {
			c = 'M'
		}
		fmt.Fprintf(&p, "%c%.1f %.1f", c, f.x.at(x[i]), f.y.at(y[i]))
		move = false
	}
	if p.Len() > 0 {
		d.line(p.String(), colour, dash, title, width)
	}
}

func (d *svgDoc) line(path, colour, dash, title string, width float64) {
	extra := ""
	if dash != "" {
		extra = fmt.Sprintf(` stroke-dasharray="%s"`, dash)
	}
	d.printf(`<path class="curve" d="%s" stroke="%s" stroke-width="%g"%s>`, path, colour, width, extra)
	if title != "" {
		d.printf(`<title>%s</title>`, esc(title))
	}
	d.printf(`</path>`)
}

// dot draws a point with a hover title.
func (d *svgDoc) dot(f *frame, x, y, r float64, title string) {
	d.printf(`<circle cx="%.1f" cy="%.1f" r="%g"><title>%s</title></circle>`, f.x.at(x), f.y.at(y), r, esc(title))
}

// legend draws entries (colour, dash, text) as a box at the panel's bottom right.
func (d *svgDoc) legend(f *frame, entries [][3]string) {
	if len(entries) == 0 {
		return
	}
	longest := 0
	for _, e := range entries {
		longest = max(longest, len([]rune(e[2])))
	}
	w := 30 + 6.2*float64(longest)
	h := 6 + 15*float64(len(entries))
	x0, y0 := f.right-w-6, f.bottom-h-6
	d.printf(`<g class="legend"><rect x="%.1f" y="%.1f" width="%.1f" height="%.1f"/>`, x0, y0, w, h)
	for i, e := range entries {
		y := y0 + 12 + 15*float64(i)
		dash := ""
		if e[1] != "" {
			dash = fmt.Sprintf(` stroke-dasharray="%s"`, e[1])
		}
		d.printf(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="2.5"%s/>`, x0+6, y-4, x0+24, y-4, e[0], dash)
		d.printf(`<text x="%.1f" y="%.1f">%s</text>`, x0+28, y, esc(e[2]))
	}
	d.printf(`</g>`)
}

// legendRow draws entries in one row whose right end is at (right, y).
func (d *svgDoc) legendRow(right, y float64, entries [][3]string) {
	x := right
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i]
		x -= 6.2*float64(len([]rune(e[2]))) + 30
		dash := ""
		if e[1] != "" {
			dash = fmt.Sprintf(` stroke-dasharray="%s"`, e[1])
		}
		d.printf(`<g class="legend"><line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="2.5"%s/><text x="%.1f" y="%.1f">%s</text></g>`,
			x, y-4, x+18, y-4, e[0], dash, x+22, y, esc(e[2]))
	}
}

func esc(s string) string { return html.EscapeString(s) }
