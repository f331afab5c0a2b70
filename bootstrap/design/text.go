package design

import (
	"strconv"
	"strings"
)

// formatFloat writes v in the shortest form that reads back the same, at most 4
// significant digits for non-integers.
func formatFloat(v float64) string {
	if v == float64(int64(v)) && (v < 1e15 && v > -1e15) {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

func formatList(v []float64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = formatFloat(x)
	}
	return "{" + strings.Join(s, ",") + "}"
}
