/*
 * shared_marks.cc — the bounds of the emulated shared memory. __shared__ variables are
 * static storage of the kernel sources (cuda_runtime.h); the library links
 * SHARED_BEGIN's object, then the kernel objects, then SHARED_END's, so the kernel
 * sources' zero-initialised static storage (.bss, in link order) lies between the two
 * marks. The kernel sources have no other writable static data, so an address
 * between them that a kernel touches is shared memory (sanitize.cc). Compiled once
 * with -DSHARED_BEGIN and once with -DSHARED_END, without instrumentation.
 */
namespace dds_emu {
#if defined(SHARED_BEGIN)
__attribute__((visibility("hidden"), used, aligned(64))) char shared_begin[64];
#elif defined(SHARED_END)
__attribute__((visibility("hidden"), used, aligned(64))) char shared_end[64];
#else
#error "compile with -DSHARED_BEGIN or -DSHARED_END"
#endif
} // namespace dds_emu
