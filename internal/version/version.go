// Package version names the build of the dds programs, for --version and for the
// dds.producer key of the streams they write.
//
// Used by internal/cli (--version) and formats (dds.producer).
package version

import (
	"runtime/debug"
	"sync"
)

// commit is the commit the programs were built from, as make build sets it with
// -ldflags "-X github.com/ddstools/dds/internal/version.commit=4899c4f12a3b[-dirty]"
// for builds that record no version control information (-buildvcs=false).
var commit string

// String returns the build's version: the module version when the programs were
// installed from a tagged release (go install ...@v1.2.0), else "devel" followed by
// the first 12 digits of the commit they were built from and "-dirty" when the tree
// had uncommitted changes ("devel-4899c4f12a3b-dirty"), or plain "devel" when the
// build recorded no commit (go test, go run, -buildvcs=false without make).
var String = sync.OnceValue(func() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = &debug.BuildInfo{}
	}
	return fromBuildInfo(bi, commit)
})

func fromBuildInfo(bi *debug.BuildInfo, commit string) string {
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	v := "devel"
	var rev string
	var dirty bool
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev != "" {
		v += "-" + rev[:min(12, len(rev))]
		if dirty {
			v += "-dirty"
		}
	} else if commit != "" {
		v += "-" + commit
	}
	return v
}
