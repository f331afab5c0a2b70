// Package engine defines the interface between a network and the hardware that runs
// it. A network (package network) is written once against Engine; the CPU engine
// (package cpu) and the CUDA engine implement it, so the same network code trains on
// either. An Engine owns its memory: the network allocates every buffer it needs once,
// before the first step, and then only calls operations on those buffers, so a whole
// training step is a fixed sequence of kernel launches with no allocation and no host
// decision that depends on a device value.
//
// Every operation has the semantics of the function of the same name in package cpu,
// which is the reference: outputs are overwritten (never accumulated into), and the
// shapes and formulas are those stated there. Operations do not return errors: an
// engine that can fail (a GPU) records the first failure, turns the rest of the
// operations into no-ops, and reports it from Err, which callers check after each
// step and after every transfer.
//
// Used by train and evaluate: train/cpu and train/cuda implement it, train/network
// and train/device build on it.
package engine

import (
	"errors"
	"fmt"
)

// ErrOutOfMemory is wrapped by an engine's Err when its device memory ran out, so
// callers can tell a model that does not fit beside others from one that fails.
var ErrOutOfMemory = errors.New("out of GPU memory")

// Precision is how an engine stores activations: the values that flow between the
// operations of a network and their gradients. Parameters, their gradients, the
// momentum, batch-norm statistics and loss statistics are float32 in every
// precision, and every operation computes in float32.
type Precision int

const (
	// FP32 stores activations as float32.
	FP32 Precision = iota
	// BF16 stores activations as bfloat16, each value an operation writes rounded
	// to the nearest bfloat16 (ties to even), and rounds convolution and linear
	// weights to bfloat16 where they multiply activations (the forward pass and the
	// data gradient; on a GPU, on tensor cores). Weight gradients are computed from
	// the bfloat16 activations and kept in float32, as are the master weights the
	// optimiser updates.
	BF16
)

// String returns "fp32" or "bf16".
func (p Precision) String() string {
	if p == BF16 {
		return "bf16"
	}
	return "fp32"
}

// ParsePrecision parses "fp32" or "bf16".
func ParsePrecision(s string) (Precision, error) {
	switch s {
	case "fp32":
		return FP32, nil
	case "bf16":
		return BF16, nil
	}
	return FP32, fmt.Errorf("precision %q: want fp32 or bf16", s)
}

// Activation arguments. In the operations below these arguments are activations,
// stored in the engine's Precision, and must be buffers from AllocAct (or slices of
// them): every argument of ReLU*, Add, Sigmoid*, Scale*, AvgPool*; x and y of
// ConvForward, ConvBackward* (dx, dy, x), BatchNormStats (x), BatchNormApply (y, x,
// res), BatchNormBackward (dx, dres, dy, y, x), LinearForward (y, x), LinearBackward
// (dx, dy, x), SoftmaxCrossEntropy (dlogits, logits) and Batch/BatchAt (x). All
// other buffer arguments are float32 buffers from Alloc.

// Buf is a buffer owned by one engine: float32 values (Alloc), or activations in
// the engine's precision (AllocAct). Only the engine that allocated it may
// use it; an optional argument (a residual, a gradient that is not needed) is nil.
type Buf interface {
	Len() int
}

// Ints is a buffer of int32 values owned by one engine: class labels, and the
// step-indexed operations' batch indices, crops and step counter.
type Ints interface {
	Len() int
}

// Conv is the shape of a 2-D convolution over NHWC activations with square kernel K,
// zero padding K/2, the given stride and groups; weights are [Cout][K][K][Cin/Groups].
type Conv struct {
	N, H, W   int // batch, input height and width
	Cin, Cout int // input and output channels
	K         int // kernel size (odd)
	Stride    int
	Groups    int
}

// OutH returns the output height (H − 1)/Stride + 1 (padding K/2 keeps "same" size at stride 1).
func (s Conv) OutH() int { return (s.H+2*(s.K/2)-s.K)/s.Stride + 1 }

// OutW returns the output width (W − 1)/Stride + 1.
func (s Conv) OutW() int { return (s.W+2*(s.K/2)-s.K)/s.Stride + 1 }

// InLen returns N·H·W·Cin, the length of the input.
func (s Conv) InLen() int { return s.N * s.H * s.W * s.Cin }

// OutLen returns N·OutH·OutW·Cout, the length of the output.
func (s Conv) OutLen() int { return s.N * s.OutH() * s.OutW() * s.Cout }

// WeightLen returns Cout·K·K·Cin/Groups, the number of weights.
func (s Conv) WeightLen() int { return s.Cout * s.K * s.K * (s.Cin / s.Groups) }

// Engine runs the operations of a network's training step and evaluation.
type Engine interface {
	// Name says which engine this is ("cpu", "cuda") for records and messages.
	Name() string
	// Precision returns how the engine stores activations.
	Precision() Precision
	// Alloc returns a zero-filled buffer of n float32 values.
	Alloc(n int) Buf
	// AllocAct returns a zero-filled buffer of n activations, in the engine's
	// precision.
	AllocAct(n int) Buf
	// AllocInts returns a zero-filled buffer of n int32 values.
	AllocInts(n int) Ints
	// Slice returns the view b[off : off+n], sharing b's memory.
	Slice(b Buf, off, n int) Buf
	// Upload copies src into dst[:len(src)]; Download copies src[:len(dst)] into dst.
	// On an activation buffer in BF16 they convert (Upload rounds to nearest even).
	Upload(dst Buf, src []float32)
	Download(dst []float32, src Buf)
	// UploadInts copies src into dst[:len(src)]; DownloadInts copies
	// src[:len(dst)] into dst.
	UploadInts(dst Ints, src []int32)
	DownloadInts(dst []int32, src Ints)
	// MemUsed returns the bytes of memory the engine has allocated; since memory is
	// freed only by Close, that is also its peak.
	MemUsed() int64
	// AllocAlign returns the granularity, in bytes, of the engine's memory: each
	// allocation takes its size rounded up to a multiple of it (1: exactly its size).
	// A network's footprint on the engine is computed with it (network.Footprint).
	AllocAlign() int
	// Err returns the first failure of any operation so far, or nil.
	Err() error
	// Close releases all memory the engine allocated; its buffers must not be used after.
	Close()

	// ConvScratch returns the scratch length the convolution operations need for s.
	ConvScratch(s Conv) int
	ConvForward(y, x, w Buf, s Conv, scratch Buf)
	ConvBackwardData(dx, dy, w Buf, s Conv, scratch Buf)
	ConvBackwardWeight(dw, dy, x Buf, s Conv, scratch Buf)

	// Batch normalisation over x [m][c]. BatchNormApply with relu fuses
	// y = max(0, BN(x) + res) (res optional); BatchNormBackward with relu is the
	// backward pass of that fused form (y its output; dres receives the gradient of
	// the residual when not nil), without relu that of plain BN (y and dres unused).
	BatchNormStats(mean, variance, x Buf, m, c int)
	BatchNormUpdateRunning(runMean, runVar, mean, variance Buf, m, c int, momentum float32)
	BatchNormApply(y, x, res, gamma, beta, mean, variance Buf, m, c int, eps float32, relu bool)
	BatchNormBackward(dx, dres, dgamma, dbeta, dy, y, x, gamma, mean, variance Buf, m, c int, eps float32, relu bool)

	ReLUForward(y, x Buf, n int)
	ReLUBackward(dx, dy, y Buf, n int)
	Add(y, a, b Buf, n int)
	SigmoidForward(y, x Buf, n int)
	SigmoidBackward(dx, dy, y Buf, n int)
	ScaleForward(y, x, s Buf, n, hw, c int)
	ScaleBackward(dx, ds, dy, x, s Buf, n, hw, c int)
	AvgPoolForward(y, x Buf, n, hw, c int)
	AvgPoolBackward(dx, dy Buf, n, hw, c int)
	LinearForward(y, x, w, bias Buf, n, in, out int)
	LinearBackward(dx, dw, dbias, dy, x, w Buf, n, in, out int)

	// SoftmaxCrossEntropy writes dlogits (nil: skip), stats[0] = the mean loss,
	// stats[1] = the number of rows whose argmax is the label and stats[2] = the
	// number of labels outside [0, c); when stats[2] > 0 the other outputs are
	// unspecified (the caller reports the bad labels).
	SoftmaxCrossEntropy(dlogits, logits Buf, labels Ints, n, c int, smoothing float32, stats Buf)
	SGDStep(p, g, v Buf, n int, lr, momentum, weightDecay float32, nesterov bool)

	// UploadImages makes an image set available to Batch (a GPU copies it to
	// device memory once, as uint8).
	UploadImages(images []uint8, labels []int32, h, w, c int) ImageSet
	// Batch has the semantics of data.Set.Batch: example idx[i] of set, augmented
	// by crop i (crops[3i], crops[3i+1] the window offsets DY, DX in [0, 2·pad],
	// crops[3i+2] = 1 to mirror; nil crops: none), normalised per channel
	// ((v/255 − mean[c])/std[c]), into x [len(idx)][H][W][C], and its label into y.
	Batch(x Buf, y Ints, set ImageSet, idx []int32, crops []int8, pad int, mean, std []float32)

	// Step-indexed operations. With its per-step inputs (batch indices, crops,
	// learning rate) in engine memory, a training step is the same operations every
	// step, which a Recorder records once and replays. counter is an Ints buffer
	// whose element 0 holds the step t within a run of steps; an operation whose t
	// is outside [0, steps) does nothing. The caller resets the counter with
	// UploadInts.

	// BatchAt is Batch with idx = idxs[t·n : (t+1)·n] and crops = crops[3·t·n :
	// 3·(t+1)·n] (int32 DY, DX, flip triples; nil: no augmentation), where idxs
	// holds steps·n indices.
	BatchAt(x Buf, y Ints, set ImageSet, idxs, crops, counter Ints, n, pad int, mean, std []float32)
	// SGDStepAt is SGDStep with learning rate lrs[t], lrs holding steps values.
	SGDStepAt(p, g, v Buf, n int, lrs Buf, counter Ints, momentum, weightDecay float32, nesterov bool)
	// CopyAt copies src[:n] into dst[t·n : (t+1)·n], dst holding steps·n values.
	CopyAt(dst, src Buf, counter Ints, n int)
	// Count adds one to counter[0].
	Count(counter Ints)
}

// Recorder is an Engine that can record a fixed sequence of its operations once and
// replay it with one call (a CUDA graph), which removes the per-operation launch
// cost from every later step.
type Recorder interface {
	Engine
	// Record records the operations f issues, without running them, and returns
	// them as a Replay. f must issue only operations (no transfers, no Err); a
	// failure to record is returned and also recorded as the engine's error.
	Record(f func()) (Replay, error)
}

// Replay is a recorded sequence of operations.
type Replay interface {
	// Run issues the recorded operations again, with the effect of calling f.
	Run()
	// Close frees the recording (Close of its engine frees it too).
	Close()
}

// ImageSet is a labelled image set held by an engine (uint8 NHWC images, int32
// labels), uploaded once and read by Engine.Batch every step.
type ImageSet interface {
	Len() int
}

// ResizedCropper is an Engine that also assembles batches of random-resized crops
// (the ImageNet training augmentation). It is optional: a trainer asks for it only
// when the recipe needs it, and fails the model with a clear message on an engine
// without it.
type ResizedCropper interface {
	Engine
	// ResizedBatchAt has the semantics of data.Set.ResizedBatch for step t =
	// counter[0]: the examples idxs[t·n : (t+1)·n] of set, example i cut to the
	// window of boxes[5k : 5k+5] (k = t·n + i; int32 top, left, height, width and
	// flip = 1 to mirror), resized bilinearly to the set's H×W and normalised per
	// channel ((v/255 − mean[c])/std[c]), into x [n][H][W][C], and their labels into
	// y. Nothing happens when t is outside [0, steps), steps = len(idxs)/n.
	ResizedBatchAt(x Buf, y Ints, set ImageSet, idxs, boxes, counter Ints, n int, mean, std []float32)
}
