// Command show prints Arrow streams as an aligned text table, JSON lines or CSV, or
// re-encodes them as one Arrow stream.
package main

import (
	"bufio"
	"fmt"
	"io"
	"math"

	"github.com/ddstools/dds/formats"
	"github.com/ddstools/dds/internal/cli"
	"github.com/ddstools/dds/train/safetensors"
)

const synopsis = `
usage: show [-f table|jsonl|csv|arrows] [-c COL,COL...] [--limit N] [--int64 number|string]
            [-o OUT] [--compression zstd|lz4|none] [FILE|-]...
       show --weights ID -o MODEL.safetensors [FILE|-]...

Prints any dds Arrow stream (configs, spaces, results) as text: an aligned table, one
JSON object per row (keys in column order), or CSV with a header line. Several files,
or several streams joined with cat, read as one.

-f arrows writes the rows as ONE Arrow stream (to -o OUT, or to stdout when it is not
a terminal), keeping the first stream's metadata: the way to merge shard files into
a file that polars, pyarrow, DuckDB or apache-arrow JS read whole (they read only the
first stream of a cat-joined file). --compression none writes a stream for readers
without codecs.

64-bit integers (seed, flops, ...) are JSON numbers by default; JavaScript's
JSON.parse keeps only 53 bits of them; --int64 string writes them as strings.

--weights writes the weights of the model whose id is (or starts with) ID, a
safetensors file of its PyTorch state dict, to -o (or stdout when it is not a
terminal): torch.nn.Module.load_state_dict(safetensors.torch.load_file(path)).

Example: show -f arrows -o all.eval.arrows shard-*.eval.arrows`

func main() { cli.Main("show", run) }

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := cli.NewFlags("show", synopsis, stderr)
	format := fs.String("f", "table", "output format: table, jsonl, csv or arrows")
	cols := fs.String("c", "", "comma-separated columns to show (default all)")
	limit := new(int)
	fs.IntIn(limit, "limit", 0, 0, math.MaxInt32, "show at most this many rows (0: all)")
	int64s := fs.String("int64", "number", "64-bit integers in JSON lines: number or string")
	out := fs.String("o", "", "with -f arrows: write the stream to this file (default stdout)")
	codec := formats.CompressionFlag(fs.FlagSet)
	weights := fs.String("weights", "", "write the weights of the model with this id (or id prefix) as a safetensors file")
	files, err := fs.ParseFiles(args)
	if err != nil {
		return err
	}
	if *weights != "" {
		return writeWeights(files, stdin, stdout, stderr, *weights, *out)
	}
	if *limit < 0 {
		return cli.Usagef("--limit must not be negative")
	}
	opt := formats.TextOptions{Limit: *limit}
	switch *int64s {
	case "number":
	case "string":
		opt.Int64Strings = true
	default:
		return cli.Usagef("--int64 %q: want number or string", *int64s)
	}
	if *cols != "" || fs.IsSet("c") {
		if opt.Columns, err = cli.Columns("-c", *cols); err != nil {
			return err
		}
	}
	write := formats.WriteTable
	switch *format {
	case "table":
	case "jsonl":
		write = formats.WriteJSONL
	case "csv":
		write = formats.WriteCSV
	case "arrows":
		write = formats.WriteArrows
	default:
		return cli.Usagef("-f %q: want table, jsonl, csv or arrows", *format)
	}
	if *out != "" && *format != "arrows" {
		return cli.Usagef("-o is for -f arrows and --weights; redirect text with >")
	}
	rd, closeIn, err := formats.OpenReaders(files, stdin)
	if err != nil {
		return err
	}
	defer closeIn()
	if *format == "arrows" {
		return formats.WriteOutput(*out, stdout, *codec, func(w io.Writer) error { return write(w, rd, opt) })
	}
	bw := bufio.NewWriter(stdout)
	if err := write(bw, rd, opt); err != nil {
		bw.Flush()
		return err
	}
	return bw.Flush()
}

// writeWeights writes the weights of model id in the trained or evaluated stream of
// files to path (stdout for "" or "-"), checking that they are a safetensors file.
func writeWeights(files []string, stdin io.Reader, stdout, stderr io.Writer, id, path string) error {
	rd, closeIn, err := formats.OpenReaders(files, stdin)
	if err != nil {
		return err
	}
	defer closeIn()
	w, full, err := formats.Weights(rd, id)
	if err != nil {
		return err
	}
	f, err := safetensors.Decode(w)
	if err != nil {
		return fmt.Errorf("model %s: its weights are not a safetensors file: %v", full, err)
	}
	err = formats.WriteOutput(path, stdout, "", func(o io.Writer) error {
		_, err := o.Write(w)
		return err
	})
	if err != nil {
		return err
	}
	if path != "" && path != "-" {
		fmt.Fprintf(stderr, "show: %s: weights of model %s, %d tensors, %d bytes\n", path, full, len(f.Tensors), len(w))
	}
	return nil
}
