package sampler

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ddstools/dds/formats"
	"github.com/ddstools/dds/formats/anynet"
)

// batchRows is the number of configs per record batch.
const batchRows = 1024

// WriteStream samples from s and writes the configs to w as a config stream, in
// record batches of up to 1024 rows, with s in the schema metadata. When sampling
// fails part-way the stream is left without its end-of-stream marker.
func WriteStream(w io.Writer, s *formats.Space, opt Options, prov formats.Provenance, mem memory.Allocator) error {
	schema, err := formats.ConfigSchema(prov, s)
	if err != nil {
		return err
	}
	sw := formats.NewWriter(w, schema, mem)
	var batch []formats.Config
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		rec := formats.ConfigRecord(mem, schema, batch)
		defer rec.Release()
		batch = batch[:0]
		return sw.Write(rec)
	}
	err = Run(s, opt, func(c formats.Config) error {
		batch = append(batch, c)
		if len(batch) == batchRows {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return err
	}
	return sw.Close()
}

// ModelConfig returns the config of zoo model m built at geometry geo, from space "zoo".
func ModelConfig(m anynet.ZooModel, geo anynet.Geometry) (formats.Config, error) {
	n, err := m.Net(geo)
	if err != nil {
		return formats.Config{}, fmt.Errorf("%s at %s geometry: %v", m.Name, geo.Name, err)
	}
	p := m.RegNet
	return formats.Config{ID: formats.ConfigID(n), Space: "zoo:" + m.Name, Net: n, RegNet: &p, Complexity: n.Complexity()}, nil
}

// WriteConfigs writes the given configs as one config stream without a source space.
func WriteConfigs(w io.Writer, cs []formats.Config, prov formats.Provenance, mem memory.Allocator) error {
	schema, err := formats.ConfigSchema(prov, nil)
	if err != nil {
		return err
	}
	sw := formats.NewWriter(w, schema, mem)
	rec := formats.ConfigRecord(mem, schema, cs)
	defer rec.Release()
	if err := sw.Write(rec); err != nil {
		return err
	}
	return sw.Close()
}

// Spec is an architecture in the JSON form of the PyTorch peer module
// (../shared/peer/torch_anynet.py): input channels, resolution, classes, stem width
// and stride, block type, SE ratio and stages {d, w, s, b, g}. Absent fields take
// that module's defaults (3 channels, 32x32, 10 classes, stem 32 with stride 1,
// block x, SE ratio 0.25 for y blocks, b 1, g 8).
type Spec struct {
	InCh       *int     `json:"in_ch"`
	Res        *int     `json:"res"`
	Classes    *int     `json:"classes"`
	StemW      *int     `json:"stem_w"`
	StemStride *int     `json:"stem_stride"`
	Block      string   `json:"block"`
	SERatio    *float64 `json:"se_ratio"`
	Stages     []struct {
		D int      `json:"d"`
		W int      `json:"w"`
		S int      `json:"s"`
		B *float64 `json:"b"`
		G *int     `json:"g"`
	} `json:"stages"`
}

// SpecConfig returns the config, from space "spec", of the architecture a peer
// module spec describes; js must hold one JSON object with no unknown fields.
func SpecConfig(js []byte) (formats.Config, error) {
	var s Spec
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return formats.Config{}, fmt.Errorf("spec: %v", err)
	}
	or := func(p *int, d int) int {
		if p == nil {
			return d
		}
		return *p
	}
	n := anynet.Net{Channels: or(s.InCh, 3), Res: or(s.Res, 32), Classes: or(s.Classes, 10),
		StemW: or(s.StemW, 32), StemS: or(s.StemStride, 1), Block: s.Block}
	if n.Block == "" {
		n.Block = anynet.BlockX
	}
	if n.Block == anynet.BlockY {
		n.SERatio = 0.25
		if s.SERatio != nil {
			n.SERatio = *s.SERatio
		}
	}
	for _, st := range s.Stages {
		b := 1.0
		if st.B != nil {
			b = *st.B
		}
		n.Stages = append(n.Stages, anynet.Stage{D: st.D, W: st.W, S: st.S, B: b, G: or(st.G, 8)})
	}
	if err := n.Validate(); err != nil {
		return formats.Config{}, fmt.Errorf("spec: %v", err)
	}
	return formats.Config{ID: formats.ConfigID(n), Space: "spec", Net: n, Complexity: n.Complexity()}, nil
}
