package formats

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ParseCount parses a non-negative count with an optional K, M or G suffix
// (powers of 1000, either case): "400M" = 400,000,000, "1.5G" = 1,500,000,000.
func ParseCount(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mul := 1.0
	if n := len(t); n > 0 {
		switch t[n-1] {
		case 'k', 'K':
			mul = 1e3
		case 'm', 'M':
			mul = 1e6
		case 'g', 'G':
			mul = 1e9
		}
		if mul != 1 {
			t = t[:n-1]
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v < 0 || math.IsNaN(v) || math.IsInf(v, 0) || v*mul > 9e18 {
		return 0, fmt.Errorf("bad count %q (want a non-negative number with an optional K, M or G suffix, e.g. 400M)", s)
	}
	return int64(math.Round(v * mul)), nil
}

// FormatCount writes n with the largest K/M/G suffix that keeps it short and exact
// to three significant digits where possible: 400000000 → "400M", 1500 → "1.5K".
func FormatCount(n int64) string {
	for _, u := range []struct {
		div float64
		suf string
	}{{1e9, "G"}, {1e6, "M"}, {1e3, "K"}} {
		if math.Abs(float64(n)) >= u.div {
			return strconv.FormatFloat(float64(n)/u.div, 'f', -1, 64) + u.suf
		}
	}
	return strconv.FormatInt(n, 10)
}

// ParseBounds parses "LO:HI" where either end may be empty (unbounded): "360M:400M",
// ":2M", "100K:". A single value "V" means exactly V.
func ParseBounds(s string) (Bounds, error) {
	lo, hi, ok := strings.Cut(s, ":")
	if !ok {
		hi = lo
	}
	var b Bounds
	var err error
	if strings.TrimSpace(lo) != "" {
		if b.Lo, err = ParseCount(lo); err != nil {
			return b, err
		}
	}
	if strings.TrimSpace(hi) != "" {
		if b.Hi, err = ParseCount(hi); err != nil {
			return b, err
		}
		if b.Hi == 0 {
			return b, fmt.Errorf("bad bounds %q: upper bound 0 admits nothing", s)
		}
	}
	if b.Hi != 0 && b.Lo > b.Hi {
		return b, fmt.Errorf("bad bounds %q: lower bound %s exceeds upper bound %s", s, FormatCount(b.Lo), FormatCount(b.Hi))
	}
	return b, nil
}
