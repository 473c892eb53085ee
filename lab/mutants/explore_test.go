package mutants

import (
	"os"
	"strings"
	"testing"
	"time"

	"qrlab/model/variant"
)

// TestExplorePlans: every catalogue mutation has an exploration plan.
func TestExplorePlans(t *testing.T) {
	for _, m := range variant.MutationNames() {
		if _, ok := plans[m]; !ok {
			t.Errorf("mutation %s has no exploration plan", m)
		}
	}
}

// TestExploreFindsMutants: the explorer finds a few catalogue mutants with
// a counterexample no longer, in events, than the simulation's first
// detection of each. With QRLAB_EXPLORE_MUTANTS=1 it does so for the whole
// catalogue and logs the table (the README's); the bound is on states, not
// on time.
func TestExploreFindsMutants(t *testing.T) {
	names := []string{"shared-direction-key", "ignore-sequence-token", "no-aad-binding"}
	all := os.Getenv("QRLAB_EXPLORE_MUTANTS") == "1"
	if all {
		names = variant.MutantNames()
	}
	var rows []ExploreRow
	for _, n := range names {
		r := ExploreMutant(n, 0, 2_000_000, 30*time.Second)
		rows = append(rows, r)
		if len(r.Errors) > 0 {
			t.Errorf("%s: %v", n, r.Errors)
			continue
		}
		if !r.Found {
			t.Errorf("%s: not found (%s) in %d states", n, r.Flags, r.States)
			continue
		}
		if !r.NoLonger {
			t.Errorf("%s: counterexample %d events, the simulation's first detection %d (%s seed %d)", n, r.Events, r.SimEvents,
				r.SimProbe, r.SimSeed)
		}
	}
	if all {
		var b strings.Builder
		WriteExploreTable(&b, rows)
		t.Log("\n" + b.String())
	}
}

// TestExploreJobs: every exploration of the explorer battery is a valid
// configuration (its variant loads and its stepped simulator builds), and
// its flags name what the replay command needs.
func TestExploreJobs(t *testing.T) {
	for _, j := range exploreJobs() {
		v, err := variant.Load(j.preset)
		if err != nil {
			t.Fatalf("%s: %v", j.flags(), err)
		}
		o, err := j.plan.options(v, j.preset)
		if err != nil {
			t.Fatalf("%s: %v", j.flags(), err)
		}
		if _, err := o.Runner(false); err != nil {
			t.Errorf("%s: %v", j.flags(), err)
		}
		if !strings.Contains(j.flags(), "--mode dfs") {
			t.Errorf("%s: not depth first", j.flags())
		}
	}
}
