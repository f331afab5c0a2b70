package enginetest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/ddstools/dds/train/data"
	"github.com/ddstools/dds/train/engine"
)

// resizedCase is one run of ResizedBatchAt: steps batches of n random-resized crops
// of an image set of h×w×c images.
type resizedCase struct {
	images, h, w, c int
	n, steps        int
}

func (rc resizedCase) String() string {
	return fmt.Sprintf("%d_%dx%dx%d_n%d_steps%d", rc.images, rc.h, rc.w, rc.c, rc.n, rc.steps)
}

// resizedCases: colour and grey, wide, tall and square images, 16 channels (the most
// the CUDA library's batch kernels take), and n and steps that differ (so an engine
// that mixed them up selects other boxes).
var resizedCases = []resizedCase{
	{images: 12, h: 9, w: 13, c: 3, n: 4, steps: 3},
	{images: 10, h: 14, w: 6, c: 1, n: 3, steps: 4},
	{images: 8, h: 16, w: 16, c: 3, n: 5, steps: 2},
	{images: 6, h: 7, w: 5, c: 16, n: 2, steps: 3},
}

// edgeBoxes returns windows of an h×w image that touch its edges, as (top, left,
// height, width, flip): the whole image mirrored and not, the one-pixel corners,
// one-pixel strips along the last column and row, a quarter at the bottom-right
// corner, and the top rows at full width, mirrored.
func edgeBoxes(h, w int) [][5]int32 {
	h32, w32 := int32(h), int32(w)
	return [][5]int32{
		{0, 0, h32, w32, 1},
		{0, 0, h32, w32, 0},
		{0, 0, 1, 1, 0},
		{h32 - 1, w32 - 1, 1, 1, 1},
		{0, w32 - 1, h32, 1, 0},
		{h32 - 1, 0, 1, w32, 1},
		{h32 / 2, w32 / 2, h32 - h32/2, w32 - w32/2, 1},
		{0, 0, (h32 + 1) / 2, w32, 1},
	}
}

// resizedBoxes returns steps·n boxes as int32 (top, left, height, width, flip)
// quintuples: drawn with data.ImageNetCrop (flipped or not at random), every other
// one, from the first, replaced by the next of edgeBoxes.
func resizedBoxes(seed uint64, rc resizedCase) []int32 {
	bs := make([]data.Box, rc.steps*rc.n)
	data.ImageNetCrop.Draw(rand.NewPCG(seed, 0x7263), rc.h, rc.w, bs)
	edges := edgeBoxes(rc.h, rc.w)
	var out []int32
	for k, b := range bs {
		q := []int32{b.Top, b.Left, b.Height, b.Width, 0}
		if b.Flip {
			q[4] = 1
		}
		if k%2 == 0 {
			e := edges[(k/2)%len(edges)]
			copy(q, e[:])
		}
		out = append(out, q...)
	}
	return out
}

// resizedBufs is one engine's buffers for checkResized.
type resizedBufs struct {
	e                     engine.ResizedCropper
	set                   engine.ImageSet
	xFull, x              engine.Buf
	y, idxs, boxes, count engine.Ints
}

func newResizedBufs(e engine.ResizedCropper, rc resizedCase, images []uint8, lab, idx, boxes []int32, x0 []float32) *resizedBufs {
	b := &resizedBufs{e: e, set: e.UploadImages(images, lab, rc.h, rc.w, rc.c)}
	b.xFull = e.AllocAct(len(x0))
	e.Upload(b.xFull, x0)
	b.x = e.Slice(b.xFull, guard, len(x0)-2*guard)
	b.y, b.idxs, b.boxes, b.count = e.AllocInts(rc.n), e.AllocInts(len(idx)), e.AllocInts(len(boxes)), e.AllocInts(1)
	e.UploadInts(b.idxs, idx)
	e.UploadInts(b.boxes, boxes)
	return b
}

// resized checks ResizedBatchAt on subjects that implement engine.ResizedCropper
// (and skips the others); the reference must implement it too.
func (c *suite) resized(t *testing.T) {
	for i, rc := range resizedCases {
		t.Run(rc.String(), func(t *testing.T) {
			e, ref := c.newEngine(t, c.s), c.newEngine(t, c.ref)
			se, ok := e.(engine.ResizedCropper)
			if !ok {
				t.Skipf("%s does not assemble random-resized crops (engine.ResizedCropper)", e.Name())
			}
			re, ok := ref.(engine.ResizedCropper)
			if !ok {
				t.Fatalf("the reference %s does not assemble random-resized crops (engine.ResizedCropper)", ref.Name())
			}
			c.sum.add("resized_batch", c.p, c.checkResized(t, se, re, rc, uint64(i)))
		})
	}
}

// checkResized runs ResizedBatchAt on both engines from the same images, indices and
// boxes (resizedBoxes) with the counter at −1, 0, ..., steps, steps+3 in turn, and
// compares after each the whole output buffer, guards included: in FP32 within
// resizedTol, in BF16 within actTol with at most actDiffFrac of the values
// different; the labels exactly. Outside [0, steps) nothing may change (the
// previous step's batch stays, as it does on the reference). It returns the largest
// relative error.
func (c *suite) checkResized(t *testing.T, e, ref engine.ResizedCropper, rc resizedCase, seed uint64) float64 {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 0x7273))
	size := rc.h * rc.w * rc.c
	images, lab, mean, std := randomImages(r, rc.images, size, rc.c, 1000)
	idx := make([]int32, rc.steps*rc.n)
	for i := range idx {
		idx[i] = int32(r.IntN(rc.images))
	}
	boxes := resizedBoxes(seed, rc)
	x0 := values(r, rc.n*size+2*guard, normal)
	got := newResizedBufs(e, rc, images, lab, idx, boxes, x0)
	want := newResizedBufs(ref, rc, images, lab, idx, boxes, x0)
	largest := 0.0
	counters := []int{rc.steps + 3}
	for step := -1; step <= rc.steps; step++ {
		counters = append(counters, step)
	}
	for _, step := range counters {
		at := fmt.Sprintf("resized_batch %s %s, counter %d", c.p, rc, step)
		var outs [2][]float32
		var labs [2][]int32
		for k, b := range []*resizedBufs{got, want} {
			b.e.UploadInts(b.count, []int32{int32(step)})
			b.e.ResizedBatchAt(b.x, b.y, b.set, b.idxs, b.boxes, b.count, rc.n, mean, std)
			outs[k], labs[k] = make([]float32, len(x0)), make([]int32, rc.n)
			b.e.Download(outs[k], b.xFull)
			b.e.DownloadInts(labs[k], b.y)
			checkErr(t, b.e, at)
		}
		g, w := outs[0], outs[1]
		if c.p == engine.BF16 {
			if d := differing(g[guard:len(g)-guard], w[guard:len(w)-guard]); float64(d) > actDiffFrac*float64(len(w)-2*guard) {
				t.Errorf("%s: ResizedBatchAt x: %d of %d values differ, more than %g of them", at, d, len(w)-2*guard, actDiffFrac)
			}
			largest = max(largest, compareGuarded(t, at+": ResizedBatchAt x", g, w, actTol))
		} else {
			largest = max(largest, compareGuarded(t, at+": ResizedBatchAt x", g, w, resizedTol))
		}
		if !slices.Equal(labs[0], labs[1]) {
			t.Errorf("%s: ResizedBatchAt labels %v, %s has %v", at, labs[0], ref.Name(), labs[1])
		}
		if step >= 0 && step < rc.steps {
			checkResizedStep(t, at, g[guard:len(g)-guard], rc, boxes[5*step*rc.n:5*(step+1)*rc.n], images, idx[step*rc.n:(step+1)*rc.n], mean, std)
		}
	}
	return largest
}

// checkResizedStep checks what a correct batch must hold whatever the reference
// says: a box covering the whole image reproduces it (mirrored when flipped), and a
// one-pixel box fills the output with that pixel, up to float32 rounding of the
// normalisation (and bfloat16 rounding, which stays within 2^-8 relative).
func checkResizedStep(t *testing.T, at string, x []float32, rc resizedCase, boxes []int32, images []uint8, idx []int32, mean, std []float32) {
	t.Helper()
	size := rc.h * rc.w * rc.c
	for i := range rc.n {
		b := boxes[5*i : 5*i+5]
		whole := b[0] == 0 && b[1] == 0 && int(b[2]) == rc.h && int(b[3]) == rc.w
		if !whole && (b[2] != 1 || b[3] != 1) {
			continue
		}
		img := images[int(idx[i])*size : (int(idx[i])+1)*size]
		for r := range rc.h {
			for col := range rc.w {
				sr, sc := r, col
				if b[4] != 0 {
					sc = rc.w - 1 - col
				}
				if !whole {
					sr, sc = int(b[0]), int(b[1])
				}
				for ch := range rc.c {
					v := float64(img[(sr*rc.w+sc)*rc.c+ch])
					want := (v/255 - float64(mean[ch])) / float64(std[ch])
					g := float64(x[i*size+(r*rc.w+col)*rc.c+ch])
					if math.Abs(g-want) > 1e-5+math.Abs(want)/256 {
						t.Errorf("%s: example %d (box %v) at (%d, %d, %d): %g, want %g", at, i, b, r, col, ch, g, want)
						return
					}
				}
			}
		}
	}
}
