package sim

import (
	"fmt"

	"qrlab/model/login"
)

// cameraChecker judges the camera adversary's runs from what it injected
// and the devices' screens: a device never signs in on a QR code it
// misread, a scan that cannot be a QR code of the design (truncated, an
// unknown intent) ends the scanning device there with invalid_qr, and a
// corrupted payload is never signed in past.
type cameraChecker struct {
	what string
	// decodeFails: the misread cannot decode.
	decodeFails bool
	// scanner and scanAt: who misread, when (ActorNone: no misread yet).
	scanner Actor
	scanAt  Millis
	// reader: who was handed the corrupted payload (ActorNone: nobody),
	// when its answer reached it: an answer the network loses on its way
	// hands nothing over.
	reader    Actor
	corruptAt Millis
	// served: the answer being served carries the corrupted payload,
	// servedBody (taken by the exchange's answer, arrival.corrupt).
	served     bool
	servedBody string
}

func (c *cameraChecker) reset() { *c = cameraChecker{} }

func (c *cameraChecker) start(what string, decodeFails bool) {
	c.what, c.decodeFails = what, decodeFails
}

func (c *cameraChecker) misread(scanner Actor, at Millis) { c.scanner, c.scanAt = scanner, at }

// corruptedServed notes that the answer being served carries the
// corrupted payload in body; it counts once that answer reaches its
// client.
func (c *cameraChecker) corruptedServed(body []byte) { c.served, c.servedBody = true, string(body) }

// takeServed reports, once, whether the answer just served, whose status
// and body leave the server, carries the corrupted payload: an adversary
// acting on the answer after the camera may have answered otherwise (a
// 404 as if the session were gone), and then no corrupted payload is
// handed over.
func (c *cameraChecker) takeServed(status int, body []byte) bool {
	s := c.served && status == 200 && string(body) == c.servedBody
	c.served, c.servedBody = false, ""
	return s
}

// corrupted notes that reader received the corrupted payload at at.
func (c *cameraChecker) corrupted(reader Actor, at Millis) {
	if c.reader == ActorNone {
		c.reader, c.corruptAt = reader, at
	}
}

// complaint judges the run once it is over; "" when the devices refused
// cleanly.
func (c *cameraChecker) complaint(res *Result) string {
	if c.scanner != ActorNone {
		if res.New.Success || res.Existing.Success {
			return fmt.Sprintf("a login signed in after the %s (%s at %d ms)", c.what, c.scanner, c.scanAt)
		}
		end := &res.New
		if c.scanner == ActorExisting {
			end = &res.Existing
		}
		want := string(login.ReasonInvalidQR)
		if c.decodeFails && end.Outcome != "" && end.At >= c.scanAt && (end.At != c.scanAt || end.Reason != want) {
			return fmt.Sprintf("%s on %s at %d ms, but it ended %q (reason %q) at %d ms, not there with %s",
				c.what, c.scanner, c.scanAt, end.Outcome, end.Reason, end.At, want)
		}
	}
	if c.reader != ActorNone {
		if res.New.Success || res.Existing.Success {
			return fmt.Sprintf("a login signed in after the %s (to %s at %d ms)", c.what, c.reader, c.corruptAt)
		}
		end := &res.New
		if c.reader == ActorExisting {
			end = &res.Existing
		}
		if want := string(login.ReasonChannelIntegrity); end.Outcome != "" && end.At >= c.corruptAt && end.Reason != want {
			return fmt.Sprintf("%s to %s at %d ms, but it ended %q (reason %q) at %d ms, not with %s",
				c.what, c.reader, c.corruptAt, end.Outcome, end.Reason, end.At, want)
		}
	}
	return ""
}
