package sim

import (
	"math/rand/v2"
	"testing"

	"qrlab/model/qr"
)

// startAbstract begins sc's stepped run of seed under the time abstraction
// (timers set more than 5 s ahead untimed).
func (sc snapCase) startAbstract(r *Runner, seed uint64) error {
	return r.StartStepped(seed, Stepping{Loss: sc.loss, Dup: sc.dup, Resets: sc.resets, Careless: sc.careless, UntimedAbove: 5000})
}

// TestTimePartHashesMatchFull is TestPartHashesMatchFull under the time
// abstraction, whose encoding of a part changes when the run's time moves
// with no step touching it: over random paths with snapshots restored, the
// fingerprint with the part hashes kept equals the one worked out from
// nothing at every state.
func TestTimePartHashesMatchFull(t *testing.T) {
	walkCheckingParts(t, rand.New(rand.NewPCG(12, 18)), snapCases[:8], 3, 300, snapCase.startAbstract)
}

// tailWalk follows msc4388's run of intent under the time abstraction
// taking, at every state, the first choice that is neither a fault nor an
// untimed timer, except that it loses the first message the new device
// sends after lossAt steps; it returns, for each of the steps after the
// loss, the abstract and the exact fingerprint, and how many untimed timers
// were armed at the loss.
func tailWalk(t *testing.T, intent qr.Intent, lossAt, steps int) (abs, exact []Fingerprint, armed int) {
	t.Helper()
	sc := snapCase{variant: "msc4388", intent: intent, loss: 1}
	r := sc.runner(t)
	if err := sc.startAbstract(r, 1); err != nil {
		t.Fatal(err)
	}
	lost := false
	for depth := 0; depth < lossAt+steps; depth++ {
		cs := r.Enabled(nil)
		if len(cs) == 0 {
			t.Fatalf("the run ended after %d steps, before its tail", depth)
		}
		var take *Choice
		for i := range cs {
			c := &cs[i]
			if !lost && depth >= lossAt && c.Fault == FaultLose && c.Kind == "request" {
				take, lost = c, true
				break
			}
			if take == nil && c.Fault == FaultNone && !c.Untimed {
				take = c
			}
		}
		if take == nil {
			t.Fatalf("step %d: no timed choice among %v", depth, cs)
		}
		if err := r.Take(*take); err != nil {
			t.Fatal(err)
		}
		if lost && take.Fault == FaultLose {
			for _, c := range r.Enabled(nil) {
				if c.Untimed {
					armed++
				}
			}
		}
		if lost {
			fp, _ := r.Fingerprint()
			abs, exact = append(abs, fp), append(exact, r.FingerprintExact())
		}
	}
	return abs, exact, armed
}

// TestTimeAbstractionMergesTail: after a lost request, one device waits
// for its timeout while the other polls; with exact time each poll is a
// new state (the deadline nearer, the clocks and request numbers on), under
// the abstraction the polls come back to the same few states (those of the
// bound M after the timer's arming, then one cycle). The test
// counts the distinct states of 300 steps of such a tail both ways.
func TestTimeAbstractionMergesTail(t *testing.T) {
	for _, intent := range []qr.Intent{qr.Login, qr.Reciprocate} {
		abs, exact, armed := tailWalk(t, intent, 40, 300)
		da, de := map[Fingerprint]bool{}, map[Fingerprint]bool{}
		for i := range abs {
			da[abs[i]], de[exact[i]] = true, true
		}
		t.Logf("%v: %d steps after the loss (%d untimed timers armed): %d distinct states with exact time, %d under the abstraction",
			intent, len(abs), armed, len(de), len(da))
		if armed == 0 {
			t.Errorf("%v: no untimed timer armed after the loss", intent)
		}
		if len(de) < len(abs)*9/10 {
			t.Errorf("%v: exact time merged the tail already (%d of %d distinct): the walk is not a polling tail", intent, len(de), len(abs))
		}
		if len(da) > len(abs)/5 {
			t.Errorf("%v: the abstraction left %d distinct states in a tail of %d steps, want at most a fifth", intent, len(da), len(abs))
		}
	}
}
