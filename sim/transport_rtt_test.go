package sim

import "testing"

// TestRTOEstimators: the RTO after each of a run of RTT samples, worked by
// hand from each estimator's rule (floor 200 ms). Linux's [T5]: the first
// sample R sets SRTT R, mdev 2R and the variance term max(2R, floor); each
// later one moves SRTT by 1/8 of the error and mdev by 1/4 of |error| less
// mdev/4 (1/32 when the RTT falls by more than mdev/4), raises the term to
// mdev at once, and ends a round: the term falls by a quarter of its excess
// over the round's largest mdev, which then restarts at the floor. So with
// 200 ms every time: 600, 600 (the first round's largest mdev is the first
// term), 200 + 400 − 175/4 = 556.25 → 557, then 356.25 − 156.25/4 =
// 317.19 → 518, then 287.89 → 488. The earlier reading (linux-floor):
// 200 + max(4·RTTVAR, 200) with RTTVAR 100, 75, 56.25, 42.19: 600, 500,
// 425, 400, 400. A fall from 200 to 20 ms: SRTT 177.5, mdev 400 + (180 −
// 100)/8 = 410, so 588 (with the plain gain, 480: 658).
func TestRTOEstimators(t *testing.T) {
	for _, c := range []struct {
		est     string
		samples []Millis
		want    []Millis
	}{
		{RTOLinux, []Millis{200, 200, 200, 200, 200}, []Millis{600, 600, 557, 518, 488}},
		{"", []Millis{200, 200, 200}, []Millis{600, 600, 557}},
		{RTOLinuxFloor, []Millis{200, 200, 200, 200, 200}, []Millis{600, 500, 425, 400, 400}},
		{RTOLinux, []Millis{200, 20}, []Millis{600, 588}},
		{RTORFC6298, []Millis{200, 200, 200, 200}, []Millis{600, 500, 425, 369}},
	} {
		k := DefaultTCP()
		k.RTOEstimator = c.est
		r, _ := tcpRig(t, k, Link{})
		var e rttEst
		for i, s := range c.samples {
			r.tp.sample(&e, s)
			if e.rto != c.want[i] {
				t.Errorf("%q, samples %v: RTO after sample %d is %d, want %d", c.est, c.samples, i+1, e.rto, c.want[i])
			}
		}
	}
}

// TestLostAnswerSamplesClient: a request that arrived is acknowledged by
// its answer; when the answer is lost and resent, the client still takes
// the round trip up to the resent answer's arrival as an RTT sample (its
// request was never resent: Karn's rule does not exclude it [T29]), while
// the server, whose answer was resent, takes none. Each end keeps its own
// estimator: the client's RTO grows, the server's does not.
func TestLostAnswerSamplesClient(t *testing.T) {
	k := DefaultTCP()
	k.TLSResumption = "0rtt"
	r, w := tcpRig(t, k, Link{})
	r.tp.tickets[ActorNew][ActorHomeserver] = true
	r.rigAnswer(w, r.rigRequest(w, 100)) // SYN 20 ms: both ends sample 20
	c := &r.tp.conns[0]
	cli, srv := c.est[1], c.est[0]
	if cli.rto != srv.rto {
		t.Fatalf("after a clean exchange the ends' RTOs differ: client %d, server %d", cli.rto, srv.rto)
	}
	w.now += 1000
	id := r.rigRequest(w, 100) // arrives
	r.tp.fates = []bool{true}  // the answer's first copy is lost
	r.rigAnswer(w, id)
	if c.est[1].srtt <= cli.srtt || c.est[1].rto <= cli.rto {
		t.Errorf("client: SRTT %.1f → %.1f, RTO %d → %d after an answer resent: want both larger (a sample of the whole wait)",
			cli.srtt, c.est[1].srtt, cli.rto, c.est[1].rto)
	}
	if c.est[0] != srv {
		t.Errorf("server: estimator changed after its answer was resent: %+v → %+v (Karn: no sample)", srv, c.est[0])
	}
}

// TestAckLoss: with ack_loss, the client's ACK of an answer is a packet
// drawn like any other. Lost, with the client's next request arriving
// before the server's probe, the server times the whole wait (its SRTT
// grows by an eighth of the pause); arriving after the probe, the server
// takes the probe's round trip (SRTT as before). Without the knob the ACK
// draws nothing (the scripted fate stays unused) and the server samples
// the round trip at once. Changing the knob moves no device's draws.
func TestAckLoss(t *testing.T) {
	for _, c := range []struct {
		name  string
		knob  bool
		pause Millis // from the answer's arrival to the next request
		grows bool
		fates int // scripted fates left unused
	}{
		{"lost, next request before the probe", true, 100, true, 0},
		{"lost, next request after the probe", true, 2000, false, 0},
		{"off", false, 100, false, 1},
	} {
		k := DefaultTCP()
		k.TLSResumption, k.AckLoss = "0rtt", c.knob
		r, w := tcpRig(t, k, Link{})
		r.tp.tickets[ActorNew][ActorHomeserver] = true
		r.rigAnswer(w, r.rigRequest(w, 100))
		r.rigAnswer(w, r.rigRequest(w, 100)) // 10 ms each way: SRTT 20
		srv := r.tp.conns[0].est[0]
		r.tp.fates = []bool{false, false, true} // request and answer arrive, the ACK is lost
		r.rigAnswer(w, r.rigRequest(w, 100))
		if len(r.tp.fates) != c.fates {
			t.Errorf("%s: %d scripted fates left, want %d", c.name, len(r.tp.fates), c.fates)
		}
		w.now += c.pause
		r.rigRequest(w, 100)
		got := r.tp.conns[0].est[0].srtt
		if grew := got > srv.srtt+float64(c.pause)/16; grew != c.grows {
			t.Errorf("%s: server SRTT %.1f → %.1f after a %d ms pause, want it grown: %v", c.name, srv.srtt, got, c.pause, c.grows)
		}
	}
	a, b := DefaultTCP(), DefaultTCP()
	b.AckLoss = true
	sameDevicesDraws(t, "ack_loss", a, b)
}
