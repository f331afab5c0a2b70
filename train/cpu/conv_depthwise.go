package cpu

// The depthwise path (Groups = Cin = Cout): each channel is convolved with its own K×K
// filter, so the inner loops run over channels, which are contiguous in NHWC. The
// forward and data passes first transpose w [C][K][K] into scratch[:shared] as
// wt [K·K][C], so the filter taps are contiguous over channels too; the weight pass
// accumulates per-worker partial sums in the same [K·K][C] order.

// transposeDepthwise sets wt[t·c + ch] = w[ch·kk + t].
func transposeDepthwise(wt, w []float32, c, kk int) {
	for ch := 0; ch < c; ch++ {
		for t, v := range w[ch*kk : (ch+1)*kk] {
			wt[t*c+ch] = v
		}
	}
}

// depthwiseForward: y[n,oy,ox,c] = Σ_{i,j} w[c,i,j]·x[n, oy·S+i−K/2, ox·S+j−K/2, c],
// output rows split over the workers.
func depthwiseForward(y, x, w []float32, s ConvShape, scratch []float32, workers int) {
	oh, ow, c, kk, pad := s.OutH(), s.OutW(), s.Cin, s.K*s.K, s.K/2
	wt := scratch[:kk*c]
	transposeDepthwise(wt, w, c, kk)
	ParallelN(s.N*oh, workers, func(_, lo, hi int) {
		for r := lo; r < hi; r++ {
			n, oy := r/oh, r%oh
			for ox := 0; ox < ow; ox++ {
				yr := y[((n*oh+oy)*ow+ox)*c:][:c]
				clear(yr)
				for i := 0; i < s.K; i++ {
					iy := oy*s.Stride + i - pad
					if iy < 0 || iy >= s.H {
						continue
					}
					for j := 0; j < s.K; j++ {
						ix := ox*s.Stride + j - pad
						if ix < 0 || ix >= s.W {
							continue
						}
						xr := x[((n*s.H+iy)*s.W+ix)*c:][:c]
						wr := wt[(i*s.K+j)*c:][:c]
						for ch, v := range xr {
							yr[ch] += v * wr[ch]
						}
					}
				}
			}
		}
	})
}

// depthwiseBackwardData: dx[n,iy,ix,c] = Σ over the (oy,ox,i,j) that read it of
// w[c,i,j]·dy[n,oy,ox,c]; images split over the workers.
func depthwiseBackwardData(dx, dy, w []float32, s ConvShape, scratch []float32, workers int) {
	oh, ow, c, kk, pad := s.OutH(), s.OutW(), s.Cin, s.K*s.K, s.K/2
	wt := scratch[:kk*c]
	transposeDepthwise(wt, w, c, kk)
	img := s.H * s.W * c
	ParallelN(s.N, workers, func(_, lo, hi int) {
		clear(dx[lo*img : hi*img])
		for n := lo; n < hi; n++ {
			for oy := 0; oy < oh; oy++ {
				for ox := 0; ox < ow; ox++ {
					dyr := dy[((n*oh+oy)*ow+ox)*c:][:c]
					for i := 0; i < s.K; i++ {
						iy := oy*s.Stride + i - pad
						if iy < 0 || iy >= s.H {
							continue
						}
						for j := 0; j < s.K; j++ {
							ix := ox*s.Stride + j - pad
							if ix < 0 || ix >= s.W {
								continue
							}
							dxr := dx[((n*s.H+iy)*s.W+ix)*c:][:c]
							wr := wt[(i*s.K+j)*c:][:c]
							for ch, g := range dyr {
								dxr[ch] += g * wr[ch]
							}
						}
					}
				}
			}
		}
	})
}

// depthwiseBackwardWeight: dw[c,i,j] = Σ_{n,oy,ox} dy[n,oy,ox,c]·x[n, oy·S+i−K/2, ox·S+j−K/2, c].
// Each worker accumulates a private [K·K][C] sum over its output rows; the sums are
// added and transposed into dw at the end.
func depthwiseBackwardWeight(dw, dy, x []float32, s ConvShape, scratch []float32, workers int) {
	oh, ow, c, kk, pad := s.OutH(), s.OutW(), s.Cin, s.K*s.K, s.K/2
	shared, per := s.scratchLayout()
	rowsTotal := s.N * oh
	workers = max(1, min(workers, rowsTotal))
	ParallelN(rowsTotal, workers, func(wk, lo, hi int) {
		part := scratch[shared+wk*per:][:kk*c]
		clear(part)
		for r := lo; r < hi; r++ {
			n, oy := r/oh, r%oh
			for ox := 0; ox < ow; ox++ {
				dyr := dy[((n*oh+oy)*ow+ox)*c:][:c]
				for i := 0; i < s.K; i++ {
					iy := oy*s.Stride + i - pad
					if iy < 0 || iy >= s.H {
						continue
					}
					for j := 0; j < s.K; j++ {
						ix := ox*s.Stride + j - pad
						if ix < 0 || ix >= s.W {
							continue
						}
						xr := x[((n*s.H+iy)*s.W+ix)*c:][:c]
						pr := part[(i*s.K+j)*c:][:c]
						for ch, g := range dyr {
							pr[ch] += g * xr[ch]
						}
					}
				}
			}
		}
	})
	for ch := 0; ch < c; ch++ {
		for t := 0; t < kk; t++ {
			var v float32
			if rowsTotal > 0 {
				for wk := 0; wk < workers; wk++ {
					v += scratch[shared+wk*per+t*c+ch]
				}
			}
			dw[ch*kk+t] = v
		}
	}
}
