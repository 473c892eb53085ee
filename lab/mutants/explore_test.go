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

// TestPlanFlags: a plan's flags name the variant, then each setting the
// plan names (an intent or a seed also when it is the flag's default), in
// one order; the battery's jobs add depth first and their duplicates.
func TestPlanFlags(t *testing.T) {
	for name, want := range map[string]string{
		variant.MutStaticNonce:              "--variant static-nonce",
		variant.MutIgnoreETag:               "--variant ignore-etag --intent reciprocate --adversary shoulder-surfer",
		variant.MutReuseEphemeralKey:        "--variant reuse-ephemeral-key --intent reciprocate --adversary replayer --seed 3",
		variant.MutAcceptUnexpectedMessages: "--variant accept-unexpected-messages --adversary rogue-peer --mode dfs",
		variant.MutNoExpiry:                 "--variant no-expiry --mode dfs --loss 1",
		variant.MutNoWhoamiCheck:            "--variant no-whoami-check --adversary account-confusion --user careless --pace attack-account-confusion-blind-user",
	} {
		if got := plans[name].flags(name); got != want {
			t.Errorf("%s: flags %q, want %q", name, got, want)
		}
	}
	for _, c := range []struct {
		j    exploreJob
		want string
	}{
		{exploreJob{preset: "msc4388-726e115", plan: plan{intent: "login", careless: true}}, "--variant msc4388-726e115 --intent login --user careless --mode dfs"},
		{exploreJob{preset: "msc4388-726e115", plan: plan{intent: "reciprocate", loss: 1}}, "--variant msc4388-726e115 --intent reciprocate --loss 1 --mode dfs"},
		{exploreJob{preset: "msc4388-726e115", plan: plan{intent: "login"}, dup: 1}, "--variant msc4388-726e115 --intent login --mode dfs --dup 1"},
		{exploreJob{preset: "msc4388-726e115", plan: plan{adversary: "camera", seed: 1}}, "--variant msc4388-726e115 --adversary camera --seed 1 --mode dfs"},
	} {
		if got := c.j.flags(); got != c.want {
			t.Errorf("job flags %q, want %q", got, c.want)
		}
	}
}
