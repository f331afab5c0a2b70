package sysmem

import "golang.org/x/sys/unix"

// total asks the hw.memsize sysctl.
func total() (int64, error) {
	n, err := unix.SysctlUint64("hw.memsize")
	return int64(n), err
}
