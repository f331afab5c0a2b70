// Package cpu holds the CPU reference kernels of dds's training engine: plain Go
// functions over float32 slices, one per operation and direction, in the style of
// llm.c. They are the readable definition that the CUDA kernels are tested against op
// by op, and the engine that trains where there is no GPU, so they are also written to
// be fast: work is split over Workers() goroutines (runtime.GOMAXPROCS) with Parallel,
// inner loops run over contiguous memory, and the kernels allocate nothing large —
// callers pass every output and scratch buffer. On amd64 with AVX2 and FMA the GEMMs
// and batch normalisation run SIMD assembly kernels (16-lane AVX-512 ones for wide
// GEMMs where the CPU has them), chosen at run time; elsewhere the same functions run
// in pure Go.
//
// # Conventions
//
// Activations are NHWC, channels fastest: x[((n·H + y)·W + x)·C + c]. Per-pixel
// operations see an activation as a matrix [m][c] with m = N·H·W rows. Convolution
// weights are [Cout][K][K][Cin/G] (PyTorch's [Cout][Cin/G][K][K] with the input-channel
// axis moved last; package network converts state dicts), linear weights are PyTorch's
// [out][in]. Every function states its formula and the shape of each argument in its
// doc comment.
//
// Outputs are overwritten, never accumulated into, gradients of weights included; an
// output may alias an input where the doc comment says so. The exceptions update state
// in place by definition: Sgemm with beta != 0, BatchNormUpdateRunning and SGDStep. A kernel reads and writes
// only the first length-of-the-shape values of each slice, so slices may be longer.
// Shapes that do not fit the slices make the kernels panic with a message naming the
// function and argument; they return no errors.
//
// Batch-norm statistics, its backward sums and the loss accumulate in float64; all
// other sums, those of convolutions and GEMMs included, run in float32.
//
// # Files
//
//	parallel.go         Workers, Parallel, ParallelN
//	gemm.go             Sgemm; without SIMD kernels, gonum's SSE kernels where they win and a pure-Go register-tiled kernel elsewhere
//	gemm_simd.go        the SIMD GEMM path: tiles of C over assembly micro-kernels, A and B read in place, edge tiles
//	gemm_amd64.go       CPU feature detection (AVX2+FMA, AVX-512F), declarations of the batch-norm and im2col kernels
//	gen_kernels.go      the generator (go generate) of the three gemm_kernels files:
//	gemm_kernels_amd64.s  the GEMM micro-kernels (MR×NR register tiles, AVX2+FMA or AVX-512)
//	gemm_kernels_amd64.go their declarations and callKernel
//	gemm_kernels.go     their numbers
//	bn_amd64.s          the row kernels of batch normalisation (AVX2, FMA)
//	gemm_noasm.go       stand-ins where there is no assembly (other targets, the purego build tag)
//	fma.go, nofma.go    whether Go fuses multiply-adds on this target (GOAMD64=v3, arm64), for Sgemm's choice
//	conv.go             ConvShape, ConvForward, ConvBackwardData, ConvBackwardWeight, weight layout conversion
//	conv_im2col.go      the general convolution path: im2col blocks and per-group GEMMs
//	conv_amd64.s        the im2col row kernel: one kernel tap's runs of a group's channels (AVX)
//	conv_depthwise.go   the depthwise path: direct loops over channels
//	bn.go               batch normalisation: statistics, running statistics, apply (optionally + residual, ReLU), backward
//	elementwise.go      ReLU, Add, sigmoid
//	se.go               squeeze-excitation channel scaling
//	pool.go             global average pooling
//	linear.go           fully connected layer with bias
//	loss.go             soft-target cross-entropy with label smoothing, top-1 count
//	sgd.go              SGD with momentum, Nesterov and weight decay
//
// The tests compare each kernel with a naive float64 implementation written from the
// definition (ref_test.go), check gradients against finite differences, and guard the
// end of every output against stray writes; bench_test.go and step_bench_test.go
// measure single layers and whole training steps.
//
// Used by train and evaluate through train/device.
package cpu
