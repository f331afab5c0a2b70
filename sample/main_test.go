package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ddstools/dds/formats"
	"github.com/ddstools/dds/internal/clitest"
)

// prog runs sample in process; prog.Call returns its stdout, stderr and exit status.
var prog = clitest.Program{Name: "sample", Run: run}

func TestModel(t *testing.T) {
	out, stderr, code := prog.Call(nil, "--model", "RegNetX-200MF")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	cs := clitest.Configs(t, out)
	if len(cs) != 1 {
		t.Fatalf("%d configs, want 1", len(cs))
	}
	c := cs[0]
	if c.Complexity.Flops != 199040872 || c.Complexity.Params != 2684792 || c.Complexity.Acts != 2164056 {
		t.Errorf("complexity %+v", c.Complexity)
	}
	var tab bytes.Buffer
	rd2, _ := formats.NewReader(bytes.NewReader(out), "out", nil)
	defer rd2.Release()
	formats.WriteTable(&tab, rd2, formats.TextOptions{Columns: []string{"stages"}})
	if !strings.Contains(tab.String(), "d=1,1,4,7 w=24,56,152,368 s=2,2,2,2 b=1,1,1,1 g=8,8,8,8") {
		t.Errorf("stages: %s", tab.String())
	}
}

func TestFileOutputIsByteIdentical(t *testing.T) {
	dir := t.TempDir()
	args := func(name string) []string {
		if name == "-" {
			return []string{"--space", "regnetx", "-n", "100", "--flops", "360M:400M", "--seed", "1"}
		}
		return []string{"--space", "regnetx", "-n", "100", "--flops", "360M:400M", "--seed", "1", "-o", filepath.Join(dir, name)}
	}
	for _, name := range []string{"a.arrows", "b.arrows"} {
		if _, stderr, code := prog.Call(nil, args(name)...); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
	}
	stdout, _, _ := prog.Call(nil, args("-")...)
	a, _ := os.ReadFile(filepath.Join(dir, "a.arrows"))
	b, _ := os.ReadFile(filepath.Join(dir, "b.arrows"))
	if len(a) == 0 || !bytes.Equal(a, b) || !bytes.Equal(a, stdout) {
		t.Fatal("runs with the same flags differ")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

// TestSpaceRoundTrip feeds --print-space output back through --space - and a file.
func TestSpaceRoundTrip(t *testing.T) {
	sp, stderr, code := prog.Call(nil, "--space", "anynetx-e-mnist", "--print-space", "--params", ":200K")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	fromStdin, stderr, code := prog.Call(sp, "--space", "-", "-n", "12", "--seed", "4")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	direct, _, _ := prog.Call(nil, "--space", "anynetx-e-mnist", "--params", ":200K", "-n", "12", "--seed", "4")
	a, b := clitest.Configs(t, fromStdin), clitest.Configs(t, direct)
	if len(a) != 12 || len(b) != 12 {
		t.Fatalf("got %d and %d configs", len(a), len(b))
	}
	for i := range a {
		if a[i].ID != b[i].ID || a[i].Complexity.Params > 200e3 {
			t.Errorf("config %d: %s vs %s, params %d", i, a[i].ID, b[i].ID, a[i].Complexity.Params)
		}
	}
}

// TestBadInput checks each mistake gives one line on stderr and exit 1 or 2.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.arrows")
	os.WriteFile(garbage, []byte("this is not arrow"), 0o644)
	sp, _, _ := prog.Call(nil, "--space", "regnetx", "--print-space")
	truncated := filepath.Join(dir, "cut.arrows")
	os.WriteFile(truncated, sp[:len(sp)-8], 0o644)
	configs, _, _ := prog.Call(nil, "--space", "regnetx-mnist", "-n", "2")
	cases := []struct {
		name  string
		stdin []byte
		args  []string
		code  int
		want  string
	}{
		{"unknown space", nil, []string{"--space", "anynetx-z"}, 1, "unknown space"},
		{"unknown model", nil, []string{"--model", "RegNetZ-1GF"}, 1, "unknown model"},
		{"reversed bounds", nil, []string{"--space", "regnetx", "--flops", "400M:360M"}, 2, "exceeds upper bound"},
		{"bad count", nil, []string{"--space", "regnetx", "--flops", "lots"}, 2, "bad count"},
		{"unsatisfiable", nil, []string{"--space", "regnetx-mnist", "--flops", "1:2", "--max-tries", "500"}, 1, "flops outside 1:2"},
		{"garbage space file", nil, []string{"--space", garbage}, 1, "corrupt Arrow IPC message"},
		{"truncated space file", nil, []string{"--space", truncated}, 1, "truncated"},
		{"missing space file", nil, []string{"--space", "./nope.arrows"}, 1, "no such file"},
		{"config stream as space", configs, []string{"--space", "-"}, 1, "want a space stream"},
		{"empty stdin", nil, []string{"--space", "-"}, 1, "empty input"},
		{"negative n", nil, []string{"--space", "regnetx", "-n", "-1"}, 2, "-n"},
		{"bad shard", nil, []string{"--space", "regnetx", "--shard", "4/4"}, 2, "--shard"},
		{"both", nil, []string{"--space", "regnetx", "--model", "RegNetX-200MF"}, 2, "not both"},
		{"neither", nil, nil, 2, "give --space"},
		{"unknown flag", nil, []string{"--spaces", "x"}, 2, "flag provided but not defined"},
		{"stray argument", nil, []string{"--space", "regnetx", "extra"}, 2, "unexpected argument"},
		{"bad geometry", nil, []string{"--model", "RegNetX-200MF", "--geometry", "svhn"}, 2, "unknown geometry"},
		{"negative res of a space", nil, []string{"--space", "regnetx", "--res", "-3"}, 2, "-res: -3 is outside [0, 4096]"},
		{"negative stem stride", nil, []string{"--model", "RegNetX-200MF", "--stem-stride", "-1"}, 2, "-stem-stride: -1 is outside [0, 2]"},
		{"resolution a 32-bit column wraps", nil, []string{"--space", "regnetx", "--res", "4294967297"}, 2, "-res: 4294967297 is outside [0, 4096]"},
		{"too many classes", nil, []string{"--model", "RegNetX-200MF", "--classes", "1000000000"}, 2, "-classes: 1000000000 is outside [0, 1048576]"},
	}
	for _, c := range cases {
		out, stderr, code := prog.Call(c.stdin, c.args...)
		if code != c.code {
			t.Errorf("%s: exit %d, want %d (stderr %q)", c.name, code, c.code, stderr)
		}
		if strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "sample: ") || !strings.Contains(stderr, c.want) {
			t.Errorf("%s: stderr %q, want one line with %q", c.name, stderr, c.want)
		}
		if c.name != "unsatisfiable" && len(out) > 0 {
			t.Errorf("%s: wrote %d bytes to stdout", c.name, len(out))
		}
	}
}

func TestList(t *testing.T) {
	out, _, code := prog.Call(nil, "--list")
	s := string(out)
	if code != 0 || !strings.Contains(s, "regnety-cifar10") || !strings.Contains(s, "RegNetY-32GF") || !strings.Contains(s, "360M:400M") {
		t.Errorf("list:\n%s", s)
	}
}

// TestRetargetedSpace samples a built-in ImageNet space at another geometry: every
// config is built for it, with the strides and the flops bounds of the rule, and an
// explicit --flops replaces the scaled bounds.
func TestRetargetedSpace(t *testing.T) {
	out, stderr, code := prog.Call(nil, "--space", "regnetx", "--res", "32", "--channels", "1", "--classes", "5", "-n", "4")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	cs := clitest.Configs(t, out)
	if len(cs) != 4 {
		t.Fatalf("%d configs, want 4", len(cs))
	}
	for _, c := range cs {
		n := c.Net
		if c.Space != "regnetx@32x32x1-5" || n.Res != 32 || n.Channels != 1 || n.Classes != 5 || n.StemS != 1 || n.Stages[0].S != 1 || n.Stages[1].S != 2 {
			t.Errorf("config %s of %s: %dx%dx%d/%d, stem %d, first strides %d %d; want 32x32x1/5, stem 1, 1 2",
				c.ID, c.Space, n.Res, n.Res, n.Channels, n.Classes, n.StemS, n.Stages[0].S, n.Stages[1].S)
		}
		if f := c.Complexity.Flops; f < 117551020 || f > 130612245 {
			t.Errorf("config %s: %d flops outside the scaled bounds 117551020:130612245", c.ID, f)
		}
	}
	out, stderr, code = prog.Call(nil, "--space", "regnetx", "--res", "32", "--stem-stride", "2", "--flops", "1M:3M", "-n", "2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, c := range clitest.Configs(t, out) {
		if c.Net.StemS != 2 || c.Complexity.Flops < 1e6 || c.Complexity.Flops > 3e6 {
			t.Errorf("config %s: stem %d, %d flops; want stem 2 and 1M:3M", c.ID, c.Net.StemS, c.Complexity.Flops)
		}
	}
}
