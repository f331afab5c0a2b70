// Command show prints Arrow streams as an aligned text table or as JSON lines.
package main

import (
	"bufio"
	"io"
	"math"

	"github.com/ddstools/dds/formats"
	"github.com/ddstools/dds/internal/cli"
)

const synopsis = `
usage: show [-f table|jsonl] [-c COL,COL...] [--limit N] [FILE|-]

Prints any dds Arrow stream (configs, spaces, results; several streams joined with
cat read as one) as text: an aligned table, or one JSON object per row.`

func main() { cli.Main("show", run) }

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := cli.NewFlags("show", synopsis, stderr)
	format := fs.String("f", "table", "output format: table or jsonl")
	cols := fs.String("c", "", "comma-separated columns to show (default all)")
	limit := new(int)
	fs.IntIn(limit, "limit", 0, 0, math.MaxInt32, "show at most this many rows (0: all)")
	file, err := fs.ParseFile(args)
	if err != nil {
		return err
	}
	if *limit < 0 {
		return cli.Usagef("--limit must not be negative")
	}
	opt := formats.TextOptions{Limit: *limit}
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
	default:
		return cli.Usagef("-f %q: want table or jsonl", *format)
	}
	in, name, closeIn, err := formats.OpenInput(file)
	if err != nil {
		return err
	}
	defer closeIn()
	if file == "" || file == "-" {
		in = stdin
	}
	rd, err := formats.NewReader(in, name, nil)
	if err != nil {
		return err
	}
	defer rd.Release()
	bw := bufio.NewWriter(stdout)
	if err := write(bw, rd, opt); err != nil {
		bw.Flush()
		return err
	}
	return bw.Flush()
}
