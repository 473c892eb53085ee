package lab

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"qrlab/model/variant"
	"qrlab/scenarios"
)

// TestVariantFile is the README's workflow: a preset printed by simrun
// variants --json into a file of another name, edited, runs through
// --variant FILE (scenarios.Overrides), with the edit in effect; a file that
// is missing or invalid is refused with its name.
func TestVariantFile(t *testing.T) {
	b, err := variant.MustLoad("msc4388").Marshal()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	mine := filepath.Join(dir, "mine.json")
	edited := strings.Replace(string(b), `"poll_interval_ms": 1000`, `"poll_interval_ms": 700`, 1)
	if edited == string(b) {
		t.Fatal("the preset has no poll_interval_ms of 1000 to edit")
	}
	if err := os.WriteFile(mine, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, sc, err := Config("default", scenarios.Overrides{Variant: &mine})
	if err != nil {
		t.Fatalf("--variant %s: %v", mine, err)
	}
	if cfg.Variant.Timing.PollIntervalMillis != 700 || cfg.Variant.Name != "msc4388" || sc.Variant != mine {
		t.Errorf("ran variant %q with poll interval %d (scenario variant %q), want the edited file",
			cfg.Variant.Name, cfg.Variant.Timing.PollIntervalMillis, sc.Variant)
	}
	var got int
	if err := Simulate(cfg, 1, 2, 1, func(o Outcome) bool { got++; return o.Err == nil }); err != nil || got != 2 {
		t.Errorf("simulating the file's variant: %v after %d runs", err, got)
	}

	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(strings.Replace(edited, `"hpke-spec"`, `"rot13"`, 1)), 0o644)
	missing := filepath.Join(dir, "missing.json")
	for _, ref := range []string{bad, missing} {
		if _, _, err := Config("default", scenarios.Overrides{Variant: &ref}); err == nil || !strings.Contains(err.Error(), ref) {
			t.Errorf("--variant %s: error %v, want one naming the file", ref, err)
		}
	}
}
