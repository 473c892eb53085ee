package explore

import (
	"sync"
	"testing"

	"qrlab/model/qr"
	"qrlab/model/variant"
	"qrlab/sim"
)

// TestReplayedPathsLeadToTheirStates: every state a depth-first search
// reaches again by replaying its path is the state the search left there:
// the path it rebuilds from the stack (a taker's from the path the giver
// copied, then its own frames) replays to the frame's identity. Under a
// snapshot bound of one byte every frame left is reached so, on one worker
// (plain, with sleep sets, persistent sets, the time abstraction,
// subsumption and a depth bound) and on two and three (where frames taken
// from another worker's stack are too, with subsumption and a depth
// bound).
func TestReplayedPathsLeadToTheirStates(t *testing.T) {
	m := variant.MustLoad("msc4388")
	cases := []struct {
		name string
		o    Options
	}{
		{"one worker", Options{Workers: 1}},
		{"sleep sets", Options{Workers: 1, POR: PORSleep}},
		{"persistent sets", Options{Workers: 1, POR: PORPersistent}},
		{"time abstract loss 1", Options{Workers: 1, Time: TimeAbstract, Loss: 1, MaxStates: 20_000}},
		{"subsume loss 1 depth 30", Options{Workers: 1, Subsume: true, Loss: 1, Depth: 30}},
		{"two workers", Options{Workers: 2}},
		{"three workers loss 1", Options{Workers: 3, Loss: 1, MaxStates: 20_000}},
		{"two workers subsume loss 1", Options{Workers: 2, Subsume: true, Loss: 1, MaxStates: 20_000}},
		{"two workers dup 1 depth 30", Options{Workers: 2, Dup: 1, Depth: 30}},
	}
	var mu sync.Mutex
	var replays, wrong int
	var first string
	replayHook = func(e *explorer, r *sim.Runner, path []Step, want sim.Fingerprint) {
		fp, _ := r.Fingerprint()
		if e.o.Subsume {
			fp = stateID(fp, spentOf(r))
		}
		mu.Lock()
		defer mu.Unlock()
		replays++
		if fp != want && first == "" {
			first = FormatPath(path)
		}
		if fp != want {
			wrong++
		}
	}
	defer func() { replayHook = nil }()
	for _, c := range cases {
		o := c.o
		o.Variant, o.VariantName, o.Intent, o.Seed, o.Mode, o.SnapshotBytes = m, "msc4388", qr.Reciprocate, 1, "dfs", 1
		replays, wrong, first = 0, 0, ""
		res, err := Explore(o)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if res.Violation != nil || (!res.Complete && res.Cut != "depth" && res.Cut != "states") || res.Workers != o.Workers {
			t.Fatalf("%s: violation %v, cut %q, %d workers", c.name, res.Violation, res.Cut, res.Workers)
		}
		if replays < res.States/10 {
			t.Errorf("%s: %d paths replayed in %d states", c.name, replays, res.States)
		}
		if o.Workers > 1 && res.Taken == 0 {
			t.Errorf("%s: no frame taken from another worker", c.name)
		}
		if wrong > 0 {
			t.Errorf("%s: %d of %d replayed paths led elsewhere than their frame's state, the first %s", c.name, wrong, replays, first)
		}
		t.Logf("%s: %d states, %d paths replayed, %d frames taken", c.name, res.States, replays, res.Taken)
	}
}
