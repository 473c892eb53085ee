package lab

import (
	"testing"

	"qrlab/scenarios"
)

// TestReplayArgs: only the overrides that are set appear, in a fixed
// order, booleans as --flag=value, and the seed last.
func TestReplayArgs(t *testing.T) {
	v, adv, swarm := "msc4108-2024", "none", false
	got := ReplayArgs("mine.json", scenarios.Overrides{Variant: &v, Adversary: &adv, Swarm: &swarm}, 42)
	if want := "--scenario mine.json --variant msc4108-2024 --adversary none --swarm=false --seed 42"; got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
	if got := ReplayArgs("default", scenarios.Overrides{}, 7); got != "--scenario default --seed 7" {
		t.Fatalf("no overrides: %q", got)
	}
}
