package sim

// evKind names what a queued event does.
type evKind uint8

const (
	evStart          evKind = iota + 1 // a machine starts
	evTimer                            // a machine's timer fires (id)
	evReqArrive                        // a request reaches its server (id: exchange)
	evRespArrive                       // an answer reaches its client (id: exchange, aux: response)
	evTimeout                          // a client's request times out (id: exchange)
	evScanned                          // the user scanned the QR code (data)
	evTypeCode                         // the user typed the check code on G (text)
	evBrowserOpened                    // E's browser came up (ok: it could open the URI)
	evBrowse                           // the browser loads a page (text: path, data: form body or nil)
	evConsentReturn                    // the user returns to E after the browser step (ok)
	evConfirmAccount                   // the user answers the account question on N (ok)
	evCancel                           // the user cancels on a device
	evFault                            // a partition begins or ends, or the network heals (text)
	evAdversary                        // an adversary's own action (aux: which adversary)
	evInput                            // a plain input for a machine (id: login.InputKind, ok)
	evExpire                           // an untimed expiry happens (text: its key, actor: the server; step_time.go)
)

// event is one scheduled happening. Events are values in a binary heap
// ordered by (at, seq): the same run always pops them in the same order.
type event struct {
	at    Millis
	seq   uint64
	id    uint64
	aux   uint64
	kind  evKind
	actor Actor
	ok    bool
	text  string
	data  []byte
	// untimed: under the explorer's time abstraction, a long timer that
	// may fire at any moment from armed plus the bound on (step_time.go).
	untimed bool
	armed   Millis
}

// queue is a binary min-heap of events (container/heap without the
// interface boxing).
type queue struct {
	ev  []event
	seq uint64
}

func (q *queue) reset() {
	clear(q.ev)
	q.ev = q.ev[:0]
	q.seq = 0
}

func (q *queue) len() int { return len(q.ev) }

func (q *queue) less(i, j int) bool {
	a, b := &q.ev[i], &q.ev[j]
	if a.at != b.at {
		return a.at < b.at
	}
	return a.seq < b.seq
}

// before reports whether event a comes before event b: the earlier time,
// then the earlier push.
func before(a, b *event) bool { return a.at < b.at || a.at == b.at && a.seq < b.seq }

// push adds e. Sifting moves the hole up, each parent once, and writes e
// once at its place, instead of swapping whole events level by level.
func (q *queue) push(e event) {
	q.seq++
	e.seq = q.seq
	q.ev = append(q.ev, event{})
	i := len(q.ev) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !before(&e, &q.ev[p]) {
			break
		}
		q.ev[i] = q.ev[p]
		i = p
	}
	q.ev[i] = e
}

func (q *queue) pop() event {
	top := q.ev[0]
	last := len(q.ev) - 1
	e := q.ev[last]
	q.ev[last] = event{}
	q.ev = q.ev[:last]
	if last > 0 {
		q.sift(0, &e)
	}
	return top
}

// down moves the event at index i down to its place in the heap.
func (q *queue) down(i int) {
	e := q.ev[i]
	q.sift(i, &e)
}

// sift places e in the heap at or below the hole at index i: the lesser
// child moves up into the hole while it comes before e.
func (q *queue) sift(i int, e *event) {
	n := len(q.ev)
	for {
		m := 2*i + 1
		if m >= n {
			break
		}
		if r := m + 1; r < n && before(&q.ev[r], &q.ev[m]) {
			m = r
		}
		if !before(&q.ev[m], e) {
			break
		}
		q.ev[i] = q.ev[m]
		i = m
	}
	q.ev[i] = *e
}
