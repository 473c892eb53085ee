package sim

import (
	"bytes"
	"fmt"
	"strings"

	"qrlab/model/login"
	"qrlab/model/msg"
	"qrlab/model/oauth"
	"qrlab/model/variant"
	"qrlab/model/wire/canonicaljson"
)

// causeChecker judges, for every cause the simulator injected or the user
// acted on, that the device it hit ends with the reason the texts (or the
// variant) assign to it, and that the other side ends with the reason it
// was told. It is fed from outside: the user's record and the causes the
// simulator drew (a typo, a browser that fails, a refusal), the provider's
// answers as they arrived at the new device (denial, expiry), and the tap
// on both channels (the m.login.failure or m.login.declined each device
// sealed). The user-cancel rule is causeComplaint's; what a device does on
// its peer's m.login.failure is peer-failure-ends' (checkers_failure.go).
type causeChecker struct {
	// sealed is, per device (N, E), the first ending message it sealed.
	sealed [2]endMsg
	// token is the first token-poll answer that ends the grant (denied,
	// declined, expired) as it arrived at the new device.
	token struct {
		err string
		at  Millis
	}
	// grant is the new device's latest grant, created at grantAt: the one
	// whose device code the latest device authorization answer that
	// reached it carries, as the provider's log has it. A grant the
	// provider created for a request whose answer never reached the
	// device (lost, reset, or a duplicated request's second answer,
	// discarded) is not the device's: its user code is on no screen.
	grant   string
	grantAt Millis
}

// endMsg is one m.login.failure (reason) or m.login.declined.
type endMsg struct {
	typ, reason string
	// plain: the failure carries only its type and reason, so every
	// reader that knows the reason decodes it alike.
	plain bool
	at    Millis
}

func (c *causeChecker) reset() { *c = causeChecker{} }

var (
	failureB  = []byte(msg.TypeFailure)
	declinedB = []byte(msg.TypeDeclined)
)

// parseEnd reads an ending message from a sealed or opened plaintext.
func parseEnd(pt []byte, at Millis) (endMsg, bool) {
	if len(pt) == 0 || pt[0] != '{' || !bytes.Contains(pt, failureB) && !bytes.Contains(pt, declinedB) {
		return endMsg{}, false
	}
	v, err := canonicaljson.Parse(pt)
	if err != nil {
		return endMsg{}, false
	}
	f, ok := v.Get("type")
	if !ok || f.Kind != canonicaljson.String || (f.Str != msg.TypeFailure && f.Str != msg.TypeDeclined) {
		return endMsg{}, false
	}
	e := endMsg{typ: f.Str, at: at, plain: len(v.Obj) == 2}
	if r, ok := v.Get("reason"); ok && r.Kind == canonicaljson.String {
		e.reason = r.Str
	}
	return e, true
}

// observeSeal is the tap telling that device who sealed pt.
func (c *causeChecker) observeSeal(who Actor, pt []byte, at Millis) {
	if who != ActorNew && who != ActorExisting {
		return
	}
	if i := machineIndex(who); c.sealed[i].typ == "" {
		if e, ok := parseEnd(pt, at); ok {
			c.sealed[i] = e
		}
	}
}

// observeArrival is one answer of the provider to the new device arriving
// (a late or duplicated one is dropped before it): a device authorization
// answer names the device's grant (looked up in the provider's log, op, by
// the device code it carries), a token poll's may end it.
func (c *causeChecker) observeArrival(path string, body []byte, at Millis, op *oauth.Server) {
	p, _ := oauth.SplitPath(path)
	device := strings.HasSuffix(p, oauth.PathDeviceAuthorization)
	if !device && (c.token.err != "" || !strings.HasSuffix(p, oauth.PathToken)) {
		return
	}
	if device {
		if dc, ok := canonicaljson.TopString(body, "device_code"); ok {
			if g, ok := op.Grant(dc); ok {
				c.grant, c.grantAt = g.ID, g.CreatedAt
			}
		}
		return
	}
	v, err := canonicaljson.Parse(body)
	if err != nil {
		return
	}
	if f, ok := v.Get("error"); ok && f.Kind == canonicaljson.String {
		switch f.Str {
		case oauth.ErrorAccessDenied, oauth.ErrorAuthorizationDeclined, oauth.ErrorExpiredToken:
			c.token.err, c.token.at = f.Str, at
		}
	}
}

// expect is one cause's verdict: device who, not ended before at, must
// end at at with reason; when it seals an ending message then, it must be
// wireType carrying wireReason ("" for none).
type expect struct {
	cause                string
	who                  Actor
	at                   Millis
	reason               string
	wireType, wireReason string
}

// complaint judges every cause of the run once it is over; "" when each
// ended as it should.
func (c *causeChecker) complaint(r *Runner, w *run, res *Result) string {
	for _, e := range c.expectations(r, w) {
		if d := c.judge(&e, res); d != "" {
			return d
		}
	}
	return ""
}

// expectations lists the causes of the run with the reasons they call for.
func (c *causeChecker) expectations(r *Runner, w *run) []expect {
	var out []expect
	ev, nv := &r.cfg.Variant, &r.nv
	cancelled := string(msg.ReasonUserCancelled)
	for i := range w.user.Acts {
		a := &w.user.Acts[i]
		switch {
		case a.Kind == ActBrowserFailed:
			// The 2026 text's unable_to_open_verification_uri where the
			// variant has it, user_cancelled in the 2024 text's dialect.
			reason := cancelled
			if ev.Flow.UnableToOpenReason {
				reason = string(msg.ReasonUnableToOpenVerificationURI)
			}
			out = append(out, expect{"the browser could not open the verification URI", ActorExisting, a.At, reason, msg.TypeFailure, reason})
		case a.Kind == ActConfirmBrowser && !a.OK && ev.Flow.Ack == variant.AckAfterConfirm:
			// Only a design that acknowledges after the user confirms
			// asks the user about the browser step; the others have
			// nothing to refuse there.
			out = append(out, expect{"the user cancelled the browser step", ActorExisting, a.At, cancelled, msg.TypeFailure, cancelled})
		case a.Kind == ActConfirmAccount && !a.OK:
			out = append(out, expect{"the user rejected the account", ActorNew, a.At, cancelled, msg.TypeFailure, cancelled})
		case a.Kind == ActTypedCode && w.typo && !w.blindCode:
			// A typo the simulator injected: the device that checks the
			// code ends there, with nothing on the wire to say why.
			if shown := w.user.last(ActSawCheckCode, ActorNone); shown != nil && shown.Text != a.Text {
				out = append(out, expect{"the user mistyped the check code", a.Device, a.At, string(login.ReasonCheckCodeMismatch), "", ""})
			}
		}
	}
	switch c.token.err {
	case oauth.ErrorAccessDenied, oauth.ErrorAuthorizationDeclined:
		e := expect{"the provider answered the token poll " + c.token.err, ActorNew, c.token.at, string(login.ReasonDeclined), msg.TypeDeclined, ""}
		if nv.Flow.Denial == variant.DenialUserCancelled {
			e.reason, e.wireType, e.wireReason = cancelled, msg.TypeFailure, cancelled
		}
		out = append(out, e)
	case oauth.ErrorExpiredToken:
		exp := string(msg.ReasonAuthorizationExpired)
		out = append(out, expect{"the provider answered the token poll expired_token", ActorNew, c.token.at, exp, msg.TypeFailure, exp})
	}
	if e, ok := c.expiry(r, w); ok {
		out = append(out, e)
	}
	return out
}

const causeExpired = "the device code expired"

// expiry is the device code's lifetime running out: the new device's
// latest grant, on which the user had not decided when the provider's
// lifetime for it ended, ends the new device then with
// authorization_expired (its own deadline, or the provider's
// expired_token, whichever comes first: no exact time).
func (c *causeChecker) expiry(r *Runner, w *run) (expect, bool) {
	if c.grant == "" {
		return expect{}, false
	}
	at := c.grantAt + r.oc.ExpiresIn
	for i := range w.user.Acts {
		if a := &w.user.Acts[i]; a.Kind == ActConsent && a.Grant == c.grant && a.At < at {
			return expect{}, false
		}
	}
	exp := string(msg.ReasonAuthorizationExpired)
	return expect{causeExpired, ActorNew, at, exp, msg.TypeFailure, exp}, true
}

// judge checks one expectation against the device's screen and what its
// channel sealed.
func (c *causeChecker) judge(e *expect, res *Result) string {
	end := &res.New
	if e.who == ActorExisting {
		end = &res.Existing
	}
	if end.Outcome == "" || end.At < e.at {
		return "" // it had ended already, or never (termination's to judge)
	}
	at := e.at
	if e.cause == causeExpired {
		// Its own deadline or the provider's expired_token answer,
		// whichever came first; or the network ended it at that moment.
		at = end.At
		if end.Reason == string(login.ReasonTimeout) || end.Reason == string(login.ReasonHTTPError) {
			return ""
		}
	}
	if end.At != at || end.Reason != e.reason {
		return fmt.Sprintf("%s on %s at %d ms, but it ended %q (reason %q) at %d ms, not with %s",
			e.cause, e.who, e.at, end.Outcome, end.Reason, end.At, e.reason)
	}
	s := &c.sealed[machineIndex(e.who)]
	if s.typ == "" || s.at != at {
		return ""
	}
	switch {
	case e.wireType == "":
		return fmt.Sprintf("%s on %s at %d ms: it sealed %s (%q), though this ending has nothing to tell the peer", e.cause, e.who, at, s.typ, s.reason)
	case s.typ != e.wireType || s.reason != e.wireReason:
		return fmt.Sprintf("%s on %s at %d ms: it told the peer %s %q, not %s %q", e.cause, e.who, at, s.typ, s.reason, e.wireType, e.wireReason)
	}
	return ""
}
