package calibrate

import (
	"bytes"
	"strings"
	"testing"

	"qrlab/model/variant"
	"qrlab/sim"
)

// TestExchangeKind: the live server's URLs (provider under /oauth/, full
// URLs with queries) and the simulator's paths name the same exchange;
// identifiers are blanked, words are not.
func TestExchangeKind(t *testing.T) {
	for _, c := range []struct{ client, method, u, want string }{
		{"E", "GET", "https://127.0.0.1:4000/_matrix/client/v1/rendezvous/d9cc99eb-eeb3-4000-a925-63708654df2b", "E GET /_matrix/client/v1/rendezvous/*"},
		{"E", "GET", "/_matrix/client/v1/rendezvous/d9cc99eb-eeb3-4000-a925-63708654df2b", "E GET /_matrix/client/v1/rendezvous/*"},
		{"N", "POST", "https://127.0.0.1:4000/oauth/oauth2/device", "N POST /oauth2/device"},
		{"N", "POST", "/oauth2/device", "N POST /oauth2/device"},
		{"Browser", "GET", "https://127.0.0.1:4000/oauth/link?code=CCRD-VKKB", "Browser GET /link"},
		{"Browser", "GET", "/link?code=CCRD-VKKB", "Browser GET /link"},
		{"Browser", "POST", "/device/qdEilPuCiMJINLKm", "Browser POST /device/*"},
		{"E", "GET", "/_matrix/client/v3/devices/RWQINCDJMH", "E GET /_matrix/client/v3/devices/*"},
		{"N", "POST", "/_matrix/client/v3/keys/upload", "N POST /_matrix/client/v3/keys/upload"},
		{"N", "GET", "/_matrix/client/v1/auth_metadata", "N GET /_matrix/client/v1/auth_metadata"},
	} {
		if got := exchangeKind(c.client, c.method, c.u); got != c.want {
			t.Errorf("exchangeKind(%s, %s, %s) = %q, want %q", c.client, c.method, c.u, got, c.want)
		}
	}
}

// TestSimExchanges: a simulated login's exchanges, paired from its trace,
// account for the requests a device or the browser sent, each no shorter
// than the round trip (every message crosses two one-way delays); at 8%
// loss some take longer, and the table and the bands name them.
func TestSimExchanges(t *testing.T) {
	opts := Options{N: 10, Seed: 1}
	opts.defaults()
	p := Profile{Name: "loss8-200ms", LossPercent: 8, RTTMillis: 200}
	v := variant.MustLoad(opts.Variant)
	s, _, err := runSimSide(v, p, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := SimConfig(v, p, opts.User, opts.MSS, nil)
	cfg.KeepTrace = true
	r, err := sim.NewRunner(cfg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Run(1)
	if err != nil {
		t.Fatal(err)
	}
	ex := simExchanges(r.Trace().Events)
	// Every request but those still in flight when both devices ended (the
	// closing DELETE, a last poll) is paired with its answer.
	if len(ex) > res.Requests || len(ex) < res.Requests-2 {
		t.Errorf("seed 1: %d exchanges paired, %d requests sent", len(ex), res.Requests)
	}
	slow := 0
	for _, x := range ex {
		if !x.Failed && x.Millis < 200 {
			t.Errorf("%s took %.0f ms, less than the round trip", x.Kind, x.Millis)
		}
		if x.Millis > 450 {
			slow++
		}
	}
	if slow == 0 {
		t.Error("seed 1 at 8% loss: no exchange slower than a round trip and a retransmission")
	}
	polls := s.Exchanges["E GET /_matrix/client/v1/rendezvous/*"]
	if len(polls) < 10*5 {
		t.Fatalf("10 logins: %d rendezvous reads by E", len(polls))
	}
	row := Row{Profile: p, Real: s, Sim: s}
	var b bytes.Buffer
	WriteExchanges(&b, []Row{row})
	WriteDelayHistogram(&b, []Row{row})
	if out := b.String(); !strings.Contains(out, "| E GET /_matrix/client/v1/rendezvous/* | ") || !strings.Contains(out, "| all kinds | | | | | | | +0 |") ||
		!strings.Contains(out, "exchange durations, share real / sim") {
		t.Errorf("tables of a side against itself:\n%s", out)
	}
}
