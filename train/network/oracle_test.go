package network

import (
	"encoding/json"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ddstools/dds/formats/anynet"
	"github.com/ddstools/dds/internal/approx"
	"github.com/ddstools/dds/internal/golden"
	"github.com/ddstools/dds/internal/torchpeer"
	"github.com/ddstools/dds/train/cpu"
	"github.com/ddstools/dds/train/safetensors"
)

// oracleNets are the architectures checked against PyTorch: X and Y blocks, group
// widths from depthwise (g = 1) to dense (g = w_b), bottleneck ratios 1 and 2,
// strides 1 and 2, identity and projection shortcuts (by width and by stride).
var oracleNets = map[string]anynet.Net{
	"x": {Res: 16, Channels: 3, Classes: 10, StemW: 8, StemS: 1, Block: anynet.BlockX, Stages: []anynet.Stage{
		{D: 2, W: 8, S: 1, B: 1, G: 8},
		{D: 2, W: 16, S: 2, B: 1, G: 4},
		{D: 1, W: 24, S: 2, B: 2, G: 1},
		{D: 2, W: 32, S: 1, B: 1, G: 16},
	}},
	"y": {Res: 16, Channels: 3, Classes: 7, StemW: 12, StemS: 2, Block: anynet.BlockY, SERatio: 0.25, Stages: []anynet.Stage{
		{D: 1, W: 16, S: 1, B: 1, G: 8},
		{D: 3, W: 24, S: 2, B: 1, G: 24},
		{D: 2, W: 48, S: 2, B: 2, G: 3},
	}},
}

// peerSpec is arch in the JSON form ../shared/peer/torch_anynet.py reads.
func peerSpec(a anynet.Net) map[string]any {
	var st []map[string]any
	for _, s := range a.Stages {
		st = append(st, map[string]any{"d": s.D, "w": s.W, "s": s.S, "b": s.B, "g": s.G})
	}
	return map[string]any{"in_ch": a.Channels, "res": a.Res, "classes": a.Classes, "stem_w": a.StemW,
		"stem_stride": a.StemS, "block": a.Block, "se_ratio": a.SERatio, "stages": st}
}

// encodeTensors is the safetensors file of ts.
func encodeTensors(t *testing.T, ts []safetensors.Tensor) []byte {
	t.Helper()
	b, err := safetensors.Encode(ts, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestOracleTorch trains each oracle network for three SGD steps on one batch here
// and in PyTorch from the same initial state and compares logits, loss and gradients
// of the first step and every parameter and running statistic after the third.
// PyTorch's side is the golden files testdata/oracle/NAME: the inputs it was given
// (spec.json, init.safetensors, batch.safetensors), which must equal those this
// test makes, and its out.safetensors. go test -update runs
// testdata/torch_oracle.py to rewrite them.
func TestOracleTorch(t *testing.T) {
	var peer string
	if golden.Update() {
		peer = torchpeer.Find(t)
	}
	const batch, steps = 8, 3
	rc := Hyper{Momentum: 0.9, WeightDecay: 5e-4, Nesterov: true, Smoothing: 0.1}
	const lr = 0.1
	for name, arch := range oracleNets {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("testdata", "oracle", name)
			n, err := New(cpu.NewEngine(), arch, batch, true)
			if err != nil {
				t.Fatal(err)
			}
			n.Init(7)
			init, err := n.State()
			if err != nil {
				t.Fatal(err)
			}
			r := rand.New(rand.NewPCG(1, 2))
			hw, c := arch.Res*arch.Res, arch.Channels
			x := make([]float32, batch*hw*c)
			for i := range x {
				x[i] = float32(r.NormFloat64())
			}
			y := make([]int32, batch)
			y64 := make([]int64, batch)
			for i := range y {
				y[i] = int32(r.IntN(arch.Classes))
				y64[i] = int64(y[i])
			}
			nchw := make([]float32, len(x))
			for b := 0; b < batch; b++ {
				for p := 0; p < hw; p++ {
					for ch := 0; ch < c; ch++ {
						nchw[(b*c+ch)*hw+p] = x[(b*hw+p)*c+ch]
					}
				}
			}
			inputs := map[string][]byte{
				"init.safetensors": encodeTensors(t, init),
				"batch.safetensors": encodeTensors(t, []safetensors.Tensor{
					safetensors.Float32("x", []int{batch, c, arch.Res, arch.Res}, nchw),
					safetensors.Int64("y", []int{batch}, y64),
				}),
			}
			spec := peerSpec(arch)
			spec["lr"], spec["momentum"], spec["weight_decay"] = lr, rc.Momentum, rc.WeightDecay
			spec["nesterov"], spec["smoothing"], spec["steps"] = rc.Nesterov, rc.Smoothing, steps
			js, _ := json.Marshal(spec)
			inputs["spec.json"] = append(js, '\n')
			for _, f := range []string{"spec.json", "init.safetensors", "batch.safetensors"} {
				golden.Check(t, filepath.Join(dir, f), inputs[f])
			}
			if golden.Update() {
				cmd := torchpeer.Command("testdata/torch_oracle.py", peer, dir)
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("torch_oracle.py: %v\n%s", err, out)
				}
			}

			n.E.Upload(n.X, x)
			n.E.UploadInts(n.Y, y)
			first, err := n.Step(lr, rc)
			if err != nil {
				t.Fatal(err)
			}
			logits := make([]float32, batch*arch.Classes)
			n.E.Download(logits, n.Logits)
			grads, err := n.Gradients()
			if err != nil {
				t.Fatal(err)
			}
			for range steps - 1 {
				if _, err := n.Step(lr, rc); err != nil {
					t.Fatal(err)
				}
			}
			final, err := n.State()
			if err != nil {
				t.Fatal(err)
			}

			want, err := safetensors.Decode(golden.Read(t, filepath.Join(dir, "out.safetensors")))
			if err != nil {
				t.Fatal(err)
			}
			// A gradient tensor whose norm is tiny next to the others (a γ whose terms
			// cancel) is compared relative to floor = 1e-3 × the largest gradient
			// norm, below which float32 rounding of its sums dominates.
			floor := 0.0
			for _, g := range grads {
				if wt, ok := want.Get("grad." + g.Name); ok {
					w, _ := wt.Float32s()
					floor = max(floor, 1e-3*approx.Norm(w))
				}
			}
			worst := map[string]float64{}
			check := func(key string, got []float32, floor float64) {
				t.Helper()
				wt, ok := want.Get(key)
				if !ok {
					t.Errorf("PyTorch wrote no %q", key)
					return
				}
				w, err := wt.Float32s()
				if err != nil {
					t.Fatal(err)
				}
				kind, _, _ := strings.Cut(key, ".")
				e := approx.RelErr(got, w, floor)
				worst[kind] = max(worst[kind], e)
				if !(e <= 1e-4) {
					t.Errorf("%s: relative error %.3g > 1e-4 (got %v want %v)", key, e, got[:min(6, len(got))], w[:min(6, len(w))])
				}
			}
			check("logits", logits, 0)
			check("loss", []float32{float32(first.Loss)}, 0)
			for _, g := range grads {
				v, _ := g.Float32s()
				check("grad."+g.Name, v, floor)
			}
			for _, s := range final {
				if s.DType == safetensors.I64 {
					got, _ := s.Int64s()
					wt, _ := want.Get("final." + s.Name)
					w, err := wt.Int64s()
					if err != nil || w[0] != got[0] {
						t.Errorf("final.%s = %v, PyTorch has %v (%v)", s.Name, got, w, err)
					}
					continue
				}
				v, _ := s.Float32s()
				check("final."+s.Name, v, 0)
			}
			t.Logf("largest relative errors: logits %.2g, loss %.2g, gradients %.2g, state after %d steps %.2g",
				worst["logits"], worst["loss"], worst["grad"], steps, worst["final"])
			if len(final) != len(want.Tensors)-2-len(grads) {
				t.Errorf("state has %d tensors, PyTorch's %d", len(final), len(want.Tensors)-2-len(grads))
			}
		})
	}
}
