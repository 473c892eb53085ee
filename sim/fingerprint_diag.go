package sim

// FaultSettled reports whether the stepped run has spent a loss or a
// duplicate and every exchange a fault touched (one that ended by its
// timeout, or whose request or answer was sent twice) is over: no pending
// event (a copy of its request or answer, its timeout) refers to it any
// more. It picks the
// states a measurement compares with the states of runs without a loss
// (what keeps a state after a recovered loss apart from every state
// without one); the explorer does not use it.
func (r *Runner) FaultSettled() bool {
	if r.st.lossUsed == 0 && r.st.dupUsed == 0 {
		return false
	}
	faulted := func(x *exchange) bool { return x.timedOut > 0 || x.deliveries > 1 || x.answers > 1 }
	any := false
	for i := range r.ex {
		any = any || faulted(&r.ex[i])
	}
	if !any {
		return false
	}
	for i := range r.q.ev {
		e := &r.q.ev[i]
		switch e.kind {
		case evReqArrive, evRespArrive, evTimeout:
			if faulted(&r.ex[e.id]) {
				return false
			}
		}
	}
	return true
}
