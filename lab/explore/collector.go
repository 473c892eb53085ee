package explore

import (
	"os"
	"runtime/debug"
)

// The garbage collector's target and soft memory limit an exploration runs
// with (SetCollector). The search allocates a state's snapshot or
// successor and drops most of them at once: a larger target than Go's
// default saves about a third of the CPU; the memory limit keeps the heap
// near the snapshots' bound when the live states grow.
const (
	CollectorPercent     = 400
	CollectorMemoryLimit = 1 << 30
)

// SetCollector sets the garbage collector to the explorer's setting
// (CollectorPercent under CollectorMemoryLimit) unless GOGC is set in the
// environment, which then decides, and returns what puts back the setting
// before. `simrun explore` and the explorer's benchmarks run under it, so
// that a benchmark measures what an exploration costs.
func SetCollector() (restore func()) {
	if os.Getenv("GOGC") != "" {
		return func() {}
	}
	percent := debug.SetGCPercent(CollectorPercent)
	limit := debug.SetMemoryLimit(CollectorMemoryLimit)
	return func() {
		debug.SetMemoryLimit(limit)
		debug.SetGCPercent(percent)
	}
}
