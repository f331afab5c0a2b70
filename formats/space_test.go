package formats

import (
	"reflect"
	"testing"
)

// TestSpaceClone changes every part of a clone that holds memory of its own and
// checks that the original is untouched.
func TestSpaceClone(t *testing.T) {
	// narrowed is a built-in AnyNet space with a median and choices on a parameter,
	// as bootstrap writes it.
	narrowed := func() *Space {
		s, err := LookupSpace("anynetx-c-mnist")
		if err != nil {
			t.Fatal(err)
		}
		med := 16.0
		p := s.Var("g")
		p.Dist, p.Choices, p.Median, p.N = DistChoice, []float64{8, 16, 32}, &med, 100
		s.Parent, s.NarrowedBy = "anynetx-b-mnist", "bootstrap"
		return s
	}
	regnet := func() *Space {
		s, err := LookupSpace("regnety-mnist")
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	bare := func() *Space { return &Space{Name: "bare", Constraints: []string{}} }
	for _, c := range []struct {
		name   string
		space  func() *Space
		change func(*Space)
	}{
		{"strides", narrowed, func(s *Space) { s.Strides[0] = 7 }},
		{"constraints", narrowed, func(s *Space) { s.Constraints[0] = "other" }},
		{"a parameter's range", narrowed, func(s *Space) { s.Vars[0].Lo, s.Vars[0].Hi = -1, -1 }},
		{"a parameter's choices", narrowed, func(s *Space) { s.Var("g").Choices[0] = 3 }},
		{"a parameter's median", narrowed, func(s *Space) { *s.Var("g").Median = 99 }},
		{"scalars and bounds", regnet, func(s *Space) { s.Name, s.Res, s.SERatio, s.Flops.Hi = "x", 1, 0.5, 1 }},
		{"every parameter", regnet, func(s *Space) {
			for i := range s.Vars {
				s.Vars[i] = Param{Name: "x"}
			}
		}},
		{"an empty space", bare, func(s *Space) { s.Name = "changed" }},
	} {
		orig, want := c.space(), c.space()
		cl := orig.Clone()
		if cl == orig || !reflect.DeepEqual(cl, orig) {
			t.Fatalf("%s: the clone is not a copy equal to the original", c.name)
		}
		if (cl.Strides == nil) != (orig.Strides == nil) || (cl.Constraints == nil) != (orig.Constraints == nil) || (cl.Vars == nil) != (orig.Vars == nil) {
			t.Errorf("%s: a nil or empty slice changed kind in the clone", c.name)
		}
		c.change(cl)
		if reflect.DeepEqual(cl, orig) {
			t.Errorf("%s: the change did not change the clone", c.name)
		}
		if !reflect.DeepEqual(orig, want) {
			t.Errorf("%s: changing the clone changed the original:\n%+v\nwant\n%+v", c.name, orig, want)
		}
	}

	// An empty choice list clones as the JSON form keeps it: left out, so nil.
	s := &Space{Name: "empty-choices", Vars: []Param{{Name: "w1", Choices: []float64{}}}}
	if got := s.Clone().Vars[0].Choices; got != nil {
		t.Errorf("empty choices cloned as %#v, want nil", got)
	}
}
