package sim

import (
	"math"
	"strings"
	"testing"

	"qrlab/model/variant"
)

// TestProfilesPerTransport: every profile name exists under both
// transports; the tcp profiles are the calibrated ones (4g: a 26.55 ms
// median one way, from Ofcom's 53.1 ms round trip) and the datagram ones
// the earlier (4g: 35 ms); Profile is tcp's; an unknown transport or name
// is refused with the names it knows.
func TestProfilesPerTransport(t *testing.T) {
	for _, name := range ProfileNames() {
		for _, kind := range []string{TransportTCP, TransportDatagram} {
			n, err := ProfileFor(kind, name)
			if err != nil || n.Name != name || n.Description == "" {
				t.Fatalf("%s %s: %+v, %v", kind, name, n, err)
			}
		}
	}
	tcp, _ := Profile("4g")
	dg, _ := ProfileFor(TransportDatagram, "4g")
	if tcp.Link.Latency.Median != 26.55 || dg.Link.Latency.Median != 35 || tcp.Connections.NATIdleMillis != 180_000 {
		t.Fatalf("4g: tcp %+v %+v, datagram %+v", tcp.Link, tcp.Connections, dg.Link)
	}
	if _, err := ProfileFor("quic", "4g"); err == nil || !strings.Contains(err.Error(), `"tcp" or "datagram"`) {
		t.Errorf("unknown transport: %v", err)
	}
	if _, err := ProfileFor(TransportTCP, "5g"); err == nil || !strings.Contains(err.Error(), "lossy-3g") {
		t.Errorf("unknown profile: %v", err)
	}
}

// TestDefaultTransport: with no transport named a run is tcp, on tcp's
// default profile when no network is given; in swarm mode it is datagram,
// and tcp knobs there are refused; a profile's connection figures reach
// the transport unless a TCP knob above 0 replaces them.
func TestDefaultTransport(t *testing.T) {
	v := variant.MustLoad("msc4388")
	r := mustRunner(t, Config{Variant: v})
	if r.tp == nil || r.cfg.Network.Link.Latency.Median != 26.55 || r.tp.k.NATIdleMillis != 180_000 {
		t.Fatalf("default run: tcp state %v on %+v", r.tp != nil, r.cfg.Network.Link)
	}
	sw := DefaultSwarm()
	if r := mustRunner(t, Config{Variant: v, Swarm: &sw}); r.tp != nil || r.cfg.Network.Link.Latency.Median != 35 {
		t.Fatalf("swarm run: tcp state %v on %+v, want datagram on its 4g", r.tp != nil, r.cfg.Network.Link)
	}
	k := DefaultTCP()
	if _, err := NewRunner(Config{Variant: v, Swarm: &sw, Transport: Transport{TCP: &k}}); err == nil {
		t.Error("tcp knobs in swarm mode without naming tcp were accepted")
	}
	flaky, _ := Profile("flaky")
	k.HandoverPerHour = 3
	r = mustRunner(t, Config{Variant: v, Network: flaky, Transport: Transport{TCP: &k}})
	if r.tp.k.HandoverPerHour != 3 || r.tp.k.NATIdleMillis != 180_000 {
		t.Fatalf("knobs %+v: the knob's handover rate replaces the profile's, the profile's NAT timeout stays", r.tp.k)
	}
}

// TestTCPKnobKeepsDevicesDraws: the devices' and the provider's draws (the
// channel keys behind the check code, the user code) and the user's (a
// typo in every typed code) do not move when a TCP knob changes the
// transport's draws: on a lossy profile every seed shows and types the
// same codes in the same order whatever the RTO floor, the TLS flight and
// HTTP/2, while the traces differ.
func TestTCPKnobKeepsDevicesDraws(t *testing.T) {
	a := DefaultTCP()
	b := a
	b.MinRTOMillis, b.TLSServerBytes, b.HTTP2 = 400, 9000, true
	sameDevicesDraws(t, "a TCP knob", a, b)
}

// sameDevicesDraws runs seeds 1 to 8 on lossy-3g (a user who makes a typo
// in every other code) under the transport knobs a and b, requires the
// same codes shown and typed in the same order under both, and at least
// one trace that differs (what names the change between a and b).
func sameDevicesDraws(t *testing.T, what string, a, b TCP) {
	t.Helper()
	steps := func(k TCP, seed uint64) (string, string) {
		cfg := tcpConfig(t, "lossy-3g", &k)
		cfg.User = DefaultUser()
		cfg.User.TypoRate = 0.5
		r := mustRunner(t, cfg)
		if _, err := r.Run(seed); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range r.Trace().Events {
			if (e.Kind == EvUser || e.Kind == EvUI) && strings.Contains(e.Name, "code ") {
				out = append(out, e.Name)
			}
		}
		return strings.Join(out, "|"), r.Trace().Hash()
	}
	differ := 0
	for seed := uint64(1); seed <= 8; seed++ {
		x, hx := steps(a, seed)
		y, hy := steps(b, seed)
		if x == "" || x != y {
			t.Fatalf("seed %d: the codes shown and typed moved with %s:\n%s\n%s", seed, what, x, y)
		}
		if hx != hy {
			differ++
		}
	}
	if differ == 0 {
		t.Fatalf("%s changed no trace: the test does not exercise the transport's draws", what)
	}
}

// TestTCPProfileLossProcess checks that the loss process each tcp profile
// produces has the mean loss and the mean burst length that
// sim/transport-sources.md section 3.7 and the README state for it. A burst
// is a run of consecutive lost packets on one link in one direction (a
// loss period, RFC 3357), and its mean length is lost packets over runs.
// Every profile's losses are independent (no published burst length was
// found), so a burst's length is geometric with mean 1/(1-L); with the tcp
// knob burst_packets B the same profile keeps its mean loss L and its
// bursts last B packets on average. Each case draws enough packets for
// about 10,000 losses from a fixed seed; the bounds are five standard
// errors of a two-state chain's estimates (the loss indicator's variance
// widened by (1+λ)/(1-λ), λ = 1-q-r the chain's second eigenvalue; the
// burst lengths geometric with success probability r).
func TestTCPProfileLossProcess(t *testing.T) {
	stated := map[string][2]float64{ // loss up, loss down
		"lan": {0, 0}, "wifi": {0.005, 0.005}, "4g": {0.01, 0.01}, "3g": {0.01, 0.01},
		"lossy-3g": {0.047, 0.002}, "satellite": {0.01, 0.01}, "flaky": {0.05, 0.05},
	}
	if len(stated) != len(ProfileNames()) {
		t.Fatalf("stated figures for %d profiles, %d profiles exist", len(stated), len(ProfileNames()))
	}
	for _, name := range ProfileNames() {
		p, err := Profile(name)
		if err != nil {
			t.Fatal(err)
		}
		want, ok := stated[name]
		if !ok || p.Link.LossUp != want[0] || p.Link.LossDown != want[1] {
			t.Fatalf("%s: loss up %g down %g, the documents state %v", name, p.Link.LossUp, p.Link.LossDown, want)
		}
		for _, burst := range []float64{0, 3} {
			k := DefaultTCP()
			k.BurstPackets = burst
			r, w := tcpRig(t, k, p.Link)
			for d, up := range []bool{true, false} {
				loss := want[d]
				n := 100_000
				if loss > 0 {
					n = max(n, int(10_000/loss))
				}
				lost, runs := lossRuns(r, w, up, n)
				if loss == 0 {
					if lost != 0 {
						t.Errorf("%s up=%v: %d of %d packets lost on a lossless profile", name, up, lost, n)
					}
					continue
				}
				// The chain: good→bad q, bad→good rb; independent losses
				// are the chain with q = L and rb = 1-L.
				rb, q := 1-loss, loss
				if burst > 1 {
					rb = 1 / burst
					q = loss * rb / (1 - loss)
				}
				lambda := 1 - q - rb
				rate, mean := float64(lost)/float64(n), float64(lost)/float64(max(runs, 1))
				rateTol := 5 * math.Sqrt(loss*(1-loss)/float64(n)*(1+lambda)/(1-lambda))
				wantMean := 1 / rb
				meanTol := 5 * math.Sqrt((1-rb)/(rb*rb)/(float64(n)*loss*rb))
				if math.Abs(rate-loss) > rateTol || math.Abs(mean-wantMean) > meanTol {
					t.Errorf("%s up=%v burst_packets %g: loss %.5f (want %g ± %.5f), mean burst %.3f packets (want %.3f ± %.3f)",
						name, up, burst, rate, loss, rateTol, mean, wantMean, meanTol)
				}
			}
		}
	}
}
