package explore

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"qrlab/sim"
)

// Depth first on several workers (Options.Workers > 1, mode dfs).
//
// Each worker runs the depth-first loop of dfs on its own simulator and
// stack; the visited set is one, shared (sharedSet: the fingerprint table
// of the serial search cut into shards, each behind its own lock, each
// growing on its own), so a state is explored by the worker that first
// adds it, and by no other. A worker whose stack is empty takes work from
// another's: the unexplored choices of that worker's shallowest frame
// that has some left (the upper half of them; the frame keeps the rest),
// which lead to the largest subtrees. A snapshot restores only on the
// runner that took it (sim.Runner.Restore), so the taker reaches the
// frame's state by replaying its path from the initial state (shallow
// frames: short paths), then goes on as the serial loop does. That path is
// the giver's, copied under the lock that guards the taking: the path to
// the bottom of its stack (its base) and the choices of its frames up to
// the one given; it becomes the base of the taker's stack.
//
// What is the same at any number of workers: a complete exploration
// without a depth bound visits every reachable state once, so the
// distinct states, the states where the run ended, the machines' states
// and transitions covered, and whether there is a violation. Under a
// depth bound a state met again at a smaller depth than its least so far
// is explored again (the least depth is kept in the shared table and
// lowered under its shard's lock), so every state within the bound is
// reached, each at its least depth, by some worker: the distinct states
// are the same too. What differs: the transitions under a depth bound
// (which states are explored again depends on the order), the
// counterexample found when there are several (the first any worker meets
// stops them all), and the order and depth of the progress lines.
//
// Lassos. The serial search reports a path back to a state on its own
// stack. Here a cycle could pass through states another worker explores,
// so a missed back edge would be a missed lasso. With exact time a state's
// fingerprint encodes the run's clock, which no step moves back, and the
// depth-first searches of this package never met a cycle there
// (TestExactTimeNoCycle); but that is not a proof for every
// configuration (a cycle of steps that leave the clock where it is is
// not ruled out by the encoding), so the parallel search runs only with
// exact time, where none was ever met, and stops with an error if a step
// moves the clock back. Under the time abstraction
// (the clock left out, states come back) it falls back to one worker.
// Sleep sets (an order of the choices of a frame that later siblings
// sleep on) and persistent sets (whose cycle proviso looks at one stack)
// fall back to one worker too, as do the tests' state and violation hooks.
//
// Budget subsumption (Options.Subsume) runs on the workers: a state's
// cover check and its insertion are one step under the lock of the shard
// of its fingerprint without the budgets (sharedSet.visitKey), where every
// identity of that fingerprint lives, whatever its vector. Why that is
// sound, and what then is the same at any number of workers, is in
// subsume.go ("Depth first on several workers").

// serialReason says why a depth-first search of o runs on one worker
// although more were asked for ("": it need not).
func (e *explorer) serialReason() string {
	switch {
	case e.o.abstract():
		return "the time abstraction: a lasso (a cycle) is looked for on one worker's stack"
	case e.por != nil:
		return "sleep sets follow one order of the choices"
	case e.pers != nil:
		return "persistent sets' cycle proviso looks at one worker's stack"
	case violationHook != nil || stateHook != nil:
		return "a test's hook"
	}
	return ""
}

// sharedShards is the number of shards of a sharedSet (a power of two).
const sharedShards = 64

// sharedSet is the visited set the depth-first workers share: fpSets
// chosen by the top bits of a state's key (its fingerprint; under
// subsumption its fingerprint without the budgets, so that the identities
// of one key, one per vector spent, share a shard), each behind its own
// lock; a state's slot in its shard is chosen by the low bits of its
// identity.
type sharedSet struct {
	shards [sharedShards]struct {
		mu sync.Mutex
		s  fpSet
		_  [64]byte // each shard's lock on its own cache lines
	}
}

func newSharedSet(depths bool) *sharedSet {
	t := &sharedSet{}
	for i := range t.shards {
		t.shards[i].s.keepDepths = depths
	}
	return t
}

// visitKey is fpSet.visit of identity id (of key, met at depth d) under
// the lock of key's shard, after, under subsumption (e.o.Subsume), the
// cover check of the identity (key, u) (explorer.covered: an identity of
// key with a vector v <= u, v != u, in the set, met at depth <= d when
// depths are kept) under the same lock. covered: a cover is in the set,
// and id was not added (seen says whether it was there already). The
// check and the insertion are one step, so every decision is the one the
// one-worker search would take were the workers' insertions made one
// after another in the order of their locks.
func (t *sharedSet) visitKey(e *explorer, key, id sim.Fingerprint, u spent, d int32) (old int32, seen, isNew, covered bool) {
	sh := &t.shards[norm(key)[1]>>58]
	sh.mu.Lock()
	if e.o.Subsume && e.covered(key, u, func(v sim.Fingerprint) bool {
		dv, in := sh.s.depth(v)
		return in && (!sh.s.keepDepths || dv <= d)
	}) {
		_, seen = sh.s.depth(id)
		sh.mu.Unlock()
		return 0, seen, false, true
	}
	old, seen, isNew = sh.s.visit(id, d)
	sh.mu.Unlock()
	return old, seen, isNew, false
}

// each calls f with every state in the set (no worker adding).
func (t *sharedSet) each(f func(sim.Fingerprint, int32)) {
	for i := range t.shards {
		t.shards[i].s.each(f)
	}
}

// dfsWorker is one worker of the parallel depth-first search.
type dfsWorker struct {
	*worker
	k int
	// mu guards stack against the workers taking its choices: its length
	// and each frame's choices and next. The worker changes them under mu
	// and reads them without (no one else changes them).
	mu    sync.Mutex
	stack []frame
	// base is the path to the bottom frame of stack (the initial state's
	// or a frame taken from another worker), set while stack is empty and
	// never changed in place, so that a worker taking from this one reads
	// it under mu.
	base    []Step
	onStack map[sim.Fingerprint]bool
	// live: the simulator is at the top frame's state.
	live     bool
	maxDepth int
	// taken counts the frames this worker took from others.
	taken int
}

// pdfs is one parallel depth-first search.
type pdfs struct {
	e       *explorer
	ws      []*dfsWorker
	seen    *sharedSet
	bounded bool
	// active counts the workers with a non-empty stack, or holding choices
	// taken from another's: the search is over when it is 0.
	active atomic.Int32
	// stop ends every worker's loop: a violation, a cut, an error.
	stop atomic.Bool
	// mu guards the explorer's cut, violation and path, and err.
	mu              sync.Mutex
	err             error
	depthNow, queue atomic.Int64
	// thefts counts the frames workers took from others.
	thefts atomic.Int64
}

// parallelDFS explores depth first on e.o.Workers workers.
func (e *explorer) parallelDFS() error {
	p := &pdfs{e: e, bounded: e.o.Depth > 0}
	p.seen = newSharedSet(p.bounded)
	e.seen.keepDepths = p.bounded // what the result reports as kept per state
	e.shared = p.seen
	for k := range e.o.Workers {
		w, err := e.newWorker()
		if err != nil {
			return err
		}
		p.ws = append(p.ws, &dfsWorker{worker: w, k: k, onStack: map[sim.Fingerprint]bool{}})
	}
	defer func() {
		for _, w := range p.ws {
			e.cov.merge(w.cov)
			e.maxDepth = max(e.maxDepth, w.maxDepth)
			for _, f := range w.stack {
				e.release(f.snap)
			}
		}
		e.workersRan, e.taken = len(p.ws), p.thefts.Load()
	}()
	stop := make(chan struct{})
	var pwg sync.WaitGroup
	pwg.Add(1)
	go e.progressLoop(&p.depthNow, &p.queue, stop, &pwg)
	defer func() { close(stop); pwg.Wait() }()

	// The root, on worker 0.
	w0 := p.ws[0]
	if err := e.o.Replay(w0.r, nil); err != nil {
		return err
	}
	fp0, key0, u0 := e.fingerprint(w0.worker)
	p.seen.visitKey(e, key0, fp0, u0, 0)
	e.states.Store(1)
	choices := slices.Clone(w0.r.Enabled(nil))
	if len(choices) == 0 {
		return p.leaf(w0, nil)
	}
	f := frame{fp: fp0, choices: choices}
	if len(choices) > 1 {
		var err error
		if f.snap, err = e.snapshot(w0.worker); err != nil {
			return err
		}
	}
	w0.stack, w0.live = append(w0.stack, f), true
	w0.onStack[fp0] = true

	p.active.Store(int32(len(p.ws)))
	var wg sync.WaitGroup
	for _, w := range p.ws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := p.run(w); err != nil {
				p.fail(err)
			}
		}()
	}
	wg.Wait()
	return p.err
}

// fail records the first error and stops the workers.
func (p *pdfs) fail(err error) {
	p.mu.Lock()
	if p.err == nil {
		p.err = err
	}
	p.mu.Unlock()
	p.stop.Store(true)
}

// found records the first violation any worker meets, with its path, and
// stops the workers.
func (p *pdfs) found(v *sim.Violation, path []Step) {
	p.mu.Lock()
	if p.e.violation == nil {
		p.e.violation, p.e.path = v, path
	}
	p.mu.Unlock()
	p.stop.Store(true)
}

// cut records that a bound cut the search (depth: it goes on; budget and
// states: it stops).
func (p *pdfs) cut(why string) {
	p.mu.Lock()
	if p.e.cut == "" || p.e.cut == "depth" {
		p.e.cut = why
	}
	p.mu.Unlock()
	if why != "depth" {
		p.stop.Store(true)
	}
}

// leaf runs the end-of-run checks at the ended state where w's simulator
// is, which choice last led to from the top of w's stack (nil: the top
// itself); leafHook, a test's, sees it first, from any worker.
func (p *pdfs) leaf(w *dfsWorker, last *Step) error {
	p.e.ended.Add(1)
	if leafHook != nil {
		leafHook(w.r)
	}
	if res := w.r.Finish(); res.Violation != nil {
		p.found(res.Violation, leafPath(w.base, w.stack, last))
	}
	return nil
}

// push puts frame f on w's stack, w's simulator being at its state.
func (w *dfsWorker) push(f frame) {
	w.mu.Lock()
	w.stack = append(w.stack, f)
	w.mu.Unlock()
	w.onStack[f.fp] = true
	w.live = true
}

// next takes the top frame's next choice, or pops the frame when it has
// none left (ok false; the stack may be empty then).
func (w *dfsWorker) next(e *explorer) (c sim.Choice, top frame, ok bool) {
	w.mu.Lock()
	t := &w.stack[len(w.stack)-1]
	if t.next >= len(t.choices) {
		snap, fp := t.snap, t.fp
		t.snap = nil
		w.stack = w.stack[:len(w.stack)-1]
		w.mu.Unlock()
		delete(w.onStack, fp)
		e.release(snap)
		w.r.Recycle(snap) // left for good: the worker's next snapshot may reuse it
		w.live = false
		return c, top, false
	}
	c = t.choices[t.next]
	t.next++
	top = *t
	w.mu.Unlock()
	return c, top, true
}

// run is worker w's loop: its own stack depth first, then work taken from
// the others', until no worker has any or the search stops.
func (p *pdfs) run(w *dfsWorker) error {
	e := p.e
	for {
		if len(w.stack) == 0 {
			p.active.Add(-1)
			if !p.take(w) {
				return nil
			}
			continue
		}
		if p.stop.Load() {
			return nil
		}
		if e.overBudget() {
			p.cut("budget")
			return nil
		}
		c, top, ok := w.next(e)
		if !ok {
			continue
		}
		if !w.live {
			var err error
			if top.snap != nil {
				err = w.r.Restore(top.snap)
			} else {
				w.path = stackPath(w.path, w.base, w.stack)
				err = e.goTo(w.worker, w.path, top.fp)
			}
			if err != nil {
				return err
			}
		}
		before := w.r.Now()
		if err := w.r.Take(c); err != nil {
			return err
		}
		if w.r.Now() < before { // what running several workers rests on (see above)
			return fmt.Errorf("choice %d after the path %s moved the run's clock back from %d to %d ms: several depth-first workers cannot rule out a lasso (run with --workers 1)",
				c.Seq, FormatPath(stackPath(nil, w.base, w.stack)), before, w.r.Now())
		}
		w.live = false
		e.transitions.Add(1)
		d := top.depth + 1
		p.depthNow.Store(int64(d))
		p.queue.Store(int64(len(w.stack)))
		w.maxDepth = max(w.maxDepth, d)
		st := Step{Seq: c.Seq, Fault: c.Fault}
		if v := e.o.stop(w.r); v != nil {
			p.found(v, leafPath(w.base, w.stack, &st))
			return nil
		}
		fp, key, u := e.fingerprint(w.worker)
		if w.onStack[fp] { // with exact time, never met (see above); kept as the serial search's check
			p.found(&sim.Violation{Invariant: InvLasso, Seed: e.o.Seed, Variant: e.o.Variant.Name, At: w.r.Now(),
				Detail: fmt.Sprintf("after %d events the run is back in a state it was in before, without either device ending", d)},
				leafPath(w.base, w.stack, &st))
			return nil
		}
		old, seen, isNew, covered := p.seen.visitKey(e, key, fp, u, int32(d))
		if covered { // subsume.go: a visited state with as much of every budget left explores its futures
			if !seen {
				e.subsumed.Add(1)
			}
			continue
		}
		if seen && (!p.bounded || int(old) <= d) {
			continue
		}
		if isNew {
			e.states.Add(1)
		}
		if e.o.MaxStates > 0 && int(e.states.Load()) >= e.o.MaxStates {
			p.cut("states")
			return nil
		}
		if p.bounded && d >= e.o.Depth {
			p.cut("depth")
			continue
		}
		choices := slices.Clone(w.r.Enabled(w.choice))
		if len(choices) == 0 {
			if err := p.leaf(w, &st); err != nil {
				return err
			}
			continue
		}
		f := frame{step: st, depth: d, fp: fp, choices: choices}
		if len(choices) > 1 {
			var err error
			if f.snap, err = e.snapshot(w.worker); err != nil {
				return err
			}
		}
		w.push(f)
	}
}

// take gives idle worker w choices of another worker's shallowest frame
// that has some left, and puts them on w's stack with the frame's state
// replayed on w's simulator; false when the search is over (no worker
// active) or stopped. It waits, with growing pauses, while the workers
// still active have nothing to give.
func (p *pdfs) take(w *dfsWorker) bool {
	pause := 20 * time.Microsecond
	for {
		if p.stop.Load() || p.active.Load() == 0 {
			return false
		}
		for j := 1; j < len(p.ws); j++ {
			f, path, ok := p.give(p.ws[(w.k+j)%len(p.ws)])
			if !ok {
				continue
			}
			// w counts as active from the moment the choices left their
			// owner's stack (give).
			w.taken++
			p.thefts.Add(1)
			if err := p.e.goTo(w.worker, path, f.fp); err != nil {
				p.fail(err)
				return false
			}
			if len(f.choices) > 1 {
				var err error
				if f.snap, err = p.e.snapshot(w.worker); err != nil {
					p.fail(err)
					return false
				}
			}
			clear(w.onStack)
			w.mu.Lock()
			w.base = path // the stack is empty: no one reads it now
			w.mu.Unlock()
			w.push(f)
			return true
		}
		time.Sleep(pause)
		pause = min(2*pause, time.Millisecond)
	}
}

// give takes from v's shallowest frame with choices left the upper half
// of them (all of one below the top; the top keeps at least one), with
// the path to the frame's state, and counts the taker active; false when v
// has nothing to give.
func (p *pdfs) give(v *dfsWorker) (frame, []Step, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for i := range v.stack {
		f := &v.stack[i]
		left := len(f.choices) - f.next
		n := (left + 1) / 2
		if i == len(v.stack)-1 {
			n = left / 2
		}
		if n == 0 {
			continue
		}
		cut := len(f.choices) - n
		out := frame{depth: f.depth, fp: f.fp, choices: slices.Clone(f.choices[cut:])}
		f.choices = f.choices[:cut:cut]
		path := stackPath(nil, v.base, v.stack[:i+1])
		p.active.Add(1) // before v's lock is let go: v is active, so the count never reads 0 while work is left
		return out, path, true
	}
	return frame{}, nil, false
}
