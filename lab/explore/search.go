package explore

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"

	"qrlab/sim"
)

// worker is one goroutine's simulator and scratch.
type worker struct {
	r      *sim.Runner
	cov    *localCov
	path   []Step
	choice []sim.Choice
}

func (e *explorer) newWorker() (*worker, error) {
	r, err := e.o.Runner(false)
	if err != nil {
		return nil, err
	}
	// The search reads no trace hash and no choice's label (a
	// counterexample is replayed on a runner of its own), and meets the
	// same signatures on many paths.
	r.HashTrace(false)
	r.MemoCrypto(true)
	r.FingerprintBudgets(!e.o.Subsume)
	r.LabelChoices(false)
	w := &worker{r: r, cov: newLocal()}
	r.OnTransition(w.cov.hook)
	return w, nil
}

// goTo replays path on w's simulator from the initial state; want is the
// identity of the state it leads to, which replayHook checks.
func (e *explorer) goTo(w *worker, path []Step, want sim.Fingerprint) error {
	if err := e.o.Replay(w.r, path); err != nil {
		return err
	}
	if replayHook != nil {
		replayHook(e, w.r, path, want)
	}
	return nil
}

// replayHook, when set (by a test), sees every state the search reaches by
// replaying its path, with the path and the identity the search has for
// the state (the zero fingerprint breadth first, which keeps none with a
// frontier state); on several depth-first workers from each worker's
// goroutine.
var replayHook func(e *explorer, r *sim.Runner, path []Step, want sim.Fingerprint)

// pathNode is the last step of the path to a breadth-first frontier state:
// the node of the path to its parent (nil: the initial state) and the
// choice taken there. The states found from one parent share its node, so
// the frontier's paths form a tree that holds only the frontier's states
// and their ancestors; a node no state still to be expanded reaches is
// garbage.
type pathNode struct {
	parent *pathNode
	seq    uint32
	fault  sim.Fault
	// mark is the level that last counted the node (countPaths).
	mark uint16
}

// pathNodeBytes is a pathNode's size.
const pathNodeBytes = int(unsafe.Sizeof(pathNode{}))

// pathOf writes the path to node n into out[:0].
func pathOf(n *pathNode, out []Step) []Step {
	out = out[:0]
	for ; n != nil; n = n.parent {
		out = append(out, Step{Seq: uint64(n.seq), Fault: n.fault})
	}
	slices.Reverse(out)
	return out
}

// stackPath writes into out[:0] the path to the top of a depth-first
// stack: base, the path to its bottom frame, then the choice of each frame
// above the bottom.
func stackPath(out, base []Step, stack []frame) []Step {
	out = append(out[:0], base...)
	for i := 1; i < len(stack); i++ {
		out = append(out, stack[i].step)
	}
	return out
}

// snapshot copies w's state aside and counts its memory as held, or
// returns nil when the snapshots held already fill Options.SnapshotBytes
// (the state will be reached again by replaying its path).
func (e *explorer) snapshot(w *worker) (*sim.Snapshot, error) {
	if e.snapHeld.Load() >= e.o.snapshotLimit() {
		return nil, nil
	}
	s, err := w.r.Snapshot()
	if err != nil {
		return nil, err
	}
	held := e.snapHeld.Add(int64(s.Bytes))
	e.snapTaken.Add(1)
	e.snapSum.Add(int64(s.Bytes))
	for {
		peak := e.snapPeak.Load()
		if held <= peak || e.snapPeak.CompareAndSwap(peak, held) {
			break
		}
	}
	return s, nil
}

// release counts snapshot s's memory as no longer held.
func (e *explorer) release(s *sim.Snapshot) {
	if s != nil {
		e.snapHeld.Add(-int64(s.Bytes))
	}
}

// stateHook, when set (by a measurement test, one worker), sees every state
// the search fingerprints.
var stateHook func(*sim.Runner)

// violationHook, when set (by a test, depth first), is told every violation
// the search meets, with the run at the violating state, and the search goes
// on past it: the violating state is a leaf, not the end of the search.
var violationHook func(*sim.Runner, *sim.Violation)

// fingerprint returns the state's identity in the visited sets, and
// counts its encoding: its fingerprint, or under subsumption stateID of
// its fingerprint without the budgets (key) and the vector spent (u).
func (e *explorer) fingerprint(w *worker) (id, key sim.Fingerprint, u spent) {
	if stateHook != nil {
		stateHook(w.r)
	}
	fp, n := w.r.Fingerprint()
	e.stateBytes.Add(int64(n))
	if !e.o.Subsume {
		return fp, fp, spent{}
	}
	u = spentOf(w.r)
	return stateID(fp, u), fp, u
}

// candidate is a state a level's expansion found: new when no earlier
// level had it. from (its parent's place in the level) and choice order
// the candidates so that the kept path does not depend on the workers'
// timing.
type candidate struct {
	fp sim.Fingerprint
	// key and u: the fingerprint without budgets and the vector spent,
	// under subsumption (fp is their stateID).
	key    sim.Fingerprint
	u      spent
	parent *pathNode // the path to the parent
	from   int32
	choice int32 // -1: the parent itself ended with a violation
	step   Step
	viol   *sim.Violation
	// snap is the state's snapshot (nil: replay its path), taken on the
	// simulator of worker owner.
	snap  *sim.Snapshot
	owner int
}

// item is a state of a breadth-first frontier: its path's node, its place
// in the level (the order in which merge added the level's states) and,
// when kept, its snapshot, which only the worker that took it can restore.
type item struct {
	node  *pathNode
	snap  *sim.Snapshot
	ord   int32
	owner int32
}

// bfs explores level by level; each level's states are expanded by the
// workers in parallel, and its new states merged in (parent, choice) order
// once the level is done, so the states found, their count and the
// counterexample are the same at any number of workers. The frontier keeps
// each state's snapshot (within Options.SnapshotBytes) on the worker whose
// simulator took it; that worker expands it, and a worker done with its own
// share takes the others' states left, reached by replaying their paths.
func (e *explorer) bfs() error {
	w0, err := e.newWorker()
	if err != nil {
		return err
	}
	if err := e.o.Replay(w0.r, nil); err != nil {
		return err
	}
	fp0, _, _ := e.fingerprint(w0)
	e.seen.add(fp0)
	e.states.Store(1)
	workers := []*worker{w0}
	for len(workers) < e.o.Workers {
		w, err := e.newWorker()
		if err != nil {
			return err
		}
		workers = append(workers, w)
	}
	var depthNow, queue atomic.Int64
	stop := make(chan struct{})
	var pwg sync.WaitGroup
	pwg.Add(1)
	go e.progressLoop(&depthNow, &queue, stop, &pwg)
	defer func() { close(stop); pwg.Wait() }()

	frontier := make([][]item, len(workers))
	frontier[0] = []item{{}} // the initial state: an empty path
	defer func() {
		for _, f := range frontier {
			for _, it := range f {
				e.release(it.snap)
			}
		}
	}()
	for depth := 0; ; depth++ {
		n := 0
		for _, f := range frontier {
			n += len(f)
		}
		if n == 0 {
			break
		}
		depthNow.Store(int64(depth))
		queue.Store(int64(n))
		e.maxDepth = depth
		if e.o.Depth > 0 && depth >= e.o.Depth {
			e.cut = "depth"
			break
		}
		cands, err := e.level(workers, frontier)
		if err != nil {
			return err
		}
		if e.cut != "" {
			break
		}
		// Every state of the level was expanded, and level let go of its
		// snapshot when it was.
		next, done := e.merge(cands, len(workers))
		frontier = next
		if done {
			break
		}
		e.countPaths(frontier, depth+1)
	}
	for _, w := range workers {
		e.cov.merge(w.cov)
	}
	return nil
}

// level expands every state of frontier, each worker its own share first
// and then what is left of the others', and lets go of each state's
// snapshot once it is expanded (so that the bound admits the next level's
// in its place); when the level is cut, of the states' left unexpanded and
// of the candidates' too.
func (e *explorer) level(workers []*worker, frontier [][]item) ([]candidate, error) {
	next := make([]atomic.Int64, len(frontier))
	outs := make([][]candidate, len(workers))
	errs := make([]error, len(workers))
	var cut atomic.Bool
	var wg sync.WaitGroup
	for k, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for d := range len(frontier) {
				share := (k + d) % len(frontier)
				for {
					i := int(next[share].Add(1) - 1)
					if i >= len(frontier[share]) || cut.Load() {
						break
					}
					if e.overBudget() {
						cut.Store(true)
						return
					}
					var err error
					if outs[k], err = e.expand(w, k, frontier[share][i], outs[k]); err != nil {
						errs[k] = err
						cut.Store(true)
						return
					}
					e.release(frontier[share][i].snap)
					w.r.Recycle(frontier[share][i].snap) // expanded: w reuses it if it took it
					frontier[share][i].snap = nil
				}
			}
		}()
	}
	wg.Wait()
	var all []candidate
	for _, o := range outs {
		all = append(all, o...)
	}
	for _, err := range errs {
		if err != nil {
			for _, c := range all {
				e.release(c.snap)
			}
			return nil, err
		}
	}
	if cut.Load() {
		e.cut = "budget"
		for _, c := range all {
			e.release(c.snap)
		}
		for _, f := range frontier {
			for i := range f {
				e.release(f[i].snap)
				f[i].snap = nil
			}
		}
	}
	return all, nil
}

// expand takes every choice of frontier state it on worker k: restoring
// its snapshot (or replaying its path once and taking one) before each
// choice, and appends the successors not seen at an earlier level, with
// their snapshots.
func (e *explorer) expand(w *worker, k int, it item, out []candidate) ([]candidate, error) {
	base := it.snap
	if base != nil && int(it.owner) == k {
		if err := w.r.Restore(base); err != nil {
			return out, err
		}
	} else {
		base = nil
		w.path = pathOf(it.node, w.path)
		if err := e.goTo(w, w.path, sim.Fingerprint{}); err != nil {
			return out, err
		}
	}
	choices := slices.Clone(w.r.Enabled(w.choice))
	if len(choices) == 0 {
		e.ended.Add(1)
		if res := w.r.Finish(); res.Violation != nil {
			out = append(out, candidate{parent: it.node, from: it.ord, choice: -1, viol: res.Violation})
		}
		return out, nil
	}
	if base == nil && len(choices) > 1 {
		// The parent's copy for this expansion only, not counted as held.
		s, err := w.r.Snapshot()
		if err != nil {
			return out, err
		}
		base = s
	}
	for j, c := range choices {
		if j > 0 {
			if err := w.r.Restore(base); err != nil {
				return out, err
			}
		}
		if err := w.r.Take(c); err != nil {
			return out, fmt.Errorf("taking choice %d (event %d) after the path %s: %w", j, c.Seq, FormatPath(pathOf(it.node, nil)), err)
		}
		e.transitions.Add(1)
		st := Step{Seq: c.Seq, Fault: c.Fault}
		if v := e.o.stop(w.r); v != nil {
			out = append(out, candidate{parent: it.node, from: it.ord, choice: int32(j), step: st, viol: v})
			continue
		}
		fp, key, u := e.fingerprint(w)
		if e.seen.has(fp) {
			continue
		}
		if e.covered(key, u, e.seen.has) { // an earlier level's state with more budget left
			e.subsumed.Add(1)
			continue
		}
		cand := candidate{fp: fp, key: key, u: u, parent: it.node, from: it.ord, choice: int32(j), step: st, owner: k}
		if len(w.r.Enabled(w.choice)) > 0 {
			var err error
			if cand.snap, err = e.snapshot(w); err != nil {
				return out, err
			}
		}
		out = append(out, cand)
	}
	return out, nil
}

// merge adds a level's new states to the visited set in (parent, choice)
// order, each with its path's node, and returns the next frontier, by the
// worker that holds each state's snapshot (states without one go round the
// workers); done when a violation ends the search or the state bound is
// reached. The snapshots of the states it does not keep are let go.
func (e *explorer) merge(cands []candidate, workers int) (next [][]item, done bool) {
	slices.SortFunc(cands, func(a, b candidate) int {
		return cmp.Or(cmp.Compare(a.from, b.from), cmp.Compare(a.choice, b.choice))
	})
	next = make([][]item, workers)
	kept := 0
	defer func() {
		for _, c := range cands[kept:] {
			e.release(c.snap)
		}
	}()
	// A state that ended with a violation is a shorter counterexample than
	// any of the level's steps.
	for _, c := range cands {
		if c.viol != nil && c.choice < 0 {
			e.violation, e.path = c.viol, pathOf(c.parent, nil)
			return next, true
		}
	}
	for _, c := range cands {
		if c.viol != nil {
			e.violation, e.path = c.viol, append(pathOf(c.parent, nil), c.step)
			return next, true
		}
	}
	ord := int32(0)
	for i := range cands {
		c := &cands[i]
		kept = i + 1
		if e.o.Subsume && !e.seen.has(c.fp) && e.covered(c.key, c.u, e.seen.has) {
			e.subsumed.Add(1) // covered by a state merged before it
			e.release(c.snap)
			continue
		}
		if !e.seen.add(c.fp) {
			e.release(c.snap)
			continue
		}
		n := e.states.Add(1) // the states so far, this one included
		owner := c.owner
		if c.snap == nil {
			owner = int(n) % workers
		}
		node := &pathNode{parent: c.parent, seq: uint32(c.step.Seq), fault: c.step.Fault}
		next[owner] = append(next[owner], item{node: node, snap: c.snap, ord: ord, owner: int32(c.owner)})
		ord++
		if e.o.MaxStates > 0 && int(n) >= e.o.MaxStates {
			e.cut = "states"
			return next, true
		}
	}
	return next, false
}

// countPaths counts the nodes the paths of frontier (the states of level)
// hold, each once, and keeps the most in e.pathNodes: each state's path is
// followed up to the first node this count met already (exact for the
// first 65,535 levels, after which a mark can repeat).
func (e *explorer) countPaths(frontier [][]item, level int) {
	mark := uint16(level%65535 + 1) // never 0, a new node's
	n := 0
	for _, f := range frontier {
		for _, it := range f {
			for p := it.node; p != nil && p.mark != mark; p = p.parent {
				p.mark = mark
				n++
			}
		}
	}
	e.pathNodes = max(e.pathNodes, n)
}

// frame is one state on the depth-first stack and the choices left.
type frame struct {
	// step is the choice that led to the state from the frame below
	// (none at the bottom of a stack): the path to the top of the stack is
	// the steps of its frames (stackPath).
	step    Step
	depth   int
	fp      sim.Fingerprint
	choices []sim.Choice
	next    int
	por     *porFrame // partial-order reduction (nil: off)
	// rest: with persistent sets, the enabled choices left out of
	// choices (taken only under the cycle proviso).
	rest []sim.Choice
	// snap is the state's snapshot, to come back to it for its next
	// choice (nil: one choice only, or replay its path).
	snap *sim.Snapshot
}

// InvLasso names a liveness counterexample: a path that comes back to a
// state on itself, so the run can go round for ever without ending.
const InvLasso = "liveness-lasso"

// dfs explores depth first, one worker; a state seen before is not
// explored again, except under a depth bound (Options.Depth), where a
// state met again at a smaller depth than before is explored again (so
// that everything within the bound is reached), and with sleep sets, where
// a state met again with a smaller sleep set is explored again for the
// choices it slept on. The simulator follows the path forward; each stack
// level with choices left keeps its state's snapshot, restored to go back.
func (e *explorer) dfs() error {
	w, err := e.newWorker()
	if err != nil {
		return err
	}
	defer e.cov.merge(w.cov)
	if err := e.o.Replay(w.r, nil); err != nil {
		return err
	}
	fp0, _, _ := e.fingerprint(w)
	// Depths are kept only under a depth bound: without one, a state met
	// again is never explored again, whatever its depth then and now
	// (every visited state's futures are explored once, which is all a
	// search without a bound needs; budget subsumption's covers and sleep
	// sets' rule for a state met again do not read depths then either).
	bounded := e.o.Depth > 0
	e.seen.keepDepths = bounded
	e.seen.visit(fp0, 0)
	onStack := map[sim.Fingerprint]bool{fp0: true}
	e.states.Store(1)
	var depthNow, queue atomic.Int64
	stop := make(chan struct{})
	var pwg sync.WaitGroup
	pwg.Add(1)
	go e.progressLoop(&depthNow, &queue, stop, &pwg)
	defer func() { close(stop); pwg.Wait() }()

	stack := []frame{{fp: fp0, choices: slices.Clone(w.r.Enabled(nil))}}
	live := true // w's simulator is at the top frame's state
	if len(stack[0].choices) == 0 {
		return e.dfsLeaf(w, nil, nil, nil)
	}
	if e.por != nil { // POR: the root's reduction state, nothing asleep
		if stack[0].por, err = e.por.frame(w.r, stack[0].choices, nil); err != nil {
			return err
		}
	}
	if e.pers != nil { // persistent sets: the root's set
		if stack[0].choices, stack[0].rest, err = e.pers.choose(w.r, stack[0].choices); err != nil {
			return err
		}
	}
	if len(stack[0].choices)+len(stack[0].rest) > 1 {
		if stack[0].snap, err = e.snapshot(w); err != nil {
			return err
		}
	}
	defer func() {
		for _, f := range stack {
			e.release(f.snap)
		}
	}()
	for len(stack) > 0 {
		top := &stack[len(stack)-1]
		if top.next >= len(top.choices) {
			delete(onStack, top.fp)
			e.release(top.snap)
			w.r.Recycle(top.snap) // left for good: the next snapshot may reuse it
			top.snap = nil
			stack, live = stack[:len(stack)-1], false
			continue
		}
		if e.overBudget() {
			e.cut = "budget"
			return nil
		}
		c := top.choices[top.next]
		top.next++
		if top.por != nil && top.por.skip(top.next-1) { // POR: asleep here
			e.por.slept++
			continue
		}
		if !live {
			if top.snap != nil {
				err = w.r.Restore(top.snap)
			} else {
				w.path = stackPath(w.path, nil, stack)
				err = e.goTo(w, w.path, top.fp)
			}
			if err != nil {
				return err
			}
		}
		if err := w.r.Take(c); err != nil {
			return err
		}
		live = false
		var sleep []sim.Access
		if top.por != nil { // POR: the child's sleep set
			changed := w.r.Stopped() || endedOf(w.r) != top.por.ended
			sleep = top.por.took(top.next-1, changed)
		}
		e.transitions.Add(1)
		d := top.depth + 1
		depthNow.Store(int64(d))
		queue.Store(int64(len(stack)))
		e.maxDepth = max(e.maxDepth, d)
		st := Step{Seq: c.Seq, Fault: c.Fault}
		if v := e.o.stop(w.r); v != nil {
			if violationHook != nil {
				violationHook(w.r, v)
				continue
			}
			e.violation, e.path = v, leafPath(nil, stack, &st)
			return nil
		}
		fp, key, u := e.fingerprint(w)
		if onStack[fp] {
			if top.rest != nil { // persistent sets: the cycle proviso
				top.choices, top.rest = append(top.choices, top.rest...), nil
				e.pers.proviso++
			}
			if e.fairCycle(w.r, stack, fp) { // the time abstraction: not a lasso under fairness
				continue
			}
			if violationHook != nil {
				violationHook(w.r, &sim.Violation{Invariant: InvLasso})
				continue
			}
			e.lassoFrom = e.cycleStart(stack, fp)
			e.violation = &sim.Violation{Invariant: InvLasso, Seed: e.o.Seed, Variant: e.o.Variant.Name, At: w.r.Now(),
				Detail: fmt.Sprintf("after %d events the run is back in a state it was in before, without either device ending", d)}
			e.path = leafPath(nil, stack, &st)
			return nil
		}
		var choices []sim.Choice
		var pf *porFrame
		if e.por != nil { // POR: the child's choices and sleep set, at the child
			choices = slices.Clone(w.r.Enabled(w.choice))
			if pf, err = e.por.frame(w.r, choices, sleep); err != nil {
				return err
			}
		}
		old, ok := e.seen.depth(fp)
		if e.o.Subsume && e.covered(key, u, func(v sim.Fingerprint) bool {
			dv, in := e.seen.depth(v)
			return in && (!bounded || int(dv) <= d) && (pf == nil || e.por.sleepCovers(v, pf))
		}) {
			if !ok {
				e.subsumed.Add(1)
			}
			continue
		}
		again := ok && (!bounded || int(old) <= d) // met before, and not at a greater depth under a bound
		switch {
		case again && pf == nil:
			continue
		case again: // POR: explored again only if it slept on more then
			if !e.por.seen(fp, pf) {
				continue
			}
		case pf != nil:
			e.por.keep(fp, pf)
		}
		if !ok {
			e.states.Add(1)
		}
		e.seen.visit(fp, int32(d))
		if e.o.MaxStates > 0 && int(e.states.Load()) >= e.o.MaxStates {
			e.cut = "states"
			return nil
		}
		if e.o.Depth > 0 && d >= e.o.Depth {
			e.cut = "depth"
			continue
		}
		if pf == nil {
			choices = slices.Clone(w.r.Enabled(w.choice))
		}
		if len(choices) == 0 {
			if err := e.dfsLeaf(w, nil, stack, &st); err != nil || e.violation != nil {
				return err
			}
			continue
		}
		f := frame{step: st, depth: d, fp: fp, choices: choices, por: pf}
		if e.pers != nil { // persistent sets: the state's set
			if f.choices, f.rest, err = e.pers.choose(w.r, choices); err != nil {
				return err
			}
		}
		if len(f.choices)+len(f.rest) > 1 {
			if f.snap, err = e.snapshot(w); err != nil {
				return err
			}
		}
		stack = append(stack, f)
		onStack[fp] = true
		live = true
	}
	return nil
}

// leafHook, when set (by a test, depth first), sees the run at every ended
// state the search meets, before its end-of-run checks; on several
// depth-first workers (pdfs.go) from each worker's goroutine, so a hook
// that keeps anything locks.
var leafHook func(*sim.Runner)

// dfsLeaf runs the end-of-run checks at an ended state: the state the
// choice last leads to from the top of the stack whose bottom base leads
// to (last nil: the top itself).
func (e *explorer) dfsLeaf(w *worker, base []Step, stack []frame, last *Step) error {
	e.ended.Add(1)
	if leafHook != nil {
		leafHook(w.r)
	}
	if res := w.r.Finish(); res.Violation != nil {
		if violationHook != nil {
			violationHook(w.r, res.Violation)
			return nil
		}
		e.violation, e.path = res.Violation, leafPath(base, stack, last)
	}
	return nil
}

// leafPath is the path to the state choice last leads to from the top of
// stack, whose bottom base leads to (last nil: the top itself).
func leafPath(base []Step, stack []frame, last *Step) []Step {
	p := stackPath(nil, base, stack)
	if last != nil {
		p = append(p, *last)
	}
	return p
}

// walk runs random walks from the initial state (choices drawn from a
// stream seeded by the exploration's seed), counting the distinct states
// they visit.
func (e *explorer) walk() error {
	w, err := e.newWorker()
	if err != nil {
		return err
	}
	defer e.cov.merge(w.cov)
	rng := rand.New(rand.NewPCG(e.o.Seed, 0x5741_4c4b))
	var depthNow, queue atomic.Int64
	stop := make(chan struct{})
	var pwg sync.WaitGroup
	pwg.Add(1)
	go e.progressLoop(&depthNow, &queue, stop, &pwg)
	defer func() { close(stop); pwg.Wait() }()
	for n := 0; e.o.Walks == 0 || n < e.o.Walks; n++ {
		if e.overBudget() {
			if e.o.Walks > 0 {
				e.cut = "budget"
			}
			return nil
		}
		if e.o.Walks == 0 && e.o.Budget == 0 && n >= 1000 {
			return nil // neither walks nor budget: a thousand walks
		}
		if err := e.o.Replay(w.r, nil); err != nil {
			return err
		}
		var path []Step
		e.visit(w)
		for d := 0; e.o.Depth == 0 || d < e.o.Depth; d++ {
			choices := w.r.Enabled(w.choice)
			if len(choices) == 0 {
				e.ended.Add(1)
				if res := w.r.Finish(); res.Violation != nil {
					e.violation, e.path = res.Violation, path
					return nil
				}
				break
			}
			c := choices[rng.IntN(len(choices))]
			if err := w.r.Take(c); err != nil {
				return err
			}
			e.transitions.Add(1)
			path = append(path, Step{Seq: c.Seq, Fault: c.Fault})
			e.maxDepth = max(e.maxDepth, d+1)
			depthNow.Store(int64(d + 1))
			if v := e.o.stop(w.r); v != nil {
				e.violation, e.path = v, path
				return nil
			}
			e.visit(w)
		}
	}
	e.cut = "walks" // random walks never prove completeness
	return nil
}

func (e *explorer) visit(w *worker) {
	if fp, _, _ := e.fingerprint(w); e.seen.add(fp) {
		e.states.Add(1)
	}
}

// fpSet is a set of fingerprints by open addressing: 16 bytes a slot,
// grown at three quarters full. The zero fingerprint marks an empty slot
// (a state hashing to it is stored as {0, 1}). With depths (withDepths),
// each slot also keeps the least depth its state was met at (4 bytes a
// slot, in an array beside the slots).
type fpSet struct {
	slots  []sim.Fingerprint
	depths []int32
	n      int
	// keepDepths: depths is kept (set before the first add).
	keepDepths bool
	// held is the bytes of slots and depths, as told the collector
	// (holdSets).
	held int64
}

// fpBytes is what the search keeps per visited state: its fingerprint (the
// set's slot, before the table's slack).
const fpBytes = 16

func norm(fp sim.Fingerprint) sim.Fingerprint {
	if fp == (sim.Fingerprint{}) {
		return sim.Fingerprint{0, 1}
	}
	return fp
}

func (s *fpSet) has(fp sim.Fingerprint) bool {
	if len(s.slots) == 0 {
		return false
	}
	fp = norm(fp)
	return s.slots[s.slot(fp)] == fp
}

// add reports whether fp was new.
func (s *fpSet) add(fp sim.Fingerprint) bool {
	_, _, isNew := s.visit(fp, 0)
	return isNew
}

// depth returns the least depth fp was met at (with depths kept), and
// whether fp is in the set.
func (s *fpSet) depth(fp sim.Fingerprint) (int32, bool) {
	if len(s.slots) == 0 {
		return 0, false
	}
	fp = norm(fp)
	i := s.slot(fp)
	if s.slots[i] != fp {
		return 0, false
	}
	if s.keepDepths {
		return s.depths[i], true
	}
	return 0, true
}

// visit adds fp met at depth d: old is the least depth it was met at
// before (with depths kept), seen whether it was in the set, isNew that it
// was not. A state met at a smaller depth than before keeps the smaller.
func (s *fpSet) visit(fp sim.Fingerprint, d int32) (old int32, seen, isNew bool) {
	if (s.n+1)*4 > len(s.slots)*3 {
		s.grow()
	}
	fp = norm(fp)
	i := s.slot(fp)
	if s.slots[i] == fp {
		if s.keepDepths {
			old = s.depths[i]
			s.depths[i] = min(old, d)
		}
		return old, true, false
	}
	s.slots[i] = fp
	if s.keepDepths {
		s.depths[i] = d
	}
	s.n++
	return d, false, true
}

// slot is where the normalised fp is, or the empty slot its linear probe
// ends on.
func (s *fpSet) slot(fp sim.Fingerprint) uint64 {
	mask := uint64(len(s.slots) - 1)
	i := fp[0] & mask
	for s.slots[i] != fp && s.slots[i] != (sim.Fingerprint{}) {
		i = (i + 1) & mask
	}
	return i
}

func (s *fpSet) grow() {
	old, oldDepths := s.slots, s.depths
	s.slots = make([]sim.Fingerprint, max(1024, 2*len(old)))
	per := int64(fpBytes)
	if s.keepDepths {
		s.depths = make([]int32, len(s.slots))
		per += 4
	}
	s.hold(int64(len(s.slots)) * per)
	s.n = 0
	for i, fp := range old {
		if fp != (sim.Fingerprint{}) {
			j := s.slot(fp)
			s.slots[j] = fp
			if s.keepDepths {
				s.depths[j] = oldDepths[i]
			}
			s.n++
		}
	}
}

// hold tells the collector that the set holds bytes now (the old table,
// dropped, is garbage).
func (s *fpSet) hold(bytes int64) {
	holdSets(bytes - s.held)
	s.held = bytes
}

// each calls f with every fingerprint in the set and its depth (0 without
// depths kept).
func (s *fpSet) each(f func(sim.Fingerprint, int32)) {
	for i, fp := range s.slots {
		if fp != (sim.Fingerprint{}) {
			d := int32(0)
			if s.keepDepths {
				d = s.depths[i]
			}
			f(fp, d)
		}
	}
}

// visited returns the visited states and the least depth each was met at
// (0 when depths were not kept), for tests.
func (e *explorer) visited() map[sim.Fingerprint]int32 {
	out := map[sim.Fingerprint]int32{}
	if e.shared != nil {
		e.shared.each(func(fp sim.Fingerprint, d int32) { out[fp] = d })
		return out
	}
	e.seen.each(func(fp sim.Fingerprint, d int32) { out[fp] = d })
	return out
}
