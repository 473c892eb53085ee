package scenarios

import (
	"strings"
	"testing"

	"qrlab/sim"
)

// TestTransportField: a scenario names its transport and overrides tcp
// knobs field by field; a bad kind, an unknown or out-of-range knob and
// knobs for the datagram transport are refused with the field named. With
// no transport field a scenario runs tcp on tcp's profiles, or datagram on
// the earlier profiles in swarm mode.
func TestTransportField(t *testing.T) {
	s, err := Parse([]byte(`{"name": "t", "variant": "msc4388", "transport": "tcp", "tcp": {"http2": true, "syn_retries": 3}}`), "t.json")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := s.Config()
	if err != nil {
		t.Fatal(err)
	}
	want := sim.DefaultTCP()
	want.HTTP2, want.SynRetries = true, 3
	if cfg.Transport.Kind != sim.TransportTCP || cfg.Transport.TCP == nil || *cfg.Transport.TCP != want {
		t.Fatalf("transport %+v, want tcp with %+v", cfg.Transport, want)
	}
	s, err = Parse([]byte(`{"name": "t", "variant": "msc4388", "tcp": {"loss_recovery": "rto"}}`), "t.json")
	if err != nil {
		t.Fatal(err)
	}
	if cfg, err = s.Config(); err != nil || cfg.Transport.TCP == nil || cfg.Transport.TCP.LossRecovery != sim.RecoveryRTO {
		t.Fatalf("loss_recovery rto: %+v, %v", cfg.Transport, err)
	}
	s, err = Parse([]byte(`{"name": "t", "variant": "msc4388"}`), "t.json")
	if err != nil {
		t.Fatal(err)
	}
	if cfg, err = s.Config(); err != nil || cfg.Transport.Kind != sim.TransportTCP || cfg.Transport.TCP != nil ||
		cfg.Network.Link.Latency.Median != 26.55 {
		t.Fatalf("no transport field: %+v on %+v, %v; want the tcp default and its 4g profile", cfg.Transport, cfg.Network.Link, err)
	}
	s, err = Parse([]byte(`{"name": "t", "variant": "msc4388", "swarm": {}}`), "t.json")
	if err != nil {
		t.Fatal(err)
	}
	if cfg, err = s.Config(); err != nil || cfg.Transport.Kind != sim.TransportDatagram || cfg.Network.Link.Latency.Median != 35 {
		t.Fatalf("swarm without a transport field: %+v on %+v, %v; want datagram and its 4g profile", cfg.Transport, cfg.Network.Link, err)
	}
	s, err = Parse([]byte(`{"name": "t", "variant": "msc4388", "transport": "datagram", "network": "lossy-3g"}`), "t.json")
	if err != nil {
		t.Fatal(err)
	}
	if cfg, err = s.Config(); err != nil || cfg.Network.Link.LossUp != 0.08 {
		t.Fatalf("datagram lossy-3g: %+v, %v; want the earlier profile (8%% loss)", cfg.Network.Link, err)
	}
	for _, c := range []struct{ src, want string }{
		{`"transport": "quic"`, `field "transport"`},
		{`"transport": "tcp", "tcp": {"syn_retries": -1}`, `field "tcp"`},
		{`"transport": "tcp", "tcp": {"synretries": 1}`, `field "tcp"`},
		{`"tcp": {"loss_recovery": "fast"}`, `loss_recovery "fast"`},
		{`"transport": "datagram", "tcp": {"http2": true}`, `field "transport"`},
		{`"swarm": {}, "tcp": {"http2": true}`, `field "transport"`},
	} {
		s, err := Parse([]byte(`{"name": "t", "variant": "msc4388", `+c.src+`}`), "t.json")
		if err == nil {
			_, err = s.Config()
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one naming %s", c.src, err, c.want)
		}
	}
}
