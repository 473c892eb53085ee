package sim

import (
	"fmt"

	"qrlab/model/msg"
	"qrlab/model/wire/canonicaljson"
)

// InvFailureEnds: a device that opens m.login.failure (or
// m.login.declined) from its peer, told by the tap on its channel, ends the
// login there and then, with the reason the message carries (declined for
// m.login.declined; unexpected_message_received when it cannot read the
// reason), and seals nothing after it.
const InvFailureEnds = "peer-failure-ends"

// failureChecker follows, per login device, the first m.login.failure or
// m.login.declined it opened from the other.
type failureChecker struct {
	got [2]peerFailure
}

type peerFailure struct {
	seen   bool
	at     Millis
	reason string // the reason the device must end with
}

func (c *failureChecker) reset() { c.got = [2]peerFailure{} }

// observeOpen is device i (0 N, 1 E) opening plaintext pt at at.
func (c *failureChecker) observeOpen(i int, pt []byte, at Millis) {
	if i > 1 || c.got[i].seen {
		return
	}
	switch messageType(pt) {
	case msg.TypeDeclined:
		c.got[i] = peerFailure{seen: true, at: at, reason: "declined"}
	case msg.TypeFailure:
		reason := ""
		if v, err := canonicaljson.Parse(pt); err == nil {
			if f, ok := v.Get("reason"); ok && f.Kind == canonicaljson.String {
				reason = f.Str
			}
		}
		c.got[i] = peerFailure{seen: true, at: at, reason: reason}
	}
}

// observeSeal is device i sealing a payload; it returns a complaint, or "".
func (c *failureChecker) observeSeal(i int, who Actor) string {
	if i > 1 || !c.got[i].seen {
		return ""
	}
	return fmt.Sprintf("%s sealed a payload after it opened the peer's m.login.failure (%q) at %d ms", who, c.got[i].reason, c.got[i].at)
}

// endComplaint judges device i's ending (its screen) against the failure
// it opened.
func (c *failureChecker) endComplaint(i int, who Actor, e *Ending) string {
	if i > 1 || !c.got[i].seen {
		return ""
	}
	g := &c.got[i]
	if e.Outcome == "" || e.Success || e.At != g.at ||
		(e.Reason != g.reason && e.Reason != string(msg.ReasonUnexpectedMessageReceived)) {
		return fmt.Sprintf("%s opened the peer's failure (%q) at %d ms, but it ended %q (reason %q) at %d ms",
			who, g.reason, g.at, e.Outcome, e.Reason, e.At)
	}
	return ""
}
