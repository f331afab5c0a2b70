package anynet

import (
	"strings"
	"testing"
)

// TestValidateLimits: every size of a network outside its limit is refused with a
// message naming the field, and the largest sizes within the limits are accepted.
func TestValidateLimits(t *testing.T) {
	good := Net{Res: 28, Channels: 1, Classes: 10, StemW: 16, StemS: 1, Block: BlockX,
		Stages: []Stage{{D: 1, W: 16, S: 1, B: 1, G: 8}, {D: 2, W: 32, S: 2, B: 1, G: 8}}}
	cases := []struct {
		name string
		mut  func(n *Net)
		want string // "" for accepted
	}{
		{"largest sizes", func(n *Net) {
			n.Res, n.Channels, n.Classes, n.StemW = MaxRes, MaxChannels, MaxClasses, MaxWidth
			n.Stages[1].W, n.Stages[1].D, n.Stages[0].D = MaxWidth, MaxDepth-1, 1
		}, ""},
		{"res", func(n *Net) { n.Res = MaxRes + 1 }, "resolution"},
		{"channels", func(n *Net) { n.Channels = MaxChannels + 1 }, "channels"},
		{"one class", func(n *Net) { n.Classes = 1 }, "classes 1"},
		{"1e9 classes", func(n *Net) { n.Classes = 1_000_000_000 }, "classes 1000000000 is outside [2, 1048576]"},
		{"stem width", func(n *Net) { n.StemW = 1 << 30 }, "stem width"},
		{"huge stage depth", func(n *Net) { n.Stages[0].D = 1 << 30 }, "stage 1: depth 1073741824 is outside"},
		{"total depth", func(n *Net) { n.Stages[0].D, n.Stages[1].D = MaxDepth, MaxDepth }, "depth 2048 (blocks in all stages)"},
		{"stage width", func(n *Net) { n.Stages[1].W = MaxWidth + 8 }, "stage 2: width"},
		{"tiny bottleneck ratio", func(n *Net) { n.Stages[0].B = 1e-9 }, "bottleneck width"},
		{"group above bottleneck", func(n *Net) { n.Stages[0].G = 32 }, "group width 32 is more than the bottleneck width 16"},
		{"stages", func(n *Net) {
			n.Stages = nil
			for range MaxStages + 1 {
				n.Stages = append(n.Stages, Stage{D: 1, W: 8, S: 1, B: 1, G: 8})
			}
		}, "stages, more than"},
	}
	for _, c := range cases {
		n := good
		n.Stages = append([]Stage(nil), good.Stages...)
		c.mut(&n)
		err := n.Validate()
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: rejected: %v", c.name, err)
		case c.want != "" && err == nil:
			t.Errorf("%s: accepted", c.name)
		case c.want != "" && !strings.Contains(err.Error(), c.want):
			t.Errorf("%s: error %q does not say %q", c.name, err, c.want)
		}
	}
}

// TestRegNetHugeDepth: a RegNet depth beyond the limit is refused by Validate and has
// no widths instead of an allocation of its length (which panicked for lengths beyond
// what make accepts).
func TestRegNetHugeDepth(t *testing.T) {
	for _, d := range []int{MaxDepth + 1, 1 << 40, -5} {
		p := RegNet{D: d, W0: 24, WA: 36, WM: 2.5}
		if err := p.Validate(); err == nil || !strings.Contains(err.Error(), "regnet depth") {
			t.Errorf("depth %d: Validate = %v", d, err)
		}
		if ws := p.BlockWidths(); ws != nil {
			t.Errorf("depth %d: %d widths", d, len(ws))
		}
		if ws, ds := p.Stages(); ws != nil || ds != nil {
			t.Errorf("depth %d: stages %v %v", d, ws, ds)
		}
	}
	if ws := (RegNet{D: MaxDepth, W0: 24, WA: 36, WM: 2.5}).BlockWidths(); len(ws) != MaxDepth {
		t.Errorf("depth %d: %d widths", MaxDepth, len(ws))
	}
}
