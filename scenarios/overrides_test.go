package scenarios

import (
	"encoding/json"
	"slices"
	"testing"
)

// TestOverridesApply: set overrides replace the scenario's values, nil ones
// leave them, and "none" or false clear adversaries and swarm mode.
func TestOverridesApply(t *testing.T) {
	sc, err := Load("default")
	if err != nil {
		t.Fatal(err)
	}
	base := sc
	Overrides{}.Apply(&sc)
	if sc.Variant != base.Variant || sc.Runs != base.Runs || string(sc.Network) != string(base.Network) {
		t.Fatalf("empty overrides changed the scenario: %+v", sc)
	}
	v, net, adv, swarm, backup, seed, runs := "msc4108-2024", "lan", "flooder,deleter", true, true, uint64(7), 3
	Overrides{Variant: &v, Network: &net, Adversary: &adv, Swarm: &swarm, Backup: &backup, Seed: &seed, Runs: &runs}.Apply(&sc)
	var gotNet string
	if err := json.Unmarshal(sc.Network, &gotNet); err != nil || gotNet != net {
		t.Fatalf("network %s (%v)", sc.Network, err)
	}
	if sc.Variant != v || !slices.Equal(sc.Adversaries, []string{"flooder", "deleter"}) || string(sc.Swarm) != "{}" ||
		!sc.Backup || sc.Seed != seed || sc.Runs != runs {
		t.Fatalf("overrides not applied: %+v", sc)
	}
	none, off := "none", false
	Overrides{Adversary: &none, Swarm: &off}.Apply(&sc)
	if sc.Adversaries != nil || sc.Swarm != nil {
		t.Fatalf("none/false did not clear: adversaries %v, swarm %s", sc.Adversaries, sc.Swarm)
	}
	if _, err := sc.Config(); err != nil {
		t.Fatalf("overridden scenario does not build: %v", err)
	}
}
