package evaluator

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ddstools/dds/formats"
	"github.com/ddstools/dds/formats/anynet"
	"github.com/ddstools/dds/internal/approx"
	"github.com/ddstools/dds/internal/golden"
	"github.com/ddstools/dds/internal/testenv"
	"github.com/ddstools/dds/internal/torchpeer"
	"github.com/ddstools/dds/sample/sampler"
	"github.com/ddstools/dds/train/cpu"
	"github.com/ddstools/dds/train/data"
	"github.com/ddstools/dds/train/safetensors"
	"github.com/ddstools/dds/train/trainer"
)

// torchWeights holds the golden files of TestWeightsLoadInPyTorch: spec.json (the
// peer module's mnist-small.json), weights.safetensors (train's weights of that
// network after one epoch on 8192 MNIST images), test.safetensors (the first
// torchImages test images as bytes, their labels, and the train split's mean and
// std) and out.json (PyTorch's errors and loss on those images).
const torchWeights = "testdata/torch_weights"

// torchImages is how many MNIST test images the golden files hold.
const torchImages = 512

// TestWeightsLoadInPyTorch evaluates weights that train wrote for the reference
// MNIST network here and checks that PyTorch, which loaded the same weights into
// the peer module with strict loading and evaluated the same normalised test
// images, had equal errors; and that train still writes weights with the tensors
// (names, types, shapes) PyTorch loaded. go test -update trains, writes the golden
// files and runs testdata/torch_eval.py to rewrite PyTorch's side.
func TestWeightsLoadInPyTorch(t *testing.T) {
	if golden.Update() {
		writeTorchWeights(t)
	}
	cfg, err := sampler.SpecConfig(golden.Read(t, filepath.Join(torchWeights, "spec.json")))
	if err != nil {
		t.Fatal(err)
	}
	weights := golden.Read(t, filepath.Join(torchWeights, "weights.safetensors"))
	test, mean, std := readImages(t, golden.Read(t, filepath.Join(torchWeights, "test.safetensors")))
	m, err := Evaluate(cpu.NewEngine(), cfg.Net, weights, test, mean, std, 128)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]float64
	if err := json.Unmarshal(golden.Read(t, filepath.Join(torchWeights, "out.json")), &raw); err != nil {
		t.Fatal(err)
	}
	var want struct {
		N, Top1Wrong, Top5Wrong int
		Loss                    float64
	}
	want.N, want.Top1Wrong, want.Top5Wrong, want.Loss = int(raw["n"]), int(raw["top1_wrong"]), int(raw["top5_wrong"]), raw["loss"]
	t.Logf("ours: top-1 %.2f%% top-5 %.2f%% loss %.6f; PyTorch: top-1 %.2f%% top-5 %.2f%% loss %.6f",
		m.Top1, m.Top5, m.Loss, 100*float64(want.Top1Wrong)/float64(want.N), 100*float64(want.Top5Wrong)/float64(want.N), want.Loss)
	if m.Images != int64(want.N) || m.Top1 != 100*float64(want.Top1Wrong)/float64(want.N) || m.Top5 != 100*float64(want.Top5Wrong)/float64(want.N) {
		t.Errorf("errors differ")
	}
	if !approx.Close(m.Loss, want.Loss, 0, 1e-4) {
		t.Errorf("loss %g, PyTorch %g", m.Loss, want.Loss)
	}

	// The layout: weights train writes now, after a short run on synthetic images
	// of MNIST's shape, hold the tensors of the golden weights, in the same order.
	d, err := data.Open("synthetic:28x28x1:10:128:16")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := layout(t, train(t, d, cfg.Net, 1)), layout(t, weights); !slices.Equal(got, want) {
		t.Errorf("train writes the tensors\n%q\nPyTorch loaded\n%q", got, want)
	}
}

// train returns the weights of arch after epochs of training on d (at most 8192
// images), as train writes them.
func train(t *testing.T, d *data.Data, arch anynet.Net, epochs int) []byte {
	t.Helper()
	r := formats.DefaultRecipe()
	r.Epochs, r.TrainSubset, r.Augment = epochs, 8192, formats.AugmentNone
	res := trainer.Train(cpu.NewEngine(), d, trainer.Job{Arch: arch, Seed: 1, Recipe: r}, nil, nil)
	if res.Status != formats.StatusOK {
		t.Fatalf("train: %s %s", res.Status, res.Error)
	}
	return res.Weights
}

// layout lists the name, type and shape of every tensor of a safetensors file.
func layout(t *testing.T, b []byte) []string {
	t.Helper()
	f, err := safetensors.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	var s []string
	for _, x := range f.Tensors {
		js, _ := json.Marshal(x.Shape)
		s = append(s, x.Name+" "+string(x.DType)+" "+string(js))
	}
	return s
}

// readImages returns the test set, mean and std of test.safetensors.
func readImages(t *testing.T, b []byte) (*data.Set, []float32, []float32) {
	t.Helper()
	f, err := safetensors.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	get := func(name string) safetensors.Tensor {
		x, ok := f.Get(name)
		if !ok {
			t.Fatalf("test.safetensors has no %q", name)
		}
		return x
	}
	img, lab := get("images"), get("labels")
	mean, err1 := get("mean").Float32s()
	std, err2 := get("std").Float32s()
	y, err3 := lab.Int64s()
	if err := errors.Join(err1, err2, err3); err != nil || img.DType != safetensors.U8 || len(img.Shape) != 4 {
		t.Fatalf("test.safetensors: %v (images %s %v)", err, img.DType, img.Shape)
	}
	s := &data.Set{Name: "mnist/test", H: img.Shape[1], W: img.Shape[2], C: img.Shape[3], Classes: 10, Images: img.Data}
	for _, v := range y {
		s.Labels = append(s.Labels, int32(v))
	}
	return s, mean, std
}

// writeTorchWeights writes the golden files of TestWeightsLoadInPyTorch: it trains
// the reference MNIST network for one epoch on 8192 images and has PyTorch
// evaluate the weights on the first torchImages test images.
func writeTorchWeights(t *testing.T) {
	peer := torchpeer.Find(t)
	d, err := data.Open("mnist")
	testenv.Require(t, "the MNIST data set", err)
	js, err := os.ReadFile(filepath.Join(filepath.Dir(peer), "mnist-small.json"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := sampler.SpecConfig(js)
	if err != nil {
		t.Fatal(err)
	}
	specPath, weights := filepath.Join(torchWeights, "spec.json"), filepath.Join(torchWeights, "weights.safetensors")
	golden.Write(t, specPath, js)
	golden.Write(t, weights, train(t, d, cfg.Net, 1))

	test := d.Test.Subset(torchImages, 0)
	n := test.Len()
	y64 := make([]int64, n)
	for i, v := range test.Labels {
		y64[i] = int64(v)
	}
	b, err := safetensors.Encode([]safetensors.Tensor{
		{Name: "images", DType: safetensors.U8, Shape: []int{n, test.H, test.W, test.C}, Data: test.Images},
		safetensors.Int64("labels", []int{n}, y64),
		safetensors.Float32("mean", []int{len(d.Mean)}, d.Mean),
		safetensors.Float32("std", []int{len(d.Std)}, d.Std),
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	golden.Write(t, filepath.Join(torchWeights, "test.safetensors"), b)

	x := make([]float32, n*test.H*test.W)
	y := make([]int32, n)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	test.Batch(x, y, idx, nil, 0, d.Mean, d.Std) // one channel: NHWC is NCHW
	b, err = safetensors.Encode([]safetensors.Tensor{
		safetensors.Float32("x", []int{n, 1, test.H, test.W}, x),
		safetensors.Int64("y", []int{n}, y64),
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	batch := filepath.Join(t.TempDir(), "data.safetensors")
	if err := os.WriteFile(batch, b, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := torchpeer.Command("testdata/torch_eval.py", peer, specPath, weights, batch, filepath.Join(torchWeights, "out.json"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("torch_eval.py: %v\n%s", err, out)
	}
}
