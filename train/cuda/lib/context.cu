/*
 * context.cu — probing, contexts, memory, transfers and synchronisation.
 *
 * A context owns a non-blocking CUDA stream, a cuBLAS handle bound to it (FP32
 * math, its own workspace so that GEMMs allocate nothing and can be captured in a
 * graph), DDS_WS_BYTES of reduction workspace, and every block handed out by
 * dds_alloc, and the precision of its activations (dds_set_precision, settable only
 * before the first dds_alloc). dds_mem_used counts only the bytes requested through
 * dds_alloc, so it is 0 for a fresh context; the fixed workspaces (a few MiB) are not
 * included.
 *
 * While the stream is capturing (graph.cu), the calls here that allocate, copy or
 * wait refuse with DDS_ERR_ARG instead of breaking the capture.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.cuh"

/* Size of the cuBLAS workspace: NVIDIA recommends 32 MiB on Hopper and 4 MiB on
 * earlier GPUs for cublasSetWorkspace. */
static size_t blas_workspace_bytes(int major) { return major >= 9 ? ((size_t)32 << 20) : ((size_t)4 << 20); }

static void put_msg(char *msg, size_t msglen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void put_msg(char *msg, size_t msglen, const char *fmt, ...) {
	if (msg == NULL || msglen == 0) {
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, msglen, fmt, ap);
	va_end(ap);
}

int dds_abi_version(void) { return DDS_ABI_VERSION; }

int dds_probe(int *count, int *driver, int *runtime, char *msg, size_t msglen) {
	int n = 0, drv = 0, rt = 0;
	/* The runtime is linked statically: its version is the one compiled in when the
	 * call cannot answer (as without a device). */
	if (cudaRuntimeGetVersion(&rt) != cudaSuccess || rt == 0) {
		rt = CUDART_VERSION;
	}
	cudaError_t e = cudaDriverGetVersion(&drv);
	if (e == cudaSuccess) {
		e = cudaGetDeviceCount(&n);
	}
	if (count) *count = e == cudaSuccess ? n : 0;
	if (driver) *driver = drv;
	if (runtime) *runtime = rt;
	if (e != cudaSuccess) {
		put_msg(msg, msglen, "dds_probe: %s (%s); driver version %d, runtime version %d", cudaGetErrorName(e),
		        cudaGetErrorString(e), drv, rt);
		cudaGetLastError();
		return (int)e;
	}
	/* The text lists the devices: "2 devices (driver 13000, runtime 13000): 0: NAME
	 * sm_90 79.1 GiB; 1: ...", truncated to msglen. */
	if (msg == NULL || msglen == 0) {
		return 0;
	}
	size_t off = 0;
	int k = snprintf(msg, msglen, "%d device%s (driver %d, runtime %d)", n, n == 1 ? "" : "s", drv, rt);
	off = k < 0 ? 0 : (size_t)k;
	for (int d = 0; d < n && off < msglen; d++) {
		cudaDeviceProp p;
		if (cudaGetDeviceProperties(&p, d) != cudaSuccess) {
			cudaGetLastError();
			continue;
		}
		k = snprintf(msg + off, msglen - off, "%s %d: %s sm_%d%d %.1f GiB", d == 0 ? ":" : ";", d, p.name, p.major,
		             p.minor, (double)p.totalGlobalMem / (1 << 30));
		off += k < 0 ? 0 : (size_t)k;
	}
	return 0;
}

int dds_mem_info(int device, size_t *free_bytes, size_t *total_bytes, char *msg, size_t msglen) {
	size_t f = 0, t = 0;
	const char *call = "cudaSetDevice";
	cudaError_t e = cudaSetDevice(device);
	if (e == cudaSuccess) {
		call = "cudaMemGetInfo";
		e = cudaMemGetInfo(&f, &t);
	}
	if (free_bytes) *free_bytes = f;
	if (total_bytes) *total_bytes = t;
	if (e != cudaSuccess) {
		put_msg(msg, msglen, "dds_mem_info: device %d: %s: %s (%s)", device, call, cudaGetErrorName(e),
		        cudaGetErrorString(e));
		cudaGetLastError();
		return (int)e;
	}
	put_msg(msg, msglen, "%s", "");
	return 0;
}

/* free_ctx releases what a (possibly half-built) context holds: it ends a capture
 * left open (discarding its graph), frees the graphs, waits for the stream and frees
 * the memory. */
static void free_ctx(dds_ctx *ctx) {
	if (ctx->capturing) {
		cudaGraph_t g = NULL;
		cudaStreamEndCapture(ctx->stream, &g);
		if (g != NULL) {
			cudaGraphDestroy(g);
		}
		ctx->capturing = false;
		cudaGetLastError();
	}
	graphs_free(ctx);
	if (ctx->stream) {
		cudaStreamSynchronize(ctx->stream);
	}
	for (size_t i = 0; i < ctx->nallocs; i++) {
		cudaFree(ctx->allocs[i]);
	}
	free(ctx->allocs);
	if (ctx->blas) {
		cublasDestroy(ctx->blas);
	}
	if (ctx->blas_ws) {
		cudaFree(ctx->blas_ws);
	}
	if (ctx->ws) {
		cudaFree(ctx->ws);
	}
	if (ctx->stream) {
		cudaStreamDestroy(ctx->stream);
	}
	cudaGetLastError();
	free(ctx);
}

dds_ctx *dds_create(int device, char *msg, size_t msglen) {
	int n = 0;
	cudaError_t e = cudaGetDeviceCount(&n);
	if (e != cudaSuccess) {
		put_msg(msg, msglen, "dds_create: cudaGetDeviceCount: %s (%s)", cudaGetErrorName(e), cudaGetErrorString(e));
		cudaGetLastError();
		return NULL;
	}
	if (device < 0 || device >= n) {
		put_msg(msg, msglen, "dds_create: device %d out of range: %d CUDA device%s", device, n, n == 1 ? "" : "s");
		return NULL;
	}
	dds_ctx *ctx = (dds_ctx *)calloc(1, sizeof *ctx);
	if (ctx == NULL) {
		put_msg(msg, msglen, "dds_create: out of host memory");
		return NULL;
	}
	ctx->device = device;
	ctx->precision = DDS_FP32;
	const char *call = "cudaSetDevice";
	cudaDeviceProp prop;
	cublasStatus_t bs = CUBLAS_STATUS_SUCCESS;
	if ((e = cudaSetDevice(device)) != cudaSuccess) goto cuda_fail;
	call = "cudaGetDeviceProperties";
	if ((e = cudaGetDeviceProperties(&prop, device)) != cudaSuccess) goto cuda_fail;
	call = "cudaStreamCreateWithFlags";
	if ((e = cudaStreamCreateWithFlags(&ctx->stream, cudaStreamNonBlocking)) != cudaSuccess) goto cuda_fail;
	call = "cudaMalloc (reduction workspace)";
	if ((e = cudaMalloc((void **)&ctx->ws, DDS_WS_BYTES)) != cudaSuccess) goto cuda_fail;
	ctx->blas_ws_bytes = blas_workspace_bytes(prop.major);
	call = "cudaMalloc (cuBLAS workspace)";
	if ((e = cudaMalloc(&ctx->blas_ws, ctx->blas_ws_bytes)) != cudaSuccess) goto cuda_fail;
	call = "cublasCreate";
	if ((bs = cublasCreate(&ctx->blas)) != CUBLAS_STATUS_SUCCESS) goto blas_fail;
	call = "cublasSetStream";
	if ((bs = cublasSetStream(ctx->blas, ctx->stream)) != CUBLAS_STATUS_SUCCESS) goto blas_fail;
	call = "cublasSetWorkspace";
	if ((bs = cublasSetWorkspace(ctx->blas, ctx->blas_ws, ctx->blas_ws_bytes)) != CUBLAS_STATUS_SUCCESS) goto blas_fail;
	/* CUBLAS_DEFAULT_MATH: FP32 GEMMs in FP32 (no TF32 tensor-core rounding). */
	call = "cublasSetMathMode";
	if ((bs = cublasSetMathMode(ctx->blas, CUBLAS_DEFAULT_MATH)) != CUBLAS_STATUS_SUCCESS) goto blas_fail;
	call = "cublasSetPointerMode";
	if ((bs = cublasSetPointerMode(ctx->blas, CUBLAS_POINTER_MODE_HOST)) != CUBLAS_STATUS_SUCCESS) goto blas_fail;
	ctx->status = DDS_OK;
	ctx->msg[0] = 0;
	return ctx;

cuda_fail:
	put_msg(msg, msglen, "dds_create: device %d: %s: %s (%s)", device, call, cudaGetErrorName(e), cudaGetErrorString(e));
	free_ctx(ctx);
	return NULL;
blas_fail:
	put_msg(msg, msglen, "dds_create: device %d: %s: %s (%d)", device, call, cublasGetStatusString(bs), (int)bs);
	free_ctx(ctx);
	return NULL;
}

void dds_destroy(dds_ctx *ctx) {
	if (ctx == NULL) {
		return;
	}
	cudaSetDevice(ctx->device);
	free_ctx(ctx);
}

void dds_set_precision(dds_ctx *ctx, int precision) {
	static const char fn[] = "dds_set_precision";
	if (!begin(ctx, fn)) return;
	if (precision != DDS_FP32 && precision != DDS_BF16) {
		arg_error(ctx, fn, "precision %d, want DDS_FP32 (%d) or DDS_BF16 (%d)", precision, DDS_FP32, DDS_BF16);
		return;
	}
	/* Buffers are allocated for one precision: once there are any, changing it would
	 * make the next operation read them as the other type. */
	if (ctx->nallocs > 0 || ctx->capturing) {
		arg_error(ctx, fn, "called after dds_alloc (%zu blocks) or while capturing; set the precision first",
		          ctx->nallocs);
		return;
	}
	ctx->precision = precision;
}

int dds_precision(dds_ctx *ctx) { return ctx == NULL ? DDS_ERR_ARG : ctx->precision; }

int dds_status(dds_ctx *ctx) { return ctx == NULL ? DDS_ERR_ARG : ctx->status; }

const char *dds_message(dds_ctx *ctx) {
	if (ctx == NULL) {
		return "dds_message: ctx is NULL";
	}
	return ctx->status == DDS_OK ? "" : ctx->msg;
}

void *dds_alloc(dds_ctx *ctx, size_t bytes) {
	static const char fn[] = "dds_alloc";
	if (!begin(ctx, fn) || !not_capturing(ctx, fn)) {
		return NULL;
	}
	if (ctx->nallocs == ctx->capallocs) {
		size_t cap = ctx->capallocs ? 2 * ctx->capallocs : 64;
		void **a = (void **)realloc(ctx->allocs, cap * sizeof *a);
		if (a == NULL) {
			set_error(ctx, DDS_ERR_OOM, "%s: out of host memory for the allocation table", fn);
			return NULL;
		}
		ctx->allocs = a;
		ctx->capallocs = cap;
	}
	void *p = NULL;
	/* A zero-byte request still gets a distinct, valid block. */
	cudaError_t e = cudaMalloc(&p, bytes > 0 ? bytes : 1);
	if (e == cudaErrorMemoryAllocation) {
		cudaGetLastError();
		size_t free_b = 0, total_b = 0;
		cudaMemGetInfo(&free_b, &total_b);
		cudaGetLastError();
		set_error(ctx, DDS_ERR_OOM,
		          "%s: out of device memory: requested %zu bytes (%.1f MiB), %zu bytes (%.1f MiB) free of %zu; "
		          "this context holds %zu bytes",
		          fn, bytes, (double)bytes / (1 << 20), free_b, (double)free_b / (1 << 20), total_b, ctx->used);
		return NULL;
	}
	if (!cuda_ok(ctx, e, fn, "cudaMalloc")) {
		return NULL;
	}
	ctx->allocs[ctx->nallocs++] = p;
	ctx->used += bytes;
	if (!cuda_ok(ctx, cudaMemsetAsync(p, 0, bytes, ctx->stream), fn, "cudaMemsetAsync")) {
		return NULL;
	}
	return p;
}

size_t dds_mem_used(dds_ctx *ctx) { return ctx == NULL ? 0 : ctx->used; }

void dds_upload(dds_ctx *ctx, void *dst, const void *src, size_t bytes) {
	static const char fn[] = "dds_upload";
	if (!begin(ctx, fn) || !not_capturing(ctx, fn) || bytes == 0) {
		return;
	}
	if (!need_ptr(ctx, fn, "dst", dst) || !need_ptr(ctx, fn, "src", src)) {
		return;
	}
	if (!cuda_ok(ctx, cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, ctx->stream), fn, "cudaMemcpyAsync")) {
		return;
	}
	cuda_ok(ctx, cudaStreamSynchronize(ctx->stream), fn, "cudaStreamSynchronize");
}

/* wait_stream waits for the context's stream even after an error (so that the caller
 * may reuse host and device buffers), recording a failure unless one is recorded. */
static bool wait_stream(dds_ctx *ctx, const char *fn) {
	cudaError_t e = cudaSetDevice(ctx->device);
	if (e == cudaSuccess) {
		e = cudaStreamSynchronize(ctx->stream);
	}
	if (e != cudaSuccess) {
		cudaGetLastError();
	}
	return cuda_ok(ctx, e, fn, "cudaStreamSynchronize") && ctx->status == DDS_OK;
}

int dds_download(dds_ctx *ctx, void *dst, const void *src, size_t bytes) {
	static const char fn[] = "dds_download";
	if (ctx == NULL) {
		return DDS_ERR_ARG;
	}
	if (!not_capturing(ctx, fn) || !wait_stream(ctx, fn) || bytes == 0) {
		return ctx->status;
	}
	if (!need_ptr(ctx, fn, "dst", dst) || !need_ptr(ctx, fn, "src", src)) {
		return ctx->status;
	}
	if (cuda_ok(ctx, cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, ctx->stream), fn, "cudaMemcpyAsync")) {
		cuda_ok(ctx, cudaStreamSynchronize(ctx->stream), fn, "cudaStreamSynchronize");
	}
	return ctx->status;
}

int dds_sync(dds_ctx *ctx) {
	if (ctx == NULL) {
		return DDS_ERR_ARG;
	}
	if (not_capturing(ctx, "dds_sync")) {
		wait_stream(ctx, "dds_sync");
	}
	return ctx->status;
}
