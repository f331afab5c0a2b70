package enginetest

import (
	"math"

	"github.com/ddstools/dds/train/engine"
)

func (e *naive) UploadImages(images []uint8, labels []int32, h, w, c int) engine.ImageSet {
	return &nset{images: images, labels: labels, h: h, w: w, c: c}
}

// Batch: output pixel (y, x) of image i is pixel (y + DY − pad, x + DX − pad) of
// example idx[i] mirrored left-right when flipped, or 0 outside it, each value v
// normalised to (v/255 − mean[c])/std[c]; its label into y.
func (e *naive) Batch(x engine.Buf, y engine.Ints, set engine.ImageSet, idx []int32, crops []int8, pad int, mean, std []float32) {
	s := set.(*nset)
	size := s.h * s.w * s.c
	out := make([]float64, len(idx)*size)
	for i, j := range idx {
		y.(nints)[i] = s.labels[j]
		dy, dx, flip := 0, 0, false
		if crops != nil {
			dy, dx, flip = int(crops[3*i])-pad, int(crops[3*i+1])-pad, crops[3*i+2] != 0
		}
		for r := range s.h {
			for col := range s.w {
				sy, sx := r+dy, col+dx
				if sy < 0 || sy >= s.h || sx < 0 || sx >= s.w {
					continue
				}
				if flip {
					sx = s.w - 1 - sx
				}
				for ch := range s.c {
					v := float64(s.images[int(j)*size+(sy*s.w+sx)*s.c+ch])
					out[i*size+(r*s.w+col)*s.c+ch] = (v/255 - float64(mean[ch])) / float64(std[ch])
				}
			}
		}
	}
	store(x, out)
}

// at returns counter[0] and whether it lies in [0, steps).
func at(counter engine.Ints, steps int) (int, bool) {
	t := int(counter.(nints)[0])
	return t, t >= 0 && t < steps
}

func (e *naive) BatchAt(x engine.Buf, y engine.Ints, set engine.ImageSet, idxs, crops, counter engine.Ints, n, pad int, mean, std []float32) {
	t, ok := at(counter, idxs.Len()/max(n, 1))
	if !ok || n == 0 {
		return
	}
	var cs []int8
	if crops != nil {
		for _, v := range crops.(nints)[3*t*n : 3*(t+1)*n] {
			cs = append(cs, int8(v))
		}
	}
	e.Batch(x, y, set, idxs.(nints)[t*n:(t+1)*n], cs, pad, mean, std)
}

func (e *naive) SGDStepAt(p, g, v engine.Buf, n int, lrs engine.Buf, counter engine.Ints, momentum, weightDecay float32, nesterov bool) {
	if t, ok := at(counter, lrs.Len()); ok {
		e.SGDStep(p, g, v, n, nb(lrs).v[t], momentum, weightDecay, nesterov)
	}
}

func (e *naive) CopyAt(dst, src engine.Buf, counter engine.Ints, n int) {
	if t, ok := at(counter, dst.Len()/max(n, 1)); ok {
		copy(nb(dst).v[t*n:(t+1)*n], nb(src).v[:n])
	}
}

func (e *naive) Count(counter engine.Ints) { counter.(nints)[0]++ }

var _ engine.ResizedCropper = (*naive)(nil)

// resizedSample returns, for output sample j of out samples over a window of n input
// samples, the first input sample it reads, the second, and the weight of the
// second: the position (j + ½)·n/out − ½ (half-pixel centres), clamped to [0, n−1],
// between ⌊p⌋ and min(⌊p⌋+1, n−1).
func resizedSample(j, n, out int) (i0, i1 int, f float64) {
	p := (float64(j)+0.5)*float64(n)/float64(out) - 0.5
	p = math.Min(math.Max(p, 0), float64(n-1))
	i0 = int(math.Floor(p))
	return i0, min(i0+1, n-1), p - math.Floor(p)
}

// ResizedBatchAt: for step t = counter[0] in [0, len(idxs)/n), output pixel (r, col)
// of example i (k = t·n + i, box (top, left, height, width, flip) = boxes[5k:5k+5])
// is the bilinear interpolation (1−fy)·((1−fx)·a + fx·b) + fy·((1−fx)·c + fx·d) of
// the four pixels around the sample (resizedSample on each axis) of row r and column
// col' = w−1−col when flipped (else col) of the window, then (v/255 − mean)/std; its
// label into y.
func (e *naive) ResizedBatchAt(x engine.Buf, y engine.Ints, set engine.ImageSet, idxs, boxes, counter engine.Ints, n int, mean, std []float32) {
	t, ok := at(counter, idxs.Len()/max(n, 1))
	if !ok || n == 0 {
		return
	}
	s := set.(*nset)
	size := s.h * s.w * s.c
	out := make([]float64, n*size)
	for i := range n {
		k := t*n + i
		j := int(idxs.(nints)[k])
		b := boxes.(nints)[5*k : 5*k+5]
		top, left, bh, bw, flip := int(b[0]), int(b[1]), int(b[2]), int(b[3]), b[4] != 0
		y.(nints)[i] = s.labels[j]
		pix := func(r, col, ch int) float64 {
			return float64(s.images[j*size+((top+r)*s.w+left+col)*s.c+ch])
		}
		for r := range s.h {
			y0, y1, fy := resizedSample(r, bh, s.h)
			for col := range s.w {
				src := col
				if flip {
					src = s.w - 1 - col
				}
				x0, x1, fx := resizedSample(src, bw, s.w)
				for ch := range s.c {
					v := (1-fy)*((1-fx)*pix(y0, x0, ch)+fx*pix(y0, x1, ch)) + fy*((1-fx)*pix(y1, x0, ch)+fx*pix(y1, x1, ch))
					out[i*size+(r*s.w+col)*s.c+ch] = (v/255 - float64(mean[ch])) / float64(std[ch])
				}
			}
		}
	}
	store(x, out)
}
