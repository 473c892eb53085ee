package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"qrlab/model/variant"
)

// block is one piece of a report, rendered as Markdown and as HTML.
type block struct {
	kind  string // h1, h2, h3, p, table, figure, mermaid
	text  string
	head  []string
	rows  [][]string
	fig   *figure
	notes string
	diag  *Diagram // a mermaid block's run, drawn as SVG in HTML
}

// maxSeries bounds the series of one figure before groups are pooled
// (panels of at most panelSeries each).
const maxSeries = 24

func pct(k, n int) string {
	if n == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(k)/float64(n))
}

func ci(k, n int) string {
	if n == 0 {
		return "–"
	}
	lo, hi := Wilson(k, n)
	return fmt.Sprintf("%.1f–%.1f%%", 100*lo, 100*hi)
}

func secs(ms int64) string { return fmt.Sprintf("%.1f s", float64(ms)/1000) }

func quant(h *hist, p float64) string {
	if h.n == 0 {
		return "–"
	}
	return secs(h.quantile(p))
}

// labelled is a group with its name, for tables and plots.
type labelled struct {
	label string
	cells []string // one cell per label column
	g     *group
}

// pointGroups lists the grid points (with one cell per axis).
func (b *Builder) pointGroups() []labelled {
	out := make([]labelled, len(b.points))
	for p, g := range b.points {
		var cells []string
		if len(b.m.Axes) == 0 {
			cells = []string{"all runs"}
		} else {
			for _, v := range b.m.PointValues(p) {
				cells = append(cells, valueText(v))
			}
		}
		out[p] = labelled{label: b.pointLabel(p), cells: cells, g: g}
	}
	return out
}

func (b *Builder) labelHead() []string {
	if len(b.m.Axes) == 0 {
		return []string{"runs of"}
	}
	h := make([]string, len(b.m.Axes))
	for i, a := range b.m.Axes {
		h[i] = "`" + a.Path + "`"
	}
	return h
}

func (b *Builder) variantGroups() []labelled {
	var out []labelled
	for _, v := range slices.Sorted(maps.Keys(b.variants)) {
		out = append(out, labelled{label: v, cells: []string{v + " (" + presetStatus(v) + ")"}, g: b.variants[v]})
	}
	return out
}

// plotGroups is what CDF and reason plots draw: the grid points when there
// are few, else the variants.
func (b *Builder) plotGroups(limit int) ([]labelled, string) {
	pg := b.pointGroups()
	if len(pg) <= limit {
		return pg, "grid point"
	}
	return b.variantGroups(), "variant (other axes pooled)"
}

func summaryRow(l labelled) []string {
	g := l.g
	row := append([]string(nil), l.cells...)
	return append(row,
		fmt.Sprint(g.n),
		pct(g.n-g.fail, g.n),
		fmt.Sprintf("%s (%s)", pct(g.fail, g.n), ci(g.fail, g.n)),
		pct(g.disagree(), g.n),
		fmt.Sprint(g.viol),
		fmt.Sprint(g.secrets.n),
		quant(g.tokenOfSecrets, .5)+" / "+quant(g.tokenOfSecrets, .9),
		quant(g.secrets, .5)+" / "+quant(g.secrets, .9),
		fmt.Sprintf("%.1f", g.reqs.mean()),
		topCause(g),
	)
}

// topCause is a group's commonest failure: both devices' endings, the
// root cause and how many of the failed runs it accounts for.
func topCause(g *group) string {
	keys := causesByCount(g.causes)
	if len(keys) == 0 {
		return "–"
	}
	t := g.causes[keys[0]]
	parts := strings.Split(keys[0], "\x00")
	cause := t.Text()
	if cause != "none recorded" && !strings.HasPrefix(cause, "violation") {
		cause = "`" + cause + "`"
	}
	return fmt.Sprintf("N `%s`, E `%s`: %s (%d of %d)", parts[0], parts[1], cause, t.N, g.fail)
}

var summaryHead = []string{"runs", "signed in", "failed (95% CI)", "disagree", "violations",
	"got secrets", "to token p50 / p90", "to secrets p50 / p90", "requests / run", "commonest failure"}

// blocks builds the report, section by section.
func (b *Builder) blocks() ([]block, error) {
	var out []block
	for _, section := range []func() ([]block, error){
		b.introBlocks, b.verdictBlocks, b.provenanceBlocks, b.sideBySideBlocks, b.timeBlocks, b.failureRateBlocks, b.reasonBlocks, b.causeBlocks,
		b.disagreementBlocks, b.loadBlocks, b.spendBlocks, b.costBlocks, b.adversaryBlocks, b.diagramBlocks,
	} {
		bl, err := section()
		if err != nil {
			return nil, err
		}
		out = append(out, bl...)
	}
	return out, nil
}

// introBlocks is the title, what was read and the sweep's axes.
func (b *Builder) introBlocks() ([]block, error) {
	m := b.m
	out := []block{{kind: "h1", text: "Report: " + m.Name}}
	if m.Description != "" {
		out = append(out, block{kind: "p", text: m.Description})
	}
	var intro strings.Builder
	fmt.Fprintf(&intro, "%d runs read", b.total.n)
	if b.dups > 0 {
		fmt.Fprintf(&intro, " (%d duplicate record(s) dropped)", b.dups)
	}
	if m.Fingerprint != "" {
		fmt.Fprintf(&intro, ": %d grid point(s) × %d seed(s) (seeds %d–%d) = %d runs in the sweep", m.Points, m.Runs, m.Seed,
			m.Seed+uint64(m.Runs)-1, m.Jobs())
		switch {
		case m.Shard != "":
			fmt.Fprintf(&intro, "; these are the runs of shard %s only", m.Shard)
		case b.total.n < m.Jobs():
			fmt.Fprintf(&intro, "; **incomplete: %d runs missing**", m.Jobs()-b.total.n)
		}
		fmt.Fprintf(&intro, ". Sweep fingerprint `%s`", m.Fingerprint)
	}
	intro.WriteString(". Every figure below says how many runs it rests on (n, or the runs column); intervals are Wilson 95% score intervals.")
	out = append(out, block{kind: "p", text: intro.String()})
	if len(m.Axes) > 0 {
		var ax []string
		for _, a := range m.Axes {
			ax = append(ax, fmt.Sprintf("`%s` (%s)", a.Path, strings.Join(axisLabels(a), ", ")))
		}
		out = append(out, block{kind: "p", text: "Sweep axes: " + strings.Join(ax, "; ") + "."})
	}
	return out, nil
}

// provenanceBlocks names the presets run and where they come from (after
// the verdicts, so that the answer comes first).
func (b *Builder) provenanceBlocks() ([]block, error) {
	return []block{{kind: "h2", text: "Presets run"}, {kind: "p", text: b.provenanceText()}}, nil
}

// presetStatus is a preset's provenance status (variant.Status), or says
// the name is no built-in preset (a file of one's own, a renamed preset).
func presetStatus(name string) string {
	st, err := variant.Status(name)
	if err != nil {
		return "not a built-in preset: no provenance"
	}
	return st
}

// provenanceText names every preset the records ran with its provenance
// status, and the variant knobs the scenario sets or sweeps, whose values
// are then the scenario's, not the preset's.
func (b *Builder) provenanceText() string {
	var names []string
	for _, v := range slices.Sorted(maps.Keys(b.variants)) {
		names = append(names, fmt.Sprintf("`%s` (%s)", v, presetStatus(v)))
	}
	text := "Provenance of the presets run: " + strings.Join(names, "; ") + "."
	var set struct {
		Set map[string]json.RawMessage `json:"set"`
	}
	_ = json.Unmarshal(b.m.Scenario, &set) // a manifest without a readable scenario names no set knob
	var knobs []string
	for _, k := range slices.Sorted(maps.Keys(set.Set)) {
		if strings.HasPrefix(k, "variant.") || strings.HasPrefix(k, "new_variant.") {
			knobs = append(knobs, fmt.Sprintf("`%s` (set)", k))
		}
	}
	for _, a := range b.m.Axes {
		if strings.HasPrefix(a.Path, "variant.") || strings.HasPrefix(a.Path, "new_variant.") {
			knobs = append(knobs, fmt.Sprintf("`%s` (swept)", a.Path))
		}
	}
	if len(knobs) > 0 {
		text += " Overridden by the scenario, so the preset's origin does not apply to them: " + strings.Join(knobs, ", ") + "."
	}
	return text
}

// sideBySideBlocks is the summary table of every grid point (and of every
// variant when the grid pools them).
func (b *Builder) sideBySideBlocks() ([]block, error) {
	out := []block{{kind: "h2", text: "Side by side"}}
	head := append(b.labelHead(), summaryHead...)
	var rows [][]string
	for _, l := range b.pointGroups() {
		rows = append(rows, summaryRow(l))
	}
	if len(b.points) > 1 {
		tot := labelled{cells: make([]string, len(b.labelHead())), g: b.total}
		tot.cells[0] = "**all**"
		rows = append(rows, summaryRow(tot))
	}
	out = append(out, block{kind: "table", head: head, rows: rows,
		notes: "signed in: both devices succeeded (the new device has its token and the secrets). disagree: one device succeeded and the other failed. Times are seconds of virtual time from the start of the login, both over the same runs: those whose new device got the secrets (the got secrets column), so the time to secrets is never below the time to token. commonest failure: the new device's (N) and the existing device's (E) endings and the root cause shared by the most failed runs (Failures by cause lists the others, with time to failure)."})
	if vg := b.variantGroups(); len(vg) > 1 && len(vg) < len(b.points) {
		out = append(out, block{kind: "h3", text: "By variant (other axes pooled)"})
		var rows [][]string
		for _, l := range vg {
			rows = append(rows, summaryRow(l))
		}
		out = append(out, block{kind: "table", head: append([]string{"variant"}, summaryHead...), rows: rows})
	}
	return out, nil
}

// timeBlocks is the CDFs of the time to signed in and to secrets, with
// their quantiles.
func (b *Builder) timeBlocks() ([]block, error) {
	out := []block{{kind: "h2", text: "Time to signed in and to secrets"}}
	groups, by := b.plotGroups(12)
	var labels []string
	var tok, sec []*hist
	var totals []int
	var rows [][]string
	for _, l := range groups {
		labels = append(labels, l.label)
		totals = append(totals, l.g.n)
		tok = append(tok, l.g.signedIn)
		sec = append(sec, l.g.secrets)
		rows = append(rows, []string{l.label, fmt.Sprint(l.g.signedIn.n), quant(l.g.signedIn, .5), quant(l.g.signedIn, .9),
			quant(l.g.signedIn, .99), fmt.Sprint(l.g.secrets.n), quant(l.g.secrets, .5), quant(l.g.secrets, .9), quant(l.g.secrets, .99)})
	}
	for _, f := range []struct {
		stem, what string
		hs         []*hist
	}{{"cdf-signed-in", "time to signed in (the new device has its access token)", tok},
		{"cdf-secrets", "time to secrets (the new device opened m.login.secrets)", sec}} {
		if !anyValues(f.hs) {
			out = append(out, block{kind: "p", text: fmt.Sprintf("No run reached the %s: nothing to plot.", strings.SplitN(f.what, " (", 2)[0])})
			continue
		}
		p, err := cdfPlot("CDF of "+strings.SplitN(f.what, " (", 2)[0]+", per "+strings.SplitN(by, " (", 2)[0], labels, f.hs, totals)
		if err != nil {
			return nil, err
		}
		out = append(out, block{kind: "figure", fig: &figure{stem: f.stem, p: p,
			caption: fmt.Sprintf("CDF of %s over all runs, one curve per %s: a curve levels off at the share of runs that got there (the legend gives both counts).", f.what, by)}})
	}
	out = append(out, block{kind: "table", head: []string{by, "n (token)", "p50", "p90", "p99", "n (secrets)", "p50", "p90", "p99"}, rows: rows,
		notes: "Each time is over the runs that got there (its n): a run that got its token but failed before the secrets counts for the token only, so the two medians here may rest on different runs. Side by side gives both over the same runs."})
	return out, nil
}

// anyValues reports whether any histogram holds a value.
func anyValues(hs []*hist) bool {
	for _, h := range hs {
		if h.n > 0 {
			return true
		}
	}
	return false
}

// failureRateBlocks plots the failure rate against each axis (nothing for
// a single point).
func (b *Builder) failureRateBlocks() ([]block, error) {
	if len(b.points) <= 1 {
		return nil, nil
	}
	var out []block
	for i, a := range b.m.Axes {
		ss := b.axisSeries(i, maxSeries)
		out = append(out, block{kind: "h2", text: fmt.Sprintf("Failure rate against `%s`", a.Path)})
		p, err := ratePlot("Failure rate against "+a.Path, "failed logins, % of runs (Wilson 95%)", a, ss, func(g *group) int { return g.fail })
		if err != nil {
			return nil, err
		}
		out = append(out, block{kind: "figure", fig: &figure{stem: fmt.Sprintf("failure-%d", i+1), p: p,
			caption: fmt.Sprintf("Failure rate with Wilson 95%% intervals against %s; the table gives n for every point.", a.Path)}})
		var rows [][]string
		for _, s := range ss {
			for j, g := range s.groups {
				rows = append(rows, []string{valueText(a.Values[j]), s.label, fmt.Sprint(g.n), fmt.Sprint(g.fail), pct(g.fail, g.n), ci(g.fail, g.n)})
			}
		}
		out = append(out, block{kind: "table", head: []string{"`" + a.Path + "`", "series", "runs", "failed", "rate", "95% CI"}, rows: rows})
	}
	return out, nil
}

// reasonBlocks is the failure reasons: the five commonest stacked per
// group, the rest pooled as "other" and listed.
func (b *Builder) reasonBlocks() ([]block, error) {
	out := []block{{kind: "h2", text: "Failure reasons"}}
	reasons := sortedByCount(b.total.reasons)
	if len(reasons) == 0 {
		return append(out, block{kind: "p", text: fmt.Sprintf("No run failed (n=%d).", b.total.n)}), nil
	}
	layers := reasons
	if len(layers) > panelSeries {
		layers = append(append([]string(nil), reasons[:panelSeries-1]...), "other")
	}
	rg, rby := b.plotGroups(30)
	frac := make([][]float64, len(layers))
	var bars []string
	for li := range layers {
		frac[li] = make([]float64, len(rg))
	}
	var rows [][]string
	for gi, l := range rg {
		bars = append(bars, strings.Join(l.cells, ", "))
		row := []string{l.label, fmt.Sprint(l.g.n), pct(l.g.fail, l.g.n)}
		for li, r := range layers {
			c := l.g.reasons[r]
			if r == "other" && len(reasons) > panelSeries {
				c = 0
				for _, o := range reasons[panelSeries-1:] {
					c += l.g.reasons[o]
				}
			}
			if l.g.n > 0 {
				frac[li][gi] = float64(c) / float64(l.g.n)
			}
			row = append(row, fmt.Sprintf("%d (%s)", c, pct(c, l.g.n)))
		}
		rows = append(rows, row)
	}
	p, err := stackedPlot("Failed runs by reason, per "+strings.SplitN(rby, " (", 2)[0], bars, layers, frac)
	if err != nil {
		return nil, err
	}
	out = append(out, block{kind: "figure", fig: &figure{stem: "reasons", p: p,
		caption: fmt.Sprintf("Failed runs by reason (the new device's, else the existing device's), stacked, as a share of all runs of each %s; the table gives n.", rby)}})
	h := []string{rby, "runs", "failed"}
	for _, r := range layers {
		h = append(h, "`"+r+"`")
	}
	out = append(out, block{kind: "table", head: h, rows: rows})
	if len(reasons) > panelSeries {
		var other []string
		for _, r := range reasons[panelSeries-1:] {
			other = append(other, fmt.Sprintf("`%s` %d", r, b.total.reasons[r]))
		}
		out = append(out, block{kind: "p", text: "other: " + strings.Join(other, ", ") + "."})
	}
	return append(out, block{kind: "h3", text: "Each device's ending"}, b.sidesBlock(rg, rby)), nil
}

// sidesBlock is each device's ending in the failed runs, per group: the
// reason the new device gave and the one the existing device gave, which
// the table above folds into one.
func (b *Builder) sidesBlock(rg []labelled, rby string) block {
	totals := map[string]int{}
	for k, v := range b.total.sides {
		totals[k[2:]] += v
	}
	endings := sortedByCount(totals)
	cols := endings
	if len(cols) > panelSeries {
		cols = endings[:panelSeries-1]
	}
	var rows [][]string
	for _, l := range rg {
		row := []string{l.label, fmt.Sprint(l.g.fail)}
		rest := [2]int{}
		for _, e := range endings {
			n, x := l.g.sides["N "+e], l.g.sides["E "+e]
			if slices.Contains(cols, e) {
				row = append(row, fmt.Sprintf("%d / %d", n, x))
				continue
			}
			rest[0], rest[1] = rest[0]+n, rest[1]+x
		}
		if len(cols) < len(endings) {
			row = append(row, fmt.Sprintf("%d / %d", rest[0], rest[1]))
		}
		rows = append(rows, row)
	}
	head := []string{rby, "failed"}
	for _, e := range cols {
		head = append(head, "`"+e+"`")
	}
	if len(cols) < len(endings) {
		head = append(head, "other")
	}
	return block{kind: "table", head: head, rows: rows,
		notes: "Each device's own ending in the failed runs, as new device / existing device: how many failed runs each device ended with that reason (or outcome; success when it succeeded and the other did not). The table above counts one reason per run, the new device's first; Failures by cause pairs both with the root cause."}
}

// disagreementBlocks is the outcome disagreement per point, and against
// each axis.
func (b *Builder) disagreementBlocks() ([]block, error) {
	out := []block{{kind: "h2", text: "Outcome disagreement"},
		{kind: "p", text: "A run disagrees when one device succeeded and the other failed: new-only (the new device signed in, the existing device did not finish) or existing-only (the existing device sent the secrets, the new device failed). The simulator records it; it is not an invariant."}}
	var rows [][]string
	for _, l := range b.pointGroups() {
		g := l.g
		rows = append(rows, append(append([]string(nil), l.cells...), fmt.Sprint(g.n), fmt.Sprint(g.newOnly), fmt.Sprint(g.existingOnly),
			fmt.Sprint(g.unfinished), pct(g.disagree(), g.n), ci(g.disagree(), g.n)))
	}
	out = append(out, block{kind: "table", head: append(b.labelHead(), "runs", "new-only", "existing-only", "unfinished", "disagreement", "95% CI"), rows: rows})
	if len(b.points) > 1 {
		for i, a := range b.m.Axes {
			p, err := ratePlot("Disagreement against "+a.Path, "runs with one device failed, % (Wilson 95%)", a, b.axisSeries(i, maxSeries),
				func(g *group) int { return g.disagree() })
			if err != nil {
				return nil, err
			}
			out = append(out, block{kind: "figure", fig: &figure{stem: fmt.Sprintf("disagreement-%d", i+1), p: p,
				caption: fmt.Sprintf("Outcome disagreement with Wilson 95%% intervals against %s (n per point in the table above).", a.Path)}})
		}
	}
	return out, nil
}

// loadBlocks is the requests per run per point, and against each axis.
func (b *Builder) loadBlocks() ([]block, error) {
	out := []block{{kind: "h2", text: "Server load: requests per run"},
		{kind: "p", text: "HTTP requests both devices and the browser sent in one run, retries and polls included, over every run: a failure that ends early lowers the mean. per success is every run's requests divided by the successful logins (what one sign-in costs, failed attempts included); the next section splits the requests of successful logins by kind, with intervals."}}
	var rows [][]string
	for _, l := range b.pointGroups() {
		g := l.g
		per := "–"
		if ok := g.n - g.fail; ok > 0 {
			per = fmt.Sprintf("%.1f", float64(g.reqs.sum)/float64(ok))
		}
		rows = append(rows, append(append([]string(nil), l.cells...), fmt.Sprint(g.reqs.n), fmt.Sprintf("%.1f", g.reqs.mean()),
			fmt.Sprint(g.reqs.quantile(.5)), fmt.Sprint(g.reqs.quantile(.9)), fmt.Sprint(g.reqs.quantile(.99)), fmt.Sprint(g.reqs.quantile(1)), per))
	}
	out = append(out, block{kind: "table", head: append(b.labelHead(), "runs", "mean", "p50", "p90", "p99", "max", "per success"), rows: rows})
	if len(b.points) > 1 {
		for i, a := range b.m.Axes {
			p, err := meanPlot("Requests per run against "+a.Path, "mean requests per run", a, b.axisSeries(i, maxSeries),
				func(g *group) (float64, float64, bool) { return g.reqs.mean(), 0, g.reqs.n > 0 })
			if err != nil {
				return nil, err
			}
			out = append(out, block{kind: "figure", fig: &figure{stem: fmt.Sprintf("requests-%d", i+1), p: p,
				caption: fmt.Sprintf("Mean requests per run against %s (n per point in the table above).", a.Path)}})
		}
	}
	return out, nil
}

// adversaryBlocks is the attackers' success per adversary set (nothing
// when no run had an adversary).
func (b *Builder) adversaryBlocks() ([]block, error) {
	if !b.hasAdv {
		return nil, nil
	}
	out := []block{{kind: "h2", text: "Adversaries"}}
	var rows [][]string
	var names []json.RawMessage
	var groupsA []*group
	for _, k := range slices.Sorted(maps.Keys(b.advs)) {
		g := b.advs[k]
		var how []string
		for _, w := range sortedByCount(g.wonHow) {
			how = append(how, fmt.Sprintf("%s %d", w, g.wonHow[w]))
		}
		rows = append(rows, []string{k, fmt.Sprint(g.n), fmt.Sprint(g.won), pct(g.won, g.n), ci(g.won, g.n), fmt.Sprint(g.human), strings.Join(how, ", ")})
		nb, _ := json.Marshal(k)
		names = append(names, nb)
		groupsA = append(groupsA, g)
	}
	out = append(out, block{kind: "table", head: []string{"adversaries", "runs", "attacker won", "rate", "95% CI", "needed the user", "what it obtained"}, rows: rows,
		notes: "needed the user: the attacker won only because the user confirmed a code they could not have seen."})
	p, err := ratePlot("Adversary success", "runs the attacker won, % (Wilson 95%)", Axis{Path: "adversaries", Values: names},
		[]series{{label: "attacker won", groups: groupsA}}, func(g *group) int { return g.won })
	if err != nil {
		return nil, err
	}
	out = append(out, block{kind: "figure", fig: &figure{stem: "adversaries", p: p, caption: "Adversary success rate with Wilson 95% intervals (n per set in the table above)."}})
	return out, nil
}

// diagramBlocks names the typical and the failing run and shows the
// diagrams the caller drew for them.
func (b *Builder) diagramBlocks() ([]block, error) {
	out := []block{{kind: "h2", text: "Runs to look at"}}
	if b.typical == nil && b.fail == nil {
		out = append(out, block{kind: "p", text: "No run to show."})
	}
	if b.typical != nil {
		g := b.points[b.typical.Point]
		out = append(out, block{kind: "p", text: fmt.Sprintf("Typical run: point %d (%s), seed %d, secrets after %s, the median of the %d runs of that point that got them.",
			b.typical.Point, b.pointLabel(b.typical.Point), b.typical.Seed, secs(int64(b.typical.SecretsMillis)), g.secrets.n)})
	}
	if b.fail != nil {
		out = append(out, block{kind: "p", text: fmt.Sprintf("Failing run: point %d (%s), seed %d, failed with `%s`, the commonest failure reason (%d of %d failed runs).",
			b.fail.Point, b.pointLabel(b.fail.Point), b.fail.Seed, b.failReason, b.total.reasons[b.failReason], b.total.fail)})
	}
	if b.won != nil {
		out = append(out, block{kind: "p", text: fmt.Sprintf("Attacker's winning run: point %d (%s), seed %d, the attacker obtained `%s`, the commonest way it won (%d of %d won runs).",
			b.won.Point, b.pointLabel(b.won.Point), b.won.Seed, b.wonHow, b.total.wonHow[b.wonHow], b.total.won)})
	}
	for i := range b.Diagrams {
		d := &b.Diagrams[i]
		out = append(out, block{kind: "h3", text: d.Title}, block{kind: "mermaid", text: d.Mermaid, diag: d})
	}
	return out, nil
}

// Markdown renders the report as Markdown (plots as plots/*.png).
func (b *Builder) Markdown() ([]byte, error) {
	bl, err := b.blocks()
	if err != nil {
		return nil, err
	}
	return markdown(bl), nil
}

func mdCell(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ") }

func markdown(bl []block) []byte {
	var w bytes.Buffer
	for _, b := range bl {
		switch b.kind {
		case "h1":
			fmt.Fprintf(&w, "# %s\n\n", b.text)
		case "h2":
			fmt.Fprintf(&w, "## %s\n\n", b.text)
		case "h3":
			fmt.Fprintf(&w, "### %s\n\n", b.text)
		case "p":
			fmt.Fprintf(&w, "%s\n\n", b.text)
		case "table":
			cells := make([]string, len(b.head))
			for i, h := range b.head {
				cells[i] = mdCell(h)
			}
			fmt.Fprintf(&w, "| %s |\n|", strings.Join(cells, " | "))
			for range b.head {
				w.WriteString(" --- |")
			}
			w.WriteString("\n")
			for _, r := range b.rows {
				cells := make([]string, len(r))
				for i, c := range r {
					cells[i] = mdCell(c)
				}
				fmt.Fprintf(&w, "| %s |\n", strings.Join(cells, " | "))
			}
			w.WriteString("\n")
			if b.notes != "" {
				fmt.Fprintf(&w, "%s\n\n", b.notes)
			}
		case "figure":
			fmt.Fprintf(&w, "![%s](plots/%s.png)\n\n*%s* ([SVG](plots/%s.svg))\n\n", b.fig.stem, b.fig.stem, b.fig.caption, b.fig.stem)
		case "mermaid":
			fmt.Fprintf(&w, "```mermaid\n%s\n```\n\n", strings.TrimRight(b.text, "\n"))
			if s := b.diag.stem(); s != "" {
				fmt.Fprintf(&w, "*Drawn as SVG: [%s.svg](diagrams/%s.svg); Mermaid source: [%s.mmd](diagrams/%s.mmd).*\n\n", s, s, s, s)
			}
		}
	}
	return bytes.TrimRight(w.Bytes(), "\n")
}

// inlineCode turns `x` into <code>x</code> and **x** into <strong>x</strong>
// in escaped HTML text.
func inlineHTML(s string) string {
	s = html.EscapeString(s)
	var w strings.Builder
	code, strong := false, false
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '`':
			if code {
				w.WriteString("</code>")
			} else {
				w.WriteString("<code>")
			}
			code = !code
		case !code && strings.HasPrefix(s[i:], "**"):
			if strong {
				w.WriteString("</strong>")
			} else {
				w.WriteString("<strong>")
			}
			strong = !strong
			i++
		default:
			w.WriteByte(s[i])
		}
	}
	return w.String()
}

func htmlPage(bl []block) []byte {
	var w bytes.Buffer
	title := "Report"
	if len(bl) > 0 && bl[0].kind == "h1" {
		title = bl[0].text
	}
	fmt.Fprintf(&w, `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>%s</title>
<style>
%s</style>
</head>
<body>
`, html.EscapeString(title), pageCSS)
	for _, b := range bl {
		switch b.kind {
		case "h1", "h2", "h3":
			fmt.Fprintf(&w, "<%s>%s</%s>\n", b.kind, inlineHTML(b.text), b.kind)
		case "p":
			fmt.Fprintf(&w, "<p>%s</p>\n", inlineHTML(b.text))
		case "table":
			w.WriteString("<table>\n<tr>")
			for _, h := range b.head {
				fmt.Fprintf(&w, "<th>%s</th>", inlineHTML(h))
			}
			w.WriteString("</tr>\n")
			for _, r := range b.rows {
				w.WriteString("<tr>")
				for _, c := range r {
					fmt.Fprintf(&w, "<td>%s</td>", inlineHTML(c))
				}
				w.WriteString("</tr>\n")
			}
			w.WriteString("</table>\n")
			if b.notes != "" {
				fmt.Fprintf(&w, "<p>%s</p>\n", inlineHTML(b.notes))
			}
		case "figure":
			figureHTML(&w, b.fig)
		case "mermaid":
			diagramHTML(&w, b.diag, b.text)
		}
	}
	w.WriteString("</body>\n</html>\n")
	return w.Bytes()
}

// Write writes dir/report.md, dir/report.html and the plots under
// dir/plots.
func (b *Builder) Write(dir string) error {
	bl, err := b.blocks()
	if err != nil {
		return err
	}
	for _, x := range bl {
		if x.kind == "figure" {
			if err := x.fig.save(dir); err != nil {
				return err
			}
		}
		if x.kind == "mermaid" {
			if err := x.diag.save(dir); err != nil {
				return err
			}
		}
	}
	md := append(markdown(bl), '\n')
	if err := os.WriteFile(filepath.Join(dir, "report.md"), md, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "report.html"), htmlPage(bl), 0o644)
}
