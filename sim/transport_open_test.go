package sim

import "testing"

// openWith opens a connection of N to the homeserver on a loss-free rig
// with a constant one-way delay of oneWay ms and knobs k, the first
// packets' fates scripted (lost or not, in the order the model sends
// them: SYN, SYN-ACK, resent SYN, ..., then the TLS flights' segments),
// and returns it.
func openWith(t *testing.T, k TCP, oneWay float64, fates ...bool) tcpConn {
	t.Helper()
	r, w := tcpRig(t, k, Link{Latency: Constant(oneWay)})
	r.tp.fates = append([]bool(nil), fates...)
	c := r.tp.conns[r.open(w, ActorNew, ActorHomeserver, LinkNewHS)]
	if len(r.tp.fates) != 0 {
		t.Fatalf("%d scripted fates left unused", len(r.tp.fates))
	}
	return c
}

// TestSynTimestamps: with syn_timestamps a handshake whose SYN or SYN-ACK
// was resent is still an RTT sample, taken as Linux takes it from the
// SYN-ACK's timestamp echo: after a lost SYN one round trip for both ends,
// after a lost SYN-ACK the client's runs from the first SYN (the SYN
// timeout plus a round trip) and the server's is one round trip. A
// ClientHello lost next waits for the probe of that sample (2·SRTT + the
// RTO floor, at most the RTO), not the 1 s probe of an end without one,
// which is what it waits for without the knob (and the 3 s fallback RTO).
// 200 ms round trips; a 300-byte ClientHello (one segment).
func TestSynTimestamps(t *testing.T) {
	for _, c := range []struct {
		name          string
		ts            bool
		fates         []bool
		ready         Millis
		srttC, srttS  float64 // after the handshake (0: no sample)
		rtoC          Millis
		measuredCAndS bool
	}{
		// SYN at 0 lost, resent at 1000, answered at 1200; the ClientHello
		// sent at 1200 lost and resent after the probe; the server's
		// flight (three segments) arrives a round trip after.
		{"SYN lost, timestamps", true, []bool{true, false, false, true, false}, 1200 + 600 + 200, 200, 200, 600, true},
		{"SYN lost, no sample", false, []bool{true, false, false, true, false}, 1200 + 1000 + 200, 0, 0, 3000, false},
		// SYN at 0 heard, its SYN-ACK lost; the SYN resent at 1000 is
		// answered by a SYN-ACK echoing the first SYN's timestamp.
		{"SYN-ACK lost, timestamps", true, []bool{false, true, false, false, true, false}, 1200 + 2600 + 200, 1200, 200, 3600, true},
		{"SYN-ACK lost, no sample", false, []bool{false, true, false, false, true, false}, 1200 + 1000 + 200, 0, 0, 3000, false},
	} {
		k := DefaultTCP()
		k.SynTimestamps = c.ts
		conn := openWith(t, k, 100, c.fates...)
		if conn.readyAt != c.ready {
			t.Errorf("%s: ready at %d, want %d", c.name, conn.readyAt, c.ready)
		}
		cl, sv := conn.est[1], conn.est[0]
		if cl.measured != c.measuredCAndS || sv.measured != c.measuredCAndS {
			t.Errorf("%s: client / server sampled %v / %v, want %v", c.name, cl.measured, sv.measured, c.measuredCAndS)
			continue
		}
		if c.measuredCAndS && (cl.srtt != c.srttC || sv.srtt != c.srttS || cl.rto != c.rtoC) {
			t.Errorf("%s: client SRTT %g (RTO %d), server SRTT %g; want %g (%d), %g", c.name, cl.srtt, cl.rto, sv.srtt, c.srttC, c.rtoC, c.srttS)
		}
		if !c.measuredCAndS && cl.rto != c.rtoC {
			t.Errorf("%s: client RTO %d, want the fallback %d", c.name, cl.rto, c.rtoC)
		}
	}
}

// TestTLSFinishedFlight: with tls_finished_flight the client's Finished
// leads the first request's flight, so a lost Finished is resent when the
// request's acknowledgment is back and RACK's reordering window (a
// quarter of the least RTT, plus 2 ms) has passed; as a flight of its own
// it waits for the one-segment probe (at most the RTO). Without loss the
// request arrives when it does either way. 20 ms round trips.
func TestTLSFinishedFlight(t *testing.T) {
	arrival := func(flight bool, fates ...bool) Millis {
		k := DefaultTCP()
		k.TLSClientFinished, k.TLSFinishedFlight = true, flight
		r, w := tcpRig(t, k, Link{})
		r.tp.fates = append([]bool(nil), fates...)
		at := r.queuedOnce(t, r.rigRequest(w, 100), evReqArrive).at
		if len(r.tp.fates) != 0 {
			t.Fatalf("%d scripted fates left unused", len(r.tp.fates))
		}
		return at
	}
	if a, b := arrival(false), arrival(true); a != b {
		t.Fatalf("loss-free first request arrives at %d with the Finished leading it, %d apart", b, a)
	}
	// SYN, SYN-ACK, ClientHello, the server's three segments: delivered;
	// then the Finished lost and everything after delivered.
	clean := []bool{false, false, false, false, false, false}
	lostFin := append(clean, true)
	// Ready at 40 (SRTT 20, RTO 220): the request's segment arrives at
	// 50, its acknowledgment is back at 60, the Finished is resent at
	// 60 + 5 + 2 and arrives at 77.
	if got := arrival(true, lostFin...); got != 77 {
		t.Errorf("Finished lost ahead of the request: request read at %d, want 77", got)
	}
	// Apart, the lone Finished waits for the RTO (220 < 2·20 + 200): resent
	// at 260, arrives at 270.
	if got := arrival(false, lostFin...); got != 270 {
		t.Errorf("Finished lost in a flight of its own: request read at %d, want 270", got)
	}
}

// TestSynAckTimer: with synack_timer the server resends its SYN-ACK on
// its own timer (due a second after it first answered) as well as in
// answer to a resent SYN. After a lost SYN-ACK both come at about the same
// time (the timer first on a tie), so the server has resent twice, once by
// its timer, and starts with a window of one segment: the second segment
// of its two-segment flight leaves when the first's acknowledgment is
// back, a round trip later. The timer's copy also connects when the
// resent SYN is lost too. A lost SYN (one SYN-ACK, never resent) cuts
// nothing, nor does the knob off. 200 ms round trips.
func TestSynAckTimer(t *testing.T) {
	for _, c := range []struct {
		name  string
		cut   bool
		fates []bool
		ready Millis
	}{
		// SYN at 0 heard at 100, its SYN-ACK lost; the server's timer
		// resends at 1100 and the SYN resent at 1000 arrives at 1100:
		// connected at 1200, the ClientHello in at 1300, the server's
		// first segment at 1400, its acknowledgment back at 1500, the
		// second segment in at 1600.
		{"SYN-ACK lost, cut", true, []bool{false, true, false, false}, 1600},
		{"SYN-ACK lost, knob off", false, []bool{false, true, false, false}, 1400},
		{"SYN lost, cut", true, []bool{true, false, false}, 1400},
		// SYN-ACK lost, then the resent SYN lost too: the server's timer
		// resends at 1100 and connects at 1200 (one resend: no cut);
		// without the timer the client connects on its SYN at 3000.
		{"SYN-ACK and resent SYN lost, timer", true, []bool{false, true, true, false}, 1400},
		{"SYN-ACK and resent SYN lost, knob off", false, []bool{false, true, true, false, false}, 3400},
	} {
		k := DefaultTCP()
		k.SynAckTimer, k.TLSServerBytes = c.cut, 1799
		if conn := openWith(t, k, 100, c.fates...); conn.readyAt != c.ready {
			t.Errorf("%s: ready at %d, want %d", c.name, conn.readyAt, c.ready)
		}
	}
}
