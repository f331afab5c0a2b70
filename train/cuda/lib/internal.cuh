/*
 * internal.cuh — what the library's .cu files share: the context structure, sticky
 * error recording, argument checks, launch helpers and the row-major GEMM wrapper.
 * Nothing here is exported; every definition is static or inline so that no global
 * state is shared between contexts.
 *
 * Conventions of the kernels (as train/cpu): NHWC float32 activations, per-pixel
 * tensors seen as [m][c] (channels fastest), convolution weights [Cout][K][K][Cin/G],
 * linear weights [out][in]. Every launch is followed by launched(), which records a
 * launch error in the context. Reductions whose results must be reproducible
 * (batch-norm statistics, weight gradients, loss) never use float atomics: they write
 * partial sums to a buffer and add them in a fixed order in a second kernel.
 */
#ifndef DDS_INTERNAL_CUH
#define DDS_INTERNAL_CUH

#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_runtime.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

/* The library is compiled with -fvisibility=hidden; the functions of the C ABI take
 * default visibility from their declarations here, so only they are exported. */
#pragma GCC visibility push(default)
#include "dds_cuda.h"
#pragma GCC visibility pop

/* DDS_LAUNCH(grid, block, shmem, stream, kernel)(args...) launches a kernel: under
 * nvcc it is exactly kernel<<<grid, block, shmem, stream>>>(args...); compiled as host
 * C++ against the emulation (train/cuda/emu, -DDDS_EMU) it is the emulator's launch,
 * which runs the same kernel code on the host. The kernel comes last and variadic so
 * that template arguments may hold commas. */
#ifdef DDS_EMU
#define DDS_LAUNCH(grid, block, shmem, stream, ...) \
	::dds_emu::launch<__VA_ARGS__>(#__VA_ARGS__, (grid), (block), (shmem), (stream))
#else
#define DDS_LAUNCH(grid, block, shmem, stream, ...) __VA_ARGS__<<<(grid), (block), (shmem), (stream)>>>
#endif

/* DDS_WS_BYTES is the size of the per-context workspace allocated by dds_create: the
 * partial sums of the two-stage reductions of batch normalisation and the loss, which
 * take no scratch argument. The reductions size their first stage to fit it. */
#define DDS_WS_BYTES ((size_t)2 << 20)
#define DDS_WS_DOUBLES (DDS_WS_BYTES / sizeof(double))

/* DDS_MSG_LEN bounds the error text kept in a context. */
#define DDS_MSG_LEN 512

/* The largest element count of one tensor the kernels index with int. */
#define DDS_MAX_ELEMS ((int64_t)INT32_MAX)

struct dds_ctx {
	int device;
	int precision;          /* DDS_FP32 or DDS_BF16 (dds_set_precision) */
	cudaStream_t stream;
	cublasHandle_t blas;
	int status;             /* first error, DDS_OK while none */
	char msg[DDS_MSG_LEN];  /* its text */
	double *ws;             /* DDS_WS_BYTES of reduction workspace */
	void *blas_ws;          /* cuBLAS workspace (cublasSetWorkspace) */
	size_t blas_ws_bytes;
	void **allocs;          /* device blocks from dds_alloc, freed by dds_destroy */
	size_t nallocs, capallocs;
	size_t used;            /* bytes requested through dds_alloc */
	bool capturing;         /* between dds_capture_begin and dds_capture_end */
	dds_graph **graphs;     /* instantiated graphs, freed by dds_graph_destroy or dds_destroy */
	size_t ngraphs, capgraphs;
};

/* dds_graph is one instantiated CUDA graph of a context (graph.cu). */
struct dds_graph {
	cudaGraphExec_t exec;
};

/* graphs_free destroys every graph ctx still holds (dds_destroy; graph.cu). */
void graphs_free(dds_ctx *ctx);

/* set_error records an error in ctx unless one is recorded already (errors are
 * sticky: the first one wins). */
static inline void set_error(dds_ctx *ctx, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline void set_error(dds_ctx *ctx, int code, const char *fmt, ...) {
	if (ctx->status != DDS_OK) {
		return;
	}
	ctx->status = code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ctx->msg, sizeof ctx->msg, fmt, ap);
	va_end(ap);
}

/* cuda_ok records e (if it is an error) with the name of the call that returned it. */
static inline bool cuda_ok(dds_ctx *ctx, cudaError_t e, const char *fn, const char *call) {
	if (e == cudaSuccess) {
		return true;
	}
	set_error(ctx, (int)e, "%s: %s: %s (%s)", fn, call, cudaGetErrorName(e), cudaGetErrorString(e));
	return false;
}

/* launched checks for a launch error after a kernel launch (cudaGetLastError also
 * clears it, so it is not reported again by an unrelated call). */
static inline bool launched(dds_ctx *ctx, const char *fn, const char *kernel) {
	return cuda_ok(ctx, cudaGetLastError(), fn, kernel);
}

/* begin starts an operation: false (do nothing) when ctx is NULL or already failed.
 * It makes the context's device current for the calling thread. */
static inline bool begin(dds_ctx *ctx, const char *fn) {
	if (ctx == NULL || ctx->status != DDS_OK) {
		return false;
	}
	int cur = -1;
	if (cudaGetDevice(&cur) != cudaSuccess || cur != ctx->device) {
		return cuda_ok(ctx, cudaSetDevice(ctx->device), fn, "cudaSetDevice");
	}
	return true;
}

/* arg_error records DDS_ERR_ARG naming the function and the argument; it returns false. */
static inline bool arg_error(dds_ctx *ctx, const char *fn, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline bool arg_error(dds_ctx *ctx, const char *fn, const char *fmt, ...) {
	char buf[DDS_MSG_LEN];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	set_error(ctx, DDS_ERR_ARG, "%s: %s", fn, buf);
	return false;
}

/* not_capturing fails with DDS_ERR_ARG when the context's stream is capturing: the
 * calls that allocate, copy from or to the host or wait for the stream (dds_alloc,
 * dds_upload, dds_download, dds_sync) are not allowed in a capture (CUDA would
 * invalidate it, or record a copy from a host buffer that is gone at replay). */
static inline bool not_capturing(dds_ctx *ctx, const char *fn) {
	return !ctx->capturing || arg_error(ctx, fn, "called while the stream is capturing (dds_capture_begin)");
}

/* step_of returns the step t = *counter of a step-indexed operation in a kernel, and
 * whether it lies in [0, steps). */
static __device__ __forceinline__ bool step_of(const int32_t *counter, int steps, int *t) {
	*t = *counter;
	return *t >= 0 && *t < steps;
}

/* need_ptr fails with DDS_ERR_ARG when p is NULL. */
static inline bool need_ptr(dds_ctx *ctx, const char *fn, const char *name, const void *p) {
	return p != NULL || arg_error(ctx, fn, "%s is NULL", name);
}

/* need_elems fails with DDS_ERR_ARG when a tensor of n elements is too large to be
 * indexed with int. */
static inline bool need_elems(dds_ctx *ctx, const char *fn, const char *what, int64_t n) {
	return n <= DDS_MAX_ELEMS || arg_error(ctx, fn, "%s has %lld elements, more than %lld", what,
	                                       (long long)n, (long long)DDS_MAX_ELEMS);
}

/* blocks_for returns the blocks of threads threads that cover n work items (n <=
 * DDS_MAX_ELEMS, so it fits a grid's x dimension). */
static inline unsigned blocks_for(int64_t n, int threads) {
	return (unsigned)((n + threads - 1) / threads);
}

/* stride_blocks returns the grid of a grid-stride loop over n items: enough blocks to
 * fill the GPU many times, at most 65536. */
static inline unsigned stride_blocks(int64_t n, int threads) {
	int64_t b = (n + threads - 1) / threads;
	return (unsigned)(b < 65536 ? (b < 1 ? 1 : b) : 65536);
}

/* blas_ok records a failed cuBLAS call as DDS_ERR_CUBLAS with its name. */
static inline bool blas_ok(dds_ctx *ctx, cublasStatus_t s, const char *fn, const char *call) {
	if (s == CUBLAS_STATUS_SUCCESS) {
		return true;
	}
	set_error(ctx, DDS_ERR_CUBLAS, "%s: %s: %s (%d)", fn, call, cublasGetStatusString(s), (int)s);
	return false;
}

/* ---- activations in the context's precision ----
 *
 * Kernels that touch activations are templates on the activation type T, float or
 * __nv_bfloat16 (the context's precision), and read and write activations only
 * through ld and st: ld converts to float (exactly), st rounds a float to T to
 * nearest, ties to even (__float2bfloat16_rn). Every other value (weights, their
 * gradients, statistics) is float, and all arithmetic is float (or double where the
 * float32 reference uses float64). For T = float, ld and st are plain loads and
 * stores, so the float instantiation is the same code as before the templates.
 * The launch sites pick the instantiation with with_act. */
typedef __nv_bfloat16 bf16;

static __device__ __forceinline__ float ld(float v) { return v; }
static __device__ __forceinline__ float ld(bf16 v) { return __bfloat162float(v); }
static __device__ __forceinline__ void st(float *p, float v) { *p = v; }
static __device__ __forceinline__ void st(bf16 *p, float v) { *p = __float2bfloat16_rn(v); }

/* wround returns a weight as it multiplies activations of type T: w itself for
 * float, w rounded to the nearest bfloat16 (as a float) for bf16. */
template <typename T> static __device__ __forceinline__ float wround(float w) { return w; }
template <> __device__ __forceinline__ float wround<bf16>(float w) { return __bfloat162float(__float2bfloat16_rn(w)); }

/* act_t<T> is the tag with_act passes: its type is the activation type. */
template <typename T> struct act_t {
	typedef T type;
};

/* with_act calls f(act_t<float>()) or f(act_t<bf16>()) as the context's precision
 * says; f is a generic lambda that launches the instantiation for
 * typename decltype(tag)::type. */
template <typename F> static inline void with_act(const dds_ctx *ctx, F f) {
	if (ctx->precision == DDS_BF16) {
		f(act_t<bf16>());
	} else {
		f(act_t<float>());
	}
}

/* act casts an activation pointer of the C ABI (declared float) to T. */
template <typename T> static inline T *act(float *p) { return reinterpret_cast<T *>(p); }
template <typename T> static inline const T *act(const float *p) { return reinterpret_cast<const T *>(p); }

/* is_bf16 says whether the context stores activations as bfloat16. */
static inline bool is_bf16(const dds_ctx *ctx) { return ctx->precision == DDS_BF16; }

/* relu_max returns max(0, v) with Go's rules, as the reference: NaN stays NaN and
 * −0 becomes +0. */
static __device__ __forceinline__ float relu_max(float v) { return (v > 0.f || v != v) ? v : 0.f; }

/* mask_positive returns g where y > 0 and 0 elsewhere, on the bits as the reference's
 * maskPositive: g passes when y is not ±0 and its sign bit is clear. */
static __device__ __forceinline__ float mask_positive(float g, float y) {
	unsigned b = __float_as_uint(y);
	return (b != 0u && (b >> 31) == 0u) ? g : 0.f;
}

/* gemm_rm computes the row-major product C[M][N] = alpha·op(A)·op(B) + beta·C with
 * op(A) [M][K] and op(B) [K][N] (ta: A is stored [K][M]; tb: B is stored [N][K]),
 * leading dimensions in elements. cuBLAS is column-major, and a row-major matrix is
 * its column-major transpose, so this is cuBLAS's Cᵀ = op(B)ᵀ·op(A)ᵀ: the operands
 * and M, N swap places and the transposition flags stay. FP32 throughout (the handle
 * is in CUBLAS_DEFAULT_MATH: no TF32). */
bool gemm_rm(dds_ctx *ctx, const char *fn, bool ta, bool tb, int M, int N, int K, float alpha,
             const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc);

/* gemm_bf16_rm is gemm_rm for bfloat16 operands: C = op(A)·op(B) (alpha 1, beta 0)
 * with A and B __nv_bfloat16 and C __nv_bfloat16 (c_float false: each value the
 * float sum rounded to nearest even) or float (c_float true), accumulated in float
 * (cublasGemmEx, CUBLAS_COMPUTE_32F: tensor cores). */
bool gemm_bf16_rm(dds_ctx *ctx, const char *fn, bool ta, bool tb, int M, int N, int K, const bf16 *A, int lda,
                  const bf16 *B, int ldb, void *C, bool c_float, int ldc);

/* to_bf16 enqueues dst[i] = bfloat16(src[i]) (nearest, ties to even) for i < n. */
bool to_bf16(dds_ctx *ctx, const char *fn, bf16 *dst, const float *src, int64_t n);

#endif /* DDS_INTERNAL_CUH */
