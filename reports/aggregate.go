package reports

import (
	"encoding/json"
	"sort"
	"strings"

	"qrlab/sim"
)

// group is the figures of a set of runs (a grid point, a variant, an
// adversary set).
type group struct {
	n, fail, viol           int
	newOnly, existingOnly   int
	unfinished              int
	reasons                 map[string]int
	signedIn, secrets, reqs *hist
	failEnd                 *hist // when failed runs ended
	// tokenOfSecrets is the time to the token of the runs that got the
	// secrets: the same runs as secrets, so its quantiles never exceed
	// those of secrets.
	tokenOfSecrets *hist
	// sides counts each device's ending in failed runs: "N "+ending and
	// "E "+ending.
	sides      map[string]int
	won, human int
	wonHow     map[string]int
	causes     map[string]*CauseTally // failed runs by causeKey
	spend      spend                  // phases and request kinds of successes
	cost       storeCost              // the rendezvous server's cost, every run
}

func newGroup() *group {
	return &group{reasons: map[string]int{}, wonHow: map[string]int{}, signedIn: newHist(), secrets: newHist(), reqs: newHist(),
		failEnd: newHist(), tokenOfSecrets: newHist(), causes: map[string]*CauseTally{}, sides: map[string]int{}}
}

func (g *group) add(r *Record) {
	g.n++
	g.spend.add(r)
	g.cost.add(r)
	if r.Failed() {
		g.fail++
		g.reasons[r.Reason()]++
		g.addCause(r)
		g.sides["N "+ending(r.New)]++
		g.sides["E "+ending(r.Existing)]++
		g.failEnd.add(failedAt(r))
	}
	if r.Violation != nil {
		g.viol++
	}
	switch r.Agreement {
	case "new-only":
		g.newOnly++
	case "existing-only":
		g.existingOnly++
	case "unfinished":
		g.unfinished++
	}
	if r.SignedInMillis >= 0 {
		g.signedIn.add(int64(r.SignedInMillis))
	}
	if r.SecretsMillis >= 0 {
		g.secrets.add(int64(r.SecretsMillis))
		// A run with the secrets has its token (the secrets come after
		// it); one without a token time counts its secrets time.
		tok := r.SignedInMillis
		if tok < 0 || tok > r.SecretsMillis {
			tok = r.SecretsMillis
		}
		g.tokenOfSecrets.add(int64(tok))
	}
	g.reqs.add(int64(r.Requests))
	if r.AttackerWon != "" {
		g.won++
		g.wonHow[r.AttackerWon]++
	}
	if r.HumanFactor {
		g.human++
	}
}

func (g *group) merge(o *group) {
	g.n += o.n
	g.spend.merge(&o.spend)
	g.cost.merge(&o.cost)
	g.fail += o.fail
	g.viol += o.viol
	g.newOnly += o.newOnly
	g.existingOnly += o.existingOnly
	g.unfinished += o.unfinished
	for k, v := range o.reasons {
		g.reasons[k] += v
	}
	g.signedIn.merge(o.signedIn)
	g.secrets.merge(o.secrets)
	g.reqs.merge(o.reqs)
	g.failEnd.merge(o.failEnd)
	g.tokenOfSecrets.merge(o.tokenOfSecrets)
	for k, v := range o.sides {
		g.sides[k] += v
	}
	for k, v := range o.causes {
		if g.causes[k] == nil {
			g.causes[k] = &CauseTally{}
		}
		g.causes[k].merge(v)
	}
	g.won += o.won
	g.human += o.human
	for k, v := range o.wonHow {
		g.wonHow[k] += v
	}
}

func (g *group) disagree() int { return g.newOnly + g.existingOnly }

// Builder aggregates records into a report. Add every record, then Finish
// (which also chooses the runs the report shows as diagrams), then write.
// One pass over the records is enough: while adding, the builder keeps the
// lowest run of each kind a diagram may show (per point and time to
// secrets, per failure reason, per way an attacker won), and Finish takes
// the one its counts name.
type Builder struct {
	m        *Manifest
	points   []*group
	variants map[string]*group
	advs     map[string]*group
	hasAdv   bool
	total    *group
	plain    bool    // plain records: no sweep, any seed
	seen     seenSet // runs added, to drop duplicates
	dups     int
	q        *question // what the scenario asks (nil: nothing)
	runs     []run     // each run's ending, by job, when q compares points

	// Candidates for the diagrams, kept while adding: per point, the
	// lowest seed of a successful run for each time to secrets (with its
	// trace hash); per failure reason and per way an attacker won, the
	// lowest (point, seed) run.
	typCands  []map[int64]typCand
	failCands map[string]*Record
	wonCands  map[string]*Record

	// Chosen runs (after Finish).
	typicalPoint  int
	typicalMillis int64
	failReason    string
	typical, fail *Record
	wonHow        string  // the commonest way an attacker won
	won           *Record // a run won that way
	// Diagrams are Mermaid diagrams the caller made for the chosen runs.
	Diagrams []Diagram
}

// Diagram is one run drawn as a sequence diagram: Mermaid source for
// GitHub, and the steps the report draws as SVG itself (none: the HTML
// shows the source only). Name is the file stem under diagrams/; More
// counts the steps left out at the end.
type Diagram struct {
	Title   string
	Name    string
	Point   int
	Seed    uint64
	Mermaid string
	Steps   []sim.Step
	More    int
}

// NewBuilder starts a report on the sweep m. A nil m stands for plain
// records (simrun run --out): one point, no axes.
func NewBuilder(m *Manifest) *Builder {
	plain := m == nil
	if plain {
		m = &Manifest{Version: ManifestVersion, Name: "runs", Points: 1, Runs: 1}
	}
	b := &Builder{m: m, variants: map[string]*group{}, advs: map[string]*group{}, total: newGroup(), typicalPoint: -1,
		plain: plain, seen: seenSet{}}
	if !plain {
		b.q = readQuestion(m)
	}
	b.points = make([]*group, m.Points)
	b.typCands = make([]map[int64]typCand, m.Points)
	for i := range b.points {
		b.points[i] = newGroup()
	}
	b.failCands, b.wonCands = map[string]*Record{}, map[string]*Record{}
	return b
}

// typCand is a candidate typical run: its seed and trace hash (its point
// and time to secrets are where it is kept).
type typCand struct {
	seed uint64
	hash string
}

// before reports whether r comes before c in (point, seed) order (c nil:
// r is the first).
func before(r, c *Record) bool {
	return c == nil || r.Point < c.Point || (r.Point == c.Point && r.Seed < c.Seed)
}

// keepCandidate remembers r if it is the lowest run of its kind so far.
func (b *Builder) keepCandidate(r *Record) {
	if r.Success() {
		m := b.typCands[r.Point]
		if m == nil {
			m = map[int64]typCand{}
			b.typCands[r.Point] = m
		}
		ms := int64(r.SecretsMillis)
		if c, ok := m[ms]; !ok || r.Seed < c.seed {
			m[ms] = typCand{seed: r.Seed, hash: r.TraceHash}
		}
	}
	if r.Failed() {
		if k := r.Reason(); before(r, b.failCands[k]) {
			c := *r
			b.failCands[k] = &c
		}
	}
	if k := r.AttackerWon; k != "" && before(r, b.wonCands[k]) {
		c := *r
		b.wonCands[k] = &c
	}
}

// Add counts one record. A record that is not a run of the sweep (its
// point, its seed or its axis values) is an error; a second record of a run
// already added is dropped and counted (Duplicates, Warnings), as merge
// does, so that no run counts twice.
func (b *Builder) Add(r *Record) error {
	if err := b.check(r); err != nil {
		return err
	}
	if !b.seen.add(b.runKey(r)) {
		b.dups++
		return nil
	}
	b.points[r.Point].add(r)
	b.total.add(r)
	b.keepCandidate(r)
	b.keepRun(r)
	v := r.Variant
	if b.variants[v] == nil {
		b.variants[v] = newGroup()
	}
	b.variants[v].add(r)
	a := "none"
	if len(r.Adversaries) > 0 {
		a = strings.Join(r.Adversaries, "+")
		b.hasAdv = true
	}
	if b.advs[a] == nil {
		b.advs[a] = newGroup()
	}
	b.advs[a].add(r)
	return nil
}

// Runs is the number of records added.
func (b *Builder) Runs() int { return b.total.n }

// Finish chooses the runs the diagrams show: the typical run is a
// successful run of the point with the most successes whose time to
// secrets is that point's median; the failing run has the commonest
// failure reason; the attacker's run won the commonest way. Each is the
// lowest (point, seed) that qualifies, so the choice does not depend on the
// order of the records. The typical run's record carries its point, seed,
// time to secrets and trace hash only (what a diagram and the report's
// line about it need).
func (b *Builder) Finish() {
	best := -1
	for i, g := range b.points {
		ok := g.n - g.fail
		if ok > 0 && g.secrets.n > 0 && (best < 0 || ok > b.points[best].n-b.points[best].fail) {
			best = i
		}
	}
	b.typicalPoint = best
	b.typical = nil
	if best >= 0 {
		b.typicalMillis = b.points[best].secrets.quantile(0.5)
		if c, ok := b.typCands[best][b.typicalMillis]; ok {
			b.typical = &Record{Point: best}
			b.typical.Seed, b.typical.SecretsMillis, b.typical.TraceHash = c.seed, sim.Millis(b.typicalMillis), c.hash
		}
	}
	b.failReason = ""
	for _, k := range sortedByCount(b.total.reasons) {
		b.failReason = k
		break
	}
	b.fail = b.failCands[b.failReason]
	b.wonHow = ""
	for _, k := range sortedByCount(b.total.wonHow) {
		b.wonHow = k
		break
	}
	b.won = b.wonCands[b.wonHow]
}

// Won returns a run the attacker won the commonest way (nil if none):
// the first by point and seed.
func (b *Builder) Won() *Record { return b.won }

// Chosen returns the typical and the failing run (nil if none).
func (b *Builder) Chosen() (typical, failing *Record) { return b.typical, b.fail }

// sortedByCount orders keys by count, largest first, then by name.
func sortedByCount(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	return keys
}

// pointLabel names a grid point by its axis values.
func (b *Builder) pointLabel(p int) string {
	if len(b.m.Axes) == 0 {
		return "all runs"
	}
	vals := b.m.PointValues(p)
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = shortPath(b.m.Axes[i].Path) + "=" + valueText(v)
	}
	return strings.Join(parts, ", ")
}

// shortPath drops the leading part of a long knob path for labels.
func shortPath(p string) string {
	parts := strings.Split(p, ".")
	if len(parts) > 2 {
		return strings.Join(parts[len(parts)-2:], ".")
	}
	return p
}

// series is one line of an axis plot: for each value of the axis, the
// group of runs.
type series struct {
	label  string
	groups []*group
}

// axisSeries splits the grid along axis a: one series per combination of
// the other axes' values when there are at most maxSeries, else a single
// series over all of them.
func (b *Builder) axisSeries(a int, maxSeries int) []series {
	nv := len(b.m.Axes[a].Values)
	others := b.m.Points / nv
	byKey := map[string]*series{}
	var order []string
	for p := range b.points {
		vals := b.m.PointValues(p)
		x := indexOf(b.m.Axes[a].Values, vals[a])
		key := "all runs"
		if others > 1 && others <= maxSeries {
			var parts []string
			for i, v := range vals {
				if i != a {
					parts = append(parts, shortPath(b.m.Axes[i].Path)+"="+valueText(v))
				}
			}
			key = strings.Join(parts, ", ")
		} else if others > 1 {
			key = "all runs (other axes pooled)"
		}
		s := byKey[key]
		if s == nil {
			s = &series{label: key, groups: make([]*group, nv)}
			for i := range s.groups {
				s.groups[i] = newGroup()
			}
			byKey[key] = s
			order = append(order, key)
		}
		s.groups[x].merge(b.points[p])
	}
	out := make([]series, len(order))
	for i, k := range order {
		out[i] = *byKey[k]
	}
	return out
}

func indexOf(vals []json.RawMessage, v json.RawMessage) int {
	for i, x := range vals {
		if string(x) == string(v) {
			return i
		}
	}
	return 0
}

// numericAxis reports whether every value of the axis is a number.
func numericAxis(a Axis) bool {
	for _, v := range a.Values {
		if _, ok := valueNumber(v); !ok {
			return false
		}
	}
	return true
}
