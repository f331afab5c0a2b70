//go:build cgo

package cuda

// #include "trampolines.h"
import "C"

import (
	"fmt"

	"github.com/ddstools/dds/train/engine"
)

// dev returns b as a Buf, panicking when it is nil or another engine's buffer.
func dev(b engine.Buf, op, arg string) Buf {
	d, ok := b.(Buf)
	if !ok {
		panic(fmt.Sprintf("cuda: %s: %s is %T, not a CUDA engine buffer", op, arg, b))
	}
	return d
}

// need returns the device address of b, panicking unless it is a float32 Buf (not
// bfloat16 activations) of at least n values: a float argument (engine's
// "Activation arguments" are the others, checked by act).
func need(b engine.Buf, n int, op, arg string) C.uintptr_t {
	d, ok := b.(Buf)
	if !ok || d.n < n {
		panic(short(b, n, op, arg))
	}
	if d.bf16 {
		panic(fmt.Sprintf("cuda: %s: %s is a bfloat16 activation buffer (AllocAct), want a float32 buffer (Alloc)", op, arg))
	}
	return C.uintptr_t(d.ptr)
}

// opt is need for an optional argument: nil gives NULL.
func opt(b engine.Buf, n int, op, arg string) C.uintptr_t {
	if b == nil {
		return 0
	}
	return need(b, n, op, arg)
}

// act is need for an activation argument: a Buf of at least n values in the
// engine's precision (from AllocAct; in FP32 any float32 Buf).
func (e *Engine) act(b engine.Buf, n int, op, arg string) C.uintptr_t {
	d, ok := b.(Buf)
	if !ok || d.n < n {
		panic(short(b, n, op, arg))
	}
	if d.bf16 != e.bf16() {
		if d.bf16 {
			panic(fmt.Sprintf("cuda: %s: %s is a bfloat16 activation buffer, but the engine's activations are float32", op, arg))
		}
		panic(fmt.Sprintf("cuda: %s: %s is a float32 buffer (Alloc), want a bfloat16 activation buffer (AllocAct) in bf16", op, arg))
	}
	return C.uintptr_t(d.ptr)
}

// optAct is act for an optional argument: nil gives NULL.
func (e *Engine) optAct(b engine.Buf, n int, op, arg string) C.uintptr_t {
	if b == nil {
		return 0
	}
	return e.act(b, n, op, arg)
}

// ints is need for an Ints buffer.
func ints(l engine.Ints, n int, op, arg string) C.uintptr_t {
	d, ok := l.(Ints)
	if !ok || d.n < n {
		panic(short(l, n, op, arg))
	}
	return C.uintptr_t(d.ptr)
}

func short(b interface{ Len() int }, n int, op, arg string) string {
	switch b.(type) {
	case Buf, Ints:
		return fmt.Sprintf("cuda: %s: len(%s) = %d, want at least %d", op, arg, b.Len(), n)
	case nil:
		return fmt.Sprintf("cuda: %s: %s is nil", op, arg)
	}
	return fmt.Sprintf("cuda: %s: %s is %T, not a CUDA engine buffer", op, arg, b)
}

// cbool returns b as a C flag: 1 or 0.
func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}
