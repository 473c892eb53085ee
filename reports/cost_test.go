package reports

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"qrlab/sim"
)

// TestMoments checks the exact moments: known mean and standard
// deviation, squares past 64 bits summed without loss, and the same
// figures whatever order the values came in.
func TestMoments(t *testing.T) {
	var m moments
	for _, v := range []int64{2, 4, 4, 4, 5, 5, 7, 9} {
		m.add(v)
	}
	if mean, sd := m.meanSD(1); mean != 5 || math.Abs(sd-math.Sqrt(32.0/7)) > 1e-12 {
		t.Errorf("mean %v sd %v, want 5 and %v", mean, sd, math.Sqrt(32.0/7))
	}
	var big moments
	big.add(1 << 40)
	big.add(1 << 40)
	if big.hi != 1<<17 || big.lo != 0 {
		t.Errorf("two squares of 2^40: hi %d lo %d, want 2^81 as hi 2^17, lo 0", big.hi, big.lo)
	}
	vals := make([]int64, 1000)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range vals {
		vals[i] = rng.Int64N(40_000_000_000)
	}
	var a, b, c moments
	for _, v := range vals {
		a.add(v)
	}
	rng.Shuffle(len(vals), func(i, j int) { vals[i], vals[j] = vals[j], vals[i] })
	for i, v := range vals {
		if i%2 == 0 {
			b.add(v)
		} else {
			c.add(v)
		}
	}
	b.merge(c)
	if a != b {
		t.Errorf("moments depend on the order: %+v then %+v", a, b)
	}
}

// TestCostSection checks the rendezvous server's cost section: its
// per-run means in seconds and kilobyte-seconds, the per-success figure
// (the point's total over its successes), the runs that left a session
// behind; that a plot per axis follows the table; and that records
// without the cost (written before it was measured) leave the section out.
func TestCostSection(t *testing.T) {
	m, recs := fixture()
	md0, err := build(t, m, recs).Markdown()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(md0), "Rendezvous server cost") {
		t.Fatal("records without the store's cost show the cost section")
	}
	for i := range recs {
		recs[i].StoreCost = &sim.StoreCost{SessionMillis: 120000, ByteMillis: 30_000_000, PeakSessions: 1, PeakBytes: 350,
			Left: 1, LeftMillis: 100000}
		if recs[i].Point == 1 {
			// Point 1 deletes its session at the end of the login.
			recs[i].StoreCost = &sim.StoreCost{SessionMillis: 20000, ByteMillis: 5_000_000, PeakSessions: 2, PeakBytes: 400}
		}
	}
	md, err := build(t, m, recs).Markdown()
	if err != nil {
		t.Fatal(err)
	}
	s := string(md)
	// Point 0 has no failure: per success equals per run. Point 1 (8 of 40
	// failed) spreads 40 × 20 s over 32 successes: 25.0.
	for _, want := range []string{"## Rendezvous server cost",
		"| 0 | msc4388-726e115 | 40 | 120.0 [120.0–120.0] | 100.0 [100.0–100.0] | 120.0 | 30.0 [30.0–30.0] | 30.0 | 350.0 [350.0–350.0] | 350 | 1 | 40 (100.0%) |",
		"| 0 | msc4108-2024 | 40 | 20.0 [20.0–20.0] | 0.0 [0.0–0.0] | 25.0 | 5.0 [5.0–5.0] | 6.2 | 400.0 [400.0–400.0] | 400 | 2 | 0 (0.0%) |",
		"![cost-1](plots/cost-1.png)", "![cost-2](plots/cost-2.png)"} {
		if !strings.Contains(s, want) {
			t.Errorf("report lacks %q:\n%s", want, s[strings.Index(s, "## Rendezvous"):])
		}
	}
}

// TestMediansSameRuns checks that Side by side gives the times to token
// and to secrets over the same runs: six runs got their token late
// (100 s) and failed before the secrets, four signed in (token 20 s,
// secrets 25 s). Over every run with a token the median would be 100 s,
// above the 25 s to secrets; over the runs that got the secrets it is
// 20 s.
func TestMediansSameRuns(t *testing.T) {
	b := NewBuilder(nil)
	for seed := range uint64(10) {
		r := Record{Result: sim.Result{Seed: seed, Variant: "v", Agreement: "both-success", TraceHash: "h",
			SignedInMillis: 20000, SecretsMillis: 25000, EndMillis: 26000,
			New: sim.Ending{Success: true, Outcome: "success"}, Existing: sim.Ending{Success: true, Outcome: "success"}}}
		if seed >= 4 {
			r.Agreement, r.SignedInMillis, r.SecretsMillis = "both-failure", 100000, -1
			r.New = sim.Ending{Outcome: "failure", Reason: "rendezvous_expired", At: 130000}
			r.Existing = sim.Ending{Outcome: "failure", Reason: "rendezvous_expired", At: 130000}
		}
		if err := b.Add(&r); err != nil {
			t.Fatal(err)
		}
	}
	b.Finish()
	md, err := b.Markdown()
	if err != nil {
		t.Fatal(err)
	}
	if want := "| 4 | 20.0 s / 20.0 s | 25.0 s / 25.0 s |"; !strings.Contains(string(md), want) {
		t.Errorf("Side by side lacks %q (token and secrets over the 4 runs that got the secrets):\n%s", want, md)
	}
}
