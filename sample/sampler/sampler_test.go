package sampler

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ddstools/dds/formats"
	"github.com/ddstools/dds/formats/anynet"
)

func space(t testing.TB, name string) *formats.Space {
	s, err := formats.LookupSpace(name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func collect(t testing.TB, s *formats.Space, opt Options) []formats.Config {
	var out []formats.Config
	if err := Run(s, opt, func(c formats.Config) error { out = append(out, c); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func stream(t testing.TB, s *formats.Space, opt Options) []byte {
	var buf bytes.Buffer
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	if err := WriteStream(&buf, s, opt, formats.Provenance{Producer: "sample", Args: []string{"test"}}, mem); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestDeterministicAndPrefix(t *testing.T) {
	s := space(t, "regnetx")
	opt := Options{N: 100, Seed: 1}
	a, b := stream(t, s, opt), stream(t, s, opt)
	if !bytes.Equal(a, b) {
		t.Fatal("same seed gave different bytes")
	}
	all := collect(t, s, opt)
	first := collect(t, s, Options{N: 10, Seed: 1})
	if !reflect.DeepEqual(first, all[:10]) {
		t.Fatal("-n 10 is not the prefix of -n 100")
	}
	other := collect(t, s, Options{N: 10, Seed: 2})
	if reflect.DeepEqual(first, other) {
		t.Fatal("seeds 1 and 2 gave the same configs")
	}
	ids := map[string]bool{}
	for i, c := range all {
		if ids[c.ID] {
			t.Errorf("duplicate id %s", c.ID)
		}
		ids[c.ID] = true
		if c.Index != int64(i) || c.Seed != ConfigSeed(1, int64(i)) || c.Seed < 0 {
			t.Errorf("config %d: index %d seed %d", i, c.Index, c.Seed)
		}
		if c.Complexity.Flops < 360e6 || c.Complexity.Flops > 400e6 {
			t.Errorf("config %d: flops %d outside 360M:400M", i, c.Complexity.Flops)
		}
	}
}

func TestShardsPartitionTheRun(t *testing.T) {
	s := space(t, "anynetx-a-mnist")
	all := collect(t, s, Options{N: 23, Seed: 5})
	var merged []formats.Config
	for i := 0; i < 4; i++ {
		for _, c := range collect(t, s, Options{N: 23, Seed: 5, Shard: i, Shards: 4}) {
			if c.Index%4 != int64(i) {
				t.Errorf("shard %d holds index %d", i, c.Index)
			}
			merged = append(merged, c)
		}
	}
	if len(merged) != len(all) {
		t.Fatalf("shards hold %d configs, run has %d", len(merged), len(all))
	}
	byIndex := map[int64]formats.Config{}
	for _, c := range merged {
		byIndex[c.Index] = c
	}
	for _, c := range all {
		if !reflect.DeepEqual(byIndex[c.Index], c) {
			t.Errorf("config %d differs between shard and run", c.Index)
		}
	}
}

// TestConstraintsHold samples every built-in space at small scale and checks each
// config against the space's rules.
func TestConstraintsHold(t *testing.T) {
	for _, s := range formats.BuiltinSpaces() {
		if s.Res == 224 && s.Family == formats.FamilyAnyNet {
			continue // the same rules as at small scale; AnyNet at 224 rejects most draws
		}
		s := s
		t.Run(s.Name, func(t *testing.T) {
			for _, c := range collect(t, &s, Options{N: 30, Seed: 11}) {
				checkConfig(t, &s, c)
			}
		})
	}
}

func checkConfig(t *testing.T, s *formats.Space, c formats.Config) {
	t.Helper()
	n := c.Net
	if err := n.Validate(); err != nil {
		t.Fatalf("%s: %v", c.ID, err)
	}
	if n.Complexity() != c.Complexity || formats.ConfigID(n) != c.ID {
		t.Errorf("%s: complexity or id does not match the network", c.ID)
	}
	if !s.Flops.Contains(c.Complexity.Flops) {
		t.Errorf("%s: flops %d outside %s", c.ID, c.Complexity.Flops, s.Flops)
	}
	if len(n.Stages) != len(s.Strides) || n.Res != s.Res || n.Block != s.Block || n.StemW != s.StemW {
		t.Errorf("%s: geometry differs from the space", c.ID)
	}
	gmax := 0
	for _, st := range n.Stages {
		gmax = max(gmax, st.G)
	}
	for i, st := range n.Stages {
		if st.S != s.Strides[i] {
			t.Errorf("%s: stage %d stride %d", c.ID, i+1, st.S)
		}
		if s.Has(formats.SharedB) && st.B != n.Stages[0].B {
			t.Errorf("%s: bottleneck not shared", c.ID)
		}
		// A shared g is capped at a stage's bottleneck width by the compatibility rule.
		if s.Has(formats.SharedG) && st.G != gmax && st.G != anynet.BottleneckWidth(st.W, st.B) {
			t.Errorf("%s: group width not shared (%d vs %d)", c.ID, st.G, gmax)
		}
		if i > 0 && s.Has(formats.NonDecreasingW) && st.W < n.Stages[i-1].W {
			t.Errorf("%s: widths decrease", c.ID)
		}
		if i > 0 && s.Has(formats.NonDecreasingD) && st.D < n.Stages[i-1].D {
			t.Errorf("%s: depths decrease", c.ID)
		}
	}
	if s.Family == formats.FamilyRegNet {
		if c.RegNet == nil {
			t.Fatalf("%s: regnet parameters missing", c.ID)
		}
		ws, ds := c.RegNet.Stages()
		bs, gs := make([]float64, len(ws)), make([]int, len(ws))
		for i := range ws {
			bs[i], gs[i] = n.Stages[0].B, gmax
		}
		ws, _ = anynet.AdjustCompat(ws, bs, gs)
		for i, st := range n.Stages {
			if st.D != ds[i] || st.W != ws[i] {
				t.Errorf("%s: stage %d is d=%d w=%d, the rule gives d=%d w=%d", c.ID, i+1, st.D, st.W, ds[i], ws[i])
			}
		}
	}
}

// TestNarrowedSpace samples a hand-narrowed space read back from its stream and
// checks every config lies in the narrowed ranges.
func TestNarrowedSpace(t *testing.T) {
	s := space(t, "regnetx-cifar10")
	s.Name, s.Parent, s.NarrowedBy = "narrow", "regnetx-cifar10", "test"
	set := func(name string, lo, hi float64) {
		p := s.Var(name)
		p.Lo, p.Hi = lo, hi
	}
	set("depth", 12, 20)
	set("wm", 2, 2.5)
	set("b", 1, 1)
	set("g", 8, 16)
	s.Vars = append(s.Vars, formats.Param{Name: "w4", Dist: formats.DistUniform, Lo: 200, Hi: 400})
	s.Params = formats.Bounds{Hi: 3e6}
	var buf bytes.Buffer
	if err := formats.WriteSpaces(&buf, []*formats.Space{s}, formats.Provenance{Producer: "test"}, nil); err != nil {
		t.Fatal(err)
	}
	rd, err := formats.NewReader(&buf, "space", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Release()
	back, err := formats.ReadSpaces(rd)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range collect(t, back[0], Options{N: 40, Seed: 3}) {
		checkConfig(t, back[0], c)
		r := c.RegNet
		if r.D < 12 || r.D > 20 || r.WM < 2 || r.WM > 2.5 || c.Net.Stages[0].B != 1 {
			t.Errorf("%s: regnet %+v outside the narrowed ranges", c.ID, *r)
		}
		if g := c.Net.Stages[0].G; g != 8 && g != 16 {
			t.Errorf("%s: g = %d", c.ID, g)
		}
		if w := c.Net.Stages[3].W; w < 200 || w > 400 {
			t.Errorf("%s: w4 = %d", c.ID, w)
		}
		if c.Complexity.Params > 3e6 || c.Space != "narrow" {
			t.Errorf("%s: params %d space %q", c.ID, c.Complexity.Params, c.Space)
		}
	}
}

func TestImpossibleBounds(t *testing.T) {
	s := space(t, "anynetx-a-mnist")
	s.Flops = formats.Bounds{Lo: 1, Hi: 2}
	err := Run(s, Options{N: 1, Seed: 1, MaxTries: 2000}, func(formats.Config) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "flops outside 1:2") || !strings.Contains(err.Error(), "2000 draws") {
		t.Fatalf("err = %v", err)
	}
}

func TestFailedStreamIsTruncated(t *testing.T) {
	s := space(t, "anynetx-a-mnist")
	s.Params = formats.Bounds{Lo: 1e9} // nothing this small has a billion parameters
	var buf bytes.Buffer
	err := WriteStream(&buf, s, Options{N: 3, Seed: 1, MaxTries: 100}, formats.Provenance{Producer: "t"}, nil)
	if err == nil {
		t.Fatal("impossible run succeeded")
	}
	rd, err := formats.NewReader(&buf, "out", nil)
	if err == nil {
		for rd.Next() {
		}
		err = rd.Err()
		rd.Release()
	}
	if err == nil {
		t.Fatal("output of a failed run reads as a complete stream")
	}
}

func TestDrawDistributions(t *testing.T) {
	r := newSource(9)
	counts := map[float64]int{}
	p := &formats.Param{Dist: formats.DistUniform, Lo: 1, Hi: 4, Quantum: 1}
	lw := &formats.Param{Dist: formats.DistLogUniform, Lo: 8, Hi: 1024, Quantum: 8}
	small := 0
	const n = 40000
	for i := 0; i < n; i++ {
		counts[draw(r, p)]++
		v := draw(r, lw)
		if v < 8 || v > 1024 || int(v)%8 != 0 {
			t.Fatalf("log-uniform draw %g off the grid", v)
		}
		if v <= 90 { // log-midpoint of [8, 1024] is 90.5
			small++
		}
	}
	for v := 1.0; v <= 4; v++ {
		if c := counts[v]; c < n/4-600 || c > n/4+600 {
			t.Errorf("uniform value %g drawn %d times of %d", v, c, n)
		}
	}
	if frac := float64(small) / n; frac < 0.47 || frac > 0.53 {
		t.Errorf("log-uniform: %.3f of draws below the log-midpoint, want about 0.5", frac)
	}
	if v := onGrid(3644, 0.01); v != 36.44 {
		t.Errorf("onGrid(3644, 0.01) = %v", v)
	}
}

func BenchmarkSampleRegNetX400MF(b *testing.B) {
	s := space(b, "regnetx")
	for b.Loop() {
		if err := Run(s, Options{N: 100, Seed: 1}, func(formats.Config) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/100, "ns/config")
}

func BenchmarkSampleAnyNetXA(b *testing.B) {
	s := space(b, "anynetx-a")
	for b.Loop() {
		if err := Run(s, Options{N: 100, Seed: 1}, func(formats.Config) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/100, "ns/config")
}
