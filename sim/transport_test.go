package sim

import (
	"math"
	"strings"
	"testing"

	"qrlab/model/variant"
)

// tcpConfig is a Config on the named profile with the tcp transport and
// the knobs k (nil: the defaults).
func tcpConfig(t testing.TB, profile string, k *TCP) Config {
	t.Helper()
	net, err := Profile(profile)
	if err != nil {
		t.Fatal(err)
	}
	return Config{Variant: variant.MustLoad("msc4388"), Network: net, KeepTrace: true,
		Transport: Transport{Kind: TransportTCP, TCP: k}}
}

// TestTCPDeterministic: with the tcp transport, the same seed gives the
// same trace on every profile, and different seeds different traces.
func TestTCPDeterministic(t *testing.T) {
	for _, name := range ProfileNames() {
		k := DefaultTCP()
		k.ResetPerHour, k.HandoverPerHour, k.NATIdleMillis = 20, 20, 20_000
		for _, kk := range []*TCP{nil, &k} {
			r := mustRunner(t, tcpConfig(t, name, kk))
			hashes := map[string]bool{}
			for seed := uint64(1); seed <= 5; seed++ {
				a, err := r.Run(seed)
				if err != nil {
					t.Fatal(err)
				}
				h1 := r.Trace().Hash()
				b, err := r.Run(seed)
				if err != nil {
					t.Fatal(err)
				}
				if h2 := r.Trace().Hash(); h1 != h2 || a.EndMillis != b.EndMillis || a.Lost != b.Lost {
					t.Fatalf("%s seed %d: two runs differ: %s vs %s", name, seed, h1, h2)
				}
				if a.Violation != nil {
					t.Fatalf("%s seed %d: violation %v\n%s", name, seed, a.Violation, dump(r))
				}
				hashes[h1] = true
			}
			if len(hashes) < 2 {
				t.Errorf("%s: five seeds gave %d distinct traces", name, len(hashes))
			}
		}
	}
}

// TestTCPOwnStream: a TCP knob changes only the transport's draws, so the
// user's draws (here: when the QR code is scanned, on a lossless LAN where
// the network cannot change what the user does first) stay put.
func TestTCPOwnStream(t *testing.T) {
	scanAt := func(k TCP) string {
		r := mustRunner(t, tcpConfig(t, "lan", &k))
		if _, err := r.Run(7); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range r.Trace().Events {
			if e.Kind == EvUser || e.Kind == EvUI {
				out = append(out, e.Name)
			}
		}
		return strings.Join(out, "|")
	}
	a := DefaultTCP()
	b := a
	b.ResetPerHour = 1e-9 // draws from the transport stream, breaks nothing
	if x, y := scanAt(a), scanAt(b); x != y {
		t.Fatalf("a transport knob changed the user's steps:\n%s\n%s", x, y)
	}
}

// TestTCPLossIsDelay: at 8% packet loss each way no request fails with a
// transport error (the retransmission budget is minutes, the clients'
// timeouts seconds) and every run signs in: loss shows as delay. The
// datagram transport on the same link loses requests (the contrast that
// shows the test can fail).
func TestTCPLossIsDelay(t *testing.T) {
	link := Link{Latency: Constant(100), JitterMillis: 20, LossUp: 0.08, LossDown: 0.08}
	count := func(tr Transport) (failed, runs, signed int) {
		r := mustRunner(t, Config{Variant: variant.MustLoad("msc4388"), Network: Network{Name: "lossy", Link: link},
			KeepTrace: true, Transport: tr})
		for seed := uint64(1); seed <= 40; seed++ {
			res, err := r.Run(seed)
			if err != nil || res.Violation != nil {
				t.Fatal(err, res.Violation)
			}
			runs++
			if res.SignedInMillis >= 0 {
				signed++
			}
			for _, e := range r.Trace().Events {
				if e.Kind == EvRecv && e.Status == 0 && e.Detail != "" && (tr.Kind == TransportDatagram || tr.Kind == "" ||
					strings.HasPrefix(e.Detail, "transport error")) {
					failed++
				}
			}
		}
		return
	}
	failed, runs, signed := count(Transport{Kind: TransportTCP})
	if failed != 0 || signed != runs {
		t.Errorf("tcp at 8%% loss: %d requests failed, %d of %d runs signed in; want 0 failed, all signed in", failed, signed, runs)
	}
	if dfailed, _, _ := count(Transport{Kind: TransportDatagram}); dfailed == 0 {
		t.Errorf("datagram at 8%% loss: no request failed, the contrast is gone")
	}
}

// TestTransportValidate refuses bad kinds and knobs with the field named.
func TestTransportValidate(t *testing.T) {
	k := DefaultTCP()
	for _, c := range []struct {
		tr   Transport
		want string
	}{
		{Transport{Kind: "udp"}, `kind "udp"`},
		{Transport{Kind: TransportDatagram, TCP: &k}, "tcp knobs given"},
		{Transport{Kind: TransportTCP, TCP: &TCP{}}, "mss 0"},
	} {
		if err := c.tr.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one naming %q", c.tr, err, c.want)
		}
	}
	for _, mut := range []struct {
		f    func(*TCP)
		want string
	}{
		{func(k *TCP) { k.MinRTOMillis = 200_000 }, "min_rto_ms 200000 is above max_rto_ms"},
		{func(k *TCP) { k.InitialRTOMillis = -1 }, "initial_rto_ms -1"},
		{func(k *TCP) { k.SynRetries = 128 }, "syn_retries 128"},
		{func(k *TCP) { k.Retries2 = -1 }, "retries2 -1"},
		{func(k *TCP) { k.TLSResumption = "ticket" }, `tls_resumption "ticket"`},
		{func(k *TCP) { k.ResetPerHour = -1 }, "reset_per_hour -1"},
		{func(k *TCP) { k.NATIdleMillis = 1 << 40 }, "nat_idle_ms"},
		{func(k *TCP) { k.BurstPackets = math.NaN() }, "burst_packets NaN"},
		{func(k *TCP) { k.RTOEstimator = "bsd" }, `rto_estimator "bsd"`},
		{func(k *TCP) { k.LossRecovery = "fack" }, `loss_recovery "fack" is not "rack-tlp" or "rto"`},
		{func(k *TCP) { k.LossRecovery = "RTO" }, `loss_recovery "RTO"`},
	} {
		k := DefaultTCP()
		mut.f(&k)
		_, err := NewRunner(Config{Variant: variant.MustLoad("msc4388"), Transport: Transport{Kind: TransportTCP, TCP: &k}})
		if err == nil || !strings.Contains(err.Error(), mut.want) {
			t.Errorf("error %v, want one naming %q", err, mut.want)
		}
	}
}

// TestBrokenBeforeGiveUp: a connection a handover breaks while one of its
// segments is still being retransmitted fails the exchange at the break;
// the answer was once scheduled at 0 ms there (a conservation violation),
// when the retransmissions ran out after the break: flaky, bursty losses,
// seed 111.
func TestBrokenBeforeGiveUp(t *testing.T) {
	n, err := Profile("flaky")
	if err != nil {
		t.Fatal(err)
	}
	k := DefaultTCP()
	k.BurstPackets = 3
	r := mustRunner(t, Config{Variant: variant.MustLoad("msc4388-726e115"), Network: n,
		Transport: Transport{Kind: TransportTCP, TCP: &k}})
	res, err := r.Run(111)
	if err != nil || res.Violation != nil {
		t.Fatalf("flaky, burst_packets 3, seed 111: %v %v", err, res.Violation)
	}
}

// TestBurstLossUnreachable: a link loss that bursts of burst_packets
// packets cannot produce (above b/(b+1), below 1) is refused with the
// network, link, field and bound, instead of running with less loss than
// stated.
func TestBurstLossUnreachable(t *testing.T) {
	k := DefaultTCP()
	k.BurstPackets = 2
	cfg := Config{Variant: variant.MustLoad("msc4388"), Network: Network{Name: "heavy", Link: Link{Latency: Constant(50), LossUp: 0.7}},
		Transport: Transport{Kind: TransportTCP, TCP: &k}}
	_, err := NewRunner(cfg)
	if err == nil || !strings.Contains(err.Error(), `network "heavy" link (every link) loss_up 0.7 is above 0.6667`) {
		t.Fatalf("loss 0.7 with bursts of 2: %v", err)
	}
	cfg.Network.Link.LossUp = 0.6
	if _, err := NewRunner(cfg); err != nil {
		t.Errorf("loss 0.6 with bursts of 2 (reachable): %v", err)
	}
}
