package peerfuzz

import (
	"math/rand/v2"
	"time"
)

// Run replays the corpus, then generates sequences until the budget (or
// the run count) is spent; each disagreement class is shrunk once and
// classified. now is the clock (time.Now outside tests).
func (f *Fuzzer) Run(opts Options, now func() time.Time) *Result {
	if opts.Length <= 0 {
		opts.Length = 24
	}
	if opts.MaxFindings <= 0 {
		opts.MaxFindings = 20
	}
	res := &Result{}
	seen := map[string]bool{}
	byClass := map[string]*Finding{}
	start := now()
	f.ops = 0
	handle := func(steps []Step, run int, fromCorpus bool) {
		res.Runs++
		res.Steps += len(steps)
		o := f.Exec(steps)
		fresh := false
		for _, b := range o.behaviours {
			if !seen[b] {
				seen[b], fresh = true, true
			}
		}
		if fresh && !fromCorpus {
			res.NewCorpus = append(res.NewCorpus, Entry{Construction: string(f.cfg.Construction), Steps: steps})
		}
		if !o.disagreement {
			return
		}
		class := o.class(steps)
		// The same class with another explanation is another finding: a
		// new cause must not hide behind a known one's class.
		key := class
		if k := Classify(f.cfg.Construction, steps, o); k != nil {
			key += "|" + k.Name
		}
		if fd := byClass[key]; fd != nil {
			fd.Count++
			return
		}
		min, mo := f.Minimise(steps[:o.at+1], o)
		fd := &Finding{Class: class, Seed: f.seed, Run: run, Steps: min, At: mo.at,
			Peer: mo.peer, Model: mo.model, Trace: mo.trace, Lines: mo.lines, Count: 1}
		fd.Known = Classify(f.cfg.Construction, min, mo)
		byClass[key] = fd
		res.Findings = append(res.Findings, fd)
		res.NewCorpus = append(res.NewCorpus, Entry{Construction: string(f.cfg.Construction), Steps: min})
	}
	for _, e := range opts.Corpus {
		handle(e.Steps, -1, true)
	}
	for run := 0; len(res.Findings) < opts.MaxFindings; run++ {
		if opts.Runs > 0 && run >= opts.Runs {
			break
		}
		if opts.Runs <= 0 && now().Sub(start) >= opts.Budget {
			break
		}
		r := rand.New(rand.NewPCG(opts.Seed, uint64(run)))
		handle(Generate(r, opts.Length, opts.AAD), run, false)
	}
	res.Ops = f.ops
	res.Elapsed = now().Sub(start)
	return res
}

// Minimise shrinks steps to a shortest sequence that still ends in a
// disagreement of class (delta debugging: drop chunks, halving their size,
// then single steps). o is what steps showed; a peer whose randomness
// makes the disagreement come and go keeps the longer sequence.
func (f *Fuzzer) Minimise(steps []Step, o outcome) ([]Step, outcome) {
	class := o.class(steps)
	best, bestO := append([]Step(nil), steps...), o
	test := func(cand []Step) bool {
		o := f.Exec(cand)
		if o.disagreement && o.class(cand) == class {
			best, bestO = cand[:o.at+1], o
			return true
		}
		return false
	}
	for n := len(best) / 2; n >= 1; n /= 2 {
		for i := 0; i+n <= len(best); {
			cand := append(append([]Step(nil), best[:i]...), best[i+n:]...)
			if len(cand) == 0 || !test(cand) {
				i += n
			}
		}
	}
	return best, bestO
}
