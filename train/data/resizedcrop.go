package data

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ddstools/dds/internal/rng"
)

// Box is one random-resized crop: the window of Height rows and Width columns
// whose top-left pixel is at row Top, column Left of the source image, resized to
// the output size with bilinear interpolation and then mirrored left-right when
// Flip is set.
type Box struct {
	Top, Left, Height, Width int32
	Flip                     bool
}

// ResizedCrop describes the random-resized-crop augmentation of torchvision's
// RandomResizedCrop (and pycls's ImageNet training): a window whose area is a
// fraction in [MinScale, MaxScale] of the image's and whose aspect ratio
// (width/height) is in [MinRatio, MaxRatio], resized to the image's size, then a
// horizontal flip with probability 1/2 when Flip is set.
type ResizedCrop struct {
	MinScale, MaxScale float64
	MinRatio, MaxRatio float64
	Flip               bool
}

// ImageNetCrop is the training augmentation of pycls and torchvision on ImageNet:
// scale 0.08–1, ratio 3/4–4/3, and a flip.
var ImageNetCrop = ResizedCrop{MinScale: 0.08, MaxScale: 1, MinRatio: 3.0 / 4, MaxRatio: 4.0 / 3, Flip: true}

// resizedCropTries is how many windows Draw tries before its fallback.
const resizedCropTries = 10

// Draw fills boxes with independent draws from src for h×w images, following
// torchvision's RandomResizedCrop.get_params. For each box, up to 10 times: the
// target area is h·w·U(MinScale, MaxScale), the ratio exp(U(ln MinRatio,
// ln MaxRatio)), the width round(√(area·ratio)) and the height round(√(area/ratio))
// (round half to even, as Python's round); when both lie in [1, w] and [1, h] the
// top row is uniform in [0, h−height] and the left column in [0, w−width], and the
// box is taken. When no try fits, the fallback is the centred box of the whole image
// clamped to the ratio range: width w and height round(w/MinRatio) when w/h <
// MinRatio, height h and width round(h·MaxRatio) when w/h > MaxRatio, else the
// whole image; its corner is ((h−height)/2, (w−width)/2) rounded down. Then Flip =
// the top bit of src.Uint64() when r.Flip. U(a, b) = a + (b−a)·rng.Float64 and the
// integers come from rng.Intn, so a seeded PCG gives the same boxes everywhere.
func (r ResizedCrop) Draw(src *rand.PCG, h, w int, boxes []Box) {
	area := float64(h * w)
	lr0, lr1 := math.Log(r.MinRatio), math.Log(r.MaxRatio)
	for i := range boxes {
		b, ok := Box{}, false
		for range resizedCropTries {
			target := area * (r.MinScale + (r.MaxScale-r.MinScale)*rng.Float64(src))
			ratio := math.Exp(lr0 + (lr1-lr0)*rng.Float64(src))
			cw := int(math.RoundToEven(math.Sqrt(target * ratio)))
			ch := int(math.RoundToEven(math.Sqrt(target / ratio)))
			if cw > 0 && cw <= w && ch > 0 && ch <= h {
				top := int(rng.Intn(src, uint64(h-ch+1)))
				left := int(rng.Intn(src, uint64(w-cw+1)))
				b, ok = Box{Top: int32(top), Left: int32(left), Height: int32(ch), Width: int32(cw)}, true
				break
			}
		}
		if !ok {
			cw, ch := w, h
			if in := float64(w) / float64(h); in < r.MinRatio {
				ch = int(math.RoundToEven(float64(w) / r.MinRatio))
			} else if in > r.MaxRatio {
				cw = int(math.RoundToEven(float64(h) * r.MaxRatio))
			}
			b = Box{Top: int32((h - ch) / 2), Left: int32((w - cw) / 2), Height: int32(ch), Width: int32(cw)}
		}
		if r.Flip {
			b.Flip = src.Uint64()>>63 == 1
		}
		boxes[i] = b
	}
}

// bilinearTaps returns, for each of out output samples of a window of n input
// samples starting at off, the two input samples it interpolates and the weight of
// the second: the output sample j sits at input position (j + ½)·n/out − ½ within
// the window (half-pixel centres, as PyTorch's interpolate with align_corners
// false), clamped to [0, n−1].
func bilinearTaps(off, n, out int, lo, hi []int32, frac []float32) {
	scale := float64(n) / float64(out)
	for j := range out {
		p := (float64(j)+0.5)*scale - 0.5
		p = min(max(p, 0), float64(n-1))
		i := int(p)
		f := p - float64(i)
		i1 := min(i+1, n-1)
		lo[j], hi[j], frac[j] = int32(off+i), int32(off+i1), float32(f)
	}
}

// ResizedBatch assembles the examples idx of s into dst as float32 NHWC of the
// set's own size H×W, in idx order, with their labels into labels (unless nil).
// Example i is the window boxes[i] of its image resized to H×W by bilinear
// interpolation (bilinearTaps on each axis, on the uint8 values), mirrored
// left-right when boxes[i].Flip, and normalised to (v/255 − mean[c]) / std[c].
// Shapes are as in Batch; boxes must hold len(idx) boxes inside the image. It
// panics on shapes that do not fit, an index outside [0, Len()) or a box outside
// the image.
func (s *Set) ResizedBatch(dst []float32, labels []int32, idx []int, boxes []Box, mean, std []float32) {
	h, w, c := s.H, s.W, s.C
	size := h * w * c
	n := len(idx)
	switch {
	case len(dst) < n*size:
		panic(fmt.Sprintf("data: ResizedBatch: len(dst) = %d, want at least %d (%d images of %dx%dx%d)", len(dst), n*size, n, h, w, c))
	case labels != nil && len(labels) < n:
		panic(fmt.Sprintf("data: ResizedBatch: len(labels) = %d, want at least %d", len(labels), n))
	case len(boxes) < n:
		panic(fmt.Sprintf("data: ResizedBatch: len(boxes) = %d, want at least %d", len(boxes), n))
	case len(mean) < c || len(std) < c:
		panic(fmt.Sprintf("data: ResizedBatch: len(mean) = %d, len(std) = %d, want at least C = %d", len(mean), len(std), c))
	}
	scale := make([]float32, c)
	shift := make([]float32, c)
	for ch := range c {
		scale[ch] = 1 / (255 * std[ch])
		shift[ch] = mean[ch] / std[ch]
	}
	ylo, yhi, yf := make([]int32, h), make([]int32, h), make([]float32, h)
	xlo, xhi, xf := make([]int32, w), make([]int32, w), make([]float32, w)
	total := s.Len()
	for i, j := range idx {
		if j < 0 || j >= total {
			panic(fmt.Sprintf("data: ResizedBatch: idx[%d] = %d, want [0, %d)", i, j, total))
		}
		b := boxes[i]
		if b.Top < 0 || b.Left < 0 || b.Height < 1 || b.Width < 1 || int(b.Top+b.Height) > h || int(b.Left+b.Width) > w {
			panic(fmt.Sprintf("data: ResizedBatch: boxes[%d] = %+v, want a window inside the %dx%d image", i, b, h, w))
		}
		if labels != nil {
			labels[i] = s.Labels[j]
		}
		bilinearTaps(int(b.Top), int(b.Height), h, ylo, yhi, yf)
		bilinearTaps(int(b.Left), int(b.Width), w, xlo, xhi, xf)
		img := s.Images[j*size : (j+1)*size]
		out := dst[i*size : (i+1)*size]
		for y := range h {
			r0 := img[int(ylo[y])*w*c:]
			r1 := img[int(yhi[y])*w*c:]
			fy := yf[y]
			orow := out[y*w*c : (y+1)*w*c]
			for x := range w {
				a0, a1, fx := int(xlo[x])*c, int(xhi[x])*c, xf[x]
				ox := x
				if b.Flip {
					ox = w - 1 - x
				}
				op := orow[ox*c : (ox+1)*c]
				for ch := range c {
					top := float32(r0[a0+ch]) + fx*(float32(r0[a1+ch])-float32(r0[a0+ch]))
					bot := float32(r1[a0+ch]) + fx*(float32(r1[a1+ch])-float32(r1[a0+ch]))
					v := top + fy*(bot-top)
					op[ch] = v*scale[ch] - shift[ch]
				}
			}
		}
	}
}
