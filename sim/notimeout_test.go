package sim

import (
	"strings"
	"testing"

	"qrlab/model/login"
	"qrlab/model/variant"
)

// noTimeoutRequest sends a request from N to the homeserver with the given
// client timeout and returns the timeout events queued for it.
func noTimeoutRequest(r *Runner, w *run, timeout login.Millis) []event {
	id := r.send(w, ActorNew, login.Request{ID: 1, Target: login.TargetHomeserver, Method: "GET", Path: "/x", Timeout: timeout}, nil)
	return r.queued(id, evTimeout)
}

// TestNoClientTimeoutTCP: a request whose client sets no timeout
// (login.NoTimeout) gets no timeout event under tcp; during a partition
// longer than the SYN retries it ends when the connect gives up (127 s,
// a transport error), where a 5 s client timeout ends it at 5 s.
func TestNoClientTimeoutTCP(t *testing.T) {
	r, w := tcpRig(t, DefaultTCP(), Link{}, cutUntil(200_000))
	evs := noTimeoutRequest(r, w, login.NoTimeout)
	if len(evs) != 1 || evs[0].text == "" || evs[0].at != 127_000 {
		t.Fatalf("no client timeout, link cut: ends queued %+v, want one transport error at 127000", evs)
	}
	r, w = tcpRig(t, DefaultTCP(), Link{}, cutUntil(200_000))
	evs = noTimeoutRequest(r, w, 5_000)
	if len(evs) < 1 || evs[0].text != "" || evs[0].at != 5_000 {
		t.Fatalf("5 s client timeout, link cut: ends queued %+v, want the client's timeout at 5000 first", evs)
	}
	// On a healthy link the request is delivered and nothing times it out.
	r, w = tcpRig(t, DefaultTCP(), Link{})
	id := r.send(w, ActorNew, login.Request{ID: 1, Target: login.TargetHomeserver, Method: "GET", Path: "/x", Timeout: login.NoTimeout}, nil)
	if n, a := len(r.queued(id, evTimeout)), len(r.queued(id, evReqArrive)); n != 0 || a != 1 {
		t.Fatalf("no client timeout, healthy link: %d timeouts and %d arrivals queued, want 0 and 1", n, a)
	}
}

// TestNoClientTimeoutDatagram: under datagram a request with no client
// timeout is bounded by DatagramNoTimeoutMillis, so a lost message does not
// hang the run.
func TestNoClientTimeoutDatagram(t *testing.T) {
	r := mustRunner(t, Config{Variant: variant.MustLoad("msc4388"), Network: Network{Name: "rig", Link: Link{Latency: Constant(10)}},
		Transport: Transport{Kind: TransportDatagram}})
	w := r.r
	*w = run{seed: 1, net: &r.cfg.Network}
	r.q.reset()
	r.tr.reset(true, true)
	r.ex = r.ex[:0]
	evs := noTimeoutRequest(r, w, login.NoTimeout)
	if len(evs) != 1 || evs[0].at != DatagramNoTimeoutMillis {
		t.Fatalf("datagram, no client timeout: timeouts queued %+v, want one at %d", evs, DatagramNoTimeoutMillis)
	}
}

// TestNoClientTimeoutRuns: js-sdk-develop (no client timeout on its
// rendezvous and device requests) runs on flaky under both transports with
// every monitor on, conservation included.
func TestNoClientTimeoutRuns(t *testing.T) {
	v := variant.MustLoad("js-sdk-develop")
	if p := v.Timing.Policy(variant.KindRendezvousPoll); p.TimeoutMillis != variant.NoTimeout {
		t.Fatalf("js-sdk-develop rendezvous-poll timeout_ms %d, want %d", p.TimeoutMillis, variant.NoTimeout)
	}
	for _, kind := range []string{TransportTCP, TransportDatagram} {
		cfg := tcpConfig(t, "flaky", nil)
		cfg.Variant = v
		if kind == TransportDatagram {
			n, err := ProfileFor(TransportDatagram, "flaky")
			if err != nil {
				t.Fatal(err)
			}
			cfg.Network, cfg.Transport = n, Transport{Kind: TransportDatagram}
		}
		r := mustRunner(t, cfg)
		for seed := uint64(1); seed <= 40; seed++ {
			res, err := r.Run(seed)
			if err != nil {
				t.Fatal(err)
			}
			if res.Violation != nil {
				t.Fatalf("%s seed %d: %v", kind, seed, res.Violation)
			}
		}
	}
}

// TestTokenAnswerBreaks: with token_answer_breaks 1 the connection of the
// provider's first 200 to the new device's token poll breaks as it leaves,
// so the device never reads those tokens (a transport error in the trace,
// then the spent code's invalid_grant); 0 changes nothing; 11 is refused.
func TestTokenAnswerBreaks(t *testing.T) {
	runOne := func(breaks int) (*Runner, Result) {
		cfg := tcpConfig(t, "4g", nil)
		cfg.Variant = variant.MustLoad("rust-sdk-main")
		cfg.Network.Connections.TokenAnswerBreaks = breaks
		r := mustRunner(t, cfg)
		res, err := r.Run(3)
		if err != nil {
			t.Fatal(err)
		}
		return r, res
	}
	_, base := runOne(0)
	if !base.Success() {
		t.Fatalf("token_answer_breaks 0: seed 3 failed (%s), the test needs a success", base.TraceHash)
	}
	r, res := runOne(1)
	if res.Success() {
		t.Fatal("token_answer_breaks 1: the login still succeeded")
	}
	broken, invalid := 0, 0
	for _, e := range r.Trace().Events {
		if e.Kind == EvFault && strings.HasSuffix(e.Detail, "(token_answer_breaks)") {
			broken++
		}
		if e.Kind == EvRecv && e.Actor == ActorNew && e.Status == 400 && strings.HasSuffix(e.Name, "/token") {
			invalid++
		}
	}
	if broken != 1 || invalid != 1 {
		t.Fatalf("token_answer_breaks 1: %d breaks and %d 400 answers to the token poll, want 1 and 1", broken, invalid)
	}
	c := Connections{TokenAnswerBreaks: 11}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "token_answer_breaks") {
		t.Fatalf("token_answer_breaks 11: %v, want an error naming the field", err)
	}
}
