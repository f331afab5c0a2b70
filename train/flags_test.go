package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/ddstools/dds/formats"
	"github.com/ddstools/dds/formats/anynet"
	"github.com/ddstools/dds/internal/clitest"
	"github.com/ddstools/dds/sample/sampler"
)

// TestFlagBounds: numeric flags a recipe column cannot hold, or that are not sane,
// are usage errors (exit 2) naming the flag and its range, before any input is read.
func TestFlagBounds(t *testing.T) {
	prog.CheckUsageErrors(t, nil, nil, [][3]string{
		{"--epochs", "4294967297", "-epochs: 4294967297 is outside [1, 10000]"},
		{"--batch", "4294967297", "-batch: 4294967297 is outside [1, 65536]"},
		{"--epochs", "0", "-epochs: 0 is outside"},
		{"--train-subset", "-1", "-train-subset: -1 is outside"},
		{"--lr", "NaN", "-lr: NaN is outside [0, 10000]"},
		{"--momentum", "1", "-momentum: 1 is outside [0, 1)"},
		{"--wd", "-0.1", "-wd: -0.1 is outside"},
		{"--concurrency", "100000", "-concurrency: 100000 is outside [0, 1024]"},
		{"--max-memory", "lots", "not a size in bytes"},
	})
}

// TestHostileStreamExit0: a stream of a normal config, one with 10^9 classes and one
// with a stage of 10^9 blocks trains to three records (ok, failed, failed, the
// failures naming the range) and exits 0; and with a small --max-memory a valid
// model is written as failed naming the budget.
func TestHostileStreamExit0(t *testing.T) {
	normal := tiny(8, 16, 8)
	classes, deep := normal, normal
	classes.Classes = 1_000_000_000
	deep.Stages = append([]anynet.Stage(nil), normal.Stages...)
	deep.Stages[1].D = 1_000_000_000
	var cs []formats.Config
	for i, n := range []anynet.Net{normal, classes, deep} {
		cs = append(cs, formats.Config{ID: formats.ConfigID(n), Space: "crafted", Index: int64(i), Seed: int64(i), Net: n,
			Complexity: anynet.Complexity{Flops: 1, Params: 1, Acts: 1}})
	}
	var in bytes.Buffer
	if err := sampler.WriteConfigs(&in, cs, formats.Provenance{Producer: "test"}, nil); err != nil {
		t.Fatal(err)
	}
	check := func(args []string, want [][2]string) {
		t.Helper()
		out, stderr, code := prog.Call(in.Bytes(), append([]string{"--data", synth, "--epochs", "1", "--batch", "32", "--jobs", "1"}, args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		var got [][2]string
		for _, rec := range clitest.Records(t, out) {
			st := rec.Column(rec.Schema().FieldIndices("status")[0]).(*array.String)
			er := rec.Column(rec.Schema().FieldIndices("error")[0]).(*array.String)
			for i := 0; i < st.Len(); i++ {
				got = append(got, [2]string{st.Value(i), er.Value(i)})
			}
		}
		if len(got) != len(want) {
			t.Fatalf("%v: %d records, want %d", args, len(got), len(want))
		}
		for i := range want {
			if got[i][0] != want[i][0] || !strings.Contains(got[i][1], want[i][1]) {
				t.Errorf("%v: record %d: %q, want %q", args, i, got[i], want[i])
			}
		}
	}
	check(nil, [][2]string{{"ok", ""}, {"failed", "classes 1000000000 is outside"}, {"failed", "stage 2: depth 1000000000 is outside"}})
	check([]string{"--max-memory", "64K"}, [][2]string{{"failed", "more than the budget of 64.0 KiB (65536 bytes; train --max-memory)"},
		{"failed", "classes"}, {"failed", "depth"}})
}
