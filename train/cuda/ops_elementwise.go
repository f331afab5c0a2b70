//go:build cgo

package cuda

// #include "trampolines.h"
import "C"

import (
	"github.com/ddstools/dds/train/engine"
)

// ReLUForward is dds_relu_forward: y = max(0, x) over n values.
func (e *Engine) ReLUForward(y, x engine.Buf, n int) {
	const op = "ReLUForward"
	C.go_relu_forward(e.t, e.c(), e.act(y, n, op, "y"), e.act(x, n, op, "x"), C.int64_t(n))
}

// ReLUBackward is dds_relu_backward: dx = dy where y > 0, else 0.
func (e *Engine) ReLUBackward(dx, dy, y engine.Buf, n int) {
	const op = "ReLUBackward"
	C.go_relu_backward(e.t, e.c(), e.act(dx, n, op, "dx"), e.act(dy, n, op, "dy"), e.act(y, n, op, "y"), C.int64_t(n))
}

// Add is dds_add: y = a + b over n values.
func (e *Engine) Add(y, a, b engine.Buf, n int) {
	const op = "Add"
	C.go_add(e.t, e.c(), e.act(y, n, op, "y"), e.act(a, n, op, "a"), e.act(b, n, op, "b"), C.int64_t(n))
}

// SigmoidForward is dds_sigmoid_forward: y = 1/(1 + exp(−x)).
func (e *Engine) SigmoidForward(y, x engine.Buf, n int) {
	const op = "SigmoidForward"
	C.go_sigmoid_forward(e.t, e.c(), e.act(y, n, op, "y"), e.act(x, n, op, "x"), C.int64_t(n))
}

// SigmoidBackward is dds_sigmoid_backward: dx = dy·y·(1 − y).
func (e *Engine) SigmoidBackward(dx, dy, y engine.Buf, n int) {
	const op = "SigmoidBackward"
	C.go_sigmoid_backward(e.t, e.c(), e.act(dx, n, op, "dx"), e.act(dy, n, op, "dy"), e.act(y, n, op, "y"), C.int64_t(n))
}

// ScaleForward is dds_scale_forward: y[b,p,ch] = x[b,p,ch]·s[b,ch].
func (e *Engine) ScaleForward(y, x, s engine.Buf, n, hw, c int) {
	const op = "ScaleForward"
	C.go_scale_forward(e.t, e.c(), e.act(y, n*hw*c, op, "y"), e.act(x, n*hw*c, op, "x"), e.act(s, n*c, op, "s"),
		C.int(n), C.int(hw), C.int(c))
}

// ScaleBackward is dds_scale_backward: dx = dy·s, ds[b,ch] = Σ_p dy·x.
func (e *Engine) ScaleBackward(dx, ds, dy, x, s engine.Buf, n, hw, c int) {
	const op = "ScaleBackward"
	C.go_scale_backward(e.t, e.c(), e.act(dx, n*hw*c, op, "dx"), e.act(ds, n*c, op, "ds"), e.act(dy, n*hw*c, op, "dy"),
		e.act(x, n*hw*c, op, "x"), e.act(s, n*c, op, "s"), C.int(n), C.int(hw), C.int(c))
}

// AvgPoolForward is dds_avgpool_forward: y [n][c] = the mean of x [n][hw][c] over hw.
func (e *Engine) AvgPoolForward(y, x engine.Buf, n, hw, c int) {
	const op = "AvgPoolForward"
	C.go_avgpool_forward(e.t, e.c(), e.act(y, n*c, op, "y"), e.act(x, n*hw*c, op, "x"), C.int(n), C.int(hw), C.int(c))
}

// AvgPoolBackward is dds_avgpool_backward: dx[b,p,ch] = dy[b,ch]/hw.
func (e *Engine) AvgPoolBackward(dx, dy engine.Buf, n, hw, c int) {
	const op = "AvgPoolBackward"
	C.go_avgpool_backward(e.t, e.c(), e.act(dx, n*hw*c, op, "dx"), e.act(dy, n*c, op, "dy"), C.int(n), C.int(hw), C.int(c))
}
