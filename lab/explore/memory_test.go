package explore

import (
	"math/rand/v2"
	"os"
	"runtime"
	"testing"

	"qrlab/sim"
)

// TestTenMillionStatesMemory measures what an exploration keeps for ten
// million distinct states (the fingerprint table, grown as the search grows
// it: nothing else is kept per visited state; the paths of the states still
// to be expanded, the depth-first stack or the breadth-first frontier's, come
// on top) and holds it to the 1 GiB the lab promises. It counts the heap the
// Go runtime reports at each step of growth, so the table's transient
// doubling is included. It allocates a few hundred megabytes: opt-in with
// QRLAB_MEMORY=1.
func TestTenMillionStatesMemory(t *testing.T) {
	if os.Getenv("QRLAB_MEMORY") == "" {
		t.Skip("set QRLAB_MEMORY=1 to measure ten million states")
	}
	const states = 10_000_000
	heap := startHeapPeak()
	sample := heap.sample
	var s fpSet
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range states {
		slots := len(s.slots)
		if !s.add(sim.Fingerprint{rng.Uint64(), rng.Uint64()}) {
			t.Fatalf("state %d: a random 128-bit fingerprint was already in the set", i)
		}
		if len(s.slots) != slots {
			sample()
		}
	}
	sample()
	if s.n != states {
		t.Fatalf("kept %d fingerprints, want %d", s.n, states)
	}
	used := heap.used()
	t.Logf("ten million states: peak heap %.0f MiB (table %d slots of %d bytes)", float64(used)/(1<<20), len(s.slots), fpBytes)
	if used > 1<<30 {
		t.Errorf("ten million states took %.0f MiB of heap at the peak, over 1 GiB", float64(used)/(1<<20))
	}
	runtime.KeepAlive(&s)
}

// TestTenMillionStatesSharedSubsumed is the same measurement for the
// visited set the depth-first workers share (64 shards, each grown on its
// own) filled as budget subsumption fills it under one loss and one
// duplicate: each state an identity of a random key and one of the four
// vectors, inserted through the cover check (visitKey), so a state with a
// cover stored is pruned and costs nothing, and the set holds only
// identities. Subsumption keeps no record beside them: a cover is found
// by looking up the identities of the smaller vectors. Opt-in with
// QRLAB_MEMORY=1.
func TestTenMillionStatesSharedSubsumed(t *testing.T) {
	if os.Getenv("QRLAB_MEMORY") == "" {
		t.Skip("set QRLAB_MEMORY=1 to measure ten million states")
	}
	const states = 10_000_000
	e := &explorer{o: Options{Subsume: true, Loss: 1, Dup: 1}}
	heap := startHeapPeak()
	sample := heap.sample
	set := newSharedSet(false)
	rng := rand.New(rand.NewPCG(1, 2))
	stored, pruned := 0, 0
	var key sim.Fingerprint
	for stored < states {
		// Every other state a new key; else the last key with another
		// vector (a cover, or one that a cover prunes).
		if rng.IntN(2) == 0 || stored == 0 {
			key = sim.Fingerprint{rng.Uint64(), rng.Uint64()}
		}
		u := spent{int32(rng.IntN(2)), int32(rng.IntN(2)), 0}
		sh := &set.shards[norm(key)[1]>>58].s // the shard visitKey fills
		slots := len(sh.slots)
		_, seen, isNew, covered := set.visitKey(e, key, stateID(key, u), u, 0)
		if len(sh.slots) != slots {
			sample() // the shard grew
		}
		switch {
		case covered:
			pruned++
			continue
		case seen || !isNew:
			continue
		}
		stored++
	}
	sample()
	slots, n := 0, 0
	for i := range set.shards {
		slots += len(set.shards[i].s.slots)
		n += set.shards[i].s.n
	}
	if n != states {
		t.Fatalf("the set holds %d identities, want %d", n, states)
	}
	used := heap.used()
	t.Logf("ten million states (%d more pruned as covered): peak heap %.0f MiB (%d slots of %d bytes in %d shards)",
		pruned, float64(used)/(1<<20), slots, fpBytes, sharedShards)
	if used > 1<<30 {
		t.Errorf("ten million states took %.0f MiB of heap at the peak, over 1 GiB", float64(used)/(1<<20))
	}
	runtime.KeepAlive(set)
}

// heapPeak follows the heap's peak above what it was at the start.
type heapPeak struct{ base, peak uint64 }

// startHeapPeak collects garbage and takes the heap now as the base.
func startHeapPeak() *heapPeak {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return &heapPeak{base: m.HeapAlloc}
}

// sample reads the heap and keeps it if it is the highest yet.
func (h *heapPeak) sample() {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	h.peak = max(h.peak, m.HeapAlloc)
}

// used is the peak above the base.
func (h *heapPeak) used() uint64 { return h.peak - min(h.peak, h.base) }
