package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/ddstools/dds/formats"
	"github.com/ddstools/dds/formats/anynet"
	"github.com/ddstools/dds/internal/clitest"
	"github.com/ddstools/dds/sample/sampler"
	"github.com/ddstools/dds/train/cpu"
	"github.com/ddstools/dds/train/engine"
	"github.com/ddstools/dds/train/trainer"
)

// prog runs evaluate in process; prog.Call returns its stdout, stderr and exit status.
var prog = clitest.Program{Name: "evaluate", Run: run}

const synth = "synthetic:8x8x3:4:256:64"

// trained returns a trained stream of three configs: one trained, one that failed
// to build, and one whose weights are then corrupted.
func trained(t *testing.T) []byte {
	t.Helper()
	good := anynet.Net{Res: 8, Channels: 3, Classes: 4, StemW: 8, StemS: 1, Block: anynet.BlockX, Stages: []anynet.Stage{
		{D: 1, W: 8, S: 1, B: 1, G: 4}, {D: 1, W: 16, S: 2, B: 1, G: 8}}}
	bad := good
	bad.Stages = []anynet.Stage{{D: 1, W: 12, S: 1, B: 1, G: 8}}
	var cs []formats.Config
	for i, n := range []anynet.Net{good, bad, good} {
		cs = append(cs, formats.Config{ID: formats.ConfigID(n), Index: int64(i), Seed: int64(i + 1), Net: n, Complexity: n.Complexity()})
	}
	var in bytes.Buffer
	if err := sampler.WriteConfigs(&in, cs, formats.Provenance{Producer: "test"}, nil); err != nil {
		t.Fatal(err)
	}
	rd, err := formats.NewReader(&in, "configs", nil)
	if err != nil {
		t.Fatal(err)
	}
	r := formats.DefaultRecipe()
	r.Data, r.Epochs, r.Batch = synth, 2, 32
	var out bytes.Buffer
	opt := trainer.Options{Defaults: r, Jobs: 1, Device: "cpu", NewEngine: func(engine.Precision) (engine.Engine, error) { return cpu.NewEngine(), nil }}
	if err := trainer.Run(rd, &out, opt); err != nil {
		t.Fatal(err)
	}
	// Corrupt the third record's weights.
	rd2, err := formats.NewReader(&out, "trained", nil)
	if err != nil {
		t.Fatal(err)
	}
	var res bytes.Buffer
	w := formats.NewWriter(&res, rd2.Schema(), nil)
	row := 0
	for rd2.Next() {
		rec := rd2.Record()
		if row == 2 {
			b := array.NewBinaryBuilder(memory.DefaultAllocator, arrow.BinaryTypes.Binary)
			b.Append([]byte("not safetensors"))
			col := b.NewArray()
			f := formats.TrainedFields[len(formats.TrainedFields)-1]
			rec = formats.WithColumns(rec, []arrow.Field{f}, []arrow.Array{col}, nil)
		}
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
		row += int(rec.NumRows())
	}
	w.Close()
	return res.Bytes()
}

func TestEvaluate(t *testing.T) {
	in := trained(t)
	out, stderr, code := prog.Call(in, "--drop-weights")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	rd, err := formats.NewReader(bytes.NewReader(out), "out", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rd.Schema().FieldIndices("weights")) != 0 {
		t.Errorf("--drop-weights kept the weights column")
	}
	var status, msgs, errs []string
	for rd.Next() {
		rec := rd.Record()
		get := func(name string) arrow.Array { return rec.Column(rec.Schema().FieldIndices(name)[0]) }
		for i := 0; i < int(rec.NumRows()); i++ {
			status = append(status, get("eval_status").ValueStr(i))
			msgs = append(msgs, get("eval_error").ValueStr(i))
			errs = append(errs, get("test_error").ValueStr(i))
		}
	}
	if strings.Join(status, ",") != "ok,skipped,failed" {
		t.Fatalf("eval_status %v, want ok,skipped,failed (messages %v)", status, msgs)
	}
	if errs[0] == "(null)" || errs[1] != "(null)" || !strings.Contains(msgs[2], "weights") {
		t.Errorf("test_error %v, eval_error %v", errs, msgs)
	}
	if !strings.Contains(stderr, "1 ok, 1 skipped, 1 failed") {
		t.Errorf("summary %q", stderr)
	}
	again, _, _ := prog.Call(in, "--drop-weights")
	if !bytes.Equal(out, again) {
		t.Errorf("two evaluations differ")
	}
}

func TestBadInput(t *testing.T) {
	var cfgs bytes.Buffer
	space, _ := formats.LookupSpace("regnetx-mnist")
	sampler.WriteStream(&cfgs, space, sampler.Options{N: 2, Seed: 1}, formats.Provenance{Producer: "test"}, nil)
	prog.CheckFailures(t, []clitest.Failure{
		{"config stream", cfgs.Bytes(), nil, 1, "input is not a trained stream"},
		{"bad split", nil, []string{"--split", "val"}, 2, `--split "val"`},
		{"bad data", trained(t), []string{"--data", "cifar10:/nonexistent"}, 1, "/nonexistent"},
	})
}
