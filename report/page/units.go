package page

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// si writes v with an SI prefix (k, M, G, T) and 3 significant digits: 12300 is
// "12.3k", 4.56e9 "4.56G"; below 1000 it is written plainly.
func si(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	a := math.Abs(v)
	for _, p := range []struct {
		f float64
		s string
	}{{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}} {
		if a >= p.f*0.9995 {
			return sig(v/p.f, 3) + p.s
		}
	}
	return sig(v, 3)
}

// sig writes v with at most n significant digits, without trailing zeros or an
// exponent for everyday magnitudes.
func sig(v float64, n int) string {
	if math.IsNaN(v) {
		return "–"
	}
	if v == 0 {
		return "0"
	}
	d := n - 1 - int(math.Floor(math.Log10(math.Abs(v))))
	if d < 0 {
		d = 0
	}
	if d > 6 {
		return strconv.FormatFloat(v, 'g', n, 64)
	}
	s := strconv.FormatFloat(v, 'f', d, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// pct writes an error in percent with two decimals, "–" for NaN.
func pct(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

// seconds writes a duration: "8.2 s", "3 min 05 s", "2 h 04 min".
func seconds(v float64) string {
	switch {
	case math.IsNaN(v):
		return "–"
	case v < 60:
		return sig(v, 3) + " s"
	case v < 3600:
		return fmt.Sprintf("%d min %02d s", int(v)/60, int(v)%60)
	}
	return fmt.Sprintf("%d h %02d min", int(v)/3600, int(v)%3600/60)
}

// unitOf returns how a design parameter's values read: counts of flops, params
// and acts with SI prefixes, others with 3 significant digits.
func unitOf(param string) func(float64) string {
	switch param {
	case "flops", "params", "acts":
		return si
	}
	return func(v float64) string { return sig(v, 3) }
}

// describe names a design parameter for captions and axis labels.
func describe(param string) string {
	switch param {
	case "flops":
		return "flops (multiply-adds)"
	case "params":
		return "parameters"
	case "acts":
		return "activations"
	case "depth":
		return "depth (blocks)"
	case "w0":
		return "RegNet w0 (initial width)"
	case "wa":
		return "RegNet wa (slope)"
	case "wm":
		return "RegNet wm (multiplier)"
	case "e_fit":
		return "RegNet fit error e_fit"
	case "b":
		return "bottleneck ratio b"
	case "g":
		return "group width g"
	}
	if len(param) >= 2 {
		if _, err := strconv.Atoi(param[1:]); err == nil {
			what := map[byte]string{'d': "depth", 'w': "width", 'b': "bottleneck ratio", 'g': "group width"}[param[0]]
			if what != "" {
				return fmt.Sprintf("%s %s (stage %s)", param, what, param[1:])
			}
		}
	}
	return param
}

// logAxis reports whether a parameter is drawn on a logarithmic axis: widths and
// complexity, which the spaces draw log-uniformly.
func logAxis(param string, values []float64) bool {
	log := false
	switch param {
	case "w0", "wa", "flops", "params", "acts":
		log = true
	default:
		log = len(param) >= 2 && param[0] == 'w' && param[1] >= '1' && param[1] <= '9'
	}
	for _, v := range values {
		if v <= 0 {
			return false
		}
	}
	return log
}
