/*
 * selftest.cu — the emulator's own tests, compiled as the kernel sources are: kernels
 * that must run correctly (a block reduction with barriers, a warp-shuffle
 * reduction, a grid-stride loop, stream capture and replay, the bfloat16 conversion,
 * cuBLAS), and planted errors the emulator must report: a shared-memory race, a
 * barrier not every thread reaches, bad launch configurations, calls not allowed
 * during a capture, and (in a child process, where AddressSanitizer's report is
 * read back) an out-of-bounds write and a use after free.
 *
 *   selftest            run every test; exit status 1 if any fails
 *   selftest oob|uaf    the planted memory errors, run by the tests as children
 */
#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_runtime.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <unistd.h>

#include <string>

#define LAUNCH(grid, block, shmem, stream, ...) \
	::dds_emu::launch<__VA_ARGS__>(#__VA_ARGS__, (grid), (block), (shmem), (stream))

static int failures;

static void expect(bool ok, const char *name, const char *fmt = "%s", ...) __attribute__((format(printf, 3, 4)));
static void expect(bool ok, const char *name, const char *fmt, ...) {
	if (ok) {
		printf("ok    %s\n", name);
	} else {
		char buf[512];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(buf, sizeof buf, fmt, ap);
		va_end(ap);
		printf("FAIL  %s: %s\n", name, buf);
		failures++;
	}
	fflush(stdout);
}

static float *dev_floats(size_t n) {
	void *p = NULL;
	if (cudaMalloc(&p, n * sizeof(float)) != cudaSuccess) abort();
	return (float *)p;
}

/* ---- kernels that must work ---- */

/* block_sum_kernel: out[b] = Σ x[b·256 + i] over a block of 256 threads, by a tree
 * in shared memory with a barrier per level. */
static __global__ void block_sum_kernel(float *out, const float *x) {
	__shared__ float s[256];
	unsigned t = threadIdx.x;
	s[t] = x[blockIdx.x * 256 + t];
	__syncthreads();
	for (unsigned h = 128; h > 0; h >>= 1) {
		if (t < h) s[t] += s[t + h];
		__syncthreads();
	}
	if (t == 0) out[blockIdx.x] = s[0];
}

/* warp_sum_kernel: out[w] = Σ x over warp w's 32 lanes, by a butterfly of shuffles;
 * every lane writes its total to all[global lane]. */
static __global__ void warp_sum_kernel(float *all, const float *x) {
	unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
	double v = x[i];
	for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
	all[i] = (float)v;
}

/* scale_kernel: y[i] = a·x[i], grid-stride. */
static __global__ void scale_kernel(float *y, const float *x, float a, int n) {
	for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) y[i] = a * x[i];
}

/* ---- planted errors ---- */

/* race_write_kernel: every thread writes s[0]: a write-write race. */
static __global__ void race_write_kernel(float *out) {
	__shared__ float s[32];
	s[threadIdx.x % 2 == 0 ? 0 : threadIdx.x] = (float)threadIdx.x;
	__syncthreads();
	if (threadIdx.x == 0) out[0] = s[0];
}

/* race_read_kernel: thread t writes s[t] and reads s[t + 1] with no barrier between
 * (the barrier that should separate them is missing). */
static __global__ void race_read_kernel(float *out) {
	__shared__ float s[65];
	unsigned t = threadIdx.x;
	s[t] = (float)t;
	out[t] = s[t + 1];
}

/* tree_race_kernel: a block tree reduction of T with the barrier between the
 * stores and the first level missing (the shared array of a template instance). */
template <typename T> static __global__ void tree_race_kernel(T *out) {
	__shared__ T s[64];
	unsigned t = threadIdx.x;
	s[t] = (T)t;
	for (unsigned h = 32; h > 0; h >>= 1) {
		if (t < h) s[t] += s[t + h];
		__syncthreads();
	}
	if (t == 0) out[0] = s[0];
}

/* divergent_kernel: only the first 16 threads reach the barrier. */
static __global__ void divergent_kernel(float *out) {
	__shared__ float s[64];
	s[threadIdx.x] = 1;
	if (threadIdx.x < 16) __syncthreads();
	out[threadIdx.x] = s[threadIdx.x];
}

/* early_exit_kernel: thread 0 returns before the barrier the others wait at. */
static __global__ void early_exit_kernel(float *out) {
	if (threadIdx.x == 0) return;
	__syncthreads();
	out[threadIdx.x] = 1;
}

/* shfl_exit_kernel: lane 5 leaves before the shuffle its warp joins. */
static __global__ void shfl_exit_kernel(float *out) {
	if (threadIdx.x == 5) return;
	float v = __shfl_xor_sync(0xffffffffu, (float)threadIdx.x, 1);
	out[threadIdx.x] = v;
}

/* oob_kernel: writes one float past the end of y (n floats). */
static __global__ void oob_kernel(float *y, int n) {
	int i = blockIdx.x * blockDim.x + threadIdx.x;
	if (i <= n) y[i] = 1.f;
}

/* ---- the tests ---- */

static void test_block_sum(void) {
	const int blocks = 3, n = blocks * 256;
	float *x = dev_floats(n), *out = dev_floats(blocks);
	float h[n], want[blocks] = {0, 0, 0};
	for (int i = 0; i < n; i++) {
		h[i] = (float)(i % 7) - 3.f;
		want[i / 256] += h[i];
	}
	cudaMemcpy(x, h, sizeof h, cudaMemcpyHostToDevice);
	LAUNCH(blocks, 256, 0, 0, block_sum_kernel)(out, x);
	cudaError_t e = cudaGetLastError();
	float got[blocks];
	cudaMemcpy(got, out, sizeof got, cudaMemcpyDeviceToHost);
	expect(e == cudaSuccess && got[0] == want[0] && got[1] == want[1] && got[2] == want[2],
	       "block reduction with barriers", "%s; got %g %g %g, want %g %g %g", cudaGetErrorName(e), got[0], got[1],
	       got[2], want[0], want[1], want[2]);
	cudaFree(x);
	cudaFree(out);
}

static void test_warp_sum(void) {
	const int n = 128;
	float *x = dev_floats(n), *all = dev_floats(n);
	float h[n], got[n];
	for (int i = 0; i < n; i++) h[i] = (float)i;
	cudaMemcpy(x, h, sizeof h, cudaMemcpyHostToDevice);
	LAUNCH(2, 64, 0, 0, warp_sum_kernel)(all, x);
	cudaError_t e = cudaGetLastError();
	cudaMemcpy(got, all, sizeof got, cudaMemcpyDeviceToHost);
	bool ok = e == cudaSuccess;
	for (int i = 0; i < n && ok; i++) {
		int w = i / 32;
		float want = (float)(32 * 32 * w + 31 * 32 / 2); /* Σ_{l<32} (32w + l) */
		ok = got[i] == want;
		if (!ok) expect(false, "warp-shuffle reduction", "lane %d: got %g, want %g", i, got[i], want);
	}
	if (ok) expect(true, "warp-shuffle reduction", "%s", "");
	cudaFree(x);
	cudaFree(all);
}

static void test_capture(void) {
	const int n = 1000;
	cudaStream_t s;
	cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking);
	float *x = dev_floats(n), *y = dev_floats(n);
	float h[n];
	for (int i = 0; i < n; i++) h[i] = (float)i;
	cudaMemcpyAsync(x, h, sizeof h, cudaMemcpyHostToDevice, s);
	cudaStreamBeginCapture(s, cudaStreamCaptureModeRelaxed);
	LAUNCH(3, 128, 0, s, scale_kernel)(y, x, 2.f, n);
	cudaMemcpyAsync(x, y, sizeof h, cudaMemcpyDeviceToDevice, s);
	cudaGraph_t g = NULL;
	cudaError_t e = cudaStreamEndCapture(s, &g);
	float got[n];
	cudaMemcpyAsync(got, x, sizeof got, cudaMemcpyDeviceToHost, s);
	expect(e == cudaSuccess && got[7] == 7.f, "capture records without running", "%s, x[7] = %g", cudaGetErrorName(e),
	       got[7]);
	cudaGraphExec_t ex = NULL;
	cudaGraphInstantiate(&ex, g, 0);
	cudaGraphLaunch(ex, s);
	cudaGraphLaunch(ex, s);
	e = cudaStreamSynchronize(s);
	cudaMemcpyAsync(got, x, sizeof got, cudaMemcpyDeviceToHost, s);
	expect(e == cudaSuccess && got[7] == 28.f && got[999] == 3996.f, "graph replays the recorded launch and copy",
	       "%s, x[7] = %g, x[999] = %g", cudaGetErrorName(e), got[7], got[999]);
	cudaGraphExecDestroy(ex);
	cudaGraphDestroy(g);

	/* Calls CUDA refuses during a capture invalidate it. */
	struct {
		const char *name;
		cudaStreamCaptureMode mode;
		int call;
	} cases[] = {
	    {"cudaStreamSynchronize during capture", cudaStreamCaptureModeRelaxed, 0},
	    {"host-to-device copy during capture", cudaStreamCaptureModeRelaxed, 1},
	    {"device-to-host copy during capture", cudaStreamCaptureModeRelaxed, 2},
	    {"cudaMalloc during a global-mode capture", cudaStreamCaptureModeGlobal, 3},
	};
	for (auto &c : cases) {
		cudaStreamBeginCapture(s, c.mode);
		LAUNCH(1, 32, 0, s, scale_kernel)(y, x, 1.f, 32);
		cudaError_t got_e = cudaSuccess;
		void *p = NULL;
		switch (c.call) {
		case 0: got_e = cudaStreamSynchronize(s); break;
		case 1: got_e = cudaMemcpyAsync(x, h, 4, cudaMemcpyHostToDevice, s); break;
		case 2: got_e = cudaMemcpyAsync(h, x, 4, cudaMemcpyDeviceToHost, s); break;
		case 3: got_e = cudaMalloc(&p, 16); break;
		}
		cudaGraph_t g2 = NULL;
		cudaError_t end = cudaStreamEndCapture(s, &g2);
		cudaGetLastError();
		expect(got_e == cudaErrorStreamCaptureUnsupported && end == cudaErrorStreamCaptureInvalidated && g2 == NULL,
		       c.name, "call: %s, end capture: %s", cudaGetErrorName(got_e), cudaGetErrorName(end));
	}
	/* Relaxed mode allows cudaMalloc (it is the library's mode). */
	cudaStreamBeginCapture(s, cudaStreamCaptureModeRelaxed);
	void *p = NULL;
	cudaError_t me = cudaMalloc(&p, 16);
	cudaGraph_t g3 = NULL;
	cudaError_t end = cudaStreamEndCapture(s, &g3);
	expect(me == cudaSuccess && end == cudaSuccess && g3 != NULL, "cudaMalloc during a relaxed-mode capture",
	       "%s, %s", cudaGetErrorName(me), cudaGetErrorName(end));
	cudaFree(p);
	cudaGraphDestroy(g3);
	cudaStreamDestroy(s);
	cudaFree(x);
	cudaFree(y);
}

static void test_config(void) {
	float *y = dev_floats(64);
	struct {
		const char *name;
		dim3 grid, block;
		size_t shmem;
		cudaError_t want;
	} cases[] = {
	    {"1025 threads per block", dim3(1), dim3(1025), 0, cudaErrorInvalidConfiguration},
	    {"block (32,33,1): 1056 threads", dim3(1), dim3(32, 33), 0, cudaErrorInvalidConfiguration},
	    {"block z = 65", dim3(1), dim3(1, 1, 65), 0, cudaErrorInvalidConfiguration},
	    {"grid y = 65536", dim3(1, 65536), dim3(32), 0, cudaErrorInvalidConfiguration},
	    {"grid x = 0", dim3(0), dim3(32), 0, cudaErrorInvalidConfiguration},
	    {"49152 + 1 bytes of dynamic shared memory", dim3(1), dim3(32), 49153, cudaErrorInvalidValue},
	    {"1024 threads, 48 KiB shared memory", dim3(1), dim3(1024), 49152, cudaSuccess},
	};
	for (auto &c : cases) {
		cudaGetLastError();
		LAUNCH(c.grid, c.block, c.shmem, 0, scale_kernel)(y, y, 1.f, 64);
		cudaError_t e = cudaGetLastError();
		expect(e == c.want, c.name, "launch: %s, want %s", cudaGetErrorName(e), cudaGetErrorName(c.want));
	}
	cudaFree(y);
}

/* launch_fails runs a launch on a fresh stream and expects cudaErrorLaunchFailure
 * from cudaGetLastError and from the stream afterwards (sticky). */
template <typename F> static void launch_fails(const char *name, F launch) {
	cudaStream_t s;
	cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking);
	float *out = dev_floats(256);
	launch(s, out);
	cudaError_t e = cudaGetLastError();
	cudaError_t sync = cudaStreamSynchronize(s);
	cudaError_t later = cudaMemsetAsync(out, 0, 4, s);
	expect(e == cudaErrorLaunchFailure && sync == cudaErrorLaunchFailure && later == cudaErrorLaunchFailure, name,
	       "launch: %s, sync: %s, next call: %s", cudaGetErrorName(e), cudaGetErrorName(sync), cudaGetErrorName(later));
	cudaGetLastError();
	cudaFree(out);
	cudaStreamDestroy(s);
}

static void test_planted(void) {
	launch_fails("planted shared-memory race (two threads write one address) is reported",
	             [](cudaStream_t s, float *out) { LAUNCH(1, 32, 0, s, race_write_kernel)(out); });
	launch_fails("planted shared-memory race (read of another thread's write, no barrier) is reported",
	             [](cudaStream_t s, float *out) { LAUNCH(1, 64, 0, s, race_read_kernel)(out); });
	launch_fails("planted shared-memory race in a template kernel's tree reduction is reported",
	             [](cudaStream_t s, float *out) { LAUNCH(1, 64, 0, s, tree_race_kernel<float>)(out); });
	launch_fails("barrier reached by 16 of 64 threads is reported, no hang",
	             [](cudaStream_t s, float *out) { LAUNCH(1, 64, 0, s, divergent_kernel)(out); });
	launch_fails("barrier thread 0 never reaches is reported, no hang",
	             [](cudaStream_t s, float *out) { LAUNCH(2, 64, 0, s, early_exit_kernel)(out); });
	launch_fails("shuffle a lane of the warp left is reported, no hang",
	             [](cudaStream_t s, float *out) { LAUNCH(1, 32, 0, s, shfl_exit_kernel)(out); });
	/* After the failures, a fresh stream works. */
	test_block_sum();
}

static void test_bf16(void) {
	struct {
		unsigned in;
		unsigned short want;
	} cases[] = {
	    {0x3f800000, 0x3f80}, /* 1 */
	    {0x3f808000, 0x3f80}, /* tie, even below */
	    {0x3f818000, 0x3f82}, /* tie, odd below: up */
	    {0x3f808001, 0x3f81}, /* above the tie */
	    {0xbf80ffff, 0xbf81}, /* negative, rounds away */
	    {0x7f7fffff, 0x7f80}, /* the largest float: to +Inf */
	    {0x7f800000, 0x7f80}, /* +Inf */
	    {0xff800000, 0xff80}, /* -Inf */
	    {0x7fc00000, 0x7fff}, /* NaN: canonical */
	    {0xff800001, 0x7fff}, /* signalling NaN, negative: canonical */
	    {0x00000001, 0x0000}, /* the least subnormal rounds to 0 */
	    {0x80000000, 0x8000}, /* -0 */
	};
	bool ok = true;
	for (auto &c : cases) {
		__nv_bfloat16 h = __float2bfloat16_rn(__uint_as_float(c.in));
		if (h.__x != c.want) {
			expect(false, "bfloat16 rounding", "%08x -> %04x, want %04x", c.in, h.__x, c.want);
			ok = false;
		}
		float back = __bfloat162float(h);
		if (__float_as_uint(back) != (unsigned)h.__x << 16) {
			expect(false, "bfloat16 to float", "%04x -> %08x", h.__x, __float_as_uint(back));
			ok = false;
		}
	}
	if (ok) expect(true, "bfloat16 conversions bit-exact (ties to even, overflow, NaN)", "%s", "");
}

static void test_gemm(void) {
	/* Column-major C[2][3] = op(A)·op(B) with A stored transposed [3][2]... */
	const int m = 2, n = 3, k = 4;
	float A[k * m], B[k * n], C[m * n];
	for (int i = 0; i < k * m; i++) A[i] = (float)(i + 1);
	for (int i = 0; i < k * n; i++) B[i] = (float)(i % 5) - 2.f;
	float *dA = dev_floats(k * m), *dB = dev_floats(k * n), *dC = dev_floats(m * n);
	cudaMemcpy(dA, A, sizeof A, cudaMemcpyHostToDevice);
	cudaMemcpy(dB, B, sizeof B, cudaMemcpyHostToDevice);
	cublasHandle_t h;
	cublasCreate(&h);
	float one = 1, zero = 0;
	/* op(A) = Aᵀ with A stored k×m (lda k); op(B) = B stored k×n (ldb k). */
	cublasStatus_t st = cublasSgemm(h, CUBLAS_OP_T, CUBLAS_OP_N, m, n, k, &one, dA, k, dB, k, &zero, dC, m);
	cudaMemcpy(C, dC, sizeof C, cudaMemcpyDeviceToHost);
	bool ok = st == CUBLAS_STATUS_SUCCESS;
	for (int i = 0; i < m && ok; i++) {
		for (int j = 0; j < n; j++) {
			float want = 0;
			for (int kk = 0; kk < k; kk++) want += A[kk + i * k] * B[kk + j * k];
			if (C[i + j * m] != want) ok = false;
		}
	}
	expect(ok, "cublasSgemm (transposed A) against a naive product", "status %d", (int)st);
	/* An operand running past its allocation is reported and fails the call. */
	st = cublasSgemm(h, CUBLAS_OP_T, CUBLAS_OP_N, m, n, k + 1, &one, dA, k + 1, dB, k + 1, &zero, dC, m);
	cudaError_t e = cudaGetLastError();
	expect(st == CUBLAS_STATUS_EXECUTION_FAILED, "cublasSgemm reading past an operand fails", "status %d, %s",
	       (int)st, cudaGetErrorName(e));
	cublasDestroy(h);
	cudaFree(dA);
	cudaFree(dB);
	cudaFree(dC);
}

/* child runs this program with argument what and returns its status and output. */
static int child(const char *what, const char *asan_options, std::string *out) {
	char cmd[512];
	snprintf(cmd, sizeof cmd, "ASAN_OPTIONS=%s exec /proc/%d/exe %s 2>&1", asan_options, (int)getpid(), what);
	FILE *f = popen(cmd, "r");
	if (f == NULL) return -1;
	char buf[4096];
	size_t k;
	while ((k = fread(buf, 1, sizeof buf, f)) > 0) out->append(buf, k);
	return pclose(f);
}

static void test_memory_errors(void) {
	std::string out;
	int st = child("oob", "detect_leaks=0:halt_on_error=1", &out);
	bool ok = st != 0 && out.find("heap-buffer-overflow") != std::string::npos &&
	          out.find("oob_kernel") != std::string::npos;
	expect(ok, "planted out-of-bounds write: AddressSanitizer reports heap-buffer-overflow in oob_kernel",
	       "status %d, output:\n%s", st, out.c_str());
	out.clear();
	st = child("oob", "detect_leaks=0:halt_on_error=0", &out);
	ok = st == 0 && out.find("heap-buffer-overflow") != std::string::npos &&
	     out.find("launch: cudaErrorIllegalAddress") != std::string::npos &&
	     out.find("kernel oob_kernel") != std::string::npos;
	expect(ok, "planted out-of-bounds write, reports continuing: the launch fails with cudaErrorIllegalAddress",
	       "status %d, output:\n%s", st, out.c_str());
	out.clear();
	st = child("uaf", "detect_leaks=0:halt_on_error=1", &out);
	ok = st != 0 && out.find("heap-use-after-free") != std::string::npos &&
	     out.find("scale_kernel") != std::string::npos;
	expect(ok, "planted use after cudaFree: AddressSanitizer reports heap-use-after-free in scale_kernel",
	       "status %d, output:\n%s", st, out.c_str());
}

int main(int argc, char **argv) {
	if (argc == 2 && strcmp(argv[1], "oob") == 0) {
		float *y = dev_floats(100);
		LAUNCH(1, 128, 0, 0, oob_kernel)(y, 100);
		printf("launch: %s\n", cudaGetErrorName(cudaGetLastError()));
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "uaf") == 0) {
		float *y = dev_floats(100);
		cudaFree(y);
		LAUNCH(1, 128, 0, 0, scale_kernel)(y, y, 2.f, 100);
		printf("launch: %s\n", cudaGetErrorName(cudaGetLastError()));
		return 0;
	}
	test_block_sum();
	test_warp_sum();
	test_capture();
	test_config();
	test_planted();
	test_bf16();
	test_gemm();
	test_memory_errors();
	if (failures > 0) {
		printf("selftest: %d failed\n", failures);
		return 1;
	}
	printf("selftest: all passed\n");
	return 0;
}
