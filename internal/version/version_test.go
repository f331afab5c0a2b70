package version

import (
	"runtime/debug"
	"testing"
)

func TestFromBuildInfo(t *testing.T) {
	set := func(kv ...string) []debug.BuildSetting {
		var s []debug.BuildSetting
		for i := 0; i < len(kv); i += 2 {
			s = append(s, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return s
	}
	cases := []struct {
		main     string
		settings []debug.BuildSetting
		commit   string
		want     string
	}{
		{"v1.2.0", set("vcs.revision", "4899c4f12a3b5678"), "", "v1.2.0"},
		{"(devel)", set("vcs.revision", "4899c4f12a3b5678", "vcs.modified", "false"), "", "devel-4899c4f12a3b"},
		{"(devel)", set("vcs.revision", "4899c4f12a3b5678", "vcs.modified", "true"), "ffff", "devel-4899c4f12a3b-dirty"},
		{"(devel)", nil, "4899c4f12a3b-dirty", "devel-4899c4f12a3b-dirty"},
		{"", nil, "", "devel"},
	}
	for _, c := range cases {
		bi := &debug.BuildInfo{Main: debug.Module{Version: c.main}, Settings: c.settings}
		if got := fromBuildInfo(bi, c.commit); got != c.want {
			t.Errorf("%q %v: %q, want %q", c.main, c.settings, got, c.want)
		}
	}
}
