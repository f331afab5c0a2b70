/*
 * runtime.cc — the CUDA runtime of the host emulation: device memory, streams, stream
 * capture and graphs, errors, the device's description, and kernel execution.
 *
 * Memory. cudaMalloc is posix_memalign (256-byte aligned, the exact size, so that
 * AddressSanitizer puts its redzone right after the block); cudaFree frees, so a later
 * access is a use after free. The blocks are kept in a table: copies and memsets
 * check that their device operands lie in a live block.
 *
 * Streams execute synchronously: a launch, copy or memset runs before the call
 * returns. A stream in capture records them instead (kernels with copies of their
 * arguments), and cudaGraphLaunch replays the record. Calls CUDA forbids during a
 * capture (synchronising the capturing stream, copies between host and device on it,
 * and cudaMalloc/cudaFree while a capture not in relaxed mode is active) return
 * cudaErrorStreamCaptureUnsupported and invalidate the capture, as CUDA does.
 *
 * Kernels. Every block of the grid runs in turn on the calling host thread (one
 * launch at a time in the process), its threads as fibers that switch only at
 * __syncthreads and warp shuffles. Most kernels have no barrier, so thread 0 of each
 * block runs first, alone, on a fiber; if it finishes without meeting a barrier or a
 * shuffle, the block's other threads run one after the other on the same fiber
 * without switching (a barrier met then is one thread 0 never reached: an error).
 * Otherwise every thread of the block gets a fiber and they run round-robin from one
 * barrier or shuffle to the next. Errors (a barrier not every thread of the block
 * reaches, a shuffle some lane of the warp does not join, a shared-memory race
 * (sanitize.cc), an AddressSanitizer report during the kernel) are printed on
 * stderr naming the kernel, the block and the thread, and make the launch fail with
 * cudaErrorLaunchFailure (cudaErrorIllegalAddress for memory errors), which
 * cudaGetLastError returns and which sticks to the stream: its later calls and
 * cudaStreamSynchronize return it too.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "cuda_runtime.h"
#include "emu.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#define EMU_ASAN 1
#else
#define EMU_ASAN 0
#endif

#if !defined(__x86_64__)
#error "the emulation's fibers switch stacks with x86-64 code"
#endif

namespace dds_emu {

thread *cur;
uint3 block_idx;
dim3 block_dim, grid_dim;
launch_state *L;
uint32_t block_gen;
uint32_t epoch;

/* ---- errors ---- */

static thread_local cudaError_t last_error = cudaSuccess;

static void set_last(cudaError_t e) {
	if (e != cudaSuccess && last_error == cudaSuccess) last_error = e;
}

/* asan_reports counts AddressSanitizer reports outside kernels (in copies, memsets,
 * GEMMs): the next runtime call returns cudaErrorIllegalAddress. */
static int asan_pending;

static void vnote(const char *fmt, va_list ap) {
	char buf[1024];
	vsnprintf(buf, sizeof buf, fmt, ap);
	fprintf(stderr, "dds-emu: %s\n", buf);
	fflush(stderr);
}

void note(const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	vnote(fmt, ap);
	va_end(ap);
}

} // namespace dds_emu

using namespace dds_emu;

/* ---- streams ---- */

/* op is one recorded operation of a capture. */
struct op {
	std::string what;
	std::function<cudaError_t()> run;
};

struct dds_emu_stream {
	unsigned flags = 0;
	bool capturing = false;
	bool invalidated = false;
	cudaStreamCaptureMode mode = cudaStreamCaptureModeGlobal;
	cudaError_t sticky = cudaSuccess;
	std::vector<op> ops;
};

struct dds_emu_graph {
	std::vector<op> ops;
};

struct dds_emu_graph_exec {
	std::vector<op> ops;
};

static std::mutex table_mu; /* guards the tables below */
static std::unordered_set<cudaStream_t> streams;
static std::unordered_set<cudaGraph_t> graphs;
static std::unordered_set<cudaGraphExec_t> execs;
static std::map<uintptr_t, size_t> blocks; /* live cudaMalloc blocks: address → size */
static size_t mem_used;
static int strict_captures; /* captures in progress not in relaxed mode */
static dds_emu_stream legacy_stream;

static cudaStream_t stream_of(cudaStream_t s) { return s == NULL ? &legacy_stream : s; }

static bool stream_live(cudaStream_t s) {
	if (s == NULL) return true;
	std::lock_guard<std::mutex> g(table_mu);
	return streams.count(s) != 0;
}

/* invalidate marks a capture broken by a call CUDA does not allow in it. */
static void invalidate(cudaStream_t s, const char *why) {
	if (s->capturing && !s->invalidated) {
		s->invalidated = true;
		note("stream capture invalidated: %s", why);
	}
}

static void invalidate_strict(const char *why) {
	std::lock_guard<std::mutex> g(table_mu);
	for (cudaStream_t s : streams) {
		if (s->capturing && s->mode != cudaStreamCaptureModeRelaxed) invalidate(s, why);
	}
}

/* pending returns the error a call should report before doing anything: an
 * AddressSanitizer report since the last call. */
static cudaError_t pending(void) {
	if (asan_pending) {
		asan_pending = 0;
		return cudaErrorIllegalAddress;
	}
	return cudaSuccess;
}

/* enqueue runs fn on stream s now, or records it when s is capturing. */
static cudaError_t enqueue(cudaStream_t s, const std::string &what, std::function<cudaError_t()> fn) {
	if (!stream_live(s)) return cudaErrorInvalidResourceHandle;
	s = stream_of(s);
	if (s->sticky != cudaSuccess) return s->sticky;
	if (s->capturing) {
		if (s->invalidated) return cudaErrorStreamCaptureInvalidated;
		s->ops.push_back(op{what, std::move(fn)});
		return cudaSuccess;
	}
	cudaError_t e = fn();
	if (e == cudaSuccess) e = pending();
	if (e == cudaErrorLaunchFailure || e == cudaErrorIllegalAddress) s->sticky = e;
	return e;
}

namespace dds_emu {
cudaError_t enqueue_op(cudaStream_t s, const char *what, std::function<cudaError_t()> fn) {
	return enqueue(s, what, std::move(fn));
}
void fail_stream(cudaStream_t s, cudaError_t e) { stream_of(s)->sticky = e; }
} // namespace dds_emu

/* ---- errors, versions, devices ---- */

cudaError_t cudaGetLastError(void) {
	set_last(pending());
	cudaError_t e = last_error;
	last_error = cudaSuccess;
	return e;
}

cudaError_t cudaPeekAtLastError(void) {
	set_last(pending());
	return last_error;
}

const char *cudaGetErrorName(cudaError_t e) {
	switch (e) {
#define NAME(x) \
	case x: return #x;
		NAME(cudaSuccess)
		NAME(cudaErrorInvalidValue)
		NAME(cudaErrorMemoryAllocation)
		NAME(cudaErrorInitializationError)
		NAME(cudaErrorInvalidConfiguration)
		NAME(cudaErrorInvalidMemcpyDirection)
		NAME(cudaErrorInvalidDeviceFunction)
		NAME(cudaErrorNoDevice)
		NAME(cudaErrorInvalidDevice)
		NAME(cudaErrorInvalidResourceHandle)
		NAME(cudaErrorIllegalState)
		NAME(cudaErrorNotReady)
		NAME(cudaErrorIllegalAddress)
		NAME(cudaErrorLaunchOutOfResources)
		NAME(cudaErrorLaunchFailure)
		NAME(cudaErrorNotSupported)
		NAME(cudaErrorStreamCaptureUnsupported)
		NAME(cudaErrorStreamCaptureInvalidated)
		NAME(cudaErrorStreamCaptureUnmatched)
		NAME(cudaErrorStreamCaptureWrongThread)
		NAME(cudaErrorUnknown)
#undef NAME
	}
	return "cudaErrorUnknown";
}

const char *cudaGetErrorString(cudaError_t e) {
	switch (e) {
	case cudaSuccess: return "no error";
	case cudaErrorInvalidValue: return "invalid argument";
	case cudaErrorMemoryAllocation: return "out of memory";
	case cudaErrorInitializationError: return "initialization error";
	case cudaErrorInvalidConfiguration: return "invalid configuration argument";
	case cudaErrorInvalidMemcpyDirection: return "invalid copy direction for memcpy";
	case cudaErrorInvalidDeviceFunction: return "invalid device function";
	case cudaErrorNoDevice: return "no CUDA-capable device is detected";
	case cudaErrorInvalidDevice: return "invalid device ordinal";
	case cudaErrorInvalidResourceHandle: return "invalid resource handle";
	case cudaErrorIllegalState: return "the operation cannot be performed in the present state";
	case cudaErrorNotReady: return "device not ready";
	case cudaErrorIllegalAddress: return "an illegal memory access was encountered";
	case cudaErrorLaunchOutOfResources: return "too many resources requested for launch";
	case cudaErrorLaunchFailure: return "unspecified launch failure";
	case cudaErrorNotSupported: return "operation not supported";
	case cudaErrorStreamCaptureUnsupported: return "operation not permitted when stream is capturing";
	case cudaErrorStreamCaptureInvalidated: return "operation failed due to a previous error during capture";
	case cudaErrorStreamCaptureUnmatched: return "capture was not initiated in this stream";
	case cudaErrorStreamCaptureWrongThread: return "attempt to terminate a thread-local capture sequence from another thread";
	case cudaErrorUnknown: return "unknown error";
	}
	return "unrecognized error code";
}

cudaError_t cudaRuntimeGetVersion(int *v) {
	if (v == NULL) return cudaErrorInvalidValue;
	*v = CUDART_VERSION;
	return cudaSuccess;
}

cudaError_t cudaDriverGetVersion(int *v) {
	if (v == NULL) return cudaErrorInvalidValue;
	*v = CUDART_VERSION;
	return cudaSuccess;
}

cudaError_t cudaGetDeviceCount(int *n) {
	if (n == NULL) return cudaErrorInvalidValue;
	*n = 1;
	return cudaSuccess;
}

static thread_local int current_device;

cudaError_t cudaSetDevice(int d) {
	if (d != 0) {
		set_last(cudaErrorInvalidDevice);
		return cudaErrorInvalidDevice;
	}
	current_device = d;
	return cudaSuccess;
}

cudaError_t cudaGetDevice(int *d) {
	if (d == NULL) return cudaErrorInvalidValue;
	*d = current_device;
	return cudaSuccess;
}

/* total_memory is the emulated device's memory: $DDS_EMU_MEM_MIB MiB, default 4 GiB.
 * Allocations are host memory (and the library clears each one, so it is touched):
 * the bound keeps a test that allocates until memory runs out within the host's. */
static size_t total_memory(void) {
	static size_t total = [] {
		const char *v = getenv("DDS_EMU_MEM_MIB");
		long long mib = v != NULL ? atoll(v) : 0;
		return (size_t)(mib > 0 ? mib : 4096) << 20;
	}();
	return total;
}

cudaError_t cudaGetDeviceProperties(cudaDeviceProp *p, int d) {
	if (p == NULL) return cudaErrorInvalidValue;
	if (d != 0) return cudaErrorInvalidDevice;
	memset(p, 0, sizeof *p);
	snprintf(p->name, sizeof p->name, "dds-emu (host SIMT emulation)");
	p->totalGlobalMem = total_memory();
	p->sharedMemPerBlock = DDS_EMU_SHARED_LIMIT;
	p->regsPerBlock = 65536;
	p->warpSize = 32;
	p->maxThreadsPerBlock = 1024;
	p->maxThreadsDim[0] = 1024, p->maxThreadsDim[1] = 1024, p->maxThreadsDim[2] = 64;
	p->maxGridSize[0] = 0x7fffffff, p->maxGridSize[1] = 65535, p->maxGridSize[2] = 65535;
	p->major = 8; /* an A100's: 4 MiB cuBLAS workspace */
	p->minor = 0;
	p->multiProcessorCount = 1;
	return cudaSuccess;
}

cudaError_t cudaMemGetInfo(size_t *free_bytes, size_t *total_bytes) {
	std::lock_guard<std::mutex> g(table_mu);
	size_t t = total_memory();
	if (free_bytes) *free_bytes = t - (mem_used < t ? mem_used : t);
	if (total_bytes) *total_bytes = t;
	return cudaSuccess;
}

/* ---- memory ---- */

cudaError_t cudaMalloc(void **p, size_t bytes) {
	if (p == NULL) return cudaErrorInvalidValue;
	*p = NULL;
	if (strict_captures > 0) {
		invalidate_strict("cudaMalloc during a capture not in relaxed mode");
		set_last(cudaErrorStreamCaptureUnsupported);
		return cudaErrorStreamCaptureUnsupported;
	}
	if (bytes == 0) return cudaSuccess;
	{
		std::lock_guard<std::mutex> g(table_mu);
		if (bytes > total_memory() - mem_used) {
			set_last(cudaErrorMemoryAllocation);
			return cudaErrorMemoryAllocation;
		}
	}
	void *q = NULL;
	if (posix_memalign(&q, 256, bytes) != 0) {
		set_last(cudaErrorMemoryAllocation);
		return cudaErrorMemoryAllocation;
	}
	std::lock_guard<std::mutex> g(table_mu);
	blocks[(uintptr_t)q] = bytes;
	mem_used += bytes;
	*p = q;
	return cudaSuccess;
}

cudaError_t cudaFree(void *p) {
	if (p == NULL) return cudaSuccess;
	if (strict_captures > 0) {
		invalidate_strict("cudaFree during a capture not in relaxed mode");
		set_last(cudaErrorStreamCaptureUnsupported);
		return cudaErrorStreamCaptureUnsupported;
	}
	{
		std::lock_guard<std::mutex> g(table_mu);
		auto it = blocks.find((uintptr_t)p);
		if (it == blocks.end()) {
			note("cudaFree(%p): not a block of cudaMalloc (freed already, or never allocated)", p);
			set_last(cudaErrorInvalidValue);
			return cudaErrorInvalidValue;
		}
		mem_used -= it->second;
		blocks.erase(it);
	}
	free(p);
	return cudaSuccess;
}

/* in_block says whether [p, p+n) lies in one live cudaMalloc block. */
static bool in_block(const void *p, size_t n) {
	std::lock_guard<std::mutex> g(table_mu);
	uintptr_t a = (uintptr_t)p;
	auto it = blocks.upper_bound(a);
	if (it == blocks.begin()) return false;
	--it;
	return a >= it->first && a + n <= it->first + it->second;
}

static bool capture_active(cudaStream_t s) {
	s = stream_of(s);
	return s->capturing;
}

cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind, cudaStream_t s) {
	cudaError_t e = cudaSuccess;
	if (kind < cudaMemcpyHostToHost || kind > cudaMemcpyDefault) e = cudaErrorInvalidMemcpyDirection;
	else if (bytes > 0 && (dst == NULL || src == NULL)) e = cudaErrorInvalidValue;
	else if (!stream_live(s)) e = cudaErrorInvalidResourceHandle;
	if (e != cudaSuccess) {
		set_last(e);
		return e;
	}
	bool dev_dst = kind == cudaMemcpyHostToDevice || kind == cudaMemcpyDeviceToDevice;
	bool dev_src = kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyDeviceToDevice;
	if (bytes > 0 && ((dev_dst && !in_block(dst, bytes)) || (dev_src && !in_block(src, bytes)))) {
		note("cudaMemcpyAsync(%p, %p, %zu, kind %d): the %s operand is not within a live cudaMalloc block", dst, src,
		     bytes, (int)kind, dev_dst && !in_block(dst, bytes) ? "destination" : "source");
		set_last(cudaErrorInvalidValue);
		return cudaErrorInvalidValue;
	}
	if (capture_active(s) && kind != cudaMemcpyDeviceToDevice) {
		invalidate(stream_of(s), "cudaMemcpyAsync between host and device on the capturing stream");
		set_last(cudaErrorStreamCaptureUnsupported);
		return cudaErrorStreamCaptureUnsupported;
	}
	e = enqueue(s, "cudaMemcpyAsync", [=]() {
		if (bytes > 0) memmove(dst, src, bytes);
		return cudaSuccess;
	});
	set_last(e);
	return e;
}

cudaError_t cudaMemcpy(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind) {
	if (strict_captures > 0) {
		invalidate_strict("cudaMemcpy during a capture not in relaxed mode");
		set_last(cudaErrorStreamCaptureUnsupported);
		return cudaErrorStreamCaptureUnsupported;
	}
	return cudaMemcpyAsync(dst, src, bytes, kind, NULL);
}

cudaError_t cudaMemsetAsync(void *p, int v, size_t bytes, cudaStream_t s) {
	if (bytes > 0 && !in_block(p, bytes)) {
		note("cudaMemsetAsync(%p, %d, %zu): not within a live cudaMalloc block", p, v, bytes);
		set_last(cudaErrorInvalidValue);
		return cudaErrorInvalidValue;
	}
	cudaError_t e = enqueue(s, "cudaMemsetAsync", [=]() {
		if (bytes > 0) memset(p, v, bytes);
		return cudaSuccess;
	});
	set_last(e);
	return e;
}

cudaError_t cudaMemset(void *p, int v, size_t bytes) { return cudaMemsetAsync(p, v, bytes, NULL); }

/* ---- streams, capture, graphs ---- */

cudaError_t cudaStreamCreateWithFlags(cudaStream_t *s, unsigned int flags) {
	if (s == NULL || (flags & ~1u) != 0) return cudaErrorInvalidValue;
	cudaStream_t n = new dds_emu_stream();
	n->flags = flags;
	std::lock_guard<std::mutex> g(table_mu);
	streams.insert(n);
	*s = n;
	return cudaSuccess;
}

cudaError_t cudaStreamCreate(cudaStream_t *s) { return cudaStreamCreateWithFlags(s, cudaStreamDefault); }

cudaError_t cudaStreamDestroy(cudaStream_t s) {
	if (s == NULL) return cudaErrorInvalidResourceHandle;
	std::lock_guard<std::mutex> g(table_mu);
	if (streams.erase(s) == 0) return cudaErrorInvalidResourceHandle;
	if (s->capturing && s->mode != cudaStreamCaptureModeRelaxed) strict_captures--;
	delete s;
	return cudaSuccess;
}

cudaError_t cudaStreamSynchronize(cudaStream_t s) {
	if (!stream_live(s)) return cudaErrorInvalidResourceHandle;
	cudaStream_t t = stream_of(s);
	if (t->capturing) {
		invalidate(t, "cudaStreamSynchronize on the capturing stream");
		set_last(cudaErrorStreamCaptureUnsupported);
		return cudaErrorStreamCaptureUnsupported;
	}
	cudaError_t e = pending();
	if (e != cudaSuccess) t->sticky = e;
	return t->sticky;
}

cudaError_t cudaStreamQuery(cudaStream_t s) {
	if (!stream_live(s)) return cudaErrorInvalidResourceHandle;
	cudaStream_t t = stream_of(s);
	if (t->capturing) {
		invalidate(t, "cudaStreamQuery on the capturing stream");
		return cudaErrorStreamCaptureUnsupported;
	}
	return t->sticky;
}

cudaError_t cudaDeviceSynchronize(void) {
	if (strict_captures > 0) {
		invalidate_strict("cudaDeviceSynchronize during a capture");
		return cudaErrorStreamCaptureUnsupported;
	}
	return pending();
}

cudaError_t cudaStreamBeginCapture(cudaStream_t s, cudaStreamCaptureMode mode) {
	cudaError_t e = cudaSuccess;
	if (s == NULL) e = cudaErrorStreamCaptureUnsupported; /* the legacy stream cannot be captured */
	else if (!stream_live(s)) e = cudaErrorInvalidResourceHandle;
	else if (mode < cudaStreamCaptureModeGlobal || mode > cudaStreamCaptureModeRelaxed) e = cudaErrorInvalidValue;
	else if (s->capturing) e = cudaErrorIllegalState;
	if (e != cudaSuccess) {
		set_last(e);
		return e;
	}
	s->capturing = true;
	s->invalidated = false;
	s->mode = mode;
	s->ops.clear();
	if (mode != cudaStreamCaptureModeRelaxed) {
		std::lock_guard<std::mutex> g(table_mu);
		strict_captures++;
	}
	return cudaSuccess;
}

cudaError_t cudaStreamEndCapture(cudaStream_t s, cudaGraph_t *g) {
	if (g == NULL) return cudaErrorInvalidValue;
	*g = NULL;
	if (s == NULL || !stream_live(s)) return cudaErrorInvalidResourceHandle;
	if (!s->capturing) {
		set_last(cudaErrorIllegalState);
		return cudaErrorIllegalState;
	}
	s->capturing = false;
	if (s->mode != cudaStreamCaptureModeRelaxed) {
		std::lock_guard<std::mutex> lk(table_mu);
		strict_captures--;
	}
	if (s->invalidated) {
		s->invalidated = false;
		s->ops.clear();
		set_last(cudaErrorStreamCaptureInvalidated);
		return cudaErrorStreamCaptureInvalidated;
	}
	cudaGraph_t n = new dds_emu_graph();
	n->ops.swap(s->ops);
	std::lock_guard<std::mutex> lk(table_mu);
	graphs.insert(n);
	*g = n;
	return cudaSuccess;
}

cudaError_t cudaStreamIsCapturing(cudaStream_t s, cudaStreamCaptureStatus *status) {
	if (status == NULL || !stream_live(s)) return cudaErrorInvalidValue;
	cudaStream_t t = stream_of(s);
	*status = !t->capturing ? cudaStreamCaptureStatusNone
	                        : (t->invalidated ? cudaStreamCaptureStatusInvalidated : cudaStreamCaptureStatusActive);
	return cudaSuccess;
}

cudaError_t cudaGraphInstantiate(cudaGraphExec_t *exec, cudaGraph_t g, unsigned long long flags) {
	if (exec == NULL) return cudaErrorInvalidValue;
	*exec = NULL;
	std::lock_guard<std::mutex> lk(table_mu);
	if (graphs.count(g) == 0 || flags != 0) return cudaErrorInvalidValue;
	cudaGraphExec_t x = new dds_emu_graph_exec();
	x->ops = g->ops;
	execs.insert(x);
	*exec = x;
	return cudaSuccess;
}

static bool exec_live(cudaGraphExec_t x) {
	std::lock_guard<std::mutex> lk(table_mu);
	return execs.count(x) != 0;
}

cudaError_t cudaGraphUpload(cudaGraphExec_t exec, cudaStream_t s) {
	if (!exec_live(exec)) return cudaErrorInvalidResourceHandle;
	if (!stream_live(s)) return cudaErrorInvalidResourceHandle;
	return stream_of(s)->sticky;
}

cudaError_t cudaGraphLaunch(cudaGraphExec_t exec, cudaStream_t s) {
	if (!exec_live(exec) || !stream_live(s)) {
		set_last(cudaErrorInvalidResourceHandle);
		return cudaErrorInvalidResourceHandle;
	}
	for (const op &o : exec->ops) {
		cudaError_t e = enqueue(s, o.what, o.run);
		if (e != cudaSuccess) {
			set_last(e);
			return e;
		}
	}
	return cudaSuccess;
}

cudaError_t cudaGraphExecDestroy(cudaGraphExec_t exec) {
	std::lock_guard<std::mutex> lk(table_mu);
	if (execs.erase(exec) == 0) return cudaErrorInvalidValue;
	delete exec;
	return cudaSuccess;
}

cudaError_t cudaGraphDestroy(cudaGraph_t g) {
	std::lock_guard<std::mutex> lk(table_mu);
	if (graphs.erase(g) == 0) return cudaErrorInvalidValue;
	delete g;
	return cudaSuccess;
}

/* ---- fibers ---- */

/* swap_stack saves the callee-saved registers on the current stack, stores its
 * pointer in *save and continues on the stack new_sp (saved by an earlier swap_stack,
 * or prepared by fiber_reset). */
extern "C" void dds_emu_swap_stack(void **save, void *new_sp);
extern "C" void dds_emu_fiber_trampoline(void);
asm(R"(
	.text
	.globl dds_emu_swap_stack
	.hidden dds_emu_swap_stack
	.type dds_emu_swap_stack,@function
dds_emu_swap_stack:
	.cfi_startproc
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, (%rdi)
	movq %rsi, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret
	.cfi_endproc
	.size dds_emu_swap_stack,.-dds_emu_swap_stack
)");

namespace dds_emu {

enum { F_FRESH, F_RUNNABLE, F_RUNNING, F_BARRIER, F_SHFL, F_FINISHED, F_IDLE };

struct fiber {
	void *sp = NULL;
	char *stack = NULL; /* lowest usable address */
	size_t size = 0;
	void *fake = NULL;  /* AddressSanitizer's fake stack across a switch */
	int state = F_FRESH;
	bool dirty = false; /* left in the middle of a thread: reset before reuse */
	unsigned index = 0; /* linear thread index in the block */
	thread t;
	void (*entry)(fiber *) = NULL;
	const char *file = NULL; /* where it waits */
	int line = 0;
	unsigned shfl_gen = 0; /* shuffles passed */
	uint64_t shfl_val[2] = {0, 0};
	int shfl_lane_mask = 0, shfl_width = 32;
	unsigned shfl_mask = 0;
};

static fiber host; /* the launching thread's own stack */
static fiber *running = &host;
static fiber *switching_from;
static std::vector<fiber *> pool; /* pool[i] runs thread i of a block in fiber mode; pool[0] drives */

static const size_t STACK_BYTES = 256 << 10;

static void fiber_start(void);

/* fiber_reset prepares f to start at fiber_start on an empty stack. */
static void fiber_reset(fiber *f) {
	if (f->stack == NULL) {
		size_t page = (size_t)sysconf(_SC_PAGESIZE);
		char *m = (char *)mmap(NULL, STACK_BYTES + page, PROT_READ | PROT_WRITE,
		                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
		if (m == MAP_FAILED) {
			note("cannot map a fiber stack: %s", strerror(errno));
			abort();
		}
		mprotect(m, page, PROT_NONE); /* guard page below the stack */
		f->stack = m + page;
		f->size = STACK_BYTES;
	}
#if EMU_ASAN
	if (f->dirty) __asan_unpoison_memory_region(f->stack, f->size);
#endif
	uintptr_t top = ((uintptr_t)(f->stack + f->size)) & ~(uintptr_t)15;
	void **sp = (void **)top;
	*--sp = NULL;                           /* the trampoline's return address: none */
	*--sp = (void *)dds_emu_fiber_trampoline; /* where the first swap returns to */
	for (int i = 0; i < 6; i++) *--sp = NULL; /* rbp rbx r12 r13 r14 r15 */
	f->sp = sp;
	f->state = F_FRESH;
	f->dirty = false;
	f->fake = NULL;
	f->shfl_gen = 0;
}

/* after_switch completes a switch on the stack now running (AddressSanitizer must
 * know which stack is current), recording the host stack's bounds when coming from
 * it. */
static inline void after_switch(fiber *me) {
#if EMU_ASAN
	const void *lo = NULL;
	size_t size = 0;
	__sanitizer_finish_switch_fiber(me->fake, &lo, &size);
	if (switching_from == &host) {
		host.stack = (char *)lo;
		host.size = size;
	}
#else
	(void)me;
#endif
}

/* switch_to continues fiber to (from the running one, from). */
static inline void switch_to(fiber *from, fiber *to) {
	switching_from = from;
	running = to;
	cur = &to->t;
#if EMU_ASAN
	__sanitizer_start_switch_fiber(&from->fake, to->stack, to->size);
#endif
	dds_emu_swap_stack(&from->sp, to->sp);
	after_switch(from);
}

static void fiber_start(void) {
	fiber *me = running;
	after_switch(me);
	me->entry(me);
	note("internal error: a fiber's loop returned");
	abort();
}

} // namespace dds_emu

/* The first swap onto a fresh stack returns here; the stack is aligned to 16 bytes
 * for the call, as the ABI wants, and the frame chain ends. */
asm(R"(
	.text
	.globl dds_emu_fiber_trampoline
	.hidden dds_emu_fiber_trampoline
	.type dds_emu_fiber_trampoline,@function
dds_emu_fiber_trampoline:
	.cfi_startproc
	.cfi_undefined rip
	xorl %ebp, %ebp
	andq $-16, %rsp
	call _ZN7dds_emu11fiber_entryEv
	ud2
	.cfi_endproc
	.size dds_emu_fiber_trampoline,.-dds_emu_fiber_trampoline
)");

namespace dds_emu {
extern "C++" __attribute__((visibility("hidden"), used, noreturn)) void fiber_entry(void);
void fiber_entry(void) {
	fiber_start();
	__builtin_unreachable();
}

/* ---- kernel execution ---- */

enum { M_PROBE, M_DIRECT, M_FIBERS };

static std::mutex launch_mu;

static void set_thread(fiber *f, unsigned t) {
	f->index = t;
	unsigned bx = block_dim.x, by = block_dim.y;
	f->t.idx.x = t % bx;
	f->t.idx.y = (t / bx) % by;
	f->t.idx.z = t / (bx * by);
}

static void start_block(uint64_t b) {
	uint64_t gx = grid_dim.x, gy = grid_dim.y;
	block_idx.x = (unsigned)(b % gx);
	block_idx.y = (unsigned)((b / gx) % gy);
	block_idx.z = (unsigned)(b / (gx * gy));
	block_gen++;
	epoch = 0;
	L->block = b;
}

static std::string where(void) {
	char buf[256];
	snprintf(buf, sizeof buf, "kernel %s (grid (%u,%u,%u), block (%u,%u,%u)), block (%u,%u,%u)", L->name, grid_dim.x,
	         grid_dim.y, grid_dim.z, block_dim.x, block_dim.y, block_dim.z, block_idx.x, block_idx.y, block_idx.z);
	return buf;
}

std::string thread_name(unsigned t) {
	unsigned bx = block_dim.x, by = block_dim.y;
	char buf[64];
	snprintf(buf, sizeof buf, "(%u,%u,%u)", t % bx, (t / bx) % by, t / (bx * by));
	return buf;
}

unsigned cur_index(void) { return running->index; }

void launch_error(cudaError_t e, bool abort_launch, const char *fmt, ...) {
	char buf[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (L->errors++ < 3) {
		note("error in %s: %s", where().c_str(), buf);
	} else if (L->errors == 4) {
		note("more errors in kernel %s not shown", L->name);
	}
	if (L->err == cudaSuccess) L->err = e;
	if (abort_launch) L->failed = true;
}

static void yield_next(fiber *f) {
	for (unsigned j = f->index + 1; j < L->nthreads; j++) {
		if (pool[j]->state == F_RUNNABLE) {
			switch_to(f, pool[j]);
			return;
		}
	}
	switch_to(f, &host);
}

/* wait blocks the running thread at a barrier or shuffle (state st). */
static void wait(int st, const char *file, int line) {
	fiber *f = running;
	f->file = file;
	f->line = line;
	if (L->mode == M_DIRECT) {
		launch_error(cudaErrorLaunchFailure, true,
		             "thread %s reaches %s at %s:%d, but thread (0,0,0) of the block finished without reaching a "
		             "barrier or shuffle: not every thread of the block reaches it",
		             thread_name(f->index).c_str(), st == F_BARRIER ? "__syncthreads" : "__shfl_xor_sync", file, line);
		f->state = F_IDLE;
		f->dirty = true;
		switch_to(f, &host); /* never resumed */
		__builtin_unreachable();
	}
	f->state = st;
	if (L->mode == M_PROBE) {
		L->mode = M_FIBERS;
		switch_to(f, &host);
	} else {
		yield_next(f);
	}
	f->state = F_RUNNING;
}

void barrier(const char *file, int line) {
	if (L == NULL) {
		note("__syncthreads called outside a kernel");
		abort();
	}
	wait(F_BARRIER, file, line);
}

uint64_t shfl_xor(unsigned mask, uint64_t v, int lane_mask, int width, const char *file, int line) {
	if (L == NULL) {
		note("__shfl_xor_sync called outside a kernel");
		abort();
	}
	fiber *f = running;
	unsigned g = f->shfl_gen & 1;
	f->shfl_val[g] = v;
	f->shfl_mask = mask;
	f->shfl_lane_mask = lane_mask;
	f->shfl_width = width;
	wait(F_SHFL, file, line);
	/* Released: every lane of the warp has stored its value. */
	unsigned lane = f->index & 31;
	unsigned seg = lane & ~(unsigned)(width - 1);
	unsigned src = lane ^ (unsigned)lane_mask;
	f->shfl_gen++;
	if (src - seg >= (unsigned)width) return v;
	unsigned t = (f->index & ~31u) + src;
	if (t >= L->nthreads) return v;
	return pool[t]->shfl_val[g];
}

static fiber *pool_fiber(unsigned i, void (*entry)(fiber *)) {
	while (pool.size() <= i) pool.push_back(new fiber());
	fiber *f = pool[i];
	if (f->state == F_FRESH && f->sp == NULL) {
		f->entry = entry;
		fiber_reset(f);
	} else if (f->dirty) {
		f->entry = entry;
		fiber_reset(f);
	}
	return f;
}

/* driver is pool[0]'s loop: thread 0 of each block in turn, and the block's other
 * threads directly when thread 0 met no barrier or shuffle. */
static void driver(fiber *me) {
	for (;;) {
		while (!L->failed && L->next_block < L->nblocks) {
			start_block(L->next_block++);
			L->mode = M_PROBE;
			set_thread(me, 0);
			me->shfl_gen = 0;
			me->state = F_RUNNING;
			L->kernel->run();
			if (L->mode == M_PROBE) {
				L->mode = M_DIRECT;
				for (unsigned t = 1; t < L->nthreads && !L->failed; t++) {
					set_thread(me, t);
					L->kernel->run();
				}
			} else {
				me->state = F_FINISHED;
				yield_next(me); /* resumed once the block is complete */
			}
		}
		me->state = F_IDLE;
		switch_to(me, &host);
	}
}

static void worker(fiber *me) {
	for (;;) {
		me->state = F_RUNNING;
		L->kernel->run();
		me->state = F_FINISHED;
		yield_next(me);
	}
}

/* describe names the threads of the block that are not finished, by where they
 * wait, and those that finished, for a deadlock report. */
static std::string describe(void) {
	std::string s;
	unsigned n = L->nthreads, shown = 0, fin = 0;
	unsigned first_fin = 0;
	for (unsigned i = 0; i < n; i++) {
		fiber *f = pool[i];
		if (f->state == F_FINISHED) {
			if (fin++ == 0) first_fin = i;
			continue;
		}
		if (shown < 4) {
			char buf[200];
			snprintf(buf, sizeof buf, "%sthread %s waits at %s (%s:%d)", shown ? "; " : "", thread_name(i).c_str(),
			         f->state == F_BARRIER ? "__syncthreads" : "__shfl_xor_sync", f->file, f->line);
			s += buf;
		}
		shown++;
	}
	if (shown > 4) s += "; ... (" + std::to_string(shown) + " threads waiting)";
	if (fin > 0) {
		s += "; " + std::to_string(fin) + " thread" + (fin == 1 ? "" : "s") + " finished, the first " +
		     thread_name(first_fin);
	}
	return s;
}

/* run_block runs the current block with a fiber per thread, thread 0 (pool[0]) being
 * blocked at its first barrier or shuffle, until every thread finishes or no thread
 * can go on. */
static void run_block(void) {
	unsigned n = L->nthreads;
	for (unsigned t = 1; t < n; t++) {
		fiber *w = pool_fiber(t, worker);
		set_thread(w, t);
		w->shfl_gen = 0;
		w->state = F_RUNNABLE;
	}
	for (;;) {
		for (unsigned i = 0; i < n; i++) {
			if (pool[i]->state == F_RUNNABLE) {
				switch_to(&host, pool[i]);
				break;
			}
		}
		if (L->failed) return;
		unsigned fin = 0, bar = 0;
		for (unsigned i = 0; i < n; i++) {
			int st = pool[i]->state;
			fin += st == F_FINISHED;
			bar += st == F_BARRIER;
		}
		if (fin == n) return;
		bool released = false;
		/* A warp whose every lane waits at a shuffle exchanges. */
		for (unsigned w0 = 0; w0 < n; w0 += 32) {
			unsigned w1 = w0 + 32 < n ? w0 + 32 : n, at = 0;
			for (unsigned i = w0; i < w1; i++) at += pool[i]->state == F_SHFL;
			if (at == 0) continue;
			if (at == w1 - w0) {
				unsigned gen = pool[w0]->shfl_gen;
				bool same = true;
				for (unsigned i = w0; i < w1; i++) same = same && pool[i]->shfl_gen == gen;
				if (!same) {
					launch_error(cudaErrorLaunchFailure, true,
					             "the lanes of warp %u wait at different shuffles (%s:%d and others): %s", w0 / 32,
					             pool[w0]->file, pool[w0]->line, describe().c_str());
					return;
				}
				for (unsigned i = w0; i < w1; i++) pool[i]->state = F_RUNNABLE;
				released = true;
			}
		}
		if (released) continue;
		if (bar > 0 && bar + fin == n) {
			bool same_site = true;
			for (unsigned i = 0; i < n; i++) {
				fiber *f = pool[i];
				if (f->state == F_BARRIER && (f->line != pool[0]->line || strcmp(f->file, pool[0]->file) != 0)) {
					same_site = false;
				}
			}
			if (fin == 0 && same_site) {
				epoch++;
				for (unsigned i = 0; i < n; i++) pool[i]->state = F_RUNNABLE;
				continue;
			}
		}
		launch_error(cudaErrorLaunchFailure, true, "deadlock: not every thread of the block reaches the same "
		                                           "__syncthreads (or every lane of a warp the same shuffle): %s",
		             describe().c_str());
		return;
	}
}

/* check_config returns CUDA's error for an invalid launch configuration. */
static cudaError_t check_config(const launch_cfg &c, std::string *why) {
	char buf[200];
	const dim3 &g = c.grid, &b = c.block;
	uint64_t threads = (uint64_t)b.x * b.y * b.z;
	if (b.x == 0 || b.y == 0 || b.z == 0 || g.x == 0 || g.y == 0 || g.z == 0) {
		snprintf(buf, sizeof buf, "a zero dimension: grid (%u,%u,%u), block (%u,%u,%u)", g.x, g.y, g.z, b.x, b.y, b.z);
	} else if (b.x > 1024 || b.y > 1024 || b.z > 64 || threads > 1024) {
		snprintf(buf, sizeof buf, "block (%u,%u,%u): at most 1024 threads, x and y <= 1024, z <= 64", b.x, b.y, b.z);
	} else if (g.x > 0x7fffffffu || g.y > 65535 || g.z > 65535) {
		snprintf(buf, sizeof buf, "grid (%u,%u,%u): x <= 2^31-1, y and z <= 65535", g.x, g.y, g.z);
	} else if (c.shmem > DDS_EMU_SHARED_LIMIT) {
		*why = "dynamic shared memory " + std::to_string(c.shmem) + " bytes, more than the 48 KiB a block may use";
		return cudaErrorInvalidValue;
	} else {
		return cudaSuccess;
	}
	*why = buf;
	return cudaErrorInvalidConfiguration;
}

static cudaError_t run_launch(const launch_cfg &cfg, const call *c) {
	std::lock_guard<std::mutex> lk(launch_mu);
	launch_state st;
	st.name = cfg.name;
	st.kernel = c;
	st.nthreads = cfg.block.x * cfg.block.y * cfg.block.z;
	st.nblocks = (uint64_t)cfg.grid.x * cfg.grid.y * cfg.grid.z;
	L = &st;
	grid_dim = cfg.grid;
	block_dim = cfg.block;
	fiber *d = pool_fiber(0, driver);
	d->shfl_gen = 0;
	switch_to(&host, d);
	while (d->state != F_IDLE) {
		if (!st.failed && st.mode == M_FIBERS) run_block();
		if (st.failed) break;
		switch_to(&host, d); /* thread 0 finished: the next block */
	}
	if (st.failed) {
		/* Threads left waiting are never resumed: their stacks start over. */
		for (size_t i = 0; i < pool.size() && i < st.nthreads; i++) {
			fiber *f = pool[i];
			if (f->state != F_FINISHED || i == 0) f->dirty = true;
			f->state = F_FINISHED;
		}
		pool[0]->state = F_IDLE;
	}
	cudaError_t e = st.err;
	if (e == cudaSuccess && st.asan_reports > 0) e = cudaErrorIllegalAddress;
	L = NULL;
	cur = NULL;
	return e;
}

/* note_asan is AddressSanitizer's report callback: a report during a kernel names
 * the kernel, block and thread and fails the launch; elsewhere the next call fails. */
static void note_asan(const char *report) {
	(void)report;
	if (L != NULL) {
		L->asan_reports++;
		note("the AddressSanitizer report above is from %s, thread %s", where().c_str(),
		     thread_name(running->index).c_str());
	} else {
		asan_pending = 1;
	}
}

__attribute__((constructor)) static void init(void) {
#if EMU_ASAN
	__asan_set_error_report_callback(note_asan);
#endif
	(void)note_asan;
}

void submit(const launch_cfg &cfg, std::shared_ptr<const call> c) {
	std::string why;
	cudaError_t e = check_config(cfg, &why);
	if (e != cudaSuccess) {
		note("launch of %s: %s: %s", cfg.name, cudaGetErrorName(e), why.c_str());
		if (stream_live(cfg.stream) && capture_active(cfg.stream)) {
			invalidate(stream_of(cfg.stream), "a launch failed during the capture");
		}
		set_last(e);
		return;
	}
	launch_cfg k = cfg;
	e = enqueue(cfg.stream, cfg.name, [k, c]() { return run_launch(k, c.get()); });
	set_last(e);
}

const char *kernel_name(const char *pretty, const char *fallback) {
	const char *p = strstr(pretty, "F = ");
	if (p == NULL) return fallback;
	p += 4;
	const char *q = p + strcspn(p, ";]");
	std::string *s = new std::string(p, q);
	return s->c_str();
}

} // namespace dds_emu
