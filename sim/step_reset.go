package sim

import "fmt"

// A connection reset in a stepped run (Stepping.Resets): the exchange a
// message belongs to fails with a transport error at once, as a reset
// connection does, instead of the message arriving. A reset request never
// reaches its server; a reset answer was served but never reaches its
// client. The client hears what a transport error tells it in the
// simulator's datagram path (login.FailureTransport; a browser, its
// reload), and no timeout is waited for. That is the difference from a
// lost message, whose client learns of it only when its timeout fires.

// FaultReset: the message's exchange fails with a transport error.
const FaultReset Fault = 8

// resetDetail is the transport error's text in the trace.
const resetDetail = "connection reset"

// resets appends the reset of message e while the budget lasts.
func (r *Runner) resets(buf []Choice, e *event) []Choice {
	if fixedEvent(e.kind) || r.st.resetUsed >= r.st.resetMax || r.ex[e.id].done {
		return buf
	}
	return append(buf, r.choice(e, FaultReset))
}

// takeReset carries out the reset of the message at index i of the queue.
func (r *Runner) takeReset(i int, c Choice) error {
	w := r.r
	ev := r.q.ev[i]
	switch {
	case fixedEvent(ev.kind):
		return fmt.Errorf("%w: event %d is not a message and cannot be reset", ErrConfig, c.Seq)
	case r.st.resetUsed >= r.st.resetMax:
		return fmt.Errorf("%w: reset budget %d spent", ErrConfig, r.st.resetMax)
	case r.ex[ev.id].done:
		return fmt.Errorf("%w: event %d: its exchange is over; nothing to reset", ErrConfig, c.Seq)
	}
	r.q.remove(i)
	r.st.steps++
	r.st.resetUsed++
	defer r.dropInert()
	r.dropMessage(w, &ev, resetDetail+" on "+r.ex[ev.id].link.String())
	// The form of the transport path's own failures (transportFail).
	r.dispatch(w, &event{at: w.now, kind: evTimeout, id: ev.id, text: "transport error: " + resetDetail})
	return nil
}
