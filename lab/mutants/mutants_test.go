package mutants

import (
	"strings"
	"testing"
	"time"

	"qrlab/model/variant"
)

// TestBatteryBuilds: every probe of every mutant's battery builds a
// simulator, and every property it names exists.
func TestBatteryBuilds(t *testing.T) {
	for _, name := range variant.MutantNames() {
		v, err := variant.LoadMutant(name)
		if err != nil {
			t.Fatal(err)
		}
		props, probes := battery(v.Mutations.List()[0])
		for _, pn := range props {
			propertyByName(pn) // panics on an unknown name
		}
		for _, p := range probes {
			if _, err := p.runner(v.Name); err != nil {
				t.Errorf("%s: %s: %v", name, p.label(), err)
			}
		}
	}
}

// TestHunt: a mutant a property catches is caught in process, one the
// simulator catches names the run and its replay command, and a hunt
// without seeds for a simulated-only mutant survives.
func TestHunt(t *testing.T) {
	if r := Hunt(variant.MutStaticNonce, time.Minute, 1); !r.Caught || r.How != "in-process" || len(r.Errors) > 0 {
		t.Errorf("static nonce: %+v", r)
	}
	r := Hunt(variant.MutSecretsBeforeSuccess, time.Minute, 5)
	if !r.Caught || r.Seed == 0 || !strings.HasPrefix(r.Replay, "simrun replay --scenario default --variant mutant/") || r.Sim == nil {
		t.Errorf("secrets before success: %+v", r)
	}
	if r := Hunt(variant.MutNoExpiry, time.Minute, 0); r.Caught || len(r.Survivors) == 0 {
		t.Errorf("no expiry without seeds: %+v", r)
	}
}

// TestReplayLine: a probe's replay line is lab.ReplayArgs' form, with no
// adversary written as none and swarm as --swarm=true.
func TestReplayLine(t *testing.T) {
	p := probe{scenario: "default", intent: "login", network: "lossy-3g", swarm: true}
	want := "simrun replay --scenario default --variant mutant/no-expiry --network lossy-3g --intent login --adversary none --swarm=true --seed 9"
	if got := p.replay("mutant/no-expiry", 9); got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
}
