package sim

import (
	"fmt"

	"qrlab/model/msg"
)

// InvUnexpectedEnds: a device that opens a message out of place (told by
// the tap on its channel) ends the login there, with
// unexpected_message_received on its screen, and seals nothing after it
// but m.login.failure.
const InvUnexpectedEnds = "unexpected-message-ends"

// orderChecker follows, from the tap, the m.login.* messages the existing
// device opened from the new device. The order it judges is the one every
// design shares: m.login.protocol comes before m.login.success, and
// neither comes twice.
type orderChecker struct {
	opened  map[string]bool
	outOf   string // the first out-of-place message E opened ("" none)
	outOfAt Millis
}

func (c *orderChecker) reset() {
	if c.opened == nil {
		c.opened = map[string]bool{}
	}
	clear(c.opened)
	c.outOf, c.outOfAt = "", 0
}

// observeOpen is E opening a message of type t from N at at.
func (c *orderChecker) observeOpen(t string, at Millis) {
	if c.outOf != "" || (t != msg.TypeProtocol && t != msg.TypeSuccess) {
		return
	}
	switch {
	case c.opened[t]:
		c.outOf = "a second " + t
	case t == msg.TypeSuccess && !c.opened[msg.TypeProtocol]:
		c.outOf = t + " before any " + msg.TypeProtocol
	}
	if c.outOf != "" {
		c.outOfAt = at
	}
	c.opened[t] = true
}

// observeSeal is E sealing a message of type t; it returns a complaint, or "".
func (c *orderChecker) observeSeal(t string) string {
	if c.outOf == "" || t == msg.TypeFailure {
		return ""
	}
	if t == "" {
		t = "a payload"
	}
	return fmt.Sprintf("E sealed %s after it opened %s at %d ms", t, c.outOf, c.outOfAt)
}

// endComplaint judges E's ending (its screen) once the run is over.
func (c *orderChecker) endComplaint(res *Result) string {
	if c.outOf == "" {
		return ""
	}
	if e := &res.Existing; e.Outcome == "" || e.Success || e.Reason != string(msg.ReasonUnexpectedMessageReceived) {
		return fmt.Sprintf("E opened %s at %d ms, but it ended %q (reason %q) at %d ms, not with %s",
			c.outOf, c.outOfAt, e.Outcome, e.Reason, e.At, msg.ReasonUnexpectedMessageReceived)
	}
	return ""
}
