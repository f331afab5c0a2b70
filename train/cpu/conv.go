package cpu

import "fmt"

// ConvShape describes a 2-D convolution with a square k×k kernel, zero padding k/2 on
// every side, no bias, and Groups groups: input channel block g (Cin/Groups channels)
// feeds only output channel block g (Cout/Groups channels). Groups = 1 is a dense
// convolution, Groups = Cin = Cout a depthwise one.
//
// Tensors are NHWC, channels fastest:
//
//	x [N][H][W][Cin]                      input
//	y [N][OH][OW][Cout]                   output, OH = (H + 2·(K/2) − K)/Stride + 1, OW likewise
//	w [Cout][K][K][Cin/Groups]            weight ("OHWI")
//
// The weight layout is PyTorch's [Cout][Cin/Groups][K][K] with the input-channel axis
// moved last: w[o][i][j][c] here is weight[o][c][i][j] there (package network converts
// state dicts). With it the K·K·Cin/Groups weights of one output channel
// are contiguous, in the same order as one group's slice of an im2col row.
type ConvShape struct {
	N, H, W   int // batch, input height and width
	Cin, Cout int // input and output channels
	K         int // kernel size (odd)
	Stride    int
	Groups    int
}

// OutH returns the output height (H + 2·(K/2) − K)/Stride + 1.
func (s ConvShape) OutH() int { return (s.H+2*(s.K/2)-s.K)/s.Stride + 1 }

// OutW returns the output width (W + 2·(K/2) − K)/Stride + 1.
func (s ConvShape) OutW() int { return (s.W+2*(s.K/2)-s.K)/s.Stride + 1 }

// InLen returns N·H·W·Cin, the length of x and dx.
func (s ConvShape) InLen() int { return s.N * s.H * s.W * s.Cin }

// OutLen returns N·OH·OW·Cout, the length of y and dy.
func (s ConvShape) OutLen() int { return s.N * s.OutH() * s.OutW() * s.Cout }

// WeightLen returns Cout·K·K·Cin/Groups, the length of w and dw.
func (s ConvShape) WeightLen() int { return s.Cout * s.K * s.K * (s.Cin / s.Groups) }

// FLOPs returns the multiply-adds of the forward pass, N·OH·OW·Cout·K·K·Cin/Groups
// (pycls's and DESIGN.md's "flops"; twice as many floating-point operations). The data
// and the weight gradient each cost the same again.
func (s ConvShape) FLOPs() int { return s.N * s.OutH() * s.OutW() * s.WeightLen() }

// ScratchLen returns the scratch length the three convolution kernels need to use all
// Workers() goroutines. A shorter scratch makes them use fewer goroutines; one too short
// for a single worker makes them panic. The contents of scratch are never read before
// being written.
func (s ConvShape) ScratchLen() int {
	shared, per := s.scratchLayout()
	return shared + Workers()*per
}

// convPath says which code runs a shape.
type convPath int

const (
	pathGEMM      convPath = iota // 1×1, stride 1, dense: one GEMM over all pixels
	pathDepthwise                 // one input and one output channel per group: direct loops
	pathIm2col                    // everything else: im2col blocks of pixels and per-group GEMMs
)

func (s ConvShape) path() convPath {
	switch {
	case s.K == 1 && s.Stride == 1 && s.Groups == 1:
		return pathGEMM
	case s.Groups == s.Cin && s.Groups == s.Cout:
		return pathDepthwise
	}
	return pathIm2col
}

// rowLen returns the length of one im2col row: K·K·Cin, that is Groups blocks of
// K·K·Cin/Groups values, each block in [ky][kx][c] order like one output channel's weights.
func (s ConvShape) rowLen() int { return s.K * s.K * s.Cin }

// blockPixels returns how many output pixels one im2col block holds in the forward and
// data-gradient passes: about 64K floats (256 KiB, inside L2), a multiple of 24 (which
// the register tiles of both GEMM paths divide) between 24 and 192.
func (s ConvShape) blockPixels() int {
	return max(24, min(192, 65536/s.rowLen()/24*24))
}

// gradBlockPixels returns the block height of the weight-gradient pass, whose GEMMs
// take dot products over the pixels of a block: about 64K floats, between 32 and 256.
func (s ConvShape) gradBlockPixels() int {
	return max(32, min(256, (65536/s.rowLen())&^1))
}

// transposed returns the shape whose forward pass is the data gradient of s when
// s.Stride == 1: a convolution of dy (Cout channels) back to Cin channels with the
// flipped and transposed weight of flipWeight.
func (s ConvShape) transposed() ConvShape {
	t := s
	t.H, t.W = s.OutH(), s.OutW()
	t.Cin, t.Cout = s.Cout, s.Cin
	return t
}

// scratchLayout returns the sizes of the two parts of the scratch: shared, at the start,
// holds a transformed copy of the weight; then each worker has per values: an im2col
// block for the forward and data passes, or for the weight pass a private
// weight-gradient accumulator, a transposed im2col block, a transposed dy block and
// 8 im2col rows on their way to being transposed.
func (s ConvShape) scratchLayout() (shared, per int) {
	switch s.path() {
	case pathDepthwise:
		return s.WeightLen(), s.WeightLen()
	}
	per = s.blockPixels() * s.rowLen()
	if s.Stride == 1 {
		t := s.transposed()
		per = max(per, t.blockPixels()*t.rowLen())
	}
	pg := s.gradBlockPixels()
	per = max(per, s.WeightLen()+pg*(s.rowLen()+s.Cout)+8*s.rowLen())
	return s.WeightLen(), per
}

// check panics unless the shape is valid and the slices long enough. It returns the
// number of workers the scratch allows.
func (s ConvShape) check(op string, in, out, w, scratch []float32) int {
	if s.N < 0 || s.H < 1 || s.W < 1 || s.Cin < 1 || s.Cout < 1 || s.K < 1 || s.K%2 == 0 ||
		s.Stride < 1 || s.Groups < 1 || s.Cin%s.Groups != 0 || s.Cout%s.Groups != 0 {
		panic(fmt.Sprintf("cpu: %s: invalid shape %+v", op, s))
	}
	for _, t := range []struct {
		name      string
		have, len int
	}{{"input", len(in), s.InLen()}, {"output", len(out), s.OutLen()}, {"weight", len(w), s.WeightLen()}} {
		if t.have < t.len {
			panic(fmt.Sprintf("cpu: %s: %s has length %d, want %d for %+v", op, t.name, t.have, t.len, s))
		}
	}
	shared, per := s.scratchLayout()
	if len(scratch) < shared+per {
		panic(fmt.Sprintf("cpu: %s: scratch has length %d, want ScratchLen() = %d (at least %d) for %+v", op, len(scratch), s.ScratchLen(), shared+per, s))
	}
	return min(Workers(), (len(scratch)-shared)/per)
}

// ConvForward computes the convolution
//
//	y[n,oy,ox,o] = Σ_{i,j<K} Σ_{c<Cin/G} w[o,i,j,c] · x[n, oy·S+i−K/2, ox·S+j−K/2, g·Cin/G + c]
//
// with g = o/(Cout/G) and x read as zero outside the image. Shapes are in ConvShape;
// scratch has ScratchLen() values (what it holds on entry is not used).
func ConvForward(y, x, w []float32, s ConvShape, scratch []float32) {
	workers := s.check("ConvForward", x, y, w, scratch)
	x, y, w = x[:s.InLen()], y[:s.OutLen()], w[:s.WeightLen()]
	switch s.path() {
	case pathGEMM:
		// y[p,o] = Σ_c x[p,c]·w[o,c]: Y = X·Wᵀ. The SIMD kernels read B row-major, so
		// they get Wᵀ transposed once into the scratch.
		if useSIMD {
			wt := scratch[:s.WeightLen()]
			transposeBlock(wt, s.Cout, w, s.Cin, s.Cout, s.Cin)
			Sgemm(false, false, s.N*s.H*s.W, s.Cout, s.Cin, 1, x, s.Cin, wt, s.Cout, 0, y, s.Cout)
			break
		}
		Sgemm(false, true, s.N*s.H*s.W, s.Cout, s.Cin, 1, x, s.Cin, w, s.Cin, 0, y, s.Cout)
	case pathDepthwise:
		depthwiseForward(y, x, w, s, scratch, workers)
	default:
		shared, per := s.scratchLayout()
		wb := w
		if useSIMD {
			wb = scratch[:shared]
			groupWeightB(wb, w, s)
		}
		im2colForward(y, x, wb, s, scratch, shared, per, workers)
	}
}

// ConvBackwardData computes the gradient with respect to the input,
//
//	dx[n,iy,ix,c'] = Σ_{oy,ox,i,j : oy·S+i−K/2 = iy, ox·S+j−K/2 = ix} Σ_{o in group of c'} w[o,i,j,c'−g·Cin/G] · dy[n,oy,ox,o]
//
// overwriting dx[:InLen()]. dy has OutLen() values, scratch ScratchLen().
func ConvBackwardData(dx, dy, w []float32, s ConvShape, scratch []float32) {
	workers := s.check("ConvBackwardData", dx, dy, w, scratch)
	dx, dy, w = dx[:s.InLen()], dy[:s.OutLen()], w[:s.WeightLen()]
	switch s.path() {
	case pathGEMM:
		// dx[p,c] = Σ_o dy[p,o]·w[o,c]: dX = dY·W. With Cout >= 32 it runs as
		// dY·(Wᵀ)ᵀ on a transposed copy of w, which makes gonum take dot products of
		// length Cout instead of axpys of length Cin: 15 against 7–8 GFLOP/s measured.
		// The SIMD kernels take dY·W as it is.
		p := s.N * s.H * s.W
		if s.Cout < 32 || useSIMD {
			Sgemm(false, false, p, s.Cin, s.Cout, 1, dy, s.Cout, w, s.Cin, 0, dx, s.Cin)
			break
		}
		wt := scratch[:s.WeightLen()]
		transposeBlock(wt, s.Cout, w, s.Cin, s.Cout, s.Cin)
		Sgemm(false, true, p, s.Cin, s.Cout, 1, dy, s.Cout, wt, s.Cout, 0, dx, s.Cin)
	case pathDepthwise:
		depthwiseBackwardData(dx, dy, w, s, scratch, workers)
	default:
		im2colBackwardData(dx, dy, w, s, scratch, workers)
	}
}

// ConvBackwardWeight computes the gradient with respect to the weight,
//
//	dw[o,i,j,c] = Σ_{n,oy,ox} dy[n,oy,ox,o] · x[n, oy·S+i−K/2, ox·S+j−K/2, g·Cin/G + c]
//
// overwriting dw[:WeightLen()] (it does not accumulate). scratch has ScratchLen() values.
func ConvBackwardWeight(dw, dy, x []float32, s ConvShape, scratch []float32) {
	workers := s.check("ConvBackwardWeight", x, dy, dw, scratch)
	x, dy, dw = x[:s.InLen()], dy[:s.OutLen()], dw[:s.WeightLen()]
	switch s.path() {
	case pathDepthwise:
		depthwiseBackwardWeight(dw, dy, x, s, scratch, workers)
	default:
		// Also for 1×1 convolutions: dW = dYᵀ·X taken over transposed blocks of pixels
		// (dot products over pixels) measured 15–17 GFLOP/s against 11 for Sgemm's Aᵀ·B.
		im2colBackwardWeight(dw, dy, x, s, scratch, workers)
	}
}

// sumPartials sets dst[i] = Σ_w parts[w·stride + i] for w < n, i < len(dst),
// splitting i over the workers when there is enough to split.
func sumPartials(dst, parts []float32, stride, n int) {
	ParallelN(len(dst), min(Workers(), len(dst)*n/elementGrain), func(_, lo, hi int) {
		d := dst[lo:hi]
		copy(d, parts[lo:hi])
		for w := 1; w < n; w++ {
			p := parts[w*stride+lo:][:len(d)]
			for i, v := range p {
				d[i] += v
			}
		}
	})
}
