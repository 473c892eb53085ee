package scenarios

import (
	"errors"
	"strings"
	"testing"
)

// TestNestedFieldErrors checks that a mistake inside the network, user or
// swarm objects, however deep, is refused with the file, the line, the
// field's path and the keys valid there, and that no error names a Go type.
func TestNestedFieldErrors(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       []string
	}{
		{"user typo", "{\"variant\": \"msc4388\",\n\"runs\": 2,\n\"user\": {\"typo_rat\": 0.1}}",
			[]string{`f.json:3:`, `field "user": unknown field "typo_rat" (known: scan, type_code, typo_rate, consent,`}},
		{"user distribution typo", "{\"variant\": \"msc4388\",\n\"user\": {\n  \"scan\": {\"kind\": \"constant\",\n  \"valeu\": 5}}}",
			[]string{`f.json:4:`, `unknown field "scan.valeu" (known: kind, value, min, max, mean, stddev, median, sigma, points, cap)`}},
		{"network link typo", "{\"variant\": \"msc4388\",\n\"network\": {\"name\": \"mine\",\n\"link\": {\"latency\": {\"kind\": \"constant\", \"value\": 1},\n\"los_up\": 0.1}}}",
			[]string{`f.json:4:`, `field "network": unknown field "link.los_up" (known: latency, jitter_ms, loss_up,`}},
		{"override typo", "{\"variant\": \"msc4388\",\n\"network\": {\"name\": \"4g\",\n\"overrides\": {\"new-hs\": {\"latency\": {\"kind\": \"constant\", \"value\": 1},\n\"jiter_ms\": 3}}}}",
			[]string{`f.json:4:`, `unknown field "overrides.new-hs.jiter_ms"`}},
		{"swarm typo", "{\"variant\": \"msc4388\",\n\"swarm\": {\"max_los\": 0.1}}", []string{`f.json:2:`, `field "swarm": unknown field "max_los" (known: max_loss,`}},
		{"user wrong type", "{\"variant\": \"msc4388\",\n\"user\": {\"typo_rate\": \"often\"}}",
			[]string{`f.json:2:`, `field "user": field "typo_rate": string where a number was expected`}},
		{"runs wrong type", "{\"variant\": \"msc4388\",\n\"runs\": \"many\"}", []string{`f.json:2:`, `string where a whole number was expected`}},
		{"network wrong type", `{"variant": "msc4388", "network": 4}`, []string{`field "network": a profile name or a network object`}},
		{"network without link", `{"variant": "msc4388", "network": {"name": "mine"}}`, []string{`network "mine": no "link"`, "4g"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.text), "f.json")
			if err == nil {
				t.Fatal("accepted")
			}
			if !errors.Is(err, ErrScenario) {
				t.Errorf("%v does not wrap ErrScenario", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n %v\ndoes not say\n %s", err, w)
				}
			}
			for _, goType := range []string{"sim.", "float64", "int64", "struct", "Go ", "json: unknown", "json: cannot"} {
				if strings.Contains(err.Error(), goType) {
					t.Errorf("error %v names a Go type or package (%s)", err, goType)
				}
			}
		})
	}
}

// TestNetworkProfileWithOverrides checks that a network object named after
// a profile starts from it: the fields it gives replace the profile's and
// the others stay.
func TestNetworkProfileWithOverrides(t *testing.T) {
	s, err := Parse([]byte(`{"variant": "msc4388", "network": {"name": "flaky",
"overrides": {"new-hs": {"latency": {"kind": "constant", "value": 70}}}}}`), "p.json")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := s.Config()
	if err != nil {
		t.Fatal(err)
	}
	n := cfg.Network
	if n.Name != "flaky" || n.Link.Latency.Median != 26.55 || n.Link.LossUp != 0.05 || len(n.Partitions) != 2 ||
		n.Connections.HandoverPerHour != 12 ||
		n.Overrides["new-hs"].Latency.Value != 70 || n.Description == "" {
		t.Fatalf("network %+v", n)
	}
	s, err = Parse([]byte(`{"variant": "msc4388", "network": {"name": "4g", "link": {"latency": {"kind": "constant", "value": 5}}}}`), "p.json")
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ = s.Config()
	if l := cfg.Network.Link; l.Latency.Kind != "constant" || l.Latency.Value != 5 || l.Latency.Median != 0 || l.LossUp != 0 {
		t.Fatalf("a given link replaces the profile's whole: %+v", l)
	}
}
