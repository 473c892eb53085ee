package sim

import (
	"cmp"
	"slices"
)

// What a persistent (stubborn) set needs beyond the independence relation
// of independent.go: which choices a choice can bring about later, and
// which pending events are not enabled yet but can become so. The
// relation itself only speaks of two choices enabled in one state; a
// persistent set T of a state s must also hold against choices that are
// not enabled in s but can be taken after a sequence of choices outside
// T (lab/explore/persistent.go states the condition and the search).
//
// What an event brings about (pushes onto the queue when it is carried
// out), by its class, read from the places that push events
// (sim/exchange.go, sim/world.go, sim/step.go, sim/step_user.go):
//
//   - A request reaching the store, the provider or the homeserver's API:
//     the answer to its client on the same exchange, scheduled at now + L
//     (exchange.go, serve). The provider's clients are the devices and the
//     browser; the store's and the homeserver's are the devices.
//   - An answer reaching a device: whatever the machine's step does: new
//     requests to any server (each with its timeout), timers, the user's
//     acts (world.go: a scan, typing a code, opening the browser, a cancel
//     at now).
//   - An answer reaching the browser: the user's acts on the provider's
//     pages (exchange.go: consent, browse), and through them requests to
//     the provider.
//   - A duplicated message: its copy, the same event on the same exchange
//     (step.go, Take), and what its delivery brings about.
//   - An event at its own time, or one the relation does not know:
//     anything.
//   - A loss, or an answer on an exchange already done: nothing.
//
// A message pushed this way is enabled at once (it may arrive at any
// moment up to its latest arrival), and so may a fixed event pushed at
// now (a cancel: world.go). So the classes a choice can bring about are
// the closure of the list above: a request brings an answer, an answer
// requests and fixed events, a fixed event anything.

// Lead is a set of access classes: what a choice can bring about, at once
// or through the choices it brings about.
type Lead uint16

func leadOf(cs ...accessClass) Lead {
	var l Lead
	for _, c := range cs {
		l |= 1 << c
		if c == accMachine || c == accBrowser {
			l |= 1 << accInert // an answer may reach an exchange already done
		}
	}
	return l
}

// Has reports whether l holds class c.
func (l Lead) has(c accessClass) bool { return l&(1<<c) != 0 }

// leadDirect is what carrying out (delivering, not losing) an event of
// class c pushes, by class.
func leadDirect(c accessClass) Lead {
	switch c {
	case accStore, accHomeserver:
		return leadOf(accMachine)
	case accProvider:
		return leadOf(accMachine, accBrowser)
	case accMachine:
		return leadOf(accStore, accProvider, accHomeserver, accFixed)
	case accBrowser:
		return leadOf(accProvider, accFixed)
	case accInert:
		return 0
	}
	return leadOf(accStore, accHomeserver, accProvider, accMachine, accBrowser, accInert, accFixed, accUnknown)
}

// pushes is what taking choice a pushes itself: leadDirect of its class,
// with its own class for a duplicate (its copy); nothing for a loss.
func pushes(a Access) Lead {
	if a.Fault == FaultLose {
		return 0
	}
	l := leadDirect(a.class)
	if a.Fault == FaultDuplicate {
		l |= leadOf(a.class)
	}
	return l
}

// Leads is what taking choice a can bring about later, on new events:
// the transitive closure of leadDirect from a's class, with a's own class
// for a duplicate (its copy); nothing for a loss.
func Leads(a Access) Lead { return leads(a, false) }

// LeadsUntimed is Leads as if no fixed event a choice brings about could
// happen before the other pending events (not so: a cancel is pushed at
// now); for measuring what the fixed events cost persistent sets only.
func LeadsUntimed(a Access) Lead { return leads(a, true) }

func leads(a Access, noFixed bool) Lead {
	mask := ^Lead(0)
	if noFixed {
		mask = ^leadOf(accFixed, accUnknown)
	}
	l := pushes(a) & mask
	for {
		next := l
		for c := accUnknown; c <= accInert; c++ {
			if l.has(c) {
				next |= leadDirect(c) & mask
			}
		}
		if next == l {
			return l
		}
		l = next
	}
}

// DependentOnLead reports whether some choice on a new event of a class in
// l (a message delivered, lost or duplicated, or a fixed event), which
// does not exist yet, is dependent with t by Independent.
func DependentOnLead(t Access, l Lead) bool { return dependentOnLead(t, l, Independent) }

// DependentOnLeadButBudget is DependentOnLead by IndependentButBudget.
func DependentOnLeadButBudget(t Access, l Lead) bool {
	return dependentOnLead(t, l, IndependentButBudget)
}

func dependentOnLead(t Access, l Lead, independent func(a, b Access) bool) bool {
	if t.class == accInert {
		// Every new event is on another exchange: a new request opens
		// one, and a new answer or copy on t's exchange would need a
		// request or a copy of it pending, a choice on t's exchange
		// (rule 1 puts it with t).
		return false
	}
	return anyLeadAccess(l, 0, func(u Access) bool { return !independent(t, u) })
}

// anyLeadAccess reports whether f holds for some choice on a new event of
// a class in l (delivered, lost or duplicated; a fixed event only
// delivered), a message's on side. A new event has a sequence number and
// an exchange of its own.
func anyLeadAccess(l Lead, side Actor, f func(u Access) bool) bool {
	for c := accUnknown; c <= accInert; c++ {
		if !l.has(c) {
			continue
		}
		faults := []Fault{FaultNone}
		if c != accFixed && c != accUnknown {
			faults = append(faults, FaultLose, FaultDuplicate)
		}
		for _, fault := range faults {
			u := Access{Seq: ^uint64(0), Fault: fault, class: c, exch: ^uint64(0), hasEx: c != accFixed && c != accUnknown, side: side}
			if f(u) {
				return true
			}
		}
	}
	return false
}

// Loss reports whether a loses its message.
func (a Access) Loss() bool { return a.Fault == FaultLose }

// SameEvent reports whether a and b are choices on one pending event.
func (a Access) SameEvent(b Access) bool { return a.Seq == b.Seq }

// Waiting appends to buf the pending events at their own time that are not
// enabled now because an earlier message is still on its way (Enabled
// lists a fixed event only at the least pending time), as choices. Under
// the time abstraction it appends nothing and reports false: untimed
// events follow other rules (step_time.go), which persistent sets do not
// handle.
func (r *Runner) Waiting(buf []Choice) ([]Choice, bool) {
	buf = buf[:0]
	if r.st.time.on {
		return buf, false
	}
	if r.Stopped() {
		return buf, true
	}
	r.dropInert()
	if len(r.q.ev) == 0 {
		return buf, true
	}
	tmin := r.q.ev[0].at
	for i := range r.q.ev {
		e := &r.q.ev[i]
		if fixedEvent(e.kind) && e.at != tmin && e.at <= r.cfg.MaxMillis {
			buf = append(buf, r.choice(e, FaultNone))
		}
	}
	slices.SortFunc(buf, func(a, b Choice) int { return cmp.Compare(a.Seq, b.Seq) })
	return buf, true
}

// IndependentSides is Independent, and in addition calls two answers to
// two different clients independent (not argued: both steps can draw the
// user's stream or write the user's record). For measuring what that
// refinement could buy only.
func IndependentSides(a, b Access) bool {
	if Independent(a, b) {
		return true
	}
	if a.Fault == FaultDuplicate && b.Fault == FaultDuplicate {
		return false
	}
	answer := func(c accessClass) bool { return c == accMachine || c == accBrowser }
	return answer(a.class) && answer(b.class) && a.hasEx && b.hasEx && a.side != b.side
}

// DependentOnLeadSide is DependentOnLead with the new events on u's side:
// a message's choice brings about messages of its own client only, and
// fixed events (which l holds or not); independence by
// IndependentSides. For measuring only, as IndependentSides.
func DependentOnLeadSide(t Access, l Lead, u Access) bool {
	if !u.hasEx || u.class == accFixed || u.class == accUnknown {
		return DependentOnLead(t, l)
	}
	return anyLeadAccess(l, u.side, func(n Access) bool { return !IndependentSides(t, n) })
}
