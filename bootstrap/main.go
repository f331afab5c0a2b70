// Command bootstrap finds where the best models of a design space lie: for every
// design parameter of a set of evaluated models it runs the empirical bootstrap and
// writes the space narrowed to the 95% intervals.
package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/ddstools/dds/bootstrap/design"
	"github.com/ddstools/dds/bootstrap/stats"
	"github.com/ddstools/dds/formats"
	"github.com/ddstools/dds/internal/cli"
)

const synopsis = `
usage: bootstrap [--error COL] [--space NAME|FILE] [--params P,P,...] [-B N] [--fraction F]
                 [--alpha A] [--seed S] [--min-models N] [--name NAME] [--plots DIR]
                 [-q] [-o FILE] [FILE|-]

Reads evaluated records of one design space (from evaluate) and, for every design
parameter they carry (stage depths d1.., widths w1.., bottleneck ratios b1.., group
widths g1..; shared b and g; total depth; RegNet w0, wa, wm and the fit error e_fit;
flops, params, acts), runs the empirical bootstrap: B times, draw a fraction of the
(parameter, error) pairs with replacement and keep the parameter of the pair with the
lowest error; the alpha/2, 50% and 1-alpha/2 percentiles of the kept values are the
interval and the most likely best value. It prints the intervals on stderr and writes
the space the records came from (their metadata, or --space) narrowed to them, with
each parameter's median and model count, as a space stream that sample --space reads.
Example: bootstrap x.eval.arrows | sample --space - -n 100 | train ...`

func main() { cli.Main("bootstrap", run) }

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := cli.NewFlags("bootstrap", synopsis, stderr)
	dest := formats.DestinationFlags(fs.FlagSet)
	column := fs.String("error", design.DefaultError, "error column to minimise")
	spaceArg := fs.String("space", "", "the space the records were drawn from (default: their metadata)")
	params := fs.String("params", "", "narrow only these parameters (default: all the space can express)")
	var opt stats.BootstrapOptions
	fs.IntIn(&opt.B, "B", 10000, 1, 1e6, "bootstrap repetitions")
	fs.FloatIn(&opt.Fraction, "fraction", 0.25, cli.In("(0, 1]"), "share of the models drawn in each repetition")
	fs.FloatIn(&opt.Alpha, "alpha", 0.05, cli.In("(0, 1)"), "1 - alpha is the interval's coverage")
	fs.Uint64Var(&opt.Seed, "seed", 1, "random seed")
	minModels := new(int)
	fs.IntIn(minModels, "min-models", 10, 1, 1e9, "refuse fewer evaluated models than this")
	name := fs.String("name", "", "name of the narrowed space (default: the space's name + \"+boot\")")
	plots := fs.String("plots", "", "write one error-vs-parameter figure per parameter (PNG) into this folder")
	quiet := fs.Bool("q", false, "no table on stderr")
	file, err := fs.ParseFile(args)
	if err != nil {
		return err
	}
	if opt.B < 1 || !(opt.Fraction > 0 && opt.Fraction <= 1) || !(opt.Alpha > 0 && opt.Alpha < 1) {
		return cli.Usagef("-B must be positive, --fraction in (0, 1] and --alpha in (0, 1)")
	}
	m, err := design.Input("bootstrap", file, stdin, stderr, *column, *spaceArg, *minModels)
	if err != nil {
		return err
	}
	s := m.Sample
	names := m.Names()
	if *params != "" {
		want := strings.Split(*params, ",")
		for _, p := range want {
			if !slices.Contains(names, p) {
				return cli.Usagef("--params: %q is not a parameter of these models (they have: %s)", p, strings.Join(names, ","))
			}
		}
		names = want
	}
	cols := make([][]float64, len(names))
	for i, n := range names {
		if cols[i], err = m.Column(n); err != nil {
			return err
		}
	}
	ivs, err := stats.BootstrapMany(cols, s.Errs, opt)
	if err != nil {
		return err
	}
	byName := map[string]stats.Interval{}
	for i, n := range names {
		byName[n] = ivs[i]
	}
	narrowed, report := design.Narrow(s.Space, names, byName)
	narrowed.Parent = s.Space.Name
	narrowed.Name = *name
	if narrowed.Name == "" {
		narrowed.Name = s.Space.Name + "+boot"
	}
	narrowed.NarrowedBy = fmt.Sprintf("bootstrap on %s of %d models: B=%d fraction=%g alpha=%g seed=%d", *column, len(s.Errs), opt.B, opt.Fraction, opt.Alpha, opt.Seed)
	if err := narrowed.Validate(); err != nil {
		return fmt.Errorf("narrowed space: %v", err)
	}
	if !*quiet {
		writeTable(stderr, report, len(s.Errs), opt)
	}
	if *plots != "" {
		f := figure{space: s.Space.Name, input: filepath.Base(formats.InputName(file)), column: *column, models: len(s.Errs), B: opt.B, seed: opt.Seed}
		if err := writePlots(*plots, names, cols, s.Errs, ivs, f, report); err != nil {
			return err
		}
	}
	prov := formats.Provenance{Producer: "bootstrap", Args: cli.Recorded(args, "o", "q", "plots")}
	return dest.Write(stdout, func(w io.Writer) error {
		return formats.WriteSpaces(w, []*formats.Space{narrowed}, prov, nil)
	})
}

// writeTable prints one line per parameter: the interval, the median, and the
// space's range before and after.
func writeTable(w io.Writer, report []design.Narrowing, n int, opt stats.BootstrapOptions) {
	fmt.Fprintf(w, "bootstrap: %d models, B=%d, %.0f%% intervals of the best model's parameters\n", n, opt.B, 100*(1-opt.Alpha))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "param\tlo\tmedian\thi\tspace before\tafter")
	for _, r := range report {
		before, after := r.Before, r.After
		if after == "" {
			before, after = "-", "(not a parameter of the space)"
		} else if before == "" {
			before = "(unrestricted)"
		}
		fmt.Fprintf(tw, "%s\t%.4g\t%.4g\t%.4g\t%s\t%s\n", r.Name, r.Interval.Lo, r.Interval.Median, r.Interval.Hi, before, after)
	}
	tw.Flush()
}

// writePlots writes dir/<param>.png for each parameter; those the report says the
// space cannot express are labelled reported-only.
func writePlots(dir string, names []string, cols [][]float64, errs []float64, ivs []stats.Interval, f figure, report []design.Narrowing) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	expressed := map[string]bool{}
	for _, r := range report {
		expressed[r.Name] = r.After != ""
	}
	for i, n := range names {
		if err := scatter(filepath.Join(dir, n+".png"), n, cols[i], errs, &ivs[i], f, !expressed[n]); err != nil {
			return fmt.Errorf("figure of %s: %v", n, err)
		}
	}
	return nil
}
