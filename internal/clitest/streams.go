package clitest

import (
	"bytes"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/ddstools/dds/formats"
)

// Records decodes a stream a program wrote into its records (retained), failing t
// on any error.
func Records(t testing.TB, stream []byte) []arrow.RecordBatch {
	t.Helper()
	rd := reader(t, stream)
	defer rd.Release()
	var recs []arrow.RecordBatch
	for rd.Next() {
		rec := rd.Record()
		rec.Retain()
		recs = append(recs, rec)
	}
	if err := rd.Err(); err != nil {
		t.Fatal(err)
	}
	return recs
}

// Configs decodes the configs of a stream a program wrote, failing t on any error.
func Configs(t testing.TB, stream []byte) []formats.Config {
	t.Helper()
	var cs []formats.Config
	for _, rec := range Records(t, stream) {
		got, err := formats.DecodeConfigs(rec)
		rec.Release()
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, got...)
	}
	return cs
}

// Spaces decodes the spaces of a space stream a program wrote (bootstrap's or
// refine's), failing t on any error or when there is none.
func Spaces(t testing.TB, stream []byte) []*formats.Space {
	t.Helper()
	rd := reader(t, stream)
	defer rd.Release()
	ss, err := formats.ReadSpaces(rd)
	if err != nil {
		t.Fatal(err)
	}
	if len(ss) == 0 {
		t.Fatal("the stream holds no space")
	}
	return ss
}

func reader(t testing.TB, stream []byte) *formats.Reader {
	t.Helper()
	rd, err := formats.NewReader(bytes.NewReader(stream), "output", nil)
	if err != nil {
		t.Fatal(err)
	}
	return rd
}
