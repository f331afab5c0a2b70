// Package network builds an AnyNet (formats/anynet.Net: stem, stages of X or Y blocks,
// head) as a trainable network on an engine.Engine. It is written once; the CPU and
// CUDA engines run it unchanged.
//
// # Structure
//
// Stem: 3×3 conv (stride StemS) → BN → ReLU. Block (input width w_in, output w, stride
// s, bottleneck width w_b = round(w/b), groups w_b/g):
//
//	f(x)     = BN_c(conv_c 1×1(SE(ReLU(BN_b(conv_b 3×3, stride s(ReLU(BN_a(conv_a 1×1(x)))))))))
//	short(x) = BN(proj 1×1, stride s(x)) when w_in ≠ w or s ≠ 1, else x
//	out      = ReLU(f(x) + short(x))
//
// SE (Y blocks) on the bottleneck activation u: u · sigmoid(fc2(ReLU(fc1(avgpool(u)))))
// with fc1: w_b → w_se = round(se_ratio·w_in) and fc2: w_se → w_b, both with bias (the
// 1×1 convolutions of the PyTorch module, on a 1×1 map). Head: global average pool →
// linear with bias → logits. Training loss: soft cross-entropy with label smoothing.
//
// # Parameters and the PyTorch module
//
// Names and shapes are those of the state_dict of ../shared/peer/torch_anynet.py's
// AnyNet (pycls's names), in its order:
//
//	stem.conv.weight, stem.bn.{weight,bias,running_mean,running_var,num_batches_tracked}
//	s{i}.b{j}.proj.weight, s{i}.b{j}.bn.*                       projection shortcut
//	s{i}.b{j}.f.a.weight, f.a_bn.*, f.b.weight, f.b_bn.*         1×1 and 3×3 convolutions
//	s{i}.b{j}.f.se.f_ex.0.{weight,bias}, f.se.f_ex.2.{weight,bias}   SE (Y blocks)
//	s{i}.b{j}.f.c.weight, f.c_bn.*, head.fc.{weight,bias}
//
// Stages and blocks count from 1. Trainable parameters live in one contiguous arena
// in that order (so one SGD call updates them all), with gradients and momentum in
// two more arenas of the same layout. Convolution weights are stored as
// [Cout][K][K][Cin/G] (channels last) and converted to PyTorch's [Cout][Cin/G][K][K]
// by State and back by Load; linear and SE weights are [out][in] in both. Every BN's
// num_batches_tracked is the number of training steps taken.
//
// # Initialisation (pycls)
//
// Conv weights ~ N(0, sqrt(2/fan_out)) with fan_out = k·k·Cout (SE convs included,
// k = 1); BN γ = 1, β = 0, running mean 0, running variance 1; linear weight ~
// N(0, 0.01); all biases 0. Values are drawn in parameter order from a PCG generator
// seeded with the model's seed, so the same seed gives the same network.
//
// Used by train (train/trainer) and evaluate (evaluate/evaluator).
package network

import (
	"fmt"
	"math"

	"github.com/ddstools/dds/formats/anynet"
	"github.com/ddstools/dds/train/engine"
)

// BN constants of the recipe (PyTorch's defaults, as pycls uses).
const (
	BNEps      = 1e-5
	BNMomentum = 0.1
)

// Entry is one tensor of the state dict.
type Entry struct {
	Name  string
	Shape []int      // PyTorch's shape
	Buf   engine.Buf // the values (a view of the parameter arena for parameters)
	Off   int        // offset in the parameter arena (parameters only)
	Len   int
	Param bool // trainable; false: a running statistic
	// Counter marks num_batches_tracked, which is not stored in an arena.
	Counter bool
	// ConvK and ConvCinG are set for convolution weights with K > 1 or Cin/G > 1 whose
	// layout differs from PyTorch's; ConvK = 0 for everything else.
	ConvK, ConvCinG int
	initStd         float64 // > 0: N(0, initStd); 0: constant initConst
	initConst       float32
}

// Net is a network on an engine with buffers for one batch size.
type Net struct {
	E     engine.Engine
	Arch  anynet.Net
	Batch int
	// Train reports whether the net holds gradients and momentum (New with train).
	Train bool

	Entries []Entry // state dict entries in PyTorch's order
	NParams int     // trainable values (the parameter arena's length)
	Steps   int64   // training steps taken (num_batches_tracked)

	P, G, V engine.Buf  // parameters, gradients, momentum
	X       engine.Buf  // input batch [Batch][Res][Res][Channels], NHWC
	Y       engine.Ints // labels [Batch]
	Logits  engine.Buf  // [Batch][Classes]
	stats   engine.Buf  // loss, correct
	dlogits engine.Buf

	scratch engine.Buf
	stem    stem
	blocks  []*block
	head    head

	pOff       int // parameters laid out so far
	scratchLen int
}

type conv struct {
	s     engine.Conv
	w, dw engine.Buf
}

type bn struct {
	m, c                int
	gamma, beta, dg, db engine.Buf
	runMean, runVar     engine.Buf
	mean, variance      engine.Buf // batch statistics saved for the backward pass
}

type linear struct {
	in, out      int
	w, b, dw, db engine.Buf
}

// act is an activation and its gradient (nil in an inference net).
type act struct{ x, d engine.Buf }

type stem struct {
	conv conv
	bn   bn
	y    act // conv output
	out  act // ReLU(BN(y))
}

type se struct {
	hw, wb, wse      int
	pooled, z1, r1   act
	z2, gate         act
	fc1, fc2         linear
	dDirect, dPooled engine.Buf // the two gradient paths into the bottleneck activation
}

type block struct {
	in       act // the block's input (the previous layer's out)
	a, b, c  conv
	aBN, bBN bn
	cBN      bn
	ay, aOut act
	by, bOut act
	se       *se
	seOut    act
	cy       act
	proj     *conv
	projBN   bn
	py, pOut act
	dShort   engine.Buf // gradient reaching the identity shortcut
	dxProj   engine.Buf // gradient of the input through the projection
	out      act
}

type head struct {
	hw, c  int
	in     act // the last block's output
	pooled act
	fc     linear
}

// New builds arch on e for batches of batch images. With train it also allocates
// gradients, momentum and the buffers of the backward pass. The parameters are
// zero until Init or Load.
func New(e engine.Engine, arch anynet.Net, batch int, train bool) (*Net, error) {
	if err := arch.Validate(); err != nil {
		return nil, err
	}
	if batch < 1 {
		return nil, fmt.Errorf("batch size %d must be positive", batch)
	}
	n := &Net{E: e, Arch: arch, Batch: batch, Train: train}
	n.NParams = int(arch.Complexity().Params)
	n.P = e.Alloc(n.NParams)
	if train {
		n.G = e.Alloc(n.NParams)
		n.V = e.Alloc(n.NParams)
	}
	n.build()
	if n.pOff != n.NParams {
		return nil, fmt.Errorf("network: %d parameters laid out, complexity counts %d", n.pOff, n.NParams)
	}
	n.scratch = e.Alloc(max(n.scratchLen, 1))
	n.stats = e.Alloc(3)
	if err := e.Err(); err != nil {
		return nil, err
	}
	return n, nil
}

// alloc returns a new activation of n values, with a gradient when training.
func (n *Net) alloc(size int) act {
	a := act{x: n.E.AllocAct(size)}
	if n.Train {
		a.d = n.E.AllocAct(size)
	}
	return a
}

func (n *Net) grad(size int) engine.Buf {
	if !n.Train {
		return nil
	}
	return n.E.AllocAct(size)
}

// param reserves size trainable values for a state-dict entry.
func (n *Net) param(name string, shape []int, std float64, c float32) (w, dw engine.Buf) {
	size := 1
	for _, d := range shape {
		size *= d
	}
	w = n.E.Slice(n.P, n.pOff, size)
	n.Entries = append(n.Entries, Entry{Name: name, Shape: shape, Buf: w, Off: n.pOff, Len: size, Param: true, initStd: std, initConst: c})
	if n.Train {
		dw = n.E.Slice(n.G, n.pOff, size)
	}
	n.pOff += size
	return w, dw
}

// newConv adds a convolution without bias named prefix+".weight".
func (n *Net) newConv(name string, s engine.Conv) conv {
	cinG := s.Cin / s.Groups
	fanOut := s.K * s.K * s.Cout
	c := conv{s: s}
	c.w, c.dw = n.param(name, []int{s.Cout, cinG, s.K, s.K}, math.Sqrt(2/float64(fanOut)), 0)
	if s.K > 1 && cinG > 1 {
		e := &n.Entries[len(n.Entries)-1]
		e.ConvK, e.ConvCinG = s.K, cinG
	}
	n.scratchLen = max(n.scratchLen, n.E.ConvScratch(s))
	return c
}

// newBN adds a batch norm over m rows of c channels named prefix.{weight,bias,running_*}.
func (n *Net) newBN(prefix string, m, c int) bn {
	b := bn{m: m, c: c}
	b.gamma, b.dg = n.param(prefix+".weight", []int{c}, 0, 1)
	b.beta, b.db = n.param(prefix+".bias", []int{c}, 0, 0)
	b.runMean, b.runVar = n.E.Alloc(c), n.E.Alloc(c)
	n.Entries = append(n.Entries,
		Entry{Name: prefix + ".running_mean", Shape: []int{c}, Buf: b.runMean, Len: c, initConst: 0},
		Entry{Name: prefix + ".running_var", Shape: []int{c}, Buf: b.runVar, Len: c, initConst: 1},
		Entry{Name: prefix + ".num_batches_tracked", Shape: []int{}, Len: 1, Counter: true})
	b.mean, b.variance = n.E.Alloc(c), n.E.Alloc(c)
	return b
}

// newLinear adds a fully connected layer with bias, as a PyTorch Linear (shape
// [out][in]) or, with conv1x1, as a 1×1 Conv2d (shape [out][in][1][1]).
func (n *Net) newLinear(prefix string, in, out int, conv1x1 bool) linear {
	l := linear{in: in, out: out}
	shape, std := []int{out, in}, 0.01
	if conv1x1 {
		shape, std = []int{out, in, 1, 1}, math.Sqrt(2/float64(out))
	}
	l.w, l.dw = n.param(prefix+".weight", shape, std, 0)
	l.b, l.db = n.param(prefix+".bias", []int{out}, 0, 0)
	return l
}

func (n *Net) build() {
	a := n.Arch
	N, h := n.Batch, a.Res
	n.X = n.E.AllocAct(N * h * h * a.Channels)
	n.Y = n.E.AllocInts(N)
	s := engine.Conv{N: N, H: h, W: h, Cin: a.Channels, Cout: a.StemW, K: 3, Stride: a.StemS, Groups: 1}
	n.stem.conv = n.newConv("stem.conv.weight", s)
	h = s.OutH()
	n.stem.bn = n.newBN("stem.bn", N*h*h, a.StemW)
	n.stem.y, n.stem.out = n.alloc(N*h*h*a.StemW), n.alloc(N*h*h*a.StemW)
	in, wIn := n.stem.out, a.StemW
	for i, st := range a.Stages {
		for j := 0; j < st.D; j++ {
			stride := 1
			if j == 0 {
				stride = st.S
			}
			b := n.newBlock(fmt.Sprintf("s%d.b%d", i+1, j+1), in, wIn, h, st, stride)
			n.blocks = append(n.blocks, b)
			in, wIn, h = b.out, st.W, (h-1)/stride+1
		}
	}
	n.head = head{hw: h * h, c: wIn, in: in, pooled: n.alloc(N * wIn)}
	n.head.fc = n.newLinear("head.fc", wIn, a.Classes, false)
	n.Logits = n.E.AllocAct(N * a.Classes)
	n.dlogits = n.grad(N * a.Classes)
}

func (n *Net) newBlock(name string, in act, wIn, h int, st anynet.Stage, stride int) *block {
	N := n.Batch
	wb := anynet.BottleneckWidth(st.W, st.B)
	ho := (h-1)/stride + 1
	b := &block{in: in}
	if wIn != st.W || stride != 1 {
		p := n.newConv(name+".proj.weight", engine.Conv{N: N, H: h, W: h, Cin: wIn, Cout: st.W, K: 1, Stride: stride, Groups: 1})
		b.proj = &p
		b.projBN = n.newBN(name+".bn", N*ho*ho, st.W)
		b.py, b.pOut = n.alloc(N*ho*ho*st.W), n.alloc(N*ho*ho*st.W)
		b.dxProj = n.grad(N * h * h * wIn)
	} else {
		b.dShort = n.grad(N * h * h * wIn)
	}
	b.a = n.newConv(name+".f.a.weight", engine.Conv{N: N, H: h, W: h, Cin: wIn, Cout: wb, K: 1, Stride: 1, Groups: 1})
	b.aBN = n.newBN(name+".f.a_bn", N*h*h, wb)
	b.ay, b.aOut = n.alloc(N*h*h*wb), n.alloc(N*h*h*wb)
	b.b = n.newConv(name+".f.b.weight", engine.Conv{N: N, H: h, W: h, Cin: wb, Cout: wb, K: 3, Stride: stride, Groups: wb / st.G})
	b.bBN = n.newBN(name+".f.b_bn", N*ho*ho, wb)
	b.by, b.bOut = n.alloc(N*ho*ho*wb), n.alloc(N*ho*ho*wb)
	b.seOut = b.bOut
	if n.Arch.Block == anynet.BlockY {
		wse := anynet.SEWidth(wIn, n.Arch.SERatio)
		s := &se{hw: ho * ho, wb: wb, wse: wse}
		s.fc1 = n.newLinear(name+".f.se.f_ex.0", wb, wse, true)
		s.fc2 = n.newLinear(name+".f.se.f_ex.2", wse, wb, true)
		s.pooled, s.z1, s.r1 = n.alloc(N*wb), n.alloc(N*wse), n.alloc(N*wse)
		s.z2, s.gate = n.alloc(N*wb), n.alloc(N*wb)
		s.dDirect, s.dPooled = n.grad(N*ho*ho*wb), n.grad(N*ho*ho*wb)
		b.se = s
		b.seOut = n.alloc(N * ho * ho * wb)
	}
	b.c = n.newConv(name+".f.c.weight", engine.Conv{N: N, H: ho, W: ho, Cin: wb, Cout: st.W, K: 1, Stride: 1, Groups: 1})
	b.cBN = n.newBN(name+".f.c_bn", N*ho*ho, st.W)
	b.cy, b.out = n.alloc(N*ho*ho*st.W), n.alloc(N*ho*ho*st.W)
	return b
}
