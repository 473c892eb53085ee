package mutants

import (
	"os"
	"testing"

	"qrlab/lab/explore"
	"qrlab/model/variant"
)

// TestExploreFindsMutantsAbstract: under the explorer's time abstraction
// (explore.TimeAbstract) each catalogue mutant's plan still ends in a
// violation: over-approximating time loses none of them. A few by default,
// the whole catalogue with QRLAB_EXPLORE_MUTANTS=1; each row is logged with
// whether its counterexample relies on the abstraction and what exact time
// made of it.
func TestExploreFindsMutantsAbstract(t *testing.T) {
	names := mutantsToExplore("shared-direction-key", "ignore-sequence-token", "no-aad-binding")
	for _, n := range names {
		p, o := planOptions(t, n)
		o.Time, o.MaxStates = explore.TimeAbstract, 2_000_000
		res, err := explore.Explore(o)
		if err != nil {
			t.Fatal(err)
		}
		if res.Violation == nil {
			t.Errorf("%s (%s, time abstract): not found (%d states, %s)", n, p.flags(n), res.States, res.Cut)
			continue
		}
		a := res.Abstraction
		if a == nil {
			t.Fatalf("%s: a violation under the abstraction without its judgement", n)
		}
		t.Logf("%s (%s): %s in %d events, %d states; relies on the abstraction %v (%d early); exact replay: %s", n, p.flags(n),
			res.Violation.Invariant, len(res.Path), res.States, a.Relies, a.EarlyFirings, a.Exact)
	}
}

// mutantsToExplore are the catalogue mutants an exploring test looks for:
// the fast ones it names, or the whole catalogue with
// QRLAB_EXPLORE_MUTANTS=1.
func mutantsToExplore(fast ...string) []string {
	if os.Getenv("QRLAB_EXPLORE_MUTANTS") == "1" {
		return variant.MutantNames()
	}
	return fast
}

// planOptions are catalogue mutant n's exploration plan and the explorer
// options it gives.
func planOptions(t *testing.T, n string) (plan, explore.Options) {
	t.Helper()
	v, p, err := planFor(n)
	if err != nil {
		t.Fatal(err)
	}
	o, err := p.options(v, n)
	if err != nil {
		t.Fatal(err)
	}
	return p, o
}
