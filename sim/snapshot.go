package sim

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
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
	// s is the state, held in the snapshot itself (one allocation).
	s runState
	// parts are the frozen copies of the fingerprint's parts (the store,
	// the provider, the homeserver, the two devices), shared with other
	// snapshots while no step touches the part; roots are the live parts
	// the rest's pointers to them were copied under.
	parts [numParts]*frozenPart
	roots [numParts]unsafe.Pointer
	// fpc is the fingerprint's part hashes in this state.
	fpc fpCache
	// mon are the frozen copies of the monitors' groups in this state,
	// which its run's groups hold too (snapshot_groups.go).
	mon [numMonGroups]unsafe.Pointer
	// Bytes is about what the snapshot allocated (a part it shares with an
	// earlier snapshot is counted there).
	Bytes int
}

// frozenPart is a copy of one part, never written: its pointers to the
// parts (itself included) are to the live parts it was copied from, roots.
type frozenPart struct {
	p     unsafe.Pointer
	roots [numParts]unsafe.Pointer
}

// runState is the part of a Runner a stepped run changes.
type runState struct {
	run   *run
	q     queue
	tr    Trace
	ex    []exchange
	resps []*arrival
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

// partPlan is the plan of the value part i points at.
func (r *Runner) partPlan(i int) *plan { return r.ps.snap().parts[i] }

// snapPlans are the plans Snapshot and Restore start from, looked up once
// per plans instead of in the plans' map at every snapshot and restore.
type snapPlans struct {
	// state is runState's, run the run's (state's field 0's element), mon
	// the monitors', ex the exchanges', events the pending events', rand
	// a random stream's; parts[i] that of the value part i points at.
	state, run, mon, ex, events, rand *plan
	parts                             [numParts]*plan
}

// snap returns the plans' snapPlans, working them out the first time.
func (ps *plans) snap() *snapPlans {
	if sp := ps.sp; sp != nil {
		return sp
	}
	sp := &snapPlans{state: ps.of(runStateType), events: ps.of(eventsType), rand: ps.of(randType)}
	rp := ps.of(runType)
	sp.run, sp.mon, sp.ex = sp.state.fields[0].p.elem, rp.fields[monIndex].p, sp.state.fields[stateExField].p
	for i := range sp.parts {
		sp.parts[i] = rp.fields[partIndex[i]].p.elem
	}
	ps.sp = sp
	return sp
}

// liveRoots are where the run's parts are now.
func (r *Runner) liveRoots() (out [numParts]unsafe.Pointer) {
	for i := range out {
		out[i] = r.partPtr(i)
	}
	return out
}

// seedRoots makes the copier take a pointer to from[j] (a part) as one to
// to[j], without copying it.
func (r *Runner) seedRoots(c *copier, from, to *[numParts]unsafe.Pointer) {
	for j := range from {
		if from[j] != nil {
			c.memoize(from[j], r.partPlan(j), to[j])
		}
	}
}

// Snapshot copies the stepped run's state aside: the parts no step touched
// since the last snapshot or restore are shared with it, not copied again.
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
	c := &r.cp
	c.ps = &r.ps
	roots := r.liveRoots()
	// A snapshot handed back (Recycle) is written over: its run, its
	// exchanges' and pending events' arrays, which it alone refers to.
	var snap *Snapshot
	var oldRun *run
	var oldEx []exchange
	var oldEv []event
	if n := len(r.spare); n > 0 {
		snap, r.spare[n-1], r.spare = r.spare[n-1], nil, r.spare[:n-1]
		oldRun, oldEx, oldEv = snap.s.run, snap.s.ex, snap.s.q.ev
		// Its maps, held in place in its run and the rest, are filled
		// again (snapshot_reuse.go), but for its monitors' groups: frozen
		// copies, which other snapshots may share (snapshot_groups.go).
		c.pool.clear()
		c.skipIn, c.skip = r.monPlan(), monGroupsAll
		c.harvest(unsafe.Pointer(oldRun), r.ps.snap().run)
		c.harvest(unsafe.Pointer(&snap.s), r.ps.snap().state)
		c.skipIn, c.skip = nil, 0
		*snap = Snapshot{owner: r, roots: roots, fpc: r.fpc}
	} else {
		snap = &Snapshot{owner: r, roots: roots, fpc: r.fpc}
	}
	bytes := 0
	for i := range numParts {
		if r.base[i] == nil && roots[i] != nil {
			c.reset()
			pp := r.partPlan(i)
			d := reflect.New(pp.t).UnsafePointer()
			r.seedRoots(c, &roots, &roots)
			c.copy(d, roots[i], pp)
			if c.err != nil {
				return nil, fmt.Errorf("%w: snapshot of part %s: %w", ErrConfig, fpParts[i], c.err)
			}
			bytes += c.bytes + int(pp.size)
			r.base[i] = &frozenPart{p: d, roots: roots}
		}
		snap.parts[i] = r.base[i]
	}
	// The live state is read from the runner's scratch (a local would
	// move to the heap at every snapshot).
	src := &r.restoreScratch[0]
	*src = r.live()
	defer func() { *src = runState{} }()
	// The answers are a log: an answer is never written once appended,
	// so the snapshot keeps the live one's length of it, not a copy; its
	// capacity ends there, so that a run restored from it appends to a
	// copy of its own (of the pointers only: logAnswer).
	src.resps = nil
	snap.Bytes = bytes + int(unsafe.Sizeof(Snapshot{}))
	out := &snap.s
	c.reset()
	r.seedRoots(c, &roots, &roots)
	hot := r.ps.snap()
	sp := hot.state
	reused := 0
	// The monitors' groups still equal to their frozen copies are not
	// copied (freezeGroups gives the snapshot those).
	c.skipIn, c.skip = r.monPlan(), r.sharedGroups()
	if oldRun != nil {
		// The run first, into the old one (as a pointer to it would be
		// copied), then the rest, the exchanges and the pending events
		// into the old arrays.
		rp := hot.run
		c.memoize(unsafe.Pointer(src.run), rp, unsafe.Pointer(oldRun))
		r.streamsInto(c, oldRun, src.run)
		c.copy(unsafe.Pointer(oldRun), unsafe.Pointer(src.run), rp)
		src.ex, src.q.ev = nil, nil
		reused = int(rp.size) + cap(oldEx)*int(unsafe.Sizeof(exchange{})) + cap(oldEv)*int(unsafe.Sizeof(event{}))
	}
	c.copy(unsafe.Pointer(out), unsafe.Pointer(src), sp)
	if oldRun != nil {
		c.sliceInto(unsafe.Pointer(&oldEx), unsafe.Pointer(&r.ex), hot.ex)
		c.sliceInto(unsafe.Pointer(&oldEv), unsafe.Pointer(&r.q.ev), hot.events)
		out.ex, out.q.ev = oldEx, oldEv
	}
	c.skipIn, c.skip = nil, 0
	if c.err != nil {
		return nil, fmt.Errorf("%w: snapshot: %w", ErrConfig, c.err)
	}
	c.pool.clear()
	frozen := r.freezeGroups(snap)
	out.resps = r.resps[:len(r.resps):len(r.resps)]
	r.respsShared = true
	r.tr.obs.failedShared = true
	snap.Bytes += c.bytes + reused + frozen
	return snap, nil
}

// maxSpare bounds the snapshots a runner keeps for reuse (Recycle).
const maxSpare = 8

// Recycle hands snapshot s back to the runner that took it, for its next
// snapshot to be written over: the caller restores s no more (a depth-first
// search, once it has left a state for good). The exchanges and pending
// events of s and its run are reused; what they point at, which may be
// shared, is not. A snapshot of another runner, or nil, is ignored.
func (r *Runner) Recycle(s *Snapshot) {
	if s == nil || s.owner != r || len(r.spare) >= maxSpare {
		return
	}
	r.spare = append(r.spare, s)
}

// Restore puts the run back in the state s was taken in; s is left as it
// was, to be restored again. Only the runner that took s can restore it.
// A part that is still the one s froze is left as it is; the others are
// copied into the live parts in place.
func (r *Runner) Restore(s *Snapshot) error {
	if s == nil || s.owner != r {
		return fmt.Errorf("%w: a snapshot is restored only on the runner that took it", ErrConfig)
	}
	c := &r.cp
	c.ps = &r.ps
	live := r.liveRoots()
	for i, fp := range s.parts {
		if fp == nil || r.base[i] == fp {
			continue
		}
		c.reset()
		r.seedRoots(c, &fp.roots, &live)
		c.pool.clear()
		c.harvest(live[i], r.partPlan(i))
		c.copy(live[i], fp.p, r.partPlan(i))
		if c.err != nil {
			return fmt.Errorf("%w: restore of part %s: %w", ErrConfig, fpParts[i], c.err)
		}
		r.base[i] = fp
	}
	c.reset()
	r.seedRoots(c, &s.roots, &live)
	// The run stays where it is (the machines' observers refer to it):
	// its fields are copied in place, and every pointer to the
	// snapshot's run becomes one to the live run.
	hot := r.ps.snap()
	sp, rp := hot.state, hot.run
	// The monitors' groups the live run holds as s froze them are left
	// alone (snapshot_groups.go): not copied, kept aside while the rest is
	// copied over them, and their maps not filled again. The maps held
	// in place in the live run's other fields and the rest are
	// (snapshot_reuse.go).
	var keep uint64
	for g, f := range r.monBase {
		if f != nil && f == s.mon[g] {
			keep |= monGroupMask[g]
			copyGroup(&r.monStash, &r.r.mon, g)
		}
	}
	c.skipIn, c.skip = r.monPlan(), keep
	sc := &r.restoreScratch
	sc[0] = r.live()
	c.pool.clear()
	c.harvest(unsafe.Pointer(r.r), rp)
	c.harvest(unsafe.Pointer(&sc[0]), sp)
	sc[0] = runState{}
	c.memoize(unsafe.Pointer(s.s.run), rp, unsafe.Pointer(r.r))
	r.streamsInto(c, r.r, s.s.run)
	c.copy(unsafe.Pointer(r.r), unsafe.Pointer(s.s.run), rp)
	c.skipIn, c.skip = nil, 0
	for g := range numMonGroups {
		if keep&monGroupMask[g] != 0 {
			copyGroup(&r.r.mon, &r.monStash, g)
			clearGroup(&r.monStash, g)
		}
	}
	r.monBase = s.mon
	// The exchanges and the pending events are copied into the live
	// arrays, which nothing else refers to, so that neither a restore nor
	// the next append allocates. The runner's scratch holds the copy of
	// the rest (a local would move to the heap at every restore).
	sc[1] = s.s
	sc[1].run, sc[1].resps, sc[1].ex, sc[1].q.ev = nil, nil, nil, nil
	c.copy(unsafe.Pointer(&sc[0]), unsafe.Pointer(&sc[1]), sp)
	dst := sc[0]
	*sc = [2]runState{}
	c.pool.clear()
	ex, ev := r.ex, r.q.ev
	c.sliceInto(unsafe.Pointer(&ex), unsafe.Pointer(&s.s.ex), hot.ex)
	c.sliceInto(unsafe.Pointer(&ev), unsafe.Pointer(&s.s.q.ev), hot.events)
	if c.err != nil {
		return fmt.Errorf("%w: restore: %w", ErrConfig, c.err)
	}
	dst.ex, dst.q.ev = ex, ev
	hook := r.st.transition
	r.q, r.tr, r.ex, r.st, r.cost, r.adversaries = dst.q, dst.tr, dst.ex, dst.st, dst.cost, dst.adv
	r.resps, r.respsShared = s.s.resps, true
	r.tr.obs.failedShared = true
	r.st.transition = hook
	r.fpc = s.fpc
	return nil
}

// eventsType is the pending events' type.
var eventsType = reflect.TypeFor[[]event]()

// stateExField is the index of runState's exchanges in its plan; the run
// is its field 0.
var stateExField = func() int {
	if f := runStateType.Field(0); f.Name != "run" {
		panic("sim: runState's first field is not the run")
	}
	f, ok := runStateType.FieldByName("ex")
	if !ok {
		panic("sim: runState has no field ex")
	}
	return f.Index[0]
}()

// streamFields are the offsets in a run of its own random streams
// (run.netRand, run.usrRand): made when the run starts, and referred to by
// nothing but their field.
var streamFields = func() (off [2]uintptr) {
	for i, name := range []string{"netRand", "usrRand"} {
		f, ok := runType.FieldByName(name)
		if !ok || f.Type != reflect.PointerTo(randType) {
			panic("sim: the run has no *rand.Rand field " + name)
		}
		off[i] = f.Offset
	}
	if randType.NumField() != 1 || randType.Field(0).Type.Kind() != reflect.Interface {
		panic("sim: math/rand/v2.Rand is not one interface field")
	}
	return off
}()

var (
	randType   = reflect.TypeFor[rand.Rand]()
	chacha8Ptr = reflect.TypeFor[*rand.ChaCha8]()
)

// streamsInto copies run src's own random streams into run dst's, which
// only dst refers to (the live run's, or those of a snapshot handed back),
// instead of the copier making new ones: where both fields hold a ChaCha8
// stream, dst's takes src's value and the copier takes src's stream as
// copied there.
func (r *Runner) streamsInto(c *copier, dst, src *run) {
	rp := r.ps.snap().rand
	var used [len(streamFields)]unsafe.Pointer
	for i, off := range streamFields {
		sr := *(*unsafe.Pointer)(unsafe.Add(unsafe.Pointer(src), off))
		dr := *(*unsafe.Pointer)(unsafe.Add(unsafe.Pointer(dst), off))
		if sr == nil || dr == nil || slices.Contains(used[:i], dr) {
			continue
		}
		if _, ok := c.copyOf(sr, rp); ok {
			continue // the same stream as an earlier field's
		}
		si, di := (*iface)(sr), (*iface)(dr)
		if si.tab == nil || si.tab != di.tab || c.ps.dynOf(rp.fields[0].p.t, sr).p.t != chacha8Ptr {
			continue
		}
		*(*rand.ChaCha8)(di.data) = *(*rand.ChaCha8)(si.data)
		c.memoize(sr, rp, dr)
		used[i] = dr
	}
}
