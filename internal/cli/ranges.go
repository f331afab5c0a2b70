package cli

import (
	"flag"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// intRange is an int flag value that must lie in [lo, hi].
type intRange struct {
	p      *int
	lo, hi int64
}

func (v *intRange) String() string {
	if v == nil || v.p == nil {
		return "0"
	}
	return strconv.Itoa(*v.p)
}

func (v *intRange) Set(s string) error {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 0, 64)
	if err != nil {
		return fmt.Errorf("not a whole number in [%d, %d]", v.lo, v.hi)
	}
	if n < v.lo || n > v.hi {
		return fmt.Errorf("%d is outside [%d, %d]", n, v.lo, v.hi)
	}
	*v.p = int(n)
	return nil
}

// IntIn defines an int flag with default value whose values must lie in [lo, hi];
// any other value (one that would wrap in a 32-bit column, say) is a usage error that
// names the range. The help text shows the range.
func (f *Flags) IntIn(p *int, name string, value, lo, hi int, usage string) {
	*p = value
	f.Var(&intRange{p: p, lo: int64(lo), hi: int64(hi)}, name, fmt.Sprintf("%s (a whole `number` in [%d, %d])", usage, lo, hi))
}

// Interval is a range of real numbers, each end open or closed.
type Interval struct {
	Lo, Hi         float64
	OpenLo, OpenHi bool
}

// In parses an interval written as in mathematics: "[0, 1)", "(0, 1]", "[1, 100]".
// It panics on anything else, since intervals are written in the program.
func In(s string) Interval {
	s = strings.TrimSpace(s)
	if len(s) < 5 || !strings.ContainsRune("[(", rune(s[0])) || !strings.ContainsRune("])", rune(s[len(s)-1])) {
		panic("cli.In: bad interval " + s)
	}
	lo, hi, ok := strings.Cut(s[1:len(s)-1], ",")
	a, err1 := strconv.ParseFloat(strings.TrimSpace(lo), 64)
	b, err2 := strconv.ParseFloat(strings.TrimSpace(hi), 64)
	if !ok || err1 != nil || err2 != nil || !(a <= b) {
		panic("cli.In: bad interval " + s)
	}
	return Interval{Lo: a, Hi: b, OpenLo: s[0] == '(', OpenHi: s[len(s)-1] == ')'}
}

// Contains reports whether x lies in r (never for NaN).
func (r Interval) Contains(x float64) bool {
	if math.IsNaN(x) || x < r.Lo || x > r.Hi {
		return false
	}
	return !(r.OpenLo && x == r.Lo) && !(r.OpenHi && x == r.Hi)
}

func (r Interval) String() string {
	l, h := "[", "]"
	if r.OpenLo {
		l = "("
	}
	if r.OpenHi {
		h = ")"
	}
	return fmt.Sprintf("%s%g, %g%s", l, r.Lo, r.Hi, h)
}

// floatRange is a float64 flag value that must lie in an interval.
type floatRange struct {
	p *float64
	r Interval
}

func (v *floatRange) String() string {
	if v == nil || v.p == nil {
		return "0"
	}
	return strconv.FormatFloat(*v.p, 'g', -1, 64)
}

func (v *floatRange) Set(s string) error {
	x, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return fmt.Errorf("not a number in %s", v.r)
	}
	if !v.r.Contains(x) {
		return fmt.Errorf("%g is outside %s", x, v.r)
	}
	*v.p = x
	return nil
}

// FloatIn defines a float64 flag with default value whose values must lie in r
// (see In); NaN, infinities outside r and anything else are usage errors that name r.
func (f *Flags) FloatIn(p *float64, name string, value float64, r Interval, usage string) {
	*p = value
	f.Var(&floatRange{p: p, r: r}, name, fmt.Sprintf("%s (a `number` in %s)", usage, r))
}

// IsSet reports whether flag name was given on the command line.
func (f *Flags) IsSet(name string) bool {
	set := false
	f.Visit(func(fl *flag.Flag) { set = set || fl.Name == name })
	return set
}

// Columns splits a comma-separated list of column names given to flag name. Every
// name must be non-empty: "" or "a,,b" is a usage error.
func Columns(name, list string) ([]string, error) {
	parts := strings.Split(list, ",")
	for i, p := range parts {
		parts[i] = strings.TrimSpace(p)
		if parts[i] == "" {
			return nil, Usagef("%s %q: a column name is empty", name, list)
		}
	}
	return parts, nil
}

// ParseBytes reads a size in bytes: a number with an optional suffix K, M, G or T
// (powers of 1024; "KiB", "GB" and the like read the same), e.g. 512M, 1.5G, 4096.
// It must be a whole number of bytes in [0, 2^62].
func ParseBytes(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "B"), "I")
	mult := 1.0
	if n := len(t); n > 0 {
		if i := strings.IndexByte("KMGT", t[n-1]); i >= 0 {
			mult = math.Pow(1024, float64(i+1))
			t = t[:n-1]
		}
	}
	x, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
	if err != nil || !(x >= 0) || x*mult > 1<<62 || x*mult != math.Trunc(x*mult) {
		return 0, fmt.Errorf("%q is not a size in bytes (a number with K, M, G or T, e.g. 8G)", s)
	}
	return int64(x * mult), nil
}

// FormatBytes writes n in the largest of B, KiB, MiB, GiB and TiB that keeps it at
// least 1, with one decimal above bytes.
func FormatBytes(n int64) string {
	units := []string{"KiB", "MiB", "GiB", "TiB"}
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	x, u := float64(n)/1024, 0
	for x >= 1024 && u < len(units)-1 {
		x, u = x/1024, u+1
	}
	return fmt.Sprintf("%.1f %s", x, units[u])
}

// bytesValue is a size flag value read by ParseBytes.
type bytesValue struct{ p *int64 }

func (v *bytesValue) String() string {
	if v == nil || v.p == nil || *v.p == 0 {
		return ""
	}
	return FormatBytes(*v.p)
}

func (v *bytesValue) Set(s string) error {
	n, err := ParseBytes(s)
	if err == nil {
		*v.p = n
	}
	return err
}

// BytesVar defines a size flag read by ParseBytes (8G, 512M, ...), 0 by default.
func (f *Flags) BytesVar(p *int64, name, usage string) {
	f.Var(&bytesValue{p: p}, name, usage)
}
