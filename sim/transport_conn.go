package sim

import (
	"fmt"
	"math"
)

// open makes a new connection of client to server on link l at now: the
// TCP handshake (a lost SYN or SYN-ACK resends the SYN after the initial
// RTO, doubling: 1, 3, 7, 15, 31, 63 s with the defaults [T7]), then the
// TLS 1.3 handshake (one round trip [T16]; none with 0-RTT resumption
// [T17]). Resets and handovers that will break it are drawn now.
func (r *Runner) open(w *run, client, server Actor, l LinkID) int {
	tp := r.tp
	k := &tp.k
	tp.conns = append(tp.conns, tcpConn{client: client, server: server, link: l, busy: -1, freeAt: w.now, lastUsed: w.now,
		failAt: never, breakAt: never})
	ci := len(tp.conns) - 1
	c := &tp.conns[ci]
	c.setRTO(Millis(k.InitialRTOMillis))
	if k.ResetPerHour > 0 {
		c.breakAt, c.breakWhy = w.now+expMillis(tp.rnd, k.ResetPerHour), "connection reset"
	}
	if h := tp.nextHandover(deviceOf(client), w.now); h < c.breakAt {
		c.breakAt, c.breakWhy = h, "handover: the device changed network"
	}
	// The TCP handshake.
	est, t := never, w.now
	// heard: when the first SYN the server received left (its timestamp
	// is what every SYN-ACK echoes, SynTimestamps); srvRTT the round trip
	// from the SYN-ACK that connected to the ACK (the server's sample).
	heard, srvRTT := never, Millis(0)
	// srvRtx and srvTimeouts count the server's SYN-ACK resends and those
	// its timer made (SynAckTimer).
	srvRtx, srvTimeouts := 0, 0
	syns := 0
	if k.SynAckTimer {
		est, t, heard, srvRTT, syns, srvRtx, srvTimeouts = tp.handshakeTimer(w, l, w.now)
	} else {
		for ; syns <= k.SynRetries; syns++ {
			if !tp.lost(w, l, true, t) {
				heard = min(heard, t)
				arr := t + tp.oneWay(w, l)
				if !tp.lost(w, l, false, arr) {
					est = arr + tp.oneWay(w, l)
					srvRTT = est - t
					break
				}
			}
			w.res.Lost++
			if syns < k.SynRetries {
				t += tp.backoff(Millis(k.InitialRTOMillis), syns)
			}
		}
	}
	if est == never {
		c.failAt = t + tp.backoff(Millis(k.InitialRTOMillis), k.SynRetries)
		c.failWhy = fmt.Sprintf("connect failed: SYN unanswered after %d retries", k.SynRetries)
		return ci
	}
	switch {
	case syns == 0:
		// Karn: only an unretransmitted handshake is a sample; the
		// server's (its SYN-ACK to the client's ACK) is taken as the same.
		tp.sample(&c.est[1], est-w.now)
		tp.sample(&c.est[0], est-w.now)
	case k.SynTimestamps:
		// The client's sample runs from the first SYN the server heard
		// (the SYN-ACK echoes its timestamp), the server's over the
		// round trip that completed the handshake.
		tp.sample(&c.est[1], est-heard)
		tp.sample(&c.est[0], srvRTT)
	default:
		c.setRTO(Millis(k.FallbackRTOMillis))
	}
	if syns > 0 {
		r.tr.add(Event{At: w.now, Kind: EvDrop, Actor: client, Peer: server, Name: "tcp connect",
			Detail: fmt.Sprintf("SYN resent %d times on %s, connected at +%d ms", syns, l, est-w.now)})
	}
	// The TLS handshake.
	resumed := tp.tickets[client][server]
	if resumed && k.TLSResumption == "0rtt" {
		c.readyAt = est
		return ci
	}
	server1 := k.TLSServerBytes
	if resumed && k.TLSResumption == "psk" {
		server1 = tlsResumedBytes
	}
	client1 := tlsClientHelloBytes
	if k.TLSClientBytes > 0 {
		client1 = k.TLSClientBytes
	}
	hello, l1, fail, why := tp.transfer(w, c, true, est, client1)
	// Linux starts a connection whose SYN-ACK was resent more than once,
	// once by its timer, with a window of one segment [T37]: the rest of
	// the server's flight leaves when the first segment's acknowledgment
	// is back (the window then two segments; the rest is sent as one
	// flight, exact for flights of up to three segments).
	cut := k.SynAckTimer && srvRtx > 1 && srvTimeouts > 0 && server1 > k.MSS
	if fail == never && cut {
		var l2 int
		var first Millis
		first, l2, fail, why = tp.transfer(w, c, false, hello, k.MSS)
		l1 += l2
		if fail == never {
			c.readyAt, l2, fail, why = tp.transfer(w, c, false, first+tp.oneWay(w, l), server1-k.MSS)
			c.readyAt = max(c.readyAt, first) + Millis(k.TLSHandshakeMillis)
			l1 += l2
		}
	} else if fail == never {
		var l2 int
		c.readyAt, l2, fail, why = tp.transfer(w, c, false, hello, server1)
		c.readyAt += Millis(k.TLSHandshakeMillis)
		l1 += l2
	}
	w.res.Lost += l1
	if fail != never {
		c.failAt, c.failWhy = fail, "TLS handshake: "+why
		return ci
	}
	if l1 == 0 {
		tp.sample(&c.est[1], c.readyAt-est)
		tp.sample(&c.est[0], c.readyAt-est)
	}
	tp.tickets[client][server] = true
	if k.TLSClientFinished && k.TLSFinishedFlight {
		c.finFlight = true // sent with the request (tcpRequest)
	} else if k.TLSClientFinished {
		fin, l3, fail, why := tp.transfer(w, c, true, c.readyAt, tlsClientFinishedBytes)
		w.res.Lost += l3
		if fail != never {
			c.failAt, c.failWhy = fail, "TLS handshake: "+why
			return ci
		}
		c.finAt = fin
	}
	return ci
}

// handshakeTimer is the TCP handshake from start with the server's
// SYN-ACK timer (TCP.SynAckTimer) [T37]: once the server has heard a SYN
// it answers each resent SYN with a SYN-ACK (restarting its timer) and
// resends the SYN-ACK itself when its timer fires (the initial RTO after
// the first answer, doubling), so the client connects on the first SYN-ACK
// of either kind to arrive, and resends its SYN only while none has
// (after the initial RTO, doubling). The server's timer fires first when
// it is due no later than a resent SYN arrives, and stops when the ACK is
// in. It returns when the client connected (never: it did not), when its
// last SYN left, when the first SYN the server heard left, the server's
// RTT sample (the connecting SYN-ACK's round trip), the SYNs resent, and
// the server's SYN-ACK resends, all and by its timer. Each lost packet is
// counted.
func (tp *tcpState) handshakeTimer(w *run, l LinkID, start Millis) (est, t, heard, srvRTT Millis, syns, srvRtx, srvTimeouts int) {
	k := &tp.k
	init := Millis(k.InitialRTOMillis)
	est, t, heard, due := never, start, never, never
	// synack sends a SYN-ACK at s; the first to arrive connects.
	synack := func(s Millis) {
		if tp.lost(w, l, false, s) {
			w.res.Lost++
			return
		}
		if a := s + tp.oneWay(w, l); a < est {
			est, srvRTT = a, 2*(a-s)
		}
	}
	// fire runs the server's timer up to until, while no ACK is in.
	fire := func(until Millis) {
		for due <= until && (est == never || due < est+srvRTT/2) {
			srvRtx, srvTimeouts = srvRtx+1, srvTimeouts+1
			synack(due)
			due += tp.backoff(init, srvTimeouts)
		}
	}
	for syns = 0; syns <= k.SynRetries; syns++ {
		if syns > 0 {
			next := t + tp.backoff(init, syns-1)
			fire(next)
			if est <= next {
				syns--
				break
			}
			t = next
		}
		if tp.lost(w, l, true, t) {
			w.res.Lost++
		} else {
			arr := t + tp.oneWay(w, l)
			fire(arr)
			if heard == never {
				heard = t
			} else {
				srvRtx++
			}
			synack(arr)
			due = arr + tp.backoff(init, srvTimeouts)
		}
		if syns == k.SynRetries {
			fire(t + tp.backoff(init, syns))
		}
	}
	syns = min(syns, k.SynRetries)
	return est, t, heard, srvRTT, syns, srvRtx, srvTimeouts
}

// Sizes of the TLS flights the sources do not give [lab defaults]: a
// ClientHello with one key share (TCP.TLSClientBytes replaces it), and a
// resumed server flight without a certificate.
const (
	tlsClientHelloBytes = 300
	tlsResumedBytes     = 300
	// tlsClientFinishedBytes: a Finished record with SHA-256 (4 + 32
	// bytes of message, the inner content type, a 16-byte tag and the
	// 5-byte record header).
	tlsClientFinishedBytes = 58
)

// pick finds a pooled connection of client to server that may carry a
// request at now, or opens one. A connection is reusable when it is not
// broken, has not idled past the pool's timeout and, with HTTP/1.1, carries
// no other request (a request the client gave up on closed it).
func (r *Runner) pick(w *run, client, server Actor, l LinkID) int {
	tp := r.tp
	for i := len(tp.conns) - 1; i >= 0; i-- {
		c := &tp.conns[i]
		if c.dead || c.client != client || c.server != server {
			continue
		}
		if c.breakAt <= w.now || c.failAt <= w.now {
			c.dead = true
			if c.breakAt <= w.now {
				r.tr.add(Event{At: w.now, Kind: EvFault, Actor: ActorNetwork, Peer: client, Name: "tcp connection broken",
					Detail: fmt.Sprintf("%s at %d ms; a new connection is opened", c.breakWhy, c.breakAt)})
			}
			continue
		}
		if c.busy >= 0 && !tp.k.HTTP2 {
			if c.freeAt > w.now {
				if r.ex[c.busy].done {
					c.dead = true // the client dropped it with its request
				}
				continue
			}
			c.busy = -1
		}
		if w.now-c.lastUsed > Millis(tp.k.PoolIdleMillis) && c.readyAt <= w.now {
			c.dead = true // the pool closed it
			continue
		}
		return i
	}
	return r.open(w, client, server, l)
}

// tcpRequest carries exchange id's request of size bytes over a pooled
// connection. A client that gives up (deadline) before its connection is
// ready cancels the request before it leaves, and the connection with it.
func (r *Runner) tcpRequest(w *run, id uint64, size int, deadline Millis) {
	tp := r.tp
	x := &r.ex[id]
	ci := r.pick(w, x.client, x.server, x.link)
	c := &tp.conns[ci]
	for uint64(len(tp.ex)) <= id {
		tp.ex = append(tp.ex, tcpEx{conn: -1})
	}
	tp.ex[id] = tcpEx{conn: int32(ci)}
	if !tp.k.HTTP2 {
		c.busy, c.freeAt = int64(id), never
	}
	if c.failAt != never {
		c.dead = true
		r.transportFail(w, id, c.failAt, c.failWhy)
		return
	}
	start := max(w.now, c.readyAt)
	if start >= deadline {
		c.dead = true // the client's timeout fires first and drops it
		return
	}
	if n := tp.k.NATIdleMillis; n > 0 && c.readyAt < w.now && w.now-c.lastUsed > Millis(n) {
		// The mapping is gone: every segment is black-holed until the
		// retransmission budget ends the connection.
		c.dead = true
		at := start
		for k := 0; k <= tp.k.Retries2; k++ {
			at += tp.backoff(c.dir(true).rto, k)
		}
		if ut := Millis(tp.k.UserTimeoutMillis); ut > 0 {
			at = min(at, start+ut)
		}
		r.transportFail(w, id, at, "NAT mapping expired after the connection idled")
		return
	}
	var at Millis
	var losses int
	var fail Millis
	var why string
	if c.finFlight {
		// The request is the one this connection was opened for, and
		// leaves at readyAt behind the Finished: a flight whose first
		// segment is the Finished (one MSS counted for it, its real
		// size for the bandwidth).
		c.finFlight = false
		at, losses, fail, why = tp.transfer(w, c, true, start, tp.k.MSS+size)
		if bw := w.net.links[c.link].BytesPerSecond; bw > 0 && fail == never {
			at -= Millis(math.Min(float64(tp.k.MSS+size)*1000/bw, MaxDelayMillis)) -
				Millis(math.Min(float64(tlsClientFinishedBytes+size)*1000/bw, MaxDelayMillis))
		}
	} else {
		at, losses, fail, why = tp.transfer(w, c, true, start, size)
	}
	tp.ackWait(c, at)
	held := c.finAt > at // the server waited for a retransmitted Finished
	at = max(at, c.finAt)
	w.res.Lost += losses
	tp.ex[id].sent, tp.ex[id].retrans = start, losses > 0 || held
	c.lastUsed = max(c.lastUsed, start)
	switch {
	case fail < c.breakAt && fail != never:
		c.dead = true
		r.transportFail(w, id, fail, why)
	case fail != never || at >= c.breakAt:
		// The connection broke before the data got through, or before
		// its retransmissions ran out (at is 0 then: it never arrived).
		r.transportFail(w, id, c.breakAt, c.breakWhy)
	default:
		if losses > 0 {
			r.tr.add(Event{At: w.now, Kind: EvDrop, Actor: x.client, Peer: x.server, Name: x.req.Method + " " + x.req.Path,
				Detail: fmt.Sprintf("tcp: %d segment(s) lost on %s, retransmitted; arrives at +%d ms", losses, x.link, at-w.now)})
		}
		c.lastUsed = at
		x.deliveries++
		r.q.push(event{at: at, kind: evReqArrive, id: id})
	}
}

// tcpAnswer carries the answer ai of size bytes to exchange id back on its
// connection, held back by extra (a malicious server's delay).
func (r *Runner) tcpAnswer(w *run, id, ai uint64, size int, extra Millis) {
	tp := r.tp
	x := &r.ex[id]
	te := tp.ex[id]
	c := &tp.conns[te.conn]
	extra += Millis(tp.k.ServerMillis)
	start := w.now + extra
	if c.breakAt <= start {
		r.transportFail(w, id, max(w.now, c.breakAt), c.breakWhy)
		return
	}
	at, losses, fail, why := tp.transfer(w, c, false, start, size)
	w.res.Lost += losses
	switch {
	case fail < c.breakAt && fail != never:
		c.dead = true
		r.transportFail(w, id, fail, why)
		return
	case fail != never || at >= c.breakAt:
		// The connection broke before the data got through, or before
		// its retransmissions ran out (at is 0 then: it never arrived).
		r.transportFail(w, id, c.breakAt, c.breakWhy)
		return
	}
	if losses > 0 {
		r.tr.add(Event{At: w.now, Kind: EvDrop, Actor: x.server, Peer: x.client, Name: x.req.Method + " " + x.req.Path,
			Detail: fmt.Sprintf("tcp: %d segment(s) lost on %s, retransmitted; arrives at +%d ms", losses, x.link, at-w.now)})
	}
	linux := tp.k.RTOEstimator == "" || tp.k.RTOEstimator == RTOLinux
	if !te.retrans && (losses == 0 || linux) {
		// The client's sample: its request, never resent, is
		// acknowledged by the answer's first copy to arrive, a lost and
		// resent answer included, as Linux takes it (Karn's rule
		// excludes only acknowledgments of resent data [T29]); the
		// linux-floor and rfc6298 estimators keep the lab's earlier
		// rule, no sample from an exchange with any loss.
		tp.sample(&c.est[1], at-te.sent-extra)
		switch {
		case losses == 0 && tp.k.AckLoss && tp.lost(w, c.link, true, at):
			// The client's ACK is lost: the server's sample waits for
			// whichever acknowledges the answer first (ackWait).
			c.ackPending, c.ackSent, c.ackProbe, c.ackRTT = true, start, start+tp.pto(&c.est[0], 1), at-te.sent-extra
		case losses == 0:
			// The server's: the client acknowledges the answer on
			// arrival.
			tp.sample(&c.est[0], at-te.sent-extra)
		}
	}
	c.lastUsed = max(c.lastUsed, at)
	if !tp.k.HTTP2 && c.busy == int64(id) {
		c.freeAt = at
	}
	x.answers++
	r.q.push(event{at: at, kind: evRespArrive, id: id, aux: ai})
}

// ackWait gives the server of c its pending RTT sample (AckLoss) when the
// client's next data arrives at `at` (never: it did not arrive): the whole
// wait since the answer left when that data came before the server's
// probe, else the probe's round trip.
func (tp *tcpState) ackWait(c *tcpConn, at Millis) {
	if !c.ackPending {
		return
	}
	if at != 0 && at < c.ackProbe {
		tp.sample(&c.est[0], at-c.ackSent)
	} else {
		tp.sample(&c.est[0], c.ackRTT)
	}
	c.ackPending = false
}

// transportFail fails exchange id at time at with a transport error: the
// client gets Status 0, and the trace names the reason. The exchange's
// client timeout or its answer, whichever comes first, wins.
func (r *Runner) transportFail(w *run, id uint64, at Millis, why string) {
	r.q.push(event{at: max(at, w.now), kind: evTimeout, id: id, text: "transport error: " + why})
}
