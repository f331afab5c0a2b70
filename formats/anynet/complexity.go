package anynet

// Complexity is the cost of one forward pass on one image, counted by the pycls rules:
// Flops are multiply-adds of convolutions and linear layers (plus one per output
// channel for a bias), Params are all trainable parameters (BN γ and β count, running
// statistics do not), Acts are the summed output sizes of every convolution and
// linear layer. Activations, pooling and residual adds cost nothing.
type Complexity struct {
	Flops  int64
	Params int64
	Acts   int64
}

// counter accumulates complexity while walking a network at spatial size h×w.
type counter struct {
	h, w int64
	c    Complexity
}

// conv adds a k×k convolution wIn→wOut with the given stride and groups:
// h' = (h−1)/s + 1 (integer division); flops += k²·wIn·wOut·h'·w'/groups (+wOut with bias);
// params += k²·wIn·wOut/groups (+wOut with bias); acts += wOut·h'·w'.
func (c *counter) conv(wIn, wOut, k, stride, groups int, bias bool) {
	c.h = (c.h-1)/int64(stride) + 1
	c.w = (c.w-1)/int64(stride) + 1
	kk := int64(k * k)
	c.c.Flops += kk * int64(wIn) * int64(wOut) * c.h * c.w / int64(groups)
	c.c.Params += kk * int64(wIn) * int64(wOut) / int64(groups)
	if bias {
		c.c.Flops += int64(wOut)
		c.c.Params += int64(wOut)
	}
	c.c.Acts += int64(wOut) * c.h * c.w
}

// norm adds a batch normalisation over w channels: 2·w parameters.
func (c *counter) norm(w int) { c.c.Params += 2 * int64(w) }

// linear adds a fully connected layer wIn→wOut with bias on a 1×1 input.
func (c *counter) linear(wIn, wOut int) {
	c.c.Flops += int64(wIn)*int64(wOut) + int64(wOut)
	c.c.Params += int64(wIn)*int64(wOut) + int64(wOut)
	c.c.Acts += int64(wOut)
}

// se adds squeeze-excitation on w channels with squeeze width wSE: two 1×1
// convolutions with bias counted at 1×1 spatial size; the spatial size is unchanged.
func (c *counter) se(w, wSE int) {
	h, ww := c.h, c.w
	c.h, c.w = 1, 1
	c.conv(w, wSE, 1, 1, 1, true)
	c.conv(wSE, w, 1, 1, 1, true)
	c.h, c.w = h, ww
}

// block adds one X or Y block wIn→wOut with stride s: the projection shortcut
// (1×1 conv with stride + BN) when wIn ≠ wOut or s ≠ 1, then 1×1 → 3×3 group
// conv (→ SE) → 1×1, each followed by BN.
func (c *counter) block(n *Net, wIn int, st Stage, s int) {
	if wIn != st.W || s != 1 {
		h, w := c.h, c.w
		c.conv(wIn, st.W, 1, s, 1, false)
		c.norm(st.W)
		c.h, c.w = h, w
	}
	wb := BottleneckWidth(st.W, st.B)
	c.conv(wIn, wb, 1, 1, 1, false)
	c.norm(wb)
	c.conv(wb, wb, 3, s, wb/st.G, false)
	c.norm(wb)
	if n.Block == BlockY {
		c.se(wb, SEWidth(wIn, n.SERatio))
	}
	c.conv(wb, st.W, 1, 1, 1, false)
	c.norm(st.W)
}

// Complexity counts n's flops, params and acts for one image. n must be valid (see Validate).
func (n Net) Complexity() Complexity {
	c := counter{h: int64(n.Res), w: int64(n.Res)}
	c.conv(n.Channels, n.StemW, 3, n.StemS, 1, false)
	c.norm(n.StemW)
	wIn := n.StemW
	for _, st := range n.Stages {
		for j := 0; j < st.D; j++ {
			s := 1
			if j == 0 {
				s = st.S
			}
			c.block(&n, wIn, st, s)
			wIn = st.W
		}
	}
	c.h, c.w = 1, 1 // global average pool
	c.linear(wIn, n.Classes)
	return c.c
}
