package mutants

import (
	"testing"

	"qrlab/lab/explore"
)

// TestPersistentFindsMutants: depth first with persistent sets the
// explorer finds each catalogue mutant it finds depth first without them,
// with a violation of the same invariant, whose path replays in the
// simulator to that violation. Each mutant's plan (its adversary, user,
// budgets) is the one `simrun mutants --explore` uses, run depth first.
// Three fast ones by default; QRLAB_EXPLORE_MUTANTS=1 runs all twelve.
func TestPersistentFindsMutants(t *testing.T) {
	names := mutantsToExplore("shared-direction-key", "static-nonce", "ignore-sequence-token")
	for _, n := range names {
		p, o := planOptions(t, n)
		o.Mode, o.MaxStates = "dfs", 2_000_000
		var want string
		for _, por := range []string{explore.PORNone, explore.PORPersistent} {
			o.POR = por
			res, err := explore.Explore(o)
			if err != nil {
				t.Fatal(err)
			}
			if res.Violation == nil {
				t.Errorf("%s (%s, dfs, por %s): not found in %d states (cut %q)", n, p.flags(n), por, res.States, res.Cut)
				continue
			}
			got := res.Violation.Invariant
			if por == explore.PORNone {
				want = got
			} else if got != want {
				t.Errorf("%s: %s without reduction, %s with persistent sets", n, want, got)
			}
			_, rr, err := explore.Trace(o, res.Path)
			if err != nil {
				t.Fatal(err)
			}
			if rr.Violation == nil || rr.Violation.Invariant != got {
				t.Errorf("%s, por %s: replaying %s gave %v, want %s", n, por, explore.FormatPath(res.Path), rr.Violation, got)
			}
			t.Logf("%s, por %s: %s in %d states, %d events, %d states reduced", n, por, got, res.States, len(res.Path), res.Reduced)
		}
	}
}
