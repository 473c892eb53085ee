package sim

import (
	"math/rand/v2"
	"slices"
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

// exchangeOf is the exchange of pending message or timeout seq.
func exchangeOf(t *testing.T, r *Runner, seq uint64) uint64 {
	t.Helper()
	for _, e := range r.q.ev {
		if e.seq == seq {
			return e.id
		}
	}
	t.Fatalf("no pending event %d", seq)
	return 0
}

// timeoutChoice is the enabled choice firing exchange id's timeout, if any.
func timeoutChoice(t *testing.T, r *Runner, id uint64) (Choice, bool) {
	t.Helper()
	for _, c := range r.Enabled(nil) {
		if c.Kind == "timeout" && exchangeOf(t, r, c.Seq) == id {
			return c, true
		}
	}
	return Choice{}, false
}

// messageChoice is the enabled choice taking exchange id's message of kind
// ("request" or "answer") under fault f.
func messageChoice(t *testing.T, r *Runner, id uint64, kind string, f Fault) Choice {
	t.Helper()
	for _, c := range r.Enabled(nil) {
		if c.Kind == kind && c.Fault == f && exchangeOf(t, r, c.Seq) == id {
			return c
		}
	}
	t.Fatalf("no %s of exchange %d under %v among %v", kind, id, f, r.Enabled(nil))
	return Choice{}
}

// TestLostExchangeTimeoutFree: under the time abstraction (with the default
// bound, 60 s, above every request timeout) a request's timeout keeps its
// exact time while its exchange can still complete, also when one copy of
// a duplicated request or its answer is lost (either first), and becomes a
// choice at once (before its due time, counted as an early firing) when the
// last copy in flight is lost; with exact time it is never offered before
// its due time.
func TestLostExchangeTimeoutFree(t *testing.T) {
	for _, tc := range []struct {
		above       Millis
		answerFirst bool
	}{{60_000, false}, {60_000, true}, {0, false}, {0, true}} {
		above := tc.above
		sc := snapCase{variant: "msc4388", intent: qr.Login, loss: 2, dup: 1}
		r := sc.runner(t)
		if err := r.StartStepped(1, Stepping{Loss: 2, Dup: 1, UntimedAbove: above, FreeLostTimeouts: true}); err != nil {
			t.Fatal(err)
		}
		var req Choice
		for depth := 0; ; depth++ {
			cs := r.Enabled(nil)
			if depth >= 30 {
				i := slices.IndexFunc(cs, func(c Choice) bool { return c.Kind == "request" && c.Fault == FaultNone })
				if i >= 0 {
					req = cs[i]
					break
				}
			}
			i := slices.IndexFunc(cs, func(c Choice) bool { return c.Fault == FaultNone && !c.Untimed })
			if i < 0 || depth > 200 {
				t.Fatalf("untimed %d: no request to lose after %d steps", above, depth)
			}
			if err := r.Take(cs[i]); err != nil {
				t.Fatal(err)
			}
		}
		id := exchangeOf(t, r, req.Seq)
		step := func(what string, c Choice, want bool) {
			t.Helper()
			if err := r.Take(c); err != nil {
				t.Fatal(err)
			}
			c, ok := timeoutChoice(t, r, id)
			switch {
			case ok != want:
				t.Fatalf("untimed %d: after %s (%s), timeout offered %v, want %v", above, what, req.Label, ok, want)
			case ok && (!c.Untimed || c.At <= r.Now()):
				t.Fatalf("untimed %d: after %s the timeout is offered as %+v at %d, want untimed and before its due time", above, what, c, r.Now())
			}
		}
		if _, ok := timeoutChoice(t, r, id); ok {
			t.Fatalf("untimed %d: the timeout of %s is offered before anything was lost", above, req.Label)
		}
		step("duplicating the request", messageChoice(t, r, id, "request", FaultDuplicate), false)
		if tc.answerFirst {
			step("losing the answer", messageChoice(t, r, id, "answer", FaultLose), false)
			step("losing the request's copy", messageChoice(t, r, id, "request", FaultLose), above > 0)
		} else {
			step("losing the request's copy", messageChoice(t, r, id, "request", FaultLose), false)
			step("losing the answer", messageChoice(t, r, id, "answer", FaultLose), above > 0)
		}
		if above == 0 {
			continue
		}
		c, _ := timeoutChoice(t, r, id)
		if err := r.Take(c); err != nil {
			t.Fatal(err)
		}
		if !r.ex[id].done || r.EarlyFirings() != 1 {
			t.Errorf("after the timeout: exchange done %v, early firings %d, want true and 1", r.ex[id].done, r.EarlyFirings())
		}
	}
}
