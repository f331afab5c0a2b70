/*
 * cublas.cc — the cuBLAS of the host emulation: column-major GEMMs
 *
 *   C[i + j·ldc] = alpha·Σ_k op(A)[i,k]·op(B)[k,j] + beta·C[i + j·ldc]   (i < m, j < n)
 *
 * with op(A)[i,k] = A[i + k·lda] (CUBLAS_OP_N) or A[k + i·lda] (CUBLAS_OP_T), each
 * sum accumulated in float in order k = 0, 1, ... (GemmEx: bfloat16 A and B read
 * exactly as floats, C float or bfloat16 rounded to nearest even). With beta = 0, C is
 * not read (as cuBLAS: it may hold NaN). The calls run on the handle's stream like a
 * kernel (recorded when it is capturing).
 *
 * Before computing, every column of A, B and C the GEMM touches is checked against
 * AddressSanitizer's shadow (a GPU would fault on an address outside the
 * allocation); the arithmetic itself is not instrumented, so it runs at full speed.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <vector>

#include "cublas_v2.h"
#include "cuda_bf16.h"
#include "emu.h"

#if defined(__SANITIZE_ADDRESS__)
#error "cublas.cc is compiled without -fsanitize=address; it checks its operands itself"
#endif
#include <sanitizer/asan_interface.h>

struct dds_emu_blas {
	cudaStream_t stream = NULL;
	void *ws = NULL;
	size_t ws_bytes = 0;
	cublasMath_t math = CUBLAS_DEFAULT_MATH;
	cublasPointerMode_t pmode = CUBLAS_POINTER_MODE_HOST;
};

cublasStatus_t cublasCreate(cublasHandle_t *h) {
	if (h == NULL) return CUBLAS_STATUS_INVALID_VALUE;
	*h = new dds_emu_blas();
	return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasDestroy(cublasHandle_t h) {
	if (h == NULL) return CUBLAS_STATUS_NOT_INITIALIZED;
	delete h;
	return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetStream(cublasHandle_t h, cudaStream_t s) {
	if (h == NULL) return CUBLAS_STATUS_NOT_INITIALIZED;
	h->stream = s;
	return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetWorkspace(cublasHandle_t h, void *ws, size_t bytes) {
	if (h == NULL) return CUBLAS_STATUS_NOT_INITIALIZED;
	if (bytes > 0 && ws == NULL) return CUBLAS_STATUS_INVALID_VALUE;
	if ((uintptr_t)ws % 256 != 0) return CUBLAS_STATUS_INVALID_VALUE;
	h->ws = ws;
	h->ws_bytes = bytes;
	return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetMathMode(cublasHandle_t h, cublasMath_t mode) {
	if (h == NULL) return CUBLAS_STATUS_NOT_INITIALIZED;
	if (mode != CUBLAS_DEFAULT_MATH && mode != CUBLAS_TENSOR_OP_MATH && mode != CUBLAS_PEDANTIC_MATH &&
	    mode != CUBLAS_TF32_TENSOR_OP_MATH) {
		return CUBLAS_STATUS_INVALID_VALUE;
	}
	h->math = mode;
	return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetPointerMode(cublasHandle_t h, cublasPointerMode_t mode) {
	if (h == NULL) return CUBLAS_STATUS_NOT_INITIALIZED;
	if (mode != CUBLAS_POINTER_MODE_HOST && mode != CUBLAS_POINTER_MODE_DEVICE) return CUBLAS_STATUS_INVALID_VALUE;
	h->pmode = mode;
	return CUBLAS_STATUS_SUCCESS;
}

const char *cublasGetStatusString(cublasStatus_t s) {
	switch (s) {
	case CUBLAS_STATUS_SUCCESS: return "the operation completed successfully";
	case CUBLAS_STATUS_NOT_INITIALIZED: return "the library was not initialized";
	case CUBLAS_STATUS_ALLOC_FAILED: return "the resource allocation failed";
	case CUBLAS_STATUS_INVALID_VALUE: return "an invalid numeric value was used as an argument";
	case CUBLAS_STATUS_ARCH_MISMATCH: return "an absent device architectural feature is required";
	case CUBLAS_STATUS_MAPPING_ERROR: return "an access to GPU memory space failed";
	case CUBLAS_STATUS_EXECUTION_FAILED: return "the GPU program failed to execute";
	case CUBLAS_STATUS_INTERNAL_ERROR: return "an internal operation failed";
	case CUBLAS_STATUS_NOT_SUPPORTED: return "the functionality requested is not supported";
	}
	return "unknown error";
}

namespace {

enum elem { E_F32, E_BF16 };

/* matrix is one operand as stored: element (r, c) at p[r·rs + c·cs]. */
struct matrix {
	const void *p;
	elem t;
	long rs, cs;
	float at(long r, long c) const {
		long i = r * rs + c * cs;
		if (t == E_F32) return ((const float *)p)[i];
		return __bfloat162float(((const __nv_bfloat16 *)p)[i]);
	}
};

size_t elem_bytes(elem t) { return t == E_F32 ? 4 : 2; }

/* columns_ok checks that the cols stored columns of rows elements (leading dimension
 * ld) of an operand at p are addressable, reporting the first address that is not
 * through AddressSanitizer. */
bool columns_ok(const char *fn, const char *name, const void *p, elem t, long rows, long cols, long ld, bool write) {
	if (rows == 0 || cols == 0) return true;
	size_t eb = elem_bytes(t);
	for (long c = 0; c < cols; c++) {
		const char *col = (const char *)p + (size_t)c * ld * eb;
		void *bad = __asan_region_is_poisoned((void *)col, (size_t)rows * eb);
		if (bad != NULL) {
			dds_emu::note("%s: operand %s, column %ld of %ld (%ld elements from %p): address %p is outside device "
			              "memory; AddressSanitizer's report follows",
			              fn, name, c, cols, rows, (const void *)col, bad);
			__asan_report_error(__builtin_return_address(0), __builtin_frame_address(0), __builtin_frame_address(0),
			                    bad, write, eb);
			return false;
		}
	}
	return true;
}

/* gemm computes the GEMM over stored operands. */
void gemm(long m, long n, long k, float alpha, matrix a, matrix b, float beta, void *c, elem ct, long ldc) {
	std::vector<float> acc((size_t)m);
	for (long j = 0; j < n; j++) {
		std::fill(acc.begin(), acc.end(), 0.f);
		if (a.rs == 1 && a.t == E_F32) {
			/* op(A) column-contiguous: accumulate whole columns, k in order. */
			const float *ap = (const float *)a.p;
			for (long kk = 0; kk < k; kk++) {
				float bv = b.at(kk, j);
				const float *col = ap + kk * a.cs;
				for (long i = 0; i < m; i++) acc[i] = fmaf(col[i], bv, acc[i]);
			}
		} else {
			for (long i = 0; i < m; i++) {
				float s = 0.f;
				for (long kk = 0; kk < k; kk++) s = fmaf(a.at(i, kk), b.at(kk, j), s);
				acc[i] = s;
			}
		}
		for (long i = 0; i < m; i++) {
			float v = alpha * acc[i];
			if (ct == E_F32) {
				float *cp = (float *)c + i + j * ldc;
				*cp = beta == 0.f ? v : v + beta * *cp;
			} else {
				__nv_bfloat16 *cp = (__nv_bfloat16 *)c + i + j * ldc;
				float old = __bfloat162float(*cp);
				*cp = __float2bfloat16_rn(beta == 0.f ? v : v + beta * old);
			}
		}
	}
}

cublasStatus_t run_gemm(cublasHandle_t h, const char *fn, cublasOperation_t ta, cublasOperation_t tb, int m, int n,
                        int k, const void *alpha, const void *A, elem at, int lda, const void *B, elem bt, int ldb,
                        const void *beta, void *C, elem ct, int ldc) {
	if (h == NULL) return CUBLAS_STATUS_NOT_INITIALIZED;
	if ((ta != CUBLAS_OP_N && ta != CUBLAS_OP_T) || (tb != CUBLAS_OP_N && tb != CUBLAS_OP_T)) {
		return CUBLAS_STATUS_INVALID_VALUE;
	}
	long arows = ta == CUBLAS_OP_N ? m : k, acols = ta == CUBLAS_OP_N ? k : m;
	long brows = tb == CUBLAS_OP_N ? k : n, bcols = tb == CUBLAS_OP_N ? n : k;
	if (m < 0 || n < 0 || k < 0 || lda < (arows > 1 ? arows : 1) || ldb < (brows > 1 ? brows : 1) ||
	    ldc < (m > 1 ? m : 1)) {
		return CUBLAS_STATUS_INVALID_VALUE;
	}
	if (alpha == NULL || beta == NULL) return CUBLAS_STATUS_INVALID_VALUE;
	if (h->pmode != CUBLAS_POINTER_MODE_HOST) return CUBLAS_STATUS_NOT_SUPPORTED;
	float al = *(const float *)alpha, be = *(const float *)beta;
	if (m == 0 || n == 0) return CUBLAS_STATUS_SUCCESS;
	matrix a{A, at, ta == CUBLAS_OP_N ? 1 : (long)lda, ta == CUBLAS_OP_N ? (long)lda : 1};
	matrix b{B, bt, tb == CUBLAS_OP_N ? 1 : (long)ldb, tb == CUBLAS_OP_N ? (long)ldb : 1};
	cudaStream_t s = h->stream;
	cudaError_t e = dds_emu::enqueue_op(s, fn, [=]() {
		if (!columns_ok(fn, "A", A, at, k > 0 ? arows : 0, acols, lda, false) ||
		    !columns_ok(fn, "B", B, bt, k > 0 ? brows : 0, bcols, ldb, false) ||
		    !columns_ok(fn, "C", C, ct, m, n, ldc, true)) {
			return cudaErrorIllegalAddress;
		}
		gemm(m, n, k, al, a, b, be, C, ct, ldc);
		return cudaSuccess;
	});
	return e == cudaSuccess ? CUBLAS_STATUS_SUCCESS : CUBLAS_STATUS_EXECUTION_FAILED;
}

} // namespace

cublasStatus_t cublasSgemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                           const float *alpha, const float *A, int lda, const float *B, int ldb, const float *beta,
                           float *C, int ldc) {
	return run_gemm(h, "cublasSgemm", ta, tb, m, n, k, alpha, A, E_F32, lda, B, E_F32, ldb, beta, C, E_F32, ldc);
}

cublasStatus_t cublasGemmEx(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                            const void *alpha, const void *A, cudaDataType at, int lda, const void *B, cudaDataType bt,
                            int ldb, const void *beta, void *C, cudaDataType ct, int ldc, cublasComputeType_t compute,
                            cublasGemmAlgo_t algo) {
	(void)algo;
	if (compute != CUBLAS_COMPUTE_32F || at != CUDA_R_16BF || bt != CUDA_R_16BF ||
	    (ct != CUDA_R_32F && ct != CUDA_R_16BF)) {
		return CUBLAS_STATUS_NOT_SUPPORTED;
	}
	return run_gemm(h, "cublasGemmEx", ta, tb, m, n, k, alpha, A, E_BF16, lda, B, E_BF16, ldb, beta, C,
	                ct == CUDA_R_32F ? E_F32 : E_BF16, ldc);
}
