package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"qrlab/lab/mutants"
	"qrlab/model/variant"
)

func mutantsCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := dispatch(append([]string{"mutants"}, args...), strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// TestMutantsCaught: every mutant is caught within a few seeds of its
// battery, and each simulated detection replays to the same invariant.
func TestMutantsCaught(t *testing.T) {
	code, out, errs := mutantsCmd(t, "--budget", "60s", "--max-seeds", "30", "--honest-seeds", "0", "--json")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	var rows []mutants.Row
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var rec struct {
			Record string      `json:"record"`
			Mutant mutants.Row `json:"mutant"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		if rec.Record == "mutant" {
			rows = append(rows, rec.Mutant)
		}
	}
	if len(rows) != len(variant.MutantNames()) {
		t.Fatalf("%d rows for %d mutants", len(rows), len(variant.MutantNames()))
	}
	for _, r := range rows {
		t.Run(r.Mutant, func(t *testing.T) {
			if !r.Caught || len(r.Errors) > 0 {
				t.Fatalf("%+v", r)
			}
			if r.Sim == nil || strings.HasPrefix(r.Sim.Invariant, "attacker-won") {
				return
			}
			var o, e bytes.Buffer
			args := strings.Fields(r.Sim.Replay)[1:]
			if c := dispatch(args, strings.NewReader(""), &o, &e); c != 1 || !strings.Contains(e.String(), r.Sim.Invariant) {
				t.Fatalf("%s: exit %d, want 1 with %s\n%s", r.Sim.Replay, c, r.Sim.Invariant, e.String())
			}
		})
	}
}

// TestMutantsSurvivor: a mutant its battery misses shows as survived and
// makes the command fail.
func TestMutantsSurvivor(t *testing.T) {
	code, out, _ := mutantsCmd(t, "--mutant", variant.MutNoExpiry, "--max-seeds", "1", "--honest-seeds", "0")
	if code != 1 || !strings.Contains(out, "survived") || !strings.Contains(out, "1 survived") {
		t.Fatalf("exit %d\n%s", code, out)
	}
}

// TestMutantsHonest: the honest presets break no invariant under any
// adversary (one seed of each combination here).
func TestMutantsHonest(t *testing.T) {
	code, out, errs := mutantsCmd(t, "--mutant", variant.MutSecretsBeforeSuccess, "--honest-seeds", "1")
	if code != 0 || !strings.Contains(out, ": 0 violations") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
}

func TestMutantsUsage(t *testing.T) {
	for _, args := range [][]string{{"--mutant", "nope"}, {"--budget", "0s"}, {"extra"}, {"--frobnicate"}} {
		if code, _, _ := mutantsCmd(t, args...); code != 2 {
			t.Fatalf("%v: exit %d, want 2", args, code)
		}
	}
	if code, _, errs := mutantsCmd(t, "--help"); code != 0 || !strings.Contains(errs, "static-nonce") {
		t.Fatalf("--help: exit %d\n%s", code, errs)
	}
}

// TestMutantsPatchesBadDir: --patches names the directory it could not use.
func TestMutantsPatchesBadDir(t *testing.T) {
	dir := t.TempDir()
	code, _, errs := mutantsCmd(t, "--patches", dir)
	if code != 2 || !strings.Contains(errs, dir) || !strings.Contains(errs, "no .patch files") {
		t.Fatalf("exit %d: %s", code, errs)
	}
}

// TestMutantsSimBattery: --sim-battery runs one round of the battery on
// the unchanged tree, prints its JSON result, and finds nothing.
func TestMutantsSimBattery(t *testing.T) {
	if testing.Short() {
		t.Skip("a round of the battery takes seconds")
	}
	code, out, errs := mutantsCmd(t, "--sim-battery", "--budget", "1ms", "--max-seeds", "1")
	var res mutants.BatteryResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 0 {
		t.Fatalf("exit %d, %v: %s %s", code, err, out, errs)
	}
	if res.Found != nil || res.Seeds != 1 || res.Runs < res.Probes || len(res.ConfigErrors) > 0 {
		t.Fatalf("%+v", res)
	}
}
