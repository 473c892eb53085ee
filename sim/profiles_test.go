package sim

import (
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
	a := DefaultTCP()
	b := a
	b.MinRTOMillis, b.TLSServerBytes, b.HTTP2 = 400, 9000, true
	differ := 0
	for seed := uint64(1); seed <= 8; seed++ {
		x, hx := steps(a, seed)
		y, hy := steps(b, seed)
		if x == "" || x != y {
			t.Fatalf("seed %d: the codes shown and typed moved with a TCP knob:\n%s\n%s", seed, x, y)
		}
		if hx != hy {
			differ++
		}
	}
	if differ == 0 {
		t.Fatal("the knobs changed no trace: the test does not exercise the transport's draws")
	}
}
