package scenarios

import (
	"strings"
	"testing"
)

const compareBase = `{"name": "c", "variant": "msc4388-726e115", "runs": 2,
 "sweep": {"variant": ["msc4108-2024", "msc4388-726e115"], "network.link.loss": [0, 0.05]},
 "question": "Does the 2026 text fail less?",
 "compare": [COMPARE]}`

// TestCompareParse checks that comparisons naming the sweep's axes and
// values are read, and that any other is refused with its line and why.
func TestCompareParse(t *testing.T) {
	good := []string{
		`{"axis": "variant", "baseline": "msc4108-2024"}`,
		`{"a": {"variant": "msc4388-726e115"}, "b": {"variant": "msc4108-2024"}}`,
		`{"a": {"network.link.loss": 0.05}, "b": {"network.link.loss": 0}}`,
	}
	for _, c := range good {
		s, err := Parse([]byte(strings.Replace(compareBase, "COMPARE", c, 1)), "c.json")
		if err != nil {
			t.Errorf("%s: %v", c, err)
		} else if len(s.Compare) != 1 {
			t.Errorf("%s: %d comparisons read", c, len(s.Compare))
		}
	}
	bad := map[string]string{
		`{"axis": "intent", "baseline": "login"}`:                                           `"intent" is not an axis`,
		`{"axis": "variant", "baseline": "msc4108-2025"}`:                                   `no value "msc4108-2025"`,
		`{"axis": "variant"}`:                                                               "needs a baseline",
		`{"a": {"variant": "msc4108-2024"}}`:                                                "want {",
		`{"axis": "variant", "baseline": "msc4108-2024", "a": {"variant": "msc4108-2024"}}`: "not both",
	}
	for c, want := range bad {
		_, err := Parse([]byte(strings.Replace(compareBase, "COMPARE", c, 1)), "c.json")
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "c.json:4:") {
			t.Errorf("%s: error %v, want one at c.json:4 saying %q", c, err, want)
		}
	}
	noQ := strings.Replace(strings.Replace(compareBase, "COMPARE", good[0], 1), `"question"`, `"description"`, 1)
	if _, err := Parse([]byte(noQ), "c.json"); err == nil || !strings.Contains(err.Error(), "question") {
		t.Errorf("compare without a question: %v", err)
	}
}

// TestCompareKeepsFingerprint checks that stating a question does not
// change the sweep's fingerprint: it does not change what runs.
func TestCompareKeepsFingerprint(t *testing.T) {
	s, err := Parse([]byte(strings.Replace(compareBase, "COMPARE", `{"axis": "variant", "baseline": "msc4108-2024"}`, 1)), "c.json")
	if err != nil {
		t.Fatal(err)
	}
	plain := s
	plain.Question, plain.Compare = "", nil
	if s.Fingerprint(2, 1) != plain.Fingerprint(2, 1) {
		t.Error("the question changed the fingerprint")
	}
}
