//go:build cgo

package cuda

// #include "trampolines.h"
import "C"

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/ddstools/dds/train/engine"
)

// steps returns the number of steps a buffer of l values holds at n per step (0 when
// n is 0), at most math.MaxInt32: the counter is an int32, so no step beyond that is
// ever selected.
func steps(l, n int) C.int {
	if n <= 0 {
		return 0
	}
	return C.int(min(l/n, math.MaxInt32))
}

// stepIdxs returns the address of idxs, the examples of the steps of n examples
// each, and the number of steps it holds, panicking when n < 0 or idxs holds less
// than one step.
func stepIdxs(idxs engine.Ints, n int, op string) (C.uintptr_t, C.int) {
	if n < 0 {
		panic(fmt.Sprintf("cuda: %s: n = %d", op, n))
	}
	return ints(idxs, n, op, "idxs"), steps(idxs.Len(), n)
}

// BatchAt is dds_batch_at: Batch of the n examples idxs[t·n : (t+1)·n] with the
// crops crops[3·t·n : 3·(t+1)·n] (int32 DY, DX, flip triples; nil: no augmentation)
// of step t = counter[0], read on the device when the operation runs; nothing when t
// is outside [0, steps), steps = idxs.Len()/n. The lengths are checked here; the
// indices and crops, being in device memory, are not: an index must lie in [0,
// set.Len()) (the kernel reads the image it names), a crop offset outside [0, 2·pad]
// reads as padding.
func (e *Engine) BatchAt(x engine.Buf, y engine.Ints, set engine.ImageSet, idxs, crops, counter engine.Ints, n, pad int, mean, std []float32) {
	const op = "BatchAt"
	s := imageSet(set, op)
	ip, st := stepIdxs(idxs, n, op)
	var cp C.uintptr_t
	if crops != nil {
		cp = ints(crops, 3*int(st)*n, op, "crops")
	}
	xp, yp, ctr := e.act(x, n*s.h*s.w*s.c, op, "x"), ints(y, n, op, "y"), ints(counter, 1, op, "counter")
	s.checkNorm(op, mean, std)
	switch {
	case crops != nil && (pad < 0 || pad > 63):
		panic(fmt.Sprintf("cuda: BatchAt: pad = %d, want [0, 63]", pad))
	}
	if n == 0 || st == 0 {
		return
	}
	C.go_batch_at(e.t, e.c(), xp, yp, C.uintptr_t(s.images), C.uintptr_t(s.labels), ip, cp, ctr, st,
		C.int(n), C.int(s.h), C.int(s.w), C.int(s.c), C.int(pad),
		(*C.float)(unsafe.Pointer(unsafe.SliceData(mean))), (*C.float)(unsafe.Pointer(unsafe.SliceData(std))))
}

var _ engine.ResizedCropper = (*Engine)(nil)

// ResizedBatchAt is dds_resized_batch_at: step t = counter[0]'s batch of
// random-resized crops with the semantics of data.Set.ResizedBatch (and the CPU
// engine's float32 arithmetic): the n examples idxs[t·n : (t+1)·n], example i cut to
// the window boxes[5k : 5k+5] (k = t·n + i; top, left, height, width, flip) and
// resized bilinearly to the set's H×W, mirrored when flip != 0, normalised with mean
// and std into x [n][H][W][C], their labels into y; t is read on the device when the
// operation runs, and nothing happens when it is outside [0, steps), steps =
// idxs.Len()/n. The lengths are checked here; the indices and boxes, being in device
// memory, are not: an index must lie in [0, set.Len()) (the kernel reads the image it
// names), and a box outside the image reads the image's edge pixels where
// data.Set.ResizedBatch would panic.
func (e *Engine) ResizedBatchAt(x engine.Buf, y engine.Ints, set engine.ImageSet, idxs, boxes, counter engine.Ints, n int, mean, std []float32) {
	const op = "ResizedBatchAt"
	s := imageSet(set, op)
	ip, st := stepIdxs(idxs, n, op)
	bp := ints(boxes, 5*int(st)*n, op, "boxes")
	xp, yp, ctr := e.act(x, n*s.h*s.w*s.c, op, "x"), ints(y, n, op, "y"), ints(counter, 1, op, "counter")
	s.checkNorm(op, mean, std)
	if n == 0 || st == 0 {
		return
	}
	C.go_resized_batch_at(e.t, e.c(), xp, yp, C.uintptr_t(s.images), C.uintptr_t(s.labels), ip, bp, ctr, st,
		C.int(n), C.int(s.h), C.int(s.w), C.int(s.c),
		(*C.float)(unsafe.Pointer(unsafe.SliceData(mean))), (*C.float)(unsafe.Pointer(unsafe.SliceData(std))))
}

// SGDStepAt is dds_sgd_step_at: SGDStep with learning rate lrs[t], t = counter[0]
// read on the device; nothing when t is outside [0, lrs.Len()).
func (e *Engine) SGDStepAt(p, g, v engine.Buf, n int, lrs engine.Buf, counter engine.Ints, momentum, weightDecay float32, nesterov bool) {
	const op = "SGDStepAt"
	lp := need(lrs, 0, op, "lrs")
	C.go_sgd_step_at(e.t, e.c(), need(p, n, op, "p"), need(g, n, op, "g"), need(v, n, op, "v"), C.int64_t(n),
		lp, ints(counter, 1, op, "counter"), steps(lrs.Len(), 1), C.float(momentum), C.float(weightDecay), cbool(nesterov))
}

// CopyAt is dds_copy_at: src[:n] into dst[t·n : (t+1)·n], t = counter[0] read on the
// device; nothing when t is outside [0, dst.Len()/n).
func (e *Engine) CopyAt(dst, src engine.Buf, counter engine.Ints, n int) {
	const op = "CopyAt"
	if n < 0 || n > math.MaxInt32 {
		panic(fmt.Sprintf("cuda: CopyAt: n = %d", n))
	}
	dp := need(dst, n, op, "dst")
	C.go_copy_at(e.t, e.c(), dp, need(src, n, op, "src"), ints(counter, 1, op, "counter"), steps(dst.Len(), n), C.int(n))
}

// Count is dds_count: counter[0] += 1, on the device.
func (e *Engine) Count(counter engine.Ints) {
	C.go_count(e.t, e.c(), ints(counter, 1, "Count", "counter"))
}
