//go:build unix

package explore

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time the process has used so far (user and system,
// every thread's).
func cpuTime() time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		panic("getrusage: " + err.Error())
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}
