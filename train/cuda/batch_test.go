//go:build cgo

package cuda

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/ddstools/dds/train/cpu"
	"github.com/ddstools/dds/train/data"
	"github.com/ddstools/dds/train/engine"
)

// batchCase is one image set and the batch sizes assembled from it in turn.
type batchCase struct {
	images, h, w, c int
	pad             int  // padding of the crops
	crops           bool // augment (random crops and flips); else plain copies
	sizes           []int
}

func (bc batchCase) String() string {
	return fmt.Sprintf("%d_%dx%dx%d_pad%d_crops=%v", bc.images, bc.h, bc.w, bc.c, bc.pad, bc.crops)
}

// batchCases: 3 channels with and without crops, 1 channel (MNIST), 16 channels (the
// most dds_batch takes), and batch sizes that grow, shrink and grow again, so the
// staging buffers are reallocated once per new largest size.
var batchCases = []batchCase{
	{images: 20, h: 9, w: 7, c: 3, pad: 0, crops: false, sizes: []int{5, 12, 3}},
	{images: 20, h: 9, w: 7, c: 3, pad: 2, crops: true, sizes: []int{5, 12, 3, 17}},
	{images: 30, h: 28, w: 28, c: 1, pad: 4, crops: true, sizes: []int{16, 8}},
	{images: 10, h: 8, w: 8, c: 16, pad: 3, crops: true, sizes: []int{7, 1}},
	{images: 50, h: 32, w: 32, c: 3, pad: 4, crops: true, sizes: []int{128}},
}

// batchTol is the error allowed in a batch: both engines compute (v/255 − mean)/std in
// float32 from the same bytes, which at most a fused multiply-add changes (and in
// BF16 both round that float32 to bfloat16 alike).
const batchTol = 1e-6

// randomImages returns n random images of size bytes, labels below classes, and a
// per-channel mean and standard deviation for c channels.
func randomImages(r *rand.Rand, n, size, c, classes int) (images []uint8, labels []int32, mean, std []float32) {
	images = make([]uint8, n*size)
	for i := range images {
		images[i] = uint8(r.IntN(256))
	}
	labels = make([]int32, n)
	for i := range labels {
		labels[i] = int32(r.IntN(classes))
	}
	mean, std = make([]float32, c), make([]float32, c)
	for i := range mean {
		mean[i], std[i] = float32(0.3+0.4*r.Float64()), float32(0.2+0.1*r.Float64())
	}
	return images, labels, mean, std
}

// checkBatch assembles the batches of bc on e and on the CPU engine of e's precision
// into activation buffers (AllocAct) and compares the images (relative error, guards
// untouched) and labels (exactly). It also checks that e's memory grows only when a
// batch is larger than every earlier one.
func checkBatch(t *testing.T, e *Engine, bc batchCase, seed uint64) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 0x6261))
	size := bc.h * bc.w * bc.c
	images, lab, mean, std := randomImages(r, bc.images, size, bc.c, 10)
	maxN := 0
	for _, n := range bc.sizes {
		maxN = max(maxN, n)
	}
	init := values(r, maxN*size+2*guard, normal)
	initStored := slices.Clone(init) // init as an activation buffer holds it
	if e.Precision() == engine.BF16 {
		cpu.RoundBF16(initStored)
	}
	c := cpu.NewEngineWith(e.Precision())
	cset, gset := c.UploadImages(images, lab, bc.h, bc.w, bc.c), e.UploadImages(images, lab, bc.h, bc.w, bc.c)
	if gset.Len() != bc.images {
		t.Fatalf("ImageSet.Len() = %d, want %d", gset.Len(), bc.images)
	}
	cx, gx := c.AllocAct(len(init)), e.AllocAct(len(init))
	cy, gy := c.AllocLabels(maxN), e.AllocLabels(maxN)
	seen := 0
	for _, n := range bc.sizes {
		idx := make([]int32, n)
		for i := range idx {
			idx[i] = int32(r.IntN(bc.images))
		}
		var crops []int8
		if bc.crops {
			cs := make([]data.Crop, n)
			data.Augment{Pad: bc.pad, Flip: true}.Draw(rand.NewPCG(seed, uint64(n)), cs)
			for _, cr := range cs {
				f := int8(0)
				if cr.Flip {
					f = 1
				}
				crops = append(crops, cr.DY, cr.DX, f)
			}
		}
		c.Upload(cx, init)
		e.Upload(gx, init)
		used := e.MemUsed()
		c.Batch(c.Slice(cx, guard, n*size), cy, cset, idx, crops, bc.pad, mean, std)
		e.Batch(e.Slice(gx, guard, n*size), gy, gset, idx, crops, bc.pad, mean, std)
		if err := e.Err(); err != nil {
			t.Fatal(err)
		}
		if grew := e.MemUsed() != used; grew != (n > seen) {
			t.Errorf("batch of %d after a largest of %d: memory grew %v (%d to %d bytes)", n, seen, grew, used, e.MemUsed())
		}
		seen = max(seen, n)
		want, got := make([]float32, len(init)), make([]float32, len(init))
		c.Download(want, cx)
		e.Download(got, gx)
		if err := e.Err(); err != nil {
			t.Fatal(err)
		}
		for i := range len(init) {
			if (i < guard || i >= guard+n*size) && got[i] != initStored[i] {
				t.Errorf("batch of %d: value %d outside the batch changed", n, i)
				break
			}
		}
		g, w := got[guard:guard+n*size], want[guard:guard+n*size]
		if re := relErr(g, w, 0); !(re <= batchTol) {
			j := worst(g, w)
			t.Errorf("batch of %d: relative error %.3g > %g (worst at image %d, offset %d: %g, cpu %g)", n, re, batchTol, j/size, j%size, g[j], w[j])
		}
		gl := make([]int32, n)
		e.DownloadLabels(gl, gy)
		for i, v := range gl {
			if w := cy.(cpu.Int32s)[i]; v != w {
				t.Errorf("batch of %d: label %d = %d, want %d", n, i, v, w)
				break
			}
		}
	}
}

// TestBatch checks UploadImages and Batch on the GPU against the CPU engine, in both
// precisions.
func TestBatch(t *testing.T) {
	lib := gpuLibrary(t)
	for _, p := range precisions {
		for i, bc := range batchCases {
			t.Run(p.String()+"/"+bc.String(), func(t *testing.T) {
				e, err := lib.NewEngineWith(0, p)
				if err != nil {
					t.Fatal(err)
				}
				defer e.Close()
				checkBatch(t, e, bc, uint64(i))
			})
		}
	}
}

// stepCase is one run of the step-indexed operations: steps batches of n examples
// from an image set, an SGD step over params values and a copy of 3 values per step.
type stepCase struct {
	images, h, w, c int
	pad             int
	crops           bool
	n, steps        int
	params          int
}

func (sc stepCase) String() string {
	return fmt.Sprintf("%d_%dx%dx%d_pad%d_crops=%v_n%d_steps%d_p%d", sc.images, sc.h, sc.w, sc.c, sc.pad, sc.crops, sc.n, sc.steps, sc.params)
}

// stepCases: n and steps differ (so a binding that mixed them up selects other
// steps), with and without crops, 1 and 3 channels.
var stepCases = []stepCase{
	{images: 20, h: 9, w: 7, c: 3, pad: 2, crops: true, n: 5, steps: 3, params: 1001},
	{images: 30, h: 8, w: 8, c: 1, pad: 0, crops: false, n: 4, steps: 6, params: 100003},
	{images: 40, h: 16, w: 16, c: 3, pad: 4, crops: true, n: 16, steps: 2, params: 7},
}

// stepTol is the error allowed in SGD steps against the CPU engine: a few steps of
// the same float32 formula, which a fused multiply-add moves by about 1e-7.
const stepOpTol = 1e-5

// stepBufs is one engine's buffers for checkStepOps.
type stepBufs struct {
	e                              engine.Engine
	set                            engine.ImageSet
	xFull, pFull, vFull, g, dstAll engine.Buf
	x, p, v, dst, src              engine.Buf
	y                              engine.Labels
}

func newStepBufs(e engine.Engine, sc stepCase, images []uint8, lab []int32, x0, p0, v0 []float32) *stepBufs {
	size := sc.h * sc.w * sc.c
	b := &stepBufs{e: e, set: e.UploadImages(images, lab, sc.h, sc.w, sc.c)}
	full := func(v []float32, n int, act bool) (engine.Buf, engine.Buf) {
		f := e.Alloc(len(v))
		if act {
			f = e.AllocAct(len(v))
		}
		e.Upload(f, v)
		return f, e.Slice(f, guard, n)
	}
	b.xFull, b.x = full(x0, sc.n*size, true)
	b.pFull, b.p = full(p0, sc.params, false)
	b.vFull, b.v = full(v0, sc.params, false)
	b.dstAll, b.dst = full(make([]float32, 3*sc.steps+2*guard), 3*sc.steps, false)
	b.g, b.src = e.Alloc(sc.params), e.Alloc(3)
	b.y = e.AllocLabels(sc.n)
	return b
}

// download returns the float buffers with their guards and the labels.
func (b *stepBufs) download(t *testing.T, sc stepCase) (x, p, v, dst []float32, y []int32) {
	t.Helper()
	get := func(buf engine.Buf) []float32 {
		out := make([]float32, buf.Len())
		b.e.Download(out, buf)
		return out
	}
	x, p, v, dst = get(b.xFull), get(b.pFull), get(b.vFull), get(b.dstAll)
	y = make([]int32, sc.n)
	switch e := b.e.(type) {
	case *Engine:
		e.DownloadLabels(y, b.y)
	default:
		copy(y, b.y.(cpu.Int32s))
	}
	if err := b.e.Err(); err != nil {
		t.Fatal(err)
	}
	return
}

// checkStepOps runs BatchAt, SGDStepAt, CopyAt and Count on e with the counter at
// −1, 0, ..., steps in turn, and after each compares every output, guards included,
// with the CPU engine running the plain Batch, SGDStep and a copy on the inputs of
// step t (and nothing when t is outside [0, steps)): images within batchTol, labels
// and copies exactly, SGD within stepOpTol. It also runs e's own Batch and SGDStep on
// the same inputs and requires the step-indexed forms to match them bit for bit, and
// checks the counter after each Count.
func checkStepOps(t *testing.T, e *Engine, sc stepCase, seed uint64) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 0x7374))
	size := sc.h * sc.w * sc.c
	images, lab, mean, std := randomImages(r, sc.images, size, sc.c, 1000)
	idx := make([]int32, sc.steps*sc.n)
	for i := range idx {
		idx[i] = int32(r.IntN(sc.images))
	}
	var crops32 []int32
	var crops8 []int8
	if sc.crops {
		cs := make([]data.Crop, sc.steps*sc.n)
		data.Augment{Pad: sc.pad, Flip: true}.Draw(rand.NewPCG(seed, 1), cs)
		for _, c := range cs {
			f := int8(0)
			if c.Flip {
				f = 1
			}
			crops8 = append(crops8, c.DY, c.DX, f)
			crops32 = append(crops32, int32(c.DY), int32(c.DX), int32(f))
		}
	}
	lrs := make([]float32, sc.steps)
	for i := range lrs {
		lrs[i] = float32(0.02 + 0.2*r.Float64())
	}
	const momentum, wd = 0.9, 5e-4
	x0 := values(r, sc.n*size+2*guard, normal)
	p0, v0 := values(r, sc.params+2*guard, normal), values(r, sc.params+2*guard, normal)

	c := cpu.NewEngineWith(e.Precision())
	got, want := newStepBufs(e, sc, images, lab, x0, p0, v0), newStepBufs(c, sc, images, lab, x0, p0, v0)
	plain := newStepBufs(e, sc, images, lab, x0, p0, v0) // e's own Batch and SGDStep
	idxs, counter, lrsBuf := e.AllocLabels(len(idx)), e.AllocLabels(1), e.Alloc(len(lrs))
	e.UploadLabels(idxs, idx)
	e.Upload(lrsBuf, lrs)
	var crops engine.Labels
	if sc.crops {
		crops = e.AllocLabels(len(crops32))
		e.UploadLabels(crops, crops32)
	}
	e.UploadLabels(counter, []int32{-1})
	if err := e.Err(); err != nil {
		t.Fatal(err)
	}
	for step := -1; step <= sc.steps; step++ {
		g, src := values(r, sc.params, normal), values(r, 3, normal)
		for _, b := range []*stepBufs{got, want, plain} {
			b.e.Upload(b.g, g)
			b.e.Upload(b.src, src)
		}
		e.BatchAt(got.x, got.y, got.set, idxs, crops, counter, sc.n, sc.pad, mean, std)
		e.SGDStepAt(got.p, got.g, got.v, sc.params, lrsBuf, counter, momentum, wd, true)
		e.CopyAt(got.dst, got.src, counter, 3)
		e.Count(counter)
		if step >= 0 && step < sc.steps {
			ix := idx[step*sc.n : (step+1)*sc.n]
			var cr []int8
			if sc.crops {
				cr = crops8[3*step*sc.n : 3*(step+1)*sc.n]
			}
			for _, b := range []*stepBufs{want, plain} {
				b.e.Batch(b.x, b.y, b.set, ix, cr, sc.pad, mean, std)
				b.e.SGDStep(b.p, b.g, b.v, sc.params, lrs[step], momentum, wd, true)
			}
			c.Upload(c.Slice(want.dst, 3*step, 3), src)
			e.Upload(e.Slice(plain.dst, 3*step, 3), src)
		}
		gx, gp, gv, gd, gy := got.download(t, sc)
		wx, wp, wv, wdst, wy := want.download(t, sc)
		px, pp, pv, pd, py := plain.download(t, sc)
		ct := make([]int32, 1)
		e.DownloadLabels(ct, counter)
		if err := e.Err(); err != nil {
			t.Fatal(err)
		}
		at := fmt.Sprintf("counter %d", step)
		if ct[0] != int32(step+1) {
			t.Errorf("%s: after Count the counter is %d, want %d", at, ct[0], step+1)
		}
		compareGuarded(t, at+": BatchAt x", gx, wx, batchTol)
		compareGuarded(t, at+": SGDStepAt p", gp, wp, stepOpTol)
		compareGuarded(t, at+": SGDStepAt v", gv, wv, stepOpTol)
		compareGuarded(t, at+": CopyAt dst", gd, wdst, 0)
		if !slices.Equal(gy, wy) {
			t.Errorf("%s: BatchAt labels %v, want %v", at, gy, wy)
		}
		for _, s := range []struct {
			name      string
			got, want []float32
		}{{"x", gx, px}, {"p", gp, pp}, {"v", gv, pv}, {"dst", gd, pd}} {
			if !sameBits(s.got, s.want) {
				t.Errorf("%s: %s of the step-indexed operation differs from the plain one's", at, s.name)
			}
		}
		if !slices.Equal(gy, py) {
			t.Errorf("%s: BatchAt labels %v, Batch's %v", at, gy, py)
		}
	}
}

// compareGuarded compares two downloads with guard values at both ends: the guards
// exactly, the rest by norm-wise relative error at most tol (exactly when tol is 0).
func compareGuarded(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	n := len(want)
	if !sameBits(got[:guard], want[:guard]) || !sameBits(got[n-guard:], want[n-guard:]) {
		t.Errorf("%s: a guard value changed", what)
	}
	g, w := got[guard:n-guard], want[guard:n-guard]
	if tol == 0 {
		if !sameBits(g, w) {
			j := worst(g, w)
			t.Errorf("%s: differs at %d: %g, want %g", what, j, g[j], w[j])
		}
		return
	}
	if re := relErr(g, w, 0); !(re <= tol) {
		j := worst(g, w)
		t.Errorf("%s: relative error %.3g > %g (worst at %d: %g, cpu %g)", what, re, tol, j, g[j], w[j])
	}
}

// sameBits reports whether a and b hold the same float32 bits.
func sameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// TestStepOps checks BatchAt, SGDStepAt, CopyAt and Count on the GPU against the CPU
// engine's plain operations and the GPU's own Batch and SGDStep.
func TestStepOps(t *testing.T) {
	lib := gpuLibrary(t)
	for _, p := range precisions {
		for i, sc := range stepCases {
			t.Run(p.String()+"/"+sc.String(), func(t *testing.T) {
				e, err := lib.NewEngineWith(0, p)
				if err != nil {
					t.Fatal(err)
				}
				defer e.Close()
				checkStepOps(t, e, sc, uint64(i))
			})
		}
	}
}
