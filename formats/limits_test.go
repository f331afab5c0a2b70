package formats

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestLegacyEndOfStream: a stream ending with the pre-1.0 end-of-stream marker (a
// 4-byte zero length, no continuation token) reads to its end like one with the
// current marker, also when another stream follows it.
func TestLegacyEndOfStream(t *testing.T) {
	cur := writeConfigs(t, memory.DefaultAllocator, zooConfigs(t)[:3], 2, true)
	if !bytes.HasSuffix(cur, []byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}) {
		t.Fatalf("stream does not end with the current marker: % x", cur[len(cur)-8:])
	}
	legacy := append(append([]byte(nil), cur[:len(cur)-8]...), 0, 0, 0, 0)
	for name, in := range map[string][]byte{
		"legacy":         legacy,
		"legacy+current": append(append([]byte(nil), legacy...), cur...),
		"current+legacy": append(append([]byte(nil), cur...), legacy...),
	} {
		rd, err := NewReader(bytes.NewReader(in), name, nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		rows := 0
		for rd.Next() {
			rows += int(rd.Record().NumRows())
		}
		if err := rd.Err(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if want := 3 * (len(in) / len(legacy)); rows != want {
			t.Errorf("%s: %d rows, want %d", name, rows, want)
		}
		rd.Release()
	}
	// A zero length cut short is still truncated, not a legacy marker.
	rd, err := NewReader(bytes.NewReader(append(append([]byte(nil), cur[:len(cur)-8]...), 0, 0)), "cut", nil)
	if err != nil {
		t.Fatal(err)
	}
	for rd.Next() {
	}
	if rd.Err() == nil || !strings.Contains(rd.Err().Error(), "truncated") {
		t.Errorf("cut marker: %v", rd.Err())
	}
	rd.Release()
}

// TestSpaceDepthLimit: a space whose depth or width range goes beyond what a network
// may have is refused when read, before anything is drawn from it.
func TestSpaceDepthLimit(t *testing.T) {
	for _, c := range []struct{ param, want string }{{"depth", `"depth": range [1e+19, 1e+19] goes above 1024`}, {"w0", `"w0"`}, {"wa", `"wa"`}} {
		s, err := LookupSpace("regnetx-mnist")
		if err != nil {
			t.Fatal(err)
		}
		p := s.Var(c.param)
		p.Lo, p.Hi = 1e19, 1e19
		if c.param == "w0" {
			p.Lo, p.Hi, p.Quantum = 1<<20, 1<<20, 8
		}
		err = s.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v", c.param, err)
		}
	}
}

// refusing is a destination that fails every write, as a closed standard output does.
type refusing struct{}

func (refusing) Write([]byte) (int, error) { return 0, errRefused }

var errRefused = errors.New("closed")

// TestCreateOutputRefused: standard output that refuses an empty write fails at
// CreateOutput, before any work is done for it.
func TestCreateOutputRefused(t *testing.T) {
	if _, err := CreateOutput("-", refusing{}); !errors.Is(err, errRefused) {
		t.Errorf("CreateOutput = %v, want the write error", err)
	}
	if o, err := CreateOutput("-", &bytes.Buffer{}); err != nil || o == nil {
		t.Errorf("CreateOutput to a buffer = %v", err)
	}
}
