package sim

import (
	"bytes"
	"fmt"

	"qrlab/model/msg"
)

// rogueChecker is unexpected-message-ends for the payloads a rogue peer
// adversary injected (the simulator knows them): once the existing device
// opened one (the tap), it seals nothing but m.login.failure and ends with
// the reason the payload calls for (unexpected_message_received, or
// unsupported_protocol for a protocol it does not speak) on its screen.
type rogueChecker struct {
	injected   []byte
	desc, want string
	// skip: how many opens of the same plaintext are the honest ones (the
	// handshake payload a rogue sends a second time).
	skip int
	// openedAt is when E opened the injected payload (-1: not yet).
	openedAt Millis
}

func (c *rogueChecker) reset() { *c = rogueChecker{openedAt: -1} }

// expect is the adversary telling what it injected, and the ending it
// calls for.
func (c *rogueChecker) expect(pt []byte, desc, want string, skip int) {
	c.injected, c.desc, c.want, c.skip = pt, desc, want, skip
}

// observeOpen is E opening pt from N at at.
func (c *rogueChecker) observeOpen(pt []byte, at Millis) {
	if c.injected == nil || c.openedAt >= 0 || !bytes.Equal(pt, c.injected) {
		return
	}
	if c.skip > 0 {
		c.skip--
		return
	}
	c.openedAt = at
}

// observeSeal is E sealing a message of type t; it returns a complaint, or "".
func (c *rogueChecker) observeSeal(t string) string {
	if c.openedAt < 0 || t == msg.TypeFailure {
		return ""
	}
	if t == "" {
		t = "a payload"
	}
	return fmt.Sprintf("E sealed %s after it opened %s from the new device at %d ms", t, c.desc, c.openedAt)
}

// endComplaint judges E's ending (its screen) once the run is over.
func (c *rogueChecker) endComplaint(res *Result) string {
	if c.openedAt < 0 {
		return ""
	}
	if e := &res.Existing; e.Outcome == "" || e.Success || e.Reason != c.want || e.At != c.openedAt {
		return fmt.Sprintf("E opened %s from the new device at %d ms, but it ended %q (reason %q) at %d ms, not there with %s",
			c.desc, c.openedAt, e.Outcome, e.Reason, e.At, c.want)
	}
	return ""
}
