/*
 * gemm.cu — the row-major GEMM wrapper over cuBLAS and the fully connected layer
 * (train/cpu/linear.go).
 */
#include "internal.cuh"

bool gemm_rm(dds_ctx *ctx, const char *fn, bool ta, bool tb, int M, int N, int K, float alpha,
             const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc) {
	/* Row-major C[M][N] is column-major Cᵀ [N][M]; Cᵀ = op(B)ᵀ·op(A)ᵀ. */
	cublasStatus_t s = cublasSgemm(ctx->blas, tb ? CUBLAS_OP_T : CUBLAS_OP_N, ta ? CUBLAS_OP_T : CUBLAS_OP_N, N, M,
	                               K, &alpha, B, ldb, A, lda, &beta, C, ldc);
	return blas_ok(ctx, s, fn, "cublasSgemm");
}

/* fill_rows_kernel: y[b,o] = bias[o] for b < n, o < out (the GEMM then adds x·wᵀ).
 * One thread per element, grid-stride. */
static __global__ void fill_rows_kernel(float *y, const float *bias, int64_t total, int out) {
	for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < total; i += (int64_t)gridDim.x * blockDim.x) {
		y[i] = bias[i % out];
	}
}

/* column_sum_kernel: dbias[o] = Σ_b dy[b,o], in float32 as the reference.
 * Block (32, 8) over a tile of 32 columns: thread (tx, ty) sums rows ty, ty+8, ... of
 * column o = 32·blockIdx.x + tx, then the 8 partial sums are added in a fixed tree in
 * shared memory, so the result does not depend on timing. */
static __global__ void column_sum_kernel(float *dbias, const float *dy, int n, int out) {
	__shared__ float part[8][32];
	int o = blockIdx.x * 32 + threadIdx.x;
	float s = 0;
	if (o < out) {
		for (int b = threadIdx.y; b < n; b += 8) {
			s += dy[(int64_t)b * out + o];
		}
	}
	part[threadIdx.y][threadIdx.x] = s;
	__syncthreads();
	for (int h = 4; h > 0; h >>= 1) {
		if (threadIdx.y < h) {
			part[threadIdx.y][threadIdx.x] += part[threadIdx.y + h][threadIdx.x];
		}
		__syncthreads();
	}
	if (threadIdx.y == 0 && o < out) {
		dbias[o] = part[0][threadIdx.x];
	}
}

/* linear_shape checks n >= 0, in >= 1, out >= 1 and the tensor sizes. */
static bool linear_shape(dds_ctx *ctx, const char *fn, int n, int in, int out) {
	if (n < 0) return arg_error(ctx, fn, "n = %d, want >= 0", n);
	if (in < 1) return arg_error(ctx, fn, "in = %d, want >= 1", in);
	if (out < 1) return arg_error(ctx, fn, "out = %d, want >= 1", out);
	return need_elems(ctx, fn, "x [n][in]", (int64_t)n * in) && need_elems(ctx, fn, "y [n][out]", (int64_t)n * out) &&
	       need_elems(ctx, fn, "w [out][in]", (int64_t)out * in);
}

/* y[b,o] = Σ_i x[b,i]·w[o,i] + bias[o]: the row-major GEMM Y = X·Wᵀ on top of the
 * bias rows (beta = 1), or with beta = 0 when there is no bias. */
void dds_linear_forward(dds_ctx *ctx, float *y, const float *x, const float *w, const float *bias, int n, int in,
                        int out) {
	static const char fn[] = "dds_linear_forward";
	if (!begin(ctx, fn) || !linear_shape(ctx, fn, n, in, out) || !need_ptr(ctx, fn, "y", y) ||
	    !need_ptr(ctx, fn, "x", x) || !need_ptr(ctx, fn, "w", w) || n == 0) {
		return;
	}
	float beta = 0;
	if (bias != NULL) {
		int64_t total = (int64_t)n * out;
		fill_rows_kernel<<<stride_blocks(total, 256), 256, 0, ctx->stream>>>(y, bias, total, out);
		if (!launched(ctx, fn, "fill_rows_kernel")) return;
		beta = 1;
	}
	gemm_rm(ctx, fn, false, true, n, out, in, 1, x, in, w, in, beta, y, out);
}

/* dx = dY·W [n][in], dW = dYᵀ·X [out][in], dbias = column sums of dY; dx and dbias
 * skipped when NULL. With n = 0, dw and dbias are zero. */
void dds_linear_backward(dds_ctx *ctx, float *dx, float *dw, float *dbias, const float *dy, const float *x,
                         const float *w, int n, int in, int out) {
	static const char fn[] = "dds_linear_backward";
	if (!begin(ctx, fn) || !linear_shape(ctx, fn, n, in, out) || !need_ptr(ctx, fn, "dw", dw)) {
		return;
	}
	if (n == 0) {
		if (cuda_ok(ctx, cudaMemsetAsync(dw, 0, (size_t)out * in * sizeof(float), ctx->stream), fn, "cudaMemsetAsync") &&
		    dbias != NULL) {
			cuda_ok(ctx, cudaMemsetAsync(dbias, 0, (size_t)out * sizeof(float), ctx->stream), fn, "cudaMemsetAsync");
		}
		return;
	}
	if (!need_ptr(ctx, fn, "dy", dy) || !need_ptr(ctx, fn, "x", x) || (dx != NULL && !need_ptr(ctx, fn, "w", w))) {
		return;
	}
	if (dx != NULL && !gemm_rm(ctx, fn, false, false, n, in, out, 1, dy, out, w, in, 0, dx, in)) {
		return;
	}
	if (!gemm_rm(ctx, fn, true, false, out, in, n, 1, dy, out, x, in, 0, dw, in)) {
		return;
	}
	if (dbias != NULL) {
		column_sum_kernel<<<blocks_for(out, 32), dim3(32, 8), 0, ctx->stream>>>(dbias, dy, n, out);
		launched(ctx, fn, "column_sum_kernel");
	}
}
