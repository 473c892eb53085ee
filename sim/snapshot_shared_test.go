package sim

import (
	"maps"
	"math/rand/v2"
	"reflect"
	"testing"
)

// TestSharedMapsCopiedOnWrite: the trace observer's failed requests, which
// snapshots share with the live run (sharedMaps), are never written while
// shared: over random paths of several presets with faults, every held
// snapshot restores to the failed requests and request kinds the run had
// when it was taken, however the run went on from it and from the others,
// and a run restored and stepped on finishes with the request kinds a
// replay of its path gives.
func TestSharedMapsCopiedOnWrite(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 18))
	type held struct {
		snap   *Snapshot
		failed map[requestKey]bool
		kinds  RequestKinds
		path   []Choice
	}
	checked := 0
	for _, sc := range snapCases {
		live, replay := sc.runner(t), sc.runner(t)
		for walk := range 2 {
			seed := uint64(1 + walk)
			if err := sc.start(live, seed); err != nil {
				t.Fatal(err)
			}
			var stack []held
			var path []Choice
			for depth := 0; ; depth++ {
				switch k := rng.IntN(5); {
				case k == 0 && depth < 400:
					s, err := live.Snapshot()
					if err != nil {
						t.Fatal(err)
					}
					stack = append(stack, held{s, maps.Clone(live.tr.obs.failed), live.tr.obs.kinds, append([]Choice(nil), path...)})
				case k == 1 && len(stack) > 0 && depth < 400:
					h := stack[rng.IntN(len(stack))]
					if err := live.Restore(h.snap); err != nil {
						t.Fatal(err)
					}
					if !maps.Equal(live.tr.obs.failed, h.failed) || live.tr.obs.kinds != h.kinds {
						t.Fatalf("%v seed %d depth %d: restored failed requests %v (kinds %+v), taken with %v (%+v)",
							sc, seed, depth, live.tr.obs.failed, live.tr.obs.kinds, h.failed, h.kinds)
					}
					path = append(path[:0], h.path...)
					checked++
				}
				cs := live.Enabled(nil)
				if len(cs) == 0 {
					break
				}
				c := cs[rng.IntN(len(cs))]
				if err := live.Take(c); err != nil {
					t.Fatal(err)
				}
				path = append(path, c)
			}
			got := live.Finish()
			if err := sc.start(replay, seed); err != nil {
				t.Fatal(err)
			}
			for _, c := range path {
				if err := replay.Take(c); err != nil {
					t.Fatal(err)
				}
			}
			want := replay.Finish()
			if !reflect.DeepEqual(got.RequestKinds, want.RequestKinds) {
				t.Fatalf("%v seed %d: request kinds %+v after restores, %+v replayed", sc, seed, got.RequestKinds, want.RequestKinds)
			}
		}
	}
	if checked < 50 {
		t.Fatalf("only %d restores checked", checked)
	}
}
