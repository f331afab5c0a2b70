package data

import (
	"image"
	"image/color"
)

// tap is one input sample's weight in an output sample of a 1-D resampling.
type tap struct {
	src    int
	weight float32
}

// areaTaps returns, for each of the out output samples at positions off..off+out-1
// of an axis of n input samples resized to size samples, the input samples it
// covers and their weights. Area averaging: output sample j covers the input
// interval [j·n/size, (j+1)·n/size), and input sample i weighs the length of
// [i, i+1) inside it, divided by the interval's length n/size, so the weights sum
// to 1. Downscaling averages every input sample under the output one (Pillow's BOX
// filter); upscaling repeats input samples, blending two where an output sample
// straddles their boundary.
func areaTaps(n, size, off, out int) [][]tap {
	scale := float64(n) / float64(size)
	taps := make([][]tap, out)
	for j := range out {
		lo := float64(off+j) * scale
		hi := float64(off+j+1) * scale
		var ts []tap
		for i := int(lo); i < n && float64(i) < hi; i++ {
			w := min(hi, float64(i+1)) - max(lo, float64(i))
			if w > 0 {
				ts = append(ts, tap{i, float32(w / scale)})
			}
		}
		taps[j] = ts
	}
	return taps
}

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

// resizer resamples decoded images into r×r crops: the shorter side resized to r
// (ResizedSize) by area averaging (areaTaps, separably: rows first, then columns),
// then the centre r×r window, whose top-left corner is at ((w2−r)/2, (h2−r)/2)
// rounded down. It keeps its scratch rows between images; one resizer per
// goroutine.
type resizer struct {
	r   int
	row []float32 // one source row, as c floats a pixel
	hor []float32 // the horizontally resampled source rows, [rows][r][c]
	rgb []uint8   // one source row converted to RGB
}

// resize writes the r×r centre crop of img into out, out holding r·r·c bytes
// (c = 1: grey, c = 3: red, green, blue). A colour image written with c = 1 keeps
// its luma ((19595R + 38470G + 7471B + 2^15) >> 16, as image/color's Gray model);
// a grey one written with c = 3 repeats it in the three channels. Alpha is
// dropped. It reports whether the image is colour.
func (z *resizer) resize(img image.Image, out []uint8, c int) {
	r := z.r
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	w2, h2 := ResizedSize(w, h, r)
	xt := areaTaps(w, w2, (w2-r)/2, r)
	yt := areaTaps(h, h2, (h2-r)/2, r)
	y0, y1 := yt[0][0].src, yt[r-1][len(yt[r-1])-1].src+1 // source rows used
	x0, x1 := xt[0][0].src, xt[r-1][len(xt[r-1])-1].src+1 // source columns used
	rows := y1 - y0
	if cap(z.hor) < rows*r*c {
		z.hor = make([]float32, rows*r*c)
	}
	hor := z.hor[:rows*r*c]
	if cap(z.row) < w*c {
		z.row = make([]float32, w*c)
	}
	src := z.row[:w*c]
	for y := y0; y < y1; y++ {
		z.sourceRow(img, b, y, x0, x1, c, src)
		dst := hor[(y-y0)*r*c : (y-y0+1)*r*c]
		for j, ts := range xt {
			if c == 1 {
				var s float32
				for _, t := range ts {
					s += t.weight * src[t.src]
				}
				dst[j] = s
				continue
			}
			var s0, s1, s2 float32
			for _, t := range ts {
				p := src[3*t.src : 3*t.src+3]
				s0 += t.weight * p[0]
				s1 += t.weight * p[1]
				s2 += t.weight * p[2]
			}
			dst[3*j], dst[3*j+1], dst[3*j+2] = s0, s1, s2
		}
	}
	for i, ts := range yt {
		o := out[i*r*c : (i+1)*r*c]
		for k := range o {
			var s float32
			for _, t := range ts {
				s += t.weight * hor[(t.src-y0)*r*c+k]
			}
			o[k] = uint8(min(255, max(0, s+0.5)))
		}
	}
}

// sourceRow converts columns [x0, x1) of row y (relative to the bounds' origin) of
// img to c floats a pixel in dst (indexed by column).
func (z *resizer) sourceRow(img image.Image, b image.Rectangle, y, x0, x1, c int, dst []float32) {
	switch m := img.(type) {
	case *image.Gray:
		p := m.Pix[y*m.Stride:]
		for x := x0; x < x1; x++ {
			v := float32(p[x])
			if c == 1 {
				dst[x] = v
			} else {
				dst[3*x], dst[3*x+1], dst[3*x+2] = v, v, v
			}
		}
		return
	case *image.YCbCr:
		if c == 1 {
			p := m.Y[y*m.YStride:]
			for x := x0; x < x1; x++ {
				dst[x] = float32(p[x])
			}
			return
		}
		if cap(z.rgb) < 3*(x1-x0) {
			z.rgb = make([]uint8, 3*(x1-x0))
		}
		ycbcrRow(m, y, x0, x1, z.rgb)
		for x := x0; x < x1; x++ {
			q := z.rgb[3*(x-x0):]
			dst[3*x], dst[3*x+1], dst[3*x+2] = float32(q[0]), float32(q[1]), float32(q[2])
		}
		return
	case *image.NRGBA:
		p := m.Pix[y*m.Stride:]
		for x := x0; x < x1; x++ {
			q := p[4*x : 4*x+3]
			putRGB(dst, x, c, q[0], q[1], q[2])
		}
		return
	case *image.RGBA:
		p := m.Pix[y*m.Stride:]
		for x := x0; x < x1; x++ {
			q := p[4*x : 4*x+3]
			putRGB(dst, x, c, q[0], q[1], q[2])
		}
		return
	}
	for x := x0; x < x1; x++ {
		col := color.NRGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
		putRGB(dst, x, c, col.R, col.G, col.B)
	}
}

// putRGB stores one pixel as c floats: the three channels, or their luma for c = 1.
func putRGB(dst []float32, x, c int, r, g, b uint8) {
	if c == 1 {
		dst[x] = float32((19595*uint32(r) + 38470*uint32(g) + 7471*uint32(b) + 1<<15) >> 16)
		return
	}
	dst[3*x], dst[3*x+1], dst[3*x+2] = float32(r), float32(g), float32(b)
}

// ycbcrRow converts columns [x0, x1) of row y of m to RGB bytes in out, with
// image/color's YCbCrToRGB (JFIF full-range coefficients) at each pixel's chroma
// sample.
func ycbcrRow(m *image.YCbCr, y, x0, x1 int, out []uint8) {
	by := m.Rect.Min.Y + y
	bx := m.Rect.Min.X
	yrow := m.Y[y*m.YStride:]
	for x := x0; x < x1; x++ {
		ci := m.COffset(bx+x, by)
		r, g, b := color.YCbCrToRGB(yrow[x], m.Cb[ci], m.Cr[ci])
		q := out[3*(x-x0):]
		q[0], q[1], q[2] = r, g, b
	}
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
