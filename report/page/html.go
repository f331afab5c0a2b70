package page

import (
	"bufio"
	_ "embed"
	"encoding/base64"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/ddstools/dds/formats"
)

//go:embed page.css
var css string

//go:embed page.js
var js string

// Write writes the report as one HTML document that references nothing outside
// itself: styles and the script inline, figures as inline SVG, data as tables and
// data: URLs. Without the script every section shows and the model table keeps
// its order (best first); with it, tabs pick one space and table headers sort.
func Write(out io.Writer, r *Report) error {
	w := &pageWriter{w: bufio.NewWriter(out), r: r}
	w.document()
	return w.w.Flush()
}

type pageWriter struct {
	w  *bufio.Writer
	r  *Report
	id ids
}

func (p *pageWriter) f(format string, a ...any) { fmt.Fprintf(p.w, format, a...) }
func (p *pageWriter) s(s string)                { p.w.WriteString(s) }

func (p *pageWriter) document() {
	r := p.r
	title := r.Opt.Title
	if title == "" {
		title = "dds sweep report"
	}
	p.f("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>%s</title>\n<style>\n%s</style>\n</head>\n<body>\n", esc(title), css)
	models := 0
	for _, sp := range r.Spaces {
		models += len(sp.Models.Sample.Errs)
	}
	p.f("<header><h1>%s</h1>\n<p class=\"sub\">%d %s, %d evaluated models. Error: <code>%s</code> (%%). ", esc(title), len(r.Spaces), plural(len(r.Spaces), "design space", "design spaces"), models, esc(r.Opt.Error))
	if r.Opt.Refine.Normalize != "none" {
		p.f("Normalized EDFs weight the models so that each of %d %s bins counts the same. ", r.Opt.Refine.Bins, esc(r.Opt.Refine.Normalize))
	}
	p.f("Bootstrap: B = %d, %g%% of the models per draw, %g%% intervals.</p>\n", r.Opt.Boot.B, 100*r.Opt.Boot.Fraction, 100*(1-r.Opt.Boot.Alpha))
	p.s("</header>\n<nav class=\"toc\"><a href=\"#compare\">Comparison</a>")
	for _, sp := range r.Spaces {
		p.f(" <a href=\"#%s\" data-space=\"%s\"><i class=\"sw\" style=\"background:%s\"></i>%s</a>", sp.ID, sp.ID, sp.Colour, esc(sp.Label))
	}
	p.s(" <a href=\"#models\">All models</a> <a href=\"#about\">How this was made</a></nav>\n<main>\n")
	p.compare()
	p.s("<div id=\"spaces\">\n")
	for _, sp := range r.Spaces {
		p.space(sp)
	}
	p.s("</div>\n")
	p.modelTable()
	p.about()
	p.f("</main>\n<script>\n%s</script>\n</body>\n</html>\n", js)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// figure writes an SVG with its caption.
func (p *pageWriter) figure(class, svg, caption string) {
	p.f("<figure class=\"%s\">%s<figcaption>%s</figcaption></figure>\n", class, svg, caption)
}

// download writes a link that saves data as a CSV file.
func (p *pageWriter) download(name, data string) {
	p.f("<a class=\"dl\" download=\"%s\" href=\"data:text/csv;base64,%s\">%s</a>", esc(name), base64.StdEncoding.EncodeToString([]byte(data)), esc(name))
}

func fileName(label string) string {
	var b strings.Builder
	for _, c := range label {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' {
			b.WriteRune(c)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

func (p *pageWriter) compare() {
	r := p.r
	p.s("<section id=\"compare\"><h2>Comparison of the spaces</h2>\n")
	capt := "<b>Error EDFs.</b> Each curve is the fraction of a space's models whose error is below x: further left and higher means more good models. "
	if r.Opt.Refine.Normalize != "none" {
		capt += fmt.Sprintf("On the right the EDFs are normalized over %s: models are weighted so that each of %d equal-width %s bins carries the same weight, removing the advantage of a space that simply draws bigger models. ", esc(r.Opt.Refine.Normalize), r.Opt.Refine.Bins, esc(r.Opt.Refine.Normalize))
	}
	capt += "Hover a curve for its numbers."
	p.figure("wide", edfFigure(r, &p.id), capt)
	for _, kind := range []string{"raw", "normalized"} {
		if kind == "normalized" && r.Opt.Refine.Normalize == "none" {
			continue
		}
		head := "Raw EDFs"
		if kind == "normalized" {
			head = "EDFs normalized over " + r.Opt.Refine.Normalize
		}
		p.f("<table class=\"num ks\"><caption>%s: summary and Kolmogorov–Smirnov test against <b>%s</b>. Click a row to show that space.</caption>\n", esc(head), esc(r.Spaces[0].Label))
		p.s("<thead><tr><th>space</th><th>models</th><th>min</th><th>q25</th><th>median</th><th>q75</th><th>mean</th><th>KS D</th><th>p</th></tr></thead><tbody>\n")
		for _, sp := range r.Spaces {
			s := sp.Raw
			if kind == "normalized" {
				s = sp.Norm
			}
			p.f("<tr data-space=\"%s\"><td class=\"l\"><a href=\"#%s\"><i class=\"sw\" style=\"background:%s\"></i>%s</a></td><td>%d</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%.3f</td><td>%s</td></tr>\n",
				sp.ID, sp.ID, sp.Colour, esc(sp.Label), s.N, pct(s.Min), pct(s.Q25), pct(s.Median), pct(s.Q75), pct(s.Mean), s.D, pval(s.P))
		}
		p.s("</tbody></table>\n")
	}
	p.s("<p class=\"data\">Data: ")
	p.download("edf.csv", edfCSV(r))
	p.s(" (the step points of every curve: error, F).</p>\n</section>\n")
}

func pval(v float64) string {
	if v < 1e-4 {
		return fmt.Sprintf("%.1e", v)
	}
	return sig(v, 2)
}

func (p *pageWriter) space(sp *Space) {
	r := p.r
	s := sp.Models.Sample
	p.f("<section class=\"space\" id=\"%s\" style=\"--c:%s\">\n<h2><i class=\"sw\" style=\"background:%s\"></i>%s", sp.ID, sp.Colour, sp.Colour, esc(sp.Label))
	if sp.Name != "" && sp.Name != sp.Label {
		p.f(" <small>%s</small>", esc(sp.Name))
	}
	p.s("</h2>\n<dl class=\"facts\">")
	best := sp.Order[0]
	p.f("<div><dt>models</dt><dd>%d", len(s.Errs))
	if s.Skipped > 0 {
		p.f(" <small>(+%d without %s)</small>", s.Skipped, esc(r.Opt.Error))
	}
	p.f("</dd></div><div><dt>best</dt><dd>%s%% <small><code>%s</code></small></dd></div>", pct(s.Errs[best]), esc(s.Configs[best].ID))
	p.f("<div><dt>median</dt><dd>%s%%</dd></div>", pct(sp.Raw.Median))
	fl, _ := sp.Models.Column("flops")
	pa, _ := sp.Models.Column("params")
	p.f("<div><dt>flops</dt><dd>%s – %s</dd></div><div><dt>params</dt><dd>%s – %s</dd></div>", si(slices.Min(fl)), si(slices.Max(fl)), si(slices.Min(pa)), si(slices.Max(pa)))
	if rc := recipeText(sp.Runs); rc != "" {
		p.f("<div><dt>training</dt><dd>%s</dd></div>", esc(rc))
	}
	if sp.Models.Sample.Space != nil {
		if c := sp.Models.Sample.Space.Constraints; len(c) > 0 {
			p.f("<div><dt>constraints</dt><dd>%s</dd></div>", esc(strings.Join(c, ", ")))
		}
	}
	p.s("</dl>\n")
	p.intervals(sp)
	p.evidence(sp)
	p.fit(sp)
	p.curves(sp)
	p.s("</section>\n")
}

// recipeText describes how the models were trained when they share a recipe.
func recipeText(runs []Run) string {
	if len(runs) == 0 || runs[0].Recipe == nil {
		return ""
	}
	rc := *runs[0].Recipe
	for _, r := range runs[1:] {
		if r.Recipe == nil || *r.Recipe != rc {
			return "recipes differ between models"
		}
	}
	t := fmt.Sprintf("%d %s, batch %d, lr %g", rc.Epochs, plural(rc.Epochs, "epoch", "epochs"), rc.Batch, rc.LR)
	if rc.WarmupEpochs > 0 {
		t += fmt.Sprintf(", warmup %g", rc.WarmupEpochs)
	}
	if rc.Data != "" {
		t += " on " + rc.Data
	}
	if rc.TrainSubset > 0 {
		t += fmt.Sprintf(" (%d images)", rc.TrainSubset)
	}
	if rc.Precision != "" && rc.Precision != formats.PrecisionFP32 {
		t += ", " + rc.Precision
	}
	return t
}

func (p *pageWriter) intervals(sp *Space) {
	r := p.r
	p.s("<h3>Where the good models lie: bootstrap intervals</h3>\n")
	if len(sp.Params) == 0 {
		p.s("<p>Every model has the same design parameters; there is nothing to bootstrap.</p>\n")
	} else {
		p.s("<div class=\"grid\">")
		for _, prm := range sp.Params {
			p.s(scatterFigure(sp, prm, r.Opt.Boot.Alpha, &p.id))
		}
		p.s("</div>\n")
		p.f("<p class=\"caption\"><b>Error against each design parameter.</b> One dot per model; the best model is ringed. The shaded band is the %g%% bootstrap interval of the best model's value (B = %d draws of %g%% of the models, keeping the best of each draw) and the dashed line its median, the most likely best value. Widths and complexity are on log axes. Hover a dot for the model's id and numbers; click it to find the model in the table of all models.</p>\n",
			100*(1-r.Opt.Boot.Alpha), r.Opt.Boot.B, 100*r.Opt.Boot.Fraction)
	}
	p.s("<details class=\"tbl\"><summary>Intervals table</summary><table class=\"num\"><thead><tr><th>parameter</th><th>lo</th><th>median</th><th>hi</th><th>best model</th><th>models' range</th></tr></thead><tbody>\n")
	best := sp.Order[0]
	for _, prm := range append(slices.Clone(sp.Params), sp.Fixed...) {
		u := unitOf(prm.Name)
		iv := prm.Interval
		p.f("<tr><td class=\"l\">%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s – %s</td></tr>\n", esc(prm.Name), u(iv.Lo), u(iv.Median), u(iv.Hi), u(prm.Values[best]), u(slices.Min(prm.Values)), u(slices.Max(prm.Values)))
	}
	p.s("</tbody></table></details>\n")
	if len(sp.Fixed) > 0 {
		var f []string
		for _, prm := range sp.Fixed {
			f = append(f, fmt.Sprintf("%s = %s", prm.Name, unitOf(prm.Name)(prm.Values[0])))
		}
		p.f("<p class=\"note\">The same in every model (no figure): %s.</p>\n", esc(strings.Join(f, ", ")))
	}
	p.s("<p class=\"data\">Data: ")
	p.download(fileName(sp.Label)+"-models.csv", modelsCSV(sp, r.Opt))
	p.s(" (every model's error and design parameters: the dots).</p>\n")
}

func (p *pageWriter) evidence(sp *Space) {
	opt := p.r.Opt.Refine
	p.s("<h3>Refinement evidence</h3>\n")
	labels, edfs, err := evidenceCurves(sp, opt)
	p.s("<div class=\"row\">")
	if err != nil {
		p.f("<p class=\"note\">No evidence figure: %s.</p>\n", esc(err.Error()))
	} else {
		norm := ""
		if opt.Normalize != "none" {
			norm = " (normalized over " + esc(opt.Normalize) + ")"
		}
		p.figure("", evidenceFigure(sp, labels, edfs, opt, &p.id), "<b>Candidate constraints.</b> The error EDF"+norm+" of all models (black) and of the models that satisfy each candidate constraint (dashed; the step taken solid and thick). A candidate whose curve falls below black by more than the threshold drops good models (worse); one that stays level or rises keeps them. Candidates that every model or fewer than two satisfy have no curve of their own.")
	}
	p.s("<div>")
	switch {
	case sp.Chosen == "":
		p.s("<p class=\"chosen-step\">No candidate keeps the error distribution: refine --auto would stop here.</p>\n")
	case sp.ChosenBy == "chain":
		p.f("<p class=\"chosen-step\">Step taken: <b>%s</b> (the next space of the chain adds it; verdict here: %s).</p>\n", esc(sp.Chosen), esc(verdictOf(sp)))
	default:
		p.f("<p class=\"chosen-step\">Chosen step: <b>%s</b> — the most restrictive candidate that is not worse (refine --auto).</p>\n", esc(sp.Chosen))
	}
	p.s("<div class=\"xscroll\"><table class=\"num ev\"><thead><tr>")
	for _, h := range []string{"constraint", "satisfy", "KS D", "p", "below", "above", "threshold"} {
		p.f("<th rowspan=\"2\">%s</th>", h)
	}
	p.f("<th colspan=\"%d\" class=\"group\">Δerr at quantile</th><th rowspan=\"2\" class=\"l\">verdict</th></tr><tr>", len(opt.Quantiles))
	for _, q := range opt.Quantiles {
		p.f("<th>%g</th>", q)
	}
	p.s("</tr></thead><tbody>\n")
	for _, e := range sp.Ev {
		cls := ""
		if e.Constraint == sp.Chosen {
			cls = " class=\"chosen\""
		}
		p.f("<tr%s><td class=\"l\">%s</td><td>%d/%d</td>", cls, esc(e.Constraint), e.NSat, e.N)
		if e.Diffs == nil {
			p.s(strings.Repeat("<td>–</td>", 5+len(opt.Quantiles)))
		} else {
			p.f("<td>%.3f</td><td>%s</td><td>%.3f</td><td>%.3f</td><td>%.3f</td>", e.D, pval(e.P), e.Below, e.Above, e.Threshold)
			for _, d := range e.Diffs {
				p.f("<td>%+.2f</td>", d)
			}
		}
		p.f("<td class=\"l\">%s</td></tr>\n", esc(e.Verdict))
	}
	p.s("</tbody></table></div>\n")
	p.f("<p class=\"note\">satisfy: models meeting the constraint; KS D, p: two-sided test against all models; below / above: how far the candidate's EDF falls below / rises above all models' (one-sided); threshold: the one-sided KS critical value at α = %g; Δerr: the candidate's quantile error minus all models' in points (negative is better).</p>\n", opt.Alpha)
	if err == nil {
		p.s("<p class=\"data\">Data: ")
		p.download(fileName(sp.Label)+"-refine-edf.csv", evidenceCSV(labels, edfs))
		p.s(" (the step points of every curve).</p>")
	}
	p.s("</div></div>\n")
}

func verdictOf(sp *Space) string {
	for _, e := range sp.Ev {
		if e.Constraint == sp.Chosen {
			return e.Verdict
		}
	}
	return "?"
}

func (p *pageWriter) fit(sp *Space) {
	top := sp.Order[:min(p.r.Opt.Top, len(sp.Order))]
	p.s("<h3>RegNet fit of the best models</h3>\n<div class=\"grid small\">")
	for k, i := range top {
		p.s(fitFigure(sp, k+1, i, &p.id))
	}
	p.s("</div>\n<p class=\"caption\"><b>Block widths of the best models</b> (solid) with the widths of the RegNet that fits them best (dashed: u<sub>j</sub> = w<sub>0</sub> + w<sub>a</sub>·j, dotted, quantized to powers of w<sub>m</sub>). e<sub>fit</sub> is the mean |log| ratio of fitted to actual widths: near 0, the model already is a RegNet.</p>\n")
	own := sp.Models.Sample.Configs[top[0]].RegNet != nil
	p.s("<table class=\"num\"><thead><tr><th>rank</th><th class=\"l\">id</th><th>error</th><th>flops</th><th>blocks</th><th>w0</th><th>wa</th><th>wm</th><th>e_fit</th>")
	if own {
		p.s("<th>drawn w0 / wa / wm</th>")
	}
	p.s("</tr></thead><tbody>\n")
	for k, i := range top {
		f := sp.Models.Fits[i]
		c := sp.Models.Sample.Configs[i]
		p.f("<tr><td>%d</td><td class=\"l\"><code>%s</code></td><td>%s</td><td>%s</td><td>%d</td><td>%s</td><td>%s</td><td>%s</td><td>%.3f</td>", k+1, c.ID, pct(sp.Models.Sample.Errs[i]), si(float64(c.Complexity.Flops)), f.D, sig(f.W0, 4), sig(f.WA, 4), sig(f.WM, 4), f.EFit)
		if own {
			if rg := c.RegNet; rg != nil {
				p.f("<td>%s / %s / %s</td>", sig(rg.W0, 4), sig(rg.WA, 4), sig(rg.WM, 4))
			} else {
				p.s("<td>–</td>")
			}
		}
		p.s("</tr>\n")
	}
	p.s("</tbody></table>\n")
	p.s("<details class=\"tbl\"><summary>Widths table</summary><table class=\"num\"><thead><tr><th>rank</th><th class=\"l\">id</th><th class=\"l\">block widths</th><th class=\"l\">RegNet fit's widths</th></tr></thead><tbody>\n")
	for k, i := range top {
		c := sp.Models.Sample.Configs[i]
		p.f("<tr><td>%d</td><td class=\"l\"><code>%s</code></td><td class=\"l\">%s</td><td class=\"l\">%s</td></tr>\n", k+1, c.ID, intList(c.Net.BlockWidths()), intList(sp.Models.Fits[i].RegNet().BlockWidths()))
	}
	p.s("</tbody></table></details>\n")
}

func (p *pageWriter) curves(sp *Space) {
	k := min(3, len(sp.Order)/2)
	if k == 0 {
		k = 1
	}
	best := sp.Order[:k]
	worst := slices.Clone(sp.Order[len(sp.Order)-min(k, len(sp.Order)-k):])
	slices.Reverse(worst)
	has := false
	for _, i := range append(slices.Clone(best), worst...) {
		has = has || len(sp.Runs[i].EpochLoss) > 0
	}
	p.s("<h3>Training curves of the best and worst models</h3>\n")
	if !has {
		p.s("<p class=\"note\">The stream records no per-epoch training loss or error.</p>\n")
		return
	}
	epochs := 0
	for _, i := range append(slices.Clone(best), worst...) {
		epochs = max(epochs, len(sp.Runs[i].EpochLoss))
	}
	one := ""
	if epochs == 1 {
		one = " The models trained one epoch, so each curve is a single point."
	}
	p.figure("wide", curvesFigure(sp, best, worst, epochs, &p.id), fmt.Sprintf("<b>Per-epoch training loss and error</b> of the %d best models (solid) and the %d worst (grey, dashed) by %s.%s Hover for a model's id.", len(best), len(worst), esc(p.r.Opt.Error), one))
	p.s("<details class=\"tbl\"><summary>Curves table</summary><table class=\"num\"><thead><tr><th class=\"l\">model</th><th class=\"l\">id</th><th>error</th><th class=\"l\">loss per epoch</th><th class=\"l\">training error per epoch</th></tr></thead><tbody>\n")
	row := func(role string, i int) {
		r := sp.Runs[i]
		p.f("<tr><td class=\"l\">%s</td><td class=\"l\"><code>%s</code></td><td>%s</td><td class=\"l\">%s</td><td class=\"l\">%s</td></tr>\n", role, sp.Models.Sample.Configs[i].ID, pct(sp.Models.Sample.Errs[i]), floatList(r.EpochLoss, 4), floatList(r.EpochErr, 4))
	}
	for n, i := range best {
		row(fmt.Sprintf("best #%d", n+1), i)
	}
	for n, i := range worst {
		row(fmt.Sprintf("worst #%d", n+1), i)
	}
	p.s("</tbody></table></details>\n")
}

func floatList(v []float64, digits int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = sig(x, digits)
	}
	return strings.Join(s, " ")
}

// stagesText writes a model's stages as depths and widths, and b, g shared or per stage.
func stagesText(c formats.Config) (dw, bg string) {
	var d, w, b, g []string
	for _, s := range c.Net.Stages {
		d, w = append(d, fmt.Sprint(s.D)), append(w, fmt.Sprint(s.W))
		b, g = append(b, sig(s.B, 3)), append(g, fmt.Sprint(s.G))
	}
	same := func(v []string) string {
		for _, x := range v {
			if x != v[0] {
				return strings.Join(v, ",")
			}
		}
		return v[0]
	}
	return strings.Join(d, ",") + " / " + strings.Join(w, ","), same(b) + " / " + same(g)
}

func (p *pageWriter) modelTable() {
	r := p.r
	p.s("<section id=\"models\"><h2>All models</h2>\n")
	p.f("<p class=\"caption\">Every evaluated model, best first within each space. Click a column head to sort (scripts on); the space tabs above filter the rows.</p>\n")
	p.f("<div class=\"scroll\"><table class=\"num sortable\" id=\"model-table\"><thead><tr><th>space</th><th>rank</th><th class=\"l\">id</th><th class=\"l\">stages d / w</th><th class=\"l\">b / g</th><th>flops</th><th>params</th><th>train err</th><th>%s</th><th>top-5 err</th><th>time</th><th>img/s</th><th>status</th></tr></thead><tbody>\n", esc(r.Opt.Error))
	for _, sp := range r.Spaces {
		s := sp.Models.Sample
		for rank, i := range sp.Order {
			c := s.Configs[i]
			run := sp.Runs[i]
			dw, bg := stagesText(c)
			p.f("<tr data-space=\"%s\" data-id=\"%s\"><td class=\"l\" data-v=\"%d\"><i class=\"sw\" style=\"background:%s\"></i>%s</td><td>%d</td><td class=\"l\"><code>%s</code></td><td class=\"l\">%s</td><td class=\"l\">%s</td>",
				sp.ID, c.ID, slices.Index(r.Spaces, sp), sp.Colour, esc(sp.Label), rank+1, c.ID, dw, bg)
			p.f("<td data-v=\"%d\">%s</td><td data-v=\"%d\">%s</td>", c.Complexity.Flops, si(float64(c.Complexity.Flops)), c.Complexity.Params, si(float64(c.Complexity.Params)))
			for _, v := range []float64{run.TrainError, s.Errs[i], run.Top5} {
				p.f("<td data-v=\"%s\">%s</td>", sortKey(v), pct(v))
			}
			p.f("<td data-v=\"%s\">%s</td><td data-v=\"%s\">%s</td><td class=\"l\">%s</td></tr>\n", sortKey(run.Wall), seconds(run.Wall), sortKey(run.ImgPerSec), si(run.ImgPerSec), esc(run.Status))
		}
	}
	p.s("</tbody></table></div>\n<p class=\"data\">Data: ")
	var b strings.Builder
	b.WriteString("space,rank,id,stages_d_w,b_g,flops,params,train_error," + r.Opt.Error + ",test_top5_error,wall_s,img_per_s,status\n")
	for _, sp := range r.Spaces {
		for rank, i := range sp.Order {
			c := sp.Models.Sample.Configs[i]
			run := sp.Runs[i]
			dw, bg := stagesText(c)
			fmt.Fprintf(&b, "%s,%d,%s,%s,%s,%d,%d,%s,%g,%s,%s,%s,%s\n", csvField(sp.Label), rank+1, c.ID, csvField(dw), csvField(bg), c.Complexity.Flops, c.Complexity.Params,
				csvNum(run.TrainError), sp.Models.Sample.Errs[i], csvNum(run.Top5), csvNum(run.Wall), csvNum(run.ImgPerSec), csvField(run.Status))
		}
	}
	p.download("models.csv", b.String())
	p.s("</p>\n</section>\n")
}

func sortKey(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return fmt.Sprintf("%g", v)
}

func (p *pageWriter) about() {
	r := p.r
	p.s("<section id=\"about\"><h2>How this was made</h2>\n<ul class=\"about\">")
	for _, sp := range r.Spaces {
		p.f("<li><i class=\"sw\" style=\"background:%s\"></i><b>%s</b>: <code>%s</code>", sp.Colour, esc(sp.Label), esc(sp.Input.Path))
		if sp.Models.Sample.Space != nil && sp.Models.Sample.Space.NarrowedBy != "" {
			p.f(" — %s", esc(sp.Models.Sample.Space.NarrowedBy))
		}
		p.s("</li>")
	}
	p.s("</ul>\n")
	if len(r.Opt.Args) > 0 {
		p.f("<p>Written by <code>%s</code>.</p>\n", esc(strings.Join(r.Opt.Args, " ")))
	}
	p.f("<p class=\"note\">Statistics as in the dds programs: the EDFs and KS tests of <code>compare</code>, the intervals of <code>bootstrap</code>, the evidence of <code>refine</code> (α = %g, at least %d satisfying models, quantized linear when e_fit ≤ %g).</p>\n</section>\n",
		r.Opt.Refine.Alpha, r.Opt.Refine.MinModels, r.Opt.Refine.MaxEFit)
}
