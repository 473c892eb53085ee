package lab

import (
	"strings"
	"testing"
	"time"

	"qrlab/scenarios"
	"qrlab/sim"
)

// TestRunOutputLegend: the text totals explain every ending and failure
// reason they print, and say how to read the success figure.
func TestRunOutputLegend(t *testing.T) {
	cfg, sc, err := Config("default", scenarios.Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	tot := NewTotals()
	tot.Runs, tot.Success, tot.Lost, tot.Requests = 10, 8, 3, 400
	tot.Reasons["write_conflict"] = 1
	tot.Reasons["device_not_found"] = 1
	tot.Agreement["both-success"] = 8
	tot.Agreement["existing-only"] = 1
	tot.Agreement["both-failure"] = 1
	var b strings.Builder
	tot.WriteText(&b, sc, cfg, time.Second)
	out := b.String()
	for _, label := range []string{"both-success", "existing-only", "both-failure", "write_conflict", "device_not_found"} {
		if !strings.Contains(out, "\n  "+label+" ") {
			t.Errorf("no legend line for %s in:\n%s", label, out)
		}
	}
	if !strings.Contains(out, "verdict: no invariant broke") || !strings.Contains(out, "80.0% is this design's rate") {
		t.Errorf("no verdict on the 80%% in:\n%s", out)
	}
	tot.Violations = 1
	if v := tot.verdict(sim.Config{}); !strings.Contains(v, "invariant was violated") {
		t.Errorf("verdict with a violation: %q", v)
	}
	for r, m := range reasonMeanings {
		if m == "" || strings.TrimSpace(string(r)) == "" {
			t.Errorf("reason %q has meaning %q", r, m)
		}
	}
}
