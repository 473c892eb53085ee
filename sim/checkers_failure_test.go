package sim

import (
	"testing"

	"qrlab/model/msg"
)

// TestFailureChecker: after opening the peer's m.login.failure a device
// seals nothing and ends then; with a reason its generation knows, with
// exactly that reason; with one it does not know (or extra fields), with
// it or unexpected_message_received; m.login.declined means "declined"; a
// device that opened none is not judged.
func TestFailureChecker(t *testing.T) {
	var c failureChecker
	c.reset()
	if d := c.endComplaint(1, ActorExisting, msg.Gen2026, &Ending{Outcome: "success", Success: true}); d != "" {
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
		// A known reason: the device must end with it, not with
		// unexpected_message_received.
		{Ending{Outcome: "failure unexpected_message_received", Reason: "unexpected_message_received", At: 50}, true},
		{Ending{Outcome: "failure user_cancelled", Reason: "user_cancelled", At: 70}, true},
		{Ending{Outcome: "failure user_cancelled", Reason: "user_cancelled", At: 40}, true},
		{Ending{Outcome: "failure timeout", Reason: "timeout", At: 50}, true},
		{Ending{}, true},
	} {
		if d := c.endComplaint(1, ActorExisting, msg.Gen2026, &e.end); (d != "") != e.bad {
			t.Errorf("%+v: complaint %q, want one: %v", e.end, d, e.bad)
		}
	}
	c.observeOpen(0, []byte(`{"type":"m.login.declined"}`), 5)
	if d := c.endComplaint(0, ActorNew, msg.Gen2026, &Ending{Outcome: "failure declined", Reason: "declined", At: 5}); d != "" {
		t.Errorf("declined: %s", d)
	}
}

// TestFailureCheckerUnknownReason: a reason the device's generation does
// not know (the 2026 text's unable_to_open_verification_uri read by a
// 2024 device), or a failure with more than type and reason, may end the
// device with unexpected_message_received as well as with the reason;
// the same reason known to a 2026 device may not.
func TestFailureCheckerUnknownReason(t *testing.T) {
	unexpected := &Ending{Outcome: "failure", Reason: string(msg.ReasonUnexpectedMessageReceived), At: 10}
	for _, tc := range []struct {
		pt  string
		gen msg.Generation
		bad bool
	}{
		{`{"type":"m.login.failure","reason":"unable_to_open_verification_uri"}`, msg.Gen2024, false},
		{`{"type":"m.login.failure","reason":"unable_to_open_verification_uri"}`, msg.Gen2026, true},
		{`{"type":"m.login.failure","reason":"user_cancelled","extra":1}`, msg.Gen2026, false},
		{`{"type":"m.login.failure","reason":"no_such_reason"}`, msg.Gen2026, false},
	} {
		var c failureChecker
		c.observeOpen(0, []byte(tc.pt), 10)
		if d := c.endComplaint(0, ActorNew, tc.gen, unexpected); (d != "") != tc.bad {
			t.Errorf("%s (%v): complaint %q, want one: %v", tc.pt, tc.gen, d, tc.bad)
		}
	}
}
