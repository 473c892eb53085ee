package scenarios

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"qrlab/model/qr"
)

// TestSweepExpand checks the grid: the product of the axes in file order,
// the first axis slowest, each point's scenario carrying its values.
func TestSweepExpand(t *testing.T) {
	s, err := Parse([]byte(`{"name":"g","variant":"msc4388","network":"4g","runs":2,
"set":{"user.typo_rate":0.2},
"sweep":{"variant":["msc4388","msc4108-2024"],"network.link.loss":[0,0.01,0.05],"variant.timing.poll_ms":[500,2000]}}`), "g.json")
	if err != nil {
		t.Fatal(err)
	}
	if s.GridSize() != 12 || len(s.Sweep) != 3 || s.Sweep[0].Path != "variant" || s.Sweep[2].Path != "variant.timing.poll_ms" {
		t.Fatalf("grid %d, axes %+v", s.GridSize(), s.Sweep)
	}
	pts, err := s.Points()
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 12 {
		t.Fatalf("%d points", len(pts))
	}
	p := pts[9] // msc4108-2024, loss 0.01, poll 2000
	if p.Index != 9 || string(p.Values[0]) != `"msc4108-2024"` || string(p.Values[1]) != "0.01" || string(p.Values[2]) != "2000" {
		t.Fatalf("point 9: %s", p.Values)
	}
	cfg, err := p.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Variant.Name != "msc4108-2024" || cfg.Network.Link.LossUp != 0.01 || cfg.Network.Link.LossDown != 0.01 ||
		cfg.Network.Link.Latency.Median != 26.55 || cfg.Variant.Timing.PollIntervalMillis != 2000 ||
		cfg.Variant.Timing.PollBackoffMaxMillis != 2000 || cfg.User.TypoRate != 0.2 || cfg.User.Scan.Kind == "" {
		t.Fatalf("point 9 config: variant %s link %+v timing %+v user typo %g", cfg.Variant.Name, cfg.Network.Link, cfg.Variant.Timing, cfg.User.TypoRate)
	}
	if a := p.Axes(s.Sweep); len(a) != 3 || string(a["network.link.loss"]) != "0.01" {
		t.Fatalf("axes %v", a)
	}
	// The point's scenario stands alone: no sweep, the knobs in "set".
	if p.Scenario.Sweep != nil || string(p.Scenario.Set["network.link.loss"]) != "0.01" || p.Scenario.Variant != "msc4108-2024" {
		t.Fatalf("point scenario %+v", p.Scenario)
	}
	// The sweep survives a round trip through JSON in its order.
	b, _ := json.Marshal(s)
	again, err := Parse(b, "again.json")
	if err != nil || again.Fingerprint(2, 0) != s.Fingerprint(2, 0) || again.Sweep[1].Path != "network.link.loss" {
		t.Fatalf("round trip: %v\n%s", err, b)
	}
	if s.Fingerprint(2, 0) == s.Fingerprint(3, 0) || s.Fingerprint(2, 0) == s.Fingerprint(2, 1) {
		t.Fatal("fingerprint ignores runs or seed")
	}
}

// TestKnobs sets knobs of every kind by path.
func TestKnobs(t *testing.T) {
	s, err := Parse([]byte(`{"variant":"msc4388","intent":"login","set":{
"variant.flow.ack":"before-browser",
"new_variant.channel.construction":"hpke-vodozemac",
"network.overrides.new-hs.loss_up":0.2,
"network.overrides.new-hs.latency.kind":"constant",
"network.overrides.new-hs.latency.value":70,
"user.consent.median":9000,
"variant.rendezvous.ttl_ms":120000},
"sweep":{"intent":["login","reciprocate"],"backup":[false,true],"new_variant":["element-web"]}}`), "k.json")
	if err != nil {
		t.Fatal(err)
	}
	pts, err := s.Points()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := pts[3].Resolve()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Intent != qr.Reciprocate || !cfg.Backup || cfg.Variant.Flow.Ack != "before-browser" || cfg.Variant.Rendezvous.TTLMillis != 120000 ||
		cfg.NewVariant == nil || cfg.NewVariant.Name != "element-web" || cfg.NewVariant.Channel.Construction != "hpke-vodozemac" ||
		cfg.User.Consent.Median != 9000 || cfg.Network.Overrides["new-hs"].LossUp != 0.2 || cfg.Network.Overrides["new-hs"].Latency.Value != 70 {
		t.Fatalf("config: %+v", cfg)
	}
}

// TestSweepErrors: every mistake names the file, the line, the axis or
// knob, and what would be valid.
func TestSweepErrors(t *testing.T) {
	bad := []struct{ text, want string }{
		{"{\"variant\":\"msc4388\",\n\"sweep\":{\n\"network.link.los\":[0.1]}}", `f.json:3: field "sweep": axis "network.link.los" value 0.1: invalid scenario: "los" is not a field of network.link (known: latency, jitter_ms, loss_up, loss_down, duplicate, reorder, bytes_per_second, loss)`},
		{"{\"variant\":\"msc4388\",\n\"sweep\":{\"colour\":[1]}}", `f.json:2: field "sweep": knob "colour": invalid scenario: unknown knob path (known: variant, new_variant, intent, network, backup, adversaries, transport, or variant.`},
		{"{\"variant\":\"msc4388\",\n\n\"sweep\":{\"variant.flow.ack\":[\"sideways\"]}}", `f.json:3: field "sweep": axis "variant.flow.ack" value "sideways": invalid scenario: invalid variant: field flow.ack: "sideways" is not valid (want before-browser, after-browser, after-confirm)`},
		{`{"variant":"msc4388","sweep":{"variant":["msc9999"]}}`, `axis "variant" value "msc9999": invalid scenario: field "variant"`},
		{`{"variant":"msc4388","sweep":{"network.link.loss":[2]}}`, "not a probability"},
		{`{"variant":"msc4388","sweep":{"network.link.loss":["lots"]}}`, `axis "network.link.loss" value "lots": invalid scenario: "lots": field "link.loss_down": string where a number was expected`},
		{`{"variant":"msc4388","sweep":{"user.typo_rate":[]}}`, `knob "user.typo_rate": invalid scenario: no values`},
		{`{"variant":"msc4388","sweep":{"user.typo_rate":[0.1,0.1]}}`, "value 0.1 given twice"},
		{`{"variant":"msc4388","sweep":{"swarm.max_loss":[0.1]}}`, `the scenario has no "swarm"`},
		{`{"variant":"msc4388","sweep":{"user.scan":[3]}}`, `value 3: invalid scenario: 3: field "scan": number where an object was expected`},
		{`{"variant":"msc4388","sweep":{"network.link.latency.median.x":[3]}}`, "network.link.latency.median is not an object"},
		{`{"variant":"msc4388","sweep":{"intent":[3]}}`, `3 is not a string`},
		{`{"variant":"msc4388","sweep":{"a":[1],"a":[2]}}`, `axis "a" given twice`},
		{`{"variant":"msc4388","sweep":[1]}`, "want an object"},
		{"{\"variant\":\"msc4388\",\n\"set\":{\"variant\":\"x\"}}", `f.json:2: field "set": knob "variant": invalid scenario: set the field "variant" itself`},
		{"{\"variant\":\"msc4388\",\n\"set\":{\n\"user.typo\":0.1}}", `f.json:3: field "set": knob "user.typo": invalid scenario: "typo" is not a field of user (known: scan, type_code, typo_rate`},
		{`{"variant":"msc4388","sweep":{"user.typo_rate":[0.1,0.2],"network.link.jitter_ms":[` + strings.Repeat("1,", 20000) + `1]}}`, "value 1 given twice"},
	}
	for _, b := range bad {
		_, err := Parse([]byte(b.text), "f.json")
		if err == nil || !errors.Is(err, ErrScenario) && !strings.Contains(err.Error(), "want an object") || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%.80s:\n got %v\nwant %q", b.text, err, b.want)
		}
	}
	// A grid too large to run is refused before anything is built.
	var big strings.Builder
	big.WriteString(`{"variant":"msc4388","sweep":{`)
	for i, p := range []string{"user.typo_rate", "user.deny_rate", "user.cancel_rate", "user.browser_fail_rate"} {
		if i > 0 {
			big.WriteString(",")
		}
		big.WriteString(`"` + p + `":[`)
		for j := range 20 {
			if j > 0 {
				big.WriteString(",")
			}
			big.WriteString("0.0" + string(rune('0'+j%10)) + string(rune('0'+j/10)))
		}
		big.WriteString("]")
	}
	big.WriteString("}}")
	if _, err := Parse([]byte(big.String()), "big.json"); err == nil || !strings.Contains(err.Error(), "more than 100000 points") {
		t.Errorf("big grid: %v", err)
	}
}

// TestGridSizeFirst checks that a grid too large is refused by its size
// before any value is checked or any point built: the axis's first value
// is bad, and the error must be the grid's size, not the value.
func TestGridSizeFirst(t *testing.T) {
	var b strings.Builder
	b.WriteString("{\"variant\":\"msc4388\",\n\"sweep\":{\"user.typo_rate\":[2")
	for i := range MaxPoints {
		fmt.Fprintf(&b, ",0.%06d", i)
	}
	b.WriteString("]}}")
	_, err := Parse([]byte(b.String()), "big.json")
	if err == nil || !strings.Contains(err.Error(), "big.json:2:") || !strings.Contains(err.Error(), "more than 100000 points") {
		t.Fatalf("got %v", err)
	}
}

// TestPointsCheckValuesNotCombinations checks that Points builds one
// configuration per distinct axis value, not one per point: two values
// valid alone but not together (a polling interval above the preset's
// backoff cap, with the cap lowered; the base sets 500 and 5000) expand, and the bad point's Resolve
// names it.
func TestPointsCheckValuesNotCombinations(t *testing.T) {
	s, err := Parse([]byte(`{"variant":"msc4388",
"set":{"variant.timing.poll_interval_ms":500,"variant.timing.poll_backoff_max_ms":5000},"sweep":{
"variant.timing.poll_interval_ms":[500,4000],"variant.timing.poll_backoff_max_ms":[5000,1000]}}`), "c.json")
	if err != nil {
		t.Fatal(err)
	}
	pts, err := s.Points()
	if err != nil || len(pts) != 4 {
		t.Fatalf("%d points, %v", len(pts), err)
	}
	for _, p := range pts[:3] {
		if _, err := p.Resolve(); err != nil {
			t.Fatalf("point %d: %v", p.Index, err)
		}
	}
	_, err = pts[3].Resolve()
	if err == nil || !strings.Contains(err.Error(), "sweep point 3 (variant.timing.poll_interval_ms=4000, variant.timing.poll_backoff_max_ms=1000)") {
		t.Fatalf("point 3: %v", err)
	}
}

// TestRunsAndSeedCounts checks the counts: "runs": 0 is refused as
// --runs 0 is, seeds may not pass 2^64-1, and runs times grid points must
// fit an int.
func TestRunsAndSeedCounts(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"{\"variant\":\"msc4388\",\n\"runs\": 0}", `f.json:2: invalid scenario: field "runs": 0 runs nothing`},
		{`{"variant":"msc4388","runs":3,"seed":18446744073709551615}`, `3 runs from seed 18446744073709551615 pass the largest seed`},
		{`{"variant":"msc4388","runs":4611686018427387904,"sweep":{"backup":[false,true]}}`, `4611686018427387904 runs at each of 2 grid points is more than`},
		{`{"variant":"msc4388","runs":-1}`, `field "runs": -1 is negative`},
	} {
		_, err := Parse([]byte(tc.text), "f.json")
		if err == nil || !errors.Is(err, ErrScenario) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s:\n got %v\nwant %s", tc.text, err, tc.want)
		}
	}
	for _, tc := range []struct {
		text string
		jobs int
	}{{`{"variant":"msc4388"}`, 1}, {`{"variant":"msc4388","runs":1,"seed":18446744073709551615}`, 1},
		{`{"variant":"msc4388","runs":5,"sweep":{"backup":[false,true]}}`, 10}} {
		s, err := Parse([]byte(tc.text), "f.json")
		if err != nil {
			t.Fatalf("%s: %v", tc.text, err)
		}
		if n, err := s.Jobs(); err != nil || n != tc.jobs {
			t.Errorf("%s: %d jobs, %v; want %d", tc.text, n, err, tc.jobs)
		}
	}
	// A flag that changes runs or seed after Parse is checked by Points.
	s, _ := Parse([]byte(`{"variant":"msc4388","sweep":{"backup":[false,true]}}`), "f.json")
	s.Runs = math.MaxInt
	if _, err := s.Points(); err == nil {
		t.Error("runs times points past an int accepted")
	}
}
