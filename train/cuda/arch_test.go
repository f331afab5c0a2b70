package cuda

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/ddstools/dds/formats/anynet"
)

// x200mf is ../shared/peer/x200mf-cifar.json, the network of DESIGN.md's peer
// figures: stem 3×3 w32 s1; d=[1,1,4,7], w=[24,56,152,368], s=[1,2,2,2], b=1, g=8;
// 32×32×3, 10 classes. It is written out here because the GPU machine runs the test
// binary without ../shared; TestX200MFSpec checks it against the file where it exists.
var x200mf = anynet.Net{Res: 32, Channels: 3, Classes: 10, StemW: 32, StemS: 1, Block: anynet.BlockX, Stages: []anynet.Stage{
	{D: 1, W: 24, S: 1, B: 1, G: 8},
	{D: 1, W: 56, S: 2, B: 1, G: 8},
	{D: 4, W: 152, S: 2, B: 1, G: 8},
	{D: 7, W: 368, S: 2, B: 1, G: 8},
}}

func TestX200MFSpec(t *testing.T) {
	path := filepath.Join("..", "..", "..", "shared", "peer", "x200mf-cifar.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Skip(err)
	}
	var s struct {
		InCh       int    `json:"in_ch"`
		Res        int    `json:"res"`
		Classes    int    `json:"classes"`
		StemW      int    `json:"stem_w"`
		StemStride int    `json:"stem_stride"`
		Block      string `json:"block"`
		Stages     []struct {
			D, W, S int
			B       float64
			G       int
		} `json:"stages"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	n := anynet.Net{Res: s.Res, Channels: s.InCh, Classes: s.Classes, StemW: s.StemW, StemS: s.StemStride, Block: s.Block}
	for _, st := range s.Stages {
		n.Stages = append(n.Stages, anynet.Stage{D: st.D, W: st.W, S: st.S, B: st.B, G: st.G})
	}
	if !reflect.DeepEqual(n, x200mf) {
		t.Errorf("%s is %+v, x200mf is %+v", path, n, x200mf)
	}
	if p := x200mf.Complexity().Params; p != 2319482 {
		t.Errorf("x200mf has %d parameters, DESIGN.md says 2,319,482", p)
	}
}
