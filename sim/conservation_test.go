package sim

import (
	"strings"
	"testing"

	"qrlab/model/qr"
	"qrlab/model/rendezvous"
	"qrlab/model/variant"
)

// ledgerRun runs seed on a LAN whose every link has link applied, over the
// datagram transport (whose messages are lost or duplicated whole, so the
// counts below are exact), and returns the result and the network's ledger.
func ledgerRun(t *testing.T, seed uint64, intent qr.Intent, set func(l *Link)) (Result, Ledger, *Runner) {
	t.Helper()
	lan, _ := ProfileFor(TransportDatagram, "lan")
	set(&lan.Link)
	r := mustRunner(t, Config{Variant: variant.MustLoad("msc4388"), Intent: intent, Network: lan, Transport: Transport{Kind: TransportDatagram}})
	res, err := r.Run(seed)
	if err != nil {
		t.Fatal(err)
	}
	if v := res.Violation; v != nil && v.Invariant == InvSimulator {
		t.Fatalf("seed %d: the simulator broke its own law: %s", seed, v.Detail)
	}
	return res, r.Ledger(), r
}

// balanced checks the laws every ledger keeps whatever the network does.
func balanced(t *testing.T, seed uint64, l Ledger) {
	t.Helper()
	if l.Served+l.PendingRequests != l.Deliveries {
		t.Errorf("seed %d: %d deliveries but %d served and %d travelling", seed, l.Deliveries, l.Served, l.PendingRequests)
	}
	if l.Arrived+l.PendingAnswers != l.Answers {
		t.Errorf("seed %d: %d answers but %d arrived and %d travelling", seed, l.Answers, l.Arrived, l.PendingAnswers)
	}
	if l.Answered+l.TimedOut+l.Open != l.Requests {
		t.Errorf("seed %d: %d requests but %d answered, %d timed out and %d open", seed, l.Requests, l.Answered, l.TimedOut, l.Open)
	}
}

// TestConservationDuplicateAll: with duplication 1 every request is
// delivered, and served, exactly twice, and every serve sends two answers.
func TestConservationDuplicateAll(t *testing.T) {
	for _, intent := range []qr.Intent{qr.Login, qr.Reciprocate} {
		for seed := uint64(1); seed <= 5; seed++ {
			res, l, _ := ledgerRun(t, seed, intent, func(l *Link) { l.Duplicate = 1 })
			balanced(t, seed, l)
			if l.Requests == 0 || l.Requests != res.Requests {
				t.Fatalf("seed %d: ledger counts %d requests, the result %d", seed, l.Requests, res.Requests)
			}
			if l.Deliveries != 2*l.Requests {
				t.Errorf("seed %d: %d deliveries of %d requests, want exactly twice as many", seed, l.Deliveries, l.Requests)
			}
			if l.Answers != 2*l.Served {
				t.Errorf("seed %d: %d answers for %d serves, want exactly two each", seed, l.Answers, l.Served)
			}
			if l.TimedOut != 0 {
				t.Errorf("seed %d: %d timeouts on a network that loses nothing", seed, l.TimedOut)
			}
		}
	}
}

// TestConservationLoseAllRequests: with every request lost, no server sees
// anything, no answer exists, and every exchange ends by its timeout (or is
// still waiting for it at the run's end).
func TestConservationLoseAllRequests(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		res, l, _ := ledgerRun(t, seed, qr.Login, func(l *Link) { l.LossUp = 1 })
		balanced(t, seed, l)
		if l.Deliveries != 0 || l.Served != 0 || l.Answers != 0 || l.Answered != 0 {
			t.Errorf("seed %d: %+v, want no delivery, serve, answer or answered exchange", seed, l)
		}
		if l.TimedOut+l.Open != l.Requests || l.TimedOut == 0 || res.Lost != l.Requests {
			t.Errorf("seed %d: %+v (lost %d), want every request lost and ended by its timeout", seed, l, res.Lost)
		}
	}
}

// TestConservationLoseAllAnswers: every request is served once and every
// answer lost: nothing arrives, every exchange times out.
func TestConservationLoseAllAnswers(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		_, l, _ := ledgerRun(t, seed, qr.Login, func(l *Link) { l.LossDown = 1 })
		balanced(t, seed, l)
		if l.Deliveries != l.Requests || l.Answers != 0 || l.Arrived != 0 || l.Answered != 0 {
			t.Errorf("seed %d: %+v, want one delivery per request and no answer", seed, l)
		}
		if l.TimedOut+l.Open != l.Requests {
			t.Errorf("seed %d: %+v, want every request ended by its timeout or waiting for it", seed, l)
		}
	}
}

// TestConservationCatchesABrokenSimulator: a serve that went missing, an
// answer counted twice, an exchange ended twice are each reported.
func TestConservationCatchesABrokenSimulator(t *testing.T) {
	for _, c := range []struct {
		name, want string
		breakIt    func(x *exchange)
	}{
		{"a duplicated request served once", "deliveries scheduled", func(x *exchange) { x.served-- }},
		{"an answer that arrived twice", "answers sent", func(x *exchange) { x.arrived++ }},
		{"an exchange ended twice", "ended 2 times", func(x *exchange) { x.timedOut++ }},
	} {
		_, _, r := ledgerRun(t, 1, qr.Login, func(l *Link) { l.Duplicate = 1 })
		if d := r.conservation(); d != "" {
			t.Fatalf("%s: an honest run already breaks a law: %s", c.name, d)
		}
		c.breakIt(&r.ex[0])
		if d := r.conservation(); !strings.Contains(d, c.want) {
			t.Errorf("%s: conservation said %q, want it to mention %q", c.name, d, c.want)
		}
	}
}

// TestConservationEventBeforeItsCause: an event scheduled earlier than the
// time the run reached (a negative delay) stops the run with InvSimulator.
func TestConservationEventBeforeItsCause(t *testing.T) {
	r := newTestRunner(t, "msc4388")
	pushed := false
	r.hook = func(w *run, x *exchange, resp *rendezvous.Response) {
		if !pushed && w.now > 1000 {
			pushed = true
			r.q.push(event{at: w.now - 500, kind: evFault, text: "from the past"})
		}
	}
	res, _ := r.Run(1)
	if v := res.Violation; v == nil || v.Invariant != InvSimulator || !strings.Contains(v.Detail, "before its cause") {
		t.Fatalf("got %+v, want %s for an event before its cause", res.Violation, InvSimulator)
	}
}
