package sim

import (
	"testing"

	"qrlab/model/login"
	"qrlab/model/variant"
)

// walkTo steps r, taking the first choice without a decision, until a
// choice with decision f is enabled, and returns it.
func walkTo(t *testing.T, r *Runner, f Fault) Choice {
	t.Helper()
	var buf []Choice
	for range 500 {
		buf = r.Enabled(buf)
		if len(buf) == 0 {
			break
		}
		for _, c := range buf {
			if c.Fault == f {
				return c
			}
		}
		if err := r.Take(buf[0]); err != nil {
			t.Fatal(err)
		}
	}
	t.Fatalf("no choice %s on the way", f)
	return Choice{}
}

// TestCarelessTypo: a careless stepped run offers a typo where the user
// types the check code; taking it types a wrong code (the last digit off by
// one) and the device that checks it ends with a check-code mismatch, with
// no violation (the cause checkers expect that ending).
func TestCarelessTypo(t *testing.T) {
	r, err := NewRunner(Config{Variant: variant.MustLoad("msc4388"), Network: stepNet(t), Transport: stepTransport, KeepTrace: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.StartStepped(1, Stepping{Careless: true}); err != nil {
		t.Fatal(err)
	}
	c := walkTo(t, r, DecideTypo)
	if c.Kind != "user" {
		t.Errorf("the typo is a choice of kind %q, want user", c.Kind)
	}
	if err := r.Take(c); err != nil {
		t.Fatal(err)
	}
	shown := r.User().last(ActSawCheckCode, ActorNone)
	typed := r.User().last(ActTypedCode, ActorNone)
	if shown == nil || typed == nil || typed.Text == shown.Text || typed.Text != typo(shown.Text, len(shown.Text)-1) {
		t.Fatalf("shown %v, typed %v: want the shown code with its last digit off by one", shown, typed)
	}
	var buf []Choice
	for len(r.Enabled(buf)) > 0 {
		buf = r.Enabled(buf)
		if err := r.Take(buf[0]); err != nil {
			t.Fatal(err)
		}
	}
	res := r.Finish()
	if res.Violation != nil {
		t.Fatalf("violation %v", res.Violation)
	}
	if res.New.Reason != string(login.ReasonCheckCodeMismatch) && res.Existing.Reason != string(login.ReasonCheckCodeMismatch) {
		t.Errorf("endings N %s (%s), E %s (%s): no check-code mismatch", res.New.Outcome, res.New.Reason, res.Existing.Outcome,
			res.Existing.Reason)
	}
}

// TestAttentiveNoDecisions: an attentive stepped run lists no decision and
// refuses one.
func TestAttentiveNoDecisions(t *testing.T) {
	r, err := NewRunner(Config{Variant: variant.MustLoad("msc4388"), Network: stepNet(t), Transport: stepTransport})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.StartStepped(1, Stepping{}); err != nil {
		t.Fatal(err)
	}
	var buf []Choice
	for range 60 {
		buf = r.Enabled(buf)
		if len(buf) == 0 {
			break
		}
		for _, c := range buf {
			if c.Fault.Decision() {
				t.Fatalf("attentive run offers %s on %s", c.Fault, c.Label)
			}
			if c.Kind == "user" {
				if err := r.Take(Choice{Seq: c.Seq, Fault: DecideCancel}); err == nil {
					t.Fatalf("attentive run took a cancel on %s", c.Label)
				}
			}
		}
		if err := r.Take(buf[0]); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDecisionNames(t *testing.T) {
	for f := DecideTypo; f <= DecideTypoFirst; f++ {
		if name, ok := decisionName(f); !ok || f.String() != name || name == "deliver" {
			t.Errorf("decision %d: name %q, String %q", f, name, f.String())
		}
	}
	if FaultLose.Decision() || FaultNone.Decision() {
		t.Error("a network fault counted as a decision")
	}
	if typo("21", 1) != "22" || typo("09", 1) != "00" || typo("91", 0) != "01" || typo("21", 2) != "21" {
		t.Errorf("typo(21, 1) %q, typo(09, 1) %q, typo(91, 0) %q", typo("21", 1), typo("09", 1), typo("91", 0))
	}
}

// TestCarelessNotCarried: an ordinary run after a careless stepped run on
// the same runner is the ordinary run (the same trace as on a fresh
// runner): the careless user is a stepped run's choice only.
func TestCarelessNotCarried(t *testing.T) {
	cfg := Config{Variant: variant.MustLoad("msc4388"), Network: stepNet(t), Transport: stepTransport, KeepTrace: true,
		Adversaries: []string{"account-confusion"}, User: DefaultUser()}
	cfg.User.Scan = Constant(60000) // the attacker's device gets to show its code
	fresh, err := NewRunner(cfg)
	if err != nil {
		t.Fatal(err)
	}
	want, err := fresh.Run(1)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRunner(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.StartStepped(1, Stepping{Careless: true}); err != nil {
		t.Fatal(err)
	}
	got, err := r.Run(1)
	if err != nil {
		t.Fatal(err)
	}
	if got.TraceHash != want.TraceHash {
		t.Errorf("trace %s after a careless stepped run, %s on a fresh runner", got.TraceHash, want.TraceHash)
	}
}
