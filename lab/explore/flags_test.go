package explore

import (
	"testing"

	"qrlab/model/qr"
)

// TestFlagDefaults: a setting left as simrun explore's default says so, and
// one changed from it says it is not and renders its value.
func TestFlagDefaults(t *testing.T) {
	names := []string{"intent", "loss", "dup", "resets", "latency", "seed", "adversary", "mode", "user", "pace", "reach"}
	def := Options{VariantName: "msc4388", Intent: qr.Login, LatencyMillis: defaultLatency, Seed: 1, Mode: "bfs", User: UserAttentive}
	set := Options{VariantName: "msc4388", Intent: qr.Reciprocate, Loss: 1, Dup: 2, Resets: 3, LatencyMillis: 50, Seed: 9,
		Adversaries: []string{"camera", "splicer"}, Mode: "dfs", User: UserCareless, PaceName: "flaky", Reach: "write_conflict"}
	want := map[string]string{"intent": "--intent reciprocate", "loss": "--loss 1", "dup": "--dup 2", "resets": "--resets 3",
		"latency": "--latency 50", "seed": "--seed 9", "adversary": "--adversary camera,splicer", "mode": "--mode dfs",
		"user": "--user careless", "pace": "--pace flaky", "reach": "--reach write_conflict"}
	for _, n := range names {
		if f, isDef := def.Flag(n); !isDef {
			t.Errorf("%s: %q not the default", n, f)
		}
		if f, isDef := set.Flag(n); isDef || f != want[n] {
			t.Errorf("%s: %q (default %v), want %q", n, f, isDef, want[n])
		}
	}
	if f, isDef := (Options{}).Flag("latency"); !isDef {
		t.Errorf("latency 0 (the default L): %q not the default", f)
	}
	if got := set.Flags([]string{"variant", "seed", "loss"}, func(string, bool) bool { return true }); got != "--variant msc4388 --seed 9 --loss 1" {
		t.Errorf("Flags: %q", got)
	}
}
