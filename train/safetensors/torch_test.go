package safetensors

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"math"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/ddstools/dds/internal/golden"
	"github.com/ddstools/dds/internal/torchpeer"
)

// TestTorchReads writes a file from Go and has PyTorch parse it (json, struct and
// torch.frombuffer only, in testdata/load.py), then compares every element.
// PyTorch's side is the golden files testdata/torch_reads: the file it read, which
// must equal the one this test writes, and what load.py printed (load.json). go
// test -update runs load.py to rewrite them.
func TestTorchReads(t *testing.T) {
	if golden.Update() {
		torchpeer.RequireTorch(t)
	}
	ts, md := sample()
	f64 := make([]byte, 16)
	binary.LittleEndian.PutUint64(f64, math.Float64bits(math.Pi))
	binary.LittleEndian.PutUint64(f64[8:], math.Float64bits(-1e300))
	i32 := binary.LittleEndian.AppendUint32(nil, uint32(1<<31-1))
	i32 = binary.LittleEndian.AppendUint32(i32, 1<<31) // -2^31
	ts = append(ts,
		Tensor{Name: "f64", DType: F64, Shape: []int{2, 1}, Data: f64},
		Tensor{Name: "i32", DType: I32, Shape: []int{2}, Data: i32},
		Tensor{Name: "f16", DType: F16, Shape: []int{4}, Data: []byte{0x00, 0x3c, 0x00, 0xc1, 0x01, 0x00, 0x00, 0x7c}},
	)
	b := encode(t, ts, md)
	dir := filepath.Join("testdata", "torch_reads")
	path, printed := filepath.Join(dir, "w.safetensors"), filepath.Join(dir, "load.json")
	golden.Check(t, path, b)
	if golden.Update() {
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, torchpeer.Python(), filepath.Join("testdata", "load.py"), path)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("testdata/load.py: %v\n%s", err, stderr.Bytes())
		}
		golden.Write(t, printed, out)
	}
	out := golden.Read(t, printed)
	var got struct {
		Order    []string
		Metadata map[string]string
		Tensors  map[string]struct {
			DType  string
			Torch  string
			Shape  []int
			Values []string
		}
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("parsing the output of load.py: %v\n%s", err, out)
	}

	wantOrder := []string{"__metadata__"}
	for _, x := range ts {
		wantOrder = append(wantOrder, x.Name)
	}
	if !slices.Equal(got.Order, wantOrder) {
		t.Errorf("header keys %q, want %q", got.Order, wantOrder)
	}
	if !sameMetadata(got.Metadata, md) {
		t.Errorf("metadata %q, want %q", got.Metadata, md)
	}
	for _, x := range ts {
		p, ok := got.Tensors[x.Name]
		if !ok {
			t.Errorf("tensor %q: missing in PyTorch", x.Name)
			continue
		}
		if p.DType != string(x.DType) || !slices.Equal(p.Shape, x.Shape) {
			t.Errorf("tensor %q: PyTorch sees %s (%s) %v, want %s %v", x.Name, p.DType, p.Torch, p.Shape, x.DType, x.Shape)
		}
		want := elements(t, x)
		if len(p.Values) != len(want) {
			t.Errorf("tensor %q: PyTorch sees %d elements, want %d", x.Name, len(p.Values), len(want))
			continue
		}
		for i, s := range p.Values {
			if g := canonical(t, s); g != want[i] {
				t.Errorf("tensor %q element %d: PyTorch reads %s (%s), want %s", x.Name, i, g, s, want[i])
			}
		}
	}
	t.Logf("PyTorch read %d tensors, %d data bytes, matching", len(got.Tensors), len(b)-8-int(binary.LittleEndian.Uint64(b)))
}

// canonical turns one element as load.py prints it (a decimal integer or a hex float)
// into the form elements uses.
func canonical(t *testing.T, s string) string {
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return strconv.FormatInt(i, 10)
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("load.py printed %q", s)
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}

// elements returns the elements of x as decimal strings, read in Go.
func elements(t *testing.T, x Tensor) []string {
	var s []string
	fl := func(v float64) { s = append(s, strconv.FormatFloat(v, 'g', -1, 64)) }
	d := x.Data
	switch x.DType {
	case F32:
		v, err := x.Float32s()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range v {
			fl(float64(f))
		}
	case I64:
		v, err := x.Int64s()
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range v {
			s = append(s, strconv.FormatInt(i, 10))
		}
	case U8:
		for _, c := range d {
			s = append(s, strconv.Itoa(int(c)))
		}
	case I32:
		for i := 0; i < len(d); i += 4 {
			s = append(s, strconv.Itoa(int(int32(binary.LittleEndian.Uint32(d[i:])))))
		}
	case F64:
		for i := 0; i < len(d); i += 8 {
			fl(math.Float64frombits(binary.LittleEndian.Uint64(d[i:])))
		}
	case BF16:
		for i := 0; i < len(d); i += 2 {
			fl(float64(math.Float32frombits(uint32(binary.LittleEndian.Uint16(d[i:])) << 16)))
		}
	case F16:
		for i := 0; i < len(d); i += 2 {
			fl(half(binary.LittleEndian.Uint16(d[i:])))
		}
	default:
		t.Fatalf("no reader for %s", x.DType)
	}
	return s
}

// half returns the value of an IEEE 754 binary16 number.
func half(h uint16) float64 {
	sign := 1.0
	if h>>15 != 0 {
		sign = -1
	}
	exp, man := int(h>>10&0x1f), float64(h&0x3ff)
	switch exp {
	case 0:
		return sign * math.Ldexp(man, -24)
	case 31:
		if man != 0 {
			return math.NaN()
		}
		return sign * math.Inf(1)
	}
	return sign * math.Ldexp(1+man/1024, exp-15)
}
