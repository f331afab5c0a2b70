package sysmem

import "golang.org/x/sys/unix"

// total asks sysinfo(2): total RAM in units of mem_unit bytes.
func total() (int64, error) {
	var si unix.Sysinfo_t
	if err := unix.Sysinfo(&si); err != nil {
		return 0, err
	}
	return int64(si.Totalram) * int64(si.Unit), nil
}
