package cpu

import (
	"runtime"
	"testing"
)

// TestAllocations checks that the kernels allocate only goroutine bookkeeping (a few
// closures per call, gonum's per-block goroutines inside Sgemm), nothing that grows
// with the tensors: a layer's worth of calls on ~1 MB of activations stays under 64 KB.
func TestAllocations(t *testing.T) {
	r := newRand(9)
	convs := []ConvShape{
		{N: 4, H: 14, W: 14, Cin: 64, Cout: 64, K: 3, Stride: 1, Groups: 8},
		{N: 4, H: 14, W: 14, Cin: 64, Cout: 64, K: 3, Stride: 2, Groups: 8},
		{N: 4, H: 14, W: 14, Cin: 64, Cout: 128, K: 1, Stride: 1, Groups: 1},
		{N: 4, H: 14, W: 14, Cin: 64, Cout: 64, K: 3, Stride: 1, Groups: 64},
	}
	type buf struct{ x, w, y, dx, dw, sc []float32 }
	bufs := make([]buf, len(convs))
	for i, s := range convs {
		bufs[i] = buf{randSlice(r, s.InLen(), 1), randSlice(r, s.WeightLen(), 1), make([]float32, s.OutLen()),
			make([]float32, s.InLen()), make([]float32, s.WeightLen()), make([]float32, s.ScratchLen())}
	}
	const m, c = 4 * 14 * 14, 64
	x, y, dy, dx := randSlice(r, m*c, 1), make([]float32, m*c), randSlice(r, m*c, 1), make([]float32, m*c)
	g, b, mean, vr, rm, rv, dg, db := randSlice(r, c, 1), randSlice(r, c, 1), make([]float32, c), make([]float32, c),
		make([]float32, c), make([]float32, c), make([]float32, c), make([]float32, c)
	logits, dlogits, labels := randSlice(r, 40, 1), make([]float32, 40), []int32{1, 2, 3, 4}
	p, pg, v := randSlice(r, m*c, 1), randSlice(r, m*c, 1), make([]float32, m*c)
	layer := func() {
		for i, s := range convs {
			u := bufs[i]
			ConvForward(u.y, u.x, u.w, s, u.sc)
			ConvBackwardData(u.dx, u.y, u.w, s, u.sc)
			ConvBackwardWeight(u.dw, u.y, u.x, s, u.sc)
		}
		BatchNormTrainForward(y, x, g, b, mean, vr, rm, rv, m, c, 0.1, 1e-5)
		BatchNormApply(y, x, x, g, b, mean, vr, m, c, 1e-5, true)
		BatchNormReLUBackward(dx, nil, dg, db, dy, y, x, g, mean, vr, m, c, 1e-5)
		SoftmaxCrossEntropy(dlogits, logits, labels, 4, 10, 0.1)
		SGDStep(p, pg, v, m*c, 0.1, 0.9, 5e-4, true)
	}
	layer() // warm the pools
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	const calls = 5
	for range calls {
		layer()
	}
	runtime.ReadMemStats(&after)
	perCall := (after.TotalAlloc - before.TotalAlloc) / calls
	t.Logf("%d bytes, %d allocations per layer", perCall, (after.Mallocs-before.Mallocs)/calls)
	if perCall > 64<<10 {
		t.Errorf("%d bytes allocated per layer, want < 64 KiB", perCall)
	}
}
