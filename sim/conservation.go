package sim

import "fmt"

// The simulator checks itself: conservation laws of the virtual network,
// judged at each run's end over every exchange (request and its answers)
// and the events still queued. A broken law is a bug of the lab (a
// duplicated request served once, an answer counted twice, an exchange
// that ended twice or never), reported as InvSimulator. The queue also
// refuses to pop an event earlier than the time already reached (Run).

// Ledger is the network's bookkeeping of one run, summed over exchanges.
type Ledger struct {
	// Requests sent; Deliveries of them the network scheduled (a duplicate
	// counts twice, a loss not at all); Served by a server; PendingRequests
	// still travelling at the run's end.
	Requests, Deliveries, Served, PendingRequests int
	// Answers the servers' answers the network scheduled; Arrived at the
	// client (the first is taken, later ones dropped); PendingAnswers still
	// travelling at the run's end.
	Answers, Arrived, PendingAnswers int
	// Answered and TimedOut: how the exchanges ended (each at most once);
	// Open: exchanges whose timeout is still queued at the run's end (or
	// that have none: no client timeout under tcp).
	Answered, TimedOut, Open int
}

// Ledger returns the last run's network bookkeeping.
func (r *Runner) Ledger() Ledger {
	var l Ledger
	pendReq, pendAns, pendTimeout := r.pending()
	l.Requests = len(r.ex)
	for i := range r.ex {
		x := &r.ex[i]
		l.Deliveries += int(x.deliveries)
		l.Served += int(x.served)
		l.Answers += int(x.answers)
		l.Arrived += int(x.arrived)
		l.Answered += int(x.answered)
		l.TimedOut += int(x.timedOut)
		if x.answered+x.timedOut == 0 && (pendTimeout[i] > 0 || x.req.Timeout < 0) {
			l.Open++
		}
		l.PendingRequests += int(pendReq[i])
		l.PendingAnswers += int(pendAns[i])
	}
	return l
}

// pending counts, per exchange, the request deliveries, answers and
// timeouts still queued.
func (r *Runner) pending() (req, ans, timeout []int32) {
	n := len(r.ex)
	r.pendBuf = append(r.pendBuf[:0], make([]int32, 3*n)...)
	req, ans, timeout = r.pendBuf[:n], r.pendBuf[n:2*n], r.pendBuf[2*n:]
	for i := range r.q.ev {
		e := &r.q.ev[i]
		if e.id >= uint64(n) {
			continue
		}
		switch e.kind {
		case evReqArrive:
			req[e.id]++
		case evRespArrive:
			ans[e.id]++
		case evTimeout:
			timeout[e.id]++
		}
	}
	return req, ans, timeout
}

// conservation checks the laws over every exchange of the run; it returns
// the first one broken, or "".
func (r *Runner) conservation() string {
	req, ans, timeout := r.pending()
	for i := range r.ex {
		x := &r.ex[i]
		name := x.name
		ends := x.answered + x.timedOut
		switch {
		case x.served+req[i] != x.deliveries:
			return fmt.Sprintf("request %d (%s): %d deliveries scheduled, %d served and %d still travelling", i, name, x.deliveries, x.served, req[i])
		case x.arrived+ans[i] != x.answers:
			return fmt.Sprintf("request %d (%s): %d answers sent, %d arrived and %d still travelling", i, name, x.answers, x.arrived, ans[i])
		case ends > 1:
			return fmt.Sprintf("request %d (%s) ended %d times (%d answers, %d timeouts)", i, name, ends, x.answered, x.timedOut)
		case ends == 1 != x.done:
			return fmt.Sprintf("request %d (%s): ended %d times but done is %v", i, name, ends, x.done)
		case ends == 0 && timeout[i] == 0 && (x.req.Timeout >= 0 || r.tp == nil):
			// Under tcp a request whose client set no timeout has no
			// timeout event: it may wait for ever on an answer the
			// server withholds, as a browser's fetch would.
			return fmt.Sprintf("request %d (%s) never ended and its timeout is gone", i, name)
		}
	}
	return ""
}
