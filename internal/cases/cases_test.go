package cases

import (
	"slices"
	"testing"
)

func TestSplit(t *testing.T) {
	for _, c := range []struct {
		line string
		want []string
	}{
		{"show -c id,flops a.arrows", []string{"show", "-c", "id,flops", "a.arrows"}},
		{`show -c "" x`, []string{"show", "-c", "", "x"}},
		{`show -c '' x`, []string{"show", "-c", "", "x"}},
		{`compare --labels 'A again,E' a\ b "q\"uo\\te"`, []string{"compare", "--labels", "A again,E", "a b", `q"uo\te`}},
		{"  sample\t--list \n", []string{"sample", "--list"}},
		{`a"b c"d`, []string{"ab cd"}},
	} {
		got, err := Split(c.line)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("Split(%q) = %q, %v; want %q", c.line, got, err, c.want)
		}
	}
	for _, bad := range []string{`a 'b`, `a "b`} {
		if _, err := Split(bad); err == nil {
			t.Errorf("Split(%q): no error", bad)
		}
	}
}
