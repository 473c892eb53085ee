package explore

import (
	"fmt"
	"os"
	"slices"
	"testing"

	"qrlab/model/qr"
	"qrlab/model/variant"
	"qrlab/sim"
)

// behaviours are what an exploration met: the pairs of endings at the
// states it fingerprinted, its violation, its coverage.
type behaviours struct {
	res     Result
	endings map[string]bool
	// views are the states' outside views (exploreBehaviours).
	views map[string]bool
}

// exploreBehaviours runs o on one worker, recording the endings met.
func exploreBehaviours(t *testing.T, o Options) behaviours {
	t.Helper()
	b := behaviours{endings: map[string]bool{}, views: map[string]bool{}}
	stateHook = func(r *sim.Runner) {
		n, e := r.Endings()
		b.endings[n.Outcome+"/"+n.Reason+" | "+e.Outcome+"/"+e.Reason] = true
		// What the state shows from outside: the machines' states, the
		// endings and the choices it offers (kind, label, fault; not
		// their times or numbers).
		ns, es := r.States()
		var cs []string
		for _, c := range r.Enabled(nil) {
			cs = append(cs, c.Kind+" "+c.Label+" "+c.Fault.String())
		}
		slices.Sort(cs)
		b.views[fmt.Sprint(ns, es, n.Outcome, n.Reason, e.Outcome, e.Reason, cs)] = true
	}
	defer func() { stateHook = nil }()
	o.Workers = 1
	res, err := Explore(o)
	if err != nil {
		t.Fatal(err)
	}
	b.res = res
	return b
}

// missing lists what of want got lacks.
func missing(want, got []string) []string {
	var out []string
	for _, w := range want {
		if !slices.Contains(got, w) {
			out = append(out, w)
		}
	}
	return out
}

// timeCase is one configuration the abstraction is compared on.
type timeCase struct {
	variant   string
	intent    qr.Intent
	loss, dup int
	adv       []string
	mode      string
}

// checkCovers explores c with exact time and under the abstraction, both
// complete (or both stopped at a violation), and fails unless the
// abstraction met every ending pair, machine state and transition the exact
// exploration met, every outside view of a state (both machines' states,
// the endings, the choices offered, without times or numbers), and a
// violation wherever exact time has one.
func checkCovers(t *testing.T, c timeCase) {
	t.Helper()
	v, err := variant.Load(c.variant)
	if err != nil {
		if v, err = variant.LoadMutant(c.variant); err != nil {
			t.Fatal(err)
		}
	}
	o := Options{Variant: v, VariantName: c.variant, Intent: c.intent, Loss: c.loss, Dup: c.dup, Adversaries: c.adv, Mode: c.mode, Seed: 1}
	ex := exploreBehaviours(t, o)
	o.Time = TimeAbstract
	ab := exploreBehaviours(t, o)
	t.Logf("%+v: exact %d states (%s), abstract %d states (%s); endings %d and %d", c, ex.res.States, status(ex.res), ab.res.States,
		status(ab.res), len(ex.endings), len(ab.endings))
	if ex.res.Violation == nil && !ex.res.Complete {
		t.Fatalf("%+v: the exact exploration is not complete (%s): no reference", c, ex.res.Cut)
	}
	if ex.res.Violation != nil {
		if ab.res.Violation == nil {
			t.Errorf("%+v: exact time finds %s, the abstraction no violation", c, ex.res.Violation.Invariant)
		}
		return
	}
	if ab.res.Violation != nil {
		t.Logf("%+v: the abstraction finds %s (%+v)", c, ab.res.Violation.Invariant, ab.res.Abstraction)
		return // a spurious one stops it; nothing more to compare
	}
	if !ab.res.Complete {
		t.Fatalf("%+v: the abstract exploration is not complete (%s)", c, ab.res.Cut)
	}
	for k := range ex.endings {
		if !ab.endings[k] {
			t.Errorf("%+v: ending pair %q met with exact time, not under the abstraction", c, k)
		}
	}
	lost := 0
	for k := range ex.views {
		if !ab.views[k] {
			if lost++; lost <= 3 {
				t.Errorf("%+v: a state seen with exact time has no counterpart under the abstraction: %s", c, k)
			}
		}
	}
	if lost > 0 {
		t.Errorf("%+v: %d of %d outside views of exact states missing under the abstraction", c, lost, len(ex.views))
	}
	for _, m := range []string{"new", "existing"} {
		if d := missing(ex.res.Coverage.States[m], ab.res.Coverage.States[m]); len(d) > 0 {
			t.Errorf("%+v: %s device states reached with exact time only: %v", c, m, d)
		}
		if d := missing(ex.res.Coverage.Transitions[m], ab.res.Coverage.Transitions[m]); len(d) > 0 {
			t.Errorf("%+v: %s device transitions taken with exact time only: %v", c, m, d)
		}
	}
}

func status(r Result) string {
	switch {
	case r.Violation != nil:
		return "violation " + r.Violation.Invariant
	case r.Complete:
		return "complete"
	}
	return "cut by " + r.Cut
}

// TestTimeAbstractionCovers: on configurations exact time explores
// completely, the time abstraction reaches every pair of endings, machine
// state and transition, and finds a violation wherever exact time finds
// one (an over-approximation loses no behaviour). QRLAB_EXPLORE_TIME=1 adds
// larger ones: one duplicate in both intents, one loss in reciprocate.
func TestTimeAbstractionCovers(t *testing.T) {
	cases := []timeCase{
		{variant: "msc4388", intent: qr.Login, mode: "dfs"},
		{variant: "msc4388", intent: qr.Reciprocate, mode: "dfs"},
		{variant: "js-sdk-develop", intent: qr.Reciprocate, mode: "dfs"},
		{variant: "msc4108-2024", intent: qr.Reciprocate, mode: "dfs"},
		{variant: "shared-direction-key", intent: qr.Login},
		{variant: "ignore-sequence-token", intent: qr.Reciprocate, adv: []string{"shoulder-surfer"}},
	}
	if os.Getenv("QRLAB_EXPLORE_TIME") == "1" {
		cases = append(cases,
			timeCase{variant: "msc4388", intent: qr.Reciprocate, dup: 1, mode: "dfs"},
			timeCase{variant: "msc4388", intent: qr.Login, dup: 1, mode: "dfs"},
			timeCase{variant: "rust-sdk-main", intent: qr.Reciprocate, mode: "dfs"},
			timeCase{variant: "msc4108-2025", intent: qr.Login, mode: "dfs"},
			timeCase{variant: "msc4388", intent: qr.Reciprocate, loss: 1, mode: "dfs"},
		)
	}
	for _, c := range cases {
		checkCovers(t, c)
	}
}
