//go:build !cgo

package cuda

import (
	"fmt"

	"github.com/ddstools/dds/train/engine"
)

// errNoCgo is Open's error in a binary built without cgo.
var errNoCgo = fmt.Errorf("%w: this binary was built without cgo (CGO_ENABLED=0), so it cannot load one; rebuild it with cgo and a C compiler", ErrNotFound)

// ABIVersion is the DDS_ABI_VERSION this package expects (lib/dds_cuda.h).
const ABIVersion = 4

// Library is a loaded kernel library; without cgo there is none.
type Library struct{}

// Open reports that this binary was built without cgo.
func Open(path string) (*Library, error) { return nil, errNoCgo }

// Path returns "".
func (l *Library) Path() string { return "" }

// Devices returns 0.
func (l *Library) Devices() int { return 0 }

// Versions returns 0, 0.
func (l *Library) Versions() (driver, runtime int) { return 0, 0 }

// MemInfo reports that this binary was built without cgo.
func (l *Library) MemInfo(device int) (free, total int64, err error) { return 0, 0, errNoCgo }

// NewEngine reports that this binary was built without cgo.
func (l *Library) NewEngine(device int) (*Engine, error) { return nil, errNoCgo }

// NewEngineWith reports that this binary was built without cgo.
func (l *Library) NewEngineWith(device int, p engine.Precision) (*Engine, error) {
	return nil, errNoCgo
}

// Engine is the CUDA engine; without cgo none can be made (NewEngine fails), and the
// type exists only so that code naming it builds.
type Engine struct{ engine.Engine }

var (
	_ engine.Engine   = (*Engine)(nil)
	_ engine.Recorder = (*Engine)(nil)
)

// Record reports that this binary was built without cgo.
func (e *Engine) Record(f func()) (engine.Replay, error) { return nil, errNoCgo }

// Device returns 0.
func (e *Engine) Device() int { return 0 }

// Library returns nil.
func (e *Engine) Library() *Library { return nil }

// Sync returns errNoCgo.
func (e *Engine) Sync() error { return errNoCgo }

// AllocAlign returns 512, cudaMalloc's granularity.
func (e *Engine) AllocAlign() int { return 512 }

// MemUsed returns 0.
func (e *Engine) MemUsed() int64 { return 0 }

// DownloadInts does nothing.
func (e *Engine) DownloadInts(dst []int32, src engine.Ints) {}
