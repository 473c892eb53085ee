package sim

import (
	"fmt"
	"math"

	"qrlab/model/rendezvous"
)

// The explorer's time abstraction (Stepping.UntimedAbove; off by default:
// exact time, everything as in step.go).
//
// What it changes in a stepped run. A machine's timer or a request's
// timeout set more than the bound M ahead when it is armed (a request's
// timeout of 10 or 30 s, a login's deadline, a wait for the other device)
// is untimed: once M has passed since its arming it is a choice at every
// state, like a message, and when taken it fires at the run's current time
// without moving the clock; it never holds back the events due after it
// (Enabled orders the timed events only). When nothing but untimed events
// is pending, the moment M after the arming of one not yet free to fire is
// where it may fire, moving the clock there (else such a run would be
// stuck). The same holds for the
// rendezvous sessions' and the provider's grants' expiries more than M
// ahead: the server forgets them (it never expires them by its own clock)
// and each becomes an untimed event that makes it expire when taken
// (untimeExpiries). With Stepping.FreeLostTimeouts, whatever the bound, a
// request's timeout becomes
// untimed and free to fire at once when its exchange can no longer
// complete (exchangeLost: not done, and every copy of its request and of
// its answer lost, none still travelling): the tail of a lost message, in
// which its sender waits for the timeout while the other device polls, is
// then one state per poll phase instead of one per poll. Such a timeout
// keeps its exact time as long as the exchange can still complete (a
// duplicated copy of the request or its answer in flight keeps it alive).
// The run's own time bound (Config.MaxMillis) ends no
// path. Nothing else changes: messages keep their latency bound, shorter
// timers (polls, backoffs), the user's acts, starts and the adversaries'
// actions keep their own times and order.
//
// Kept: every event's effect, the order of the timed events among
// themselves and against the messages' latest arrivals, an untimed timer
// never firing before M has passed since its arming (every untimed timer
// is due later than that), a lost exchange's timeout never firing before
// the exchange could no longer complete (until then it keeps its exact
// time, so that moment is never after its due time: the exact firing is
// one of the abstract ones), and (exactly as for a message) the moment of
// its firing rounded to the run's clock (the time of the latest timed
// event).
// Over-approximated: when an untimed timer fires. It may fire at any state
// from M after its arming on, earlier than its due time (a request giving
// up before its timeout, a deadline cutting a login short), or later,
// after timed events due after it (a timeout coming late). Both directions are
// behaviours the exact run does not have. Not kept: the clock at the
// firing. The exact run fires a timer at its due time D and moves the
// clock there; the abstract run fires it at the time c of the latest
// timed event, so what its handler schedules (a retry, a backoff) is due
// D - c earlier. That is the rounding the stepped run already applies to
// every message (one arriving between two timed events is handled at the
// earlier one's time), but it means an exact path is matched by an
// abstract one event for event, with the same effects, only up to that
// rounding: the abstraction is not proven to contain every exact path,
// and the explorer's tests check on complete explorations that it reaches
// every ending, violation, machine state and transition the exact one
// does. A path that took an untimed timer before its due time relies on
// the abstraction (EarlyFirings); the explorer says so and replays it
// with exact time.
//
// Why there is no latest time: the fingerprint (fingerprint_time.go)
// encodes an untimed timer without its due time (only when it was armed,
// until M has passed, and then that it is free to fire), so that the
// states of a polling tail, which differ only in how far the deadline
// still is, are one. States merged that way must have the same successors, so no
// successor may depend on the due time: an untimed timer has none.
// Liveness is then a matter of fairness: a cycle along which an untimed
// timer stays armed is not a run that goes round for ever, since the
// timer fires eventually (the explorer's lasso rule).
//
// Reads of the clock (the audit the merging rests on: the fingerprint,
// fingerprint_time.go, encodes times ahead relative to the run's time and
// past times by their rank, which is sound only if every step does the
// same after a shift of all times and reads a past time only by order or
// equality against another time). Found by reading every use of a time
// (now, a clock, a Millis field) in model/ and sim/ outside tests:
//   - the simulator sets every timer, timeout and arrival relative to the
//     run's time (now + duration), and orders events by their times only;
//     the run's own time bound (Config.MaxMillis) offers no event past it
//     with exact time only (Enabled); the tcp transport's idle limits
//     (transport_conn.go: now - lastUsed against the pool's and the NAT's)
//     read a past time plus a duration, but the explorer runs the datagram
//     transport only; the store's cost meter (storecost.go) adds the time
//     since its last reading into session- and byte-milliseconds, counts
//     encoded by value (states apart) and never judged;
//   - the login machines set timers at their clock plus a duration, and
//     compare a deadline with their clock (existing.go, deviceBy);
//   - the rendezvous store compares expiries with its clock; it writes its
//     clock into the etag flavour's Last-Modified date, into ULID session
//     IDs (ids.go, the creation time's 48 bits) and answers the time left
//     (absolute values in a body or a path: such states do not merge, and
//     a session is created at a timed step, never at an untimed firing);
//     its creation and modification times are read only in the step that
//     sets them or by SessionInfo, which the simulator does not ask for;
//     its sweep schedule (now / interval) and rate-limit windows (now /
//     Window, an absolute alignment) are never used by the simulator (it
//     calls neither Sweep nor Tick; no rate limit in the presets);
//   - the provider compares grant and token expiries with its clock
//     (EffectiveState, Introspect, the token poll), and the time since the
//     last poll (or the grant's creation, before the first) with the
//     interval: those two are encoded by their distance while it is
//     shorter than the interval (canon.grant). It writes its clock into a
//     registration's client_id_issued_at (an absolute value in a body) and
//     a decision's DecidedAt (read by nothing). Its pruning of grants a
//     fixed time after their expiry (Server.Sweep: a past time plus a
//     duration, which the rank does not keep) is never called by the
//     simulator;
//   - the homeserver compares a device's visibility time with its clock,
//     and (DeviceExists, asked by the secrets monitor) an issuance's time
//     plus Config.IssueDelay with it: a past time plus a duration, which
//     the rank does not keep. IssueDelay is 0 in every homeserver preset,
//     which leaves an order comparison; a study that sets it is not
//     covered by this audit;
//   - the monitors compare the times they recorded with each other, with
//     endings and with the run's time, by order or equality; except the
//     termination bound (an absolute time, Config.TerminationMillis), which
//     the abstraction does not judge (Runner.finish: a path's end with both
//     devices ended is checked, not by when), and the cause checker's
//     expectation that a grant expires its lifetime after its creation
//     (grantAt + ExpiresIn: a past time plus a duration, lost in the rank).
//     With the grant's expiry untimed, an early firing ends the new device
//     before that moment, where the checker gives no verdict (it judges a
//     device not ended by then); a late one can leave the device running
//     past it, where the checker can complain about a login exact time
//     would have ended: a verdict the exact replay must confirm
//     (lab/explore replays every violation found with exact time);
//   - the flooder adversary stops flooding at an absolute 120 s
//     (adversary.go: now + every against 120,000 ms): two states one shift
//     apart, merged, can differ in whether it floods again. An exploration
//     with it under the abstraction may lose or add floods.
//
// Under the abstraction an untimed event fires at the run's time c, not at
// its due time D (see above): what its handler schedules is relative to c.
// That is a read of the clock too; it is why the explorer's tests compare
// what complete explorations reach instead of claiming containment path by
// path.
//
// Counters that only grow and are compared only for equality, a login
// machine's request and timer numbers, are encoded by which of the
// machine's own numbers (the request in flight, the pending timer, the
// deadline) they equal (fingerprint_time.go).

// timeAbs is a stepped run's time abstraction.
type timeAbs struct {
	on bool
	// above is the bound M: timers set further ahead are untimed.
	above Millis
	// freeLost: a lost exchange's timeout is untimed and free to fire
	// (Stepping.FreeLostTimeouts).
	freeLost bool
	// early counts the untimed timers the path fired before their due
	// time.
	early int
	// expiries numbers the untimed expiries pushed (expirySeq).
	expiries uint64
	// ids and dues are scratch for untimeExpiries.
	ids  []string
	dues []Millis
}

// expirySeq is the first sequence number of the untimed expiries' events:
// apart from the queue's own numbers, so that a path's other events have
// the numbers they have with exact time, and below 2^32 (a search tree
// keeps 32 bits of a choice's number).
const expirySeq = 1 << 31

// fired notes an untimed timer due at at, fired at now.
func (t *timeAbs) fired(at, now Millis) {
	if at > now {
		t.early++
	}
}

// startTime sets the time abstraction of a stepped run that has just
// begun: above is the bound M (0: exact time).
func (r *Runner) startTime(above Millis, freeLost bool) error {
	if above < 0 {
		return fmt.Errorf("%w: the untimed bound must not be negative (%d ms)", ErrConfig, above)
	}
	on := above > 0
	r.st.time = timeAbs{on: on, above: above, freeLost: on && freeLost}
	if r.ps.abs != on {
		r.ps = plans{exact: r.ps.exact, abs: on}
		r.restOps, r.fpc.valid = nil, 0
	}
	r.ps.above = above
	if on {
		r.untimeNew(0)
	}
	return nil
}

// untimeNew marks the timers and timeouts pushed after sequence number
// from that are due more than the bound ahead as untimed, and frees the
// timeouts of the exchanges that can no longer complete (lostTimeout).
func (r *Runner) untimeNew(from uint64) {
	r.untimeExpiries()
	now := r.r.now
	for i := range r.q.ev {
		e := &r.q.ev[i]
		switch {
		case r.st.time.freeLost && e.kind == evTimeout && r.exchangeLost(e.id):
			if !e.untimed || !r.ripe(e) {
				// Free to fire from now on: armed the bound before now
				// (ripe), which the fingerprint encodes as free, with
				// no arming time.
				e.untimed, e.armed = true, now-r.st.time.above
			}
		case e.seq > from && (e.kind == evTimer || e.kind == evTimeout) && e.at-now > r.st.time.above:
			e.untimed, e.armed = true, now
		}
	}
}

// exchangeLost reports whether exchange id can no longer complete: it is
// not done, and no copy of its request nor of its answer is still
// travelling (the network lost them all; a duplicated copy still in
// flight keeps it alive). Only its timeout can end it then. Under the tcp
// transport, whose connection retransmits, never.
func (r *Runner) exchangeLost(id uint64) bool {
	if r.tp != nil || id >= uint64(len(r.ex)) {
		return false
	}
	x := &r.ex[id]
	return !x.done && x.deliveries == x.served && x.answers == x.arrived
}

// untimeExpiries makes the rendezvous sessions' and the provider's grants'
// expiries that lie more than the bound ahead untimed: the server forgets
// them (rendezvous.Store.UntimeExpiries, oauth.Server.UntimeExpiries) and
// each becomes an untimed event of kind evExpire that makes it expire when
// taken (expireNow).
func (r *Runner) untimeExpiries() {
	w, t := r.r, &r.st.time
	if w.store != nil {
		t.ids, t.dues = w.store.UntimeExpiries(w.now, t.above, t.ids[:0], t.dues[:0])
		for _, id := range t.ids {
			// The monitor's model of the session expires with it.
			if b := w.mon.box(id); b != nil {
				w.mon.touch(monBoxes)
				b.deadline, b.spec.Expires = rendezvous.Never, rendezvous.Never
			}
		}
		r.pushExpiries(ActorHomeserver, partStore)
	}
	if w.op != nil {
		t.ids, t.dues = w.op.UntimeExpiries(w.now, t.above, t.ids[:0], t.dues[:0])
		r.pushExpiries(ActorOP, partOP)
	}
}

// pushExpiries queues an untimed expiry for each of the keys untimeExpiries
// found on server a (part: its fingerprint part, changed).
func (r *Runner) pushExpiries(a Actor, part int) {
	t := &r.st.time
	if len(t.ids) == 0 {
		return
	}
	r.touch(part)
	for i, id := range t.ids {
		t.expiries++
		e := event{at: t.dues[i], seq: expirySeq + t.expiries, kind: evExpire, actor: a, text: id, untimed: true, armed: r.r.now}
		r.q.ev = append(r.q.ev, e)
		r.q.fix(len(r.q.ev) - 1)
	}
}

// expireNow carries out an untimed expiry: the session or the grant
// expires at the run's time.
func (r *Runner) expireNow(w *run, ev *event) {
	ok := false
	switch ev.actor {
	case ActorHomeserver:
		ok = w.store.ExpireNow(ev.text, w.now)
		r.touch(partStore)
		if b := w.mon.box(ev.text); ok && b != nil {
			w.mon.touch(monBoxes)
			b.deadline, b.spec.Expires = w.now, w.now
		}
	case ActorOP:
		ok = w.op.ExpireNow(ev.text, w.now)
		r.touch(partOP)
	}
	if ok {
		r.tr.add(Event{At: w.now, Kind: EvTimer, Actor: ev.actor, Name: "expires", Detail: "untimed expiry (time abstraction)"})
	}
}

// expiryLive reports whether untimed expiry e can still do something: its
// session or grant is there with its expiry untimed.
func (r *Runner) expiryLive(e *event) bool {
	w := r.r
	switch e.actor {
	case ActorHomeserver:
		return w.store != nil && w.store.Untimed(e.text)
	case ActorOP:
		return w.op != nil && w.op.Untimed(e.text)
	}
	return false
}

// ripe reports whether untimed event e may fire: the bound has passed
// since it was armed.
func (r *Runner) ripe(e *event) bool { return r.r.now-e.armed >= r.st.time.above }

// timedMin is the least time of the pending events that are not untimed
// or, when there is none, of the moments the untimed ones not yet free to
// fire become so (math.MaxInt64: none): the clock moves to it next.
func (r *Runner) timedMin() Millis {
	t, ripening := Millis(math.MaxInt64), Millis(math.MaxInt64)
	for i := range r.q.ev {
		e := &r.q.ev[i]
		switch {
		case !e.untimed:
			t = min(t, e.at)
		case !r.ripe(e):
			ripening = min(ripening, e.armed+r.st.time.above)
		}
	}
	if t == math.MaxInt64 {
		return ripening
	}
	return t
}

// fireUntimed takes untimed event e at the run's time, or, when it is not
// yet free to fire (Enabled offers it then only when nothing else is due
// before), at the moment it becomes so.
func (r *Runner) fireUntimed(e *event) {
	w := r.r
	if !r.ripe(e) {
		w.now = max(w.now, e.armed+r.st.time.above)
	}
	r.st.time.fired(e.at, w.now)
}

// TimeAbstract reports whether the stepped run abstracts time.
func (r *Runner) TimeAbstract() bool { return r.st.time.on }

// EarlyFirings counts the untimed timers the stepped run fired before their
// due time so far: a path with any relies on the time abstraction.
func (r *Runner) EarlyFirings() int { return r.st.time.early }
