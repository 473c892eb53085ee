package sim

import (
	"math"
	"slices"
	"strings"
	"testing"

	"qrlab/model/login"
	"qrlab/model/variant"
)

// tcpRig is a runner with the tcp transport and knobs k on a link with a
// constant 10 ms one-way latency (loss and partitions as given), its run
// reset at time 0, for driving the transport by hand.
func tcpRig(t *testing.T, k TCP, link Link, parts ...Partition) (*Runner, *run) {
	t.Helper()
	if link.Latency.Kind == "" {
		link.Latency = Constant(10)
	}
	net := Network{Name: "rig", Link: link, Partitions: parts}
	r := mustRunner(t, Config{Variant: variant.MustLoad("msc4388"), Network: net, KeepTrace: true,
		Transport: Transport{Kind: TransportTCP, TCP: &k}})
	w := r.r
	*w = run{seed: 1, net: &r.cfg.Network}
	r.startTransport(1)
	r.q.reset()
	r.tr.reset(true, true)
	r.ex = r.ex[:0]
	return r, w
}

// lossRuns draws n packets' fates on the new device's link to the
// homeserver (up or down) and counts the lost packets and the runs of
// consecutive losses they came in.
func lossRuns(r *Runner, w *run, up bool, n int) (lost, runs int) {
	prev := false
	for range n {
		l := r.tp.lost(w, LinkNewHS, up, 0)
		if l {
			lost++
			if !prev {
				runs++
			}
		}
		prev = l
	}
	return lost, runs
}

// request sends a request of size bytes from N to the homeserver at now
// (deadline: a minute later) and returns its exchange id.
func (r *Runner) rigRequest(w *run, size int) uint64 {
	id := uint64(len(r.ex))
	r.ex = append(r.ex, exchange{client: ActorNew, server: ActorHomeserver, link: LinkNewHS, req: &login.Request{}})
	r.tcpRequest(w, id, size, w.now+3_600_000)
	return id
}

// queued returns the queued events for exchange id of kind k.
func (r *Runner) queued(id uint64, k evKind) []event {
	var out []event
	for _, e := range r.q.ev {
		if e.id == id && e.kind == k {
			out = append(out, e)
		}
	}
	return out
}

// queuedOnce returns the one queued event for exchange id of kind k, and
// fails the test unless exactly one is queued.
func (r *Runner) queuedOnce(t *testing.T, id uint64, k evKind) event {
	t.Helper()
	evs := r.queued(id, k)
	if len(evs) != 1 {
		t.Fatalf("%d events of kind %d queued for exchange %d, want 1", len(evs), k, id)
	}
	return evs[0]
}

// firstArrival is when a 100-byte request, the first on a new connection
// of a loss-free rig with knobs k, reaches the server.
func firstArrival(t *testing.T, k TCP) Millis {
	t.Helper()
	r, w := tcpRig(t, k, Link{})
	return r.queuedOnce(t, r.rigRequest(w, 100), evReqArrive).at
}

// cutUntil is a partition of every link from 0 to ms.
func cutUntil(ms int64) Partition {
	return Partition{Links: []string{"all"}, FromMillis: 0, ToMillis: ms}
}

// TestTCPSynSchedule: a SYN lost during a partition is resent at 1, 3, 7,
// 15, 31, 63 s (initial RTO 1 s, doubling); the connect fails 127 s after
// the first SYN when all seven are lost; initial_rto_ms and syn_retries
// move both.
func TestTCPSynSchedule(t *testing.T) {
	for _, c := range []struct {
		cut     int64
		initRTO int64
		retries int
		est     Millis // connected at (0: failed)
		fail    Millis
	}{
		{cut: 1, initRTO: 1000, retries: 6, est: 1000 + 20},
		{cut: 2000, initRTO: 1000, retries: 6, est: 3000 + 20},
		{cut: 20_000, initRTO: 1000, retries: 6, est: 31_000 + 20},
		{cut: 62_000, initRTO: 1000, retries: 6, est: 63_000 + 20},
		{cut: 64_000, initRTO: 1000, retries: 6, fail: 127_000},
		{cut: 64_000, initRTO: 1000, retries: 2, fail: 7_000},
		{cut: 20_000, initRTO: 500, retries: 6, est: 31_500 + 20},
	} {
		k := DefaultTCP()
		k.InitialRTOMillis, k.SynRetries, k.TLSResumption = c.initRTO, c.retries, "0rtt"
		r, w := tcpRig(t, k, Link{}, cutUntil(c.cut))
		r.tp.tickets[ActorNew][ActorHomeserver] = true // 0-RTT: ready once connected
		ci := r.open(w, ActorNew, ActorHomeserver, LinkNewHS)
		conn := r.tp.conns[ci]
		if c.est != 0 && (conn.failAt != never || conn.readyAt != c.est) {
			t.Errorf("%+v: connected at %d (fail %d), want %d", c, conn.readyAt, conn.failAt, c.est)
		}
		if c.fail != 0 && conn.failAt != c.fail {
			t.Errorf("%+v: connect failed at %d, want %d", c, conn.failAt, c.fail)
		}
	}
}

// TestTCPRTODoubling: a segment lost during a partition is resent after
// the RTO, doubling each time (200, 400, 800, ... ms), capped at
// max_rto_ms; after retries2 retransmissions the connection fails one
// doubled RTO after the last; the user timeout ends it sooner. With
// rack-tlp the first resend is the tail loss probe (at the RTO here: no
// RTT sample, so the probe waits 1 s, capped by the 200 ms RTO), which
// rearms the RTO without doubling it: resends at 200, 400, 800, 1600 ms.
func TestTCPRTODoubling(t *testing.T) {
	for _, c := range []struct {
		rec      string
		cut      int64
		maxRTO   int64
		retries2 int
		userTO   int64
		at       Millis // arrival (0: failed)
		fail     Millis
	}{
		{rec: RecoveryRTO, cut: 1, maxRTO: 120_000, retries2: 15, at: 200 + 10},
		{rec: RecoveryRTO, cut: 1500, maxRTO: 120_000, retries2: 15, at: 3000 + 10},       // 0, 200, 600, 1400 lost
		{rec: RecoveryRTO, cut: 1500, maxRTO: 500, retries2: 15, at: 1600 + 10},           // waits 200, 400, 500, 500
		{rec: RecoveryRTO, cut: 1_000_000, maxRTO: 120_000, retries2: 2, fail: 600 + 800}, // 0, 200, 600 lost
		{rec: RecoveryRTO, cut: 1_000_000, maxRTO: 120_000, retries2: 15, userTO: 5000, fail: 5000},
		{rec: RecoveryRACKTLP, cut: 1, maxRTO: 120_000, retries2: 15, at: 200 + 10},
		{rec: "", cut: 1500, maxRTO: 120_000, retries2: 15, at: 1600 + 10},                    // 0, 200 (probe), 400, 800 lost
		{rec: RecoveryRACKTLP, cut: 1500, maxRTO: 500, retries2: 15, at: 1800 + 10},           // waits 200, 200, 400, 500, 500
		{rec: RecoveryRACKTLP, cut: 1_000_000, maxRTO: 120_000, retries2: 2, fail: 800 + 800}, // 0, 200, 400, 800 lost
		{rec: RecoveryRACKTLP, cut: 1_000_000, maxRTO: 120_000, retries2: 15, userTO: 5000, fail: 5000},
	} {
		k := DefaultTCP()
		k.MaxRTOMillis, k.Retries2, k.UserTimeoutMillis, k.LossRecovery = c.maxRTO, c.retries2, c.userTO, c.rec
		r, w := tcpRig(t, k, Link{}, cutUntil(c.cut))
		r.tp.conns = append(r.tp.conns, tcpConn{link: LinkNewHS, est: [2]rttEst{{rto: 200}, {rto: 200}}, failAt: never, breakAt: never, busy: -1})
		at, _, fail, _ := r.tp.transfer(w, &r.tp.conns[0], true, 0, 100)
		if c.at != 0 && (fail != never || at != c.at) {
			t.Errorf("%+v: arrived at %d (fail %d), want %d", c, at, fail, c.at)
		}
		if c.fail != 0 && fail != c.fail {
			t.Errorf("%+v: failed at %d, want %d", c, fail, c.fail)
		}
	}
}

// TestTCPResetFailsOnce: a connection that breaks between a request's
// arrival and its answer fails that request once, with the reason, and
// sends no answer.
func TestTCPResetFailsOnce(t *testing.T) {
	r, w := tcpRig(t, DefaultTCP(), Link{})
	id := r.rigRequest(w, 100)
	w.now = r.queuedOnce(t, id, evReqArrive).at
	c := &r.tp.conns[r.tp.ex[id].conn]
	c.breakAt, c.breakWhy = w.now+5, "connection reset"
	r.tcpAnswer(w, id, 0, 100, 0)
	fails := r.queued(id, evTimeout)
	if len(fails) != 1 || fails[0].at != w.now+5 || !strings.Contains(fails[0].text, "connection reset") {
		t.Fatalf("failures queued %+v, want one at %d naming the reset", fails, w.now+5)
	}
	if n := len(r.queued(id, evRespArrive)); n != 0 {
		t.Fatalf("%d answers queued after the reset", n)
	}
	// A whole run with frequent resets: every exchange ends at most once,
	// so every client-side end in the trace is one exchange's.
	k := DefaultTCP()
	k.ResetPerHour = 600
	rr := mustRunner(t, tcpConfig(t, "4g", &k))
	resets := 0
	for seed := uint64(1); seed <= 30; seed++ {
		if _, err := rr.Run(seed); err != nil {
			t.Fatal(err)
		}
		ends, done := 0, 0
		for _, e := range rr.Trace().Events {
			if e.Kind == EvRecv && honestClient(e.Actor) {
				ends++
				if strings.Contains(e.Detail, "connection reset") {
					resets++
				}
			}
		}
		for i := range rr.ex {
			if rr.ex[i].done {
				done++
			}
		}
		if ends != done {
			t.Fatalf("seed %d: %d client-side ends for %d finished exchanges", seed, ends, done)
		}
	}
	if resets == 0 {
		t.Fatal("600 resets an hour: no request failed with a reset in 30 runs")
	}
}

func honestClient(a Actor) bool { return a == ActorNew || a == ActorExisting || a == ActorBrowser }

// answerAll answers every request queued so far, as the server would at its
// arrival, and advances the clock past the last answer.
func (r *Runner) rigAnswer(w *run, id uint64) {
	for _, e := range r.queued(id, evReqArrive) {
		w.now = e.at
		r.tcpAnswer(w, id, 0, 100, 0)
	}
	for _, e := range r.queued(id, evRespArrive) {
		w.now = max(w.now, e.at)
	}
}

// TestTCPKnobs: each knob not covered above changes what it says; each case
// fails when its knob is ignored.
func TestTCPKnobs(t *testing.T) {
	t.Run("mss", func(t *testing.T) {
		for mss, want := range map[int]int{1460: 2, 1500: 1} {
			k := DefaultTCP()
			k.MSS = mss
			r, w := tcpRig(t, k, Link{}, cutUntil(1))
			r.tp.conns = append(r.tp.conns, tcpConn{link: LinkNewHS, est: [2]rttEst{{rto: 200}, {rto: 200}}})
			if _, losses, _, _ := r.tp.transfer(w, &r.tp.conns[0], true, 0, 1500); losses != want {
				t.Errorf("mss %d: 1500 bytes lost %d segments at once, want %d", mss, losses, want)
			}
		}
	})
	t.Run("fallback_rto_ms and min_rto_ms", func(t *testing.T) {
		for _, v := range []int64{2500, 3000} {
			k := DefaultTCP()
			k.FallbackRTOMillis, k.TLSResumption = v, "0rtt"
			r, w := tcpRig(t, k, Link{}, cutUntil(500))
			r.tp.tickets[ActorNew][ActorHomeserver] = true // no TLS round trip to sample the RTT
			if c := r.tp.conns[r.open(w, ActorNew, ActorHomeserver, LinkNewHS)]; c.est[0].rto != Millis(v) || c.est[1].rto != Millis(v) {
				t.Errorf("fallback %d: RTO after a SYN retransmission %d (server) / %d (client)", v, c.est[0].rto, c.est[1].rto)
			}
			for est, want := range map[string]Millis{RTOLinux: 10 + Millis(v/10), RTORFC6298: Millis(v / 10)} {
				k = DefaultTCP()
				k.MinRTOMillis, k.RTOEstimator = v/10, est
				r, _ = tcpRig(t, k, Link{})
				c := rttEst{}
				r.tp.sample(&c, 10)
				if c.rto != want {
					t.Errorf("min %d, %s: RTO after a 10 ms sample %d, want %d", v/10, est, c.rto, want)
				}
			}
		}
	})
	t.Run("pool_idle_ms", func(t *testing.T) {
		for idle, conns := range map[int64]int{10_000: 2, 60_000: 1} {
			k := DefaultTCP()
			k.PoolIdleMillis = idle
			r, w := tcpRig(t, k, Link{})
			r.rigAnswer(w, r.rigRequest(w, 100))
			w.now += 30_000
			r.rigRequest(w, 100)
			if len(r.tp.conns) != conns {
				t.Errorf("idle %d ms: %d connections after a 30 s pause, want %d", idle, len(r.tp.conns), conns)
			}
		}
	})
	t.Run("http2", func(t *testing.T) {
		for h2, conns := range map[bool]int{false: 2, true: 1} {
			k := DefaultTCP()
			k.HTTP2 = h2
			r, w := tcpRig(t, k, Link{})
			r.rigRequest(w, 100)
			r.rigRequest(w, 100)
			if len(r.tp.conns) != conns {
				t.Errorf("http2 %v: two concurrent requests opened %d connections, want %d", h2, len(r.tp.conns), conns)
			}
		}
	})
	t.Run("tls_resumption and tls_server_bytes", func(t *testing.T) {
		// 1000 bytes/s: a flight of n bytes takes 10 ms + n ms.
		for _, c := range []struct {
			res        string
			bytes      int
			first, two Millis
		}{
			{"none", 4000, 20 + 310 + 4010, 20 + 310 + 4010},
			{"psk", 4000, 20 + 310 + 4010, 20 + 310 + 310},
			{"0rtt", 4000, 20 + 310 + 4010, 20},
			{"none", 1000, 20 + 310 + 1010, 20 + 310 + 1010},
		} {
			k := DefaultTCP()
			k.TLSResumption, k.TLSServerBytes = c.res, c.bytes
			r, w := tcpRig(t, k, Link{BytesPerSecond: 1000})
			a := r.tp.conns[r.open(w, ActorNew, ActorHomeserver, LinkNewHS)].readyAt
			b := r.tp.conns[r.open(w, ActorNew, ActorHomeserver, LinkNewHS)].readyAt
			if a != c.first || b != c.two {
				t.Errorf("%+v: ready at %d then %d", c, a, b)
			}
		}
	})
	t.Run("handover_per_hour", func(t *testing.T) {
		k := DefaultTCP()
		k.HandoverPerHour = 60
		r, w := tcpRig(t, k, Link{})
		a := r.tp.conns[r.open(w, ActorExisting, ActorHomeserver, LinkExistingHS)]
		b := r.tp.conns[r.open(w, ActorBrowser, ActorOP, LinkBrowserOP)]
		if a.breakAt == never || a.breakAt != b.breakAt || !strings.Contains(a.breakWhy, "handover") {
			t.Errorf("a device's two connections break at %d (%s) and %d: want one handover time for both", a.breakAt, a.breakWhy, b.breakAt)
		}
		k.HandoverPerHour = 0
		r, w = tcpRig(t, k, Link{})
		if c := r.tp.conns[r.open(w, ActorExisting, ActorHomeserver, LinkExistingHS)]; c.breakAt != never {
			t.Errorf("no handovers: the connection breaks at %d", c.breakAt)
		}
	})
	t.Run("nat_idle_ms", func(t *testing.T) {
		for nat, want := range map[int64]evKind{20_000: evTimeout, 0: evReqArrive} {
			k := DefaultTCP()
			k.NATIdleMillis = nat
			r, w := tcpRig(t, k, Link{})
			r.rigAnswer(w, r.rigRequest(w, 100))
			w.now += 30_000
			id := r.rigRequest(w, 100)
			got := r.queued(id, want)
			if len(got) != 1 || (want == evTimeout && !strings.Contains(got[0].text, "NAT")) {
				t.Errorf("nat %d ms: after a 30 s pause the request has %+v, want one event of kind %d", nat, got, want)
			}
		}
	})
}

// TestBurstLoss checks the Gilbert–Elliott option: with burst_packets B the
// long-run loss stays the link's and losses come in runs of B packets on
// average; off, the losses draw nothing from the burst stream.
func TestBurstLoss(t *testing.T) {
	for _, tc := range []struct{ loss, burst float64 }{{0.08, 4}, {0.02, 10}} {
		k := DefaultTCP()
		k.BurstPackets = tc.burst
		r, w := tcpRig(t, k, Link{LossUp: tc.loss})
		const n = 400_000
		lost, runs := lossRuns(r, w, true, n)
		rate, mean := float64(lost)/n, float64(lost)/float64(runs)
		if math.Abs(rate-tc.loss) > tc.loss/10 || math.Abs(mean-tc.burst) > tc.burst/10 {
			t.Errorf("loss %g burst %g: measured loss %.4f, mean burst %.2f packets", tc.loss, tc.burst, rate, mean)
		}
	}
	r, _ := tcpRig(t, DefaultTCP(), Link{LossUp: 0.1})
	if r.tp.burstRnd != nil {
		t.Error("burst_packets 0 set up a burst stream")
	}
}

// TestTransportFailureKind checks that the machines can tell a broken
// connection from their own timeout: with frequent resets, a policy whose
// transport_retries is 0 changes some runs, while one whose
// transport_retries equals its retries changes none (the same traces as
// the preset's), so the difference comes from resets reported as transport
// errors.
func TestTransportFailureKind(t *testing.T) {
	k := DefaultTCP()
	k.ResetPerHour = 600
	runAll := func(tr *int) []string {
		v := variant.MustLoad("msc4388")
		if tr != nil {
			v.Timing.Policies = map[string]variant.RequestPolicy{}
			for _, kind := range []string{variant.KindRendezvousPoll, variant.KindRendezvousWrite, variant.KindWhoami} {
				v.Timing.Policies[kind] = variant.RequestPolicy{TransportRetries: tr}
			}
		}
		r := mustRunner(t, Config{Variant: v, Network: Network{Name: "x", Link: Link{Latency: Constant(40)}},
			User: DefaultUser(), Transport: Transport{Kind: TransportTCP, TCP: &k}})
		var out []string
		for seed := uint64(1); seed <= 30; seed++ {
			res, err := r.Run(seed)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, res.TraceHash)
		}
		return out
	}
	base := runAll(nil)
	same := variant.MustLoad("msc4388").Timing.HTTPRetries
	if got := runAll(&same); !slices.Equal(got, base) {
		t.Error("transport_retries equal to retries changed a trace")
	}
	zero := 0
	if got := runAll(&zero); slices.Equal(got, base) {
		t.Error("transport_retries 0 changed no trace: resets do not reach the machines as transport errors")
	}
}
