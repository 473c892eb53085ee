package sim

import (
	"qrlab/model/login"
	"qrlab/model/rendezvous"
)

// splicer is a rendezvous server that moves a sealed payload from the
// position it was sealed for to another one. It runs a session of its own
// beside the honest one and, when the scanning device (S) reads the honest
// session, answers with the token of its own session instead: S seals
// LoginInitiate bound to that position and PUTs it under that token, which
// the store refuses. The splicer then writes S's payload, byte for byte,
// into the honest session at its real position (reading the current token
// first, as any client can) and holds S's refusal back, so the device that
// showed the QR code (G) reads it there.
//
// With the 2026 AAD binding (base URL, rendezvous ID, sequence token) G
// opens with its own position's token and the payload does not open: the
// login fails, as a login against a lying server may. Without it the
// payload opens although no device wrote it at that position, and the tap
// on G's channel says so (channel-integrity). The splicer acts only
// against designs that claim the binding: a design without it makes no
// such claim, and moving a payload is then no violation of it.
type splicer struct {
	noAdversary
	g, s      Actor
	otherTok  string // the token of the splicer's own session
	ownURL    string // the splicer's own session
	ownWrites int
	url       string // the honest session's URL
	payload   string // S's payload sealed for the other position
	step      int    // 0 waiting for S's read, 1 for S's write, 2 done
}

func (*splicer) name() string          { return "splicer" }
func (*splicer) controlsMailbox() bool { return true }

func (a *splicer) start(r *Runner, w *run) {
	*a = splicer{}
	if !r.cfg.Variant.Channel.AADBinding {
		a.step = 2
		return
	}
	url := r.createURL()
	req := login.Request{Target: login.TargetRendezvous, Method: "POST", URL: url, Path: pathOf(url), Timeout: 10_000}
	req.Header, req.Body = w.mon.codec.Create("splice")
	r.advSend(w, a, req)
}

func (a *splicer) qrShown(r *Runner, w *run, from Actor, data []byte) {
	if a.g == ActorNone {
		a.g, a.s = from, ActorNew
		if from == ActorNew {
			a.s = ActorExisting
		}
	}
}

func (a *splicer) rendezvousAnswer(r *Runner, w *run, x *exchange, req *rendezvous.Request, resp *rendezvous.Response) {
	if a.step == 2 || a.s == ActorNone || x.client != a.s || a.otherTok == "" {
		return
	}
	switch {
	case a.step == 0 && req.Method == "GET" && resp.Status == 200:
		data, tok, err := w.mon.codec.ParseRead(resp)
		if err != nil || tok == a.otherTok {
			return
		}
		w.mon.codec.SetRead(resp, string(data), a.otherTok)
		a.step, a.url = 1, x.req.URL
		a.act(r, w, x.client, "splicer answers the session read with its own session's token")
	case a.step == 1 && req.Method == "PUT":
		a.step = 2
		if resp.Status < 300 {
			return // the store ignored the token: nothing was moved
		}
		d, _ := w.mon.codec.WriteOf(req)
		a.payload = string(d)
		x.extraDelay = 30_000
		a.act(r, w, x.client, "splicer holds back the refusal and moves the payload to the session's current position")
		r.advSend(w, a, login.Request{Target: login.TargetRendezvous, Method: "GET", URL: a.url, Path: pathOf(a.url), Timeout: 10_000})
	}
}

func (a *splicer) act(r *Runner, w *run, peer Actor, what string) {
	r.tr.add(Event{At: w.now, Kind: EvFault, Actor: ActorAttacker, Peer: peer, Name: what})
	w.res.AdversaryActs++
}

// splicerWrites is how many times the splicer writes its own session
// before the honest one is read: its token is then one of a later position
// (a store that counts versions hands every new session the same first
// token).
const splicerWrites = 3

func (a *splicer) answer(r *Runner, w *run, x *exchange, ar *arrival) {
	resp := rendezvous.Response{Status: ar.resp.Status, Header: ar.resp.Header, Body: ar.resp.Body}
	switch {
	case x.req.Method == "POST" && ar.resp.Status < 300:
		if cr, err := w.mon.codec.ParseCreate(&resp); err == nil {
			a.ownURL = cr.URL
			if a.ownURL == "" && cr.ID != "" {
				a.ownURL = r.createURL() + "/" + cr.ID
			}
			a.writeOwn(r, w, cr.Token)
		}
	case x.req.Method == "PUT" && x.req.URL == a.ownURL && ar.resp.Status < 300:
		if tok, err := w.mon.codec.ParseWritten(&resp); err == nil {
			a.writeOwn(r, w, tok)
		}
	case x.req.Method == "GET" && ar.resp.Status == 200 && a.payload != "":
		_, tok, err := w.mon.codec.ParseRead(&resp)
		if err != nil || tok == "" {
			return
		}
		req := login.Request{Target: login.TargetRendezvous, Method: "PUT", URL: a.url, Path: pathOf(a.url), Timeout: 10_000}
		req.Header, req.Body = w.mon.codec.PutEcho(tok, a.payload)
		a.payload = ""
		r.advSend(w, a, req)
	}
}

// writeOwn writes the splicer's own session once more under tok, or keeps
// tok as the one to hand out once it has written enough.
func (a *splicer) writeOwn(r *Runner, w *run, tok string) {
	if a.ownWrites >= splicerWrites || a.ownURL == "" || tok == "" {
		a.otherTok = tok
		return
	}
	a.ownWrites++
	req := login.Request{Target: login.TargetRendezvous, Method: "PUT", URL: a.ownURL, Path: pathOf(a.ownURL), Timeout: 10_000}
	req.Header, req.Body = w.mon.codec.PutEcho(tok, "splice-"+string(rune('0'+a.ownWrites)))
	r.advSend(w, a, req)
}
