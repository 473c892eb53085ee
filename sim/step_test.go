package sim

import (
	"testing"

	"qrlab/model/variant"
)

// stepNet is a network for stepped runs: every link 200 ms, no fault of its
// own.
func stepNet(t *testing.T) Network {
	n := Network{Name: "stepped", Link: Link{Latency: Constant(200)}}
	if err := n.Prepare(); err != nil {
		t.Fatal(err)
	}
	return n
}

// fpsOf steps a run of seed taking choice pick (or the last) at each state
// and returns the fingerprints of the states it went through.
func fpsOf(t *testing.T, r *Runner, seed uint64, pick int) []Fingerprint {
	if err := r.Start(seed, 1, 1); err != nil {
		t.Fatal(err)
	}
	var out []Fingerprint
	var buf []Choice
	for {
		buf = r.Enabled(buf)
		if len(buf) == 0 {
			return out
		}
		fp, _ := r.Fingerprint()
		out = append(out, fp)
		if err := r.Take(buf[min(pick, len(buf)-1)]); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSteppedFirstChoice: always taking the first choice (no fault) is an
// honest login that succeeds without a violation.
func TestSteppedFirstChoice(t *testing.T) {
	r, err := NewRunner(Config{Variant: variant.MustLoad("msc4388"), Network: stepNet(t), Transport: stepTransport})
	if err != nil {
		t.Fatal(err)
	}
	fpsOf(t, r, 1, 0)
	res := r.Finish()
	if !res.Success() || res.Violation != nil {
		t.Fatalf("N %s, E %s, violation %v", res.New.Outcome, res.Existing.Outcome, res.Violation)
	}
}

// TestFingerprintFresh: a state's fingerprint does not depend on what the
// runner ran before (reused buffers are not state).
func TestFingerprintFresh(t *testing.T) {
	mk := func() *Runner {
		r, err := NewRunner(Config{Variant: variant.MustLoad("msc4388"), Network: stepNet(t), Transport: stepTransport})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	a := fpsOf(t, mk(), 3, 0)
	r := mk()
	fpsOf(t, r, 3, 1)
	fpsOf(t, r, 5, 2)
	b := fpsOf(t, r, 3, 0)
	if len(a) != len(b) || len(a) < 50 {
		t.Fatalf("%d and %d states", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("state %d: fresh runner %x, reused runner %x", i, a[i], b[i])
		}
	}
}

// TestTakeRefuses: a choice that is not pending, or a fault on a timer,
// is an error, not a panic.
func TestTakeRefuses(t *testing.T) {
	r, err := NewRunner(Config{Variant: variant.MustLoad("msc4388"), Network: stepNet(t), Transport: stepTransport})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(1, 0, 0); err != nil {
		t.Fatal(err)
	}
	if err := r.Take(Choice{Seq: 999}); err == nil {
		t.Error("took an event that is not pending")
	}
	c := r.Enabled(nil)[0] // a machine's start
	if err := r.Take(Choice{Seq: c.Seq, Fault: FaultLose}); err == nil {
		t.Error("lost a start event")
	}
	if err := r.Start(1, -1, 0); err == nil {
		t.Error("took a negative budget")
	}
}

// TestEnabledTimeRule: at every state of a stepped run, every enabled
// event that is not a message is due at the earliest pending time, only
// messages carry lose and duplicate choices, and a spent budget offers
// them no more.
func TestEnabledTimeRule(t *testing.T) {
	r, err := NewRunner(Config{Variant: variant.MustLoad("msc4388"), Network: stepNet(t), Transport: stepTransport})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(2, 1, 1); err != nil {
		t.Fatal(err)
	}
	var buf []Choice
	lost, duped := false, false
	for steps := 0; ; steps++ {
		buf = r.Enabled(buf)
		if len(buf) == 0 {
			break
		}
		least := r.q.ev[0].at
		for _, c := range buf {
			if !c.Message() && c.At != least {
				t.Fatalf("step %d: %s %s at %d ms enabled while an event is due at %d ms", steps, c.Kind, c.Label, c.At, least)
			}
			if !c.Message() && c.Fault != FaultNone {
				t.Fatalf("step %d: %s offered with fault %s", steps, c.Kind, c.Fault)
			}
			if c.Message() && c.At < r.Now() {
				t.Fatalf("step %d: message due at %d ms, before now %d ms", steps, c.At, r.Now())
			}
			if (lost && c.Fault == FaultLose) || (duped && c.Fault == FaultDuplicate) {
				t.Fatalf("step %d: budget spent, yet %s offered", steps, c.Fault)
			}
		}
		// Lose the first message offered, duplicate the next, then deliver.
		pick := buf[0]
		for _, c := range buf {
			if (!lost && c.Fault == FaultLose) || (lost && !duped && c.Fault == FaultDuplicate) {
				pick = c
				break
			}
		}
		lost = lost || pick.Fault == FaultLose
		duped = duped || pick.Fault == FaultDuplicate
		if err := r.Take(pick); err != nil {
			t.Fatal(err)
		}
	}
	res := r.Finish()
	t.Logf("N %s, E %s after %d events", res.New.Outcome, res.Existing.Outcome, res.Steps)
	if !lost || !duped || res.Lost != 1 {
		t.Errorf("lost %v (result %d), duplicated %v", lost, res.Lost, duped)
	}
	// The simulator's own books balance with a chosen loss and duplicate.
	if v := res.Violation; v != nil && v.Invariant == InvSimulator {
		t.Errorf("conservation: %v", v)
	}
}

// TestStateWithoutEnabled: a path replayed with Take alone (as a search
// replays) goes through the same states as one where Enabled was asked at
// each step: cancelled timers and answered timeouts leave at once either
// way.
func TestStateWithoutEnabled(t *testing.T) {
	mk := func() *Runner {
		r, err := NewRunner(Config{Variant: variant.MustLoad("msc4388"), Network: stepNet(t), Transport: stepTransport})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	a, b := mk(), mk()
	if err := a.Start(6, 1, 1); err != nil {
		t.Fatal(err)
	}
	if err := b.Start(6, 1, 1); err != nil {
		t.Fatal(err)
	}
	var buf []Choice
	for i := 0; ; i++ {
		buf = a.Enabled(buf)
		if len(buf) == 0 {
			if i < 50 {
				t.Fatalf("ended after %d steps", i)
			}
			return
		}
		c := buf[len(buf)/2]
		if err := a.Take(c); err != nil {
			t.Fatal(err)
		}
		if err := b.Take(c); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		fa, _ := a.Fingerprint()
		fb, _ := b.Fingerprint()
		if fa != fb {
			t.Fatalf("step %d (%s %s %s): with Enabled %x, without %x", i, c.Kind, c.Label, c.Fault, fa, fb)
		}
	}
}

// stepTransport is the transport a stepped run needs: whole messages.
var stepTransport = Transport{Kind: TransportDatagram}

// TestHashTraceOff: a runner that hashes no trace (HashTrace(false)) and
// remembers its homeserver's verifications (MemoCrypto(true)) goes through
// the same states as one that does neither, on the same path (the same
// fingerprints, choices and endings), and only its trace hash is empty.
func TestHashTraceOff(t *testing.T) {
	sc := snapCases[0]
	on, off := sc.runner(t), sc.runner(t)
	off.HashTrace(false)
	off.MemoCrypto(true)
	for seed := uint64(1); seed <= 2; seed++ {
		for _, r := range []*Runner{on, off} {
			if err := sc.start(r, seed); err != nil {
				t.Fatal(err)
			}
		}
		for step := 0; ; step++ {
			fa, _ := on.Fingerprint()
			fb, _ := off.Fingerprint()
			ca, cb := on.Enabled(nil), off.Enabled(nil)
			if fa != fb || len(ca) != len(cb) {
				t.Fatalf("seed %d step %d: fingerprints %x and %x, %d and %d choices", seed, step, fa, fb, len(ca), len(cb))
			}
			if len(ca) == 0 {
				break
			}
			c := ca[(step*7+int(seed))%len(ca)]
			for _, r := range []*Runner{on, off} {
				if err := r.Take(c); err != nil {
					t.Fatal(err)
				}
			}
		}
		ra, rb := on.Finish(), off.Finish()
		if ra.New != rb.New || ra.Existing != rb.Existing || (ra.Violation == nil) != (rb.Violation == nil) {
			t.Fatalf("seed %d: endings %+v %+v against %+v %+v", seed, ra.New, ra.Existing, rb.New, rb.Existing)
		}
		if ra.TraceHash == "" || rb.TraceHash != "" {
			t.Fatalf("seed %d: trace hashes %q (hashed) and %q (not hashed)", seed, ra.TraceHash, rb.TraceHash)
		}
	}
}
