package scenarios

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"qrlab/model/variant"
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

// TestSetMarksProvenance: a "set" of variant knobs marks exactly those
// knobs (both of the timing.poll_ms pseudo-field) as overridden in the
// run's variant, and its status says so; the built-in preset is untouched.
func TestSetMarksProvenance(t *testing.T) {
	sc, err := Parse([]byte(`{"name":"x","variant":"msc4388-726e115","set":{
		"variant.flow.open_verification_uri":"https","variant.timing.poll_ms":500,"network.link.loss":0}}`), "set.json")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := sc.Config()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"flow.open_verification_uri", "timing.poll_backoff_max_ms", "timing.poll_interval_ms"}
	if got := cfg.Variant.Overridden(); !slices.Equal(got, want) {
		t.Fatalf("overridden %v, want %v", got, want)
	}
	if st := cfg.Variant.Status(); st != "text 726e115 (overridden: "+strings.Join(want, ", ")+")" {
		t.Fatalf("status %q", st)
	}
	ko, err := cfg.Variant.KnobOrigins()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range ko {
		if k.Name == "flow.open_verification_uri" && k.Origin.Kind() != variant.OriginOverridden {
			t.Fatalf("flow.open_verification_uri: origin %+v", k.Origin)
		}
	}
	if st, _ := variant.Status("msc4388-726e115"); st != "text 726e115" {
		t.Fatalf("the built-in preset changed: %q", st)
	}
}
