package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// never is a time no run reaches.
const never Millis = math.MaxInt64 / 4

// numDevices: the new device, the existing device (with its browser), an
// attacker's device (with its browser).
const numDevices = 3

// deviceOf is the device a client runs on: a device and its browser share
// the radio, so a handover breaks both's connections.
func deviceOf(a Actor) int {
	switch a {
	case ActorNew:
		return 0
	case ActorExisting, ActorBrowser:
		return 1
	}
	return 2
}

// tcpConn is one connection of a client to a server.
type tcpConn struct {
	client, server Actor
	link           LinkID
	// readyAt: the handshakes are done and a request may leave; failAt:
	// the connect failed then (never: it did not). finAt: the client's
	// Finished reached the server (TLSClientFinished; 0 otherwise): no
	// request is read before.
	readyAt, failAt, finAt Millis
	// finFlight: the Finished waits to lead the first request's flight
	// (TLSFinishedFlight).
	finFlight bool
	failWhy   string
	// breakAt: a reset or a handover breaks the connection then.
	breakAt  Millis
	breakWhy string
	// busy is the HTTP/1.1 exchange in flight (-1: none) and freeAt when
	// its answer is in (never until the server answered).
	busy   int64
	freeAt Millis
	// lastUsed is when the connection last carried data (for the pool's
	// idle timeout and the NAT's).
	lastUsed Millis
	dead     bool
	// est is each end's RTT estimator, as a sender: the server's (index
	// 0, sending answers down) and the client's (1, sending requests up).
	est [2]rttEst
	// With AckLoss, an answer whose ACK was lost (ackPending): when it
	// left, when the server's probe resends it, and the round trip the
	// probe's acknowledgment would measure.
	ackPending                bool
	ackSent, ackProbe, ackRTT Millis
}

// rttEst is one sender's RTT estimator (TCP.RTOEstimator), in ms: srtt;
// rttvar, RFC 6298's RTTVAR or, with the linux estimator, Linux's variance
// term (rttvar_us) with mdev its four-times mean deviation (mdev_us) and
// mdevMax the round's largest (mdev_max_us); rto the current timeout;
// minRTT the least RTT sampled, for RACK's reordering window.
type rttEst struct {
	srtt, rttvar, mdev, mdevMax, minRTT float64
	measured                            bool
	rto                                 Millis
}

// dir is the estimator of the end that sends in direction up (the
// client's when up, else the server's).
func (c *tcpConn) dir(up bool) *rttEst {
	if up {
		return &c.est[1]
	}
	return &c.est[0]
}

// setRTO sets both ends' timeout (before any sample).
func (c *tcpConn) setRTO(rto Millis) { c.est[0].rto, c.est[1].rto = rto, rto }

// tcpEx is the tcp side of one exchange.
type tcpEx struct {
	conn    int32
	sent    Millis // when the request left (after the handshakes)
	retrans bool   // a segment of the request was retransmitted
}

// tcpState is the tcp transport of a Runner; reset at each run.
type tcpState struct {
	k       TCP
	rnd     *rand.Rand
	conns   []tcpConn
	ex      []tcpEx
	tickets [numActors][numActors]bool
	// handover holds each device's handover times drawn so far, ascending.
	hoRand   [numDevices]*rand.Rand
	handover [numDevices][]Millis
	// burst is the Gilbert–Elliott chain's state (bad) per link and
	// direction (up: index 1), burstRnd its stream (nil: losses are
	// independent).
	burst    [numLinks][2]bool
	burstRnd *rand.Rand
	// seg and acks are scratch for transferRACK: each segment's arrival
	// (lostSeg: lost) and the acknowledgments' arrivals.
	seg, acks []Millis
	// fates, when not empty, decides the next packets' loss in order
	// instead of the link (set by tests to lose one chosen segment).
	fates []bool
}

// numActors bounds the Actor values.
const numActors = int(ActorAttackerBrowser) + 1

// prepareTransport checks the transport and sets up the tcp state.
func (r *Runner) prepareTransport() error {
	t := &r.cfg.Transport
	if err := t.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if r.cfg.TransportKind() != TransportTCP {
		if t.TCP != nil {
			return fmt.Errorf("%w: %w: tcp knobs given for the %q transport of swarm mode (set kind \"tcp\")", ErrConfig, ErrTransport, TransportDatagram)
		}
		r.tp = nil
		return nil
	}
	k := DefaultTCP()
	if t.TCP != nil {
		k = *t.TCP
	}
	r.cfg.Network.Connections.apply(&k)
	if err := burstReachable(k.BurstPackets, r.cfg.Network); err != nil {
		return fmt.Errorf("%w: %w: %w", ErrConfig, ErrTransport, err)
	}
	r.tp = &tcpState{k: k}
	return nil
}

// burstReachable refuses a link loss that bursts of b packets cannot give:
// the chain's good state is left with probability p·r/(1−p) per packet (r
// = 1/b), which is a probability only up to p = b/(b+1); above that (and
// below 1, which loses everything) the chain would lose less than the
// link says.
func burstReachable(b float64, n Network) error {
	if b <= 1 {
		return nil
	}
	most := b / (b + 1)
	check := func(name string, l Link) error {
		for _, d := range []struct {
			field string
			p     float64
		}{{"loss_up", l.LossUp}, {"loss_down", l.LossDown}} {
			if d.p > most && d.p < 1 {
				return fmt.Errorf("burst_packets %g: network %q link %s %s %g is above %.4g, the most loss bursts of %g packets can give (b/(b+1)); lower the loss or raise burst_packets",
					b, n.Name, name, d.field, d.p, most, b)
			}
		}
		return nil
	}
	if err := check("(every link)", n.Link); err != nil {
		return err
	}
	names := make([]string, 0, len(n.Overrides))
	for k := range n.Overrides {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		if err := check(k, n.Overrides[k]); err != nil {
			return err
		}
	}
	return nil
}

// startTransport resets the tcp state for a run of seed.
func (r *Runner) startTransport(seed uint64) {
	tp := r.tp
	if tp == nil {
		return
	}
	tp.rnd = rand.New(derive(seed, streamTransport))
	tp.conns = tp.conns[:0]
	tp.ex = tp.ex[:0]
	tp.tickets = [numActors][numActors]bool{}
	tp.burst, tp.burstRnd, tp.fates = [numLinks][2]bool{}, nil, nil
	if tp.k.BurstPackets > 1 {
		tp.burstRnd = rand.New(derive(seed, streamBurst))
	}
	for d := range tp.handover {
		tp.handover[d] = tp.handover[d][:0]
		tp.hoRand[d] = nil
		if tp.k.HandoverPerHour > 0 {
			tp.hoRand[d] = rand.New(derive(seed, streamHandover+uint64(d)))
		}
	}
}

// expMillis draws an exponential time with rate perHour.
func expMillis(r *rand.Rand, perHour float64) Millis {
	return Millis(math.Min(r.ExpFloat64()/perHour*3600_000, float64(never)))
}

// nextHandover is device d's first handover after t (never if none).
func (tp *tcpState) nextHandover(d int, t Millis) Millis {
	if tp.hoRand[d] == nil {
		return never
	}
	h := &tp.handover[d]
	for len(*h) == 0 || (*h)[len(*h)-1] <= t {
		last := Millis(0)
		if len(*h) > 0 {
			last = (*h)[len(*h)-1]
		}
		next := last + max(1, expMillis(tp.hoRand[d], tp.k.HandoverPerHour))
		if next >= never {
			return never
		}
		*h = append(*h, next)
	}
	for _, v := range *h {
		if v > t {
			return v
		}
	}
	return never
}

// backoff is the wait after the k-th consecutive loss of a packet first
// sent with timeout rto: rto doubled k times, at most the maximum.
func (tp *tcpState) backoff(rto Millis, k int) Millis {
	return min(rto<<uint(k), Millis(tp.k.MaxRTOMillis))
}

// lost reports whether a packet sent on l at t is lost.
func (tp *tcpState) lost(w *run, l LinkID, up bool, t Millis) bool {
	if len(tp.fates) > 0 {
		f := tp.fates[0]
		tp.fates = tp.fates[1:]
		return f
	}
	if w.net.cut(l, t) {
		return true
	}
	p := w.net.links[l].LossDown
	if up {
		p = w.net.links[l].LossUp
	}
	if tp.burstRnd != nil && p > 0 {
		return tp.burstLost(l, up, p)
	}
	return p > 0 && tp.rnd.Float64() < p
}

// burstLost steps link l's Gilbert–Elliott chain in one direction by one
// packet and reports whether the packet is lost (see TCP.BurstPackets).
func (tp *tcpState) burstLost(l LinkID, up bool, p float64) bool {
	if p >= 1 {
		return true
	}
	d := 0
	if up {
		d = 1
	}
	bad := &tp.burst[l][d]
	r := 1 / tp.k.BurstPackets
	if *bad {
		if tp.burstRnd.Float64() < r {
			*bad = false
		}
	} else if tp.burstRnd.Float64() < min(1, p*r/(1-p)) {
		*bad = true
	}
	return *bad
}

// oneWay draws a packet's one-way delay on l (latency, jitter, reordering;
// the bandwidth is added per message).
func (tp *tcpState) oneWay(w *run, l LinkID) Millis {
	return delay(&w.net.links[l], tp.rnd, 0)
}

// transfer sends size bytes on c from start, each segment lost with the
// link's probability and retransmitted after the RTO, doubling per retry.
// It returns when the last byte arrives and how many segments were lost,
// or, when a segment's retransmissions run out (Retries2, or the user
// timeout), when the connection fails and why.
//
// That is the "rto" recovery; by default (rack-tlp) transferRACK finds and
// resends lost segments as Linux's RACK and tail loss probe do.
func (tp *tcpState) transfer(w *run, c *tcpConn, up bool, start Millis, size int) (at Millis, losses int, failAt Millis, why string) {
	if tp.k.LossRecovery != RecoveryRTO {
		return tp.transferRACK(w, c, up, start, size)
	}
	n := max(1, (size+tp.k.MSS-1)/tp.k.MSS)
	last := start
	for range n {
		a, fail, why := tp.retransmit(w, c, up, start, start, &losses)
		if fail != never {
			return 0, losses, fail, why
		}
		last = max(last, a)
	}
	if bw := w.net.links[c.link].BytesPerSecond; bw > 0 {
		last += Millis(math.Min(float64(size)*1000/bw, MaxDelayMillis))
	}
	return last, losses, never, ""
}

// retransmit sends a segment of the flight sent at start on c at t, and
// again after the RTO, doubling, while it is lost; it counts the losses
// and returns when the segment arrives, or never and when and why the
// connection fails (Retries2 retransmissions unanswered, or the user
// timeout counted from start).
func (tp *tcpState) retransmit(w *run, c *tcpConn, up bool, start, t Millis, losses *int) (at, failAt Millis, why string) {
	for k := 0; tp.lost(w, c.link, up, t); k++ {
		*losses++
		wait := tp.backoff(c.dir(up).rto, k)
		if k == tp.k.Retries2 {
			return never, t + wait, fmt.Sprintf("%d retransmissions unanswered", k)
		}
		t += wait
		if ut := Millis(tp.k.UserTimeoutMillis); ut > 0 && t-start >= ut {
			return never, start + ut, fmt.Sprintf("data unacknowledged for %d ms (user timeout)", ut)
		}
	}
	return t + tp.oneWay(w, c.link), never, ""
}

// sample feeds one RTT measurement to c's estimator. With the linux
// estimator (the default) it is Linux's tcp_rtt_estimator [T5]: SRTT with
// gain 1/8; mdev, four times the mean deviation, with gain 1/4 (1/32 when
// the RTT falls by more than a quarter of mdev); the variance term rttvar
// is at least the RTO floor, rises at once with mdev, and at the end of
// each round trip (every sample here: each acknowledges a flight sent
// after the last sample's) falls by a quarter of its excess over the
// round's largest mdev (at least the floor); the RTO is SRTT + rttvar. The
// first sample sets mdev to twice the RTT. So after a first sample of R
// the RTO starts at R + max(2R, floor) and comes down over several round
// trips, not one. linux-floor is the lab's earlier reading of it: RFC
// 6298's SRTT and RTTVAR (gains 1/8 and 1/4 [T4]) with the RTO SRTT +
// max(4·RTTVAR, floor); rfc6298 floors the RTO as a whole, max(SRTT +
// 4·RTTVAR, floor) [T4; the 200 ms floor is Linux's, T3]. Either way
// within the ceiling.
func (tp *tcpState) sample(c *rttEst, rtt Millis) {
	r := float64(rtt)
	floor := float64(tp.k.MinRTOMillis)
	var rto float64
	switch tp.k.RTOEstimator {
	case RTOLinuxFloor, RTORFC6298:
		if !c.measured {
			c.srtt, c.rttvar = r, r/2
		} else {
			c.rttvar = 0.75*c.rttvar + 0.25*math.Abs(c.srtt-r)
			c.srtt = 0.875*c.srtt + 0.125*r
		}
		v := max(1, 4*c.rttvar)
		if tp.k.RTOEstimator == RTOLinuxFloor {
			v = max(v, floor)
		}
		rto = c.srtt + v
	default:
		if !c.measured {
			c.srtt, c.mdev = r, 2*r
			c.rttvar = max(c.mdev, floor)
			c.mdevMax = c.rttvar
		} else {
			m := r - c.srtt
			c.srtt += m / 8
			if m < 0 {
				m = -m - c.mdev/4
				if m > 0 {
					m /= 8
				}
			} else {
				m -= c.mdev / 4
			}
			c.mdev += m
			if c.mdev > c.mdevMax {
				c.mdevMax = c.mdev
				c.rttvar = max(c.rttvar, c.mdevMax)
			}
			// The round ends.
			if c.mdevMax < c.rttvar {
				c.rttvar -= (c.rttvar - c.mdevMax) / 4
			}
			c.mdevMax = floor
		}
		rto = c.srtt + c.rttvar
	}
	if !c.measured {
		c.measured, c.minRTT = true, r
	} else {
		c.minRTT = min(c.minRTT, r)
	}
	c.rto = min(max(Millis(math.Ceil(rto)), Millis(floor)), Millis(tp.k.MaxRTOMillis))
}
