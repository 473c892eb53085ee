package lab

import (
	"fmt"
	"strings"
	"testing"

	"qrlab/reports"
	"qrlab/scenarios"
	"qrlab/sim"
)

// TestEveryQuestionGetsVerdicts checks that every built-in scenario that
// asks a question opens its report with the answer: a Verdicts section
// before Side by side, with the question, and either a verdict table and
// one paragraph per compared pair stating n and the difference detectable
// at that n, or (a question asked of each point on its own) one verdict
// per point stating its runs. The records are made up (the statistics are
// tested elsewhere): this is about every scenario's comparisons naming
// points its sweep has.
func TestEveryQuestionGetsVerdicts(t *testing.T) {
	asked := 0
	for _, name := range scenarios.Names() {
		sc, err := scenarios.Load(name)
		if err != nil {
			t.Fatal(err)
		}
		if sc.Question == "" {
			continue
		}
		asked++
		sc.Runs, sc.Seed = 12, 1
		pts, err := sc.Points()
		if err != nil {
			t.Fatal(err)
		}
		m, err := Manifest(sc, len(pts))
		if err != nil {
			t.Fatal(err)
		}
		b := reports.NewBuilder(m)
		for p, pt := range pts {
			for i := range sc.Runs {
				r := madeUpRecord(p, uint64(1+i), sc.Adversaries)
				r.Axes = pt.Axes(sc.Sweep)
				if err := b.Add(&r); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
			}
		}
		b.Finish()
		md, err := b.Markdown()
		if err != nil {
			t.Fatal(err)
		}
		s := string(md)
		v, side := strings.Index(s, "## Verdicts"), strings.Index(s, "## Side by side")
		if v < 0 || side < v {
			t.Errorf("%s: no Verdicts section before Side by side", name)
			continue
		}
		verdicts := s[v:side]
		if !strings.Contains(verdicts, sc.Question) || strings.Contains(verdicts, "names no pair") {
			t.Errorf("%s: the verdicts lack the question or name no pair:\n%s", name, verdicts)
		}
		if len(sc.Compare) == 0 {
			if n := strings.Count(verdicts, fmt.Sprintf(" %d runs", sc.Runs)); n < len(pts) {
				t.Errorf("%s: %d of %d points have a verdict stating their runs:\n%s", name, n, len(pts), verdicts)
			}
			continue
		}
		paras := strings.Count(verdicts, "seeds run at both")
		if paras == 0 || strings.Count(verdicts, "would be found with 80% power") != paras || !strings.Contains(verdicts, "| comparison | n (paired seeds) |") {
			t.Errorf("%s: %d verdict paragraphs, each should state n and the detectable difference, after a verdict table:\n%s", name, paras, verdicts)
		}
	}
	if asked < 20 {
		t.Errorf("%d built-in scenarios ask a question; the library has more", asked)
	}
}

// madeUpRecord is a run of point p and seed: a success for three seeds in
// four, the others failing at both devices.
func madeUpRecord(p int, seed uint64, adv []string) reports.Record {
	r := reports.Record{Point: p, Result: sim.Result{Seed: seed, Variant: "v", Agreement: "both-success", TraceHash: "h",
		SignedInMillis: sim.Millis(20000 + 100*p + int(seed)), SecretsMillis: sim.Millis(25000 + 100*p + int(seed)),
		New: sim.Ending{Success: true, Outcome: "success"}, Existing: sim.Ending{Success: true, Outcome: "success"}, Adversaries: adv}}
	if (seed+uint64(p))%4 == 0 {
		r.Agreement, r.SignedInMillis, r.SecretsMillis, r.EndMillis = "both-failure", -1, -1, 60000
		r.New = sim.Ending{Outcome: "failure", Reason: "rendezvous_expired", At: 60000}
		r.Existing = sim.Ending{Outcome: "failure", Reason: "rendezvous_expired", At: 60000}
	}
	return r
}
