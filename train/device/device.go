// Package device opens the hardware that train and evaluate run networks on, from
// the value of their --device flag:
//
//	cpu      the CPU engine (package cpu), every core
//	cuda     the CUDA engine on GPU 0 (package cuda; the kernel library is found as
//	         cuda.DefaultPaths says)
//	cuda:N   the CUDA engine on GPU N
//	auto     cuda when the library loads and sees a GPU, else cpu (and the reason
//	         the GPU was not used, a missing library among them, is kept in Note)
//
// Used by train and evaluate.
package device

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/ddstools/dds/train/cpu"
	"github.com/ddstools/dds/train/cuda"
	"github.com/ddstools/dds/train/engine"
)

// ErrBadSpec is wrapped by Open's error for a spec that names no device (a usage
// error), as opposed to a device that cannot be opened.
var ErrBadSpec = errors.New("bad --device")

// Device is an opened --device choice.
type Device struct {
	// Name is recorded with every model: "cpu" or "cuda:N".
	Name string
	// Note says why auto chose the CPU: no CUDA library found (and where it looked),
	// or the library's error ("" for a GPU, or the CPU asked for by name).
	Note  string
	lib   *cuda.Library
	index int
}

// Open opens the device spec names; see the package comment. An unknown spec is an
// error naming the valid ones; cuda or cuda:N where the library cannot be loaded or
// the GPU does not exist is an error saying why.
func Open(spec string) (*Device, error) {
	switch {
	case spec == "cpu":
		return &Device{Name: "cpu"}, nil
	case spec == "auto":
		d, err := openCUDA(0)
		if err != nil {
			return &Device{Name: "cpu", Note: "no GPU used: " + err.Error()}, nil
		}
		return d, nil
	case spec == "cuda":
		return openCUDA(0)
	case strings.HasPrefix(spec, "cuda:"):
		i, err := strconv.Atoi(spec[len("cuda:"):])
		if err != nil || i < 0 {
			return nil, fmt.Errorf("%w %q: want cuda:N with N a GPU number (0, 1, ...)", ErrBadSpec, spec)
		}
		return openCUDA(i)
	}
	return nil, fmt.Errorf("%w %q: want cpu, cuda, cuda:N or auto", ErrBadSpec, spec)
}

func openCUDA(i int) (*Device, error) {
	lib, err := cuda.Open("")
	if err != nil {
		return nil, fmt.Errorf("cuda: %w", err)
	}
	if n := lib.Devices(); i >= n {
		return nil, fmt.Errorf("cuda:%d: the machine has %d GPU(s) visible (numbered from 0)", i, n)
	}
	return &Device{Name: fmt.Sprintf("cuda:%d", i), lib: lib, index: i}, nil
}

// CUDA reports whether the device is a GPU.
func (d *Device) CUDA() bool { return d.lib != nil }

// NewEngine returns a new engine on the device storing activations in precision p:
// each model trains on its own (on a GPU, its own stream, cuBLAS handle and memory).
func (d *Device) NewEngine(p engine.Precision) (engine.Engine, error) {
	if d.lib == nil {
		return cpu.NewEngineWith(p), nil
	}
	return d.lib.NewEngineWith(d.index, p)
}

// FreeMemory returns the GPU's free memory in bytes; ok is false on the CPU, whose
// memory does not bound how many models train at once.
func (d *Device) FreeMemory() (free int64, ok bool, err error) {
	if d.lib == nil {
		return 0, false, nil
	}
	free, _, err = d.lib.MemInfo(d.index)
	return free, err == nil, err
}
