package evaluator

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/ddstools/dds/formats"
	"github.com/ddstools/dds/internal/torchpeer"
	"github.com/ddstools/dds/sample/sampler"
	"github.com/ddstools/dds/train/cpu"
	"github.com/ddstools/dds/train/data"
	"github.com/ddstools/dds/train/safetensors"
	"github.com/ddstools/dds/train/trainer"
)

// TestWeightsLoadInPyTorch trains the reference MNIST network briefly, evaluates it
// here, loads its weights into the PyTorch peer module with strict loading and
// evaluates the same normalised test images there: the errors must be equal.
func TestWeightsLoadInPyTorch(t *testing.T) {
	_, peer := torchpeer.Find(t)
	d, err := data.Open("mnist")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	specPath := filepath.Join(filepath.Dir(peer), "mnist-small.json")
	js, err := os.ReadFile(specPath)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := sampler.SpecConfig(js)
	if err != nil {
		t.Fatal(err)
	}
	r := formats.DefaultRecipe()
	r.Epochs, r.TrainSubset, r.Augment = 1, 8192, formats.AugmentNone
	res := trainer.Train(cpu.NewEngine(), d, trainer.Job{Arch: cfg.Net, Seed: 1, Recipe: r}, nil, nil)
	if res.Status != formats.StatusOK {
		t.Fatalf("train: %s %s", res.Status, res.Error)
	}
	test := d.Test.Subset(1000, 0)
	m, err := Evaluate(cpu.NewEngine(), cfg.Net, res.Weights, test, d.Mean, d.Std, 128)
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "weights.safetensors"), res.Weights, 0o644); err != nil {
		t.Fatal(err)
	}
	n, hw := test.Len(), test.H*test.W
	x := make([]float32, n*hw)
	y := make([]int32, n)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	test.Batch(x, y, idx, nil, 0, d.Mean, d.Std) // one channel: NHWC is NCHW
	y64 := make([]int64, n)
	for i, v := range y {
		y64[i] = int64(v)
	}
	b, err := safetensors.Encode([]safetensors.Tensor{
		safetensors.Float32("x", []int{n, 1, test.H, test.W}, x),
		safetensors.Int64("y", []int{n}, y64),
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "data.safetensors"), b, 0o644)
	cmd := torchpeer.Command("testdata/torch_eval.py", peer, specPath, filepath.Join(dir, "weights.safetensors"),
		filepath.Join(dir, "data.safetensors"), filepath.Join(dir, "out.json"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("torch_eval.py: %v\n%s", err, out)
	}
	var want struct {
		N, Top1Wrong, Top5Wrong int
		Loss                    float64
	}
	out, _ := os.ReadFile(filepath.Join(dir, "out.json"))
	var raw map[string]float64
	if err := json.Unmarshal(out, &raw); err != nil {
		t.Fatal(err)
	}
	want.N, want.Top1Wrong, want.Top5Wrong, want.Loss = int(raw["n"]), int(raw["top1_wrong"]), int(raw["top5_wrong"]), raw["loss"]
	t.Logf("ours: top-1 %.2f%% top-5 %.2f%% loss %.6f; PyTorch: top-1 %.2f%% top-5 %.2f%% loss %.6f",
		m.Top1, m.Top5, m.Loss, 100*float64(want.Top1Wrong)/float64(want.N), 100*float64(want.Top5Wrong)/float64(want.N), want.Loss)
	if m.Images != int64(want.N) || m.Top1 != 100*float64(want.Top1Wrong)/float64(want.N) || m.Top5 != 100*float64(want.Top5Wrong)/float64(want.N) {
		t.Errorf("errors differ")
	}
	if math.Abs(m.Loss-want.Loss) > 1e-4*math.Abs(want.Loss) {
		t.Errorf("loss %g, PyTorch %g", m.Loss, want.Loss)
	}
}
