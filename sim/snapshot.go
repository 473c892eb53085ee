package sim

import (
	"fmt"
	"reflect"
	"unsafe"
)

// Snapshots: a stepped run's state copied aside, so that an explorer can
// come back to it (Restore) instead of replaying the path that led there.
// The copy is deep where the run writes (machines, store, provider,
// homeserver, user, monitors, adversaries, pending events, exchanges,
// random streams, the trace's running hash) and shares what is never
// written once made: strings, the configurations (constantTypes), keys and
// AEADs (sharedNames), the runner itself.
//
// The machines' channel observers are closures over the runner's run, so a
// snapshot can only be restored on the runner that took it.

// Snapshot is a stepped run's state at one moment.
type Snapshot struct {
	owner *Runner
	s     *runState
	// fpc is the fingerprint's part hashes in this state.
	fpc fpCache
	// Bytes is about what the snapshot allocated.
	Bytes int
}

// runState is the part of a Runner a stepped run changes.
type runState struct {
	run   *run
	q     queue
	tr    Trace
	ex    []exchange
	resps []arrival
	st    stepState
	cost  costMeter
	adv   []adversary
}

// runStateType is runState's type.
var runStateType = reflect.TypeFor[runState]()

// live returns the runner's state as a runState (sharing, not copying).
func (r *Runner) live() runState {
	return runState{run: r.r, q: r.q, tr: r.tr, ex: r.ex, resps: r.resps, st: r.st, cost: r.cost, adv: r.adversaries}
}

// Snapshot copies the stepped run's state aside.
func (r *Runner) Snapshot() (*Snapshot, error) {
	if !r.st.on {
		return nil, fmt.Errorf("%w: only a stepped run has snapshots", ErrConfig)
	}
	// The trace's hash takes the events it buffered now rather than later
	// (the same hash), so that the buffer is not copied.
	if t := &r.tr; len(t.buf) > 0 {
		t.h.Write(t.buf)
		t.buf = t.buf[:0]
	}
	src := r.live()
	out := &runState{}
	c := &r.cp
	c.ps = &r.ps
	c.reset()
	c.copy(unsafe.Pointer(out), unsafe.Pointer(&src), r.ps.of(runStateType))
	if c.err != nil {
		return nil, fmt.Errorf("%w: snapshot: %w", ErrConfig, c.err)
	}
	return &Snapshot{owner: r, s: out, fpc: r.fpc, Bytes: c.bytes + int(unsafe.Sizeof(runState{}))}, nil
}

// Restore puts the run back in the state s was taken in; s is left as it
// was, to be restored again. Only the runner that took s can restore it.
func (r *Runner) Restore(s *Snapshot) error {
	if s == nil || s.owner != r {
		return fmt.Errorf("%w: a snapshot is restored only on the runner that took it", ErrConfig)
	}
	c := &r.cp
	c.ps = &r.ps
	c.reset()
	// The run stays where it is (the machines' observers refer to it):
	// its fields are copied in place, and every pointer to the
	// snapshot's run becomes one to the live run.
	sp := r.ps.of(runStateType)
	rp := sp.fields[0].p.elem
	c.memo[memoKey{unsafe.Pointer(s.s.run), rp}] = unsafe.Pointer(r.r)
	var dst runState
	c.copy(unsafe.Pointer(r.r), unsafe.Pointer(s.s.run), rp)
	tmp := *s.s
	tmp.run = nil
	c.copy(unsafe.Pointer(&dst), unsafe.Pointer(&tmp), sp)
	if c.err != nil {
		return fmt.Errorf("%w: restore: %w", ErrConfig, c.err)
	}
	hook := r.st.transition
	r.q, r.tr, r.ex, r.resps, r.st, r.cost, r.adversaries = dst.q, dst.tr, dst.ex, dst.resps, dst.st, dst.cost, dst.adv
	r.st.transition = hook
	r.fpc = s.fpc
	return nil
}
