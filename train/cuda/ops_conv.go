//go:build cgo

package cuda

// #include "trampolines.h"
import "C"

import (
	"fmt"

	"github.com/ddstools/dds/train/engine"
)

// convArgs returns shape s as the library's dds_conv, panicking on a shape the
// convolutions do not take.
func convArgs(s engine.Conv) C.dds_conv {
	if s.Groups < 1 || s.Stride < 1 || s.K < 1 || s.Cin%s.Groups != 0 || s.Cout%s.Groups != 0 {
		panic(fmt.Sprintf("cuda: convolution %+v: want K, Stride, Groups >= 1 dividing Cin and Cout", s))
	}
	return C.dds_conv{n: C.int(s.N), h: C.int(s.H), w: C.int(s.W), cin: C.int(s.Cin), cout: C.int(s.Cout),
		k: C.int(s.K), stride: C.int(s.Stride), groups: C.int(s.Groups)}
}

// ConvScratch returns the float32 scratch length the convolutions need for s in the
// engine's precision (dds_conv_scratch_ctx; a float32 buffer from Alloc).
func (e *Engine) ConvScratch(s engine.Conv) int {
	return int(C.go_conv_scratch(e.t, e.c(), convArgs(s)))
}

// scratchArgs returns the address and length of an optional scratch buffer (float32).
func scratchArgs(b engine.Buf, op string) (C.uintptr_t, C.size_t) {
	if b == nil {
		return 0, 0
	}
	d := dev(b, op, "scratch")
	if d.bf16 {
		panic(fmt.Sprintf("cuda: %s: scratch is a bfloat16 activation buffer (AllocAct), want a float32 buffer (Alloc)", op))
	}
	return C.uintptr_t(d.ptr), C.size_t(d.n)
}

// conv runs convolution pass (a C.go_conv_pass) of shape cs on the checked device
// addresses out, a and b (go_conv's order), panicking before anything is launched
// when scratch is shorter than the library needs.
func (e *Engine) conv(op string, pass C.int, cs C.dds_conv, out, a, b C.uintptr_t, scratch engine.Buf) {
	sp, sn := scratchArgs(scratch, op)
	if r := C.go_conv(e.t, e.c(), pass, out, a, b, cs, sp, sn); r != 0 {
		panic(fmt.Sprintf("cuda: %s: len(scratch) = %d, want at least %d (ConvScratch)", op, sn, r))
	}
}

// ConvForward is dds_conv_forward: y [N][OutH][OutW][Cout] = conv(x [N][H][W][Cin],
// w [Cout][K][K][Cin/G]).
func (e *Engine) ConvForward(y, x, w engine.Buf, s engine.Conv, scratch engine.Buf) {
	const op = "ConvForward"
	e.conv(op, C.GO_CONV_FORWARD, convArgs(s),
		e.act(y, s.OutLen(), op, "y"), e.act(x, s.InLen(), op, "x"), need(w, s.WeightLen(), op, "w"), scratch)
}

// ConvBackwardData is dds_conv_backward_data: dx [N][H][W][Cin] from dy and w.
func (e *Engine) ConvBackwardData(dx, dy, w engine.Buf, s engine.Conv, scratch engine.Buf) {
	const op = "ConvBackwardData"
	e.conv(op, C.GO_CONV_BACKWARD_DATA, convArgs(s),
		e.act(dx, s.InLen(), op, "dx"), e.act(dy, s.OutLen(), op, "dy"), need(w, s.WeightLen(), op, "w"), scratch)
}

// ConvBackwardWeight is dds_conv_backward_weight: dw [Cout][K][K][Cin/G] from dy and x.
func (e *Engine) ConvBackwardWeight(dw, dy, x engine.Buf, s engine.Conv, scratch engine.Buf) {
	const op = "ConvBackwardWeight"
	e.conv(op, C.GO_CONV_BACKWARD_WEIGHT, convArgs(s),
		need(dw, s.WeightLen(), op, "dw"), e.act(dy, s.OutLen(), op, "dy"), e.act(x, s.InLen(), op, "x"), scratch)
}
