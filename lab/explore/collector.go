package explore

import (
	"os"
	"runtime/debug"
	"sync"
)

// The garbage collector's target and soft memory limit an exploration runs
// with (SetCollector). The search allocates a state's snapshot or
// successor and drops most of them at once: a larger target than Go's
// default saves about a third of the CPU; the memory limit keeps the heap
// near the snapshots' bound when the live states grow.
//
// The limit is CollectorMemoryLimit above what the visited sets hold
// (holdSets): the sets are live until the search ends, so a fixed limit
// would be reached by the sets alone past some tens of millions of states
// (a set of 2^26 slots is 1 GiB), and from there the collector would run
// without pause for no memory back.
const (
	CollectorPercent     = 400
	CollectorMemoryLimit = 1 << 30
)

// collector is the explorer's setting in force, if any, and the bytes the
// visited sets of the explorations under way hold.
var collector struct {
	mu   sync.Mutex
	on   bool
	held int64
}

// SetCollector sets the garbage collector to the explorer's setting
// (CollectorPercent under CollectorMemoryLimit plus what the visited sets
// hold) unless GOGC is set in the environment, which then decides, and
// returns what puts back the setting before. `simrun explore` and the
// explorer's benchmarks run under it, so that a benchmark measures what an
// exploration costs.
func SetCollector() (restore func()) {
	if os.Getenv("GOGC") != "" {
		return func() {}
	}
	collector.mu.Lock()
	defer collector.mu.Unlock()
	percent := debug.SetGCPercent(CollectorPercent)
	limit := debug.SetMemoryLimit(CollectorMemoryLimit + collector.held)
	collector.on = true
	return func() {
		collector.mu.Lock()
		defer collector.mu.Unlock()
		collector.on = false
		debug.SetMemoryLimit(limit)
		debug.SetGCPercent(percent)
	}
}

// holdSets adds delta bytes to what the visited sets hold and, under the
// explorer's setting, moves the soft memory limit with them.
func holdSets(delta int64) {
	if delta == 0 {
		return
	}
	collector.mu.Lock()
	defer collector.mu.Unlock()
	collector.held += delta
	if collector.on {
		debug.SetMemoryLimit(CollectorMemoryLimit + collector.held)
	}
}
