package explore

import (
	"cmp"
	"fmt"
	"maps"
	"os"
	"slices"
	"testing"

	"qrlab/model/qr"
	"qrlab/model/variant"
	"qrlab/sim"
)

// deadEnds is what a depth-first search met at its dead ends: each ended
// state's outcome (the devices' endings and the end-of-run verdict), and
// each violation with the state it left the run in (viols), and by
// invariant alone (invs).
type deadEnds struct {
	res   Result
	ended map[sim.Fingerprint]string
	viols map[string]bool
	invs  map[string]bool
}

// exploreDeadEnds explores o depth first, past every violation (each
// violating state is a leaf), with persistent sets leaving out the rules
// in drop when o.POR is PORPersistent.
func exploreDeadEnds(t *testing.T, o Options, drop rule) deadEnds {
	t.Helper()
	o.Mode = "dfs"
	d := deadEnds{ended: map[sim.Fingerprint]string{}, viols: map[string]bool{}, invs: map[string]bool{}}
	leafHook = func(r *sim.Runner) {
		fp, _ := r.Fingerprint()
		n, e := r.Endings()
		d.ended[fp] = fmt.Sprintf("new %+v existing %+v", n, e)
	}
	violationHook = func(r *sim.Runner, v *sim.Violation) {
		fp, _ := r.Fingerprint()
		d.viols[fmt.Sprintf("%s at %x", v.Invariant, fp)] = true
		d.invs[v.Invariant] = true
	}
	defer func() { leafHook, violationHook = nil, nil }()
	e := &explorer{o: o, cov: newCoverage()}
	if o.POR == PORPersistent {
		e.pers = &persistent{drop: drop}
	}
	if err := e.dfs(); err != nil {
		t.Fatal(err)
	}
	d.res = e.result()
	if e.pers != nil {
		d.res.Reduced, d.res.LeftOut, d.res.Proviso = e.pers.reduced, e.pers.cut, e.pers.proviso
	}
	return d
}

// compareDeadEnds returns what the reduced search missed of the plain
// one's dead ends (an ended state, or one with another outcome; an
// invariant violated) and what it met that the plain search did not.
// Violations are compared by invariant, not by the state they leave: a
// persistent set keeps the ended states themselves, but reaches a
// violation through another order of independent choices, so in another
// state (persistent.go, Safety).
func compareDeadEnds(plain, red deadEnds) (missed, extra int, first string) {
	for fp, out := range plain.ended {
		if red.ended[fp] != out {
			missed++
			if first == "" {
				first = fmt.Sprintf("ended state %x (%s) not met, or met as %q", fp, out, red.ended[fp])
			}
		}
	}
	for v := range plain.invs {
		if !red.invs[v] {
			missed++
			if first == "" {
				first = "violation " + v + " not met"
			}
		}
	}
	for fp := range red.ended {
		if _, ok := plain.ended[fp]; !ok {
			extra++
		}
	}
	for v := range red.invs {
		if !plain.invs[v] {
			extra++
		}
	}
	return missed, extra, first
}

// persistentCases are the explorations the persistent-set tests compare:
// complete ones of msc4388 (reciprocate, and with one duplicate, where
// sets are proper subsets) and of two mutants (violations met and gone
// past), and one with a loss and a duplicate bounded in depth.
func persistentCases(t *testing.T) []Options {
	cases := []Options{
		{VariantName: "msc4388", Intent: qr.Reciprocate},
		{VariantName: "msc4388", Intent: qr.Login, Loss: 1, Dup: 1, Depth: 18},
		{VariantName: "secrets-before-success", Intent: qr.Login, Depth: 60},
		{VariantName: "static-nonce", Intent: qr.Reciprocate, Depth: 40},
		{VariantName: "msc4388", Intent: qr.Reciprocate, Dup: 1},
	}
	if os.Getenv("QRLAB_POR_LONG") != "" {
		cases = append(cases, Options{VariantName: "msc4388", Intent: qr.Login},
			Options{VariantName: "msc4388", Intent: qr.Reciprocate, Loss: 1, Depth: 40})
	}
	for i := range cases {
		o := &cases[i]
		o.Seed = 1
		v, err := variant.Load(o.VariantName)
		if err != nil {
			if v, err = variant.LoadMutant(o.VariantName); err != nil {
				t.Fatal(err)
			}
		}
		o.Variant = v
	}
	return cases
}

// TestPersistentSameDeadEnds: with persistent sets the depth-first search
// meets every ended state the plain search meets, with the same outcome,
// and every invariant violated, and none the plain search does not;
// intermediate states may be cut (the reduction promises its dead ends,
// not its coverage). QRLAB_POR_LONG=1 adds msc4388 login, and
// reciprocate with one loss bounded in depth.
func TestPersistentSameDeadEnds(t *testing.T) {
	for _, o := range persistentCases(t) {
		name := fmt.Sprintf("%s %s loss %d dup %d depth %d", o.VariantName, o.Intent, o.Loss, o.Dup, o.Depth)
		plain := exploreDeadEnds(t, o, 0)
		o.POR = PORPersistent
		red := exploreDeadEnds(t, o, 0)
		if o.Depth == 0 && len(plain.ended) == 0 {
			t.Fatalf("%s: the plain search met no ended state", name)
		}
		missed, extra, first := compareDeadEnds(plain, red)
		if missed > 0 || extra > 0 {
			t.Errorf("%s: %d dead ends missed, %d extra; first: %s", name, missed, extra, first)
		}
		if red.res.States > plain.res.States {
			t.Errorf("%s: %d states with persistent sets, %d without", name, red.res.States, plain.res.States)
		}
		t.Logf("%s: %d states (%d ended, %d violations) plain; %d states with persistent sets, %d reduced, %d choices left out",
			name, plain.res.States, len(plain.ended), len(plain.viols), red.res.States, red.res.Reduced, red.res.LeftOut)
	}
}

// TestPersistentCatchesBroken: a persistent set computed from the enabled
// choices and the independence relation alone (no rule for choices that
// may end the run, for what a choice brings about, or for fixed events
// waiting on earlier ones) cuts states and misses dead ends the plain
// search meets, and the comparison of TestPersistentSameDeadEnds says
// so; so does leaving out only the rule for what a choice brings about
// (rule 3).
func TestPersistentCatchesBroken(t *testing.T) {
	o := persistentCases(t)[0]
	plain := exploreDeadEnds(t, o, 0)
	o.POR = PORPersistent
	broken := exploreDeadEnds(t, o, dropAll)
	missed, _, first := compareDeadEnds(plain, broken)
	if broken.res.Reduced == 0 || missed == 0 {
		t.Fatalf("broken sets: %d states reduced, %d dead ends missed: the comparison does not catch them", broken.res.Reduced, missed)
	}
	t.Logf("broken sets: %d states (plain %d), %d reduced; %d dead ends missed, first: %s", broken.res.States, plain.res.States,
		broken.res.Reduced, missed, first)
	noLead := exploreDeadEnds(t, o, ruleLead)
	missed, _, first = compareDeadEnds(plain, noLead)
	if noLead.res.Reduced == 0 || missed == 0 {
		t.Errorf("without rule 3: %d states reduced, %d dead ends missed: the comparison does not catch it", noLead.res.Reduced, missed)
	}
	t.Logf("without rule 3: %d states (plain %d); %d dead ends missed, first: %s", noLead.res.States, plain.res.States, missed, first)
}

// TestPersistentRules, with QRLAB_POR_MEASURE=1, measures what each rule
// of the closure costs: msc4388 in both intents without faults and
// reciprocate with one duplicate, explored with persistent sets leaving
// out each rule and each pair of rules, and rule 3 without the fixed
// events a choice brings about (bit 1000), against the plain search
// (states, states reduced, dead ends missed). Only the sound sets
// (nothing left out) promise the plain search's dead ends.
func TestPersistentRules(t *testing.T) {
	if os.Getenv("QRLAB_POR_MEASURE") == "" {
		t.Skip("set QRLAB_POR_MEASURE=1 to measure")
	}
	m := variant.MustLoad("msc4388")
	for _, o := range []Options{{Intent: qr.Login}, {Intent: qr.Reciprocate}, {Intent: qr.Reciprocate, Dup: 1}} {
		o.Variant, o.VariantName, o.Seed = m, "msc4388", 1
		plain := exploreDeadEnds(t, o, 0)
		t.Logf("%s dup %d: plain %d states, %d transitions, %d ended", o.Intent, o.Dup, plain.res.States, plain.res.Transitions, len(plain.ended))
		o.POR = PORPersistent
		for _, drop := range []rule{0, ruleStop, ruleLead, ruleWait, ruleStop | ruleLead, ruleStop | ruleWait, ruleLead | ruleWait, dropAll,
			ruleLeadFixed, ruleStop | ruleLeadFixed, ruleStop | ruleLeadFixed | ruleWait, ruleSides, ruleSides | ruleLeadFixed} {
			red := exploreDeadEnds(t, o, drop)
			missed, extra, _ := compareDeadEnds(plain, red)
			t.Logf("  without rules %05b: %d states, %d transitions, %d reduced, %d left out; dead ends missed %d, extra %d",
				drop, red.res.States, red.res.Transitions, red.res.Reduced, red.res.LeftOut, missed, extra)
		}
	}
}

// TestPersistentWhy, with QRLAB_POR_MEASURE=1, counts why each choice
// joined its persistent set (the rule, the joining choice's class and the
// class of the choice of T it relates to) over the sets of msc4388
// explored with persistent sets, fault-free in both intents and with one
// duplicate (QRLAB_POR_LONG=1: also reciprocate with one loss), with the
// sound sets and with the measuring relation (ruleSides, and rule 3
// without fixed events): which dependency keeps the sets full.
func TestPersistentWhy(t *testing.T) {
	if os.Getenv("QRLAB_POR_MEASURE") == "" {
		t.Skip("set QRLAB_POR_MEASURE=1 to measure")
	}
	m := variant.MustLoad("msc4388")
	cases := []Options{{Intent: qr.Login}, {Intent: qr.Reciprocate}, {Intent: qr.Login, Dup: 1}, {Intent: qr.Reciprocate, Dup: 1}}
	if os.Getenv("QRLAB_POR_LONG") != "" {
		cases = append(cases, Options{Intent: qr.Reciprocate, Loss: 1})
	}
	for _, o := range cases {
		o.Variant, o.VariantName, o.Seed, o.Mode, o.POR = m, "msc4388", 1, "dfs", PORPersistent
		for _, drop := range []rule{0, ruleSides | ruleLeadFixed} {
			e := &explorer{o: o, cov: newCoverage(), pers: &persistent{drop: drop}}
			if err := e.dfs(); err != nil {
				t.Fatal(err)
			}
			res := e.result()
			t.Logf("%s loss %d dup %d, without rules %05b: %d states, %d transitions, %d sets, %d reduced, %d left out", o.Intent, o.Loss,
				o.Dup, drop, res.States, res.Transitions, e.pers.sets, e.pers.reduced, e.pers.cut)
			keys := slices.Collect(maps.Keys(e.pers.why))
			slices.SortFunc(keys, func(a, b string) int { return cmp.Compare(e.pers.why[b], e.pers.why[a]) })
			for _, k := range keys[:min(12, len(keys))] {
				t.Logf("  %8d  %s", e.pers.why[k], k)
			}
		}
	}
}
