package reports

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"qrlab/sim"
)

// cavo is the paired 2×2 table of Cavo et al. (2012), complete response
// before and after consolidation therapy, worked in chapter 8 of Fagerland,
// Lydersen and Laake, Statistical Analysis of Contingency Tables (2017):
// 59 pairs with a response both times, 6 before only, 16 after only, 80
// neither. Their R package contingencytables (ocbe-uio/contingencytables,
// tests/testthat/test-ch8.R at ac7bf36e91360ed47c269d65bc54e0134d7fdde1)
// pins the book's figures: exact conditional McNemar P = 0.052479,
// Newcombe square-and-add estimate -0.0621, 95% CI -0.1186 to -0.0046
// (the difference is row margin minus column margin: (59+6)/161 -
// (59+16)/161).
var cavo = PairedTable{Both: 59, OnlyA: 6, OnlyB: 16, Neither: 80}

// TestMcNemarExactWorkedExample checks the exact p-value against the book.
func TestMcNemarExactWorkedExample(t *testing.T) {
	if p := McNemarExact(cavo.OnlyA, cavo.OnlyB); math.Abs(p-0.052479) > 5e-7 {
		t.Errorf("McNemarExact(6, 16) = %.6f, want 0.052479", p)
	}
	if p := McNemarExact(0, 0); p != 1 {
		t.Errorf("no discordant pair: p = %v, want 1", p)
	}
	// 0 against 10: 2·(1/2)^10.
	if p := McNemarExact(0, 10); math.Abs(p-2/1024.0) > 1e-12 {
		t.Errorf("McNemarExact(0, 10) = %v, want %v", p, 2/1024.0)
	}
}

// TestNewcombePairedWorkedExample checks method 10 against the book.
func TestNewcombePairedWorkedExample(t *testing.T) {
	if d := cavo.Diff(); math.Abs(d-(-0.0621)) > 5e-5 {
		t.Errorf("Diff = %.4f, want -0.0621", d)
	}
	lo, hi := NewcombePaired(cavo)
	if math.Abs(lo-(-0.1186)) > 5e-5 || math.Abs(hi-(-0.0046)) > 5e-5 {
		t.Errorf("NewcombePaired(cavo) = [%.4f, %.4f], want [-0.1186, -0.0046]", lo, hi)
	}
}

// randomTable draws a paired table with n pairs.
func randomTable(r *rand.Rand, n int) PairedTable {
	var t PairedTable
	w := [4]float64{r.Float64(), r.Float64() * r.Float64(), r.Float64() * r.Float64(), r.Float64()}
	sum := w[0] + w[1] + w[2] + w[3]
	for range n {
		x := r.Float64() * sum
		switch {
		case x < w[0]:
			t.Both++
		case x < w[0]+w[1]:
			t.OnlyA++
		case x < w[0]+w[1]+w[2]:
			t.OnlyB++
		default:
			t.Neither++
		}
	}
	return t
}

// TestPairedProperties checks, on many random tables, that swapping A and
// B mirrors the interval and keeps the p-value, that the interval holds
// the estimate and stays in [-1, 1], and that p is in (0, 1].
func TestPairedProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		tb := randomTable(r, 1+r.IntN(400))
		sw := PairedTable{Both: tb.Both, OnlyA: tb.OnlyB, OnlyB: tb.OnlyA, Neither: tb.Neither}
		lo, hi := NewcombePaired(tb)
		slo, shi := NewcombePaired(sw)
		if math.Abs(lo+shi) > 1e-12 || math.Abs(hi+slo) > 1e-12 {
			t.Fatalf("%d: %+v: [%v, %v] swapped gives [%v, %v], not its mirror", i, tb, lo, hi, slo, shi)
		}
		d := tb.Diff()
		if lo < -1 || hi > 1 || lo > d+1e-12 || hi < d-1e-12 {
			t.Fatalf("%d: %+v: interval [%v, %v] does not hold %v inside [-1, 1]", i, tb, lo, hi, d)
		}
		p, sp := McNemarExact(tb.OnlyA, tb.OnlyB), McNemarExact(sw.OnlyA, sw.OnlyB)
		if p != sp || p <= 0 || p > 1 {
			t.Fatalf("%d: %+v: p = %v, swapped %v", i, tb, p, sp)
		}
	}
}

// TestMcNemarMDE checks that the detectable difference solves Connor's
// formula at the given n, shrinks as n grows and never passes 1.
func TestMcNemarMDE(t *testing.T) {
	prev := 2.0
	for _, n := range []int{10, 100, 1000, 10000} {
		m := McNemarMDE(n, 0.1)
		if m >= prev || m <= 0 || m > 1 {
			t.Errorf("McNemarMDE(%d, 0.1) = %v after %v: not shrinking inside (0, 1]", n, m, prev)
		}
		pd := 0.1
		if m > pd { // 10% discordance cannot show a difference: the favourable case
			pd = m
		}
		if got := McNemarN(m, pd); math.Abs(got-float64(n)) > 0.01*float64(n) {
			t.Errorf("McNemarN(McNemarMDE(%d), %v) = %v", n, pd, got)
		}
		prev = m
	}
	// 13 discordant seeds of 100 (a sweep's figures): detectable, and no
	// more than the discordant share itself.
	if m := McNemarMDE(100, 0.13); m <= 0 || m > 0.13 {
		t.Errorf("McNemarMDE(100, 0.13) = %v, want within (0, 0.13]", m)
	}
	// No discordant seed of 30: the most favourable case, about a quarter.
	if m := McNemarMDE(30, 0); m < 0.2 || m > 0.3 {
		t.Errorf("McNemarMDE(30, 0) = %v, want about 0.26", m)
	}
	if m := McNemarMDE(1000, 0); m <= 0 || m > 1 {
		t.Errorf("no discordant pair: MDE %v, want a bound in (0, 1]", m)
	}
}

// TestPairedShift checks the bootstrap: the same input gives the same
// interval, the interval holds the median, negating the differences
// mirrors it, and a constant shift gives a zero-width interval.
func TestPairedShift(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	d := make([]float64, 301)
	neg := make([]float64, len(d))
	for i := range d {
		d[i] = math.Round(r.NormFloat64()*1000 + 250)
		neg[i] = -d[i]
	}
	est, lo, hi, p := PairedShift(d)
	est2, lo2, hi2, p2 := PairedShift(d)
	if est != est2 || lo != lo2 || hi != hi2 || p != p2 {
		t.Fatal("two calls on the same differences disagree")
	}
	if lo > est || hi < est || p <= 0 || p > 1 {
		t.Fatalf("est %v not in [%v, %v] or p %v out of range", est, lo, hi, p)
	}
	nest, nlo, nhi, np := PairedShift(neg)
	if nest != -est || np != p || nlo > -hi || nhi < -lo {
		t.Errorf("negated: %v [%v, %v] p %v; original %v [%v, %v] p %v", nest, nlo, nhi, np, est, lo, hi, p)
	}
	c := []float64{5, 5, 5, 5}
	if est, lo, hi, p := PairedShift(c); est != 5 || lo != 5 || hi != 5 || math.Abs(p-0.125) > 1e-12 {
		t.Errorf("constant 5: %v [%v, %v] p %v, want 5 [5, 5] p 0.125", est, lo, hi, p)
	}
}

// TestVerdict builds a two-point sweep where point 1 signs in on 30 seeds
// that point 0 loses and point 0 on 10 that point 1 loses (of 200), and
// checks the verdict paragraph: the exact McNemar p-value 2·P(X ≤ 10) for
// X ~ Binomial(40, 1/2) = 0.0022, the rates and the verdict's direction;
// then a sweep with equal discordance gets "no detectable difference".
func TestVerdict(t *testing.T) {
	mk := func(onlyA, onlyB int) string {
		m := &Manifest{Version: ManifestVersion, Name: "v", Points: 2, Runs: 200, Seed: 1,
			Axes:     []Axis{{Path: "variant", Values: []json.RawMessage{json.RawMessage(`"old"`), json.RawMessage(`"new"`)}}},
			Scenario: json.RawMessage(`{"question":"Is new better?","compare":[{"axis":"variant","baseline":"old"}]}`)}
		var recs []Record
		for p := range 2 {
			for i := range m.Runs {
				ok := i >= 60 // both succeed on 140 seeds
				switch {
				case i < onlyA: // new (point 1) only
					ok = p == 1
				case i < onlyA+onlyB: // old (point 0) only
					ok = p == 0
				}
				r := Record{Point: p, Axes: map[string]json.RawMessage{"variant": m.Axes[0].Values[p]},
					Result: sim.Result{Seed: m.Seed + uint64(i), Variant: "v", Agreement: "both-failure", TraceHash: "h",
						SignedInMillis: -1, SecretsMillis: -1, EndMillis: sim.Millis(60000 + 1000*p)}}
				if ok {
					r.New, r.Existing = sim.Ending{Success: true}, sim.Ending{Success: true}
					r.Agreement, r.SignedInMillis, r.SecretsMillis = "both-success", 9000, sim.Millis(10000-2000*p+i)
				}
				recs = append(recs, r)
			}
		}
		md, err := build(t, m, recs).Markdown()
		if err != nil {
			t.Fatal(err)
		}
		return string(md)
	}
	got := mk(30, 10)
	for _, s := range []string{"## Verdicts", "Question: “Is new better?”", "**variant=new against variant=old**, n = 200 seeds",
		"signed in 85.0% against 75.0%, a difference of +10.0 points", "exact McNemar p = 0.0022 on 30 against 10 discordant seeds",
		"**Verdict: variant=new signs in more often.**",
		"Time to secrets, over the 140 seeds where both signed in: median difference -2.0 s (95% CI -2.0 to -2.0 s, paired bootstrap), sign test p < 0.0001: the first is quicker.",
		"Time to failure, over the 20 seeds where both failed: median difference +1.0 s"} {
		if !strings.Contains(got, s) {
			t.Errorf("verdict lacks %q:\n%s", s, got[:min(len(got), 3000)])
		}
	}
	if got := mk(20, 20); !strings.Contains(got, "**Verdict: no detectable difference in sign-in rate**") || !strings.Contains(got, "p = 1.0000") {
		t.Errorf("equal discordance:\n%s", got[:min(len(got), 2000)])
	}
}

// TestTimeVerdict checks the verdict table's words on paired times: the
// direction from the sign test even when the median difference is zero,
// nothing when the test finds no difference, and no "-0.0".
func TestTimeVerdict(t *testing.T) {
	later := []float64{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1800, 1800, 1800, 1800, 1800, 1800, 1800, 1800}
	if got := timeVerdict("A", "to fail", "p90 1800 s vs 13 s", later); !strings.Contains(got, "A slower to fail (p90 1800 s vs 13 s, p = ") {
		t.Errorf("later failures: %q", got)
	}
	if got := timeVerdict("A", "to the secrets", "", []float64{1, -1, 1, -1, 0.5, -0.5}); got != "" {
		t.Errorf("balanced differences: %q, want no verdict", got)
	}
	quicker := []float64{-2, -2, -2, -2, -2, -2, -2, -2, -2, -2}
	if got := timeVerdict("A", "to the secrets", "", quicker); !strings.HasPrefix(got, "A quicker to the secrets (median -2.0 s, p = ") {
		t.Errorf("quicker: %q", got)
	}
	for _, x := range []float64{-0.04, -0.0, 0.04} {
		if got := signed1(x); got != "+0.0" {
			t.Errorf("signed1(%v) = %q, want +0.0", x, got)
		}
	}
}
