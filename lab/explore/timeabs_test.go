package explore

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"qrlab/model/qr"
	"qrlab/model/variant"
	"qrlab/sim"
)

// behaviours are what an exploration met: the pairs of endings at the
// states it fingerprinted, its violations, its coverage.
type behaviours struct {
	res     Result
	endings map[string]bool
	// views are the states' outside views (exploreBehaviours).
	views map[string]bool
	// violations counts the violating states met, by invariant.
	violations map[string]int
}

// exploreBehaviours runs o depth first on one worker, recording the
// endings met and going on past every violation (each violating state is a
// leaf: the search does not stop there), so that the whole reachable space
// is compared, not the part before the first violation.
func exploreBehaviours(t *testing.T, o Options) behaviours {
	t.Helper()
	b := behaviours{endings: map[string]bool{}, views: map[string]bool{}, violations: map[string]int{}}
	stateHook = func(r *sim.Runner) {
		n, e := r.Endings()
		b.endings[n.Outcome+"/"+n.Reason+" | "+e.Outcome+"/"+e.Reason] = true
		// What the state shows from outside: the machines' states, the
		// endings and the messages in flight (the message choices it
		// offers: kind, label, fault; not their times). Not the events
		// due at their own time (timers, timeouts, the user's acts):
		// which of them a state offers is decided by time order, which
		// the abstraction changes on purpose (an untimed timer is offered
		// beside the next timed event; exact time offers a long timer
		// alone when it is due first), so they would tell apart states
		// that show the same from outside.
		ns, es := r.States()
		var cs []string
		for _, c := range r.Enabled(nil) {
			if c.Kind == "request" || c.Kind == "answer" {
				cs = append(cs, c.Kind+" "+c.Label+" "+c.Fault.String())
			}
		}
		slices.Sort(cs)
		b.views[fmt.Sprint(ns, es, n.Outcome, n.Reason, e.Outcome, e.Reason, cs)] = true
	}
	violationHook = func(r *sim.Runner, v *sim.Violation) {
		b.violations[v.Invariant]++
		n, e := r.Endings()
		b.endings[n.Outcome+"/"+n.Reason+" | "+e.Outcome+"/"+e.Reason] = true
	}
	defer func() { stateHook, violationHook = nil, nil }()
	o.Workers, o.Mode = 1, "dfs"
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
	name      string
	variant   string
	intent    qr.Intent
	loss, dup int
	adv       []string
	// above is the bound M (0: DefaultUntimedAbove); freeLost frees a
	// lost exchange's timeout (Options.FreeLostTimeouts).
	above    int64
	freeLost bool
	// pace is the user's times (nil: the default user); tweak changes the
	// design's knobs.
	pace  *sim.User
	tweak func(*variant.Variant)
	// fires are ending reasons the exact exploration must reach: that of
	// a timer, timeout or expiry the abstraction makes untimed, so that
	// the comparison is not vacuous.
	fires []string
}

// checkCovers explores c with exact time and under the abstraction, both
// complete, each going on past its violations, and fails unless the
// abstraction met every ending pair, machine state and transition the
// exact exploration met, every outside view of a state (both machines'
// states, the endings, the choices offered, without times or numbers), and
// every invariant exact time violates. A violation only the abstraction
// meets (one relying on it) is logged, and the comparison goes on.
func checkCovers(t *testing.T, c timeCase) {
	t.Helper()
	v, err := variant.Load(c.variant)
	if err != nil {
		if v, err = variant.LoadMutant(c.variant); err != nil {
			t.Fatal(err)
		}
	}
	if c.tweak != nil {
		c.tweak(&v)
	}
	o := Options{Variant: v, VariantName: c.variant, Intent: c.intent, Loss: c.loss, Dup: c.dup, Adversaries: c.adv, Seed: 1,
		Pace: c.pace}
	ex := exploreBehaviours(t, o)
	o.Time, o.UntimedAboveMillis, o.FreeLostTimeouts = TimeAbstract, c.above, c.freeLost
	ab := exploreBehaviours(t, o)
	t.Logf("%s: exact %d states (%s), abstract %d states (%s); endings %d and %d; violations %v and %v", c.name,
		ex.res.States, status(ex.res), ab.res.States, status(ab.res), len(ex.endings), len(ab.endings), ex.violations, ab.violations)
	if !ex.res.Complete {
		t.Fatalf("%s: the exact exploration is not complete (%s): no reference", c.name, ex.res.Cut)
	}
	if !ab.res.Complete {
		t.Fatalf("%s: the abstract exploration is not complete (%s)", c.name, ab.res.Cut)
	}
	for _, reason := range c.fires {
		if !slices.ContainsFunc(slices.Collect(maps.Keys(ex.endings)), func(k string) bool { return strings.Contains(k, "/"+reason) }) {
			t.Errorf("%s: exact time never ends a device with %s: the case does not fire what it is for", c.name, reason)
		}
	}
	for inv := range ex.violations {
		if ab.violations[inv] == 0 {
			t.Errorf("%s: exact time violates %s, the abstraction never", c.name, inv)
		}
	}
	for k := range ex.endings {
		if !ab.endings[k] {
			t.Errorf("%s: ending pair %q met with exact time, not under the abstraction", c.name, k)
		}
	}
	lost := 0
	for k := range ex.views {
		if !ab.views[k] {
			if lost++; lost <= 3 {
				t.Errorf("%s: a state seen with exact time has no counterpart under the abstraction: %s", c.name, k)
			}
		}
	}
	if lost > 0 {
		t.Errorf("%s: %d of %d outside views of exact states missing under the abstraction", c.name, lost, len(ex.views))
	}
	for _, m := range []string{"new", "existing"} {
		if d := missing(ex.res.Coverage.States[m], ab.res.Coverage.States[m]); len(d) > 0 {
			t.Errorf("%s: %s device states reached with exact time only: %v", c.name, m, d)
		}
		if d := missing(ex.res.Coverage.Transitions[m], ab.res.Coverage.Transitions[m]); len(d) > 0 {
			t.Errorf("%s: %s device transitions taken with exact time only: %v", c.name, m, d)
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

// slowPace is the default user taking ms to decide at the provider.
func slowPace(ms float64) *sim.User {
	u := sim.DefaultUser()
	u.Consent = sim.Constant(ms)
	return &u
}

// TestTimeAbstractionCovers: on configurations exact time explores
// completely, the time abstraction reaches every pair of endings, machine
// state and transition, every outside view of a state, and violates every
// invariant exact time violates (an over-approximation loses no
// behaviour). Both explorations go on past their violations, so a
// violation only the abstraction has (one relying on it) hides nothing.
// The faultless cases fire no long timer with exact time (their logins end
// within M); the session-expiry case does. QRLAB_EXPLORE_TIME=1 adds
// larger ones: one duplicate in both intents, one loss in reciprocate.
// Merging by the fingerprint is checked by
// TestTimeAbstractionMergesSameFutures.
func TestTimeAbstractionCovers(t *testing.T) {
	cases := []timeCase{
		{name: "msc4388 login", variant: "msc4388", intent: qr.Login},
		{name: "msc4388 reciprocate", variant: "msc4388", intent: qr.Reciprocate},
		{name: "js-sdk-develop reciprocate", variant: "js-sdk-develop", intent: qr.Reciprocate},
		{name: "msc4108-2024 reciprocate", variant: "msc4108-2024", intent: qr.Reciprocate},
		{name: "shared-direction-key login", variant: "shared-direction-key", intent: qr.Login},
		{name: "ignore-sequence-token shoulder-surfer", variant: "ignore-sequence-token", intent: qr.Reciprocate, adv: []string{"shoulder-surfer"}},
		// The user takes 110 s at the provider: the rendezvous session
		// (120 s from its creation) expires with exact time while both
		// devices wait. M = 119.5 s makes its expiry untimed and free to
		// fire only from half a second before its due time on, which
		// keeps the abstract space small (4,130 states against 6,004).
		// This is the default case that fails when untimed events are
		// never offered: the expiry never comes and the expired endings
		// are missing.
		{name: "msc4388 reciprocate, session expires", variant: "msc4388", intent: qr.Reciprocate, pace: slowPace(110_000), above: 119_500,
			fires: []string{"rendezvous_expired"}},
	}
	if os.Getenv("QRLAB_EXPLORE_TIME") == "1" {
		cases = append(cases,
			timeCase{name: "msc4388 reciprocate dup", variant: "msc4388", intent: qr.Reciprocate, dup: 1},
			timeCase{name: "msc4388 login dup", variant: "msc4388", intent: qr.Login, dup: 1},
			timeCase{name: "rust-sdk-main reciprocate", variant: "rust-sdk-main", intent: qr.Reciprocate},
			timeCase{name: "msc4108-2025 login", variant: "msc4108-2025", intent: qr.Login},
			timeCase{name: "msc4388 reciprocate loss", variant: "msc4388", intent: qr.Reciprocate, loss: 1},
		)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkCovers(t, c) })
	}
}

// futureAbs is what a state under the time abstraction shows one step
// ahead, without what the abstraction leaves out: its endings' outcomes
// and violation, and for each choice its kind, label (a timer's without
// its number), fault, whether it is untimed and, when timed, how far
// ahead of the run's time it is due, with the fingerprint of the state it
// leads to.
func futureAbs(t *testing.T, r *sim.Runner) string {
	t.Helper()
	n, e := r.Endings()
	out := fmt.Sprintf("%s/%s|%s/%s|%v", n.Outcome, n.Reason, e.Outcome, e.Reason, r.Violation() != nil)
	if r.Violation() != nil {
		return out
	}
	now := r.Now()
	return out + "|" + successors(t, r, func(c sim.Choice, fp sim.Fingerprint) string {
		ahead := c.At - now
		if c.Kind == "timer" {
			c.Label = ""
		}
		if c.Untimed {
			ahead = 0
		}
		return fmt.Sprintf("%s %s %v untimed %v +%d→%x", c.Kind, c.Label, c.Fault, c.Untimed, ahead, fp)
	})
}

// TestTimeAbstractionMergesSameFutures: wherever the abstraction's
// fingerprint merges two states exact time tells apart (a time shift, a
// polling tail), the two show the same one step ahead: the same endings,
// the same choices, each due as far ahead (untimed ones not at all), each
// leading to states merged again. By induction the merged states have the
// same futures, so the explorer loses nothing by exploring one of them.
func TestTimeAbstractionMergesSameFutures(t *testing.T) {
	m4388 := variant.MustLoad("msc4388")
	cases := []struct {
		name string
		o    Options
	}{
		{"msc4388 reciprocate loss", Options{Variant: m4388, Intent: qr.Reciprocate, Loss: 1, MaxStates: 1500}},
		{"msc4388 reciprocate, session expires", Options{Variant: m4388, Intent: qr.Reciprocate, Pace: slowPace(115_000), UntimedAboveMillis: 115_000, MaxStates: 2000}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.o
			o.Seed, o.Mode, o.Workers, o.Time = 1, "dfs", 1, TimeAbstract
			states, merged := exploreCheckingMerges(t, o, futureAbs)
			t.Logf("%d states, %d merged meetings checked", states, merged)
			if merged == 0 {
				t.Errorf("the abstraction merged no state")
			}
		})
	}
}
