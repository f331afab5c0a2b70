/*
 * graph.cu — CUDA graphs: capturing a context's stream and replaying what it recorded.
 *
 * dds_capture_begin puts the context's stream in capture mode; the operations that
 * follow enqueue nothing but are recorded, and dds_capture_end turns the record into
 * an executable graph that dds_graph_launch enqueues with one call. Every operation of
 * the library is capture-safe: they only launch kernels, call cuBLAS (whose
 * workspace is set once in dds_create, so it allocates nothing) and cudaMemsetAsync
 * on the stream, and they read nothing back. What is not allowed while capturing —
 * dds_alloc, dds_upload, dds_download, dds_sync — fails with DDS_ERR_ARG (context.cu),
 * and any error recorded during the capture makes dds_capture_end discard it: the
 * operations after a sticky error were skipped, so the record would be incomplete.
 *
 * A context keeps its graphs in a table so that dds_destroy frees those left, and so
 * that dds_graph_launch and dds_graph_destroy reject a graph that is not theirs.
 */
#include <stdlib.h>

#include "internal.cuh"

void dds_capture_begin(dds_ctx *ctx) {
	static const char fn[] = "dds_capture_begin";
	if (!begin(ctx, fn)) return;
	if (ctx->capturing) {
		arg_error(ctx, fn, "the stream is capturing already");
		return;
	}
	/* Relaxed, not ThreadLocal or Global: the Go engine is used by one goroutine at a
	 * time but not from one OS thread, so dds_capture_end may run on another thread
	 * than dds_capture_begin, which CUDA allows only in relaxed mode (in the other
	 * modes the capture must end on the thread that began it). Relaxed mode also does
	 * not make other threads' unsafe calls fail (a cudaMalloc of another engine,
	 * training at the same time from another goroutine, would fail in Global mode).
	 * What relaxed mode does not check — this context's own allocation, copies and
	 * synchronisation while capturing — the library refuses itself (not_capturing). */
	if (cuda_ok(ctx, cudaStreamBeginCapture(ctx->stream, cudaStreamCaptureModeRelaxed), fn,
	            "cudaStreamBeginCapture")) {
		ctx->capturing = true;
	}
}

/* instantiate returns the executable graph of g, or NULL with ctx's error set. */
static cudaGraphExec_t instantiate(dds_ctx *ctx, const char *fn, cudaGraph_t g) {
	cudaGraphExec_t exec = NULL;
#if CUDART_VERSION >= 12000
	cudaError_t e = cudaGraphInstantiate(&exec, g, 0);
#else
	cudaError_t e = cudaGraphInstantiate(&exec, g, NULL, NULL, 0);
#endif
	if (!cuda_ok(ctx, e, fn, "cudaGraphInstantiate")) {
		cudaGetLastError();
		return NULL;
	}
	return exec;
}

dds_graph *dds_capture_end(dds_ctx *ctx) {
	static const char fn[] = "dds_capture_end";
	if (ctx == NULL) return NULL;
	if (!ctx->capturing) {
		/* Also after a dds_capture_begin that did nothing because of an earlier error
		 * (which stays the context's error). */
		arg_error(ctx, fn, "the stream is not capturing (no dds_capture_begin)");
		return NULL;
	}
	/* End the capture whatever the context's status (and whether the device could be
	 * made current: the stream names its device), so the stream is usable again. */
	cudaError_t es = cudaSetDevice(ctx->device);
	cudaGraph_t g = NULL;
	cudaError_t e = cudaStreamEndCapture(ctx->stream, &g);
	ctx->capturing = false;
	if (es != cudaSuccess || e != cudaSuccess) {
		cudaGetLastError();
	}
	bool ok = cuda_ok(ctx, es, fn, "cudaSetDevice") && cuda_ok(ctx, e, fn, "cudaStreamEndCapture");
	if (ok && g == NULL) {
		ok = false;
		set_error(ctx, (int)cudaErrorStreamCaptureInvalidated, "%s: cudaStreamEndCapture returned no graph", fn);
	}
	if (!ok || ctx->status != DDS_OK) {
		/* The capture failed, or an operation failed during it and the rest were
		 * skipped: the record is not the sequence the caller issued. */
		if (g != NULL) cudaGraphDestroy(g);
		return NULL;
	}
	cudaGraphExec_t exec = instantiate(ctx, fn, g);
	cudaGraphDestroy(g); /* the executable graph does not need it */
	if (exec == NULL) return NULL;
	if (ctx->ngraphs == ctx->capgraphs) {
		size_t cap = ctx->capgraphs ? 2 * ctx->capgraphs : 8;
		dds_graph **a = (dds_graph **)realloc(ctx->graphs, cap * sizeof *a);
		if (a == NULL) {
			cudaGraphExecDestroy(exec);
			set_error(ctx, DDS_ERR_OOM, "%s: out of host memory for the graph table", fn);
			return NULL;
		}
		ctx->graphs = a;
		ctx->capgraphs = cap;
	}
	dds_graph *gr = (dds_graph *)malloc(sizeof *gr);
	if (gr == NULL) {
		cudaGraphExecDestroy(exec);
		set_error(ctx, DDS_ERR_OOM, "%s: out of host memory for the graph", fn);
		return NULL;
	}
	gr->exec = exec;
	ctx->graphs[ctx->ngraphs++] = gr;
	/* Move the graph to the device now rather than at its first launch (enqueued on
	 * the stream like an operation). */
	cuda_ok(ctx, cudaGraphUpload(exec, ctx->stream), fn, "cudaGraphUpload");
	return gr;
}

/* graph_index returns g's index in ctx's table, or -1. */
static long graph_index(const dds_ctx *ctx, const dds_graph *g) {
	for (size_t i = 0; i < ctx->ngraphs; i++) {
		if (ctx->graphs[i] == g) return (long)i;
	}
	return -1;
}

void dds_graph_launch(dds_ctx *ctx, dds_graph *g) {
	static const char fn[] = "dds_graph_launch";
	if (!begin(ctx, fn) || !need_ptr(ctx, fn, "g", g)) return;
	if (graph_index(ctx, g) < 0) {
		arg_error(ctx, fn, "g is not a graph of this context (destroyed, or another context's)");
		return;
	}
	cuda_ok(ctx, cudaGraphLaunch(g->exec, ctx->stream), fn, "cudaGraphLaunch");
}

void dds_graph_destroy(dds_ctx *ctx, dds_graph *g) {
	static const char fn[] = "dds_graph_destroy";
	if (ctx == NULL || g == NULL) return;
	long i = graph_index(ctx, g);
	if (i < 0) {
		arg_error(ctx, fn, "g is not a graph of this context (destroyed, or another context's)");
		return;
	}
	ctx->graphs[i] = ctx->graphs[--ctx->ngraphs];
	/* Freeing works after an error too. An executable graph still running is freed
	 * when it completes, so nothing waits here. */
	cudaError_t e = cudaSetDevice(ctx->device);
	if (e == cudaSuccess) e = cudaGraphExecDestroy(g->exec);
	if (e != cudaSuccess) cudaGetLastError();
	cuda_ok(ctx, e, fn, "cudaGraphExecDestroy");
	free(g);
}

void graphs_free(dds_ctx *ctx) {
	for (size_t i = 0; i < ctx->ngraphs; i++) {
		cudaGraphExecDestroy(ctx->graphs[i]->exec);
		free(ctx->graphs[i]);
	}
	free(ctx->graphs);
	ctx->graphs = NULL;
	ctx->ngraphs = ctx->capgraphs = 0;
}
