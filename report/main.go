// Command report writes the sweep report: one self-contained HTML page with the
// comparison of design spaces and, for each, the bootstrap intervals of its design
// parameters, the refinement evidence, the RegNet fit of its best models, training
// curves, and a sortable table of all models.
package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/ddstools/dds/bootstrap/design"
	"github.com/ddstools/dds/formats"
	"github.com/ddstools/dds/internal/cli"
	"github.com/ddstools/dds/report/page"
	"golang.org/x/sys/unix"
)

const synopsis = `
usage: report [--error COL] [--normalize flops|params|none] [--bins K] [--labels L,L,...]
              [-B N] [--fraction F] [--alpha A] [--seed S] [--min-models N] [--max-efit E]
              [--top K] [--title T] -o FILE (FILE|DIR)...

Reads evaluated streams, one per design space, or a refinement chain's output
folder (its a, b, c, d, e, regnet .eval.arrows files, in that order), and writes one
HTML file that needs nothing else to open: the error EDFs of the spaces (raw and
normalized) with their KS tests, and for each space the bootstrap interval of every
design parameter over an error-against-parameter scatter, the evidence for the
candidate refinements and the step taken, the RegNet fit of the best models, the
training curves of the best and worst models, and a table of all models. The
statistics are those of compare, bootstrap and refine with the same flags.
Example: report -o sweep/report.html sweep/regnetx.eval.arrows`

func main() { cli.Main("report", run) }

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := cli.NewFlags("report", synopsis, stderr)
	opt := page.Options{}
	fs.StringVar(&opt.Error, "error", design.DefaultError, "error column")
	fs.StringVar(&opt.Refine.Normalize, "normalize", "flops", "normalize the EDFs over flops, params or none")
	fs.IntIn(&opt.Refine.Bins, "bins", 10, 1, 1000, "complexity bins of the normalization")
	labels := fs.String("labels", "", "comma-separated labels of the spaces (default: file stems in a folder, else the space names)")
	fs.IntIn(&opt.Boot.B, "B", 10000, 1, 1e6, "bootstrap repetitions")
	fs.FloatIn(&opt.Boot.Fraction, "fraction", 0.25, cli.In("(0, 1]"), "share of the models drawn in each bootstrap repetition")
	fs.FloatIn(&opt.Boot.Alpha, "alpha", 0.05, cli.In("(0, 1)"), "1 - alpha is the intervals' coverage and alpha the significance of refine's tests")
	fs.Uint64Var(&opt.Boot.Seed, "seed", 1, "bootstrap random seed")
	fs.IntIn(&opt.Refine.MinModels, "min-models", 10, 1, 1e9, "fewest satisfying models for a refinement to be judged")
	fs.FloatIn(&opt.Refine.MaxEFit, "max-efit", 0.1, cli.In("[0, 1000]"), "largest RegNet fit error of a quantized-linear model")
	fs.IntIn(&opt.Top, "top", 5, 1, 1000, "best models in the RegNet fit figures")
	fs.StringVar(&opt.Title, "title", "", "page title (default: \"dds sweep report\")")
	out := fs.String("o", "", "the HTML file to write (- for stdout)")
	if err := fs.FlagSet.Parse(args); err != nil {
		_, err := fs.ParseFile(args)
		return err
	}
	switch {
	case fs.NArg() == 0:
		return cli.Usagef("give the evaluated streams (one per space) or a chain's output folder")
	case *out == "":
		return cli.Usagef("-o FILE is required")
	case opt.Refine.Normalize != "flops" && opt.Refine.Normalize != "params" && opt.Refine.Normalize != "none":
		return cli.Usagef("--normalize %q: want flops, params or none", opt.Refine.Normalize)
	case opt.Refine.Bins < 1 || opt.Boot.B < 1 || opt.Top < 1:
		return cli.Usagef("--bins, -B and --top must be positive")
	case !(opt.Boot.Fraction > 0 && opt.Boot.Fraction <= 1) || !(opt.Boot.Alpha > 0 && opt.Boot.Alpha < 1) || opt.Refine.MaxEFit < 0:
		return cli.Usagef("--fraction must be in (0, 1], --alpha in (0, 1), --max-efit not negative")
	}
	opt.Refine.Alpha = opt.Boot.Alpha
	opt.Refine.Quantiles = []float64{0.1, 0.25, 0.5}
	opt.Args = append([]string{"report"}, cli.Recorded(args, "o")...)
	inputs, err := page.Resolve(fs.Args())
	if err != nil {
		return err
	}
	if *labels != "" {
		names := strings.Split(*labels, ",")
		if len(names) != len(inputs) {
			return cli.Usagef("--labels has %d labels for %d spaces", len(names), len(inputs))
		}
		for i := range inputs {
			inputs[i].Label = names[i]
		}
	}
	var loaded []*page.Loaded
	usedStdin := false
	for _, in := range inputs {
		r, name, closeIn, err := formats.OpenInput(in.Path, stdin)
		if err != nil {
			return err
		}
		if in.Path == "-" {
			if usedStdin {
				closeIn()
				return cli.Usagef("stdin (-) given twice")
			}
			usedStdin = true
		}
		l, err := page.Load(in, r, opt.Error)
		closeIn()
		if err != nil {
			return fmt.Errorf("%s: %v", name, err)
		}
		loaded = append(loaded, l)
	}
	rep, err := page.Analyse(loaded, opt)
	if err != nil {
		return err
	}
	if err := formats.WriteOutput(*out, stdout, "", func(w io.Writer) error { return page.Write(w, rep) }); err != nil {
		return err
	}
	if *out != "-" {
		// A page is for reading by others: the usual file mode (0666 less the
		// umask), not the private mode of the temporary file it was written as.
		mask := unix.Umask(0)
		unix.Umask(mask)
		if err := os.Chmod(*out, 0o666&^os.FileMode(mask)); err != nil {
			return err
		}
	}
	models := 0
	for _, l := range loaded {
		models += len(l.Runs)
	}
	fmt.Fprintf(stderr, "report: %d %s, %d models -> %s\n", len(loaded), map[bool]string{true: "space", false: "spaces"}[len(loaded) == 1], models, *out)
	return nil
}
