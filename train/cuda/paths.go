package cuda

import (
	"os"
	"path/filepath"
)

// LibraryName is the file name of the kernel library.
const LibraryName = "libdds_cuda.so"

// EnvLibrary names the environment variable that, when set, is the only place Open
// (with an empty path) looks for the library.
const EnvLibrary = "DDS_CUDA_LIB"

// DefaultPaths returns where Open looks for the library when given no path, in
// order: $DDS_CUDA_LIB alone when it is set; else libdds_cuda.so in the directory of
// the running executable (symbolic links resolved), then ../lib/libdds_cuda.so
// relative to that directory, then the bare name, which dlopen looks up on its own
// search path (LD_LIBRARY_PATH, the ldconfig cache, the system directories).
func DefaultPaths() []string {
	if p := os.Getenv(EnvLibrary); p != "" {
		return []string{p}
	}
	var out []string
	if exe, err := os.Executable(); err == nil {
		if r, err := filepath.EvalSymlinks(exe); err == nil {
			exe = r
		}
		dir := filepath.Dir(exe)
		out = append(out, filepath.Join(dir, LibraryName), filepath.Join(dir, "..", "lib", LibraryName))
	}
	return append(out, LibraryName)
}
