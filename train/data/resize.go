package data

import (
	"image"
	"image/color"
	"math"
)

// roundHalfUp returns x rounded to the nearest integer, halves away from zero, for
// x ≥ 0.
func roundHalfUp(x float64) int { return int(x + 0.5) }

// ResizedSize returns the size (w2, h2) of a w×h image whose shorter side is resized
// to r with the aspect ratio kept: the shorter side becomes r, the longer one
// round(longer·r/shorter), at least r.
func ResizedSize(w, h, r int) (w2, h2 int) {
	if w <= h {
		return r, max(r, roundHalfUp(float64(h)*float64(r)/float64(w)))
	}
	return max(r, roundHalfUp(float64(w)*float64(r)/float64(h))), r
}

// taps is a 1-D resampling: output sample j is Σ weight[k]·in[first[j]+k] over k
// in [0, count[j]).
type taps struct {
	first, count []int
	weight       [][]float32
	lo, hi       int // the input samples used: [lo, hi)
}

// areaTaps returns the resampling of out output samples at positions off..off+out−1
// of an axis of n pixels resized to size, read from a plane holding k samples a
// pixel (1, or ½ and ¼ for subsampled chroma) and m samples in all. Area averaging:
// output sample j covers the pixel interval [(off+j)·n/size, (off+j+1)·n/size),
// which is [a, b) = k times that in plane samples, and plane sample i weighs the
// length of [i, i+1) inside [a, b), divided by b − a, so the weights sum to 1.
// Downscaling averages every sample under the output one (Pillow's BOX filter);
// upscaling repeats samples, blending two where an output sample straddles their
// boundary.
func areaTaps(n, size, off, out int, k float64, m int) taps {
	scale := float64(n) / float64(size) * k
	t := taps{first: make([]int, out), count: make([]int, out), weight: make([][]float32, out), lo: m}
	for j := range out {
		a := float64(off+j) * scale
		b := float64(off+j+1) * scale
		first := min(int(a), m-1)
		var ws []float32
		for i := first; float64(i) < b; i++ {
			w := (min(b, float64(i+1)) - max(a, float64(i))) / (b - a)
			if i >= m { // a plane sample beyond the last: fold into the last
				ws[len(ws)-1] += float32(w)
				continue
			}
			ws = append(ws, float32(w))
		}
		t.first[j], t.count[j], t.weight[j] = first, len(ws), ws
		t.lo, t.hi = min(t.lo, first), max(t.hi, first+len(ws))
	}
	return t
}

// plane is one channel of an image: sample (x, y) is pix[y·stride + x·step].
type plane struct {
	pix          []uint8
	stride, step int
	w, h         int     // samples
	kx, ky       float64 // samples a pixel on each axis
}

// resizer resamples decoded images into r×r crops: the shorter side resized to r
// (ResizedSize) by area averaging (areaTaps, separably: rows first, then columns,
// on each stored channel), then the centre r×r window, whose top-left corner is at
// ((w2−r)/2, (h2−r)/2) rounded down. A YCbCr image (a JPEG) is resampled in its
// own planes, the chroma at its subsampled resolution, and converted to RGB at the
// output with the JFIF equations (R = Y + 1.402(Cr−128), G = Y − 0.344136(Cb−128)
// − 0.714136(Cr−128), B = Y + 1.772(Cb−128)). It keeps its scratch between images;
// one resizer per goroutine.
type resizer struct {
	r     int
	hor   []float32    // one plane's horizontally resampled rows
	chans [3][]float32 // the resampled planes, r·r each
	rgba  *image.NRGBA // conversion target of other image types
}

// resize writes the r×r centre crop of img into out, out holding r·r·c bytes
// (c = 1: grey, c = 3: red, green, blue). A colour image written with c = 1 keeps
// its luma (0.299R + 0.587G + 0.114B; a JPEG's Y); a grey one written with c = 3
// repeats it in the three channels. Alpha is dropped (the colour channels are
// taken as stored, not blended).
func (z *resizer) resize(img image.Image, out []uint8, c int) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	var planes []plane
	ycc := false
	switch m := img.(type) {
	case *image.Gray:
		planes = []plane{{m.Pix, m.Stride, 1, w, h, 1, 1}}
	case *image.YCbCr:
		kx, ky := chromaScale(m.SubsampleRatio)
		if m.Rect.Min != (image.Point{}) || kx == 0 {
			planes = z.generic(img)
			break
		}
		cw, ch := int(math.Ceil(float64(w)*kx)), int(math.Ceil(float64(h)*ky))
		planes = []plane{{m.Y, m.YStride, 1, w, h, 1, 1}}
		if c == 3 {
			planes = append(planes, plane{m.Cb, m.CStride, 1, cw, ch, kx, ky}, plane{m.Cr, m.CStride, 1, cw, ch, kx, ky})
			ycc = true
		}
	case *image.NRGBA:
		planes = rgbPlanes(m.Pix, m.Stride, w, h)
	case *image.RGBA:
		planes = rgbPlanes(m.Pix, m.Stride, w, h)
	default:
		planes = z.generic(img)
	}
	r := z.r
	w2, h2 := ResizedSize(w, h, r)
	for i, p := range planes {
		if cap(z.chans[i]) < r*r {
			z.chans[i] = make([]float32, r*r)
		}
		z.resample(p, w, h, w2, h2, z.chans[i][:r*r])
	}
	put := func(v float32) uint8 { return uint8(min(255, max(0, v+0.5))) }
	switch {
	case len(planes) == 1:
		y := z.chans[0][:r*r]
		for q, v := range y {
			for k := range c {
				out[q*c+k] = put(v)
			}
		}
	case ycc:
		y, cb, cr := z.chans[0][:r*r], z.chans[1][:r*r], z.chans[2][:r*r]
		for q := range y {
			u, v := cb[q]-128, cr[q]-128
			out[3*q] = put(y[q] + 1.402*v)
			out[3*q+1] = put(y[q] - 0.344136*u - 0.714136*v)
			out[3*q+2] = put(y[q] + 1.772*u)
		}
	case c == 1:
		red, green, blue := z.chans[0][:r*r], z.chans[1][:r*r], z.chans[2][:r*r]
		for q := range red {
			out[q] = put(0.299*red[q] + 0.587*green[q] + 0.114*blue[q])
		}
	default:
		red, green, blue := z.chans[0][:r*r], z.chans[1][:r*r], z.chans[2][:r*r]
		for q := range red {
			out[3*q], out[3*q+1], out[3*q+2] = put(red[q]), put(green[q]), put(blue[q])
		}
	}
}

// resample writes the r×r centre crop of plane p of a w×h image resized to w2×h2
// into dst, as floats.
func (z *resizer) resample(p plane, w, h, w2, h2 int, dst []float32) {
	r := z.r
	xt := areaTaps(w, w2, (w2-r)/2, r, p.kx, p.w)
	yt := areaTaps(h, h2, (h2-r)/2, r, p.ky, p.h)
	rows := yt.hi - yt.lo
	if cap(z.hor) < rows*r {
		z.hor = make([]float32, rows*r)
	}
	hor := z.hor[:rows*r]
	for y := yt.lo; y < yt.hi; y++ {
		src := p.pix[y*p.stride:]
		o := hor[(y-yt.lo)*r : (y-yt.lo+1)*r]
		for j := range o {
			var s float32
			at := xt.first[j] * p.step
			for _, wt := range xt.weight[j] {
				s += wt * float32(src[at])
				at += p.step
			}
			o[j] = s
		}
	}
	for i := range r {
		o := dst[i*r : (i+1)*r]
		clear(o)
		for k, wt := range yt.weight[i] {
			row := hor[(yt.first[i]+k-yt.lo)*r : (yt.first[i]+k-yt.lo+1)*r]
			for j, v := range row {
				o[j] += wt * v
			}
		}
	}
}

// chromaScale returns the chroma samples a pixel on each axis of a subsampling
// ratio (0 for one this code does not know).
func chromaScale(s image.YCbCrSubsampleRatio) (kx, ky float64) {
	switch s {
	case image.YCbCrSubsampleRatio444:
		return 1, 1
	case image.YCbCrSubsampleRatio422:
		return 0.5, 1
	case image.YCbCrSubsampleRatio420:
		return 0.5, 0.5
	case image.YCbCrSubsampleRatio440:
		return 1, 0.5
	case image.YCbCrSubsampleRatio411:
		return 0.25, 1
	case image.YCbCrSubsampleRatio410:
		return 0.25, 0.5
	}
	return 0, 0
}

// rgbPlanes returns the red, green and blue planes of 4-byte-a-pixel RGBA data.
func rgbPlanes(pix []uint8, stride, w, h int) []plane {
	return []plane{{pix, stride, 4, w, h, 1, 1}, {pix[1:], stride, 4, w, h, 1, 1}, {pix[2:], stride, 4, w, h, 1, 1}}
}

// generic converts img to non-premultiplied RGBA (image/color's NRGBA model) and
// returns its planes.
func (z *resizer) generic(img image.Image) []plane {
	b := img.Bounds()
	if z.rgba == nil || z.rgba.Rect.Dx() != b.Dx() || z.rgba.Rect.Dy() != b.Dy() {
		z.rgba = image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	}
	m := z.rgba
	for y := range b.Dy() {
		for x := range b.Dx() {
			c := color.NRGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
			p := m.Pix[y*m.Stride+4*x:]
			p[0], p[1], p[2] = c.R, c.G, c.B
		}
	}
	return rgbPlanes(m.Pix, m.Stride, b.Dx(), b.Dy())
}

// isColour reports whether img is stored with colour (not a grey model).
func isColour(img image.Image) bool {
	switch m := img.(type) {
	case *image.Gray, *image.Gray16:
		return false
	case *image.YCbCr:
		return len(m.Cb) > 0
	case *image.Paletted:
		for _, c := range m.Palette {
			r, g, b, _ := c.RGBA()
			if r != g || g != b {
				return true
			}
		}
		return false
	}
	return true
}
