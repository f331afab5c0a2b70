package sampler

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/ddstools/dds/formats"
	"github.com/ddstools/dds/formats/anynet"
)

// DefaultMaxTries is the default number of consecutive rejected draws after which
// sampling gives up.
const DefaultMaxTries = 1_000_000

// Options controls a sampling run.
type Options struct {
	N        int    // configs to produce (before sharding)
	Seed     uint64 // seed of the random stream
	MaxTries int    // consecutive rejected draws allowed; 0 means DefaultMaxTries
	Shard    int    // with Shards > 1, keep only positions ≡ Shard (mod Shards)
	Shards   int
}

// Sampler draws configs from one space.
type Sampler struct {
	space  *formats.Space
	vars   []*formats.Param // generative parameters in draw order
	filter []*formats.Param // restricted derived quantities present in the space
	rng    source
	seen   map[string]bool
	// rejections counts the reasons draws were rejected since the last kept config.
	rejections map[string]int
}

// New returns a sampler for s, which must be valid.
func New(s *formats.Space, seed uint64) (*Sampler, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	sm := &Sampler{space: s, rng: newSource(seed), seen: map[string]bool{}, rejections: map[string]int{}}
	for _, name := range s.GenerativeVars() {
		sm.vars = append(sm.vars, s.Var(name))
	}
	for _, name := range s.FilterVars() {
		if p := s.Var(name); p != nil {
			sm.filter = append(sm.filter, p)
		}
	}
	return sm, nil
}

// Run draws opt.N configs and calls emit with each one of the wanted shard, in order.
// It fails, naming the constraints that rejected the most draws, when MaxTries draws
// in a row are rejected.
func Run(s *formats.Space, opt Options, emit func(formats.Config) error) error {
	sm, err := New(s, opt.Seed)
	if err != nil {
		return err
	}
	maxTries := opt.MaxTries
	if maxTries <= 0 {
		maxTries = DefaultMaxTries
	}
	for i := 0; i < opt.N; i++ {
		c, err := sm.Next(maxTries)
		if err != nil {
			return fmt.Errorf("config %d of %d: %v", i+1, opt.N, err)
		}
		c.Index = int64(i)
		c.Seed = ConfigSeed(opt.Seed, c.Index)
		if opt.Shards > 1 && i%opt.Shards != opt.Shard {
			continue
		}
		if err := emit(c); err != nil {
			return err
		}
	}
	return nil
}

// Next draws until a config is accepted, at most maxTries times.
func (sm *Sampler) Next(maxTries int) (formats.Config, error) {
	clear(sm.rejections)
	for try := 0; try < maxTries; try++ {
		c, reason := sm.try()
		if reason != "" {
			sm.rejections[reason]++
			continue
		}
		sm.seen[c.ID] = true
		return c, nil
	}
	return formats.Config{}, fmt.Errorf("no config of space %q satisfied its constraints in %d draws; rejected: %s",
		sm.space.Name, maxTries, sm.rejectionSummary(3))
}

// rejectionSummary lists the most frequent rejection reasons with their counts.
func (sm *Sampler) rejectionSummary(top int) string {
	type kv struct {
		k string
		v int
	}
	var all []kv
	for k, v := range sm.rejections {
		all = append(all, kv{k, v})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].v > all[j].v || (all[i].v == all[j].v && all[i].k < all[j].k) })
	var parts []string
	for i, e := range all {
		if i == top {
			break
		}
		parts = append(parts, fmt.Sprintf("%d %s", e.v, e.k))
	}
	return strings.Join(parts, ", ")
}

// try makes one draw and returns the config, or the reason it was rejected.
func (sm *Sampler) try() (formats.Config, string) {
	s := sm.space
	vals := make(map[string]float64, len(sm.vars))
	for _, p := range sm.vars {
		vals[p.Name] = draw(sm.rng, p)
	}
	c := formats.Config{Space: s.Name}
	var reason string
	if s.Family == formats.FamilyRegNet {
		c, reason = sm.buildRegNet(vals)
	} else {
		c, reason = sm.buildAnyNet(vals)
	}
	if reason != "" {
		return c, reason
	}
	n := c.Net
	for i := 1; i < len(n.Stages); i++ {
		if s.Has(formats.NonDecreasingW) && n.Stages[i].W < n.Stages[i-1].W {
			return c, "with decreasing widths (" + formats.NonDecreasingW + ")"
		}
		if s.Has(formats.NonDecreasingD) && n.Stages[i].D < n.Stages[i-1].D {
			return c, "with decreasing depths (" + formats.NonDecreasingD + ")"
		}
	}
	for _, p := range sm.filter {
		if v := derived(n, p.Name); v < p.Lo || v > p.Hi {
			return c, fmt.Sprintf("with %s outside [%g, %g]", p.Name, p.Lo, p.Hi)
		}
	}
	c.Complexity = n.Complexity()
	for _, b := range []struct {
		name   string
		bounds formats.Bounds
		v      int64
	}{{"flops", s.Flops, c.Complexity.Flops}, {"params", s.Params, c.Complexity.Params}, {"acts", s.Acts, c.Complexity.Acts}} {
		if !b.bounds.Contains(b.v) {
			return c, fmt.Sprintf("with %s outside %s", b.name, b.bounds)
		}
	}
	c.ID = formats.ConfigID(n)
	if sm.seen[c.ID] {
		return c, "duplicates"
	}
	return c, ""
}

// derived returns the value of a restricted quantity of n: "depth" (total blocks) or
// a stage's depth or width ("d2", "w4").
func derived(n anynet.Net, name string) float64 {
	if name == "depth" {
		return float64(n.Depth())
	}
	i, _ := strconv.Atoi(name[1:])
	if name[0] == 'd' {
		return float64(n.Stages[i-1].D)
	}
	return float64(n.Stages[i-1].W)
}

func (sm *Sampler) newNet() anynet.Net {
	s := sm.space
	return anynet.Net{Res: s.Res, Channels: s.Channels, Classes: s.Classes, StemW: s.StemW, StemS: s.StemS,
		Block: s.Block, SERatio: s.SERatio}
}

// buildAnyNet makes the network of an AnyNet draw: stage i has depth d_i, width w_i,
// bottleneck b_i (or the shared b) and group width g_i (or the shared g), widths and
// group widths made compatible. Stage values moved out of their ranges by that
// adjustment reject the draw.
func (sm *Sampler) buildAnyNet(vals map[string]float64) (formats.Config, string) {
	s := sm.space
	S := len(s.Strides)
	ws, bs, gs := make([]int, S), make([]float64, S), make([]int, S)
	pick := func(p string, i int) string {
		if (p == "b" && s.Has(formats.SharedB)) || (p == "g" && s.Has(formats.SharedG)) {
			return p
		}
		return p + strconv.Itoa(i+1)
	}
	for i := range S {
		ws[i] = int(vals[pick("w", i)])
		bs[i] = vals[pick("b", i)]
		gs[i] = int(vals[pick("g", i)])
	}
	ws, gs = anynet.AdjustCompat(ws, bs, gs)
	n := sm.newNet()
	for i := range S {
		n.Stages = append(n.Stages, anynet.Stage{D: int(vals[pick("d", i)]), W: ws[i], S: s.Strides[i], B: bs[i], G: gs[i]})
		for _, chk := range []struct {
			name string
			v    float64
		}{{pick("w", i), float64(ws[i])}, {pick("g", i), float64(gs[i])}} {
			if p := s.Var(chk.name); chk.v < p.Lo || chk.v > p.Hi {
				return formats.Config{}, fmt.Sprintf("with %s outside [%g, %g] after width/group compatibility", chk.name, p.Lo, p.Hi)
			}
		}
	}
	if err := n.Validate(); err != nil {
		return formats.Config{}, "invalid: " + err.Error()
	}
	return formats.Config{Space: s.Name, Net: n}, ""
}

// buildRegNet makes the network of a RegNet draw; draws whose widths do not form
// exactly one run per stage of the space are rejected.
func (sm *Sampler) buildRegNet(vals map[string]float64) (formats.Config, string) {
	s := sm.space
	p := anynet.RegNet{D: int(vals["depth"]), W0: vals["w0"], WA: vals["wa"], WM: vals["wm"]}
	if err := p.Validate(); err != nil {
		return formats.Config{}, "invalid: " + err.Error()
	}
	if ws, _ := p.Stages(); len(ws) != len(s.Strides) {
		return formats.Config{}, fmt.Sprintf("with a stage count other than %d", len(s.Strides))
	}
	geo := anynet.Geometry{Name: s.Name, Res: s.Res, Channels: s.Channels, Classes: s.Classes, StemS: s.StemS, Strides: s.Strides}
	n, err := anynet.BuildRegNet(p, vals["b"], int(vals["g"]), s.Block, s.SERatio, s.StemW, geo)
	if err != nil {
		return formats.Config{}, "invalid: " + err.Error()
	}
	g := s.Var("g")
	for _, st := range n.Stages {
		if float64(st.G) < g.Lo || float64(st.G) > g.Hi {
			return formats.Config{}, fmt.Sprintf("with g outside [%g, %g] after width/group compatibility", g.Lo, g.Hi)
		}
	}
	return formats.Config{Space: s.Name, Net: n, RegNet: &p}, ""
}
