package sim

import (
	"math"
	"slices"
)

// lostSeg marks a segment whose first transmission was lost.
const lostSeg Millis = -1

// rackTimerSlack is what Linux adds to RACK's reordering timer (2 ms,
// TCP_TIMEOUT_MIN_US [T26]); the probe timeout adds the same when more than
// one segment is outstanding [T23].
const rackTimerSlack = 2

// dupThresh is how many later segments must be in before RACK stops
// waiting for reordering (Linux's tcp_reordering default 3 [T12, T27]).
const dupThresh = 3

// transferRACK sends size bytes on c from start as one flight (all
// segments at once: a login's messages fit the initial window [T14]) and
// recovers lost segments as Linux does by default [T23-T27]:
//
//   - a lost segment followed by a delivered one (a hole) is marked lost
//     when the first acknowledgment showing a later segment is back and
//     RACK's reordering window (min RTT / 4, at most SRTT, plus the 2 ms
//     timer slack) has passed, or at once when dupThresh later segments
//     are in; once recovery has begun the other holes are marked without
//     waiting. It is resent then, and never later than the RTO;
//   - a lost tail (no later segment delivered) waits for the tail loss
//     probe: 2·SRTT after the last acknowledgment that moved the window
//     (or after the send, when none did), plus the RTO floor when one
//     segment is outstanding or 2 ms when more are, 1 s without an RTT
//     sample, and at most the RTO. The probe resends the last segment;
//     its acknowledgment has RACK mark the rest of the tail lost, which is
//     resent then. When holes were found too, the tail is instead marked
//     lost by the acknowledgment of the first resent hole (RACK's
//     detection of losses by sending time);
//   - a lost retransmission, or a lost probe, waits for the RTO from its
//     send, doubling (no later segment is left to reveal it).
//
// The acknowledgments come back after one draw of the link's one-way delay
// for the whole flight (drawn only when a timing needs it) and are never lost: a lost ACK is covered by the
// next, which every segment delivered sends, and what a lost one would
// delay (the sender's detection by a few ms) is not modelled. Neither are
// the congestion window's reduction on recovery (the login's flights are
// a few segments) nor segments of other messages in flight on the same
// connection (HTTP/2). With no loss it draws exactly what the rto
// recovery draws, so loss-free flights arrive at the same time in both.
func (tp *tcpState) transferRACK(w *run, c *tcpConn, up bool, start Millis, size int) (at Millis, losses int, failAt Millis, why string) {
	n := max(1, (size+tp.k.MSS-1)/tp.k.MSS)
	seg := tp.seg[:0]
	last, firstLost, hi := start, -1, -1
	for i := range n {
		if tp.lost(w, c.link, up, start) {
			losses++
			seg = append(seg, lostSeg)
			if firstLost < 0 {
				firstLost = i
			}
			continue
		}
		a := start + tp.oneWay(w, c.link)
		seg = append(seg, a)
		last, hi = max(last, a), i
	}
	tp.seg = seg
	failAt = never
	if firstLost >= 0 {
		// back is the acknowledgments' way back, drawn when first needed:
		// a lone lost segment resent by the probe draws what the rto
		// recovery draws, so a run changes only where the timing does.
		back := lostSeg
		ackBack := func() Millis {
			if back == lostSeg {
				back = tp.oneWay(w, c.link)
			}
			return back
		}
		e := c.dir(up)
		rtoAt := start + e.rto
		// resend sends a lost segment again at t (retransmit), keeping
		// the earliest failure; it returns the arrival (never: failed).
		resend := func(t Millis) Millis {
			a, fail, reason := tp.retransmit(w, c, up, start, t, &losses)
			if fail != never {
				if fail < failAt {
					failAt, why = fail, reason
				}
				return never
			}
			last = max(last, a)
			return a
		}
		holeAcked := never
		if hi > firstLost {
			// The third acknowledgment of a segment above the first hole
			// brings sacked_out to the DupAck threshold.
			acks := tp.acks[:0]
			for j := firstLost + 1; j < n; j++ {
				if seg[j] != lostSeg {
					acks = append(acks, seg[j]+ackBack())
				}
			}
			slices.Sort(acks)
			tp.acks = acks
			third := never
			if len(acks) >= dupThresh {
				third = acks[dupThresh-1]
			}
			reo := tp.reoWnd(e)
			// first[i]: the first acknowledgment of a segment above hole i.
			detect := func(i int) (first, at Millis) {
				first = never
				for j := i + 1; j < n; j++ {
					if seg[j] != lostSeg {
						first = min(first, seg[j]+ackBack())
					}
				}
				at = first + reo + rackTimerSlack
				if third != never {
					at = min(at, max(first, third))
				}
				return first, min(at, rtoAt)
			}
			recovery := never
			for i := firstLost; i < hi; i++ {
				if seg[i] == lostSeg {
					_, d := detect(i)
					recovery = min(recovery, d)
				}
			}
			for i := firstLost; i < hi; i++ {
				if seg[i] == lostSeg {
					first, d := detect(i)
					if a := resend(min(d, max(first, recovery))); a != never {
						holeAcked = min(holeAcked, a+ackBack())
					}
				}
			}
		}
		if hi < n-1 { // a lost tail
			switch {
			case hi > firstLost && holeAcked == never:
				// every hole failed: failAt is set
			case hi > firstLost:
				for i := hi + 1; i < n; i++ {
					resend(holeAcked)
				}
			default:
				base := start
				if hi >= 0 {
					base = last + ackBack() // all delivered segments lie below the tail
				}
				probe := base + tp.pto(e, n-1-hi)
				// A lost probe waits for the RTO, rearmed from the probe
				// [T24], then doubles: resend's schedule from the probe.
				if a := resend(probe); a != never {
					// the probe (or the RTO after it) delivered the last
					// segment; its acknowledgment marks the rest lost
					for i := hi + 1; i < n-1; i++ {
						resend(a + ackBack())
					}
				}
			}
		}
	}
	if failAt != never {
		return 0, losses, failAt, why
	}
	if bw := w.net.links[c.link].BytesPerSecond; bw > 0 {
		last += Millis(math.Min(float64(size)*1000/bw, MaxDelayMillis))
	}
	return last, losses, never, ""
}

// pto is the tail loss probe's timeout with inFlight segments outstanding:
// 2·SRTT plus the RTO floor for one segment (the receiver may delay its
// ACK) or 2 ms for more, the initial RTO without an RTT sample, and at most
// the RTO [T23: tcp_schedule_loss_probe].
func (tp *tcpState) pto(c *rttEst, inFlight int) Millis {
	p := Millis(tp.k.InitialRTOMillis)
	if c.measured {
		extra := Millis(rackTimerSlack)
		if inFlight == 1 {
			extra = Millis(tp.k.MinRTOMillis)
		}
		p = Millis(math.Ceil(2*c.srtt)) + extra
	}
	return min(p, c.rto)
}

// reoWnd is RACK's reordering window before recovery: a quarter of the
// least RTT, at most SRTT; none without an RTT sample [T26:
// tcp_rack_reo_wnd, where the minimum of no sample is ~0 and SRTT 0].
func (tp *tcpState) reoWnd(c *rttEst) Millis {
	if !c.measured {
		return 0
	}
	return Millis(math.Ceil(min(c.minRTT/4, c.srtt)))
}
