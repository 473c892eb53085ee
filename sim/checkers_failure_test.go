package sim

import "testing"

// TestFailureChecker: after opening the peer's m.login.failure a device
// seals nothing and ends then with its reason (or unexpected_message_received
// when it cannot read it); m.login.declined means "declined"; a device
// that opened none is not judged.
func TestFailureChecker(t *testing.T) {
	var c failureChecker
	c.reset()
	if d := c.endComplaint(1, ActorExisting, &Ending{Outcome: "success", Success: true}); d != "" {
		t.Fatalf("judged without a failure: %s", d)
	}
	c.observeOpen(1, []byte(`{"type":"m.login.failure","reason":"user_cancelled"}`), 50)
	c.observeOpen(1, []byte(`{"type":"m.login.failure","reason":"other"}`), 60) // only the first counts
	if d := c.observeSeal(1, ActorExisting); d == "" {
		t.Error("a seal after the failure passed")
	}
	if d := c.observeSeal(0, ActorNew); d != "" {
		t.Errorf("the other device was judged: %s", d)
	}
	for _, e := range []struct {
		end Ending
		bad bool
	}{
		{Ending{Outcome: "failure user_cancelled", Reason: "user_cancelled", At: 50}, false},
		{Ending{Outcome: "failure unexpected_message_received", Reason: "unexpected_message_received", At: 50}, false},
		{Ending{Outcome: "failure user_cancelled", Reason: "user_cancelled", At: 70}, true},
		{Ending{Outcome: "failure timeout", Reason: "timeout", At: 50}, true},
		{Ending{}, true},
	} {
		if d := c.endComplaint(1, ActorExisting, &e.end); (d != "") != e.bad {
			t.Errorf("%+v: complaint %q, want one: %v", e.end, d, e.bad)
		}
	}
	c.observeOpen(0, []byte(`{"type":"m.login.declined"}`), 5)
	if d := c.endComplaint(0, ActorNew, &Ending{Outcome: "failure declined", Reason: "declined", At: 5}); d != "" {
		t.Errorf("declined: %s", d)
	}
}
