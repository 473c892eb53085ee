package sim

import (
	"net/url"
	"strings"

	"qrlab/model/login"
	"qrlab/model/oauth"
	"qrlab/model/rendezvous"
	"qrlab/model/wire"
	"qrlab/model/wire/canonicaljson"
)

// tlsProxy is the eavesdropper at another vantage: a proxy that terminates
// TLS between the devices and the homeserver and provider (a corporate
// middlebox, a compromised CDN), so it reads the client-server and OAuth
// bodies and headers as well as the rendezvous payloads. It counts what it
// learns (bearer tokens, device codes, user codes, access and refresh
// tokens), and uses the one thing the protocol hands it that it can play
// within the run: with the new device's device code and client ID, read
// from a token poll, it polls the token endpoint itself, and once the user
// approves it may get the access token first. What it learns is no
// protocol violation (TLS is the premise the texts build on); a token it
// obtains is exposure tls-terminated. The secure channel's payloads stay
// ciphertext to it, as to the eavesdropper.
type tlsProxy struct {
	noAdversary
	deviceCode, clientID string
	seen                 map[string]bool
	polls                int
}

func (*tlsProxy) name() string { return "tls-proxy" }

func (a *tlsProxy) start(r *Runner, w *run) {
	a.deviceCode, a.clientID, a.polls = "", "", 0
	if a.seen == nil {
		a.seen = map[string]bool{}
	}
	clear(a.seen)
}

// learned records one kind of credential the proxy read, once per value.
func (a *tlsProxy) learned(r *Runner, w *run, kind, value string) {
	if value == "" || a.seen[kind+value] {
		return
	}
	a.seen[kind+value] = true
	w.res.AdversaryActs++
	r.tr.add(Event{At: w.now, Kind: EvUser, Actor: ActorAttacker, Name: "tls-proxy learned: " + kind})
}

func (a *tlsProxy) rendezvousAnswer(r *Runner, w *run, x *exchange, req *rendezvous.Request, resp *rendezvous.Response) {
	if !honest(x.client) {
		return
	}
	w.res.AdversaryBytes += len(req.Body) + len(resp.Body)
	if tok, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer "); ok {
		a.learned(r, w, "bearer token", tok)
	}
}

func (a *tlsProxy) clientServerAnswer(r *Runner, w *run, x *exchange, resp *oauth.Response) {
	if !honest(x.client) {
		return
	}
	w.res.AdversaryBytes += len(x.req.Body) + len(resp.Body)
	if tok, ok := strings.CutPrefix(x.req.Header.Get("Authorization"), "Bearer "); ok {
		a.learned(r, w, "bearer token", tok)
	}
	p := pathOf(x.req.URL)
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	if strings.HasSuffix(p, oauth.PathToken) {
		if f, err := url.ParseQuery(string(x.req.Body)); err == nil && f.Get("device_code") != "" && a.deviceCode == "" {
			a.deviceCode, a.clientID = f.Get("device_code"), f.Get("client_id")
			a.learned(r, w, "device code", a.deviceCode)
			r.advEvent(w.now+500, a, 0, "poll")
		}
	}
	if v, err := canonicaljson.Parse(resp.Body); err == nil {
		for _, k := range []string{"device_code", "user_code", "access_token", "refresh_token"} {
			if f, ok := v.Get(k); ok && f.Kind == canonicaljson.String {
				a.learned(r, w, strings.ReplaceAll(k, "_", " "), f.Str)
			}
		}
	}
}

func (a *tlsProxy) timer(r *Runner, w *run, ev *event) {
	url := strings.TrimSuffix(r.oc.Issuer, "/") + "/" + oauth.PathToken
	a.polls++
	r.advSend(w, a, login.Request{Target: login.TargetOP, Method: "POST", URL: url, Path: pathOf(url), Timeout: 10_000,
		Header: wire.NewHeader("Content-Type", wire.ContentTypeForm),
		Body:   oauth.EncodeForm("grant_type", oauth.GrantTypeDeviceCode, "device_code", a.deviceCode, "client_id", a.clientID)})
}

// answer is the provider's answer to the proxy's own poll.
func (a *tlsProxy) answer(r *Runner, w *run, x *exchange, ar *arrival) {
	v, err := canonicaljson.Parse(ar.resp.Body)
	if err != nil {
		if a.polls < 200 {
			r.advEvent(w.now+5000, a, 0, "poll")
		}
		return
	}
	if f, ok := v.Get("access_token"); ok && f.Kind == canonicaljson.String && f.Str != "" {
		w.atkToken, w.exposure = true, "tls-terminated"
		r.tr.add(Event{At: w.now, Kind: EvUser, Actor: ActorAttacker, Peer: ActorOP, Name: "tls-proxy got a token with the captured device code"})
		return
	}
	if f, ok := v.Get("error"); ok && f.Kind == canonicaljson.String && (f.Str == oauth.ErrorAuthorizationPending || f.Str == oauth.ErrorSlowDown) && a.polls < 200 {
		r.advEvent(w.now+5000, a, 0, "poll")
	}
}
