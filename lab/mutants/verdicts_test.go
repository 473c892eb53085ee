package mutants

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"qrlab/model/variant"
)

var updateVerdicts = flag.Bool("update", false, "rewrite testdata/verdicts.golden")

// TestPropertyVerdicts runs every in-process property on every honest
// preset and every mutant and compares the verdicts (does not apply, holds,
// broken and how, or the error) with testdata/verdicts.golden: a change to
// how the properties drive the machines must not change what they find.
func TestPropertyVerdicts(t *testing.T) {
	var vs []variant.Variant
	for _, n := range variant.Names() {
		v, err := variant.Load(n)
		if err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	for _, n := range variant.MutantNames() {
		v, err := variant.LoadMutant(n)
		if err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	var b strings.Builder
	for _, v := range vs {
		for _, p := range properties() {
			broken, ok, err := p.check(v)
			verdict := "holds"
			switch {
			case err != nil:
				verdict = "error: " + err.Error()
			case !ok:
				verdict = "does not apply"
			case broken != "":
				verdict = "broken: " + broken
			}
			fmt.Fprintf(&b, "%s %s: %s\n", v.Name, p.name, verdict)
		}
	}
	const golden = "testdata/verdicts.golden"
	if *updateVerdicts {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if got := b.String(); got != string(want) {
		t.Errorf("property verdicts changed:\n got:\n%s\nwant:\n%s", got, want)
	}
}
