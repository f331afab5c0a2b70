package enginetest

import (
	"strings"
	"testing"

	"github.com/ddstools/dds/train/engine"
)

// groupShift is the naive engine with an off-by-one in the grouped convolution's
// input-channel index: each group reads its inputs one channel further on
// (wrapping), which changes nothing when there is one group.
type groupShift struct{ *naive }

func (e groupShift) ConvForward(y, x, w engine.Buf, s engine.Conv, _ engine.Buf) {
	xv, wv := in64(x, s.InLen()), e.weights(w, s.WeightLen())
	out := make([]float64, s.OutLen())
	ConvTaps(s, func(xi, yi, wi int) {
		if s.Groups > 1 {
			pix := xi / s.Cin
			xi = pix*s.Cin + (xi%s.Cin+1)%s.Cin
		}
		out[yi] += wv[wi] * xv[xi]
	})
	store(y, out)
}

// overrun is the naive engine with a ReLU that writes one value past its output.
type overrun struct{ *naive }

func (e overrun) Slice(b engine.Buf, off, n int) engine.Buf {
	d := nb(b)
	return nbuf{v: d.v[off : off+n], act: d.act} // the capacity reaches the end of b
}

func (e overrun) ReLUForward(y, x engine.Buf, n int) {
	e.naive.ReLUForward(y, x, n)
	nb(y).v[:n+1][n] = 1
}

// TestCompareOp checks that the op comparison finds nothing between two naive
// engines, and finds exactly the planted faults, naming the operation and case:
// a group index off by one fails every grouped conv_forward case and no other, a
// write past the end fails the ReLU forward cases with a guard value.
func TestCompareOp(t *testing.T) {
	for _, p := range []engine.Precision{engine.FP32, engine.BF16} {
		for _, c := range []struct {
			name    string
			e       func() engine.Engine
			failing func(oc opCase) bool
			want    string
		}{
			{"none", func() engine.Engine { return &naive{p: p} }, func(opCase) bool { return false }, ""},
			{"group index", func() engine.Engine { return groupShift{&naive{p: p}} },
				func(oc opCase) bool { return oc.family == "conv_forward" && !strings.Contains(oc.name, " g1 ") },
				"relative error"},
			{"overrun", func() engine.Engine { return overrun{&naive{p: p}} },
				func(oc opCase) bool { return oc.family == "relu_forward" },
				"guard value"},
		} {
			if c.want == "" && p == engine.BF16 {
				continue // the fault-free comparison once
			}
			failed := 0
			for i, oc := range opCases() {
				if c.want != "" && !strings.HasPrefix(oc.family, "conv_") && !strings.HasPrefix(oc.family, "relu_") {
					continue // the faulty engines only on the families near their faults
				}
				rep, err := compareOp(p, c.e(), &naive{p: p}, oc, uint64(i))
				if err != nil {
					t.Fatal(err)
				}
				if len(rep.fails) > 0 != c.failing(oc) {
					t.Errorf("%s %s: %s %s: failures %q", c.name, p, oc.family, oc.name, rep.fails)
					continue
				}
				if len(rep.fails) == 0 {
					continue
				}
				failed++
				prefix := oc.family + " " + p.String() + " " + oc.name + ": "
				for _, f := range rep.fails {
					if !strings.HasPrefix(f, prefix) {
						t.Errorf("%s: failure %q, want it to start %q", c.name, f, prefix)
					}
				}
				if all := strings.Join(rep.fails, "\n"); !strings.Contains(all, c.want) {
					t.Errorf("%s: failures %q, want one to say %q", c.name, all, c.want)
				}
			}
			t.Logf("%s %s: %d cases failed", c.name, p, failed)
			if c.want != "" && failed == 0 {
				t.Errorf("%s %s: no case failed", c.name, p)
			}
		}
	}
}

// TestSummary checks the summary's counts, largest errors and lines.
func TestSummary(t *testing.T) {
	s := newSummary()
	s.add("conv_forward", engine.FP32, 1e-7)
	s.add("conv_forward", engine.FP32, 3e-7)
	s.add("conv_forward", engine.BF16, 2e-3)
	s.add("network_1step", engine.FP32, 0)
	if n := s.Cases("conv_forward", engine.FP32); n != 2 {
		t.Errorf("Cases = %d, want 2", n)
	}
	if n := s.Total(); n != 4 {
		t.Errorf("Total = %d, want 4", n)
	}
	want := []string{
		"conv_forward           fp32:    2 cases, max rel err 3.0e-07",
		"conv_forward           bf16:    1 cases, max rel err 2.0e-03",
		"network_1step          fp32:    1 cases, max rel err 0.0e+00",
		"total: 4 cases",
	}
	if got := s.String(); got != strings.Join(want, "\n") {
		t.Errorf("summary:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
}

// TestRoundBF16 checks the rounding to bfloat16 (8 significant bits: values 1/128
// apart above 1) on ties, which go to the even neighbour, and on either side of them.
func TestRoundBF16(t *testing.T) {
	v := []float32{1, 1 + 1.0/256, 1 + 3.0/256, 1 + 1.0/512, 1 + 1.0/128 + 1.0/512, -2.5, 1 + 1.0/256 + 1.0/4096}
	want := []float32{1, 1, 1 + 1.0/64, 1, 1 + 1.0/128, -2.5, 1 + 1.0/128}
	roundBF16(v)
	for i := range v {
		if v[i] != want[i] {
			t.Errorf("value %d: %g, want %g", i, v[i], want[i])
		}
	}
}
