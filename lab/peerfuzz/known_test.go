package peerfuzz

import (
	"regexp"
	"testing"
)

// TestFixedClassesAreNotKnown: a departure the model was changed to follow
// is no longer a known class (a reproducer of it would now be a new
// finding), and each names the commit and the source read.
func TestFixedClassesAreNotKnown(t *testing.T) {
	hex := regexp.MustCompile(`^[0-9a-f]{7,40}$`)
	for _, f := range fixedInModel {
		for _, r := range knownRules {
			if r.Name == f.Name {
				t.Errorf("%s is both fixed in the model (%s) and a known class", f.Name, f.Commit)
			}
		}
		if !hex.MatchString(f.Commit) || f.Source == "" || f.Why == "" {
			t.Errorf("%s: commit %q, source %q, why %q: want all three", f.Name, f.Commit, f.Source, f.Why)
		}
	}
}
