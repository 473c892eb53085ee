// Package explore is the lab's bounded model checker: it drives the
// simulator's own run (sim.Runner in stepped mode: the same devices,
// rendezvous store, provider, homeserver, user, adversaries and monitors)
// through every order of its enabled events and every placement of a few
// lost and duplicated messages, and checks every invariant of the
// simulator at every state.
//
// What is enumerated: which enabled event happens next (a request reaches
// its server, an answer reaches its client, a timer or a request's timeout
// fires, the user acts) and, for each message, whether the network delivers
// it, loses it, duplicates it or breaks its exchange with a transport
// error (a connection reset), within the run's budgets (Options.Loss,
// Options.Dup, Options.Resets); with Options.User careless, also what the
// user decides at each of their acts.
//
// Time: every link has the constant latency Options.LatencyMillis (L), and
// the stepped run lets a message arrive at any moment between its sending
// and L later (so every latency in [0, L], chosen by the explorer), without
// moving the clock; everything else happens at its own time, in time
// order, once nothing is due earlier. Kept exactly: the order of timers,
// deadlines, timeouts and the user's acts (their times are the machines'
// and the user's own: the user's delays are drawn once from the seed's user
// stream, so one person's pace is explored, not every pace; Options.Pace
// sets another). The user's decisions are the seed's draws for the
// attentive user (nothing goes wrong), and choices for the careless one
// (Options.User; sim.Stepping.Careless lists them). Over-approximated:
// none with exact time, the default; under Options.Time abstract, when the
// timers, timeouts and expiries longer than a bound fire (timeabs.go).
// Under-approximated: latencies above L and other paces of the user.
// A request's timeout can only fire for an exchange whose request or answer
// was lost (L is below every timeout). Reordering needs no budget: messages
// in flight arrive in any order.
//
// State: each state is identified by sim.Runner.Fingerprint, a canonical
// encoding of the whole run hashed to 128 bits (the run is deterministic:
// keys drawn once from the seed, every random draw from a per-actor stream
// whose position is part of the state). The visited set holds fingerprints
// only, nothing else per state. A path is kept only for the states still
// to be expanded: depth first, the path to the state on top of the stack
// is the stack itself (each frame records the choice that led to it);
// breadth first, each frontier state holds a node of its path (its parent's
// node and its choice), shared with its siblings, which the garbage
// collector takes once no state still to be expanded reaches it. A state
// is come back to by restoring its
// snapshot (sim.Runner.Snapshot: a copy of what the run changes, sharing
// configurations and keys), not by replaying its path: breadth first keeps
// the snapshots of the current frontier (on the worker whose simulator took
// each one), depth first one per stack level with choices left, both within
// Options.SnapshotBytes; a state beyond that bound is reached again by
// replaying its path from the initial state, as a worker does for a state
// whose snapshot another worker holds.
//
// Reduction: the visited set (a state met again is not explored again)
// and, depth first, sleep sets over the stepped run's independence
// relation (Options.POR, por.go, sim.Independent): the orders of
// independent choices are taken once, which cuts transitions, not states.
// Budget subsumption (Options.Subsume, subsume.go): a state equal to a
// visited one but for the fault budgets spent, with no more budget left,
// is not explored, as its futures are among the visited one's.
//
// Safety: every monitor of the simulator judges every step, and the
// end-of-run checks (termination within the bound, conservation, the
// channel counters at success) judge every state where nothing more can
// happen. Liveness: since the run's clock is part of the state and only
// moves forward, and every step uses up a pending event or a request
// number, the state graph has no cycle in practice and every path ends
// (the simulator's time bound ends it at the latest); the termination
// check at each of those ends is the bounded liveness check. The
// depth-first search also looks for a lasso (a path back to a state on
// itself) and reports one as InvLasso; on several workers (pdfs.go) each
// looks on its own stack only, which is why several run only with exact
// time. Under the time abstraction the
// clock is no part of the state, states do come back, and a cycle is a
// lasso only if no untimed timer stays armed along it (timeabs.go).
package explore

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"qrlab/model/login"
	"qrlab/model/qr"
	"qrlab/model/variant"
	"qrlab/sim"
)

// Options is one exploration.
type Options struct {
	Variant variant.Variant
	// VariantName is how the replay command names the variant (a preset
	// or mutant name).
	VariantName string
	Intent      qr.Intent
	// Loss and Dup are how many messages the network may lose and
	// duplicate over a whole run.
	Loss, Dup int
	// Resets is how many exchanges the network may break with a
	// transport error, as a reset connection does (sim.FaultReset).
	Resets int
	// Depth bounds a path's length in events (0: no bound).
	Depth int
	// Budget bounds the wall time (0: none); MaxStates the distinct states
	// (0: none).
	Budget    time.Duration
	MaxStates int
	// Mode is bfs (shortest counterexample), dfs or walk.
	Mode string
	// Walks is the number of random walks in walk mode (0: until the
	// budget).
	Walks int
	// LatencyMillis is L, the latency bound of every link (0: 200 ms).
	LatencyMillis int64
	// Seed draws the keys and the user's pace.
	Seed uint64
	// FingerprintKey keys the hash of the states' fingerprints
	// (sim.Stepping; 0: a key drawn from Seed). The states, transitions
	// and counterexamples found do not depend on it, up to the omission
	// probability.
	FingerprintKey uint64
	Adversaries    []string
	// Workers expand a breadth-first level in parallel, or share a
	// depth-first search (pdfs.go; 0: GOMAXPROCS).
	Workers int
	// SnapshotBytes bounds the memory of the states' snapshots the search
	// keeps (the breadth-first frontier, the depth-first stack; 0: 512 MiB);
	// a state without one is reached again by replaying its path.
	SnapshotBytes int64
	// Reach, when set, makes the search look for a state where a device
	// ended with this reason (a design question: can it happen, and by
	// the shortest path how) instead of stopping only at violations.
	Reach string
	// POR is the partial-order reduction: PORSleep (sleep sets, depth
	// first only; see por.go) or PORNone ("" is none).
	POR string
	// User is the user whose decisions are explored: "attentive" (or "",
	// the default) acts as the seed's user stream draws, nothing going
	// wrong; "careless" makes every decision a careless user can take at
	// each act (a typo, a blind confirm, a denial or refusal, a cancel,
	// a browser that cannot open) a choice of the search (sim.Stepping).
	User string
	// Pace, when set, is the user's times (a scenario's user); its rates
	// are not used: the attentive user makes no slip, the careless one's
	// slips are choices. nil: sim.DefaultUser's times.
	Pace *sim.User
	// PaceName names Pace in the replay command (a built-in scenario).
	PaceName string
	// Time is how time is explored: TimeExact ("" too: every timer at its
	// own time) or TimeAbstract (long timers untimed; timeabs.go).
	Time string
	// UntimedAboveMillis is the time abstraction's bound M: timers and
	// timeouts set more than M ahead are untimed (0: DefaultUntimedAbove).
	UntimedAboveMillis int64
	// Subsume turns budget subsumption on (subsume.go; bfs and dfs): a
	// state equal to a visited one but for the fault budgets spent, having
	// spent no less of each, is not explored.
	Subsume bool
	// FreeLostTimeouts, with TimeAbstract: a request's timeout is untimed
	// and free to fire as soon as its exchange can no longer complete,
	// whatever M (sim.Stepping.FreeLostTimeouts; timeabs.go).
	FreeLostTimeouts bool
	// Progress, when set, is called about once a second.
	Progress func(Progress)
	// exact: the fingerprint encodes every field by its value
	// (sim.Runner.ExactFingerprint), for the tests that check the
	// reduction against it.
	exact bool
}

// reachInvariant marks a Reach target found, not a violation.
const reachInvariant = "reach"

// Progress is the exploration so far.
type Progress struct {
	States, Transitions, Depth, Queue int
	Elapsed                           time.Duration
}

// Step is one choice on a path: the pending event's sequence number and
// the fault applied to it.
type Step struct {
	Seq   uint64
	Fault sim.Fault
}

// Result is what an exploration found.
type Result struct {
	Mode string `json:"mode"`
	// Complete: every reachable state within the bounds was explored;
	// otherwise Cut says which bound cut it (depth, budget, states).
	Complete    bool   `json:"complete"`
	Cut         string `json:"cut,omitempty"`
	States      int    `json:"states"`
	Transitions int    `json:"transitions"`
	// Ended counts the states where the run ended (both devices ended,
	// or nothing more could happen).
	Ended    int           `json:"ended"`
	MaxDepth int           `json:"max_depth"`
	Elapsed  time.Duration `json:"elapsed_ns"`
	// StateBytes is the mean length of what a state's fingerprint
	// encoded (hashed, never stored; the parts a step did not touch are
	// not encoded again); StoredBytes what is kept per visited state (its
	// fingerprint's slot, and its least depth under a depth bound), before
	// the table's slack. The paths of the states still to be expanded come
	// on top: depth first the stack (its frames' choices), breadth first
	// PathNodes.
	StateBytes  float64 `json:"state_bytes"`
	StoredBytes int     `json:"stored_bytes"`
	// PathNodes is, breadth first, the most nodes the frontier's paths
	// held at the start of a level (a node is a step, shared by the states
	// below it; a node no frontier state reaches is collected), and
	// PathBytes their size.
	PathNodes int   `json:"path_nodes,omitempty"`
	PathBytes int64 `json:"path_bytes,omitempty"`
	// SnapshotBytes is the mean size of a kept state's snapshot (a
	// breadth-first frontier state, a depth-first stack level);
	// SnapshotPeak the most the snapshots held at once.
	SnapshotBytes float64 `json:"snapshot_bytes"`
	SnapshotPeak  int64   `json:"snapshot_peak"`
	// Omission is the estimated probability that hash compaction merged
	// two different states: distinct × (generated − distinct) / 2^128,
	// the form of the estimate TLC prints as "calculated (optimistic)"
	// (tlaplus/tlaplus, tlatools/org.lamport.tlatools/src/tlc2/tool/
	// AbstractChecker.java at ced9269895aa, calculateOptimisticProbability,
	// there over 2^64), with generated = transitions + 1 (under budget
	// subsumption times Options.vectors(), the identities a state's cover
	// check may look up), times
	// sim.FingerprintHashes: a fingerprint hashes the hashes of its parts,
	// so two states also merge when one of their differing parts' 128-bit
	// hashes collide. It assumes the hash is a uniformly random function
	// of the encodings (sim's fphash.go says why that is an assumption).
	Omission  float64        `json:"omission"`
	Violation *sim.Violation `json:"violation,omitempty"`
	// Reached says that a device ended with Options.Reach; Path leads
	// there.
	Reached string `json:"reached,omitempty"`
	// Path is the counterexample's choices, or the way to Options.Reach
	// (nil: none).
	Path []Step `json:"-"`
	// Coverage: the states each login machine reached and the transitions
	// it took.
	Coverage Coverage `json:"coverage"`
	// POR is the partial-order reduction used; Slept counts the choices it
	// left out as asleep and Again the states it explored again (met with
	// a smaller sleep set than before).
	POR   string `json:"por,omitempty"`
	Slept int    `json:"slept,omitempty"`
	Again int    `json:"again,omitempty"`
	// Reduced counts the states persistent sets expanded with a proper
	// subset of their enabled choices, LeftOut the choices left out there,
	// Proviso the states the cycle proviso expanded fully.
	Reduced int `json:"reduced,omitempty"`
	LeftOut int `json:"left_out,omitempty"`
	Proviso int `json:"proviso,omitempty"`
	// Subsume says that budget subsumption was on; Subsumed counts the
	// states it did not explore, each covered by a visited state equal
	// but for the budgets and with at least as much of each left (met
	// again, a covered state is counted again).
	Subsume  bool `json:"subsume,omitempty"`
	Subsumed int  `json:"subsumed,omitempty"`
	// Workers is how many workers ran the search (bfs: expanded its
	// levels; dfs: shared it, pdfs.go); Serial, when a depth-first search
	// ran on one worker although more were asked for, says why.
	Workers int    `json:"workers"`
	Serial  string `json:"serial,omitempty"`
	// Taken counts the frames depth-first workers took from another's
	// stack (each reached by replaying its path).
	Taken int `json:"taken,omitempty"`
	// Time is the time abstraction used, when not exact (timeabs.go);
	// Abstraction says whether the violation relies on it.
	Time        *TimeUsed    `json:"time,omitempty"`
	Abstraction *Abstraction `json:"abstraction,omitempty"`
}

// Coverage is which states and transitions of the login machines the
// exploration reached.
type Coverage struct {
	States      map[string][]string `json:"states"`
	Transitions map[string][]string `json:"transitions"`
	// Never lists the states neither machine reached.
	Never []string `json:"never"`
}

// stop returns the violation at r's state, or the Reach target met there
// as a violation of reachInvariant, or nil.
func (o *Options) stop(r *sim.Runner) *sim.Violation {
	if v := r.Violation(); v != nil {
		return v
	}
	if o.Reach == "" {
		return nil
	}
	n, e := r.Endings()
	for _, d := range []struct {
		who string
		end sim.Ending
	}{{"new", n}, {"existing", e}} {
		if d.end.Outcome != "" && d.end.Reason == o.Reach {
			return &sim.Violation{Invariant: reachInvariant, At: d.end.At, Detail: fmt.Sprintf("the %s device ended %s", d.who, d.end.Outcome)}
		}
	}
	return nil
}

// snapshotLimit is Options.SnapshotBytes with its default.
func (o *Options) snapshotLimit() int64 {
	if o.SnapshotBytes > 0 {
		return o.SnapshotBytes
	}
	return 512 << 20
}

// defaultLatency is L when Options leaves it zero.
const defaultLatency = 200

// Runner makes the stepped simulator of o.
func (o *Options) Runner(keepTrace bool) (*sim.Runner, error) {
	l := o.LatencyMillis
	if l == 0 {
		l = defaultLatency
	}
	if l < 0 || l > 10_000 {
		return nil, fmt.Errorf("latency bound %d ms is outside [1, 10000]", l)
	}
	n := sim.Network{Name: "explore", Description: fmt.Sprintf("every link %d ms at most, faults chosen by the explorer", l),
		Link: sim.Link{Latency: sim.Constant(float64(l))}}
	if err := n.Prepare(); err != nil {
		return nil, err
	}
	// The explorer's network carries whole messages (the datagram
	// transport), whatever the simulator's default: its faults are the
	// loss or duplication of one HTTP message, chosen, not sampled. Under
	// tcp a lost packet is only delay, which the latency bound already
	// covers; what the explorer calls a lost message is an exchange that
	// failed.
	cfg := sim.Config{Variant: o.Variant, Intent: o.Intent, Network: n, KeepTrace: keepTrace,
		Adversaries: o.Adversaries, Transport: sim.Transport{Kind: sim.TransportDatagram}}
	if o.Pace != nil {
		u := *o.Pace
		u.TypoRate, u.DenyRate, u.BrowserFailRate, u.RejectAccountRate, u.BlindConfirmRate, u.CancelRate, u.RefuseRate = 0, 0, 0, 0, 0, 0, 0
		cfg.User = u
	}
	r, err := sim.NewRunner(cfg)
	if err != nil {
		return nil, err
	}
	r.ExactFingerprint(o.exact)
	return r, nil
}

// The users Options.User names.
const (
	UserAttentive = "attentive"
	UserCareless  = "careless"
)

// checkUser reports an Options.User that is neither.
func (o *Options) checkUser() error {
	switch o.User {
	case "", UserAttentive, UserCareless:
		return nil
	}
	return fmt.Errorf("user %q is neither %s nor %s", o.User, UserAttentive, UserCareless)
}

// Replay runs path on r from the initial state.
func (o *Options) Replay(r *sim.Runner, path []Step) error {
	if err := o.checkUser(); err != nil {
		return err
	}
	if err := r.StartStepped(o.Seed, sim.Stepping{Loss: o.Loss, Dup: o.Dup, Resets: o.Resets, Careless: o.User == UserCareless,
		FingerprintKey: o.FingerprintKey, UntimedAbove: o.untimedAbove(),
		FreeLostTimeouts: o.FreeLostTimeouts}); err != nil {
		return err
	}
	for i, s := range path {
		if err := r.Take(sim.Choice{Seq: s.Seq, Fault: s.Fault}); err != nil {
			return fmt.Errorf("step %d of the path: %w", i+1, err)
		}
	}
	return nil
}

// Explore runs the exploration o describes.
func Explore(o Options) (Result, error) {
	switch o.Mode {
	case "", "bfs":
		o.Mode = "bfs"
	case "dfs", "walk":
	default:
		return Result{}, fmt.Errorf("mode %q is none of bfs, dfs, walk", o.Mode)
	}
	if o.Loss < 0 || o.Dup < 0 || o.Resets < 0 || o.Depth < 0 || o.MaxStates < 0 || o.Walks < 0 || o.SnapshotBytes < 0 {
		return Result{}, fmt.Errorf("loss, dup, resets, depth, states, walks and snapshot bytes must not be negative")
	}
	if err := o.checkUser(); err != nil {
		return Result{}, err
	}
	if err := o.checkTime(); err != nil {
		return Result{}, err
	}
	if o.Subsume && o.Mode == "walk" {
		return Result{}, fmt.Errorf("budget subsumption is for the bfs and dfs modes (random walks prune nothing)")
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	switch o.POR {
	case "", PORNone:
		o.POR = ""
	case PORSleep, PORPersistent:
		if o.Mode != "dfs" {
			return Result{}, fmt.Errorf("partial-order reduction %q is for depth-first search only (mode dfs, not %s)", o.POR, o.Mode)
		}
		if o.POR == PORPersistent && o.Subsume {
			return Result{}, fmt.Errorf("partial-order reduction %q does not combine with budget subsumption", o.POR)
		}
		if o.POR == PORPersistent && o.Time == TimeAbstract {
			return Result{}, fmt.Errorf("partial-order reduction %q needs exact time (not --time %s)", o.POR, o.Time)
		}
	default:
		return Result{}, fmt.Errorf("partial-order reduction %q is none of %s, %s, %s", o.POR, PORNone, PORSleep, PORPersistent)
	}
	e := &explorer{o: o, start: time.Now(), cov: newCoverage()}
	defer e.releaseSets()
	switch o.POR {
	case PORSleep:
		e.por = newPOR()
	case PORPersistent:
		e.pers = &persistent{}
	}
	if o.Budget > 0 {
		e.deadline = e.start.Add(o.Budget)
	}
	var err error
	switch o.Mode {
	case "bfs":
		err = e.bfs()
	case "dfs":
		if why := e.serialReason(); o.Workers > 1 && why == "" {
			err = e.parallelDFS()
		} else {
			if o.Workers > 1 {
				e.serialNote = why
			}
			e.workersRan = 1
			err = e.dfs()
		}
	case "walk":
		err = e.walk()
	}
	if err != nil {
		return Result{}, err
	}
	res := e.result()
	if err := o.judgeAbstraction(&res, e.lassoFrom); err != nil {
		return Result{}, err
	}
	return res, nil
}

// explorer is one exploration's state.
type explorer struct {
	o        Options
	start    time.Time
	deadline time.Time
	seen     fpSet
	// shared is the parallel depth-first search's visited set (nil:
	// seen is).
	shared *sharedSet
	// workersRan is how many workers a depth-first search ran on;
	// serialNote why one when more were asked for.
	workersRan int
	serialNote string
	taken      int64

	states, transitions, ended atomic.Int64
	// subsumed counts the states budget subsumption did not explore.
	subsumed   atomic.Int64
	stateBytes atomic.Int64
	// The snapshots: memory held now and at most, how many were taken and
	// their total size.
	snapHeld, snapPeak, snapTaken, snapSum atomic.Int64
	maxDepth                               int
	cut                                    string
	violation                              *sim.Violation
	path                                   []Step
	cov                                    *coverage
	// pers is the depth-first search's persistent sets (nil: none).
	pers *persistent
	// por is the depth-first search's partial-order reduction (nil: none).
	por *por
	// lassoFrom is where a lasso's cycle starts on its path (its depth).
	lassoFrom int
	// pathNodes is the most path nodes a breadth-first frontier reached.
	pathNodes int
}

// releaseSets tells the collector that the search's visited sets are
// held no more (the search has ended; the sets go with the explorer).
func (e *explorer) releaseSets() {
	e.seen.hold(0)
	if e.shared != nil {
		for i := range e.shared.shards {
			e.shared.shards[i].s.hold(0)
		}
	}
}

func (e *explorer) overBudget() bool {
	return !e.deadline.IsZero() && time.Now().After(e.deadline)
}

func (e *explorer) result() Result {
	res := Result{Mode: e.o.Mode, Complete: e.cut == "" && e.violation == nil, Cut: e.cut, States: int(e.states.Load()),
		Transitions: int(e.transitions.Load()), Ended: int(e.ended.Load()), MaxDepth: e.maxDepth, Elapsed: time.Since(e.start),
		Violation: e.violation, Path: e.path, Coverage: e.cov.report(), Workers: 1, Serial: e.serialNote}
	switch e.o.Mode {
	case "bfs":
		res.Workers = e.o.Workers
	case "dfs":
		res.Workers, res.Taken = e.workersRan, int(e.taken)
	}
	if v := e.violation; v != nil && v.Invariant == reachInvariant {
		res.Violation, res.Reached, res.Complete = nil, v.Detail, false
		res.Cut = "reached"
	}
	if res.Transitions > 0 {
		res.StateBytes = float64(e.stateBytes.Load()) / float64(res.Transitions+1)
	}
	if n := e.snapTaken.Load(); n > 0 {
		res.SnapshotBytes = float64(e.snapSum.Load()) / float64(n)
	}
	res.SnapshotPeak = e.snapPeak.Load()
	res.StoredBytes = fpBytes
	if e.seen.keepDepths {
		res.StoredBytes = fpBytes + 4
	}
	res.PathNodes, res.PathBytes = e.pathNodes, int64(e.pathNodes)*int64(pathNodeBytes)
	// Under subsumption each state generated looks up to vectors()
	// identities, each of which could collide with a stored one.
	generated := float64(res.Transitions + 1)
	if e.o.Subsume {
		generated *= float64(e.o.vectors())
		res.Subsume, res.Subsumed = true, int(e.subsumed.Load())
	}
	res.Omission = sim.FingerprintHashes * float64(res.States) * max(0, generated-float64(res.States)) / math.Exp2(128)
	if e.por != nil {
		res.POR, res.Slept, res.Again = e.o.POR, e.por.slept, e.por.again
	}
	if e.pers != nil {
		res.POR, res.Reduced, res.LeftOut, res.Proviso = e.o.POR, e.pers.reduced, e.pers.cut, e.pers.proviso
	}
	return res
}

// progressLoop calls o.Progress about once a second until stop is closed.
func (e *explorer) progressLoop(depth, queue *atomic.Int64, stop chan struct{}, done *sync.WaitGroup) {
	defer done.Done()
	if e.o.Progress == nil {
		return
	}
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			e.o.Progress(Progress{States: int(e.states.Load()), Transitions: int(e.transitions.Load()), Depth: int(depth.Load()),
				Queue: int(queue.Load()), Elapsed: time.Since(e.start)})
		}
	}
}

// faultLetters are the path text's suffixes: l a lost and d a duplicated
// message, x an exchange reset; the careless user's decisions t (a typo on
// the last digit), y (on the first), b (blind confirm), r (refuse), c
// (cancel), f (the browser fails).
var faultLetters = []struct {
	f sim.Fault
	c byte
}{{sim.FaultLose, 'l'}, {sim.FaultDuplicate, 'd'}, {sim.FaultReset, 'x'}, {sim.DecideTypo, 't'}, {sim.DecideBlind, 'b'}, {sim.DecideRefuse, 'r'},
	{sim.DecideCancel, 'c'}, {sim.DecideBrowserFail, 'f'}, {sim.DecideTypoFirst, 'y'}}

// FormatPath writes a path as the replay flag's value: each step's
// sequence number, with a letter for a fault or a user's decision
// (faultLetters).
func FormatPath(p []Step) string {
	var b strings.Builder
	for i, s := range p {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatUint(s.Seq, 10))
		for _, l := range faultLetters {
			if l.f == s.Fault {
				b.WriteByte(l.c)
			}
		}
	}
	return b.String()
}

// Decisions counts the user's decisions on a path.
func Decisions(p []Step) int {
	n := 0
	for _, s := range p {
		if s.Fault.Decision() {
			n++
		}
	}
	return n
}

// ParsePath reads FormatPath's text.
func ParsePath(s string) ([]Step, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []Step
	for i, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		st := Step{}
		for _, l := range faultLetters {
			if f != "" && f[len(f)-1] == l.c {
				st.Fault, f = l.f, f[:len(f)-1]
				break
			}
		}
		n, err := strconv.ParseUint(f, 10, 32)
		if err != nil || n == 0 {
			return nil, fmt.Errorf("path step %d: %q is not an event number (like 12, or 12 followed by one of l, d, x, t, y, b, r, c, f)", i+1, f)
		}
		st.Seq = n
		out = append(out, st)
	}
	return out, nil
}

// coverage collects the machines' states and transitions.
type coverage struct {
	mu     sync.Mutex
	states [2]map[login.State]bool
	trans  [2]map[[2]login.State]bool
}

func newCoverage() *coverage {
	c := &coverage{}
	for i := range 2 {
		c.states[i] = map[login.State]bool{login.StateIdle: true}
		c.trans[i] = map[[2]login.State]bool{}
	}
	return c
}

// local is one worker's coverage, merged at the end of its work.
type localCov struct {
	trans [2]map[[2]login.State]bool
}

func newLocal() *localCov {
	return &localCov{trans: [2]map[[2]login.State]bool{{}, {}}}
}

func (l *localCov) hook(a sim.Actor, from, to login.State) {
	switch a {
	case sim.ActorNew:
		l.trans[0][[2]login.State{from, to}] = true
	case sim.ActorExisting:
		l.trans[1][[2]login.State{from, to}] = true
	}
}

func (c *coverage) merge(l *localCov) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range 2 {
		for t := range l.trans[i] {
			c.trans[i][t] = true
			c.states[i][t[0]], c.states[i][t[1]] = true, true
		}
	}
}

func (c *coverage) report() Coverage {
	out := Coverage{States: map[string][]string{}, Transitions: map[string][]string{}}
	names := [2]string{"new", "existing"}
	for i := range 2 {
		var ss, ts []string
		for s := range c.states[i] {
			ss = append(ss, s.String())
		}
		for t := range c.trans[i] {
			ts = append(ts, t[0].String()+" -> "+t[1].String())
		}
		slices.Sort(ss)
		slices.Sort(ts)
		out.States[names[i]], out.Transitions[names[i]] = ss, ts
	}
	for s := login.State(0); !strings.HasPrefix(s.String(), "State("); s++ {
		if !c.states[0][s] && !c.states[1][s] {
			out.Never = append(out.Never, s.String())
		}
	}
	return out
}

// Trace replays path with the trace kept and returns its events and the
// run's result; a path that ends where nothing more can happen gets the
// end-of-run checks too, as the search did.
func Trace(o Options, path []Step) ([]sim.Event, sim.Result, error) {
	r, err := o.Runner(true)
	if err != nil {
		return nil, sim.Result{}, err
	}
	if err := o.Replay(r, path); err != nil {
		return nil, sim.Result{}, err
	}
	var res sim.Result
	if v := o.stop(r); v != nil {
		res.Violation = v
	} else if len(r.Enabled(nil)) == 0 {
		res = r.Finish()
	}
	return slices.Clone(r.Trace().Events), res, nil
}
