package trainer

import (
	"bytes"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/ddstools/dds/formats"
	"github.com/ddstools/dds/formats/anynet"
	"github.com/ddstools/dds/sample/sampler"
	"github.com/ddstools/dds/train/cpu"
	"github.com/ddstools/dds/train/engine"
)

// TestRunJobsKeepOrder trains several models at once and checks that records come
// out in input order with the same results as one at a time.
func TestRunJobsKeepOrder(t *testing.T) {
	var cs []formats.Config
	for i, w := range []int{8, 16, 8, 16, 24} {
		n := tinyArch
		n.Stages = []anynet.Stage{{D: 1, W: w, S: 1, B: 1, G: 8}, {D: 1, W: 16, S: 2, B: 1, G: 8}}
		cs = append(cs, formats.Config{ID: formats.ConfigID(n), Index: int64(i), Seed: int64(i), Net: n, Complexity: n.Complexity()})
	}
	var in bytes.Buffer
	if err := sampler.WriteConfigs(&in, cs, formats.Provenance{Producer: "test"}, nil); err != nil {
		t.Fatal(err)
	}
	run := func(jobs int) ([]string, []string) {
		rd, err := formats.NewReader(bytes.NewReader(in.Bytes()), "in", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer rd.Release()
		r := tinyRecipe()
		r.Epochs = 1
		var out bytes.Buffer
		opt := Options{Defaults: r, Jobs: jobs, Device: "cpu", NewEngine: func(engine.Precision) (engine.Engine, error) { return cpu.NewEngine(), nil }}
		if err := Run(rd, &out, opt); err != nil {
			t.Fatal(err)
		}
		ord, err := formats.NewReader(&out, "out", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer ord.Release()
		var idx, losses []string
		for ord.Next() {
			rec := ord.Record()
			for _, name := range []string{"index", "train_loss"} {
				col := rec.Column(rec.Schema().FieldIndices(name)[0])
				for i := 0; i < col.Len(); i++ {
					if name == "index" {
						idx = append(idx, col.ValueStr(i))
					} else {
						losses = append(losses, col.(*array.Float64).ValueStr(i))
					}
				}
			}
		}
		if err := ord.Err(); err != nil {
			t.Fatal(err)
		}
		return idx, losses
	}
	idx1, loss1 := run(1)
	idx3, loss3 := run(3)
	if strings.Join(idx3, ",") != "0,1,2,3,4" || strings.Join(loss1, ",") != strings.Join(loss3, ",") {
		t.Errorf("jobs=3 gave indices %v losses %v; jobs=1 gave %v %v", idx3, loss3, idx1, loss1)
	}
}

func TestProgressLine(t *testing.T) {
	var b bytes.Buffer
	p := &progress{w: &b, n: 4, running: map[*slot]bool{}, done: 1}
	s := p.start("abc")
	s.update(Progress{Epoch: 1, Epochs: 2, Step: 4, Steps: 10, Loss: 0.5, Images: 640, Elapsed: 2})
	p.draw()
	line := b.String()
	for _, want := range []string{"train: 1/4 done", "abc epoch 2/2 step 5/10 loss 0.500", "320 img/s", "ETA"} {
		if !strings.Contains(line, want) {
			t.Errorf("progress line %q lacks %q", line, want)
		}
	}
}
