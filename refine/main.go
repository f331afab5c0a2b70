// Command refine tests the paper's candidate refinements of a design space on the
// evaluated models of that space and writes the next, more constrained space.
package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/ddstools/dds/bootstrap/design"
	"github.com/ddstools/dds/formats"
	"github.com/ddstools/dds/internal/cli"
	"github.com/ddstools/dds/refine/refiner"
)

// ExitNoStep is refine's exit status when --auto finds no constraint to add (every
// candidate is in the space, has too few models or makes the errors worse): the space
// is as narrow as the evidence supports, and nothing is written.
const ExitNoStep = 3

const synopsis = `
usage: refine (--step CONSTRAINT | --auto) [--error COL] [--space NAME|FILE]
              [--normalize flops|params|none] [--bins K] [--alpha A] [--threshold D]
              [--min-models N] [--max-efit E] [--quantiles Q,Q,...] [--name NAME]
              [--plot FILE] [-q] [-o FILE] [FILE|-]

Reads evaluated records of one design space and compares, for each candidate
constraint — shared_b, shared_g, nondecreasing_w, nondecreasing_d, quantized_linear
(RegNet widths: models whose RegNet fit error e_fit is at most --max-efit) — the
error EDF of the models that satisfy it with the EDF of all of them (normalized over
flops by default): KS distance and p-value, how far the subset's EDF falls below
(worse) or rises above (better) the whole's, and the error differences at quantiles.
A constraint is worse when its subset's EDF falls below by more than the one-sided
KS critical value at --alpha (or --threshold). The evidence table goes to stderr.
It then writes the next space: the one --step names, or with --auto the most
restrictive candidate (fewest satisfying models) that is not worse. Adding
quantized_linear makes a RegNet space whose depth, w0, wa and wm span the fits of
the satisfying models.
Example: refine --auto x.eval.arrows | sample --space - -n 100 | train ...`

func main() { cli.Main("refine", run) }

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := cli.NewFlags("refine", synopsis, stderr)
	dest := formats.DestinationFlags(fs.FlagSet)
	step := fs.String("step", "", "the constraint to add: "+strings.Join(refiner.Candidates, ", "))
	auto := fs.Bool("auto", false, "add the most restrictive constraint that does not make the distribution worse")
	column := fs.String("error", design.DefaultError, "error column")
	spaceArg := fs.String("space", "", "the space the records were drawn from (default: their metadata)")
	opt := refiner.Options{}
	fs.StringVar(&opt.Normalize, "normalize", "flops", "normalize the EDFs over flops, params or none")
	fs.IntIn(&opt.Bins, "bins", 10, 1, 1000, "complexity bins of the normalization")
	fs.FloatIn(&opt.Alpha, "alpha", 0.05, cli.In("(0, 1)"), "significance of the one-sided KS tests behind the verdicts")
	fs.FloatIn(&opt.Threshold, "threshold", 0, cli.In("[0, 1]"), "a fixed KS distance for the verdicts instead of --alpha's (0: none)")
	fs.IntIn(&opt.MinModels, "min-models", 10, 1, 1e9, "fewest satisfying models for a candidate to be judged")
	fs.FloatIn(&opt.MaxEFit, "max-efit", 0.1, cli.In("[0, 1000]"), "largest RegNet fit error of a quantized-linear model")
	quantiles := fs.String("quantiles", "0.1,0.25,0.5", "quantiles of the error differences")
	name := fs.String("name", "", "name of the next space (default: the space's name + \"+\" + the constraint)")
	plot := fs.String("plot", "", "write the EDFs of all models and of each candidate's models to this PNG or SVG")
	quiet := fs.Bool("q", false, "no evidence table on stderr")
	file, err := fs.ParseFile(args)
	if err != nil {
		return err
	}
	switch {
	case (*step == "") == !*auto:
		return cli.Usagef("give --step CONSTRAINT or --auto")
	case *step != "" && !slices.Contains(refiner.Candidates, *step):
		return cli.Usagef("--step %q: want one of %s", *step, strings.Join(refiner.Candidates, ", "))
	case opt.Normalize != "flops" && opt.Normalize != "params" && opt.Normalize != "none":
		return cli.Usagef("--normalize %q: want flops, params or none", opt.Normalize)
	case opt.Bins < 1 || !(opt.Alpha > 0 && opt.Alpha < 1) || opt.Threshold < 0 || opt.MaxEFit < 0:
		return cli.Usagef("--bins must be positive, --alpha in (0, 1), --threshold and --max-efit not negative")
	}
	for _, q := range strings.Split(*quantiles, ",") {
		v, err := strconv.ParseFloat(q, 64)
		if err != nil || !(v > 0 && v < 1) {
			return cli.Usagef("--quantiles: %q is not in (0, 1)", q)
		}
		opt.Quantiles = append(opt.Quantiles, v)
	}
	m, err := design.Input("refine", file, stdin, stderr, *column, *spaceArg, opt.MinModels)
	if err != nil {
		return err
	}
	s := m.Sample
	evs, err := refiner.Judge(m, s.Space, opt)
	if err != nil {
		return err
	}
	chosen := *step
	if *auto {
		chosen = refiner.Choose(evs)
	}
	if !*quiet {
		writeTable(stderr, s, evs, opt, chosen)
	}
	if *plot != "" {
		if err := plotEvidence(*plot, m, evs, opt, chosen, filepath.Base(formats.InputName(file))); err != nil {
			return err
		}
	}
	if chosen == "" {
		return &cli.StatusError{Status: ExitNoStep, Err: errors.New("no candidate constraint to add: each is in the space, has too few models or makes the error distribution worse (see the table); nothing written")}
	}
	for _, e := range evs {
		if e.Constraint == chosen && (e.Verdict == refiner.VerdictHas || e.Verdict == refiner.VerdictNotReady) {
			return fmt.Errorf("--step %s: %s", chosen, map[string]string{refiner.VerdictHas: "the space already imposes or implies it", refiner.VerdictNotReady: "add shared_b and shared_g first"}[e.Verdict])
		}
	}
	next := *name
	if next == "" {
		next = s.Space.Name + "+" + chosen
	}
	ev := evs[slices.IndexFunc(evs, func(e refiner.Evidence) bool { return e.Constraint == chosen })]
	why := fmt.Sprintf("refine on %s of %d models: %s (%d satisfy, KS D=%.3f, below %.3f, above %.3f, threshold %.3f: %s)",
		*column, len(s.Errs), chosen, ev.NSat, ev.D, ev.Below, ev.Above, ev.Threshold, ev.Verdict)
	ns, err := refiner.Apply(m, s.Space, chosen, next, why, opt)
	if err != nil {
		return err
	}
	prov := formats.Provenance{Producer: "refine", Args: cli.Recorded(args, "o", "q", "plot")}
	return dest.Write(stdout, func(w io.Writer) error {
		return formats.WriteSpaces(w, []*formats.Space{ns}, prov, nil)
	})
}

// writeTable prints the evidence, one line per candidate.
func writeTable(w io.Writer, s *design.Sample, evs []refiner.Evidence, opt refiner.Options, chosen string) {
	fmt.Fprintf(w, "refine: %s, %d models, EDFs normalized over %s\n", s.Space.Name, len(s.Errs), opt.Normalize)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := "constraint\tsatisfy\tKS D\tp\tbelow\tabove\tthreshold"
	for _, q := range opt.Quantiles {
		head += fmt.Sprintf("\tΔerr@%g", q)
	}
	fmt.Fprintln(tw, head+"\tverdict")
	for _, e := range evs {
		line := fmt.Sprintf("%s\t%d/%d", e.Constraint, e.NSat, e.N)
		if e.Diffs == nil {
			line += "\t-\t-\t-\t-\t-" + strings.Repeat("\t-", len(opt.Quantiles))
		} else {
			line += fmt.Sprintf("\t%.3f\t%.3g\t%.3f\t%.3f\t%.3f", e.D, e.P, e.Below, e.Above, e.Threshold)
			for _, d := range e.Diffs {
				line += fmt.Sprintf("\t%+.3g", d)
			}
		}
		v := e.Verdict
		if e.Constraint == chosen {
			v += "  <- chosen"
		}
		fmt.Fprintln(tw, line+"\t"+v)
	}
	tw.Flush()
}
