package cases

import (
	"bytes"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/ddstools/dds/bootstrap/design/designtest"
	"github.com/ddstools/dds/formats"
	"github.com/ddstools/dds/internal/golden"
	"github.com/ddstools/dds/sample/sampler"
)

// inputs is the folder of the streams the regression cases read.
var inputs = filepath.Join("..", "..", "testdata", "cases", "inputs")

// TestInputs checks that the committed input streams of the cases are what their
// makers below write (go test -update rewrites them): configs.arrows, 6 configs
// of anynetx-a-mnist; evaluated.arrows, 6 of them trained and evaluated for 3
// epochs with a planted error; a.arrows and c.arrows, 200 models of anynetx-a-mnist
// and anynetx-c-mnist whose errors are unit noise around 10 and 8; depth.arrows,
// 300 of anynetx-a-mnist whose best total depth is 8; refine.arrows, 400 of
// anynetx-a-mnist whose error, noise around 20, rises by a point for each stage
// whose group width differs from the first stage's and falls by 1.5 for each stage
// narrower than the one before.
func TestInputs(t *testing.T) {
	a, _ := formats.LookupSpace("anynetx-a-mnist")
	c, _ := formats.LookupSpace("anynetx-c-mnist")
	var configs bytes.Buffer
	if err := sampler.WriteStream(&configs, a, sampler.Options{N: 6, Seed: 1}, formats.Provenance{Producer: "test"}, nil); err != nil {
		t.Fatal(err)
	}
	noise := func(mean float64) func(formats.Config) float64 {
		return func(c formats.Config) float64 {
			return mean + rand.New(rand.NewPCG(uint64(c.Seed), 9)).NormFloat64()
		}
	}
	depth := func(c formats.Config) float64 {
		r := rand.New(rand.NewPCG(uint64(c.Seed), 1))
		return 5 + math.Abs(float64(c.Net.Depth())-8) + 0.3*r.NormFloat64()
	}
	planted := func(c formats.Config) float64 {
		st, e := c.Net.Stages, 20+rand.New(rand.NewPCG(uint64(c.Seed), 2)).NormFloat64()
		for i := 1; i < len(st); i++ {
			e += float64(min(1, abs(st[i].G-st[0].G))) - 1.5*float64(min(1, max(0, st[i-1].W-st[i].W)))
		}
		return e
	}
	for name, b := range map[string][]byte{
		"configs.arrows":   configs.Bytes(),
		"evaluated.arrows": designtest.Evaluated(t, a, 6, 1, 3, noise(10)),
		"a.arrows":         designtest.Stream(t, a, 200, 1, noise(10)),
		"c.arrows":         designtest.Stream(t, c, 200, 1, noise(8)),
		"depth.arrows":     designtest.Stream(t, a, 300, 1, depth),
		"refine.arrows":    designtest.Stream(t, a, 400, 1, planted),
	} {
		golden.Check(t, filepath.Join(inputs, name), b)
	}
}

func abs(x int) int { return max(x, -x) }
