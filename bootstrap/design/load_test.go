package design

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ddstools/dds/bootstrap/design/designtest"
	"github.com/ddstools/dds/formats"
)

// TestLoadRejectsImpossible: an error outside [0, 100], a non-positive complexity or
// an invalid network is refused with the record named; sane records load.
func TestLoadRejectsImpossible(t *testing.T) {
	space, err := formats.LookupSpace("regnetx-mnist")
	if err != nil {
		t.Fatal(err)
	}
	keep := func(int, *formats.Config) {}
	cases := []struct {
		name string
		errs []float64
		mut  func(i int, c *formats.Config)
		want string // "" for loaded
	}{
		{"sane", []float64{0, 12.5, 100, 50}, keep, ""},
		{"negative error", []float64{10, 20, -5, 30}, keep, "record 2 (id "},
		{"error above 100", []float64{10, 120, 20, 30}, keep, "test_error 120 is not a percentage in [0, 100]"},
		{"zero flops", []float64{10, 20, 30, 40}, func(i int, c *formats.Config) {
			if i == 3 {
				c.Complexity.Flops = 0
			}
		}, "record 3 (id "},
		{"negative params", []float64{10, 20, 30, 40}, func(i int, c *formats.Config) {
			if i == 1 {
				c.Complexity.Params = -7
			}
		}, "params -7 must be positive"},
		{"invalid network", []float64{10, 20, 30, 40}, func(i int, c *formats.Config) {
			if i == 0 {
				c.Net.Classes = 1_000_000_000
			}
		}, "record 0 (id "},
	}
	for _, c := range cases {
		in := designtest.Mutated(t, space, 1, c.errs, c.mut)
		rd, err := formats.NewReader(bytes.NewReader(in), "in", nil)
		if err != nil {
			t.Fatal(err)
		}
		s, err := Load(rd, DefaultError, nil)
		rd.Release()
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want == "" && len(s.Errs) != len(c.errs):
			t.Errorf("%s: %d models loaded", c.name, len(s.Errs))
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: error %v, want one saying %q", c.name, err, c.want)
		}
	}
}
