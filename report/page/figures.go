package page

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/ddstools/dds/bootstrap/stats"
	"github.com/ddstools/dds/refine/refiner"
)

// ids hands out the unique ids clip paths need within one page.
type ids struct{ n int }

func (c *ids) next() string { c.n++; return fmt.Sprintf("c%d", c.n) }

func errRange(spaces []*Space) []float64 {
	var all []float64
	for _, sp := range spaces {
		all = append(all, sp.Models.Sample.Errs...)
	}
	return all
}

// edfFigure draws the raw and the normalized error EDF of every space side by
// side, on the same error axis, one colour per space.
func edfFigure(r *Report, id *ids) string {
	errs := errRange(r.Spaces)
	norm := r.Opt.Refine.Normalize != "none"
	panels := 1
	if norm {
		panels = 2
	}
	const pw, ph = 470.0, 340.0
	d := newSVG(pw*float64(panels), ph, "error EDFs of the spaces")
	for k := 0; k < panels; k++ {
		f := newFrame(pw*float64(k), 0, pw, ph, errs, []float64{0, 1}, false, false, 0.02)
		title, ylabel := "raw EDF", "fraction of models with error < x"
		if k == 1 {
			title = "normalized over " + r.Opt.Refine.Normalize + fmt.Sprintf(" (%d bins)", r.Opt.Refine.Bins)
			ylabel = "normalized fraction with error < x"
		}
		d.axes(f, title, r.Opt.Error+" (%)", ylabel, func(v float64) string { return sig(v, 3) }, func(v float64) string { return sig(v, 2) })
		d.clip(f, id.next())
		var legend [][3]string
		for _, sp := range r.Spaces {
			s := sp.Raw
			if k == 1 {
				s = sp.Norm
			}
			x, y := s.EDF.Points()
			d.step(f, x, y, sp.Colour, "", fmt.Sprintf("%s: %d models, min %s%%, median %s%%, mean %s%%", sp.Label, s.N, pct(s.Min), pct(s.Median), pct(s.Mean)), 2)
			legend = append(legend, [3]string{sp.Colour, "", fmt.Sprintf("%s (n=%d)", sp.Label, s.N)})
		}
		d.printf(`</g>`)
		if k == panels-1 {
			d.legend(f, legend)
		}
	}
	return d.String()
}

// edfCSV lists the step points of every EDF the figure draws.
func edfCSV(r *Report) string {
	var b strings.Builder
	b.WriteString("space,edf,error,F\n")
	for _, sp := range r.Spaces {
		for _, kind := range []string{"raw", "normalized"} {
			s := sp.Raw
			if kind == "normalized" {
				if r.Opt.Refine.Normalize == "none" {
					continue
				}
				s = sp.Norm
			}
			x, y := s.EDF.Points()
			for i := range x {
				fmt.Fprintf(&b, "%s,%s,%g,%g\n", csvField(sp.Label), kind, x[i], y[i])
			}
		}
	}
	return b.String()
}

// scatterFigure draws error against one design parameter for every model of the
// space, with the parameter's bootstrap interval as a band and its median as a
// dashed line; the best model is ringed.
func scatterFigure(sp *Space, p Param, alpha float64, id *ids) string {
	errs := sp.Models.Sample.Errs
	logX := logAxis(p.Name, p.Values)
	const w, h = 290.0, 215.0
	d := newSVG(w, h, fmt.Sprintf("%s: error against %s", sp.Label, p.Name))
	xs := append(slices.Clone(p.Values), p.Interval.Lo, p.Interval.Hi)
	f := newFrame(0, 0, w, h, xs, errs, logX, false, 0.06)
	iv := p.Interval
	unit := unitOf(p.Name)
	f.x.pow2 = widthParam(p.Name)
	d.axes(f, "", describe(p.Name), "error (%)", unit, func(v float64) string { return sig(v, 3) })
	d.heading(f, p.Name, fmt.Sprintf("%s – %s, median %s", unit(iv.Lo), unit(iv.Hi), unit(iv.Median)))
	d.clip(f, id.next())
	x0, x1 := f.x.at(iv.Lo), f.x.at(iv.Hi)
	d.printf(`<rect class="band" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s</title></rect>`,
		x0, f.top, math.Max(x1-x0, 1.5), f.bottom-f.top, sp.Colour,
		esc(fmt.Sprintf("%.0f%% interval of the best model's %s: [%s, %s], median %s (%d models, B=%d)", 100*(1-alpha), p.Name, unit(iv.Lo), unit(iv.Hi), unit(iv.Median), iv.N, iv.B)))
	xm := f.x.at(iv.Median)
	d.printf(`<line class="median" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, xm, f.top, xm, f.bottom)
	d.printf(`<g class="pts" fill="%s">`, sp.Colour)
	ids := sp.Models.Sample.Configs
	for i, v := range p.Values {
		d.dot(f, v, errs[i], 2.6, fmt.Sprintf("%s\n%s %s, error %s%%", ids[i].ID, p.Name, unit(v), pct(errs[i])))
	}
	d.printf(`</g>`)
	b := sp.Order[0]
	d.printf(`<circle class="best" cx="%.1f" cy="%.1f" r="5"><title>best model %s: %s %s, error %s%%</title></circle>`,
		f.x.at(p.Values[b]), f.y.at(errs[b]), ids[b].ID, p.Name, unit(p.Values[b]), pct(errs[b]))
	d.printf(`</g>`)
	return d.String()
}

// modelsCSV lists every model of the space with its error and every design
// parameter: the points of the scatter figures.
func modelsCSV(sp *Space, opt Options) string {
	var b strings.Builder
	b.WriteString("id," + opt.Error)
	params := append(slices.Clone(sp.Params), sp.Fixed...)
	for _, p := range params {
		b.WriteString("," + p.Name)
	}
	b.WriteString(",train_error,test_top5_error,wall_s\n")
	for i, c := range sp.Models.Sample.Configs {
		fmt.Fprintf(&b, "%s,%g", c.ID, sp.Models.Sample.Errs[i])
		for _, p := range params {
			fmt.Fprintf(&b, ",%g", p.Values[i])
		}
		r := sp.Runs[i]
		fmt.Fprintf(&b, ",%s,%s,%s\n", csvNum(r.TrainError), csvNum(r.Top5), csvNum(r.Wall))
	}
	return b.String()
}

// evidenceCurves returns, for the evidence figure, the (normalized) EDF of all the
// space's models and of each candidate's satisfying models, leaving out candidates
// whose models are all of them or fewer than two (as refine --plot does).
func evidenceCurves(sp *Space, opt refiner.Options) (labels []string, edfs []*stats.EDF, err error) {
	for _, c := range append([]string{""}, refiner.Candidates...) {
		if c != "" {
			i := slices.IndexFunc(sp.Ev, func(e refiner.Evidence) bool { return e.Constraint == c })
			if i < 0 || sp.Ev[i].NSat < 2 || sp.Ev[i].NSat == sp.Ev[i].N {
				continue
			}
		}
		errs, w, err := refiner.Errors(sp.Models, c, opt)
		if err != nil {
			return nil, nil, err
		}
		e, err := stats.NewEDF(errs, w)
		if err != nil {
			return nil, nil, err
		}
		labels, edfs = append(labels, c), append(edfs, e)
	}
	return labels, edfs, nil
}

// evidenceFigure draws the EDFs of evidenceCurves: all models in black, each
// candidate in its colour, the chosen one thicker.
func evidenceFigure(sp *Space, labels []string, edfs []*stats.EDF, opt refiner.Options, id *ids) string {
	const w, h = 440.0, 310.0
	d := newSVG(w, h, sp.Label+": EDFs of the candidate refinements")
	f := newFrame(0, 0, w, h, sp.Models.Sample.Errs, []float64{0, 1}, false, false, 0.02)
	ylabel := "fraction of models with error < x"
	if opt.Normalize != "none" {
		ylabel = "normalized fraction (over " + opt.Normalize + ")"
	}
	d.axes(f, "", "error (%)", ylabel, func(v float64) string { return sig(v, 3) }, func(v float64) string { return sig(v, 2) })
	d.clip(f, id.next())
	var legend [][3]string
	for i, c := range labels {
		x, y := edfs[i].Points()
		colour, width, name, dash := candidateColours[c], 2.0, c, ""
		if c == "" {
			colour, width, name = "#222", 2.8, "all models"
		}
		if c == sp.Chosen {
			width, name = 3.2, c+" (chosen)"
		} else if c != "" {
			dash = "5 3"
		}
		d.step(f, x, y, colour, dash, fmt.Sprintf("%s: %d models, median %s%%", name, edfs[i].N(), pct(edfs[i].Quantile(0.5))), width)
		legend = append(legend, [3]string{colour, dash, fmt.Sprintf("%s (%d)", name, edfs[i].N())})
	}
	d.printf(`</g>`)
	d.legend(f, legend)
	return d.String()
}

func evidenceCSV(labels []string, edfs []*stats.EDF) string {
	var b strings.Builder
	b.WriteString("models,error,F\n")
	for i, c := range labels {
		if c == "" {
			c = "all"
		}
		x, y := edfs[i].Points()
		for k := range x {
			fmt.Fprintf(&b, "%s,%g,%g\n", c, x[k], y[k])
		}
	}
	return b.String()
}

// fitFigure draws one model's block widths (solid, its space's colour) with the
// widths of its fitted RegNet (dashed) and the fit's linear widths u_j = w0 + wa·j
// (dotted), width on a log axis against the block index.
func fitFigure(sp *Space, rank, i int, id *ids) string {
	c := sp.Models.Sample.Configs[i]
	fit := sp.Models.Fits[i]
	ws := c.Net.BlockWidths()
	pred := fit.RegNet().BlockWidths()
	const w, h = 230.0, 190.0
	d := newSVG(w, h, fmt.Sprintf("%s: block widths of model %s and its RegNet fit", sp.Label, c.ID))
	xs := make([]float64, len(ws))
	var ys []float64
	lin := make([]float64, len(ws))
	for j := range ws {
		xs[j] = float64(j + 1)
		lin[j] = fit.W0 + fit.WA*float64(j)
		ys = append(ys, float64(ws[j]), float64(pred[j]), lin[j])
	}
	f := newFrame(0, 0, w, h, xs, ys, true, true, 0.06)
	f.x = newScale(append([]float64{0.5}, float64(len(ws))+0.5), false, 0, f.left, f.right)
	f.y.pow2 = true
	d.axes(f, "", "block", "width", func(v float64) string { return sig(v, 3) }, func(v float64) string { return sig(v, 3) })
	d.heading(f, fmt.Sprintf("#%d", rank), fmt.Sprintf("%s%%, e_fit %s", pct(sp.Models.Sample.Errs[i]), sig(fit.EFit, 2)))
	d.clip(f, id.next())
	stepsOf := func(v []float64) ([]float64, []float64) { // blocks as flat runs
		var x, y []float64
		for j, u := range v {
			x, y = append(x, float64(j)+0.5, float64(j)+1.5), append(y, u, u)
		}
		return x, y
	}
	wf := make([]float64, len(ws))
	pf := make([]float64, len(ws))
	for j := range ws {
		wf[j], pf[j] = float64(ws[j]), float64(pred[j])
	}
	d.polyline(f, xs, lin, "#888", "1 3", fmt.Sprintf("linear widths w0 + wa·j: w0 %s, wa %s", sig(fit.W0, 3), sig(fit.WA, 3)), 1.5)
	x, y := stepsOf(pf)
	d.polyline(f, x, y, "#222", "4 3", fmt.Sprintf("RegNet fit: d %d, w0 %s, wa %s, wm %s → %s", fit.D, sig(fit.W0, 3), sig(fit.WA, 3), sig(fit.WM, 3), intList(pred)), 1.8)
	x, y = stepsOf(wf)
	d.polyline(f, x, y, sp.Colour, "", fmt.Sprintf("model %s widths %s", c.ID, intList(ws)), 2.5)
	d.printf(`</g>`)
	return d.String()
}

// curvesFigure draws the per-epoch training loss and training error of the best
// and the worst models (at most epochs epochs): best in the space's colour, worst
// in grey, dashed.
func curvesFigure(sp *Space, best, worst []int, epochs int, id *ids) string {
	pw, ph := 470.0, 280.0
	if epochs <= 2 {
		pw = 300 // a point or two per curve: narrow panels
	}
	const top = 18.0 // the legend's row
	d := newSVG(2*pw, ph+top, sp.Label+": training curves")
	d.legendRow(2*pw-16, 12, [][3]string{{sp.Colour, "", fmt.Sprintf("best %d", len(best))}, {"#999", "5 3", fmt.Sprintf("worst %d", len(worst))}})
	for k, what := range []string{"training loss", "training error (%)"} {
		var xs, ys []float64
		series := func(i int) []float64 {
			if k == 0 {
				return sp.Runs[i].EpochLoss
			}
			return sp.Runs[i].EpochErr
		}
		for _, i := range append(slices.Clone(best), worst...) {
			for e, v := range series(i) {
				xs, ys = append(xs, float64(e+1)), append(ys, v)
			}
		}
		if len(xs) == 0 {
			xs, ys = []float64{1}, []float64{0}
		}
		f := newFrame(pw*float64(k), top, pw, ph, append(xs, 1), ys, false, false, 0.06)
		if slices.Max(xs) == 1 {
			f.x = newScale([]float64{0.5, 1.5}, false, 0, f.left, f.right)
		}
		d.axes(f, what+" per epoch", "epoch", what, func(v float64) string {
			if v != math.Round(v) {
				return ""
			}
			return sig(v, 3)
		}, func(v float64) string { return sig(v, 3) })
		d.clip(f, id.next())
		draw := func(i int, role, colour, dash string) {
			v := series(i)
			x := make([]float64, len(v))
			for e := range v {
				x[e] = float64(e + 1)
			}
			c := sp.Models.Sample.Configs[i]
			d.polyline(f, x, v, colour, dash, fmt.Sprintf("%s %s: test error %s%%", role, c.ID, pct(sp.Models.Sample.Errs[i])), 2)
			d.printf(`<g fill="%s">`, colour)
			for e := range v {
				d.dot(f, x[e], v[e], 3, fmt.Sprintf("%s %s\nepoch %d: %s %s", role, c.ID, e+1, what, sig(v[e], 4)))
			}
			d.printf(`</g>`)
		}
		for r, i := range worst {
			draw(i, fmt.Sprintf("worst #%d", r+1), "#999", "5 3")
		}
		for r, i := range best {
			draw(i, fmt.Sprintf("best #%d", r+1), sp.Colour, "")
		}
		d.printf(`</g>`)
	}
	return d.String()
}

// widthParam reports whether a parameter is a network width (ticks at powers of two).
func widthParam(name string) bool {
	return name == "w0" || len(name) >= 2 && name[0] == 'w' && name[1] >= '1' && name[1] <= '9'
}

func intList(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, " ")
}

func csvNum(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return fmt.Sprintf("%g", v)
}

func csvField(s string) string {
	if strings.ContainsAny(s, ",\"\n") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}
