package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ddstools/dds/formats"
	"github.com/ddstools/dds/formats/anynet"
	"github.com/ddstools/dds/internal/cli"
	"github.com/ddstools/dds/sample/sampler"
)

func call(stdin []byte, args ...string) (string, string, int) {
	var out, errb bytes.Buffer
	code := cli.Code("show", run(args, bytes.NewReader(stdin), &out, &errb), &errb)
	return out.String(), errb.String(), code
}

func zooStream(t *testing.T) []byte {
	m, _ := anynet.LookupModel("RegNetY-200MF")
	c, err := sampler.ModelConfig(m, anynet.MNIST)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := sampler.WriteConfigs(&buf, []formats.Config{c}, formats.Provenance{Producer: "test"}, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestShow(t *testing.T) {
	data := zooStream(t)
	two := append(append([]byte{}, data...), data...)
	out, stderr, code := call(two, "-c", "space,block,stages")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 3 || !strings.HasPrefix(lines[1], "zoo:RegNetY-200MF  y") {
		t.Fatalf("exit %d %s\n%s", code, stderr, out)
	}
	path := filepath.Join(t.TempDir(), "c.arrows")
	os.WriteFile(path, data, 0o644)
	out, _, code = call(nil, "-f", "jsonl", path)
	var row map[string]any
	if err := json.Unmarshal([]byte(out), &row); err != nil || code != 0 || row["block"] != "y" {
		t.Fatalf("jsonl %q: %v", out, err)
	}
}

func TestShowBadInput(t *testing.T) {
	data := zooStream(t)
	cases := []struct {
		stdin []byte
		args  []string
		code  int
		want  string
	}{
		{data[:len(data)-3], nil, 1, "truncated"},
		{[]byte("x"), nil, 1, "stdin"},
		{data, []string{"-f", "xml"}, 2, "want table or jsonl"},
		{data, []string{"-c", "nope"}, 1, `no column "nope"`},
		{nil, []string{"/nonexistent.arrows"}, 1, "no such file"},
		{data, []string{"a", "b"}, 2, "unexpected argument"},
	}
	for _, c := range cases {
		_, stderr, code := call(c.stdin, c.args...)
		if code != c.code || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d stderr %q, want %d and %q", c.args, code, stderr, c.code, c.want)
		}
	}
}
