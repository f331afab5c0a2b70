package enginetest

import "github.com/ddstools/dds/train/engine"

// ConvTaps calls fn(xi, yi, wi) once for every term y[yi] += w[wi]·x[xi] of the
// convolution sum of s, skipping the taps that fall on the zero padding: the
// definition the naive engine's convolutions are written from, which package cpu's
// kernel tests use too.
func ConvTaps(s engine.Conv, fn func(xi, yi, wi int)) {
	cg, og := s.Cin/s.Groups, s.Cout/s.Groups
	oh, ow, p := s.OutH(), s.OutW(), s.K/2
	for n := 0; n < s.N; n++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				for o := 0; o < s.Cout; o++ {
					g := o / og
					for i := 0; i < s.K; i++ {
						for j := 0; j < s.K; j++ {
							iy, ix := oy*s.Stride+i-p, ox*s.Stride+j-p
							if iy < 0 || iy >= s.H || ix < 0 || ix >= s.W {
								continue
							}
							for c := 0; c < cg; c++ {
								xi := ((n*s.H+iy)*s.W+ix)*s.Cin + g*cg + c
								yi := ((n*oh+oy)*ow+ox)*s.Cout + o
								wi := ((o*s.K+i)*s.K+j)*cg + c
								fn(xi, yi, wi)
							}
						}
					}
				}
			}
		}
	}
}

// ConvForward: y[yi] = Σ w[wi]·x[xi] over the taps.
func (e *naive) ConvForward(y, x, w engine.Buf, s engine.Conv, _ engine.Buf) {
	xv, wv := in64(x, s.InLen()), e.weights(w, s.WeightLen())
	out := make([]float64, s.OutLen())
	ConvTaps(s, func(xi, yi, wi int) { out[yi] += wv[wi] * xv[xi] })
	store(y, out)
}

// ConvBackwardData: dx[xi] = Σ w[wi]·dy[yi] over the taps.
func (e *naive) ConvBackwardData(dx, dy, w engine.Buf, s engine.Conv, _ engine.Buf) {
	dyv, wv := in64(dy, s.OutLen()), e.weights(w, s.WeightLen())
	out := make([]float64, s.InLen())
	ConvTaps(s, func(xi, yi, wi int) { out[xi] += wv[wi] * dyv[yi] })
	store(dx, out)
}

// ConvBackwardWeight: dw[wi] = Σ dy[yi]·x[xi] over the taps.
func (e *naive) ConvBackwardWeight(dw, dy, x engine.Buf, s engine.Conv, _ engine.Buf) {
	dyv, xv := in64(dy, s.OutLen()), in64(x, s.InLen())
	out := make([]float64, s.WeightLen())
	ConvTaps(s, func(xi, yi, wi int) { out[wi] += dyv[yi] * xv[xi] })
	store(dw, out)
}
