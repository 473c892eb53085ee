package sim

import (
	"cmp"
	"fmt"
	"slices"

	"qrlab/model/homeserver"
	"qrlab/model/login"
)

// Stepping: a run driven one event at a time by an outside chooser (the
// explorer, lab/explore) instead of by the queue's order. The run is the
// one Run makes (same servers, machines, user, adversaries and monitors);
// only which pending event happens next, and what the network does to a
// message, are chosen from outside.
//
// The time rule of a stepped run: a message (a request reaching its server,
// an answer reaching its client) may arrive at any moment from its sending
// up to its scheduled arrival, which the network's latency sets (a constant
// latency L makes that "any latency in [0, L]"); it does not move the clock.
// Every other event (a timer, a request's timeout, the user's acts at the
// times the user's stream drew, a machine's start, an adversary's action)
// happens at its own time, in time order, and only once no pending event is
// due earlier, messages included. Events that can no longer do anything (a
// cancelled timer, the timeout of an exchange already answered) are dropped
// before the choices are listed.

// Fault is what the network does to a message the chooser delivers.
type Fault uint8

// The faults.
const (
	FaultNone      Fault = iota // delivered once
	FaultLose                   // lost: never delivered
	FaultDuplicate              // delivered now, and a copy stays on its way
)

func (f Fault) String() string {
	switch f {
	case FaultLose:
		return "lose"
	case FaultDuplicate:
		return "duplicate"
	case FaultReset:
		return "reset"
	}
	if name, ok := decisionName(f); ok {
		return name
	}
	return "deliver"
}

// Choice is one enabled event of a stepped run and the fault applied to it
// (FaultNone for events that are not messages).
type Choice struct {
	// Seq is the event's sequence number: the same path of choices from
	// the same start gives the same numbers.
	Seq   uint64
	Fault Fault
	// At is the event's time (a message's latest arrival).
	At Millis
	// Kind says what happens: request, answer, timer, timeout, user,
	// start, adversary, fault or input.
	Kind string
	// Actor is the one the event happens to (the server a request reaches,
	// the client an answer reaches, the machine a timer belongs to, the
	// device the user acts on).
	Actor Actor
	// Label describes the event for people (the request's method and
	// path, the user's act).
	Label string
	// Untimed: under the time abstraction, a long timer that may fire at
	// any moment, without moving the clock (step_time.go).
	Untimed bool
}

// Message reports whether the choice delivers a message.
func (c Choice) Message() bool { return c.Kind == "request" || c.Kind == "answer" }

// stepState is a stepped run's fault budgets and what it spent of them.
type stepState struct {
	on                bool
	lossMax, dupMax   int
	lossUsed, dupUsed int
	steps             int
	// careless: the user's decisions are choices (step_user.go).
	careless bool
	// resetMax, resetUsed: the connection-reset budget (step_reset.go).
	resetMax, resetUsed int
	// transition, when set, is told of every state change of a machine.
	transition func(a Actor, from, to login.State)
	// time is the time abstraction (step_time.go; off: exact time).
	time timeAbs
}

// Start begins a stepped run of seed: loss and dup are how many messages
// the chooser may lose and duplicate in the whole run.
func (r *Runner) Start(seed uint64, loss, dup int) error {
	if loss < 0 || dup < 0 {
		return fmt.Errorf("%w: fault budgets must not be negative (loss %d, dup %d)", ErrConfig, loss, dup)
	}
	if r.tp != nil {
		return fmt.Errorf("%w: a stepped run needs the datagram transport", ErrConfig)
	}
	if r.cfg.Swarm != nil {
		return fmt.Errorf("%w: a stepped run has no swarm (the explorer chooses the faults)", ErrConfig)
	}
	tr := r.st.transition
	r.st = stepState{on: true, lossMax: loss, dupMax: dup, transition: tr}
	return r.begin(seed)
}

// HashTrace says whether the runner's runs from the next on hash their
// trace (on, the default: Result.TraceHash) or not (off: TraceHash is
// empty). An explorer that never reads the hash leaves the SHA-256 of
// every event out of every transition and snapshot.
func (r *Runner) HashTrace(on bool) { r.noTraceHash = !on }

// MemoCrypto says whether the runner's homeserver remembers the Ed25519
// verifications it made, and the new device the Ed25519 signatures it
// made, by their exact inputs (on: homeserver.VerifyMemo and SignMemo,
// each result computed for real once) or checks and signs afresh every
// time (off, the default), from the next run on. A model checker meets the
// same key upload on many paths; a sweep's runs each bring keys of their
// own.
func (r *Runner) MemoCrypto(on bool) {
	r.hsMemo, r.signMemo = nil, nil
	if on {
		r.hsMemo, r.signMemo = homeserver.NewVerifyMemo(), homeserver.NewSignMemo()
	}
}

// OnTransition has fn told of every state change of a login machine in
// stepped and ordinary runs alike (nil: none).
func (r *Runner) OnTransition(fn func(a Actor, from, to login.State)) { r.st.transition = fn }

// Stopped reports whether the stepped run has nothing more to do: an
// invariant broke or both devices ended.
func (r *Runner) Stopped() bool {
	w := r.r
	return w.res.Violation != nil || (w.n.State().Terminal() && w.e.State().Terminal())
}

// Violation is the stepped run's violation so far (nil: none).
func (r *Runner) Violation() *Violation { return r.r.res.Violation }

// Endings returns how the two devices ended so far (zero: not yet).
func (r *Runner) Endings() (n, e Ending) { return r.r.res.New, r.r.res.Existing }

// Now is the stepped run's virtual time.
func (r *Runner) Now() Millis { return r.r.now }

// States returns the two login machines' states.
func (r *Runner) States() (n, e login.State) { return r.r.n.State(), r.r.e.State() }

// Finish ends a stepped run: the end-of-run checks (termination,
// conservation, the counters at success) and the result.
func (r *Runner) Finish() Result { return r.end(r.st.steps) }

// fixed reports whether an event happens at its own time (everything but
// messages).
func fixedEvent(k evKind) bool { return k != evReqArrive && k != evRespArrive }

// dropInert removes the pending events that can no longer do anything: a
// cancelled timer (forgotten as the run would when it fires) and the
// timeout of an exchange already answered or timed out.
func (r *Runner) dropInert() {
	w := r.r
	for i := 0; i < len(r.q.ev); {
		e := &r.q.ev[i]
		switch {
		case e.kind == evTimer && w.dead[machineIndex(e.actor)][e.id]:
			delete(w.dead[machineIndex(e.actor)], e.id)
		case e.kind == evTimeout && e.id < uint64(len(r.ex)) && r.ex[e.id].done:
		case e.kind == evExpire && !r.expiryLive(e):
		default:
			i++
			continue
		}
		r.q.remove(i)
		i = 0 // the heap moved
	}
}

// Enabled appends to buf the choices of the stepped run's current state,
// in (time, sequence, fault) order; none when the run has stopped.
func (r *Runner) Enabled(buf []Choice) []Choice {
	buf = buf[:0]
	if r.Stopped() {
		return buf
	}
	r.dropInert()
	if len(r.q.ev) == 0 {
		return buf
	}
	tmin := r.q.ev[0].at // the heap's least time
	if r.st.time.on {
		tmin = r.timedMin()
	}
	for i := range r.q.ev {
		e := &r.q.ev[i]
		if e.untimed {
			if r.ripe(e) || e.armed+r.st.time.above == tmin {
				buf = append(buf, r.choice(e, FaultNone))
			}
			continue
		}
		if fixedEvent(e.kind) {
			if e.at != tmin || (e.at > r.cfg.MaxMillis && !r.st.time.on) {
				continue
			}
			buf = append(buf, r.choice(e, FaultNone))
			buf = r.decisions(buf, e)
			continue
		}
		buf = append(buf, r.choice(e, FaultNone))
		buf = r.decisions(buf, e)
		if r.st.lossUsed < r.st.lossMax {
			buf = append(buf, r.choice(e, FaultLose))
		}
		if r.st.dupUsed < r.st.dupMax {
			buf = append(buf, r.choice(e, FaultDuplicate))
		}
	}
	slices.SortFunc(buf, func(a, b Choice) int {
		return cmp.Or(cmp.Compare(a.At, b.At), cmp.Compare(a.Seq, b.Seq), cmp.Compare(a.Fault, b.Fault))
	})
	return buf
}

// LabelChoices says whether the choices Enabled lists carry a Label (on,
// the default) or leave it empty (off): a search that never shows them
// builds no string per choice at every state.
func (r *Runner) LabelChoices(on bool) { r.noLabels = !on }

// choice describes pending event e under fault f.
func (r *Runner) choice(e *event, f Fault) Choice {
	c := Choice{Seq: e.seq, Fault: f, At: e.at, Actor: e.actor, Untimed: e.untimed}
	if r.noLabels {
		c.Kind = choiceKind(e.kind)
		if k := e.kind; k == evReqArrive || k == evRespArrive || k == evTimeout {
			x := &r.ex[e.id]
			c.Actor = x.server
			if k != evReqArrive {
				c.Actor = x.client
			}
		}
		return c
	}
	switch e.kind {
	case evReqArrive, evRespArrive, evTimeout:
		x := &r.ex[e.id]
		c.Kind, c.Actor, c.Label = "request", x.server, x.req.Method+" "+x.req.Path+" from "+x.client.String()
		if e.kind == evRespArrive {
			c.Kind, c.Actor, c.Label = "answer", x.client, x.req.Method+" "+x.req.Path+" from "+x.server.String()
		}
		if e.kind == evTimeout {
			c.Kind, c.Actor, c.Label = "timeout", x.client, x.req.Method+" "+x.req.Path
		}
	case evTimer:
		c.Kind, c.Label = "timer", fmt.Sprintf("timer %d", e.id)
	case evStart:
		c.Kind, c.Label = "start", "starts"
	case evAdversary:
		c.Kind, c.Label = "adversary", "acts"
	case evFault:
		c.Kind, c.Label = "fault", e.text
	case evInput:
		c.Kind, c.Label = "input", login.InputKind(e.id).String()
	case evExpire:
		c.Kind, c.Label = "timer", "expiry of "+e.text
	default:
		c.Kind, c.Label = "user", userLabel(e)
	}
	return c
}

// choiceKind is what Choice.Kind says of an event of kind k.
func choiceKind(k evKind) string {
	switch k {
	case evReqArrive:
		return "request"
	case evRespArrive:
		return "answer"
	case evTimeout:
		return "timeout"
	case evTimer, evExpire:
		return "timer"
	case evStart:
		return "start"
	case evAdversary:
		return "adversary"
	case evFault:
		return "fault"
	case evInput:
		return "input"
	}
	return "user"
}

// userLabel names a user's act.
func userLabel(e *event) string {
	switch e.kind {
	case evScanned:
		return "scans the QR code"
	case evTypeCode:
		return "types check code " + e.text
	case evBrowserOpened:
		return "browser comes up"
	case evBrowse:
		return "browser loads " + e.text
	case evConsentReturn:
		return "confirms the browser step"
	case evConfirmAccount:
		return "answers the account question"
	case evCancel:
		return "cancels"
	}
	return "acts"
}

// Take carries out choice c, which Enabled listed for the current state.
func (r *Runner) Take(c Choice) error {
	w := r.r
	i := slices.IndexFunc(r.q.ev, func(e event) bool { return e.seq == c.Seq })
	if i < 0 {
		return fmt.Errorf("%w: no pending event %d", ErrConfig, c.Seq)
	}
	if r.st.time.on {
		defer r.untimeNew(r.q.seq)
	}
	if c.Fault.Decision() {
		return r.takeDecision(i, c)
	}
	if c.Fault == FaultReset {
		return r.takeReset(i, c)
	}
	ev := r.q.ev[i]
	if fixedEvent(ev.kind) && c.Fault != FaultNone {
		return fmt.Errorf("%w: event %d is not a message and cannot be %s", ErrConfig, c.Seq, c.Fault)
	}
	switch c.Fault {
	case FaultLose:
		if r.st.lossUsed >= r.st.lossMax {
			return fmt.Errorf("%w: loss budget %d spent", ErrConfig, r.st.lossMax)
		}
	case FaultDuplicate:
		if r.st.dupUsed >= r.st.dupMax {
			return fmt.Errorf("%w: duplication budget %d spent", ErrConfig, r.st.dupMax)
		}
	}
	r.q.remove(i)
	r.st.steps++
	if ev.untimed {
		r.fireUntimed(&ev)
	} else if fixedEvent(ev.kind) {
		w.now = max(w.now, ev.at)
	}
	// Events that can no longer do anything go at once, so that a state
	// is the same whether or not Enabled was asked on the way to it.
	defer r.dropInert()
	if c.Fault == FaultNone {
		r.dispatch(w, &ev)
		return nil
	}
	x := &r.ex[ev.id]
	switch c.Fault {
	case FaultLose:
		r.st.lossUsed++
		r.dropMessage(w, &ev, "lost on "+x.link.String())
		return nil
	case FaultDuplicate:
		r.st.dupUsed++
		if ev.kind == evReqArrive {
			x.deliveries++
		} else {
			x.answers++
		}
		r.q.push(event{at: ev.at, kind: ev.kind, id: ev.id, aux: ev.aux})
	}
	r.dispatch(w, &ev)
	return nil
}

// remove takes the event at index i out of the heap.
func (q *queue) remove(i int) event {
	out := q.ev[i]
	last := len(q.ev) - 1
	q.ev[i] = q.ev[last]
	q.ev[last] = event{}
	q.ev = q.ev[:last]
	if i < last {
		q.fix(i)
	}
	return out
}

// fix restores the heap order around index i.
func (q *queue) fix(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !q.less(i, p) {
			break
		}
		q.ev[i], q.ev[p] = q.ev[p], q.ev[i]
		i = p
	}
	q.down(i)
}

// dropMessage takes message ev (a request or an answer) off the network
// without delivering it: counted lost and traced as a drop with detail.
func (r *Runner) dropMessage(w *run, ev *event, detail string) {
	x := &r.ex[ev.id]
	from, to := x.client, x.server
	if ev.kind == evReqArrive {
		x.deliveries--
	} else {
		x.answers--
		from, to = x.server, x.client
	}
	w.res.Lost++
	r.tr.add(Event{At: w.now, Kind: EvDrop, Actor: from, Peer: to, Name: x.req.Method + " " + x.req.Path, Detail: detail})
}
