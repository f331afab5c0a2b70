package cpu

// Squeeze-excitation pieces. With x [n][hw][c] an NHWC activation (hw = H·W pixels)
// and s [n][c] one gate per image and channel, the excitation scales every pixel of a
// channel by its gate. The SE block's squeeze is AvgPoolForward, its two 1×1 convs on
// the 1×1 map are LinearForward with bias, its gate SigmoidForward.

// ScaleForward sets y[b,p,ch] = x[b,p,ch]·s[b,ch] for b < n, p < hw, ch < c. y may be x.
// Images are split over the workers.
func ScaleForward(y, x, s []float32, n, hw, c int) {
	checkLen("ScaleForward", n*hw*c, y, x)
	checkLen("ScaleForward", n*c, s)
	ParallelN(n, min(Workers(), n*hw*c/elementGrain), func(_, lo, hi int) {
		for b := lo; b < hi; b++ {
			sr := s[b*c:][:c]
			for p := 0; p < hw; p++ {
				xr := x[(b*hw+p)*c:][:c]
				yr := y[(b*hw+p)*c:][:c]
				for ch, v := range xr {
					yr[ch] = v * sr[ch]
				}
			}
		}
	})
}

// ScaleBackward is the backward pass of ScaleForward:
//
//	dx[b,p,ch] = dy[b,p,ch]·s[b,ch]
//	ds[b,ch]   = Σ_p dy[b,p,ch]·x[b,p,ch]
//
// both overwritten. dx may be dy (ds is taken before dx is written).
func ScaleBackward(dx, ds, dy, x, s []float32, n, hw, c int) {
	checkLen("ScaleBackward", n*hw*c, dx, dy, x)
	checkLen("ScaleBackward", n*c, ds, s)
	ParallelN(n, min(Workers(), n*hw*c/elementGrain), func(_, lo, hi int) {
		for b := lo; b < hi; b++ {
			sr := s[b*c:][:c]
			dsr := ds[b*c:][:c]
			clear(dsr)
			for p := 0; p < hw; p++ {
				xr := x[(b*hw+p)*c:][:c]
				dyr := dy[(b*hw+p)*c:][:c]
				dxr := dx[(b*hw+p)*c:][:c]
				for ch, g := range dyr {
					dsr[ch] += g * xr[ch]
					dxr[ch] = g * sr[ch]
				}
			}
		}
	})
}
