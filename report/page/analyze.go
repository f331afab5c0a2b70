package page

import (
	"fmt"
	"slices"

	"github.com/ddstools/dds/bootstrap/design"
	"github.com/ddstools/dds/bootstrap/stats"
	"github.com/ddstools/dds/formats"
	"github.com/ddstools/dds/refine/refiner"
)

// Options configures the analysis the page shows; the defaults are those of the
// programs whose results it shows (compare, bootstrap, refine).
type Options struct {
	Title  string
	Error  string          // error column (design.DefaultError)
	Refine refiner.Options // normalization of the EDFs and the refinement tests
	Boot   stats.BootstrapOptions
	Top    int      // best (and worst) models in the fit and training-curve figures
	Args   []string // the command line, shown at the end of the page
}

// Space is everything the page shows about one design space.
type Space struct {
	*Loaded
	Label  string
	Name   string // the space's name ("" when the stream names none)
	Colour string
	ID     string  // HTML id of its section
	Order  []int   // model indices by error, best first
	Params []Param // design parameters that vary over the models, with their intervals
	Fixed  []Param // those every model has the same value of (no interval)
	Raw    design.Summary
	Norm   design.Summary
	Ev     []refiner.Evidence
	Chosen string // the refinement step taken ("" when none)
	// ChosenBy says where Chosen comes from: "chain" when a later input's space
	// was refined from this one with it, "auto" when it is what refine --auto
	// chooses.
	ChosenBy string
}

// Param is one design parameter of a space's models and its bootstrap interval.
type Param struct {
	Name     string
	Values   []float64
	Interval stats.Interval
}

// Report is the analysed spaces, ready to write.
type Report struct {
	Opt    Options
	Spaces []*Space
}

// Analyse computes what the page shows for the loaded spaces: the raw and
// normalized EDF summaries with KS distances to the first space (design.Compare),
// the bootstrap interval of every design parameter that varies
// (stats.BootstrapMany over design.Models columns, as bootstrap runs it), and the
// refinement evidence (refiner.Judge). The chosen step of a space is the
// constraint a later input's space added when that space names this one as its
// parent (a chain), else refiner.Choose's.
func Analyse(ls []*Loaded, opt Options) (*Report, error) {
	if len(ls) == 0 {
		return nil, fmt.Errorf("no spaces to report on")
	}
	if opt.Error == "" {
		opt.Error = design.DefaultError
	}
	if opt.Top < 1 {
		opt.Top = 5
	}
	r := &Report{Opt: opt}
	models := make([]*design.Models, len(ls))
	seen := map[string]int{}
	for i, l := range ls {
		sp := &Space{Loaded: l, Label: l.Input.Label, Colour: Colour(i)}
		s := l.Models.Sample
		if s.Space != nil {
			sp.Name = s.Space.Name
		} else {
			sp.Name = s.Name
		}
		if sp.Label == "" {
			sp.Label = sp.Name
		}
		if sp.Label == "" {
			sp.Label = fmt.Sprintf("space %d", i+1)
		}
		seen[sp.Label]++
		if seen[sp.Label] > 1 {
			sp.Label = fmt.Sprintf("%s (%d)", sp.Label, seen[sp.Label])
		}
		sp.ID = fmt.Sprintf("space-%d", i+1)
		sp.Order = make([]int, len(s.Errs))
		for k := range sp.Order {
			sp.Order[k] = k
		}
		slices.SortStableFunc(sp.Order, func(a, b int) int {
			if s.Errs[a] < s.Errs[b] {
				return -1
			}
			if s.Errs[a] > s.Errs[b] {
				return 1
			}
			return 0
		})
		models[i] = l.Models
		r.Spaces = append(r.Spaces, sp)
	}
	raw := opt.Refine
	raw.Normalize = "none"
	rawSum, err := design.Compare(models, raw.Normalization)
	if err != nil {
		return nil, err
	}
	normSum := rawSum
	if opt.Refine.Normalize != "none" {
		if normSum, err = design.Compare(models, opt.Refine.Normalization); err != nil {
			return nil, err
		}
	}
	for i, sp := range r.Spaces {
		sp.Raw, sp.Norm = rawSum[i], normSum[i]
		if err := sp.intervals(opt.Boot); err != nil {
			return nil, fmt.Errorf("%s: bootstrap: %v", sp.Label, err)
		}
		ev, err := refiner.Judge(sp.Models, sp.Models.Sample.Space, opt.Refine)
		if err != nil {
			return nil, fmt.Errorf("%s: refinement evidence: %v", sp.Label, err)
		}
		sp.Ev = ev
	}
	for _, sp := range r.Spaces {
		sp.Chosen, sp.ChosenBy = refiner.Choose(sp.Ev), "auto"
		if step := chainStep(sp, r.Spaces); step != "" {
			sp.Chosen, sp.ChosenBy = step, "chain"
		}
	}
	return r, nil
}

// intervals runs the bootstrap on every design parameter whose value differs
// between the models (per-stage b1.., g1.. left out when the models share b, g).
func (sp *Space) intervals(opt stats.BootstrapOptions) error {
	m := sp.Models
	var cols [][]float64
	names := m.Names()
	for _, n := range names {
		if len(n) >= 2 && (n[0] == 'b' || n[0] == 'g') && slices.Contains(names, n[:1]) {
			continue // the same as the shared b or g every model has
		}
		col, err := m.Column(n)
		if err != nil {
			continue // a parameter not every model has (a stage some lack)
		}
		p := Param{Name: n, Values: col}
		if slices.Min(col) == slices.Max(col) {
			p.Interval = stats.Interval{Lo: col[0], Median: col[0], Hi: col[0], N: len(col)}
			sp.Fixed = append(sp.Fixed, p)
			continue
		}
		sp.Params = append(sp.Params, p)
		cols = append(cols, col)
	}
	if len(cols) == 0 {
		return nil
	}
	ivs, err := stats.BootstrapMany(cols, m.Sample.Errs, opt)
	if err != nil {
		return err
	}
	for i := range sp.Params {
		sp.Params[i].Interval = ivs[i]
	}
	return nil
}

// chainStep returns the constraint that a later space refined from sp (its parent
// is sp's space) added, "" when there is none.
func chainStep(sp *Space, all []*Space) string {
	from := sp.Models.Sample.Space
	if from == nil {
		return ""
	}
	for _, o := range all {
		to := o.Models.Sample.Space
		if to == nil || to.Parent != from.Name || o == sp {
			continue
		}
		for _, c := range to.Constraints {
			if !from.Has(c) {
				return c
			}
		}
	}
	return ""
}

// palette holds the colours of the spaces, in input order (Okabe and Ito's
// colour-blind-safe set, then further distinct hues).
var palette = []string{"#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#8C564B", "#7F7F7F", "#BCBD22", "#17BECF"}

// Colour returns the colour of the i-th space.
func Colour(i int) string { return palette[i%len(palette)] }

// candidateColours are the colours of the candidate refinements in their figure,
// in refiner.Candidates order; the EDF of all models is drawn in black.
var candidateColours = map[string]string{
	formats.SharedB:         "#E69F00",
	formats.SharedG:         "#009E73",
	formats.NonDecreasingW:  "#D55E00",
	formats.NonDecreasingD:  "#CC79A7",
	formats.QuantizedLinear: "#56B4E9",
}
