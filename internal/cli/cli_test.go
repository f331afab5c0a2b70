package cli

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
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
