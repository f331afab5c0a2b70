/*
 * sanitize.cc — the memory checks every load and store of the kernel sources makes.
 *
 * The kernel sources are compiled with -fsanitize=address and
 * --param asan-instrumentation-with-call-threshold=0, so every access the compiler
 * cannot prove safe calls __asan_loadN/__asan_storeN(address). Those are defined here
 * (hidden: they serve this library only, not libasan's other users) and do two
 * checks:
 *
 *   1. the shared-memory race check, for addresses of the kernel sources' static
 *      storage, where __shared__ variables live (cuda_runtime.h, shared_marks.cc):
 *      per byte, the thread that last
 *      wrote it and in which barrier interval (block number, barriers passed), and
 *      the thread(s) that read it in the current interval. Within one interval, a
 *      write by one thread of a byte another thread wrote or read, or a read of a
 *      byte another thread wrote, is a race: on a GPU the outcome would depend on
 *      the order the threads run in. Reported with both accesses' source locations;
 *      the launch fails.
 *   2. AddressSanitizer's own check (the shadow byte of the address), reporting
 *      through __asan_report_error as the inline check would.
 *
 * This file itself is compiled without instrumentation.
 */
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "emu.h"

namespace dds_emu {

extern char shared_begin[64], shared_end[64]; /* shared_marks.cc */

/* One shared byte's history. Intervals are (block_gen << 32 | epoch). */
struct sh_byte {
	uint64_t w_interval; /* of the last write; 0: never */
	uint64_t r_interval; /* of the reads recorded */
	const void *w_pc, *r_pc;
	uint16_t w_tid, r_tid;
	uint8_t r_many; /* more than one thread read it in r_interval */
};

static uintptr_t sh_lo, sh_len;
static sh_byte *sh;

/* The shadow offset of AddressSanitizer on x86-64 Linux, checked at load time;
 * when the check fails every access takes the slower exported query. */
static const uintptr_t SHADOW_OFFSET = 0x7fff8000;
static bool fast_shadow;

__attribute__((constructor)) static void init_sanitize(void) {
	uintptr_t lo = (uintptr_t)&shared_begin[64], hi = (uintptr_t)&shared_end[0];
	if (hi > lo) {
		sh_lo = lo;
		sh_len = hi - lo;
		sh = (sh_byte *)calloc(sh_len, sizeof *sh);
	}
	/* A heap block's right redzone is poisoned: its shadow byte must say so. */
	char *p = (char *)malloc(8);
	memset(p, 0, 8);
	fast_shadow = __asan_address_is_poisoned(p + 8) && *(int8_t *)(((uintptr_t)(p + 8) >> 3) + SHADOW_OFFSET) != 0 &&
	              *(int8_t *)(((uintptr_t)p >> 3) + SHADOW_OFFSET) == 0;
	free(p);
}

static std::string where_pc(const void *pc) {
	char buf[512];
	buf[0] = 0;
	__sanitizer_symbolize_pc(const_cast<void *>(pc), "%f %S", buf, sizeof buf);
	if (buf[0] == 0) snprintf(buf, sizeof buf, "pc %p", pc);
	return buf;
}

static void race(const char *what, uintptr_t a, size_t n, bool is_write, const void *pc, unsigned other,
                 const void *other_pc) {
	unsigned me = cur_index();
	launch_error(cudaErrorLaunchFailure, false,
	             "shared-memory race: thread %s %s %zu byte%s at %p (shared memory +%zu) at %s, which thread %s %s "
	             "at %s with no __syncthreads between",
	             thread_name(me).c_str(), is_write ? "writes" : "reads", n, n == 1 ? "" : "s", (void *)a,
	             (size_t)(a - sh_lo), where_pc(pc).c_str(), thread_name(other).c_str(), what,
	             where_pc(other_pc).c_str());
}

__attribute__((noinline)) static void shared_access(uintptr_t a, size_t n, bool is_write, const void *pc) {
	if (L == NULL || sh == NULL) return;
	uint64_t now = (uint64_t)block_gen << 32 | epoch;
	unsigned me = cur_index();
	bool reported = false;
	size_t off = a - sh_lo;
	if (off + n > sh_len) n = sh_len - off;
	for (size_t i = 0; i < n; i++) {
		sh_byte *b = &sh[off + i];
		if (is_write) {
			if (!reported && b->w_interval == now && b->w_tid != me) {
				race("wrote", a, n, true, pc, b->w_tid, b->w_pc);
				reported = true;
			} else if (!reported && b->r_interval == now && (b->r_tid != me || b->r_many)) {
				race("read", a, n, true, pc, b->r_tid != me ? b->r_tid : me, b->r_pc);
				reported = true;
			}
			b->w_interval = now;
			b->w_tid = (uint16_t)me;
			b->w_pc = pc;
		} else {
			if (!reported && b->w_interval == now && b->w_tid != me) {
				race("wrote", a, n, false, pc, b->w_tid, b->w_pc);
				reported = true;
			}
			if (b->r_interval != now) {
				b->r_interval = now;
				b->r_tid = (uint16_t)me;
				b->r_many = 0;
				b->r_pc = pc;
			} else if (b->r_tid != me) {
				b->r_many = 1;
			}
		}
	}
}

__attribute__((noinline)) static void report(uintptr_t a, size_t n, bool is_write, void *pc, void *bp) {
	void *bad = __asan_region_is_poisoned((void *)a, n);
	if (bad == NULL) return;
	__asan_report_error(pc, bp, bp, bad, is_write, n);
}

static inline __attribute__((always_inline)) void check(uintptr_t a, size_t n, bool is_write, void *pc, void *bp) {
	if (a - sh_lo < sh_len) shared_access(a, n, is_write, pc);
	if (fast_shadow && (a & 7) + n <= 8) {
		int8_t s = *(const int8_t *)((a >> 3) + SHADOW_OFFSET);
		if (__builtin_expect(s != 0, 0) && (int8_t)((a & 7) + n - 1) >= s) report(a, n, is_write, pc, bp);
		return;
	}
	if (__builtin_expect(__asan_region_is_poisoned((void *)a, n) != NULL, 0)) report(a, n, is_write, pc, bp);
}

} // namespace dds_emu

#define HOOKS(size)                                                                                         \
	__attribute__((visibility("hidden"))) void __asan_load##size(uintptr_t a) {                           \
		dds_emu::check(a, size, false, __builtin_return_address(0), __builtin_frame_address(0));           \
	}                                                                                                     \
	__attribute__((visibility("hidden"))) void __asan_store##size(uintptr_t a) {                          \
		dds_emu::check(a, size, true, __builtin_return_address(0), __builtin_frame_address(0));            \
	}                                                                                                     \
	__attribute__((visibility("hidden"))) void __asan_load##size##_noabort(uintptr_t a) {                 \
		dds_emu::check(a, size, false, __builtin_return_address(0), __builtin_frame_address(0));           \
	}                                                                                                     \
	__attribute__((visibility("hidden"))) void __asan_store##size##_noabort(uintptr_t a) {                \
		dds_emu::check(a, size, true, __builtin_return_address(0), __builtin_frame_address(0));            \
	}

extern "C" {
HOOKS(1)
HOOKS(2)
HOOKS(4)
HOOKS(8)
HOOKS(16)

__attribute__((visibility("hidden"))) void __asan_loadN(uintptr_t a, size_t n) {
	dds_emu::check(a, n, false, __builtin_return_address(0), __builtin_frame_address(0));
}
__attribute__((visibility("hidden"))) void __asan_storeN(uintptr_t a, size_t n) {
	dds_emu::check(a, n, true, __builtin_return_address(0), __builtin_frame_address(0));
}
__attribute__((visibility("hidden"))) void __asan_loadN_noabort(uintptr_t a, size_t n) {
	dds_emu::check(a, n, false, __builtin_return_address(0), __builtin_frame_address(0));
}
__attribute__((visibility("hidden"))) void __asan_storeN_noabort(uintptr_t a, size_t n) {
	dds_emu::check(a, n, true, __builtin_return_address(0), __builtin_frame_address(0));
}
}
