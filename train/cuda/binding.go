//go:build cgo

package cuda

// The C side is trampolines.c (declared in trampolines.h), compiled by cgo with
// these flags; the library's header is lib/dds_cuda.h.

/*
#cgo CFLAGS: -I${SRCDIR}/lib -O2
#cgo LDFLAGS: -ldl
#include <stdlib.h>
#include "trampolines.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"unsafe"
)

// ABIVersion is the DDS_ABI_VERSION of the header this package was built with; Open
// refuses a library whose dds_abi_version differs.
const ABIVersion = C.DDS_ABI_VERSION

// Library is a loaded libdds_cuda.so and the GPUs it sees. It stays loaded for the
// life of the process (CUDA libraries are not safe to dlclose once used).
type Library struct {
	path    string
	t       *C.dds_fns // function table, in C memory
	devices int
	driver  int // CUDA version the driver supports (dds_probe), e.g. 13000
	runtime int // CUDA runtime version the library was built against
}

// Open loads the kernel library and probes the GPUs (dds_probe). With path empty it
// tries DefaultPaths in order and takes the first that exists and loads; otherwise
// only path (a bare name without '/' is searched by dlopen). Its errors are one line
// and say what is missing:
//
//	CUDA library not found (tried: a, b, c); build it with make cuda
//	<dlopen's error>                         a library that exists but does not load (a missing libcublas, say)
//	<path> is not dds's CUDA library: it lacks dds_probe
//	<path> has ABI version 2, this binary needs 1; rebuild it with make cuda
//	the NVIDIA driver supports CUDA 12.4 but the library needs 13.0
//	no CUDA GPU visible (<dds_probe's message>)
func Open(path string) (*Library, error) {
	paths := []string{path}
	if path == "" {
		paths = DefaultPaths()
	}
	var tried []string
	for _, p := range paths {
		t, missing, err := load(p)
		if missing {
			tried = append(tried, p)
			continue
		}
		if err != nil {
			return nil, err
		}
		return probe(p, t)
	}
	return nil, fmt.Errorf("%w (tried: %s); build it with make cuda", ErrNotFound, strings.Join(tried, ", "))
}

// load dlopens p and resolves the ABI. missing reports that p itself is not there
// (as opposed to a library that is there but does not load).
func load(p string) (t *C.dds_fns, missing bool, err error) {
	if strings.ContainsRune(p, '/') {
		if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
			return nil, true, nil
		}
	}
	cp := C.CString(p)
	defer C.free(unsafe.Pointer(cp))
	var msg [1024]C.char
	switch C.go_load(cp, &t, &msg[0], C.size_t(len(msg))) {
	case 0:
	case 2:
		return nil, false, fmt.Errorf("%s is not dds's CUDA library: it lacks %s", p, C.GoString(&msg[0]))
	case 3:
		return nil, false, fmt.Errorf("%s has ABI version %s, this binary needs %d; rebuild it with make cuda", p, C.GoString(&msg[0]), ABIVersion)
	default:
		text := oneLine(C.GoString(&msg[0]))
		if !strings.ContainsRune(p, '/') && strings.HasPrefix(text, p+": cannot open shared object file") {
			return nil, true, nil
		}
		if !strings.Contains(text, p) {
			text = p + ": " + text
		}
		return nil, false, errors.New(text)
	}
	if v := int(C.go_abi_version(t)); v != ABIVersion {
		return nil, false, fmt.Errorf("%s has ABI version %d, this binary needs %d; rebuild it with make cuda", p, v, ABIVersion)
	}
	return t, false, nil
}

// probe asks the library for the GPUs and the CUDA versions (dds_probe).
func probe(p string, t *C.dds_fns) (*Library, error) {
	var count, driver, rt C.int
	var msg [1024]C.char
	rc := C.go_probe(t, &count, &driver, &rt, &msg[0], C.size_t(len(msg)))
	l := &Library{path: p, t: t, devices: int(count), driver: int(driver), runtime: int(rt)}
	text := oneLine(C.GoString(&msg[0]))
	switch {
	case l.driver > 0 && l.runtime > 0 && l.driver < l.runtime:
		return nil, fmt.Errorf("the NVIDIA driver supports CUDA %s but the library needs %s", cudaVersion(l.driver), cudaVersion(l.runtime))
	case rc != 0 || l.devices < 1:
		if text == "" {
			text = fmt.Sprintf("%d devices", l.devices)
		}
		return nil, fmt.Errorf("no CUDA GPU visible (%s)", text)
	}
	return l, nil
}

// oneLine joins the lines of s with "; ".
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(strings.TrimSpace(s), "\n", " ; ")), " ")
}

// Path returns the path the library was loaded from.
func (l *Library) Path() string { return l.path }

// Devices returns the number of CUDA devices the library sees (dds_probe).
func (l *Library) Devices() int { return l.devices }

// Versions returns the CUDA version the driver supports and the one of the runtime the
// library was built with, as CUDA numbers them (13000 is 13.0) (dds_probe).
func (l *Library) Versions() (driver, runtime int) { return l.driver, l.runtime }

// MemInfo returns the free and total memory of a device in [0, Devices()), in bytes
// (dds_mem_info, cudaMemGetInfo). Free counts every process's use of the device.
func (l *Library) MemInfo(device int) (free, total int64, err error) {
	if device < 0 || device >= l.devices {
		return 0, 0, fmt.Errorf("CUDA device %d: the library sees devices 0 to %d", device, l.devices-1)
	}
	var f, t C.size_t
	var msg [1024]C.char
	if rc := C.go_mem_info(l.t, C.int(device), &f, &t, &msg[0], C.size_t(len(msg))); rc != 0 {
		return 0, 0, fmt.Errorf("CUDA device %d: %s", device, oneLine(C.GoString(&msg[0])))
	}
	return int64(f), int64(t), nil
}
