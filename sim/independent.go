package sim

import (
	"fmt"
	"slices"
	"unsafe"

	"qrlab/model/login"
)

// Independence of the stepped run's choices, for partial-order reduction
// (lab/explore's sleep sets).
//
// Two choices a and b enabled in a state s are independent when taking a
// then b and b then a from s reach the same state (the same Fingerprint),
// and each stays enabled after the other. The relation below is stated
// from how the run carries out an event (dispatch, serve, arrive, step,
// Take), and it is conservative: a pair is dependent unless the argument
// for it holds for every preset and every state. In particular:
//
//   - A choice and itself, or two choices on the same pending event (its
//     delivery, loss and duplication), are dependent; so are two choices on
//     one exchange (a request and its copy, its answer, its timeout): they
//     share the exchange's ledger and whether it is done.
//   - Events that happen at their own time (timers, timeouts, the user's
//     acts, starts, inputs, faults, adversaries' actions) are dependent with
//     every choice but a loss: each moves the clock, which changes what a
//     message delivered after it does (the server's time, when its answer
//     is due) and which fixed events are due (a message sent after the
//     clock moved may be due before another fixed event).
//   - Two losses are dependent (one budget), and so are two duplications.
//   - A loss (Take with FaultLose) carries out nothing: it takes its event
//     from the queue, lowers its exchange's scheduled deliveries or answers
//     and spends the loss budget; no machine, server, monitor, random
//     stream or clock is touched, and no pending event is added, cancelled
//     or made due. It is independent of every choice on another exchange
//     that is not a loss: the other choice does not read the ledger of the
//     lost exchange (conservation reads it only at the run's end), does not
//     depend on that event being queued (nothing in dispatch looks at the
//     queue), and leaves the loss enabled (a pending message stays
//     enabled); the loss leaves a fixed event due (it only removes an
//     event at or after the earliest time).
//   - A request reaching a server (the store, the provider, the
//     homeserver's API) and an answer reaching a client (a device or the
//     browser), on two exchanges: a message does not move the clock, so
//     both happen at the same time in either order. The server's handling
//     reads and writes its server and the monitors' records of it (the
//     mailboxes, the grants) and schedules its answer at now + L on its
//     own exchange. The client's step reads and writes its machine or the
//     browser's page, the user (stream, record), the monitors' records of
//     the channel (seals and opens) and of what reached the device (the
//     homeserver's answers, the grant its device authorization answer
//     names, read from the provider's log by its ID and creation time,
//     which no request changes once the grant exists:
//     sim/arrival-audit.md), and schedules its own requests and timers. Where a monitor of one reads
//     what the other writes, the write is earlier by causality: a device
//     opens a payload the store accepted before the device read it, a
//     token is judged against a consent recorded before the browser posted
//     it, a stored body is searched for secrets the monitors learnt when
//     the provider handed them out, before any device could send them.
//     One record both write: a rendezvous read's answer reaching a device
//     marks the payload it carries as read (monitor.arrivedRead), and a
//     write the store accepts notes the payload it replaces as unread
//     unless it was read; in either order the note is made and then
//     struck out (or never made), so both orders leave the same record.
//   - A request reaching the store and one reaching the provider or the
//     homeserver's API: the store shares no state with either (the
//     homeserver asks the provider about tokens, so those two are kept
//     dependent), each answers on its own exchange at now + L, and each
//     draws from its own stream.
//
// Bookkeeping that differs with the order but is not state: the events a
// choice pushes get other sequence numbers, and the exchanges it opens
// other indexes in the exchange table; the fingerprint encodes pending
// events by what they carry and exchanges by content, without either, and
// Access.Key names a choice the same way. Random streams: the explorer's
// network draws nothing (a constant latency, no loss or duplication of
// its own), the store and the provider draw from their own streams, and
// the user's stream is drawn only by machine steps and the user's and
// browser's acts, which are all kept dependent.
//
// An answer on an exchange already done (answered, or timed out) is
// discarded when it arrives (world.go, arrive: the exchange's count of
// arrivals goes up and the trace notes the drop; nothing else is read or
// written: no machine, server, monitor, stream, clock or pending event).
// Its delivery is independent of every choice on another exchange,
// whatever that choice's class (an event at its own time, a reset, a
// choice the relation does not know in a run without adversaries or
// hooks, which would make this one unknown too): none of them reads or
// writes that exchange's count, and none can disable it (a message stays
// enabled until taken) or be disabled by it (it removes an event at or
// after the earliest pending time, as a loss does). Whether an exchange is
// done does not change back. So are its loss (the exchange's count, the
// run's count of losses, which only the end of the run reads, and the
// budget) and its duplication (the budget, a copy on its own exchange,
// itself discarded), but with another choice that spends the same budget.
//
// Two answers (to the two devices, or a device and the browser) are
// dependent: both steps can draw the user's stream or append to the user's
// record, and a device that fails makes the user give up on the other. So
// are two requests to one server, and a request to the homeserver's API
// and one to the provider. The pairs left independent are the ones
// TestIndependentCommute checks over reachable states of several presets,
// both intents, with loss and duplication budgets.
//
// A run with adversaries, or a test hook on the store, has every pair
// dependent: adversaries watch every server's answer and the user's scans.
// Kinds of events and faults this relation does not know are dependent
// with everything.

// Access is what the independence relation needs to know of one enabled
// choice, taken from the state where it is enabled: which event, which
// exchange, what it reaches. Key names the choice without its sequence
// number: the same event (by content) under the same fault has the same
// key on every path, so a set of choices can be kept with a state.
type Access struct {
	Seq   uint64
	Fault Fault
	Key   uint64
	class accessClass
	exch  uint64 // the exchange of a message or a timeout
	hasEx bool
	side  Actor // the client of a message's exchange
}

// accessClass is what an event reaches, as far as independence goes.
type accessClass uint8

const (
	accUnknown    accessClass = iota // dependent with everything
	accFixed                         // an event at its own time
	accStore                         // a request reaching the rendezvous store
	accHomeserver                    // a request reaching the homeserver's API
	accProvider                      // a request reaching the provider
	accMachine                       // an answer reaching a login machine
	accBrowser                       // an answer reaching the user's browser
	// accInert: an answer on an exchange that is already done, which its
	// client discards (delivered, lost or duplicated).
	accInert
)

// StepsMachine reports whether carrying out choice a can step a login
// machine, so end a device: an answer reaching a device, or an event at
// its own time (a timer, a timeout, the user's acts), or one the relation
// does not know. A request reaching a server and an answer reaching the
// browser only serve or push events (exchange.go, serve and
// browserAnswer), and a loss carries out nothing. One step steps at most
// one machine (world.go: every r.step is on one actor, and a machine's
// effects push events for the other instead of stepping it).
func (a Access) StepsMachine() bool {
	if a.Fault == FaultLose {
		return false
	}
	switch a.class {
	case accStore, accHomeserver, accProvider, accBrowser, accInert:
		return false
	}
	return true
}

// Side is the client of a message's exchange (a device, the browser);
// ActorNone for an event at its own time.
func (a Access) Side() Actor {
	if !a.hasEx || a.class == accFixed {
		return ActorNone
	}
	return a.side
}

// IsAnswer reports whether a is an answer reaching a device.
func (a Access) IsAnswer() bool { return a.class == accMachine }

// IsFixed reports whether a is an event at its own time.
func (a Access) IsFixed() bool { return a.class == accFixed }

// ClassName names what a's event reaches, for reports.
func (a Access) ClassName() string {
	switch a.class {
	case accFixed:
		return "fixed"
	case accStore:
		return "store"
	case accHomeserver:
		return "homeserver"
	case accProvider:
		return "provider"
	case accMachine:
		return "answer"
	case accBrowser:
		return "browser"
	case accInert:
		return "discarded"
	}
	return "unknown"
}

// Access describes choice c of the current state (which Enabled listed).
func (r *Runner) Access(c Choice) (Access, error) {
	i := slices.IndexFunc(r.q.ev, func(e event) bool { return e.seq == c.Seq })
	if i < 0 {
		return Access{}, fmt.Errorf("%w: no pending event %d", ErrConfig, c.Seq)
	}
	e := &r.q.ev[i]
	a := Access{Seq: c.Seq, Fault: c.Fault, Key: r.eventKey(e, c.Fault)}
	opaque := len(r.adversaries) > 0 || r.hook != nil || r.tp != nil
	switch e.kind {
	case evReqArrive, evRespArrive, evTimeout:
		x := &r.ex[e.id]
		a.exch, a.hasEx, a.side = e.id, true, x.client
		opaque = opaque || x.owner != nil
		switch {
		case e.kind == evTimeout:
			a.class = accFixed
		case e.kind == evRespArrive && x.done:
			a.class = accInert
		case e.kind == evRespArrive && (x.client == ActorNew || x.client == ActorExisting):
			a.class = accMachine
		case e.kind == evRespArrive && x.client == ActorBrowser:
			a.class = accBrowser
		case e.kind == evReqArrive && x.client == ActorBrowser:
			a.class = accProvider
		case e.kind == evReqArrive && x.req.Target == login.TargetRendezvous:
			a.class = accStore
		case e.kind == evReqArrive && x.req.Target == login.TargetOP:
			a.class = accProvider
		case e.kind == evReqArrive && x.req.Target == login.TargetHomeserver:
			a.class = accHomeserver
		}
	case evStart, evTimer, evScanned, evTypeCode, evBrowserOpened, evBrowse, evConsentReturn, evConfirmAccount, evCancel,
		evFault, evInput:
		a.class = accFixed
	}
	switch c.Fault {
	case FaultNone, FaultLose, FaultDuplicate:
	default:
		opaque = true // a fault this relation does not know
	}
	if opaque {
		a.class = accUnknown
	}
	return a, nil
}

// Independent reports whether choices a and b, both enabled in one state
// and described there by Access, commute (see the relation above).
func Independent(a, b Access) bool {
	if a.Seq == b.Seq {
		return false
	}
	if a.hasEx && b.hasEx && a.exch == b.exch {
		return false
	}
	la, lb := a.Fault == FaultLose, b.Fault == FaultLose
	da, db := a.Fault == FaultDuplicate, b.Fault == FaultDuplicate
	if la && lb || da && db {
		return false // one budget
	}
	if a.class == accInert || b.class == accInert {
		return true
	}
	if a.class == accUnknown || b.class == accUnknown {
		return false
	}
	if la || lb {
		return true
	}
	return commutes(a.class, b.class) || commutes(b.class, a.class)
}

// IndependentButBudget reports whether a and b are independent, or are
// two losses, or two duplications, on two exchanges whose deliveries are
// independent: such a pair is dependent only by its budget. Taking one
// can disable the other (the budget is spent), but never enables it, and
// when both orders can be taken they reach the same state (a loss
// carries out nothing but its count; a duplication delivers its message
// and pushes a copy, and the two deliveries commute). Persistent sets
// need no more of a pair of which neither is their key choice
// (lab/explore/persistent.go).
func IndependentButBudget(a, b Access) bool {
	if Independent(a, b) {
		return true
	}
	if a.Seq == b.Seq || a.hasEx && b.hasEx && a.exch == b.exch || a.class == accUnknown || b.class == accUnknown {
		return false
	}
	switch {
	case a.Fault == FaultLose && b.Fault == FaultLose:
		return true
	case a.Fault == FaultDuplicate && b.Fault == FaultDuplicate:
		a.Fault, b.Fault = FaultNone, FaultNone
		return Independent(a, b)
	}
	return false
}

// commutes lists the pairs of delivered (or duplicated) messages on two
// exchanges that commute: a request reaching a server and an answer
// reaching a client (a device or the browser), and a request reaching the
// store and one reaching the provider or the homeserver's API.
func commutes(a, b accessClass) bool {
	server := func(c accessClass) bool { return c == accStore || c == accHomeserver || c == accProvider }
	answer := func(c accessClass) bool { return c == accMachine || c == accBrowser }
	switch {
	case server(a) && answer(b):
		return true
	case a == accStore && (b == accProvider || b == accHomeserver):
		return true
	}
	return false
}

// eventKey hashes event e under fault f: what the fingerprint encodes of
// a pending event (its time, kind, actor, payload and exchange), without
// its sequence number.
func (r *Runner) eventKey(e *event, f Fault) uint64 {
	c := &r.canon
	c.ps = &r.ps
	c.reset()
	c.buf = append(c.buf, byte(f))
	c.u64(uint64(e.at))
	c.u64(uint64(e.kind))
	c.u64(uint64(e.actor))
	c.bool(e.ok)
	c.str(e.text)
	c.seen.reset()
	c.enc(unsafe.Pointer(&e.data), r.ps.of(bytesType))
	switch e.kind {
	case evReqArrive, evRespArrive, evTimeout:
		c.enc(unsafe.Pointer(&r.ex[e.id]), r.ps.of(exchangeType))
		if e.kind == evRespArrive {
			c.enc(unsafe.Pointer(r.resps[e.aux]), r.ps.of(arrivalType))
		}
	default:
		c.u64(e.id)
		c.u64(e.aux)
	}
	if !r.fpKeyed {
		r.fph, r.fpKeyed = newFPHash(derive(r.r.seed, streamFingerprint).Uint64()), true
	}
	key := r.fph.sum(c.buf)[0]
	c.buf = c.buf[:0]
	return key
}
