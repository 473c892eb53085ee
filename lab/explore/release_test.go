package explore

import (
	"testing"
	"time"

	"qrlab/model/qr"
	"qrlab/model/variant"
)

// TestLevelReleasesSnapshots: a breadth-first level lets go of each
// expanded state's snapshot, so that after it only the new states'
// snapshots count against the bound; a level cut by the budget lets go of
// every snapshot it holds, its states' and the candidates'.
func TestLevelReleasesSnapshots(t *testing.T) {
	o := Options{Variant: variant.MustLoad("msc4388"), VariantName: "msc4388", Intent: qr.Login, Seed: 1, Workers: 1, Mode: "bfs"}
	e := &explorer{o: o, start: time.Now(), cov: newCoverage()}
	w, err := e.newWorker()
	if err != nil {
		t.Fatal(err)
	}
	if err := e.o.Replay(w.r, nil); err != nil {
		t.Fatal(err)
	}
	fp0, _, _ := e.fingerprint(w)
	e.seen.add(fp0)
	root, err := e.snapshot(w)
	if err != nil || root == nil {
		t.Fatalf("root snapshot: %v", err)
	}
	frontier := [][]item{{{snap: root}}}
	workers := []*worker{w}
	held := func(cands []candidate) (n int64) {
		for _, c := range cands {
			if c.snap != nil {
				n += int64(c.snap.Bytes)
			}
		}
		return n
	}
	// Three levels, each frontier the previous level's new states.
	for depth := range 3 {
		cands, err := e.level(workers, frontier)
		if err != nil || e.cut != "" {
			t.Fatalf("level %d: %v, cut %q", depth, err, e.cut)
		}
		if got, want := e.snapHeld.Load(), held(cands); got != want {
			t.Fatalf("level %d: %d bytes held after it, want %d (its %d candidates' snapshots only)", depth, got, want, len(cands))
		}
		next, done := e.merge(cands, len(workers))
		if done || len(next[0]) == 0 {
			t.Fatalf("level %d: the search ended (%v) or found no new state", depth, done)
		}
		frontier = next
	}
	if e.snapHeld.Load() == 0 {
		t.Fatal("no snapshot held for the next level")
	}
	e.deadline = time.Now().Add(-time.Second)
	if _, err := e.level(workers, frontier); err != nil || e.cut != "budget" {
		t.Fatalf("cut level: %v, cut %q", err, e.cut)
	}
	if got := e.snapHeld.Load(); got != 0 {
		t.Errorf("after a level cut by the budget, %d bytes of snapshots still counted", got)
	}
}
