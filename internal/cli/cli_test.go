package cli

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"reflect"
	"strings"
	"syscall"
	"testing"
)

func TestRecorded(t *testing.T) {
	got := Recorded([]string{"--space", "x", "-o", "out.arrows", "-n", "3", "--o=y", "-o"}, "o")
	if want := []string{"--space", "x", "-n", "3"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Recorded = %q, want %q", got, want)
	}
}

func TestCode(t *testing.T) {
	cases := []struct {
		err  error
		code int
		line string
	}{
		{nil, 0, ""},
		{Usagef("bad -n"), 2, "p: bad -n (see p -h)\n"},
		{errors.New("input ends\nearly"), 1, "p: input ends; early\n"},
		{fmt.Errorf("write: %w", syscall.EPIPE), 0, ""},
	}
	for _, c := range cases {
		var buf bytes.Buffer
		if code := Code("p", c.err, &buf); code != c.code || buf.String() != c.line {
			t.Errorf("Code(%v) = %d %q, want %d %q", c.err, code, buf.String(), c.code, c.line)
		}
	}
}

func TestFlags(t *testing.T) {
	var stderr bytes.Buffer
	fs := NewFlags("p", "usage: p", &stderr)
	n := fs.Int("n", 1, "count")
	if file, err := fs.ParseFile([]string{"-n", "3", "in.arrows"}); err != nil || file != "in.arrows" || *n != 3 {
		t.Errorf("ParseFile: %q %v n=%d", file, err, *n)
	}
	var ue *UsageError
	if err := NewFlags("p", "", &stderr).Parse([]string{"-x"}); !errors.As(err, &ue) || stderr.Len() != 0 {
		t.Errorf("unknown flag: %v, printed %q", err, stderr.String())
	}
}

func TestParseFiles(t *testing.T) {
	cases := []struct {
		args  []string
		files []string
		n     int
		o     string
	}{
		{[]string{"a", "-n", "2", "b"}, []string{"a", "b"}, 2, ""},
		{[]string{"a", "--limit=1"}, []string{"a"}, 1, ""},
		{[]string{"-", "-o", "x"}, []string{"-"}, 1, "x"},
		{[]string{"-n", "3", "--", "-o", "a"}, []string{"-o", "a"}, 3, ""},
		{[]string{"-o", "--", "a", "-n", "4"}, []string{"a"}, 4, "--"},
		{nil, nil, 1, ""},
	}
	for _, c := range cases {
		fs := NewFlags("p", "usage: p", io.Discard)
		n := fs.Int("n", 1, "count")
		fs.IntVar(n, "limit", 1, "count")
		o := fs.String("o", "", "output")
		files, err := fs.ParseFiles(c.args)
		if err != nil || !reflect.DeepEqual(files, c.files) || *n != c.n || *o != c.o {
			t.Errorf("%q: files %q n=%d o=%q err %v; want %q n=%d o=%q", c.args, files, *n, *o, err, c.files, c.n, c.o)
		}
	}
}

func TestHelpAndVersion(t *testing.T) {
	for _, arg := range []string{"-h", "--version"} {
		fs := NewFlags("p", "usage: p [FILE]", io.Discard)
		fs.Int("n", 7, "how many")
		_, err := fs.ParseFile([]string{"in.arrows", arg})
		var stdout, stderr bytes.Buffer
		code := Exit("p", err, &stdout, &stderr)
		want := "usage: p [FILE]\n\nFlags:\n"
		if arg == "--version" {
			want = "p (dds) devel"
		}
		if code != 0 || !errors.Is(err, flag.ErrHelp) || !strings.HasPrefix(stdout.String(), want) || stderr.Len() != 0 {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want 0 and stdout starting %q", arg, code, stdout.String(), stderr.String(), want)
		}
		if arg == "-h" && !strings.Contains(stdout.String(), "how many (default 7)") {
			t.Errorf("-h does not list the flags: %q", stdout.String())
		}
	}
}
