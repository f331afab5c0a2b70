package cpu

// The general convolution path. Output pixels (flattened over N, OH, OW) are taken in
// blocks; a block's im2col matrix col [rows][G][K][K][Cin/G] holds, for each output
// pixel, the input values under the kernel, grouped so that one group's K·K·Cin/G values
// are contiguous and ordered like an output channel's weights w[o][K][K][Cin/G]. Each
// group is then one small GEMM against its Cout/G weight rows:
//
//	forward          Y_g   = Col_g · W_gᵀ               (dot products of length K·K·Cin/G)
//	data, stride 1   the forward pass of the transposed convolution (transposed, flipWeight)
//	data, stride 2   dCol_g = dY_g · W_g, scattered back into dx by col2imAdd
//	weight           dW_g += dY_gᵀ · Col_g over all blocks, computed from transposed
//	                 blocks as dYᵀ_g · (Colᵀ_g)ᵀ so the dot products run over the pixels
//
// Scratch: scratch[:shared] holds the flipped weight of the stride-1 data pass, then
// worker wk owns scratch[shared+wk·per:][:per] (see ConvShape.scratchLayout).

// im2col fills col[r·rowLen:] for the output pixels p0 .. p0+rows−1 (zero where the
// kernel overhangs the image).
func im2col(col, x []float32, s ConvShape, p0, rows int) {
	oh, ow := s.OutH(), s.OutW()
	cg := s.Cin / s.Groups
	kg := s.K * s.K * cg
	rl := s.rowLen()
	pad := s.K / 2
	asm := useSIMD && cg%8 == 0
	whole := s.Groups == 1 && s.Stride == 1 && s.K > 1
	for r := 0; r < rows; r++ {
		p := p0 + r
		ox, t := p%ow, p/ow
		oy, n := t%oh, t/oh
		row := col[r*rl:][:rl]
		for i := 0; i < s.K; i++ {
			iy := oy*s.Stride + i - pad
			if whole && iy >= 0 && iy < s.H && ox >= pad && ox+s.K-pad <= s.W {
				// Dense, stride 1, all K taps of the kernel row inside the image: their
				// K·Cin values are contiguous in x and in the row.
				copy(row[i*s.K*s.Cin:][:s.K*s.Cin], x[((n*s.H+iy)*s.W+ox-pad)*s.Cin:][:s.K*s.Cin])
				continue
			}
			for j := 0; j < s.K; j++ {
				ix := ox*s.Stride + j - pad
				tap := (i*s.K + j) * cg
				out := iy < 0 || iy >= s.H || ix < 0 || ix >= s.W
				if asm {
					// One call moves the tap's Groups runs of cg values (rows of the
					// block are rl long, so the last run ends inside row).
					var sp *float32
					if !out {
						sp = &x[((n*s.H+iy)*s.W+ix)*s.Cin:][:s.Cin][0]
					}
					_ = row[(s.Groups-1)*kg+tap+cg-1]
					im2colTap(&row[tap], sp, s.Groups, cg, kg)
					continue
				}
				if out {
					for g := 0; g < s.Groups; g++ {
						clear(row[g*kg+tap:][:cg])
					}
					continue
				}
				src := x[((n*s.H+iy)*s.W+ix)*s.Cin:][:s.Cin]
				if cg%8 == 0 && cg < 64 { // group widths 8, 16, 24, ...: inline 8-value moves
					for g := 0; g < s.Groups; g++ {
						for c := g * cg; c < (g+1)*cg; c += 8 {
							v := *(*[8]float32)(src[c:])
							*(*[8]float32)(row[g*kg+tap+c-g*cg:]) = v
						}
					}
					continue
				}
				for g := 0; g < s.Groups; g++ {
					copyShort(row[g*kg+tap:][:cg], src[g*cg:][:cg])
				}
			}
		}
	}
}

// im2colT fills the transpose of im2col's block, colT[l·ld + r] = col[r][l] for the
// output pixels p0+r, r < rows <= ld, 8 pixels at a time. When the group width is a
// multiple of 8 it moves 8-pixel × 8-channel tiles straight from x; otherwise it runs
// im2col on the 8 pixels into tmp (8·rowLen values, which stay in L1) and transposes
// that. (Writing colT column by column measured twice as slow as either.)
func im2colT(colT, tmp, x []float32, s ConvShape, p0, rows, ld int) {
	rl := s.rowLen()
	cg := s.Cin / s.Groups
	for r0 := 0; r0 < rows; r0 += 8 {
		h := min(8, rows-r0)
		if h < 8 || cg%8 != 0 {
			im2col(tmp, x, s, p0+r0, h)
			transposeBlock(colT[r0:], ld, tmp, rl, h, rl)
			continue
		}
		im2colTile8(colT[r0:], x, s, p0+r0, ld)
	}
}

// im2colTile8 writes the 8 columns of colT (stride ld) for the output pixels p0..p0+7,
// for a group width that is a multiple of 8.
func im2colTile8(colT, x []float32, s ConvShape, p0, ld int) {
	oh, ow := s.OutH(), s.OutW()
	cg := s.Cin / s.Groups
	kg := s.K * s.K * cg
	pad := s.K / 2
	var oy, ox, n [8]int
	for r := range 8 {
		p := p0 + r
		t := p / ow
		ox[r], oy[r], n[r] = p%ow, t%oh, t/oh
	}
	var src [8]int // offset of each pixel's input vector in x, or −1 on the padding
	for i := 0; i < s.K; i++ {
		for j := 0; j < s.K; j++ {
			for r := range 8 {
				iy, ix := oy[r]*s.Stride+i-pad, ox[r]*s.Stride+j-pad
				src[r] = -1
				if iy >= 0 && iy < s.H && ix >= 0 && ix < s.W {
					src[r] = ((n[r]*s.H+iy)*s.W + ix) * s.Cin
				}
			}
			tap := (i*s.K + j) * cg
			for c0 := 0; c0 < s.Cin; c0 += 8 {
				var t [8][8]float32 // t[r][c] = x[pixel r, channel c0+c]
				for r := range 8 {
					if src[r] >= 0 {
						t[r] = *(*[8]float32)(x[src[r]+c0:])
					}
				}
				g := c0 / cg
				l := g*kg + tap + c0 - g*cg
				for c := range 8 {
					d := (*[8]float32)(colT[(l+c)*ld:])
					d[0], d[1], d[2], d[3] = t[0][c], t[1][c], t[2][c], t[3][c]
					d[4], d[5], d[6], d[7] = t[4][c], t[5][c], t[6][c], t[7][c]
				}
			}
		}
	}
}

// transposeBlock sets dst[j·ldd + i] = src[i·lds + j] for i < rows, j < cols, moving
// 8×8 tiles through a local array.
func transposeBlock(dst []float32, ldd int, src []float32, lds, rows, cols int) {
	for i0 := 0; i0 < rows; i0 += 8 {
		ih := min(8, rows-i0)
		for j0 := 0; j0 < cols; j0 += 8 {
			jw := min(8, cols-j0)
			if ih < 8 || jw < 8 {
				for i := 0; i < ih; i++ {
					for j := 0; j < jw; j++ {
						dst[(j0+j)*ldd+i0+i] = src[(i0+i)*lds+j0+j]
					}
				}
				continue
			}
			var t [8][8]float32
			for i := range t {
				t[i] = *(*[8]float32)(src[(i0+i)*lds+j0:])
			}
			for j := 0; j < 8; j++ {
				d := (*[8]float32)(dst[(j0+j)*ldd+i0:])
				d[0], d[1], d[2], d[3] = t[0][j], t[1][j], t[2][j], t[3][j]
				d[4], d[5], d[6], d[7] = t[4][j], t[5][j], t[6][j], t[7][j]
			}
		}
	}
}

// copyShort copies s into d (same length). The runs of im2col are one group's
// channels, often only 8 values: 8-value array moves beat both a plain loop and a call
// to memmove (copy) there.
func copyShort(d, s []float32) {
	if len(d) >= 64 {
		copy(d, s)
		return
	}
	s = s[:len(d)]
	i := 0
	for ; i+8 <= len(d); i += 8 {
		v := *(*[8]float32)(s[i:]) // via a local: d and s might overlap, *d = *s calls memmove
		*(*[8]float32)(d[i:]) = v
	}
	for ; i < len(d); i++ {
		d[i] = s[i]
	}
}

// addShort adds s into d (same length), unrolled by 8 like copyShort.
func addShort(d, s []float32) {
	s = s[:len(d)]
	i := 0
	for ; i+8 <= len(d); i += 8 {
		dd, ss := (*[8]float32)(d[i:]), (*[8]float32)(s[i:])
		dd[0] += ss[0]
		dd[1] += ss[1]
		dd[2] += ss[2]
		dd[3] += ss[3]
		dd[4] += ss[4]
		dd[5] += ss[5]
		dd[6] += ss[6]
		dd[7] += ss[7]
	}
	for ; i < len(d); i++ {
		d[i] += s[i]
	}
}

// col2imAdd is the adjoint of im2col: it adds each value of col[r] for the output pixels
// p0 .. p0+rows−1 into the input position it was read from (dropping the padding).
func col2imAdd(dx, col []float32, s ConvShape, p0, rows int) {
	oh, ow := s.OutH(), s.OutW()
	cg := s.Cin / s.Groups
	kg := s.K * s.K * cg
	rl := s.rowLen()
	pad := s.K / 2
	for r := 0; r < rows; r++ {
		p := p0 + r
		ox, t := p%ow, p/ow
		oy, n := t%oh, t/oh
		row := col[r*rl:][:rl]
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
				tap := (i*s.K + j) * cg
				dst := dx[((n*s.H+iy)*s.W+ix)*s.Cin:][:s.Cin]
				for g := 0; g < s.Groups; g++ {
					addShort(dst[g*cg:][:cg], row[g*kg+tap:][:cg])
				}
			}
		}
	}
}

// flipWeight writes the weight of the transposed convolution of s (stride 1):
// wt[g·cg+c][i][j][o] = w[g·og+o][K−1−i][K−1−j][c], shaped [Cin][K][K][Cout/G].
func flipWeight(wt, w []float32, s ConvShape) {
	cg, og, k := s.Cin/s.Groups, s.Cout/s.Groups, s.K
	for g := 0; g < s.Groups; g++ {
		for c := 0; c < cg; c++ {
			for i := 0; i < k; i++ {
				for j := 0; j < k; j++ {
					dst := wt[(((g*cg+c)*k+i)*k+j)*og:][:og]
					for o := range dst {
						dst[o] = w[(((g*og+o)*k+(k-1-i))*k+(k-1-j))*cg+c]
					}
				}
			}
		}
	}
}

// groupWeightB writes each group's weight transposed, as the k×n operand B of the SIMD
// kernels: wb[g·og·kg + l·og + o] = w[(g·og + o)·kg + l], l < kg = K·K·Cin/G, o < og.
func groupWeightB(wb, w []float32, s ConvShape) {
	og, kg := s.Cout/s.Groups, s.K*s.K*(s.Cin/s.Groups)
	for g := 0; g < s.Groups; g++ {
		transposeBlock(wb[g*og*kg:], og, w[g*og*kg:], kg, og, kg)
	}
}

// flipWeightB is flipWeight followed by groupWeightB of the transposed shape, in one
// pass: wb[g][(i·K+j)·og + o][c] = w[g·og+o][K−1−i][K−1−j][c], each row a copy of cg
// contiguous weights.
func flipWeightB(wb, w []float32, s ConvShape) {
	cg, og, k := s.Cin/s.Groups, s.Cout/s.Groups, s.K
	for g := 0; g < s.Groups; g++ {
		for i := 0; i < k; i++ {
			for j := 0; j < k; j++ {
				for o := 0; o < og; o++ {
					dst := wb[((g*k*k+i*k+j)*og+o)*cg:][:cg]
					copy(dst, w[(((g*og+o)*k+(k-1-i))*k+(k-1-j))*cg:][:cg])
				}
			}
		}
	}
}

// im2colForward computes Y_g = Col_g·W_gᵀ block by block, blocks split over the workers;
// worker wk uses scratch[off+wk·per:] for its im2col block. With the SIMD kernels w
// holds the weights as groupWeightB writes them, otherwise as ConvForward takes them.
func im2colForward(y, x, w []float32, s ConvShape, scratch []float32, off, per, workers int) {
	p, pb, rl := s.N*s.OutH()*s.OutW(), s.blockPixels(), s.rowLen()
	og, kg := s.Cout/s.Groups, s.K*s.K*(s.Cin/s.Groups)
	ParallelN((p+pb-1)/pb, workers, func(wk, lo, hi int) {
		col := scratch[off+wk*per:][:pb*rl]
		for b := lo; b < hi; b++ {
			p0 := b * pb
			rows := min(pb, p-p0)
			im2col(col, x, s, p0, rows)
			for g := 0; g < s.Groups; g++ {
				if useSIMD {
					gemmSIMD(false, rows, og, kg, 1, col[g*kg:], rl, w[g*og*kg:], og, false, y[p0*s.Cout+g*og:], s.Cout)
					continue
				}
				sgemmSerial(false, true, rows, og, kg, 1, col[g*kg:], rl, w[g*og*kg:], kg, 0, y[p0*s.Cout+g*og:], s.Cout)
			}
		}
	})
}

// im2colBackwardData computes dx. With stride 1 it is the forward pass of the transposed
// convolution (dot products of length K·K·Cout/G, like the forward pass). Otherwise each
// block computes dCol_g = dY_g·W_g and col2imAdd scatters it into dx; whole images are
// then split over the workers so that no two write the same dx row.
func im2colBackwardData(dx, dy, w []float32, s ConvShape, scratch []float32, workers int) {
	shared, per := s.scratchLayout()
	if s.Stride == 1 {
		wt := scratch[:shared]
		if useSIMD {
			flipWeightB(wt, w, s)
		} else {
			flipWeight(wt, w, s)
		}
		im2colForward(dx, dy, wt, s.transposed(), scratch, shared, per, workers)
		return
	}
	pix, pb, rl := s.OutH()*s.OutW(), s.blockPixels(), s.rowLen()
	og, kg := s.Cout/s.Groups, s.K*s.K*(s.Cin/s.Groups)
	img := s.H * s.W * s.Cin
	ParallelN(s.N, workers, func(wk, lo, hi int) {
		col := scratch[shared+wk*per:][:pb*rl]
		clear(dx[lo*img : hi*img])
		for n := lo; n < hi; n++ {
			for q0 := 0; q0 < pix; q0 += pb {
				rows := min(pb, pix-q0)
				p0 := n*pix + q0
				for g := 0; g < s.Groups; g++ {
					sgemmSerial(false, false, rows, kg, og, 1, dy[p0*s.Cout+g*og:], s.Cout, w[g*og*kg:], kg, 0, col[g*kg:], rl)
				}
				col2imAdd(dx, col, s, p0, rows)
			}
		}
	})
}

// im2colBackwardWeight: each worker accumulates dW_g += dYᵀ_g·(Colᵀ_g)ᵀ over its blocks
// into a private copy of dw; the copies are summed into dw at the end.
func im2colBackwardWeight(dw, dy, x []float32, s ConvShape, scratch []float32, workers int) {
	shared, per := s.scratchLayout()
	p, pb, rl := s.N*s.OutH()*s.OutW(), s.gradBlockPixels(), s.rowLen()
	og, kg := s.Cout/s.Groups, s.K*s.K*(s.Cin/s.Groups)
	nb := (p + pb - 1) / pb
	if nb == 0 {
		clear(dw)
		return
	}
	workers = max(1, min(workers, nb))
	ParallelN(nb, workers, func(wk, lo, hi int) {
		work := scratch[shared+wk*per:][:per]
		part := work[:len(dw)]
		colT := work[len(dw):][:rl*pb]
		dyT := work[len(dw)+rl*pb:][:s.Cout*pb]
		tmp := work[len(dw)+(rl+s.Cout)*pb:][:8*rl]
		clear(part)
		for b := lo; b < hi; b++ {
			p0 := b * pb
			rows := min(pb, p-p0)
			if useSIMD {
				// dW_g += dY_gᵀ·Col_g with the column kernels reading dY in place; a
				// 1×1 stride-1 convolution's im2col block is x itself.
				col := x[p0*s.Cin:]
				if s.K != 1 || s.Stride != 1 {
					col = colT[:rows*rl]
					im2col(col, x, s, p0, rows)
				}
				for g := 0; g < s.Groups; g++ {
					gemmSIMD(true, og, kg, rows, 1, dy[p0*s.Cout+g*og:], s.Cout, col[g*kg:], rl, true, part[g*og*kg:], kg)
				}
				continue
			}
			im2colT(colT, tmp, x, s, p0, rows, pb)
			transposeBlock(dyT, pb, dy[p0*s.Cout:], s.Cout, rows, s.Cout)
			for g := 0; g < s.Groups; g++ {
				sgemmSerial(false, true, og, kg, rows, 1, dyT[g*og*pb:], pb, colT[g*kg*pb:], pb, 1, part[g*og*kg:], kg)
			}
		}
	})
	sumPartials(dw, scratch[shared:], per, workers)
}
