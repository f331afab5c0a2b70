package trainer

import (
	"bytes"
	"fmt"
	"github.com/ddstools/dds/formats"
	"github.com/ddstools/dds/internal/approx"
	"math"
	"slices"
	"testing"

	"github.com/ddstools/dds/formats/anynet"
	"github.com/ddstools/dds/train/cpu"
	"github.com/ddstools/dds/train/data"
	"github.com/ddstools/dds/train/engine"
)

// tinyArch is a small X network for 8x8x3 synthetic images.
var tinyArch = anynet.Net{Res: 8, Channels: 3, Classes: 4, StemW: 8, StemS: 1, Block: anynet.BlockX, Stages: []anynet.Stage{
	{D: 1, W: 8, S: 1, B: 1, G: 4}, {D: 1, W: 16, S: 2, B: 1, G: 8},
}}

func tinyData(t *testing.T) *data.Data {
	t.Helper()
	d, err := data.Open("synthetic:8x8x3:4:256:64")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func tinyRecipe() formats.Recipe {
	r := formats.DefaultRecipe()
	r.Epochs, r.Batch, r.LR, r.Augment, r.Data = 3, 32, 0.05, formats.AugmentCropFlip, "synthetic:8x8x3:4:256:64"
	return r
}

func TestTrainLearnsAndIsDeterministic(t *testing.T) {
	d := tinyData(t)
	j := Job{Key: "k", Arch: tinyArch, Seed: 3, Recipe: tinyRecipe()}
	a := Train(cpu.NewEngine(), d, j, nil, nil)
	if a.Status != formats.StatusOK {
		t.Fatalf("status %s: %s", a.Status, a.Error)
	}
	if len(a.EpochLoss) != 3 || !(a.EpochLoss[2] < a.EpochLoss[0]) {
		t.Errorf("epoch losses %v do not fall", a.EpochLoss)
	}
	if a.Steps != 3*(256/32) || a.Images != 3*256 {
		t.Errorf("steps %d images %d, want %d and %d", a.Steps, a.Images, 3*8, 3*256)
	}
	b := Train(cpu.NewEngine(), d, j, nil, nil)
	if !bytes.Equal(a.Weights, b.Weights) || !equalFloats(a.EpochLoss, b.EpochLoss) {
		t.Errorf("two runs of the same job differ")
	}
	j.Seed = 4
	c := Train(cpu.NewEngine(), d, j, nil, nil)
	if bytes.Equal(a.Weights, c.Weights) {
		t.Errorf("another seed gave the same weights")
	}
}

// TestTrainResume interrupts a run in its last epoch (a panic from the progress
// callback, which Train turns into a failed result) and resumes it from the store.
func TestTrainResume(t *testing.T) {
	d := tinyData(t)
	j := Job{Key: "resume", Arch: tinyArch, Seed: 5, Recipe: tinyRecipe()}
	want := Train(cpu.NewEngine(), d, j, nil, nil)
	st, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cut := Train(cpu.NewEngine(), d, j, st, func(p Progress) {
		if p.Epoch == 2 && p.Step == 3 {
			panic("interrupted")
		}
	})
	if cut.Status != formats.StatusFailed {
		t.Fatalf("interrupted run: status %s", cut.Status)
	}
	epochs := 0
	got := Train(cpu.NewEngine(), d, j, st, func(p Progress) { epochs = max(epochs, p.Epoch+1-2) })
	if got.Status != formats.StatusOK || !bytes.Equal(got.Weights, want.Weights) || !equalFloats(got.EpochLoss, want.EpochLoss) || got.Steps != want.Steps {
		t.Errorf("resumed run differs: %s %v vs %v", got.Status, got.EpochLoss, want.EpochLoss)
	}
	if epochs != 1 {
		t.Errorf("resumed run trained %d epochs, want only the last", epochs)
	}
}

func TestTrainDiverges(t *testing.T) {
	j := Job{Key: "nan", Arch: tinyArch, Seed: 1, Recipe: tinyRecipe()}
	j.Recipe.LR = formats.MaxLR
	r := Train(cpu.NewEngine(), tinyData(t), j, nil, nil)
	if r.Status != formats.StatusDiverged || r.Weights != nil {
		t.Fatalf("status %s (%s), weights %d bytes; want diverged without weights", r.Status, r.Error, len(r.Weights))
	}
}

func TestTrainFailures(t *testing.T) {
	d := tinyData(t)
	bad := tinyArch
	bad.Stages = []anynet.Stage{{D: 1, W: 12, S: 1, B: 1, G: 8}}
	wrongShape := tinyArch
	wrongShape.Res = 10
	fewClasses := tinyArch
	fewClasses.Classes = 2
	bigBatch := tinyRecipe()
	bigBatch.Batch = 1000
	for _, c := range []struct {
		name string
		arch anynet.Net
		r    formats.Recipe
		want string
	}{
		{"group width", bad, tinyRecipe(), "group width 8 does not divide bottleneck width 12"},
		{"shape", wrongShape, tinyRecipe(), "network takes 10x10x3 images"},
		{"classes", fewClasses, tinyRecipe(), "has 4 classes, the network only 2 outputs"},
		{"batch", tinyArch, bigBatch, "fewer than one batch of 1000"},
	} {
		r := Train(cpu.NewEngine(), d, Job{Arch: c.arch, Seed: 1, Recipe: c.r}, nil, nil)
		if r.Status != formats.StatusFailed || !bytes.Contains([]byte(r.Error), []byte(c.want)) {
			t.Errorf("%s: status %s error %q, want failed with %q", c.name, r.Status, r.Error, c.want)
		}
	}
}

func TestLRAt(t *testing.T) {
	r := formats.Recipe{LR: 0.2, WarmupEpochs: 1, WarmupFactor: 0.1}
	for _, c := range []struct {
		t    int
		want float64
	}{
		{0, 0.2 * 0.1},
		{5, 0.2 * 0.5 * (1 + math.Cos(math.Pi*5/40)) * (0.1*0.5 + 0.5)},
		{10, 0.2 * 0.5 * (1 + math.Cos(math.Pi*10/40))},
		{20, 0.1},
		{40, 0},
	} {
		if got := r.LRAt(c.t, 40, 10); !approx.Close(got, c.want, 1e-12, 0) {
			t.Errorf("LRAt(%d) = %g, want %g", c.t, got, c.want)
		}
	}
}

func equalFloats(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// recording is the CPU engine with a Recorder that keeps f as the recording, so
// Train takes the path of an asynchronous engine (recorded steps, statistics read
// in groups) without a GPU.
type recording struct{ *cpu.Engine }

type replayFunc func()

func (r replayFunc) Run()   { r() }
func (r replayFunc) Close() {}

func (recording) Record(f func()) (engine.Replay, error) { return replayFunc(f), nil }

// TestTrainRecorderEqualsDirect checks that the recorded path, reading the loss
// statistics every asyncReadEvery steps, gives the result of the direct one, for a
// run that finishes and one that diverges part-way through an epoch.
func TestTrainRecorderEqualsDirect(t *testing.T) {
	d := tinyData(t)
	r := tinyRecipe()
	r.Batch, r.Epochs = 4, 2 // 64 steps per epoch: reads after 50 and 64
	for _, lr := range []float64{0.05, formats.MaxLR} {
		r.LR = lr
		j := Job{Key: "k", Arch: tinyArch, Seed: 5, Recipe: r}
		var steps []int
		a := Train(cpu.NewEngine(), d, j, nil, nil)
		b := Train(recording{cpu.NewEngine()}, d, j, nil, func(p Progress) { steps = append(steps, p.Epoch*p.Steps+p.Step) })
		a.Wall, b.Wall = 0, 0
		if fmt.Sprint(a) != fmt.Sprint(b) {
			t.Errorf("lr %g: recorded run %+v\nwant %+v", lr, b, a)
		}
		if lr < 1 && (a.Status != formats.StatusOK || len(steps) != 128 || !slices.IsSorted(steps)) {
			t.Errorf("lr %g: status %s, progress after %d steps (want 128, in order)", lr, a.Status, len(steps))
		}
		if lr > 1 && a.Status != formats.StatusDiverged {
			t.Errorf("lr %g: status %s, want diverged", lr, a.Status)
		}
	}
}

// TestTrainBF16 trains with bfloat16 activations (the CPU engine's emulation): it
// learns, is deterministic, differs from float32 training, and has its own
// checkpoint key.
func TestTrainBF16(t *testing.T) {
	d := tinyData(t)
	r := tinyRecipe()
	j32 := Job{Key: "k", Arch: tinyArch, Seed: 3, Recipe: r}
	r.Precision = formats.PrecisionBF16
	j16 := Job{Key: "k", Arch: tinyArch, Seed: 3, Recipe: r}
	a := Train(cpu.NewEngineWith(engine.BF16), d, j16, nil, nil)
	b := Train(cpu.NewEngineWith(engine.BF16), d, j16, nil, nil)
	c := Train(cpu.NewEngine(), d, j32, nil, nil)
	if a.Status != formats.StatusOK || !(a.EpochLoss[2] < a.EpochLoss[0]) {
		t.Fatalf("status %s (%s), losses %v", a.Status, a.Error, a.EpochLoss)
	}
	if !bytes.Equal(a.Weights, b.Weights) {
		t.Error("two BF16 runs differ")
	}
	if bytes.Equal(a.Weights, c.Weights) {
		t.Error("BF16 and FP32 training gave the same weights")
	}
	if !approx.Close(a.EpochLoss[2], c.EpochLoss[2], 0, 0.1) {
		t.Errorf("last epoch loss %g in BF16, %g in FP32", a.EpochLoss[2], c.EpochLoss[2])
	}
	if JobKey("id", 0, 3, j16.Recipe) == JobKey("id", 0, 3, j32.Recipe) {
		t.Error("BF16 and FP32 jobs share a checkpoint key")
	}
	t.Logf("epoch losses BF16 %.4f, FP32 %.4f", a.EpochLoss, c.EpochLoss)
}

// plainEngine is a CPU engine seen only through engine.Engine: it does not
// assemble random-resized crops, as the CUDA engine does not yet.
type plainEngine struct{ engine.Engine }

func (plainEngine) Name() string { return "plain" }

func TestTrainResizedCrop(t *testing.T) {
	d := tinyData(t)
	r := tinyRecipe()
	r.Augment = formats.AugmentResizedCrop
	j := Job{Key: "rrc", Arch: tinyArch, Seed: 3, Recipe: r}
	a := Train(cpu.NewEngine(), d, j, nil, nil)
	if a.Status != formats.StatusOK || len(a.EpochLoss) != 3 || !(a.EpochLoss[2] < a.EpochLoss[0]) {
		t.Fatalf("status %s (%s), epoch losses %v; want ok and falling", a.Status, a.Error, a.EpochLoss)
	}
	b := Train(cpu.NewEngine(), d, j, nil, nil)
	if !bytes.Equal(a.Weights, b.Weights) {
		t.Errorf("two runs with random-resized crops differ")
	}
	r.Augment = formats.AugmentCropFlip
	c := Train(cpu.NewEngine(), d, Job{Key: "cf", Arch: tinyArch, Seed: 3, Recipe: r}, nil, nil)
	if bytes.Equal(a.Weights, c.Weights) {
		t.Errorf("random-resized crops trained the same weights as crop-flip")
	}
	f := Train(plainEngine{cpu.NewEngine()}, d, j, nil, nil)
	if f.Status != formats.StatusFailed || f.Error != "build: the plain engine does not assemble random-resized crops yet; use --device cpu (or another augmentation)" {
		t.Errorf("engine without resized crops: status %s, error %q", f.Status, f.Error)
	}
}

func TestResolveAugment(t *testing.T) {
	for _, c := range []struct{ data, want string }{
		{"mnist", formats.AugmentNone},
		{"synthetic:8x8x3", formats.AugmentNone},
		{"cifar10:/d", formats.AugmentCropFlip},
		{"cifar100:/d:coarse", formats.AugmentCropFlip},
		{"imagefolder:/d:32", formats.AugmentCropFlip},
		{"imagefolder:/d:64", formats.AugmentResizedCrop},
		{"imagefolder:/d", formats.AugmentResizedCrop},
	} {
		r := formats.DefaultRecipe()
		r.Data = c.data
		if got := ResolveAugment(r).Augment; got != c.want {
			t.Errorf("auto on %s: %s, want %s", c.data, got, c.want)
		}
	}
}
