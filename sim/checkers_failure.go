package sim

import (
	"fmt"

	"qrlab/model/login"
	"qrlab/model/msg"
)

// InvFailureEnds: a device that opens m.login.failure (or
// m.login.declined), told by the tap on its channel, ends the login there
// and then, and seals nothing after it. Its reason is the message's when
// the failure carries only a reason the device's message generation knows
// (declined for m.login.declined); for any other failure (a reason it does
// not know, extra fields) the message's reason or
// unexpected_message_received.
const InvFailureEnds = "peer-failure-ends"

// failureChecker follows, per login device, the first m.login.failure or
// m.login.declined it opened.
type failureChecker struct {
	got [2]peerFailure
}

type peerFailure struct {
	endMsg
	seen bool
}

func (c *failureChecker) reset() { c.got = [2]peerFailure{} }

// observeOpen is device i (0 N, 1 E) opening plaintext pt at at.
func (c *failureChecker) observeOpen(i int, pt []byte, at Millis) {
	if i > 1 || c.got[i].seen {
		return
	}
	if e, ok := parseEnd(pt, at); ok {
		c.got[i] = peerFailure{endMsg: e, seen: true}
	}
}

// observeSeal is device i sealing a payload; it returns a complaint, or "".
func (c *failureChecker) observeSeal(i int, who Actor) string {
	if i > 1 || !c.got[i].seen {
		return ""
	}
	return fmt.Sprintf("%s sealed a payload after it opened the peer's %s (%q) at %d ms", who, c.got[i].typ, c.got[i].reason, c.got[i].at)
}

// want is the reason a device of generation gen must end with on the
// failure it opened, and whether unexpected_message_received also does.
func (g *peerFailure) want(gen msg.Generation) (reason string, orUnexpected bool) {
	if g.typ == msg.TypeDeclined {
		return string(login.ReasonDeclined), false
	}
	if g.plain && msg.Reason(g.reason).Known(gen) {
		return g.reason, false
	}
	return g.reason, true
}

// endComplaint judges device i's ending (its screen) against the failure
// it opened; gen is the device's message generation.
func (c *failureChecker) endComplaint(i int, who Actor, gen msg.Generation, e *Ending) string {
	if i > 1 || !c.got[i].seen {
		return ""
	}
	g := &c.got[i]
	want, orUnexpected := g.want(gen)
	if e.Outcome == "" || e.Success || e.At != g.at ||
		(e.Reason != want && !(orUnexpected && e.Reason == string(msg.ReasonUnexpectedMessageReceived))) {
		also := ""
		if orUnexpected {
			also = " or " + string(msg.ReasonUnexpectedMessageReceived)
		}
		return fmt.Sprintf("%s opened the peer's %s (%q) at %d ms, but it ended %q (reason %q) at %d ms, not then with %s%s",
			who, g.typ, g.reason, g.at, e.Outcome, e.Reason, e.At, want, also)
	}
	return ""
}
