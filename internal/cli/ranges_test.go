package cli

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestIntIn: values outside the range, or that a 32-bit column would wrap, are usage
// errors naming the flag and the range; values inside are stored.
func TestIntIn(t *testing.T) {
	cases := []struct {
		arg  string
		want int
		err  string // "" for accepted
	}{
		{"7", 7, ""},
		{"1", 1, ""},
		{"100", 100, ""},
		{"0", 0, "0 is outside [1, 100]"},
		{"-1", 0, "-1 is outside [1, 100]"},
		{"4294967297", 0, "4294967297 is outside [1, 100]"},
		{"99999999999999999999", 0, "not a whole number in [1, 100]"},
		{"2.5", 0, "not a whole number"},
		{"x", 0, "not a whole number"},
	}
	for _, c := range cases {
		f := NewFlags("p", "usage: p", io.Discard)
		var n int
		f.IntIn(&n, "epochs", 10, 1, 100, "epochs")
		if n != 10 {
			t.Fatalf("default %d, want 10", n)
		}
		err := f.Parse([]string{"--epochs", c.arg})
		if c.err == "" {
			if err != nil || n != c.want {
				t.Errorf("%s: n=%d err=%v", c.arg, n, err)
			}
			continue
		}
		var ue *UsageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), c.err) || !strings.Contains(err.Error(), "-epochs") {
			t.Errorf("%s: err %v, want a usage error saying %q", c.arg, err, c.err)
		}
	}
}

// TestFloatIn: NaN, infinities and values outside the interval (each end open or
// closed as written) are usage errors; values inside are stored.
func TestFloatIn(t *testing.T) {
	cases := []struct {
		in  string
		arg string
		ok  bool
	}{
		{"(0, 1)", "0.05", true},
		{"(0, 1)", "0", false},
		{"(0, 1)", "1", false},
		{"[0, 1)", "0", true},
		{"[0, 1]", "1", true},
		{"[0, 1]", "NaN", false},
		{"[0, 1]", "nan", false},
		{"[0, 1000]", "Inf", false},
		{"[0, 1000]", "-1e-300", false},
		{"[0, 1000]", "1e3", true},
	}
	for _, c := range cases {
		f := NewFlags("p", "usage: p", io.Discard)
		var x float64
		f.FloatIn(&x, "alpha", 0.5, In(c.in), "alpha")
		err := f.Parse([]string{"--alpha=" + c.arg})
		if c.ok != (err == nil) {
			t.Errorf("%s %s: err %v", c.in, c.arg, err)
		}
		if !c.ok && !strings.Contains(fmt.Sprint(err), c.in) {
			t.Errorf("%s %s: error %q does not name the interval", c.in, c.arg, err)
		}
		if c.ok && math.Abs(x-mustFloat(c.arg)) > 0 {
			t.Errorf("%s %s: stored %g", c.in, c.arg, x)
		}
	}
}

func mustFloat(s string) float64 {
	var x float64
	fmt.Sscan(s, &x)
	return x
}

// TestColumns: an empty list or an empty name in it is a usage error.
func TestColumns(t *testing.T) {
	if got, err := Columns("-c", "id, flops"); err != nil || len(got) != 2 || got[1] != "flops" {
		t.Errorf("Columns = %q, %v", got, err)
	}
	for _, bad := range []string{"", ",", "id,,flops", "id, "} {
		var ue *UsageError
		if _, err := Columns("-c", bad); !errors.As(err, &ue) {
			t.Errorf("%q: err %v, want a usage error", bad, err)
		}
	}
}

// TestClosedStdout runs this test binary as a program that writes one line to its
// standard output: started with standard output closed (>&-) it exits 1 with one
// line naming the cause; sent to /dev/null it exits 0.
func TestClosedStdout(t *testing.T) {
	if os.Getenv("DDS_CLI_WRITE_HELPER") == "1" {
		err := func() error {
			_, err := io.WriteString(Stdout(os.Stdout), "hello\n")
			return err
		}()
		os.Exit(Code("prog", err, os.Stderr))
	}
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	for redirect, want := range map[string]int{">&-": 1, "> /dev/null": 0} {
		cmd := exec.Command("sh", "-c", `exec "$0" -test.run '^TestClosedStdout$' `+redirect, os.Args[0])
		cmd.Env = append(os.Environ(), "DDS_CLI_WRITE_HELPER=1")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		err := cmd.Run()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != want {
			t.Errorf("%s: exit %d, want %d (stderr %q)", redirect, code, want, stderr.String())
		}
		if want == 1 && stderr.String() != "prog: "+ErrStdoutClosed.Error()+"\n" {
			t.Errorf("%s: stderr %q", redirect, stderr.String())
		}
	}
}

// TestParseBytes: suffixes are powers of 1024; fractions of a byte, negatives, NaN
// and sizes beyond 2^62 are refused.
func TestParseBytes(t *testing.T) {
	good := map[string]int64{"0": 0, "4096": 4096, "1K": 1024, "512M": 512 << 20, "1.5G": 3 << 29, "8GiB": 8 << 30, "2tb": 2 << 40, " 3g ": 3 << 30}
	for s, want := range good {
		if n, err := ParseBytes(s); err != nil || n != want {
			t.Errorf("%q: %d, %v; want %d", s, n, err, want)
		}
	}
	for _, s := range []string{"", "G", "-1G", "NaN", "1.5", "1e30", "5000000T", "12X"} {
		if n, err := ParseBytes(s); err == nil {
			t.Errorf("%q: accepted as %d", s, n)
		}
	}
	for n, want := range map[int64]string{512: "512 B", 1536: "1.5 KiB", 3 << 30: "3.0 GiB"} {
		if got := FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
