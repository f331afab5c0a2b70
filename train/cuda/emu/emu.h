/*
 * emu.h — what the emulation's runtime (runtime.cc), race check (sanitize.cc) and
 * cuBLAS (cublas.cc) share. Not seen by the kernel sources.
 */
#ifndef DDS_EMU_EMU_H
#define DDS_EMU_EMU_H

#include <stdint.h>

#include <functional>
#include <string>

#include "cuda_runtime.h"

/* The shared memory a block may use without opting in (CUDA's default limit). */
#define DDS_EMU_SHARED_LIMIT ((size_t)48 << 10)

namespace dds_emu {

/* launch_state is the launch being executed (L; one at a time). */
struct launch_state {
	const char *name = "";
	const struct call *kernel = nullptr;
	unsigned nthreads = 0;
	uint64_t nblocks = 0, next_block = 0, block = 0;
	int mode = 0;
	bool failed = false; /* stop: no further blocks */
	cudaError_t err = cudaSuccess;
	int errors = 0;
	int asan_reports = 0;
};
extern launch_state *L;

/* block_gen numbers the blocks executed (all launches); epoch counts the barriers the
 * current block has passed. */
extern uint32_t block_gen;
extern uint32_t epoch;

/* note prints "dds-emu: ..." on stderr. */
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* launch_error reports an error of the running launch (naming kernel and block) and
 * records e as its result; abort_launch stops it (no further blocks run). */
void launch_error(cudaError_t e, bool abort_launch, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* cur_index is the running thread's linear index in its block; thread_name formats
 * a linear index as (x,y,z). */
unsigned cur_index(void);
std::string thread_name(unsigned t);

/* enqueue_op runs fn on stream s now, or records it when s is capturing; fail_stream
 * makes e the stream's sticky error. */
cudaError_t enqueue_op(cudaStream_t s, const char *what, std::function<cudaError_t()> fn);
void fail_stream(cudaStream_t s, cudaError_t e);

} // namespace dds_emu

#endif /* DDS_EMU_EMU_H */
