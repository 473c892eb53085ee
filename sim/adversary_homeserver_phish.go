package sim

import (
	"strings"

	"qrlab/model/oauth"
	"qrlab/model/wire"
	"qrlab/model/wire/canonicaljson"
)

// remotePhishingMaliciousHS is MSC4108 5706fd4's "remote client +
// malicious homeserver" (section "Social Engineering: Sign in with QR
// remote phishing"): the new device showing the QR code is the attacker's,
// the victim's existing device scans it, and the homeserver (with its
// provider) is the attacker's too, so it approves the attacker's grant for
// the victim's account itself, with no consent page ever shown: the
// attacker gets an access token with no action of the victim. The
// end-to-end secrets still need the victim to read the check code out to
// the attacker (the user's blind-confirm rate, a human factor); the text's
// mitigations for this variant are warnings in the existing client's UI,
// which the lab does not model. The provider's word is the attacker's, so
// token-only-for-approved-grant is not the design's to keep; a token the
// attacker gets this way is exposure malicious-homeserver.
type remotePhishingMaliciousHS struct {
	noAdversary
	uri, userCode string
	fx            []oauth.Effect
}

func (*remotePhishingMaliciousHS) name() string { return "remote-phishing-malicious-homeserver" }

func (a *remotePhishingMaliciousHS) start(r *Runner, w *run) {
	w.newIsAttacker, w.newScreenHidden = true, true
	w.mon.providerOwned = true
	a.uri, a.userCode = "", ""
	w.res.AdversaryActs++
}

// clientServerAnswer reads the attacker's device authorization and
// schedules the server's own approval, a second later.
func (a *remotePhishingMaliciousHS) clientServerAnswer(r *Runner, w *run, x *exchange, resp *oauth.Response) {
	if x.client != ActorNew || resp.Status != 200 || !strings.HasSuffix(pathOf(x.req.URL), oauth.PathDeviceAuthorization) || a.uri != "" {
		return
	}
	v, err := canonicaljson.Parse(resp.Body)
	if err != nil {
		return
	}
	a.uri, a.userCode = strMember(&v, "verification_uri_complete"), strMember(&v, "user_code")
	if a.uri == "" {
		a.uri = strMember(&v, "verification_uri")
	}
	r.advEvent(w.now+1000, a, 0, "approve")
}

// timer: the provider walks its own consent flow as the victim's account.
func (a *remotePhishingMaliciousHS) timer(r *Runner, w *run, ev *event) {
	sess := oauth.Session{UserID: AliceID, Browser: "the malicious homeserver itself"}
	req := oauth.Request{Method: "GET", Path: pathOf(a.uri)}
	for range 6 {
		var page oauth.Page
		r.touch(partOP)
		_, page, a.fx = w.op.BrowseAppend(w.now, &req, sess, a.fx[:0])
		if !r.unchecked {
			w.mon.providerEffects(w, ActorAttacker, a.fx)
		}
		switch page.Kind {
		case oauth.PageRedirect:
			req = oauth.Request{Method: "GET", Path: pathOf(page.Location)}
		case oauth.PageEnterCode:
			req = oauth.Request{Method: "POST", Path: page.FormAction, Header: wire.NewHeader("Content-Type", wire.ContentTypeForm),
				Body: oauth.EncodeForm("code", a.userCode)}
		case oauth.PageConsent:
			req = oauth.Request{Method: "POST", Path: req.Path, Header: wire.NewHeader("Content-Type", wire.ContentTypeForm),
				Body: oauth.EncodeForm("action", oauth.ActionConsent)}
		case oauth.PageApproved:
			w.atkToken, w.exposure = true, "malicious-homeserver"
			r.tr.add(Event{At: w.now, Kind: EvUser, Actor: ActorAttacker, Peer: ActorOP, Name: "the malicious homeserver approved the attacker's grant as " + AliceID})
			return
		default:
			return
		}
	}
}
