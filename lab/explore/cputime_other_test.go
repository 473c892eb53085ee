//go:build !unix

package explore

import "time"

var cpuStart = time.Now()

// cpuTime is, where the process's CPU time is not read, the wall time
// since the tests began.
func cpuTime() time.Duration { return time.Since(cpuStart) }
