//go:build cgo

package cuda

// #include "trampolines.h"
import "C"

import (
	"fmt"
	"unsafe"

	"github.com/ddstools/dds/train/engine"
)

// maxBatchChannels is the most channels dds_batch normalises (its mean and std
// arrays travel by value).
const maxBatchChannels = 16

// imageSet returns set as an *ImageSet, panicking when it is nil or another
// engine's.
func imageSet(set engine.ImageSet, op string) *ImageSet {
	s, ok := set.(*ImageSet)
	if !ok || s == nil {
		panic(fmt.Sprintf("cuda: %s: set is %T, not a CUDA engine image set", op, set))
	}
	return s
}

// checkNorm panics unless s has at most maxBatchChannels channels and mean and std
// a value for each.
func (s *ImageSet) checkNorm(op string, mean, std []float32) {
	switch {
	case s.c > maxBatchChannels:
		panic(fmt.Sprintf("cuda: %s: %d channels, at most %d", op, s.c, maxBatchChannels))
	case len(mean) < s.c || len(std) < s.c:
		panic(fmt.Sprintf("cuda: %s: len(mean) = %d, len(std) = %d, want at least C = %d", op, len(mean), len(std), s.c))
	}
}

// UploadImages copies n = len(labels) images [h][w][c] (uint8) and their labels to
// device memory once (dds_alloc, dds_upload) and returns them as an *ImageSet for
// Batch. len(images) must be n·h·w·c.
func (e *Engine) UploadImages(images []uint8, lab []int32, h, w, c int) engine.ImageSet {
	n := len(lab)
	if h < 1 || w < 1 || c < 1 || len(images) != n*h*w*c {
		panic(fmt.Sprintf("cuda: UploadImages: %d bytes for %d images of %dx%dx%d", len(images), n, h, w, c))
	}
	s := &ImageSet{n: n, h: h, w: w, c: c}
	if n == 0 {
		return s
	}
	ctx := e.c()
	s.images, s.labels = e.alloc(len(images)), e.alloc(4*n)
	C.go_upload(e.t, ctx, C.uintptr_t(s.images), unsafe.Pointer(unsafe.SliceData(images)), C.size_t(len(images)))
	C.go_upload(e.t, ctx, C.uintptr_t(s.labels), unsafe.Pointer(unsafe.SliceData(lab)), C.size_t(4*n))
	return s
}

// Batch is dds_batch: examples idx of set, augmented by crops (nil: none) with
// padding pad and normalised with mean and std, into x [len(idx)][H][W][C], their
// labels into y, with the semantics of data.Set.Batch. idx and crops are copied into
// the engine's staging buffers in device memory first (in the same cgo call). It
// panics, as data.Set.Batch does, on short buffers, an index outside the set, a crop
// offset outside [0, 2·pad] or pad outside [0, 63].
func (e *Engine) Batch(x engine.Buf, y engine.Ints, set engine.ImageSet, idx []int32, crops []int8, pad int, mean, std []float32) {
	const op = "Batch"
	s := imageSet(set, op)
	n := len(idx)
	xp, yp := e.act(x, n*s.h*s.w*s.c, op, "x"), ints(y, n, op, "y")
	s.checkNorm(op, mean, std)
	switch {
	case crops != nil && len(crops) < 3*n:
		panic(fmt.Sprintf("cuda: Batch: len(crops) = %d, want at least %d", len(crops), 3*n))
	case crops != nil && (pad < 0 || pad > 63):
		panic(fmt.Sprintf("cuda: Batch: pad = %d, want [0, 63]", pad))
	}
	for i, v := range idx {
		if v < 0 || int(v) >= s.n {
			panic(fmt.Sprintf("cuda: Batch: idx[%d] = %d, want [0, %d)", i, v, s.n))
		}
	}
	if crops != nil {
		for i := range n {
			if dy, dx := int(crops[3*i]), int(crops[3*i+1]); dy < 0 || dx < 0 || dy > 2*pad || dx > 2*pad {
				panic(fmt.Sprintf("cuda: Batch: crops[%d] = {DY:%d DX:%d}, want DY, DX in [0, %d]", i, dy, dx, 2*pad))
			}
		}
	}
	if n == 0 {
		return
	}
	ctx := e.c()
	if n > e.idxCap {
		e.idx, e.idxCap = e.alloc(4*n), n
	}
	var cp *C.int8_t
	if crops != nil {
		if n > e.cropsCap {
			e.crops, e.cropsCap = e.alloc(3*n), n
		}
		cp = (*C.int8_t)(unsafe.Pointer(unsafe.SliceData(crops)))
	}
	C.go_batch(e.t, ctx, xp, yp, C.uintptr_t(s.images), C.uintptr_t(s.labels),
		C.uintptr_t(e.idx), (*C.int32_t)(unsafe.Pointer(unsafe.SliceData(idx))), C.uintptr_t(e.crops), cp,
		C.int(n), C.int(s.h), C.int(s.w), C.int(s.c), C.int(pad),
		(*C.float)(unsafe.Pointer(unsafe.SliceData(mean))), (*C.float)(unsafe.Pointer(unsafe.SliceData(std))))
}
