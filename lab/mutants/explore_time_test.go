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
	names := []string{"shared-direction-key", "ignore-sequence-token", "no-aad-binding"}
	if os.Getenv("QRLAB_EXPLORE_MUTANTS") == "1" {
		names = variant.MutantNames()
	}
	for _, n := range names {
		v, err := variant.LoadMutant(n)
		if err != nil {
			t.Fatal(err)
		}
		p, ok := plans[v.Mutations.List()[0]]
		if !ok {
			t.Fatalf("%s: no plan", n)
		}
		o, err := p.options(v, n)
		if err != nil {
			t.Fatal(err)
		}
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
