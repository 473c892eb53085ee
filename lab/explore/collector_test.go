package explore

import (
	"os"
	"runtime/debug"
	"testing"

	"qrlab/sim"
)

// TestCollectorLimitFollowsSets checks that, under the explorer's
// collector setting, the soft memory limit stays CollectorMemoryLimit above
// what the visited sets hold as they grow, and comes back when the search
// releases them.
func TestCollectorLimitFollowsSets(t *testing.T) {
	if os.Getenv("GOGC") != "" {
		t.Skip("GOGC is set: the explorer leaves the collector alone")
	}
	limit := func() int64 { return debug.SetMemoryLimit(-1) }
	defer SetCollector()()
	if got := limit(); got != CollectorMemoryLimit {
		t.Fatalf("limit %d with no set held, want %d", got, CollectorMemoryLimit)
	}
	e := &explorer{shared: newSharedSet(true)}
	for i := range uint64(200_000) {
		e.seen.add(sim.Fingerprint{i*0x9e3779b97f4a7c15 + 1, i})
		fp := sim.Fingerprint{i * 0xbf58476d1ce4e5b9, i + 7}
		e.shared.shards[fp[1]%sharedShards].s.visit(fp, 3)
	}
	held := int64(len(e.seen.slots)) * fpBytes
	for i := range e.shared.shards {
		held += int64(len(e.shared.shards[i].s.slots)) * (fpBytes + 4)
	}
	if held < 200_000*2*fpBytes {
		t.Fatalf("the sets hold %d bytes for 400,000 fingerprints", held)
	}
	if got := limit(); got != CollectorMemoryLimit+held {
		t.Fatalf("limit %d with %d bytes of sets held, want %d", got, held, CollectorMemoryLimit+held)
	}
	e.releaseSets()
	if got := limit(); got != CollectorMemoryLimit {
		t.Fatalf("limit %d after the sets were released, want %d", got, CollectorMemoryLimit)
	}
}
