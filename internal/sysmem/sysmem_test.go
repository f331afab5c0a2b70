package sysmem

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// TestTotal: on Linux the size equals /proc/meminfo's MemTotal.
func TestTotal(t *testing.T) {
	n, err := Total()
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		if err == nil {
			t.Fatalf("Total = %d on %s", n, runtime.GOOS)
		}
		return
	}
	if err != nil || n <= 0 {
		t.Fatalf("Total = %d, %v", n, err)
	}
	if runtime.GOOS != "linux" {
		return
	}
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			if kb*1024 != n {
				t.Errorf("Total = %d, MemTotal = %d", n, kb*1024)
			}
			return
		}
	}
	t.Skip("no MemTotal")
}
