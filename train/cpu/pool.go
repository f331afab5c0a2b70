package cpu

// AvgPoolForward is global average pooling, NHWC to NC: for x [n][hw][c] (hw = H·W),
//
//	y[b,ch] = 1/hw Σ_p x[b,p,ch]
//
// with y [n][c]. Images are split over the workers.
func AvgPoolForward(y, x []float32, n, hw, c int) {
	checkLen("AvgPoolForward", n*hw*c, x)
	checkLen("AvgPoolForward", n*c, y)
	if hw < 1 {
		panic("cpu: AvgPoolForward: hw < 1")
	}
	inv := 1 / float32(hw)
	ParallelN(n, min(Workers(), n*hw*c/elementGrain), func(_, lo, hi int) {
		for b := lo; b < hi; b++ {
			yr := y[b*c:][:c]
			clear(yr)
			for p := 0; p < hw; p++ {
				for ch, v := range x[(b*hw+p)*c:][:c] {
					yr[ch] += v
				}
			}
			for ch := range yr {
				yr[ch] *= inv
			}
		}
	})
}

// AvgPoolBackward is the backward pass of AvgPoolForward: dx[b,p,ch] = dy[b,ch]/hw,
// overwriting dx [n][hw][c].
func AvgPoolBackward(dx, dy []float32, n, hw, c int) {
	checkLen("AvgPoolBackward", n*hw*c, dx)
	checkLen("AvgPoolBackward", n*c, dy)
	if hw < 1 {
		panic("cpu: AvgPoolBackward: hw < 1")
	}
	inv := 1 / float32(hw)
	ParallelN(n, min(Workers(), n*hw*c/elementGrain), func(_, lo, hi int) {
		for b := lo; b < hi; b++ {
			dyr := dy[b*c:][:c]
			for p := 0; p < hw; p++ {
				dxr := dx[(b*hw+p)*c:][:c]
				for ch, g := range dyr {
					dxr[ch] = g * inv
				}
			}
		}
	})
}
