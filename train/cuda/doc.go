// Package cuda is dds's CUDA engine: an engine.Engine whose operations run on an
// NVIDIA GPU through the kernel library libdds_cuda.so (its C ABI is lib/dds_cuda.h,
// its sources lib/*.cu). The library is not linked: Open loads it at run time with
// dlopen and resolves every function of the ABI into a table of function pointers,
// and each engine operation is one cgo call into a small C trampoline
// (trampolines.c) that calls through that table. So a binary built with this package runs on machines
// without CUDA (Open then reports what is missing), and builds without a C compiler
// (CGO_ENABLED=0: Open reports that the binary was built without cgo).
//
// # Use
//
//	lib, err := cuda.Open("")         // DefaultPaths; dds_probe
//	e, err := lib.NewEngine(0)        // dds_create on device 0 (float32 activations)
//	e, err := lib.NewEngineWith(0, engine.BF16) // or bfloat16 ones (dds_set_precision)
//	defer e.Close()                   // dds_destroy
//	net, err := network.New(e, arch, 128, true)
//	...                               // e.Err() after each step and transfer
//
// # Memory and errors
//
// Buffers (Buf, Ints, ImageSet) hold device addresses and lengths; they are plain
// values, valid until their engine's Close, which frees all of an engine's memory at
// once (the library frees memory only in dds_destroy). Operations never return
// errors: the library records the first failure of a context and turns later
// operations into no-ops; Err reports it as an *Error ("CUDA: <message>"), which
// wraps ErrOutOfMemory when device memory ran out. Arguments that do not fit the
// shape of an operation (a buffer too short, a buffer of another engine) make the
// operation panic before anything reaches the GPU, as the CPU engine's kernels do.
//
// # Precision
//
// An engine stores activations (engine's "Activation arguments") in its Precision,
// fixed when it is made (NewEngineWith; NewEngine is FP32). In BF16, AllocAct
// returns a Buf of bfloat16 values (2 bytes each; Buf.BF16 reports it, and Slice
// offsets count 2-byte values), the library's kernels read them as float, compute in
// float and round what they write to the nearest bfloat16; convolution and linear
// weights stay float32 (the master weights SGD updates) and are rounded to bfloat16
// where they multiply activations: the 1×1 convolutions run on tensor cores
// (cublasGemmEx on bfloat16 copies of x and w, float accumulation, ConvScratch
// counting the copy), the other convolutions and the linear layers round each weight
// as they load it. Weight gradients, batch-norm statistics and the loss statistics
// stay float32. Upload and Download of a bfloat16 buffer convert on the host (round
// to nearest even, NaN kept; exact back) through a staging slice the engine reuses.
// Every operation checks its arguments' kinds: in BF16 an activation argument must
// be a bfloat16 buffer and any other must be a float32 one, or it panics naming the
// operation and the argument; in FP32 AllocAct is Alloc and nothing changes.
//
// # Recorded steps
//
// The step-indexed operations (BatchAt, ResizedBatchAt, SGDStepAt, CopyAt, Count)
// take their per-step inputs (batch indices, int32 crops or random-resized-crop
// boxes, learning rates) from engine memory at the step t held in a counter buffer,
// which their kernels read on the device, so a training step is the same launches
// every step. Engine.Record captures the
// operations a function issues into a CUDA graph (dds_capture_begin/end, stream
// capture in relaxed mode, since a goroutine may change OS threads between the two
// calls) and returns a *Replay whose Run enqueues all of them with one call
// (dds_graph_launch); *Engine is an engine.Recorder. While recording, what would
// allocate, copy to or from the host or wait (Alloc, the transfers, Batch, Sync) is
// refused and fails the recording. A Replay is freed by its Close or its engine's.
// Library.MemInfo reports a device's free and total memory (dds_mem_info).
//
// # Threads
//
// An Engine is used by one goroutine at a time; it need not stay on one OS thread,
// since every library call makes the context's device current on the calling thread
// before it enqueues work. Engines are independent of each other (each has its own
// stream, cuBLAS handle and memory), so several can train at once from different
// goroutines, on one device or several.
//
// # Cost on the host
//
// An operation checks its arguments' lengths in Go and makes one cgo call to a
// trampoline (a convolution's shape travels by value and becomes a dds_conv on the C
// side); it allocates no Go memory. BenchmarkFakeCall measures about 40 ns per
// operation.
//
// # Files
//
//	doc.go             this comment
//	paths.go           DefaultPaths, the library's file name
//	errors.go          Error, ErrOutOfMemory, status codes
//	buffers.go         Buf, Ints, ImageSet
//	trampolines.h, .c  (cgo) the C side: function table, dlopen/dlsym, one trampoline per operation
//	binding.go         (cgo) the cgo flags; Open, load, probe, Library
//	engine.go          (cgo) NewEngine, Engine: lifecycle, errors, allocation, slices
//	transfer.go        (cgo) Upload, Download (bfloat16 staging), UploadInts, DownloadInts
//	checks.go          (cgo) the argument checks every operation makes before its cgo call
//	ops_conv.go        (cgo) the convolutions and their scratch
//	ops_bn.go          (cgo) batch normalization
//	ops_elementwise.go (cgo) ReLU, Add, sigmoid, channel scaling, average pooling
//	ops_linear.go      (cgo) the linear layer
//	ops_loss_sgd.go    (cgo) softmax cross-entropy, SGD
//	ops_batch.go       (cgo) UploadImages, Batch
//	ops_step.go        (cgo) the step-indexed operations
//	record.go          (cgo) Record, Replay
//	nocgo.go           (!cgo) Open reporting a build without cgo
//
// Tests: compare_test.go (the GPU test setup, TestConformance: the engine
// conformance suite against the CPU engine, FP32 and BF16, and Batch's staging),
// network_test.go (memory release over many networks, Record and Replay,
// BenchmarkStepGPU and BenchmarkStepGraphGPU with fp32 and bf16 sub-benchmarks),
// fake_test.go (the binding against a host-memory stand-in library,
// testdata/fake/fake.c, built by the test where a C compiler exists: loading, its
// messages, the conformance families the fake implements), fake_bf16_test.go
// (bfloat16 storage and conversion on the fake), fake_binding_test.go (buffers,
// errors, argument checks, recording, allocations and the cost of a call on the
// fake),
// open_test.go, paths_test.go, arch_test.go, nocgo_test.go.
// The GPU tests skip where Open fails, unless DDS_REQUIRE_GPU=1.
//
// Used by train and evaluate through train/device.
package cuda
