// Package probefuzz fuzzes a running server's rendezvous API against the
// model (simrun probe --fuzz): generated request sequences (valid ones,
// races of two clients, stale and foreign tokens, duplicates, and requests
// malformed in their method, path, headers, body, size, encoding and
// framing) go to the server, and each answer is compared with what the
// model's store of the same configuration answers to the same request:
// status, errcode, the headers the model sends, the members of the body,
// the tokens (one server token per model token, per session), the
// payloads and the expiry fields (within a tolerance), read with the one
// client codec (model/rendezvous.Client). No answer may be a 5xx or come
// late. A failing sequence is shrunk (delta debugging) and kept as a
// replayable reproducer.
//
// Each sequence is checked against the configuration the server is
// documented to run (Target.Served). For the Synapse-as-shipped presets,
// whose documented behaviour departs from their text, the same answers are
// then checked again, without asking the server, against the text
// (Target.Spec): a disagreement there is a known departure, named by the
// configuration fields that explain it.
package probefuzz

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"qrlab/model/rendezvous"
)

// Options configure a run.
type Options struct {
	Target  Target
	BaseURL string
	Seed    uint64
	Budget  time.Duration // generate sequences until it is spent
	Runs    int           // or exactly this many (when > 0)
	Length  int           // steps per sequence (default 10)
	// Timeout bounds each request (default 5 s).
	Timeout time.Duration
	// Tolerance is how far expiry fields may be from the model's (default
	// 2 s: the two clocks read at different moments).
	Tolerance time.Duration
	// MaxFindings stops the run after this many classes (default 20).
	MaxFindings int
}

// Finding is one class of disagreement with its shortest reproducer.
type Finding struct {
	// Class is the step, its mutations and the part at fault.
	Class string `json:"class"`
	// Known lists the configuration fields (the documented departures of
	// the served preset from its text) that explain it; empty for a new
	// finding.
	Known     []string      `json:"known,omitempty"`
	Served    string        `json:"served"`
	Spec      string        `json:"spec"`
	Seed      uint64        `json:"seed"`
	Run       int           `json:"run"`
	Steps     []Step        `json:"steps"`
	Bad       *Disagreement `json:"disagreement"`
	Exchanges []Exchange    `json:"exchanges"`
	Count     int           `json:"count"`
}

// Result sums a run up.
type Result struct {
	Runs, Requests int
	Elapsed        time.Duration
	Findings       []*Finding
}

// New counts the findings no documented departure explains.
func (r *Result) New() int {
	n := 0
	for _, f := range r.Findings {
		if len(f.Known) == 0 {
			n++
		}
	}
	return n
}

// Fuzzer drives one server.
type Fuzzer struct {
	opts   Options
	client *Client
	now    func() time.Time
}

// NewFuzzer checks opts and connects nothing yet.
func NewFuzzer(opts Options, now func() time.Time) (*Fuzzer, error) {
	if opts.Length <= 0 {
		opts.Length = 10
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Second
	}
	if opts.Tolerance <= 0 {
		opts.Tolerance = 2 * time.Second
	}
	if opts.MaxFindings <= 0 {
		opts.MaxFindings = 20
	}
	c, err := NewClient(opts.BaseURL, opts.Timeout)
	if err != nil {
		return nil, err
	}
	return &Fuzzer{opts: opts, client: c, now: now}, nil
}

// Reach checks that the server accepts connections.
func (f *Fuzzer) Reach() error {
	cc, err := f.client.dial()
	if err != nil {
		return err
	}
	return cc.c.Close()
}

// Close closes the connections.
func (f *Fuzzer) Close() { f.client.Close() }

// Sent is how many requests went to the server.
func (f *Fuzzer) Sent() int { return f.client.Sent() }

func (f *Fuzzer) seqSeed(run int) uint64 { return f.opts.Seed*1_000_003 + uint64(run) }

// verdict is a sequence's result: the disagreement with the served
// configuration (new), or with the text that the departures explain.
type verdict struct {
	out   Outcome
	bad   *Disagreement
	known []string
}

func (v verdict) key(steps []Step) string {
	if v.bad == nil {
		return ""
	}
	if len(v.known) > 0 {
		return "known " + strings.Join(v.known, "+")
	}
	return v.bad.class(steps)
}

// Exec runs one sequence against the server and judges it.
func (f *Fuzzer) Exec(steps []Step, run int) verdict {
	return f.execWith(steps, run, &wireX{c: f.client, now: f.now})
}

func (f *Fuzzer) execWith(steps []Step, run int, wx *wireX) verdict {
	t := f.opts.Target
	tol := f.opts.Tolerance.Milliseconds()
	out := exec(t.Served, f.seqSeed(run), tol, steps, wx)
	f.cleanup(out.Cleanup)
	v := verdict{out: out, bad: out.Bad}
	if v.bad != nil || len(t.Departures) == 0 {
		return v
	}
	again := exec(t.Spec, f.seqSeed(run), tol, steps, &recorded{xs: out.Exchanges})
	if again.Bad == nil {
		return v
	}
	// The served configuration is the text with every departure, so some
	// set of them explains what the text does not; when none does, the
	// disagreement stays a new one.
	v.bad = again.Bad
	v.known = explain(t, f.seqSeed(run), tol, steps, out.Exchanges)
	return v
}

// explain finds a smallest set of departures that makes the text answer
// as the server did: from all of them (the served configuration), it drops
// each one the answers do not need.
func explain(t Target, seed uint64, tol int64, steps []Step, xs []Exchange) []string {
	var names []string
	for _, k := range t.Departures {
		names = append(names, k.Field)
	}
	ok := func(fields []string) bool {
		return exec(With(t.Spec, t.Served, fields), seed, tol, steps, &recorded{xs: xs}).Bad == nil
	}
	if !ok(names) {
		return nil
	}
	for i := 0; i < len(names); {
		fewer := append(append([]string(nil), names[:i]...), names[i+1:]...)
		if ok(fewer) {
			names = fewer
			continue
		}
		i++
	}
	return names
}

// cleanup deletes the sessions a sequence left on the server.
func (f *Fuzzer) cleanup(paths []string) {
	for _, p := range paths {
		f.client.Do(0, &Request{Method: "DELETE", Target: p})
	}
}

// Run generates sequences until the budget or the run count is spent.
func (f *Fuzzer) Run() *Result {
	o := f.opts
	g := &gen{r: rand.New(rand.NewPCG(o.Seed, 0x70726f6265)), spec: o.Target.Spec,
		unique: o.Target.Served.Token == rendezvous.TokenContentTimeHash}
	res := &Result{}
	seen := map[string]*Finding{}
	start := f.now()
	sent0 := f.Sent()
	for run := 0; ; run++ {
		if (o.Runs > 0 && run >= o.Runs) || (o.Runs <= 0 && f.now().Sub(start) >= o.Budget) || len(res.Findings) >= o.MaxFindings {
			break
		}
		steps := g.sequence(o.Length)
		v := f.Exec(steps, run)
		res.Runs++
		if v.bad == nil {
			continue
		}
		// One finding per class of new disagreement, and one per
		// documented departure, each shrunk to a sequence that shows it.
		keys := []string{v.key(steps)}
		if len(v.known) > 0 {
			keys = nil
			for _, kn := range v.known {
				keys = append(keys, "known "+kn)
			}
		}
		for _, k := range keys {
			if fd, ok := seen[k]; ok {
				fd.Count++
				continue
			}
			shows := func(w verdict, c []Step) bool { return w.key(c) == k }
			known := v.known
			if kn, ok := strings.CutPrefix(k, "known "); ok {
				shows = func(w verdict, _ []Step) bool { return slices.Contains(w.known, kn) }
				known = []string{kn}
			}
			min, mv := f.shrink(steps, run, shows, v)
			fd := &Finding{Class: mv.bad.class(min), Known: known, Served: o.Target.ServedName, Spec: o.Target.SpecName,
				Seed: o.Seed, Run: run, Steps: min, Bad: mv.bad, Exchanges: mv.out.Exchanges, Count: 1}
			seen[k] = fd
			res.Findings = append(res.Findings, fd)
		}
	}
	res.Elapsed = f.now().Sub(start)
	res.Requests = f.Sent() - sent0
	slices.SortFunc(res.Findings, func(a, b *Finding) int { return strings.Compare(a.Class, b.Class) })
	return res
}

// shrink is delta debugging over the steps (and the halves of a race or a
// duplicate): the shortest sequence found whose run still shows what
// shows looks for.
func (f *Fuzzer) shrink(steps []Step, run int, shows func(verdict, []Step) bool, v verdict) ([]Step, verdict) {
	if len(v.known) == 0 {
		// A new finding ends its sequence; a departure is judged on all of it.
		steps = steps[:v.bad.Step+1]
	}
	fails := func(c []Step) (verdict, bool) {
		if len(c) == 0 {
			return verdict{}, false
		}
		w := f.Exec(c, run)
		return w, w.bad != nil && shows(w, c)
	}
	if w, ok := fails(steps); ok {
		v = w
	}
	for n := 2; len(steps) >= 2; {
		chunk := (len(steps) + n - 1) / n
		reduced := false
		for i := 0; i < len(steps); i += chunk {
			c := append(append([]Step(nil), steps[:i]...), steps[min(i+chunk, len(steps)):]...)
			if w, ok := fails(c); ok {
				steps, v, reduced = c, w, true
				n = max(n-1, 2)
				break
			}
		}
		if !reduced {
			if n >= len(steps) {
				break
			}
			n = min(2*n, len(steps))
		}
	}
	for i := range steps {
		for _, simpler := range simplifications(steps[i]) {
			c := slices.Clone(steps)
			c[i] = simpler
			if w, ok := fails(c); ok {
				steps, v = c, w
				break
			}
		}
	}
	if len(v.known) == 0 {
		steps = steps[:v.bad.Step+1]
	}
	return steps, v
}

// simplifications are a step without its race, its duplicate or one of its
// mutations.
func simplifications(st Step) []Step {
	var out []Step
	if st.Race != nil {
		a := st
		a.Race = nil
		out = append(out, a, *st.Race)
	}
	if st.Dup {
		a := st
		a.Dup = false
		out = append(out, a)
	}
	for i := range st.Muts {
		a := st
		a.Muts = append(append([]Mut(nil), st.Muts[:i]...), st.Muts[i+1:]...)
		out = append(out, a)
	}
	return out
}

// Replay runs a finding's steps against the server and says what they
// showed; bad is true when a disagreement no documented departure explains
// still shows. The steps run once as the fuzzer ran them; when that shows
// none and they hold races, whose outcome is the order the server happened
// to take (a loaded machine or one core can take the same order every
// time), they run again with each race's requests sent one after the
// other, in every order (up to maxSerialRaces races), so that a
// reproducer whose race the server once took in the failing order fails
// again however the scheduler runs now.
func (f *Fuzzer) Replay(fd *Finding) (bad bool, msg string) {
	v := f.Exec(fd.Steps, fd.Run)
	how := ""
	if races := countRaces(fd.Steps); (v.bad == nil || len(v.known) > 0) && races > 0 {
		for orders := uint64(0); orders < 1<<min(races, maxSerialRaces); orders++ {
			serial := func(race int) bool { return race < maxSerialRaces && orders&(1<<race) != 0 }
			if w := f.execWith(fd.Steps, fd.Run, &wireX{c: f.client, now: f.now, serial: serial}); w.bad != nil && len(w.known) == 0 {
				v, how = w, fmt.Sprintf(" (races sent one after the other, %s)", raceOrders(races, serial))
				break
			}
		}
	}
	switch {
	case v.bad == nil:
		return false, fmt.Sprintf("%d steps: every answer follows %s", len(fd.Steps), f.opts.Target.SpecName)
	case len(v.known) > 0:
		return false, fmt.Sprintf("%d steps: the documented departure %s shows at step %d: %s", len(fd.Steps),
			strings.Join(v.known, "+"), v.bad.Step, v.bad.Detail)
	}
	return true, fmt.Sprintf("%d steps%s: %s at step %d: %s", len(fd.Steps), how, v.key(fd.Steps), v.bad.Step, v.bad.Detail)
}

// maxSerialRaces bounds the races whose orders Replay tries (2^n runs).
const maxSerialRaces = 6

func countRaces(steps []Step) int {
	n := 0
	for _, st := range steps {
		if st.Race != nil {
			n++
		}
	}
	return n
}

// raceOrders says which request of each race went first.
func raceOrders(races int, serial func(int) bool) string {
	var parts []string
	for i := range races {
		first := "its first request first"
		if serial(i) {
			first = "its second request first"
		}
		parts = append(parts, fmt.Sprintf("race %d %s", i+1, first))
	}
	return strings.Join(parts, ", ")
}
