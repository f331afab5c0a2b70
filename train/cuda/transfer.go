//go:build cgo

package cuda

// #include "trampolines.h"
import "C"

import (
	"math"
	"unsafe"

	"github.com/ddstools/dds/train/engine"
)

// staging returns the engine's bfloat16 staging slice with n values.
func (e *Engine) staging(n int) []uint16 {
	if cap(e.stage) < n {
		e.stage = make([]uint16, n)
	}
	return e.stage[:n]
}

// Upload copies src into dst[:len(src)] and waits for the copy (dds_upload). Into
// bfloat16 activations it rounds each value to the nearest bfloat16 (ties to even;
// NaN stays NaN) on the host first.
func (e *Engine) Upload(dst engine.Buf, src []float32) {
	d := dev(dst, "Upload", "dst")
	if d.n < len(src) {
		panic(short(dst, len(src), "Upload", "dst"))
	}
	if len(src) == 0 {
		return
	}
	if !d.bf16 {
		C.go_upload(e.t, e.c(), C.uintptr_t(d.ptr), unsafe.Pointer(unsafe.SliceData(src)), C.size_t(4*len(src)))
		return
	}
	ctx := e.c()
	st := e.staging(len(src))
	for i, v := range src {
		st[i] = toBF16(v)
	}
	C.go_upload(e.t, ctx, C.uintptr_t(d.ptr), unsafe.Pointer(unsafe.SliceData(st)), C.size_t(2*len(src)))
}

// Download waits for the stream and copies src[:len(dst)] into dst (dds_download),
// converting bfloat16 activations to float32 (exactly). After a failure dst is left
// as it was; Err reports the failure.
func (e *Engine) Download(dst []float32, src engine.Buf) {
	s := dev(src, "Download", "src")
	if s.n < len(dst) {
		panic(short(src, len(dst), "Download", "src"))
	}
	if len(dst) == 0 {
		return
	}
	if !s.bf16 {
		C.go_download(e.t, e.c(), unsafe.Pointer(unsafe.SliceData(dst)), C.uintptr_t(s.ptr), C.size_t(4*len(dst)))
		return
	}
	ctx := e.c()
	st := e.staging(len(dst))
	if C.go_download(e.t, ctx, unsafe.Pointer(unsafe.SliceData(st)), C.uintptr_t(s.ptr), C.size_t(2*len(dst))) != StatusOK {
		return
	}
	for i, v := range st {
		dst[i] = fromBF16(v)
	}
}

// toBF16 returns the bfloat16 nearest to f (ties to even), as __float2bfloat16_rn:
// the high half of f's encoding after rounding the low half; a NaN stays a (quiet)
// NaN of the same sign, infinities stay infinite.
func toBF16(f float32) uint16 {
	b := math.Float32bits(f)
	if b&0x7fffffff > 0x7f800000 {
		return uint16((b | 0x00400000) >> 16)
	}
	b += 0x7fff + (b>>16)&1
	return uint16(b >> 16)
}

// fromBF16 returns the float32 of a bfloat16 (exact).
func fromBF16(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }

// UploadInts copies src into dst[:len(src)] (dds_upload).
func (e *Engine) UploadInts(dst engine.Ints, src []int32) {
	d := ints(dst, len(src), "UploadInts", "dst")
	if len(src) == 0 {
		return
	}
	C.go_upload(e.t, e.c(), d, unsafe.Pointer(unsafe.SliceData(src)), C.size_t(4*len(src)))
}

// DownloadInts copies src[:len(dst)] into dst (dds_download).
func (e *Engine) DownloadInts(dst []int32, src engine.Ints) {
	s := ints(src, len(dst), "DownloadInts", "src")
	if len(dst) == 0 {
		return
	}
	C.go_download(e.t, e.c(), unsafe.Pointer(unsafe.SliceData(dst)), s, C.size_t(4*len(dst)))
}
