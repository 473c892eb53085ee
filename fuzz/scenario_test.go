package fuzz

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"regexp"
	"strconv"
	"testing"

	"qrlab/scenarios"
	"qrlab/sim"
)

const scenarioFile = "fuzz.json"

// maxFuzzGrid bounds the sweep grids FuzzScenarioParse parses: Parse builds
// every grid point's configuration, so a few hundred bytes of axes can cost
// seconds, which would only slow the fuzzer down.
const maxFuzzGrid = 64

// fileLine matches the "fuzz.json:LINE" every located refusal carries.
var fileLine = regexp.MustCompile(`(^|: )` + regexp.QuoteMeta(scenarioFile) + `(:([0-9]+))?: `)

// FuzzScenarioParse feeds arbitrary bytes to scenarios.Parse: no panic;
// every refusal wraps ErrScenario or names the file, and a line it gives is
// inside the file; an accepted scenario writes back (json.Marshal) to a
// file that parses to the same scenario and configuration and writes back
// to the same bytes (one canonicalisation step: JSON compacted, fields in
// struct order).
//
// Its seeds (scenarioSeeds) are the corpus files under
// testdata/fuzz/FuzzScenarioParse.
func FuzzScenarioParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		if bigGrid(b) {
			return
		}
		sc, err := scenarios.Parse(b, scenarioFile)
		if err != nil {
			checkRefusal(t, b, err)
			return
		}
		cfg, err := sc.Config()
		if err != nil {
			t.Fatalf("Parse accepted %q but Config refuses it: %v", b, err)
		}
		out, err := json.Marshal(sc)
		if err != nil {
			t.Fatalf("Marshal of accepted %q: %v", b, err)
		}
		back, err := scenarios.Parse(out, scenarioFile)
		if err != nil {
			t.Fatalf("%q parsed, but its own writing %s does not: %v", b, out, err)
		}
		again, err := json.Marshal(back)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("writing is not canonical: %s then %s (%v)", out, again, err)
		}
		cfg2, err := back.Config()
		if err != nil {
			t.Fatalf("Config of %s: %v", out, err)
		}
		if !sameConfig(cfg, cfg2) {
			t.Fatalf("%q and its writing %s give different configurations:\n%+v\n%+v", b, out, cfg, cfg2)
		}
	})
}

// bigGrid reports whether b holds a sweep whose grid exceeds maxFuzzGrid.
func bigGrid(b []byte) bool {
	if !bytes.Contains(b, []byte(`"sweep"`)) {
		return false
	}
	var s struct {
		Sweep scenarios.Sweep `json:"sweep"`
	}
	if json.Unmarshal(b, &s) != nil {
		return false
	}
	n := 1
	for _, a := range s.Sweep {
		n *= max(1, len(a.Values))
		if n > maxFuzzGrid {
			return true
		}
	}
	return false
}

func checkRefusal(t *testing.T, b []byte, err error) {
	t.Helper()
	m := fileLine.FindStringSubmatch(err.Error())
	if m == nil {
		if !errors.Is(err, scenarios.ErrScenario) {
			t.Fatalf("refusal of %q names neither the file nor ErrScenario: %v", b, err)
		}
		return
	}
	if m[3] == "" {
		return
	}
	line, _ := strconv.Atoi(m[3])
	if line < 1 || line > 1+bytes.Count(b, []byte{'\n'}) {
		t.Fatalf("refusal of %q points at line %d of a %d-line file: %v", b, line, 1+bytes.Count(b, []byte{'\n'}), err)
	}
}

// sameConfig compares two configurations, a nil and an empty attacker list
// being the same.
func sameConfig(a, b sim.Config) bool {
	if len(a.Adversaries) == 0 && len(b.Adversaries) == 0 {
		a.Adversaries, b.Adversaries = nil, nil
	}
	return reflect.DeepEqual(a, b)
}

// scenarioSeeds are the built-in library files and a few broken ones.
func scenarioSeeds() [][]byte {
	var out [][]byte
	for _, n := range scenarios.Names() {
		sc, err := scenarios.Load(n)
		if err != nil {
			continue
		}
		b, err := json.MarshalIndent(sc, "", "  ")
		if err == nil {
			out = append(out, b)
		}
	}
	out = append(out,
		[]byte(`{"name":"x","variant":"msc4108-2024","intent":"reciprocate",
"network":{"name":"mine","link":{"latency":{"kind":"uniform","min":5,"max":9},"loss_up":0.1},
"partitions":[{"links":["new-hs"],"from_ms":100,"to_ms":200}]},
"user":{"typo_rate":0.5},"swarm":{"max_loss":0.05},"runs":7,"seed":9}`),
		[]byte(`{"name":"k","variant":"msc4388","set":{"variant.flow.ack":"after-browser","network.link.loss":0.05,"user.scan.median":900}}`),
		[]byte(`{"name":"s","variant":"msc4388","sweep":{"network":["4g","wifi"],"user.typo_rate":[0,0.1]}}`),
		[]byte(`{"name":"bad","variant":"msc4388",
"network":{"name":"n","link":{"latency":{"kind":"constant","value":1}},"partitions":[{"links":["nowhere"],"from_ms":5,"to_ms":1}]}}`),
		[]byte(`{"name":"bad","variant":"msc4388","adversaries":["eavesdropper","eavesdropper"]}`),
		[]byte("{\n\"name\": \"t\",\n\"variant\": \"msc4388\"\n}\n{}"),
		[]byte(`{"variant": 5}`),
	)
	return out
}

// TestScenarioSeeds runs the seeds through the target's checks as a plain
// test (the corpus under testdata/ runs with FuzzScenarioParse itself).
func TestScenarioSeeds(t *testing.T) {
	accepted := 0
	for _, s := range scenarioSeeds() {
		if _, err := scenarios.Parse(s, scenarioFile); err == nil {
			accepted++
		} else {
			checkRefusal(t, s, err)
		}
	}
	if accepted < len(scenarios.Names()) {
		t.Fatalf("only %d seeds parse; every library scenario should", accepted)
	}
}
