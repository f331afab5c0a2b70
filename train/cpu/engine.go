package cpu

import (
	"fmt"
	"github.com/ddstools/dds/train/data"
	"github.com/ddstools/dds/train/engine"
)

// Floats is the CPU engine's buffer: a float32 slice in host memory.
type Floats []float32

// Len returns len(f).
func (f Floats) Len() int { return len(f) }

// BF16s is the activation buffer of a CPU engine in precision BF16: float32 values
// that are all bfloat16 values (every write rounds), an exact emulation of bfloat16
// storage.
type BF16s []float32

// Len returns len(b).
func (b BF16s) Len() int { return len(b) }

// Int32s is the CPU engine's Ints buffer.
type Int32s []int32

// Len returns len(l).
func (l Int32s) Len() int { return len(l) }

// Engine runs a network on the CPU with this package's kernels. Its buffers are
// Floats and Int32s; memory is Go memory, so Close only drops references. Kernels
// split their work over Workers() goroutines.
type Engine struct {
	used int64 // bytes allocated by Alloc, AllocAct and AllocInts
	prec engine.Precision
	wtmp []float32 // weights rounded to bfloat16 (BF16)
}

var _ engine.Engine = (*Engine)(nil)

// NewEngine returns a CPU engine with float32 activations.
func NewEngine() *Engine { return &Engine{} }

// NewEngineWith returns a CPU engine with activations in precision p. In BF16 it
// emulates bfloat16 storage exactly (see engine.BF16): every operation computes in
// float32 as in FP32, then rounds each activation it writes to the nearest bfloat16,
// and convolutions and linear layers multiply activations by their weights rounded
// to bfloat16. It is the reference the CUDA engine's BF16 path is tested against.
func NewEngineWith(p engine.Precision) *Engine { return &Engine{prec: p} }

func f32(b engine.Buf) []float32 {
	switch v := b.(type) {
	case nil:
		return nil
	case Floats:
		return v
	case BF16s:
		return v
	}
	panic(fmt.Sprintf("cpu: buffer of type %T is not a CPU engine buffer", b))
}

// bf16 reports whether activations are rounded to bfloat16.
func (e *Engine) bf16() bool { return e.prec == engine.BF16 }

// round rounds the first n values of each activation output to bfloat16 (BF16).
func (e *Engine) round(n int, bufs ...engine.Buf) {
	if !e.bf16() {
		return
	}
	for _, b := range bufs {
		if v := f32(b); v != nil {
			RoundBF16(v[:n])
		}
	}
}

// weights returns the first n weights of w as the operations multiply them with
// activations: w itself in FP32, a copy rounded to bfloat16 in BF16.
func (e *Engine) weights(w engine.Buf, n int) []float32 {
	if !e.bf16() {
		return f32(w)
	}
	if cap(e.wtmp) < n {
		e.wtmp = make([]float32, n)
	}
	t := e.wtmp[:n]
	copy(t, f32(w)[:n])
	RoundBF16(t)
	return t
}

func (e *Engine) Name() string                { return "cpu" }
func (e *Engine) Precision() engine.Precision { return e.prec }
func (e *Engine) Alloc(n int) engine.Buf {
	e.used += 4 * int64(n)
	return Floats(make([]float32, n))
}

// AllocAct returns Floats in FP32 and BF16s in BF16, counted at 4 and 2 bytes a
// value.
func (e *Engine) AllocAct(n int) engine.Buf {
	if e.bf16() {
		e.used += 2 * int64(n)
		return BF16s(make([]float32, n))
	}
	return e.Alloc(n)
}
func (e *Engine) AllocInts(n int) engine.Ints {
	e.used += 4 * int64(n)
	return Int32s(make([]int32, n))
}

// MemUsed returns the bytes of the buffers Alloc and AllocInts returned (image
// sets are not copied, so they do not count).
func (e *Engine) MemUsed() int64 { return e.used }

// AllocAlign returns 1: MemUsed counts each buffer's values exactly.
func (e *Engine) AllocAlign() int { return 1 }
func (e *Engine) Slice(b engine.Buf, off, n int) engine.Buf {
	if v, ok := b.(BF16s); ok {
		return v[off : off+n : off+n]
	}
	return b.(Floats)[off : off+n : off+n]
}

// Upload copies src into dst, rounding to bfloat16 when dst holds BF16 activations.
func (e *Engine) Upload(dst engine.Buf, src []float32) {
	d := f32(dst)[:len(src)]
	copy(d, src)
	if _, ok := dst.(BF16s); ok {
		RoundBF16(d)
	}
}
func (e *Engine) Download(dst []float32, src engine.Buf)  { copy(dst, f32(src)[:len(dst)]) }
func (e *Engine) UploadInts(dst engine.Ints, src []int32) { copy(dst.(Int32s)[:len(src)], src) }
func (e *Engine) DownloadInts(dst []int32, src engine.Ints) {
	copy(dst, src.(Int32s)[:len(dst)])
}
func (e *Engine) Err() error                    { return nil }
func (e *Engine) Close()                        {}
func (e *Engine) ConvScratch(s engine.Conv) int { return ConvShape(s).ScratchLen() }
func (e *Engine) ConvForward(y, x, w engine.Buf, s engine.Conv, scratch engine.Buf) {
	ConvForward(f32(y), f32(x), e.weights(w, s.WeightLen()), ConvShape(s), f32(scratch))
	e.round(s.OutLen(), y)
}
func (e *Engine) ConvBackwardData(dx, dy, w engine.Buf, s engine.Conv, scratch engine.Buf) {
	ConvBackwardData(f32(dx), f32(dy), e.weights(w, s.WeightLen()), ConvShape(s), f32(scratch))
	e.round(s.InLen(), dx)
}
func (e *Engine) ConvBackwardWeight(dw, dy, x engine.Buf, s engine.Conv, scratch engine.Buf) {
	ConvBackwardWeight(f32(dw), f32(dy), f32(x), ConvShape(s), f32(scratch))
}
func (e *Engine) BatchNormStats(mean, variance, x engine.Buf, m, c int) {
	BatchNormStats(f32(mean), f32(variance), f32(x), m, c)
}
func (e *Engine) BatchNormUpdateRunning(runMean, runVar, mean, variance engine.Buf, m, c int, momentum float32) {
	BatchNormUpdateRunning(f32(runMean), f32(runVar), f32(mean), f32(variance), m, c, momentum)
}
func (e *Engine) BatchNormApply(y, x, res, gamma, beta, mean, variance engine.Buf, m, c int, eps float32, relu bool) {
	BatchNormApply(f32(y), f32(x), f32(res), f32(gamma), f32(beta), f32(mean), f32(variance), m, c, eps, relu)
	e.round(m*c, y)
}
func (e *Engine) BatchNormBackward(dx, dres, dgamma, dbeta, dy, y, x, gamma, mean, variance engine.Buf, m, c int, eps float32, relu bool) {
	if relu {
		BatchNormReLUBackward(f32(dx), f32(dres), f32(dgamma), f32(dbeta), f32(dy), f32(y), f32(x), f32(gamma), f32(mean), f32(variance), m, c, eps)
		e.round(m*c, dx, dres)
		return
	}
	BatchNormBackward(f32(dx), f32(dgamma), f32(dbeta), f32(dy), f32(x), f32(gamma), f32(mean), f32(variance), m, c, eps)
	e.round(m*c, dx)
}
func (e *Engine) ReLUForward(y, x engine.Buf, n int) { ReLUForward(f32(y), f32(x), n) }
func (e *Engine) ReLUBackward(dx, dy, y engine.Buf, n int) {
	ReLUBackward(f32(dx), f32(dy), f32(y), n)
}
func (e *Engine) Add(y, a, b engine.Buf, n int) {
	Add(f32(y), f32(a), f32(b), n)
	e.round(n, y)
}
func (e *Engine) SigmoidForward(y, x engine.Buf, n int) {
	SigmoidForward(f32(y), f32(x), n)
	e.round(n, y)
}
func (e *Engine) SigmoidBackward(dx, dy, y engine.Buf, n int) {
	SigmoidBackward(f32(dx), f32(dy), f32(y), n)
	e.round(n, dx)
}
func (e *Engine) ScaleForward(y, x, s engine.Buf, n, hw, c int) {
	ScaleForward(f32(y), f32(x), f32(s), n, hw, c)
	e.round(n*hw*c, y)
}
func (e *Engine) ScaleBackward(dx, ds, dy, x, s engine.Buf, n, hw, c int) {
	ScaleBackward(f32(dx), f32(ds), f32(dy), f32(x), f32(s), n, hw, c)
	e.round(n*hw*c, dx)
	e.round(n*c, ds)
}
func (e *Engine) AvgPoolForward(y, x engine.Buf, n, hw, c int) {
	AvgPoolForward(f32(y), f32(x), n, hw, c)
	e.round(n*c, y)
}
func (e *Engine) AvgPoolBackward(dx, dy engine.Buf, n, hw, c int) {
	AvgPoolBackward(f32(dx), f32(dy), n, hw, c)
	e.round(n*hw*c, dx)
}
func (e *Engine) LinearForward(y, x, w, bias engine.Buf, n, in, out int) {
	LinearForward(f32(y), f32(x), e.weights(w, in*out), f32(bias), n, in, out)
	e.round(n*out, y)
}

// LinearBackward computes the weight and bias gradients from the activations as
// they are and, in BF16, the data gradient with the weights rounded to bfloat16.
func (e *Engine) LinearBackward(dx, dw, dbias, dy, x, w engine.Buf, n, in, out int) {
	if !e.bf16() || dx == nil {
		LinearBackward(f32(dx), f32(dw), f32(dbias), f32(dy), f32(x), f32(w), n, in, out)
		return
	}
	LinearBackward(nil, f32(dw), f32(dbias), f32(dy), f32(x), f32(w), n, in, out)
	d := f32(dx)
	checkLen("LinearBackward", n*in, d)
	Sgemm(false, false, n, in, out, 1, f32(dy), out, e.weights(w, in*out), in, 0, d, in)
	e.round(n*in, dx)
}

// SoftmaxCrossEntropy counts the labels outside [0, c) first and computes nothing
// when there are any (the kernel would panic on them).
func (e *Engine) SoftmaxCrossEntropy(dlogits, logits engine.Buf, labels engine.Ints, n, c int, smoothing float32, stats engine.Buf) {
	ls := labels.(Int32s)
	st := f32(stats)
	bad := 0
	for _, y := range ls[:n] {
		if y < 0 || int(y) >= c {
			bad++
		}
	}
	if bad > 0 {
		st[0], st[1], st[2] = 0, 0, float32(bad)
		return
	}
	loss, correct := SoftmaxCrossEntropy(f32(dlogits), f32(logits), ls, n, c, smoothing)
	st[0], st[1], st[2] = float32(loss), float32(correct), 0
	e.round(n*c, dlogits)
}
func (e *Engine) SGDStep(p, g, v engine.Buf, n int, lr, momentum, weightDecay float32, nesterov bool) {
	SGDStep(f32(p), f32(g), f32(v), n, lr, momentum, weightDecay, nesterov)
}

// UploadImages keeps the images as a data.Set (no copy).
func (e *Engine) UploadImages(images []uint8, labels []int32, h, w, c int) engine.ImageSet {
	return &data.Set{H: h, W: w, C: c, Images: images, Labels: labels}
}

// Batch assembles a batch with data.Set.Batch.
func (e *Engine) Batch(x engine.Buf, y engine.Ints, set engine.ImageSet, idx []int32, crops []int8, pad int, mean, std []float32) {
	s := set.(*data.Set)
	ix := make([]int, len(idx))
	for i, v := range idx {
		ix[i] = int(v)
	}
	var cs []data.Crop
	if crops != nil {
		cs = make([]data.Crop, len(idx))
		for i := range cs {
			cs[i] = data.Crop{DY: crops[3*i], DX: crops[3*i+1], Flip: crops[3*i+2] != 0}
		}
	}
	s.Batch(f32(x), y.(Int32s), ix, cs, pad, mean, std)
	e.round(len(idx)*s.H*s.W*s.C, x)
}

// stepAt returns t = counter[0] and whether it lies in [0, steps).
func stepAt(counter engine.Ints, steps int) (int, bool) {
	t := int(counter.(Int32s)[0])
	return t, t >= 0 && t < steps
}

// BatchAt is Batch with the indices idxs[t·n : (t+1)·n] and the crops crops[3·t·n :
// 3·(t+1)·n] of step t = counter[0]; it does nothing when t is outside [0, steps),
// steps = len(idxs)/n.
func (e *Engine) BatchAt(x engine.Buf, y engine.Ints, set engine.ImageSet, idxs, crops, counter engine.Ints, n, pad int, mean, std []float32) {
	t, ok := stepAt(counter, idxs.Len()/max(n, 1))
	if !ok || n == 0 {
		return
	}
	var cs []int8
	if crops != nil {
		cs = make([]int8, 3*n)
		for i, v := range crops.(Int32s)[3*t*n : 3*(t+1)*n] {
			cs[i] = int8(v)
		}
	}
	e.Batch(x, y, set, idxs.(Int32s)[t*n:(t+1)*n], cs, pad, mean, std)
}

// SGDStepAt is SGDStep with learning rate lrs[t], t = counter[0]; nothing when t is
// outside [0, len(lrs)).
func (e *Engine) SGDStepAt(p, g, v engine.Buf, n int, lrs engine.Buf, counter engine.Ints, momentum, weightDecay float32, nesterov bool) {
	if t, ok := stepAt(counter, lrs.Len()); ok {
		SGDStep(f32(p), f32(g), f32(v), n, f32(lrs)[t], momentum, weightDecay, nesterov)
	}
}

// CopyAt copies src[:n] into dst[t·n : (t+1)·n], t = counter[0]; nothing when t is
// outside [0, len(dst)/n).
func (e *Engine) CopyAt(dst, src engine.Buf, counter engine.Ints, n int) {
	if t, ok := stepAt(counter, dst.Len()/max(n, 1)); ok {
		copy(f32(dst)[t*n:(t+1)*n], f32(src)[:n])
	}
}

// Count adds one to counter[0].
func (e *Engine) Count(counter engine.Ints) { counter.(Int32s)[0]++ }

var _ engine.ResizedCropper = (*Engine)(nil)

// ResizedBatchAt assembles step t = counter[0]'s batch of random-resized crops with
// data.Set.ResizedBatch; nothing when t is outside [0, len(idxs)/n).
func (e *Engine) ResizedBatchAt(x engine.Buf, y engine.Ints, set engine.ImageSet, idxs, boxes, counter engine.Ints, n int, mean, std []float32) {
	t, ok := stepAt(counter, idxs.Len()/max(n, 1))
	if !ok || n == 0 {
		return
	}
	s := set.(*data.Set)
	ix := make([]int, n)
	for i, v := range idxs.(Int32s)[t*n : (t+1)*n] {
		ix[i] = int(v)
	}
	bs := make([]data.Box, n)
	raw := boxes.(Int32s)[5*t*n : 5*(t+1)*n]
	for i := range bs {
		q := raw[5*i : 5*i+5]
		bs[i] = data.Box{Top: q[0], Left: q[1], Height: q[2], Width: q[3], Flip: q[4] != 0}
	}
	s.ResizedBatch(f32(x), y.(Int32s), ix, bs, mean, std)
	e.round(n*s.H*s.W*s.C, x)
}
