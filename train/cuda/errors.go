package cuda

import (
	"errors"
	"fmt"

	"github.com/ddstools/dds/train/engine"
)

// Status codes of the library beyond CUDA's own (dds_cuda.h's DDS_*); CUDA errors are
// passed through as their positive cudaError_t values.
const (
	StatusOK     = 0  // DDS_OK
	StatusOOM    = -1 // DDS_ERR_OOM: device memory exhausted (dds_alloc)
	StatusArg    = -2 // DDS_ERR_ARG: an argument out of range
	StatusCUBLAS = -3 // DDS_ERR_CUBLAS: a cuBLAS call failed
)

// ErrOutOfMemory is wrapped by the Error of an engine whose device memory ran out
// (status DDS_ERR_OOM), so callers can test errors.Is(err, cuda.ErrOutOfMemory) and
// say "out of GPU memory" (with a smaller batch or fewer models at once as the fix).
var ErrOutOfMemory = engine.ErrOutOfMemory

// ErrNotFound is wrapped by Open's error when no library file exists where it looked
// (and by every Open of a binary built without cgo, which cannot load one): there is
// no GPU set up, as opposed to one whose library or driver fails.
var ErrNotFound = errors.New("CUDA library not found")

// Error is an engine's first failure, from dds_status (Code) and dds_message
// (Message). Its text is "CUDA: <message>".
type Error struct {
	Code    int
	Message string
}

func (e *Error) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("CUDA: error %d", e.Code)
	}
	return "CUDA: " + e.Message
}

// Unwrap returns ErrOutOfMemory for status DDS_ERR_OOM, else nil.
func (e *Error) Unwrap() error {
	if e.Code == StatusOOM {
		return ErrOutOfMemory
	}
	return nil
}

// cudaVersion formats a CUDA version number as CUDA writes it (13000 → "13.0",
// 12040 → "12.4").
func cudaVersion(v int) string { return fmt.Sprintf("%d.%d", v/1000, v%1000/10) }
