// Command sample draws network configs from a design space, or emits a model of the
// pycls RegNet zoo, as an Arrow config stream.
package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/ddstools/dds/formats"
	"github.com/ddstools/dds/formats/anynet"
	"github.com/ddstools/dds/internal/cli"
	"github.com/ddstools/dds/sample/sampler"
)

const synopsis = `
usage: sample --space NAME|FILE|- [-n N] [--seed S] [--flops LO:HI] [--params LO:HI] [--acts LO:HI] [--shard I/N]
              [--res R] [--channels C] [--classes K] [--stem-stride S] [-o FILE]
       sample --space NAME|FILE|- --print-space [--flops LO:HI] ... [-o FILE]
       sample --model NAME [--geometry imagenet|cifar10|mnist] [--res R] [--channels C] [--classes K] [--stem-stride S] [-o FILE]
       sample --spec FILE|JSON [--seed S] [-o FILE]
       sample --list

Draws configs from a built-in design space or a space stream (a file, or - for stdin),
and writes them as an Arrow config stream to stdout (or -o FILE, written atomically).
Bounds take K/M/G suffixes; either end may be left empty (":2M"). The same flags and
seed give byte-identical output, and the first k configs of -n N are the output of -n k.
--spec emits one config for an architecture written as the PyTorch peer module's
JSON spec (../shared/peer/*.json), with a model seed derived from --seed.
--print-space writes the space as a table-shaped stream (one row per parameter) that
any Arrow tool can edit and sample --space FILE reads back.
--res, --channels, --classes and --stem-stride re-target a space to another input:
the stem stride is 2 from 128 pixels up and 1 below unless given, stages 2..n have
stride 2 and the first stage stride 2 when the last stage keeps at least 4×4 pixels
(else 1); the flops and acts bounds scale with the first stage's output area, the
params bounds are kept, and --flops/--params/--acts replace them explicitly.
View the output with: sample ... | show`

func main() { cli.Main("sample", run) }

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := cli.NewFlags("sample", synopsis, stderr)
	dest := formats.DestinationFlags(fs.FlagSet)
	spaceArg := fs.String("space", "", "design space: a built-in name (see --list), a space stream file, or - for stdin")
	model := fs.String("model", "", "emit this zoo model instead of sampling (see --list)")
	spec := fs.String("spec", "", "emit the architecture of this peer-module JSON spec (a file or inline JSON)")
	geometry := fs.String("geometry", "imagenet", "input geometry of --model: imagenet, cifar10 or mnist")
	res := new(int)
	fs.IntIn(res, "res", 0, 0, anynet.MaxRes, "re-target the space or --model to this input resolution")
	channels := new(int)
	fs.IntIn(channels, "channels", 0, 0, anynet.MaxChannels, "re-target the space or --model to this many input channels")
	classes := new(int)
	fs.IntIn(classes, "classes", 0, 0, anynet.MaxClasses, "re-target the space or --model to this many classes")
	stemStride := new(int)
	fs.IntIn(stemStride, "stem-stride", 0, 0, 2, "re-target the space or --model to this stem stride (0: the rule above for a space, the geometry's for --model)")
	n := new(int)
	fs.IntIn(n, "n", 10, 0, 1e9, "number of configs to draw")
	seed := fs.Uint64("seed", 1, "random seed")
	flops := fs.String("flops", "", "flops bounds LO:HI (replaces the space's)")
	params := fs.String("params", "", "params bounds LO:HI (replaces the space's)")
	acts := fs.String("acts", "", "acts bounds LO:HI (replaces the space's)")
	maxTries := new(int)
	fs.IntIn(maxTries, "max-tries", sampler.DefaultMaxTries, 1, 1e12, "give up after this many rejected draws in a row")
	shard := fs.String("shard", "", "keep only shard I of N (0-based), e.g. 2/8")
	list := fs.Bool("list", false, "list the built-in spaces and zoo models")
	printSpace := fs.Bool("print-space", false, "write the space itself (after bound flags) as a space stream instead of sampling")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *list {
		return writeList(stdout)
	}
	prov := formats.Provenance{Producer: "sample", Args: cli.Recorded(args, "o")}
	switch {
	case *spec != "":
		if *model != "" || *spaceArg != "" {
			return cli.Usagef("give one of --space, --model and --spec")
		}
		js := []byte(*spec)
		if !strings.HasPrefix(strings.TrimSpace(*spec), "{") {
			var err error
			if js, err = os.ReadFile(*spec); err != nil {
				return fmt.Errorf("--spec: %v", err)
			}
		}
		c, err := sampler.SpecConfig(js)
		if err != nil {
			return err
		}
		c.Seed = sampler.ConfigSeed(*seed, 0)
		return dest.Write(stdout, func(w io.Writer) error {
			return sampler.WriteConfigs(w, []formats.Config{c}, prov, nil)
		})
	case *model != "" && *spaceArg != "":
		return cli.Usagef("give --space or --model, not both")
	case *model != "":
		geo, err := anynet.LookupGeometry(*geometry)
		if err != nil {
			return cli.Usagef("%v", err)
		}
		for _, o := range []struct {
			v   int
			dst *int
		}{{*res, &geo.Res}, {*channels, &geo.Channels}, {*classes, &geo.Classes}, {*stemStride, &geo.StemS}} {
			if o.v < 0 {
				return cli.Usagef("--res, --channels, --classes and --stem-stride must be positive")
			} else if o.v > 0 {
				*o.dst = o.v
			}
		}
		m, err := anynet.LookupModel(*model)
		if err != nil {
			return err
		}
		c, err := sampler.ModelConfig(m, geo)
		if err != nil {
			return err
		}
		return dest.Write(stdout, func(w io.Writer) error {
			return sampler.WriteConfigs(w, []formats.Config{c}, prov, nil)
		})
	case *spaceArg == "":
		return cli.Usagef("give --space NAME|FILE|- or --model NAME (--list shows both)")
	}
	if *n < 0 {
		return cli.Usagef("-n must not be negative")
	}
	opt := sampler.Options{N: *n, Seed: *seed, MaxTries: *maxTries}
	if *shard != "" {
		var err error
		if opt.Shard, opt.Shards, err = parseShard(*shard); err != nil {
			return err
		}
	}
	space, err := formats.LoadSpace(*spaceArg, stdin, stderr)
	if err != nil {
		return err
	}
	if *res < 0 || *channels < 0 || *classes < 0 || *stemStride < 0 {
		return cli.Usagef("--res, --channels, --classes and --stem-stride must be positive")
	}
	if *res > 0 || *channels > 0 || *classes > 0 || *stemStride > 0 {
		if err := space.Retarget(formats.Geometry{Res: *res, Channels: *channels, Classes: *classes, StemS: *stemStride}); err != nil {
			return err
		}
	}
	for _, b := range []struct {
		flag, val string
		dst       *formats.Bounds
	}{{"--flops", *flops, &space.Flops}, {"--params", *params, &space.Params}, {"--acts", *acts, &space.Acts}} {
		if b.val == "" {
			continue
		}
		v, err := formats.ParseBounds(b.val)
		if err != nil {
			return cli.Usagef("%s: %v", b.flag, err)
		}
		*b.dst = v
	}
	if err := space.Validate(); err != nil {
		return err
	}
	if *printSpace {
		return dest.Write(stdout, func(w io.Writer) error {
			return formats.WriteSpaces(w, []*formats.Space{space}, prov, nil)
		})
	}
	return dest.Write(stdout, func(w io.Writer) error {
		return sampler.WriteStream(w, space, opt, prov, nil)
	})
}

// parseShard parses "I/N" with 0 ≤ I < N.
func parseShard(s string) (int, int, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return 0, 0, cli.Usagef("--shard %q: want I/N with 0 ≤ I < N, e.g. 0/4", s)
	}
	return i, n, nil
}

// writeList prints the built-in spaces and the zoo models.
func writeList(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SPACE\tFAMILY\tINPUT\tBLOCK\tFLOPS\tCONSTRAINTS")
	for _, s := range formats.BuiltinSpaces() {
		fmt.Fprintf(tw, "%s\t%s\t%dx%dx%d/%d\t%s\t%s\t%s\n", s.Name, s.Family, s.Res, s.Res, s.Channels, s.Classes,
			s.Block, s.Flops, strings.Join(s.Constraints, ","))
	}
	fmt.Fprintln(tw, "\nMODEL\tFLOPS\tPARAMS\tACTS\tDEPTHS\tWIDTHS")
	for _, m := range anynet.Zoo {
		n, err := m.Net(anynet.ImageNet)
		if err != nil {
			return err
		}
		c := n.Complexity()
		var ds, ws []string
		for _, s := range n.Stages {
			ds, ws = append(ds, strconv.Itoa(s.D)), append(ws, strconv.Itoa(s.W))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", m.Name, formats.FormatCount(c.Flops), formats.FormatCount(c.Params),
			formats.FormatCount(c.Acts), strings.Join(ds, ","), strings.Join(ws, ","))
	}
	return tw.Flush()
}
