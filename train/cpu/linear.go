package cpu

// LinearForward is a fully connected layer with optional bias (nil for none):
//
//	y[b,o] = Σ_i x[b,i]·w[o,i] + bias[o]
//
// with x [n][in], w [out][in] (PyTorch's layout), bias [out], y [n][out].
func LinearForward(y, x, w, bias []float32, n, in, out int) {
	checkLen("LinearForward", n*in, x)
	checkLen("LinearForward", out*in, w)
	checkLen("LinearForward", n*out, y)
	beta := float32(0)
	if bias != nil {
		checkLen("LinearForward", out, bias)
		for b := 0; b < n; b++ {
			copy(y[b*out:][:out], bias[:out])
		}
		beta = 1
	}
	Sgemm(false, true, n, out, in, 1, x, in, w, in, beta, y, out)
}

// LinearBackward is the backward pass of LinearForward:
//
//	dx[b,i]   = Σ_o dy[b,o]·w[o,i]
//	dw[o,i]   = Σ_b dy[b,o]·x[b,i]
//	dbias[o]  = Σ_b dy[b,o]
//
// all three overwritten; pass nil for dx (first layer) or dbias (no bias) to skip them.
func LinearBackward(dx, dw, dbias, dy, x, w []float32, n, in, out int) {
	checkLen("LinearBackward", n*out, dy)
	checkLen("LinearBackward", n*in, x)
	checkLen("LinearBackward", out*in, w, dw)
	if dx != nil {
		checkLen("LinearBackward", n*in, dx)
		Sgemm(false, false, n, in, out, 1, dy, out, w, in, 0, dx, in)
	}
	Sgemm(true, false, out, in, n, 1, dy, out, x, in, 0, dw, in)
	if dbias != nil {
		checkLen("LinearBackward", out, dbias)
		db := dbias[:out]
		clear(db)
		for b := 0; b < n; b++ {
			for o, g := range dy[b*out:][:out] {
				db[o] += g
			}
		}
	}
}
