package sim

import (
	"fmt"
	"strings"

	"qrlab/model/channel"
	"qrlab/model/homeserver"
	"qrlab/model/msg"
	"qrlab/model/oauth"
	"qrlab/model/wire/canonicaljson"
)

// The checkers below judge the devices from outside, each fed by one
// narrow observe call with what an observer outside the devices sees: the
// user's record (UserRecord), the bytes on the wire (HTTP requests and
// answers), the servers' logs (the provider's effects, the homeserver's
// device list), and the lab's tap on the channel layer (channel.Config's
// Observe and ObserveOpen: every payload a device's channel seals, with its
// key, nonce, public keys and plaintext, and every payload it opens, told
// by the crypto code, not by the login machine). None reads what a login machine says about itself (its Facts,
// counters or keys): a device wrong about its own state is judged by what
// it did.
//
// Why the tap and not the wire for "E sealed m.login.secrets": the wire
// carries ciphertext only, and the lab's eavesdropper must not be able to
// read it; the tap sees the plaintext at the moment the channel seals it,
// the way a debugger on the existing device would, and it is the channel
// code that reports it, whatever the login machine believes it did.

// nonceChecker: never one nonce twice under one key, across both devices
// and every session of the run.
type nonceChecker struct {
	seen map[nonceUse]Actor
}

type nonceUse struct {
	key   channel.KeyFingerprint
	nonce [channel.NonceSize]byte
}

func (c *nonceChecker) reset() {
	if c.seen == nil {
		c.seen = map[nonceUse]Actor{}
	}
	clear(c.seen)
}

// observe records one seal; it returns the device that used the same
// (key, nonce) before, or ActorNone.
func (c *nonceChecker) observe(who Actor, s *channel.Sealing) Actor {
	u := nonceUse{key: s.Key, nonce: s.Nonce}
	if prev, ok := c.seen[u]; ok {
		return prev
	}
	c.seen[u] = who
	return ActorNone
}

// deviceChecker follows, on the wire and in the servers' logs, which device
// the new device asked to become, the existing device's device check, and
// the homeserver's whoami answers to the new device. The device check and
// whoami are what the devices were told: the answers as they reached them
// (observeHS is called at an answer's arrival, not when the homeserver
// serves it, so an answer the network lost or reset, or a duplicate the
// client discarded, is not counted as heard).
type deviceChecker struct {
	// newDevice is the device ID of the new device's latest grant (the
	// provider's log).
	newDevice string
	// newGrant is the grant the provider issued the new device's token
	// for.
	newGrant string
	// newUser is the account the provider issued that device's token for.
	newUser string
	// checked404 holds the device IDs for which a 404 from the homeserver
	// reached the existing device, and when.
	checked404 []deviceAt
	// whoami is the last 200 answer to the new device's whoami that
	// reached it.
	whoamiUser, whoamiDevice string
	whoamiSeen               bool
}

type deviceAt struct {
	id string
	at Millis
}

func (c *deviceChecker) reset() {
	c.newDevice, c.newGrant, c.newUser, c.whoamiUser, c.whoamiDevice, c.whoamiSeen = "", "", "", "", "", false
	c.checked404 = c.checked404[:0]
}

// observeHS is one homeserver answer reaching client at at.
func (c *deviceChecker) observeHS(at Millis, client Actor, method, path string, status int, body []byte) {
	p, _ := oauth.SplitPath(path)
	switch {
	case client == ActorExisting && method == "GET" && status == 404:
		if i := strings.LastIndex(p, "/devices/"); i >= 0 {
			if id, err := oauth.PathUnescape(p[i+len("/devices/"):]); err == nil {
				c.checked404 = append(c.checked404, deviceAt{id: id, at: at})
			}
		}
	case client == ActorNew && status == 200 && strings.HasSuffix(p, homeserver.PathWhoami):
		v, err := canonicaljson.Parse(body)
		if err != nil {
			return
		}
		c.whoamiSeen = true
		c.whoamiUser, c.whoamiDevice = "", ""
		if f, ok := v.Get("user_id"); ok && f.Kind == canonicaljson.String {
			c.whoamiUser = f.Str
		}
		if f, ok := v.Get("device_id"); ok && f.Kind == canonicaljson.String {
			c.whoamiDevice = f.Str
		}
	}
}

// checkedBefore reports whether a 404 for id from the homeserver reached
// the existing device at or before t.
func (c *deviceChecker) checkedBefore(id string, t Millis) bool {
	for _, d := range c.checked404 {
		if d.id == id && d.at <= t {
			return true
		}
	}
	return false
}

// grantChecker: the provider issues a token for the user's account only for
// a grant the user approved on its consent page.
type grantChecker struct {
	approved []string // grants the provider logged as approved
}

func (c *grantChecker) reset() { c.approved = c.approved[:0] }

// observe is one provider effect; it returns a complaint, or "".
func (c *grantChecker) observe(f *oauth.Effect, user *UserRecord) string {
	switch f.Kind {
	case oauth.EffectApproved:
		c.approved = append(c.approved, f.Grant)
	case oauth.EffectTokenIssued:
		if f.User != AliceID {
			return "" // an attacker's own account
		}
		if !userApproved(user, f.Grant) {
			return "the provider issued a token for " + f.User + " (device " + f.Device + ", grant " + f.Grant +
				") that the user never approved on its consent page"
		}
		for _, g := range c.approved {
			if g == f.Grant {
				return ""
			}
		}
		return "the provider issued a token for grant " + f.Grant + " it never logged as approved"
	}
	return ""
}

// userApproved reports whether the user's last decision on grant's consent
// page was to approve it.
func userApproved(u *UserRecord, grant string) bool {
	for i := len(u.Acts) - 1; i >= 0; i-- {
		if a := &u.Acts[i]; a.Kind == ActConsent && a.Grant == grant {
			return a.OK
		}
	}
	return false
}

// causeComplaint judges the endings the screens showed against the causes
// in the user's record: a device the user cancelled on before it ended
// ends then, with user_cancelled. It returns a complaint, or "".
func causeComplaint(u *UserRecord, res *Result) string {
	for i := range u.Acts {
		a := &u.Acts[i]
		if a.Kind != ActCancel {
			continue
		}
		end := &res.New
		if a.Device == ActorExisting {
			end = &res.Existing
		}
		if end.Outcome != "" && end.At < a.At {
			continue // it had ended already
		}
		if end.Outcome == "" || end.At != a.At || end.Reason != string(msg.ReasonUserCancelled) {
			return fmt.Sprintf("the user cancelled on %s at %d ms, but it ended %q (reason %q) at %d ms", a.Device, a.At, end.Outcome, end.Reason, end.At)
		}
	}
	return ""
}

// messageType is the "type" of a sealed m.login.* message ("" for the
// handshake's fixed strings or anything else).
func messageType(pt []byte) string {
	if len(pt) == 0 || pt[0] != '{' {
		return ""
	}
	t, _ := canonicaljson.TopString(pt, "type")
	return t
}
