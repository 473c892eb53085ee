package scenarios

import (
	"errors"
	"strings"
	"testing"
)

// TestImpossibleNetworkFiguresRefused: a scenario file whose network or tcp
// transport has an impossible figure (a negative latency, a loss outside
// [0, 1], an RTO floor above its ceiling, a latency past virtual time, a
// huge standard deviation, a negative rate or NAT timeout) is refused, and
// the error names the file and the line of the field, the field and the
// valid range.
func TestImpossibleNetworkFiguresRefused(t *testing.T) {
	for _, c := range []struct {
		name, src string
		want      []string
	}{
		{"negative latency", `"network": {"name": "x",
  "link": {"latency": {"kind": "constant", "value": -5}}}`, []string{"bad.json:2", `"network"`, "latency", "value -5", "[0, 31536000000] ms"}},
		{"negative mean on a profile", `"network": {"name": "4g",
  "link": {"latency": {"kind": "normal", "mean": -40, "stddev": 5}}}`, []string{"bad.json:2", "latency", "mean -40", "[0, 31536000000] ms"}},
		{"loss above 1", `"network": {"name": "x",
  "link": {"latency": {"kind": "constant", "value": 5}, "loss_down": 1.5}}`, []string{"bad.json:2", "loss_down 1.5", "[0, 1]"}},
		{"negative loss by set", `"set": {
  "network.link.loss": -0.1}`, []string{"bad.json:3", "network.link.loss", "[0, 1]"}},
		{"latency past virtual time", `"network": {"name": "x",
  "link": {"latency": {"kind": "constant", "value": 9.3e18}}}`, []string{"bad.json:2", "value 9.3e+18", "[0, 31536000000] ms"}},
		{"huge standard deviation", `"network": {"name": "x",
  "link": {"latency": {"kind": "normal", "mean": 300, "stddev": 1e30}}}`, []string{"bad.json:2", "stddev 1e+30", "[0, 31536000000] ms"}},
		{"RTO floor above its ceiling", `"transport": "tcp",
"tcp": {"min_rto_ms": 5000,
  "max_rto_ms": 1000}`, []string{"bad.json:3", `"tcp"`, "min_rto_ms 5000 is above max_rto_ms 1000", "[1, max_rto_ms]"}},
		{"RTO ceiling past a day", `"tcp": {"max_rto_ms": 1e12}`, []string{"bad.json", "max_rto_ms"}},
		{"negative handover rate", `"network": {"name": "4g",
  "connections": {"handover_per_hour": -3}}`, []string{"bad.json:2", "connections", "handover_per_hour -3", "[0, 3600000] per hour"}},
		{"NAT timeout past a day", `"network": {"name": "4g",
  "connections": {"nat_idle_ms": 100000000000}}`, []string{"bad.json:2", "nat_idle_ms 100000000000", "[0, 86400000] ms"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte("{\"variant\": \"msc4388\",\n"+c.src+"}"), "bad.json")
			if err == nil {
				t.Fatal("accepted")
			}
			if !errors.Is(err, ErrScenario) && !strings.Contains(err.Error(), "invalid") {
				t.Errorf("error %v is not a validation error", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}
