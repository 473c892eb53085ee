package explore

import (
	"math/rand/v2"
	"os"
	"runtime"
	"testing"

	"qrlab/sim"
)

// TestTenMillionStatesMemory measures what a breadth-first exploration
// keeps for ten million distinct states (the fingerprint table and the
// search tree, grown as the search grows them) and holds it to the 1 GiB
// the lab promises. It counts the heap the Go runtime reports at each step
// of growth, so the table's transient doubling is included. It allocates
// several hundred megabytes: opt-in with QRLAB_MEMORY=1.
func TestTenMillionStatesMemory(t *testing.T) {
	if os.Getenv("QRLAB_MEMORY") == "" {
		t.Skip("set QRLAB_MEMORY=1 to measure ten million states")
	}
	const states = 10_000_000
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var s fpSet
	var tree []node
	rng := rand.New(rand.NewPCG(1, 2))
	peak := uint64(0)
	sample := func() {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		if m.HeapAlloc > peak {
			peak = m.HeapAlloc
		}
	}
	for i := range states {
		slots := len(s.slots)
		if !s.add(sim.Fingerprint{rng.Uint64(), rng.Uint64()}) {
			t.Fatalf("state %d: a random 128-bit fingerprint was already in the set", i)
		}
		c := cap(tree)
		tree = append(tree, node{parent: int32(i / 3), seq: uint32(i)})
		if len(s.slots) != slots || cap(tree) != c {
			sample()
		}
	}
	sample()
	if s.n != states || len(tree) != states {
		t.Fatalf("kept %d fingerprints and %d nodes, want %d each", s.n, len(tree), states)
	}
	used := peak - min(peak, base.HeapAlloc)
	t.Logf("ten million states: peak heap %.0f MiB (table %d slots of %d bytes, tree %d nodes of %d bytes)",
		float64(used)/(1<<20), len(s.slots), fpBytes, cap(tree), nodeBytes)
	if used > 1<<30 {
		t.Errorf("ten million states took %.0f MiB of heap at the peak, over 1 GiB", float64(used)/(1<<20))
	}
	runtime.KeepAlive(tree)
}
