package sim

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestLeadsCoverPushes: the table Leads closes over holds what taking a
// choice pushes. Along random walks over the presets and budgets of
// TestIndependentCommute, every enabled choice is taken from the walk's
// state, and every event it pushed (a pending event that was not pending
// before) must be of a class in pushes of the choice (leadDirect of its
// class, its own for a duplicate, nothing for a loss). Waiting lists only
// events at their own time that are pending and not enabled.
func TestLeadsCoverPushes(t *testing.T) {
	every := 1
	if testing.Short() {
		every = 3
	}
	taken, pushed := 0, 0
	seen := map[[2]accessClass]int{}
	for _, c := range commuteCases() {
		r := commuteRunner(t, c)
		rng := rand.New(rand.NewPCG(uint64(c.intent)+7, uint64(len(c.preset))))
		var path []Choice
		replayTo(t, r, 1, c, nil)
		for depth := 0; ; depth++ {
			en := slices.Clone(r.Enabled(nil))
			if len(en) == 0 {
				break
			}
			if depth%every == 0 {
				wait, ok := r.Waiting(nil)
				if !ok {
					t.Fatal("Waiting refused exact time")
				}
				for _, w := range wait {
					a, err := r.Access(w)
					if err != nil {
						t.Fatal(err)
					}
					if a.class != accFixed && a.class != accUnknown {
						t.Fatalf("%s %s: Waiting lists a message (%s %s)", c.preset, c.intent, w.Kind, w.Label)
					}
					if slices.ContainsFunc(en, func(e Choice) bool { return e.Seq == w.Seq }) {
						t.Fatalf("%s %s: Waiting lists an enabled event (%s %s)", c.preset, c.intent, w.Kind, w.Label)
					}
				}
				snap, err := r.Snapshot()
				if err != nil {
					t.Fatal(err)
				}
				for _, ch := range en {
					if err := r.Restore(snap); err != nil {
						t.Fatal(err)
					}
					a, err := r.Access(ch)
					if err != nil {
						t.Fatal(err)
					}
					before := map[uint64]bool{}
					for _, e := range r.q.ev {
						before[e.seq] = true
					}
					if err := r.Take(ch); err != nil {
						t.Fatal(err)
					}
					taken++
					if r.Stopped() {
						continue
					}
					lead := pushes(a)
					for _, e := range slices.Clone(r.q.ev) {
						if before[e.seq] {
							continue
						}
						b, err := r.Access(Choice{Seq: e.seq})
						if err != nil {
							t.Fatal(err)
						}
						pushed++
						seen[[2]accessClass{a.class, b.class}]++
						if !lead.has(b.class) {
							t.Errorf("%s %s, after %d steps: %s %s %s (class %d) pushed %s (class %d), not in its pushes %b",
								c.preset, c.intent, len(path), ch.Fault, ch.Kind, ch.Label, a.class, choiceKind(e.kind), b.class, lead)
						}
					}
				}
				if err := r.Restore(snap); err != nil {
					t.Fatal(err)
				}
			}
			ch := pickSparing(rng, en)
			if err := r.Take(ch); err != nil {
				t.Fatal(err)
			}
			path = append(path, ch)
		}
	}
	t.Logf("%d choices taken, %d events pushed; by (taken, pushed) class: %v", taken, pushed, seen)
	if pushed < 100 {
		t.Errorf("only %d pushed events checked", pushed)
	}
}
