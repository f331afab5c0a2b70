/*
 * cuda_runtime.h — the part of the CUDA runtime API and of the device language that
 * libdds_cuda's kernel sources use, for compiling them as host C++ (g++ -x c++
 * -DDDS_EMU). Kernels run on the host (runtime.cc): every block of a grid in turn,
 * its threads as fibers that switch only at __syncthreads and warp shuffles.
 * "Device" memory is host memory from malloc, so AddressSanitizer sees every access.
 *
 * Numeric values of the enumerations are CUDA's, so status codes read the same.
 */
#ifndef DDS_EMU_CUDA_RUNTIME_H
#define DDS_EMU_CUDA_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include <cmath>
#include <memory>
#include <tuple>
#include <utility>

#define CUDART_VERSION 12040

/* Function and variable qualifiers. __shared__ variables are static storage: blocks
 * run one at a time, and the race check (sanitize.cc) recognises shared memory by its
 * address, between the marks of shared_marks.cc. */
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline __attribute__((always_inline))
#define __noinline__ __attribute__((noinline))
#define __shared__ static
#define __restrict__ __restrict

struct uint3 {
	unsigned int x, y, z;
};

struct dim3 {
	unsigned int x, y, z;
	constexpr dim3(unsigned int vx = 1, unsigned int vy = 1, unsigned int vz = 1) : x(vx), y(vy), z(vz) {}
	constexpr dim3(uint3 v) : x(v.x), y(v.y), z(v.z) {}
};

enum cudaError {
	cudaSuccess = 0,
	cudaErrorInvalidValue = 1,
	cudaErrorMemoryAllocation = 2,
	cudaErrorInitializationError = 3,
	cudaErrorInvalidConfiguration = 9,
	cudaErrorInvalidMemcpyDirection = 21,
	cudaErrorInvalidDeviceFunction = 98,
	cudaErrorNoDevice = 100,
	cudaErrorInvalidDevice = 101,
	cudaErrorInvalidResourceHandle = 400,
	cudaErrorIllegalState = 401,
	cudaErrorNotReady = 600,
	cudaErrorIllegalAddress = 700,
	cudaErrorLaunchOutOfResources = 701,
	cudaErrorLaunchFailure = 719,
	cudaErrorNotSupported = 801,
	cudaErrorStreamCaptureUnsupported = 900,
	cudaErrorStreamCaptureInvalidated = 901,
	cudaErrorStreamCaptureUnmatched = 903,
	cudaErrorStreamCaptureWrongThread = 908,
	cudaErrorUnknown = 999,
};
typedef enum cudaError cudaError_t;

enum cudaMemcpyKind {
	cudaMemcpyHostToHost = 0,
	cudaMemcpyHostToDevice = 1,
	cudaMemcpyDeviceToHost = 2,
	cudaMemcpyDeviceToDevice = 3,
	cudaMemcpyDefault = 4,
};

enum cudaStreamCaptureMode {
	cudaStreamCaptureModeGlobal = 0,
	cudaStreamCaptureModeThreadLocal = 1,
	cudaStreamCaptureModeRelaxed = 2,
};

enum cudaStreamCaptureStatus {
	cudaStreamCaptureStatusNone = 0,
	cudaStreamCaptureStatusActive = 1,
	cudaStreamCaptureStatusInvalidated = 2,
};

#define cudaStreamDefault 0x00
#define cudaStreamNonBlocking 0x01

typedef struct dds_emu_stream *cudaStream_t;
typedef struct dds_emu_graph *cudaGraph_t;
typedef struct dds_emu_graph_exec *cudaGraphExec_t;
typedef struct dds_emu_graph_node *cudaGraphNode_t;

struct cudaDeviceProp {
	char name[256];
	size_t totalGlobalMem;
	size_t sharedMemPerBlock;
	int regsPerBlock;
	int warpSize;
	int maxThreadsPerBlock;
	int maxThreadsDim[3];
	int maxGridSize[3];
	int major;
	int minor;
	int multiProcessorCount;
};

/* The runtime API (runtime.cc). */
cudaError_t cudaGetLastError(void);
cudaError_t cudaPeekAtLastError(void);
const char *cudaGetErrorName(cudaError_t e);
const char *cudaGetErrorString(cudaError_t e);
cudaError_t cudaRuntimeGetVersion(int *v);
cudaError_t cudaDriverGetVersion(int *v);
cudaError_t cudaGetDeviceCount(int *n);
cudaError_t cudaSetDevice(int d);
cudaError_t cudaGetDevice(int *d);
cudaError_t cudaGetDeviceProperties(cudaDeviceProp *p, int d);
cudaError_t cudaMemGetInfo(size_t *free_bytes, size_t *total_bytes);
cudaError_t cudaMalloc(void **p, size_t bytes);
cudaError_t cudaFree(void *p);
cudaError_t cudaMemcpy(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind);
cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind, cudaStream_t s = 0);
cudaError_t cudaMemset(void *p, int v, size_t bytes);
cudaError_t cudaMemsetAsync(void *p, int v, size_t bytes, cudaStream_t s = 0);
cudaError_t cudaDeviceSynchronize(void);
cudaError_t cudaStreamCreate(cudaStream_t *s);
cudaError_t cudaStreamCreateWithFlags(cudaStream_t *s, unsigned int flags);
cudaError_t cudaStreamDestroy(cudaStream_t s);
cudaError_t cudaStreamSynchronize(cudaStream_t s);
cudaError_t cudaStreamQuery(cudaStream_t s);
cudaError_t cudaStreamBeginCapture(cudaStream_t s, cudaStreamCaptureMode mode);
cudaError_t cudaStreamEndCapture(cudaStream_t s, cudaGraph_t *g);
cudaError_t cudaStreamIsCapturing(cudaStream_t s, cudaStreamCaptureStatus *status);
cudaError_t cudaGraphInstantiate(cudaGraphExec_t *exec, cudaGraph_t g, unsigned long long flags = 0);
cudaError_t cudaGraphUpload(cudaGraphExec_t exec, cudaStream_t s);
cudaError_t cudaGraphLaunch(cudaGraphExec_t exec, cudaStream_t s);
cudaError_t cudaGraphExecDestroy(cudaGraphExec_t exec);
cudaError_t cudaGraphDestroy(cudaGraph_t g);

/* ---- the device side ---- */

namespace dds_emu {

/* thread is one emulated thread's state; cur points at the running one's. */
struct thread {
	uint3 idx;
};
extern thread *cur;
extern uint3 block_idx;
extern dim3 block_dim, grid_dim;

/* barrier is __syncthreads (file and line name its site). */
void barrier(const char *file, int line);
/* shfl_xor exchanges 8 bytes among the lanes of the calling thread's warp: it returns
 * the value of lane (lane ^ lane_mask) within segments of width lanes. */
uint64_t shfl_xor(unsigned mask, uint64_t v, int lane_mask, int width, const char *file, int line);

template <typename T> static inline T shfl_xor_t(unsigned mask, T v, int lane_mask, int width, const char *file,
                                                  int line) {
	static_assert(sizeof(T) <= 8, "__shfl_xor_sync of a value wider than 8 bytes");
	uint64_t u = 0;
	__builtin_memcpy(&u, &v, sizeof v);
	u = shfl_xor(mask, u, lane_mask, width, file, line);
	T r;
	__builtin_memcpy(&r, &u, sizeof r);
	return r;
}

/* call is one kernel launch's function and arguments: run() is one thread's call (the
 * kernel gets fresh copies of the arguments, as every CUDA thread does). */
struct call {
	virtual ~call() {}
	virtual void run() const = 0;
};

template <typename... P> struct call_of : call {
	void (*f)(P...);
	std::tuple<P...> args;
	call_of(void (*fn)(P...), P... a) : f(fn), args(a...) {}
	void run() const override { std::apply(f, args); }
};

struct launch_cfg {
	const char *name;
	dim3 grid, block;
	size_t shmem;
	cudaStream_t stream;
};

/* submit checks a launch's configuration as CUDA does and runs it on the stream (or
 * records it in the stream's capture). */
void submit(const launch_cfg &cfg, std::shared_ptr<const call> c);

/* kernel_name extracts "K<args>" from the text of __PRETTY_FUNCTION__ of
 * kernel_of<K>. */
const char *kernel_name(const char *pretty, const char *fallback);

template <auto F> static inline const char *kernel_of(const char *src) {
	static const char *name = kernel_name(__PRETTY_FUNCTION__, src);
	return name;
}

template <auto F, typename Sig = decltype(F)> struct launcher;
template <auto F, typename... P> struct launcher<F, void (*)(P...)> {
	launch_cfg cfg;
	void operator()(P... a) const { submit(cfg, std::make_shared<call_of<P...>>(F, a...)); }
};

template <auto F> static inline launcher<F> launch(const char *src, dim3 grid, dim3 block, size_t shmem,
                                                   cudaStream_t stream) {
	return launcher<F>{{kernel_of<F>(src), grid, block, shmem, stream}};
}

} // namespace dds_emu

#define threadIdx (::dds_emu::cur->idx)
#define blockIdx (::dds_emu::block_idx)
#define blockDim (::dds_emu::block_dim)
#define gridDim (::dds_emu::grid_dim)


#define __syncthreads() ::dds_emu::barrier(__FILE__, __LINE__)
#define __shfl_xor_sync(mask, v, lane_mask, ...) \
	::dds_emu::shfl_xor_t((mask), (v), (lane_mask), dds_emu_width_(__VA_ARGS__ + 0), __FILE__, __LINE__)
static inline int dds_emu_width_(int w) { return w == 0 ? 32 : w; }

static inline unsigned int __float_as_uint(float f) {
	unsigned int u;
	__builtin_memcpy(&u, &f, sizeof u);
	return u;
}
static inline float __uint_as_float(unsigned int u) {
	float f;
	__builtin_memcpy(&f, &u, sizeof f);
	return f;
}

/* The arithmetic intrinsics that forbid contraction into a fused multiply-add: the
 * host compiler, targeting x86-64 without FMA, rounds every operation anyway. */
static inline float __fadd_rn(float a, float b) { return a + b; }
static inline float __fsub_rn(float a, float b) { return a - b; }
static inline float __fmul_rn(float a, float b) { return a * b; }
static inline double __dadd_rn(double a, double b) { return a + b; }
static inline double __dsub_rn(double a, double b) { return a - b; }
static inline double __dmul_rn(double a, double b) { return a * b; }

using std::exp;
using std::fmaf;
using std::log;
using std::sqrt;

#endif /* DDS_EMU_CUDA_RUNTIME_H */
