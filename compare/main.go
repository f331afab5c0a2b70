// Command compare compares design spaces by the error distributions of their
// evaluated models: a table of each space's EDF summary and its KS distance to the
// first, and optionally the EDFs drawn on one figure.
package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/ddstools/dds/bootstrap/design"
	"github.com/ddstools/dds/bootstrap/plot"
	"github.com/ddstools/dds/formats"
	"github.com/ddstools/dds/internal/cli"
)

const synopsis = `
usage: compare [--error COL] [--normalize flops|params|none] [--bins K] [--labels L,L,...]
               [--plot FILE] FILE [FILE...]

Reads one evaluated stream per design space and prints, for each space, the number
of models, the lowest, mean and quartile errors of its (normalized) error EDF, and
the Kolmogorov-Smirnov distance and p-value between its EDF and the first space's.
With --plot it draws all EDFs on one figure (PNG or SVG by the extension).
Example: compare --plot edf.png a.eval.arrows b.eval.arrows`

func main() { cli.Main("compare", run) }

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := cli.NewFlags("compare", synopsis, stderr)
	column := fs.String("error", design.DefaultError, "error column")
	opt := design.Normalization{}
	fs.StringVar(&opt.Normalize, "normalize", "none", "normalize the EDFs over flops, params or none")
	fs.IntIn(&opt.Bins, "bins", 10, 1, 1000, "complexity bins of the normalization")
	labels := fs.String("labels", "", "comma-separated labels of the files (default: the space names)")
	plotPath := fs.String("plot", "", "write the EDFs to this PNG or SVG file")
	files, err := fs.ParseFiles(args)
	if err != nil {
		return err
	}
	switch {
	case len(files) == 0:
		return cli.Usagef("give one evaluated stream per space")
	case opt.Normalize != "flops" && opt.Normalize != "params" && opt.Normalize != "none":
		return cli.Usagef("--normalize %q: want flops, params or none", opt.Normalize)
	case opt.Bins < 1:
		return cli.Usagef("--bins must be positive")
	}
	var names []string
	if *labels != "" {
		names = strings.Split(*labels, ",")
		if len(names) != len(files) {
			return cli.Usagef("--labels has %d labels for %d files", len(names), len(files))
		}
	}
	var labelsOut []string
	var models []*design.Models
	for i, f := range files {
		rd, closeIn, err := formats.OpenReader(f, stdin)
		if err != nil {
			return err
		}
		s, err := design.Load(rd, *column, nil)
		closeIn()
		if err != nil {
			return fmt.Errorf("%s: %v", f, err)
		}
		if len(s.Errs) == 0 {
			return fmt.Errorf("%s: no evaluated models", f)
		}
		m, err := design.NewModels(s)
		if err != nil {
			return fmt.Errorf("%s: %v", f, err)
		}
		label := s.Name
		if names != nil {
			label = names[i]
		} else if label == "" {
			label = strings.TrimSuffix(filepath.Base(f), ".arrows")
		}
		labelsOut = append(labelsOut, label)
		models = append(models, m)
	}
	sums, err := design.Compare(models, opt)
	if err != nil {
		return err
	}
	series := make([]plot.Series, len(sums))
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	mean := "mean"
	if opt.Normalize != "none" {
		mean = "normalized mean"
	}
	fmt.Fprintf(tw, "space\tmodels\tmin\tq25\tmedian\tq75\t%s\tKS D vs %s\tp\n", mean, labelsOut[0])
	for i, e := range sums {
		series[i] = plot.Series{Label: labelsOut[i], Errs: e.Errs, Weights: e.Weights}
		fmt.Fprintf(tw, "%s\t%d\t%.3g\t%.3g\t%.3g\t%.3g\t%.3g\t%.3f\t%.3g\n", labelsOut[i], e.N, e.Min,
			e.Q25, e.Median, e.Q75, e.Mean, e.D, e.P)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if *plotPath != "" {
		title := "error EDFs"
		if opt.Normalize != "none" {
			title += " (normalized over " + opt.Normalize + ")"
		}
		p, err := plot.EDFPlot(series, plot.EDFOptions{Title: title, XLabel: *column + " (%)", Normalized: opt.Normalize != "none"})
		if err != nil {
			return err
		}
		return plot.Save(p, *plotPath, 0, 0)
	}
	return nil
}
