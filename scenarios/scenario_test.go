package scenarios

import (
	"errors"
	"strings"
	"testing"

	"qrlab/model/qr"
)

// TestLibrary loads every built-in scenario and builds its configuration.
func TestLibrary(t *testing.T) {
	names := Names()
	if len(names) < 5 {
		t.Fatalf("library: %v", names)
	}
	for _, n := range names {
		s, err := Load(n)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		if s.Name != n || s.Runs < 1 || s.Description == "" {
			t.Fatalf("%s: name %q runs %d description %q", n, s.Name, s.Runs, s.Description)
		}
		if _, err := s.Config(); err != nil {
			t.Fatalf("%s: %v", n, err)
		}
	}
}

// TestParse reads the fields and reports each kind of mistake with the
// file, the line and the field.
func TestParse(t *testing.T) {
	s, err := Parse([]byte(`{"name":"x","variant":"msc4108-2024","intent":"reciprocate",
"network":{"name":"mine","link":{"latency":{"kind":"uniform","min":5,"max":9},"loss_up":0.1},
"partitions":[{"links":["new-hs"],"from_ms":100,"to_ms":200}]},
"user":{"typo_rate":0.5},"swarm":{"max_loss":0.05},"runs":7,"seed":9}`), "x.json")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := s.Config()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Intent != qr.Reciprocate || cfg.Network.Name != "mine" || cfg.User.TypoRate != 0.5 || cfg.User.Scan.Kind == "" ||
		cfg.Swarm == nil || cfg.Swarm.MaxLoss != 0.05 || cfg.Swarm.FaultyMillis == 0 || s.Runs != 7 || s.Seed != 9 {
		t.Fatalf("config %+v", cfg)
	}
	bad := []struct{ text, want string }{
		{"{\n\"variant\": \"msc4388\",\n\"runs\": \"many\"\n}", `f.json:3: field "runs"`},
		{"{\n\"variant\": \"msc4388\",\n\"colour\": 1\n}", `f.json:3: unknown field "colour"`},
		{"{\n\"variant\": \"msc4388\"\n\"runs\": 1}", "f.json:3:"},
		{`{"variant": "msc4388"} {}`, "text after the scenario object"},
		{`{"variant": "msc4388"`, "ends inside"},
		{`{}`, `field "variant": missing`},
		{`{"variant":"nope"}`, `field "variant"`},
		{`{"variant":"msc4388","network":"dialup"}`, `unknown network profile "dialup"`},
		{`{"variant":"msc4388","network":{"link":{"latency":{"kind":"gamma"}}}}`, `unknown kind "gamma"`},
		{`{"variant":"msc4388","network":{"link":{"latency":{"kind":"constant","value":1},"loss_up":2}}}`, "not a probability"},
		{`{"variant":"msc4388","network":{"link":{"latency":{"kind":"constant","value":1}},"partitions":[{"links":["moon"],"from_ms":1,"to_ms":2}]}}`, `unknown link "moon"`},
		{`{"variant":"msc4388","user":{"typo_rate":-1}}`, "typo_rate"},
		{`{"variant":"msc4388","user":{"scan":{"kind":"empirical","points":[[0,1],[0.5,0]]}}}`, "scan"},
		{`{"variant":"msc4388","swarm":{"max_loss":3}}`, "swarm bounds"},
		{`{"variant":"msc4388","runs":-1}`, `field "runs"`},
	}
	for _, b := range bad {
		_, err := Parse([]byte(b.text), "f.json")
		if err == nil || !errors.Is(err, ErrScenario) || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%s: got %v, want %q", b.text, err, b.want)
		}
	}
}

// TestUnknownVariantListsPresetsOnce: an unknown preset in a scenario file
// names the known presets once, not twice.
func TestUnknownVariantListsPresetsOnce(t *testing.T) {
	s, err := Parse([]byte(`{"name":"x","description":"d","variant":"bogus","runs":1}`), "x.json")
	if err == nil {
		_, err = s.Config()
	}
	if err == nil {
		t.Fatal("an unknown preset was accepted")
	}
	if n := strings.Count(err.Error(), "msc4388-726e115"); n != 1 {
		t.Fatalf("the presets are listed %d times: %v", n, err)
	}
}
