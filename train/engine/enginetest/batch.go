package enginetest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/ddstools/dds/internal/approx"
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
// most the CUDA library's batch kernel takes), and batch sizes that grow, shrink and
// grow again.
var batchCases = []batchCase{
	{images: 20, h: 9, w: 7, c: 3, pad: 0, crops: false, sizes: []int{5, 12, 3}},
	{images: 20, h: 9, w: 7, c: 3, pad: 2, crops: true, sizes: []int{5, 12, 3, 17}},
	{images: 30, h: 12, w: 12, c: 1, pad: 4, crops: true, sizes: []int{8, 4}},
	{images: 10, h: 8, w: 8, c: 16, pad: 3, crops: true, sizes: []int{7, 1}},
	{images: 40, h: 16, w: 16, c: 3, pad: 4, crops: true, sizes: []int{16}},
}

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

// cropTriples draws n crops and flips for padding pad from seed, as int8 and int32
// (DY, DX, flip) triples.
func cropTriples(seed, stream uint64, n, pad int) ([]int8, []int32) {
	cs := make([]data.Crop, n)
	data.Augment{Pad: pad, Flip: true}.Draw(rand.NewPCG(seed, stream), cs)
	var c8 []int8
	var c32 []int32
	for _, c := range cs {
		f := int8(0)
		if c.Flip {
			f = 1
		}
		c8 = append(c8, c.DY, c.DX, f)
		c32 = append(c32, int32(c.DY), int32(c.DX), int32(f))
	}
	return c8, c32
}

// batch checks UploadImages and Batch: the batches of each case assembled by both
// engines into activation buffers (AllocAct), the images compared within batchTol,
// the labels exactly, the values around the batch unchanged.
func (c *suite) batch(t *testing.T) {
	for i, bc := range batchCases {
		t.Run(bc.String(), func(t *testing.T) {
			e, ref := c.newEngine(t, c.s), c.newEngine(t, c.ref)
			c.sum.add("batch", c.p, c.checkBatch(t, e, ref, bc, uint64(i)))
		})
	}
}

func (c *suite) checkBatch(t *testing.T, e, ref engine.Engine, bc batchCase, seed uint64) float64 {
	r := rand.New(rand.NewPCG(seed, 0x6261))
	size := bc.h * bc.w * bc.c
	images, lab, mean, std := randomImages(r, bc.images, size, bc.c, 10)
	maxN := slices.Max(bc.sizes)
	init := values(r, maxN*size+2*guard, normal)
	initStored := slices.Clone(init) // init as an activation buffer holds it
	if c.p == engine.BF16 {
		roundBF16(initStored)
	}
	rset, gset := ref.UploadImages(images, lab, bc.h, bc.w, bc.c), e.UploadImages(images, lab, bc.h, bc.w, bc.c)
	if gset.Len() != bc.images {
		t.Fatalf("batch %s: ImageSet.Len() = %d, want %d", bc, gset.Len(), bc.images)
	}
	rx, gx := ref.AllocAct(len(init)), e.AllocAct(len(init))
	ry, gy := ref.AllocInts(maxN), e.AllocInts(maxN)
	largest := 0.0
	for _, n := range bc.sizes {
		at := fmt.Sprintf("batch %s %s, %d images", c.p, bc, n)
		idx := make([]int32, n)
		for i := range idx {
			idx[i] = int32(r.IntN(bc.images))
		}
		var crops []int8
		if bc.crops {
			crops, _ = cropTriples(seed, uint64(n), n, bc.pad)
		}
		ref.Upload(rx, init)
		e.Upload(gx, init)
		ref.Batch(ref.Slice(rx, guard, n*size), ry, rset, idx, crops, bc.pad, mean, std)
		e.Batch(e.Slice(gx, guard, n*size), gy, gset, idx, crops, bc.pad, mean, std)
		want, got := make([]float32, len(init)), make([]float32, len(init))
		ref.Download(want, rx)
		e.Download(got, gx)
		wl, gl := make([]int32, n), make([]int32, n)
		ref.DownloadInts(wl, ry)
		e.DownloadInts(gl, gy)
		checkErr(t, ref, at)
		checkErr(t, e, at)
		for i := range len(init) {
			if (i < guard || i >= guard+n*size) && got[i] != initStored[i] {
				t.Errorf("%s: value %d outside the batch changed", at, i)
				break
			}
		}
		g, w := got[guard:guard+n*size], want[guard:guard+n*size]
		re := approx.RelErr(g, w, 0)
		largest = max(largest, re)
		if !(re <= batchTol) {
			j := worst(g, w)
			t.Errorf("%s: relative error %.3g > %g (worst at image %d, offset %d: %s %g, %s %g)", at, re, batchTol, j/size, j%size, e.Name(), g[j], ref.Name(), w[j])
		}
		if !slices.Equal(gl, wl) {
			t.Errorf("%s: labels %v, %s has %v", at, gl, ref.Name(), wl)
		}
	}
	return largest
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

// stepCases: n and steps differ (so an engine that mixed them up selects other
// steps), with and without crops, 1 and 3 channels.
var stepCases = []stepCase{
	{images: 20, h: 9, w: 7, c: 3, pad: 2, crops: true, n: 5, steps: 3, params: 1001},
	{images: 30, h: 8, w: 8, c: 1, pad: 0, crops: false, n: 4, steps: 6, params: 30011},
	{images: 40, h: 12, w: 12, c: 3, pad: 4, crops: true, n: 8, steps: 2, params: 7},
}

// stepBufs is one engine's buffers for checkStepOps.
type stepBufs struct {
	e                              engine.Engine
	set                            engine.ImageSet
	xFull, pFull, vFull, g, dstAll engine.Buf
	x, p, v, dst, src              engine.Buf
	y                              engine.Ints
}

func newStepBufs(e engine.Engine, sc stepCase, images []uint8, lab []int32, x0, p0, v0 []float32) *stepBufs {
	size := sc.h * sc.w * sc.c
	b := &stepBufs{e: e, set: e.UploadImages(images, lab, sc.h, sc.w, sc.c)}
	full := func(v []float32, n int, act bool) (engine.Buf, engine.Buf) {
		var f engine.Buf
		if act {
			f = e.AllocAct(len(v))
		} else {
			f = e.Alloc(len(v))
		}
		e.Upload(f, v)
		return f, e.Slice(f, guard, n)
	}
	b.xFull, b.x = full(x0, sc.n*size, true)
	b.pFull, b.p = full(p0, sc.params, false)
	b.vFull, b.v = full(v0, sc.params, false)
	b.dstAll, b.dst = full(make([]float32, 3*sc.steps+2*guard), 3*sc.steps, false)
	b.g, b.src = e.Alloc(sc.params), e.Alloc(3)
	b.y = e.AllocInts(sc.n)
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
	b.e.DownloadInts(y, b.y)
	checkErr(t, b.e, "step_ops "+sc.String())
	return
}

// stepOps checks BatchAt, SGDStepAt, CopyAt and Count against the reference's plain
// Batch, SGDStep and a copy, and against the subject's own plain operations.
func (c *suite) stepOps(t *testing.T) {
	for i, sc := range stepCases {
		t.Run(sc.String(), func(t *testing.T) {
			c.sum.add("step_ops", c.p, c.checkStepOps(t, sc, uint64(i)))
		})
	}
}

// checkStepOps runs BatchAt, SGDStepAt, CopyAt and Count on the subject with the
// counter at −1, 0, ..., steps in turn, and after each compares every output, guards
// included, with the reference running the plain Batch, SGDStep and a copy on the
// inputs of step t (and nothing when t is outside [0, steps)): images within
// batchTol, labels and copies exactly, SGD within stepOpTol. It also runs the
// subject's own Batch and SGDStep on the same inputs and requires the step-indexed
// forms to match them bit for bit, and checks the counter after each Count. It
// returns the largest relative error against the reference.
func (c *suite) checkStepOps(t *testing.T, sc stepCase, seed uint64) float64 {
	t.Helper()
	e, ref, own := c.newEngine(t, c.s), c.newEngine(t, c.ref), c.newEngine(t, c.s)
	r := rand.New(rand.NewPCG(seed, 0x7374))
	size := sc.h * sc.w * sc.c
	images, lab, mean, std := randomImages(r, sc.images, size, sc.c, 1000)
	idx := make([]int32, sc.steps*sc.n)
	for i := range idx {
		idx[i] = int32(r.IntN(sc.images))
	}
	var crops8 []int8
	var crops32 []int32
	if sc.crops {
		crops8, crops32 = cropTriples(seed, 1, sc.steps*sc.n, sc.pad)
	}
	lrs := make([]float32, sc.steps)
	for i := range lrs {
		lrs[i] = float32(0.02 + 0.2*r.Float64())
	}
	const momentum, wd = 0.9, 5e-4
	x0 := values(r, sc.n*size+2*guard, normal)
	p0, v0 := values(r, sc.params+2*guard, normal), values(r, sc.params+2*guard, normal)

	got, want := newStepBufs(e, sc, images, lab, x0, p0, v0), newStepBufs(ref, sc, images, lab, x0, p0, v0)
	plain := newStepBufs(own, sc, images, lab, x0, p0, v0) // the subject's own Batch and SGDStep
	idxs, counter, lrsBuf := e.AllocInts(len(idx)), e.AllocInts(1), e.Alloc(len(lrs))
	e.UploadInts(idxs, idx)
	e.Upload(lrsBuf, lrs)
	var crops engine.Ints
	if sc.crops {
		crops = e.AllocInts(len(crops32))
		e.UploadInts(crops, crops32)
	}
	e.UploadInts(counter, []int32{-1})
	checkErr(t, e, "step_ops")
	largest := 0.0
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
				b.e.Upload(b.e.Slice(b.dst, 3*step, 3), src)
			}
		}
		gx, gp, gv, gd, gy := got.download(t, sc)
		wx, wp, wv, wdst, wy := want.download(t, sc)
		px, pp, pv, pd, py := plain.download(t, sc)
		ct := make([]int32, 1)
		e.DownloadInts(ct, counter)
		checkErr(t, e, "step_ops")
		at := fmt.Sprintf("step_ops %s %s, counter %d", c.p, sc, step)
		if ct[0] != int32(step+1) {
			t.Errorf("%s: after Count the counter is %d, want %d", at, ct[0], step+1)
		}
		largest = max(largest, compareGuarded(t, at+": BatchAt x", gx, wx, batchTol))
		largest = max(largest, compareGuarded(t, at+": SGDStepAt p", gp, wp, stepOpTol))
		largest = max(largest, compareGuarded(t, at+": SGDStepAt v", gv, wv, stepOpTol))
		compareGuarded(t, at+": CopyAt dst", gd, wdst, 0)
		if !slices.Equal(gy, wy) {
			t.Errorf("%s: BatchAt labels %v, want %v", at, gy, wy)
		}
		for _, s := range []struct {
			name      string
			got, want []float32
		}{{"BatchAt x", gx, px}, {"SGDStepAt p", gp, pp}, {"SGDStepAt v", gv, pv}, {"CopyAt dst", gd, pd}} {
			if !sameBits(s.got, s.want) {
				t.Errorf("%s: %s differs from the plain operation's", at, s.name)
			}
		}
		if !slices.Equal(gy, py) {
			t.Errorf("%s: BatchAt labels %v, Batch's %v", at, gy, py)
		}
	}
	return largest
}

// compareGuarded compares two downloads with guard values at both ends: the guards
// exactly, the rest by norm-wise relative error at most tol (exactly when tol is 0).
// It returns the relative error.
func compareGuarded(t *testing.T, what string, got, want []float32, tol float64) float64 {
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
		return approx.RelErr(g, w, 0)
	}
	re := approx.RelErr(g, w, 0)
	if !(re <= tol) {
		j := worst(g, w)
		t.Errorf("%s: relative error %.3g > %g (worst at %d: %g, want %g)", what, re, tol, j, g[j], w[j])
	}
	return re
}
