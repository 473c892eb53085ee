package lab

import (
	"bytes"
	"strings"
	"testing"
)

// TestCompatVaryingNumbers checks that a failure whose detail carries
// numbers read from a seed's random bytes counts as one failure: the
// msc4108-2025 new device (intent reciprocate) reads a rust-sdk-pr6173 QR code's rendezvous id
// length from bytes that differ from seed to seed, so before the numbers
// were blanked the cell's dominant failure held a few runs only. The
// numbers every run shares (the field's offset) stay; the Markdown shows
// one verbatim example.
func TestCompatVaryingNumbers(t *testing.T) {
	m, err := Compat(CompatOptions{Presets: []string{"msc4108-2025", "rust-sdk-pr6173"}, Intents: []string{"reciprocate"}, Network: "lan", Runs: 20, Seed: 1, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	c := m.Cell("reciprocate", "msc4108-2025", "rust-sdk-pr6173")
	t.Logf("cell %+v", c)
	if c == nil || c.Successes != 0 || !strings.Contains(c.RootCause, "…") || c.Example == "" || strings.Contains(c.Example, "…") {
		t.Fatalf("cell %+v: want a failing cell whose cause blanks the varying numbers, with a verbatim example", c)
	}
	if c.Dominant < c.Failures*3/4 {
		t.Errorf("dominant failure holds %d of %d failed runs: the varying numbers still split it (%q)", c.Dominant, c.Failures, c.RootCause)
	}
	var b bytes.Buffer
	m.WriteMarkdown(&b)
	if !strings.Contains(b.String(), "e.g. "+c.Example) {
		t.Errorf("the Markdown lacks the example %q:\n%s", c.Example, b.String())
	}
}
