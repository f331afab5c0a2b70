package sampler

import (
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
