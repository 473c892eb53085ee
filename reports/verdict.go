package reports

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
)

// question is what a sweep's scenario says it asks: the sentence and the
// comparisons of grid points that answer it (the scenario file's
// "question" and "compare"; the scenarios package checks them).
type question struct {
	Text    string       `json:"question"`
	Compare []comparison `json:"compare"`
}

type comparison struct {
	Axis     string                     `json:"axis"`
	Baseline json.RawMessage            `json:"baseline"`
	A        map[string]json.RawMessage `json:"a"`
	B        map[string]json.RawMessage `json:"b"`
}

// run is what a verdict needs of one run: how it ended and when.
type run struct {
	state   uint8 // 0 missing, 1 success, 2 failure
	secrets int64 // time to secrets (success)
	end     int64 // time the run ended (failure)
}

// readQuestion reads the question of the manifest's scenario (nil when it
// asks none or the scenario is not readable).
func readQuestion(m *Manifest) *question {
	if len(m.Scenario) == 0 {
		return nil
	}
	var q question
	if json.Unmarshal(m.Scenario, &q) != nil || (q.Text == "" && len(q.Compare) == 0) {
		return nil
	}
	return &q
}

// keepRun stores r for the verdicts (only when the sweep asks a question).
func (b *Builder) keepRun(r *Record) {
	if b.q == nil || len(b.q.Compare) == 0 {
		return
	}
	if b.runs == nil {
		b.runs = make([]run, b.m.Jobs())
	}
	j, _ := b.m.Job(r.Point, r.Seed)
	x := run{state: 2, end: failedAt(r)}
	if r.Success() {
		x = run{state: 1, secrets: int64(r.SecretsMillis)}
	}
	b.runs[j] = x
}

// axisIndex is the index of the axis with path p (-1 if none).
func (b *Builder) axisIndex(p string) int {
	for i, a := range b.m.Axes {
		if a.Path == p {
			return i
		}
	}
	return -1
}

// pointOf is the index of the point with the given value index per axis.
func (b *Builder) pointOf(idx []int) int {
	p := 0
	for i, a := range b.m.Axes {
		p = p*len(a.Values) + idx[i]
	}
	return p
}

// valueIndexes is the value index per axis of point p.
func (b *Builder) valueIndexes(p int) []int {
	vals := b.m.PointValues(p)
	idx := make([]int, len(vals))
	for i, v := range vals {
		idx[i] = indexOf(b.m.Axes[i].Values, v)
	}
	return idx
}

// valueIndex is the index of value v on axis a (-1 if absent).
func (b *Builder) valueIndex(a int, v json.RawMessage) int {
	for i, x := range b.m.Axes[a].Values {
		if sameJSON(x, v) {
			return i
		}
	}
	return -1
}

// pairs expands a comparison into (A, B) pairs of grid points: every point
// matching A (the axis at a non-baseline value), against the same point
// with B's values (the axis at its baseline). Axes the comparison does not
// name are held equal. Nothing when it names what the sweep lacks.
func (b *Builder) pairs(c comparison) [][2]int {
	var out [][2]int
	if c.Axis != "" {
		a := b.axisIndex(c.Axis)
		if a < 0 {
			return nil
		}
		base := b.valueIndex(a, c.Baseline)
		if base < 0 {
			return nil
		}
		for p := range b.points {
			idx := b.valueIndexes(p)
			if idx[a] == base {
				continue
			}
			idx[a] = base
			out = append(out, [2]int{p, b.pointOf(idx)})
		}
		return out
	}
	set := func(idx []int, side map[string]json.RawMessage) bool {
		for path, v := range side {
			a := b.axisIndex(path)
			if a < 0 || b.valueIndex(a, v) < 0 {
				return false
			}
			idx[a] = b.valueIndex(a, v)
		}
		return true
	}
	for p := range b.points {
		idx := b.valueIndexes(p)
		want := append([]int(nil), idx...)
		if !set(want, c.A) || !slices.Equal(want, idx) {
			continue
		}
		if !set(idx, c.B) {
			return nil
		}
		if q := b.pointOf(idx); q != p {
			out = append(out, [2]int{p, q})
		}
	}
	return out
}

// pairLabels names the two points of a pair by the axes where they differ,
// and what they share.
func (b *Builder) pairLabels(p, q int) (a, bl, shared string) {
	va, vb := b.m.PointValues(p), b.m.PointValues(q)
	var da, db, same []string
	for i, ax := range b.m.Axes {
		name := shortPath(ax.Path) + "=" + valueText(va[i])
		if sameJSON(va[i], vb[i]) {
			same = append(same, name)
			continue
		}
		da = append(da, name)
		db = append(db, shortPath(ax.Path)+"="+valueText(vb[i]))
	}
	return strings.Join(da, ", "), strings.Join(db, ", "), strings.Join(same, ", ")
}

// points is a signed difference of rates in percentage points.
func points(x float64) string { return signed1(100 * x) }

// signed1 prints x with its sign and one decimal, a value that rounds to
// zero as "+0.0" (never "-0.0").
func signed1(x float64) string {
	if math.Abs(x) < 0.05 {
		x = 0
	}
	return fmt.Sprintf("%+.1f", x)
}

// pval prints a p-value.
func pval(p float64) string {
	if p < 0.0001 {
		return "p < 0.0001"
	}
	return fmt.Sprintf("p = %.4f", p)
}

// pairStats is what a verdict says of point p (A) against point q (B)
// over the seeds both ran.
type pairStats struct {
	t               PairedTable
	lo, hi, pv      float64 // Newcombe's interval, McNemar's p
	mde, d          float64 // detectable difference, observed difference
	dSecrets, dFail []float64
}

func (b *Builder) pairStats(p, q int) pairStats {
	var s pairStats
	for i := range b.m.Runs {
		x, y := b.runs[p*b.m.Runs+i], b.runs[q*b.m.Runs+i]
		switch {
		case x.state == 0 || y.state == 0:
			continue
		case x.state == 1 && y.state == 1:
			s.t.Both++
			s.dSecrets = append(s.dSecrets, float64(x.secrets-y.secrets)/1000)
		case x.state == 1:
			s.t.OnlyA++
		case y.state == 1:
			s.t.OnlyB++
		default:
			s.t.Neither++
			s.dFail = append(s.dFail, float64(x.end-y.end)/1000)
		}
	}
	if n := s.t.N(); n > 0 {
		s.lo, s.hi = NewcombePaired(s.t)
		s.pv = McNemarExact(s.t.OnlyA, s.t.OnlyB)
		s.mde = McNemarMDE(n, float64(s.t.OnlyA+s.t.OnlyB)/float64(n))
		s.d = s.t.Diff()
	}
	return s
}

// rateVerdict is the verdict on the sign-in rate in a few words.
func (s *pairStats) rateVerdict(la string) string {
	switch {
	case s.pv < 0.05 && s.d > 0:
		return la + " signs in more often"
	case s.pv < 0.05 && s.d < 0:
		return la + " signs in less often"
	}
	return "no detectable difference in sign-in rate"
}

// verdict is the paragraph comparing point p (A) with point q (B) over
// the seeds both ran.
func (b *Builder) verdict(p, q int) string {
	s := b.pairStats(p, q)
	t := s.t
	la, lb, shared := b.pairLabels(p, q)
	var w strings.Builder
	fmt.Fprintf(&w, "**%s against %s**", la, lb)
	if shared != "" {
		fmt.Fprintf(&w, " (%s)", shared)
	}
	n := t.N()
	if n == 0 {
		w.WriteString(": no seed ran at both points.")
		return w.String()
	}
	fmt.Fprintf(&w, ", n = %d seeds run at both: signed in %s against %s, a difference of %s points (95%% CI %s to %s, Newcombe's paired interval); exact McNemar %s on %d against %d discordant seeds; at this n a difference of ±%.1f points would be found with 80%% power. ",
		n, pct(t.Both+t.OnlyA, n), pct(t.Both+t.OnlyB, n), points(s.d), points(s.lo), points(s.hi), pval(s.pv), t.OnlyA, t.OnlyB, 100*s.mde)
	fmt.Fprintf(&w, "**Verdict: %s", s.rateVerdict(la))
	if s.pv < 0.05 {
		w.WriteString(".**")
	} else {
		fmt.Fprintf(&w, "** (a true difference within ±%.1f points could hide at this n).", 100*s.mde)
		if s.lo > 0 || s.hi < 0 {
			w.WriteString(" Borderline: the interval leaves out 0 while the exact test does not reach 5%; the exact test decides.")
		}
	}
	w.WriteString(shiftText(" Time to secrets", "both signed in", s.dSecrets))
	w.WriteString(shiftText(" Time to failure", "both failed", s.dFail))
	ga, gb := b.points[p].failEnd, b.points[q].failEnd
	if ga.n > 0 || gb.n > 0 {
		fmt.Fprintf(&w, " Failed runs ended after %s / %s / %s (p50 / p90 / max, n = %d) against %s / %s / %s (n = %d).",
			quant(ga, .5), quant(ga, .9), quant(ga, 1), ga.n, quant(gb, .5), quant(gb, .9), quant(gb, 1), gb.n)
	}
	if ca, cb := b.points[p].cost, b.points[q].cost; ca.sess.n > 0 && cb.sess.n > 0 {
		fmt.Fprintf(&w, " Rendezvous server cost per run: %s session·s and %s kB·s against %s and %s (means, 95%% CI).",
			ca.sess.ci(1000), ca.bytes.ci(1e6), cb.sess.ci(1000), cb.bytes.ci(1e6))
	}
	return w.String()
}

// shiftCell is a paired time difference for the verdict table.
func shiftCell(d []float64) string {
	if len(d) == 0 {
		return "–"
	}
	est, lo, hi, p := PairedShift(d)
	return fmt.Sprintf("%s s [%s, %s], %s, n = %d", signed1(est), signed1(lo), signed1(hi), pval(p), len(d))
}

// timeVerdict is the verdict on a paired time difference in a few words
// ("" when there is none to state): what the first point does, by the
// median difference and the sign test.
// A detail, when given, replaces the median in the brackets.
func timeVerdict(la, what, detail string, d []float64) string {
	if len(d) == 0 {
		return ""
	}
	est, _, _, p := PairedShift(d)
	if p >= 0.05 {
		return ""
	}
	dir := "slower"
	if est < 0 || (est == 0 && signBalance(d) < 0) {
		dir = "quicker"
	}
	if detail == "" {
		detail = "median " + signed1(est) + " s"
	}
	return fmt.Sprintf("%s %s %s (%s, %s)", la, dir, what, detail, pval(p))
}

// signBalance is the number of positive minus negative differences: the
// direction the sign test found when the median difference is zero.
func signBalance(d []float64) int {
	n := 0
	for _, x := range d {
		switch {
		case x > 0:
			n++
		case x < 0:
			n--
		}
	}
	return n
}

// verdictTable is every comparison in one row each: the summary a reader
// sees first, the paragraphs below giving the details.
func (b *Builder) verdictTable(pairs [][2]int) block {
	var rows [][]string
	for _, pq := range pairs {
		s := b.pairStats(pq[0], pq[1])
		la, lb, shared := b.pairLabels(pq[0], pq[1])
		what := la + " vs " + lb
		if shared != "" {
			what += " (" + shared + ")"
		}
		n := s.t.N()
		if n == 0 {
			rows = append(rows, []string{what, "0", "–", "–", "–", "no seed ran at both points", "–", "–", "–"})
			continue
		}
		v := s.rateVerdict(la)
		if s.pv >= 0.05 && (s.lo > 0 || s.hi < 0) {
			v += " (borderline: the interval leaves out 0)"
		}
		ga, gb := b.points[pq[0]].failEnd, b.points[pq[1]].failEnd
		p90 := fmt.Sprintf("failed runs' p90 %s vs %s", quant(ga, .9), quant(gb, .9))
		for _, tv := range []string{timeVerdict(la, "to the secrets", "", s.dSecrets), timeVerdict(la, "to fail", p90, s.dFail)} {
			if tv != "" {
				v += "; " + tv
			}
		}
		rows = append(rows, []string{what, fmt.Sprint(n), fmt.Sprintf("%s [%s, %s]", points(s.d), points(s.lo), points(s.hi)),
			pval(s.pv), fmt.Sprintf("±%.1f", 100*s.mde), v, shiftCell(s.dSecrets), shiftCell(s.dFail), failP90(b.points[pq[0]], b.points[pq[1]])})
	}
	return block{kind: "table", head: []string{"comparison", "n (paired seeds)", "sign-in difference, points [95% CI]", "McNemar",
		"detectable at 80% power", "verdict (p < 0.05)", "time to secrets, first − second (paired median [95% CI])", "time to failure (same)",
		"failed runs ended, p90 (first vs second)"}, rows: rows}
}

// failP90 is when the slowest tenth of each point's failed runs ended.
func failP90(a, b *group) string {
	if a.failEnd.n == 0 && b.failEnd.n == 0 {
		return "–"
	}
	return fmt.Sprintf("%s (n = %d) vs %s (n = %d)", quant(a.failEnd, .9), a.failEnd.n, quant(b.failEnd, .9), b.failEnd.n)
}

// shiftText is a sentence on paired time differences (A minus B, seconds).
func shiftText(what, where string, d []float64) string {
	if len(d) == 0 {
		return ""
	}
	est, lo, hi, p := PairedShift(d)
	s := fmt.Sprintf("%s, over the %d seeds where %s: median difference %s s (95%% CI %s to %s s, paired bootstrap), sign test %s", what, len(d), where, signed1(est), signed1(lo), signed1(hi), pval(p))
	if p < 0.05 {
		if est > 0 || (est == 0 && signBalance(d) > 0) {
			return s + ": the first takes longer."
		}
		return s + ": the first is quicker."
	}
	return s + ": no detectable difference."
}

// singleVerdict answers a question asked of each point on its own: the
// attacker's success when there are adversaries, else the sign-in rate.
func (b *Builder) singleVerdict(l labelled) string {
	g := l.g
	if g.n == 0 {
		return fmt.Sprintf("**%s**: no run.", l.label)
	}
	if b.hasAdv {
		lo, hi := Wilson(g.won, g.n)
		if g.won == 0 {
			return fmt.Sprintf("**%s**: the attacker obtained nothing in %d runs; its true success rate is below %.2f%% (Wilson 95%% upper bound).", l.label, g.n, 100*hi)
		}
		return fmt.Sprintf("**%s**: the attacker won %d of %d runs, %s (95%% CI %.1f–%.1f%%); %d of them needed the user to confirm a code they could not have seen.",
			l.label, g.won, g.n, pct(g.won, g.n), 100*lo, 100*hi, g.human)
	}
	ok := g.n - g.fail
	lo, hi := Wilson(ok, g.n)
	return fmt.Sprintf("**%s**: signed in %d of %d runs, %s (95%% CI %.1f–%.1f%%).", l.label, ok, g.n, pct(ok, g.n), 100*lo, 100*hi)
}

// verdictBlocks opens the report with the question and a verdict per
// comparison (nothing when the scenario asks no question).
func (b *Builder) verdictBlocks() ([]block, error) {
	if b.q == nil {
		return nil, nil
	}
	out := []block{{kind: "h2", text: "Verdicts"}}
	if b.q.Text != "" {
		out = append(out, block{kind: "p", text: "Question: “" + b.q.Text + "”"})
	}
	if len(b.q.Compare) == 0 || b.runs == nil {
		for _, l := range b.pointGroups() {
			out = append(out, block{kind: "p", text: b.singleVerdict(l)})
		}
		return out, nil
	}
	var all [][2]int
	var paras []block
	for _, c := range b.q.Compare {
		ps := b.pairs(c)
		if len(ps) == 0 {
			paras = append(paras, block{kind: "p", text: "A comparison names no pair of points of this sweep."})
		}
		for _, pq := range ps {
			paras = append(paras, block{kind: "p", text: b.verdict(pq[0], pq[1])})
		}
		all = append(all, ps...)
	}
	if len(all) > 0 {
		out = append(out, b.verdictTable(all))
	}
	out = append(out, paras...)
	out = append(out, block{kind: "p", text: fmt.Sprintf("How to read: every point runs the same seeds, so seed i at one point and seed i at the other form a pair. Sign-in rates are compared with the exact McNemar test on the discordant seeds (one point signed in, the other not) and Newcombe's interval for the difference of paired proportions (method 10, 1998); the detectable difference is Connor's (1987) at two-sided 5%% and 80%% power with the observed share of discordant seeds (when that share is too small to show any difference, for the most favourable case: every discordant seed one way). Times are compared over the seeds where both points got there: the median of the paired differences (first minus second) with a percentile interval from %d paired bootstrap resamples drawn with a fixed seed, and the exact sign test, which assumes nothing about the shape of skewed, tied times. A verdict says a difference when p < 0.05.", BootstrapResamples)})
	return out, nil
}
