package anynet

import (
	"bufio"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestRegNetX200MFStages(t *testing.T) {
	m, err := LookupModel("RegNetX-200MF")
	if err != nil {
		t.Fatal(err)
	}
	n, err := m.Net(ImageNet)
	if err != nil {
		t.Fatal(err)
	}
	var ds, ws, gs []int
	for _, s := range n.Stages {
		ds, ws, gs = append(ds, s.D), append(ws, s.W), append(gs, s.G)
	}
	if want := []int{1, 1, 4, 7}; !reflect.DeepEqual(ds, want) {
		t.Errorf("depths %v, want %v", ds, want)
	}
	if want := []int{24, 56, 152, 368}; !reflect.DeepEqual(ws, want) {
		t.Errorf("widths %v, want %v", ws, want)
	}
	if want := []int{8, 8, 8, 8}; !reflect.DeepEqual(gs, want) {
		t.Errorf("group widths %v, want %v", gs, want)
	}
	want := Complexity{Flops: 199040872, Params: 2684792, Acts: 2164056}
	if got := n.Complexity(); got != want {
		t.Errorf("complexity %+v, want %+v", got, want)
	}
}

// TestZooComplexity checks every zoo model against pycls's published exact counts.
func TestZooComplexity(t *testing.T) {
	f, err := os.Open("testdata/pycls_zoo_complexity.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	seen := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fs := strings.Split(line, "\t")
		var want Complexity
		for i, p := range []*int64{&want.Flops, &want.Params, &want.Acts} {
			if *p, err = strconv.ParseInt(fs[i+1], 10, 64); err != nil {
				t.Fatal(err)
			}
		}
		m, err := LookupModel(fs[0])
		if err != nil {
			t.Fatal(err)
		}
		n, err := m.Net(ImageNet)
		if err != nil {
			t.Fatalf("%s: %v", fs[0], err)
		}
		if got := n.Complexity(); got != want {
			t.Errorf("%s: complexity %+v, want %+v", fs[0], got, want)
		}
		seen++
	}
	if seen != len(Zoo) {
		t.Errorf("checked %d models, zoo has %d", seen, len(Zoo))
	}
}

// TestCIFARPeerNetwork checks the zoo's RegNetX-200MF at CIFAR geometry against the
// peer network's published size (2,319,482 params, 59.9M multiply-adds).
func TestCIFARPeerNetwork(t *testing.T) {
	m, _ := LookupModel("regnetx-200mf")
	n, err := m.Net(CIFAR10)
	if err != nil {
		t.Fatal(err)
	}
	c := n.Complexity()
	if c.Params != 2319482 {
		t.Errorf("params %d, want 2319482", c.Params)
	}
	if (c.Flops+50000)/100000 != 599 {
		t.Errorf("flops %d, want 59.9M", c.Flops)
	}
}

func TestAdjustCompat(t *testing.T) {
	cases := []struct {
		ws    []int
		bs    []float64
		gs    []int
		wantW []int
		wantG []int
	}{
		{[]int{24}, []float64{1}, []int{8}, []int{24}, []int{8}},
		{[]int{8}, []float64{1}, []int{16}, []int{8}, []int{8}},     // g capped at bottleneck width
		{[]int{40}, []float64{1}, []int{16}, []int{32}, []int{16}},  // 40/16 = 2.5 rounds half to even → 2·16
		{[]int{72}, []float64{4}, []int{8}, []int{64}, []int{8}},    // v=18 → round(18/8)=2 → 16 → w=64
		{[]int{24}, []float64{0.25}, []int{6}, []int{24}, []int{6}}, // inverted: m=4, q=lcm(6,4)=12, v=96
		{[]int{104}, []float64{2}, []int{24}, []int{96}, []int{24}}, // v=52 → round(52/24)=2 → 48 → w=96
	}
	for _, c := range cases {
		w, g := AdjustCompat(c.ws, c.bs, c.gs)
		if !reflect.DeepEqual(w, c.wantW) || !reflect.DeepEqual(g, c.wantG) {
			t.Errorf("AdjustCompat(%v, %v, %v) = %v, %v; want %v, %v", c.ws, c.bs, c.gs, w, g, c.wantW, c.wantG)
		}
		for i := range w {
			if BottleneckWidth(w[i], c.bs[i])%g[i] != 0 {
				t.Errorf("bottleneck of %d/%g not divisible by %d", w[i], c.bs[i], g[i])
			}
		}
	}
}

func TestValidate(t *testing.T) {
	good := Net{Res: 32, Channels: 3, Classes: 10, StemW: 16, StemS: 1, Block: BlockX,
		Stages: []Stage{{D: 1, W: 16, S: 1, B: 1, G: 8}}}
	if err := good.Validate(); err != nil {
		t.Fatalf("valid net rejected: %v", err)
	}
	bad := map[string]func(n *Net){
		"group":  func(n *Net) { n.Stages[0].G = 6 },
		"stride": func(n *Net) { n.Stages[0].S = 3 },
		"block":  func(n *Net) { n.Block = "z" },
		"se":     func(n *Net) { n.Block = BlockY },
		"depth":  func(n *Net) { n.Stages[0].D = 0 },
		"b":      func(n *Net) { n.Stages[0].B = 0 },
	}
	for name, mut := range bad {
		n := good
		n.Stages = append([]Stage(nil), good.Stages...)
		mut(&n)
		if n.Validate() == nil {
			t.Errorf("%s: invalid net accepted", name)
		}
	}
}
