//go:build cgo

package cuda

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/ddstools/dds/train/cpu"
	"github.com/ddstools/dds/train/data"
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
// float32 from the same bytes, which at most a fused multiply-add changes.
const batchTol = 1e-6

// checkBatch assembles the batches of bc on e and on the CPU engine and compares the
// images (relative error, guards untouched) and labels (exactly). It also checks that
// e's memory grows only when a batch is larger than every earlier one.
func checkBatch(t *testing.T, e *Engine, bc batchCase, seed uint64) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 0x6261))
	size := bc.h * bc.w * bc.c
	images := make([]uint8, bc.images*size)
	for i := range images {
		images[i] = uint8(r.IntN(256))
	}
	lab := make([]int32, bc.images)
	for i := range lab {
		lab[i] = int32(r.IntN(10))
	}
	mean, std := make([]float32, bc.c), make([]float32, bc.c)
	for i := range mean {
		mean[i], std[i] = float32(0.3+0.4*r.Float64()), float32(0.2+0.1*r.Float64())
	}
	maxN := 0
	for _, n := range bc.sizes {
		maxN = max(maxN, n)
	}
	init := values(r, maxN*size+2*guard, normal)
	c := cpu.NewEngine()
	cset, gset := c.UploadImages(images, lab, bc.h, bc.w, bc.c), e.UploadImages(images, lab, bc.h, bc.w, bc.c)
	if gset.Len() != bc.images {
		t.Fatalf("ImageSet.Len() = %d, want %d", gset.Len(), bc.images)
	}
	cx, gx := c.Alloc(len(init)), e.Alloc(len(init))
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
			if (i < guard || i >= guard+n*size) && got[i] != init[i] {
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

// TestBatch checks UploadImages and Batch on the GPU against the CPU engine.
func TestBatch(t *testing.T) {
	lib := gpuLibrary(t)
	for i, bc := range batchCases {
		t.Run(bc.String(), func(t *testing.T) {
			e, err := lib.NewEngine(0)
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			checkBatch(t, e, bc, uint64(i))
		})
	}
}
