//go:build !cgo

package cuda

import (
	"errors"

	"github.com/ddstools/dds/train/engine"
)

// errNoCgo is Open's error in a binary built without cgo.
var errNoCgo = errors.New("this binary was built without cgo (CGO_ENABLED=0), so it cannot load the CUDA library; rebuild it with cgo and a C compiler")

// ABIVersion is the DDS_ABI_VERSION this package expects (lib/dds_cuda.h).
const ABIVersion = 1

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

// NewEngine reports that this binary was built without cgo.
func (l *Library) NewEngine(device int) (*Engine, error) { return nil, errNoCgo }

// Engine is the CUDA engine; without cgo none can be made (NewEngine fails), and the
// type exists only so that code naming it builds.
type Engine struct{ engine.Engine }

var _ engine.Engine = (*Engine)(nil)

// Device returns 0.
func (e *Engine) Device() int { return 0 }

// Library returns nil.
func (e *Engine) Library() *Library { return nil }

// Sync returns errNoCgo.
func (e *Engine) Sync() error { return errNoCgo }

// MemUsed returns 0.
func (e *Engine) MemUsed() int64 { return 0 }

// DownloadLabels does nothing.
func (e *Engine) DownloadLabels(dst []int32, src engine.Labels) {}
