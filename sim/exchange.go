package sim

import (
	"strings"

	"qrlab/model/login"
	"qrlab/model/oauth"
	"qrlab/model/rendezvous"
	"qrlab/model/wire"
)

// defaultTimeout is the client timeout of a request whose machine left it
// to the harness (Timeout 0).
const defaultTimeout Millis = 30_000

// DatagramNoTimeoutMillis bounds, under the datagram transport, a request
// whose client sets no timeout (login.NoTimeout), which would otherwise
// wait for ever for a lost message. Lab default: the time Linux's TCP takes
// to give up on an established connection none of whose retransmissions is
// answered (tcp_retries2 15 from a 200 ms RTO: 924.6 s, transport-sources.md
// T9), what a real connection would do if everything were lost. Under tcp
// no fallback is needed: such a request ends with its answer or when its
// connection fails (retransmissions spent, user timeout, reset, handover,
// NAT expiry).
const DatagramNoTimeoutMillis Millis = 924_600

// linkOf is the link a client's request to target travels on.
func linkOf(client Actor, t login.Target) (LinkID, Actor) {
	switch client {
	case ActorAttacker:
		if t == login.TargetOP {
			return LinkAttacker, ActorOP
		}
		return LinkAttacker, ActorHomeserver
	case ActorAttackerBrowser:
		return LinkAttacker, ActorOP
	case ActorNew:
		if t == login.TargetOP {
			return LinkNewOP, ActorOP
		}
		return LinkNewHS, ActorHomeserver
	case ActorBrowser:
		return LinkBrowserOP, ActorOP
	}
	if t == login.TargetOP {
		return LinkExistingHS, ActorOP
	}
	return LinkExistingHS, ActorHomeserver
}

// wireSize is a rough size of a message on the wire (request line or status
// line and headers, plus the body), for bandwidth.
func wireSize(body int, header int) int { return 120 + 40*header + body }

// send puts a client's request on its link. form is a browser's posted form
// (nil for the machines, whose body is in req).
func (r *Runner) send(w *run, client Actor, req login.Request, form []byte) uint64 {
	link, server := linkOf(client, req.Target)
	id := uint64(len(r.ex))
	name := r.names.request(req.Method, req.Path)
	r.ex = append(r.ex, exchange{client: client, server: server, link: link, req: r.keep(&req), name: name, form: form})
	w.res.Requests++
	var body []byte
	if req.Target == login.TargetRendezvous {
		body = req.Body
	}
	r.tr.add(Event{At: w.now, Kind: EvSend, Actor: client, Peer: server, Name: name, Bytes: len(req.Body), Body: body})
	if len(body) > 0 && !r.unchecked {
		w.mon.plaintext(w, req.Method, req.Path, body)
		if req.Method == "PUT" && honest(client) {
			w.mon.sentWrite(client, req.Path, &rendezvous.Request{Method: req.Method, Path: req.Path, Header: req.Header, Body: req.Body})
		}
	}
	if req.Target == login.TargetRendezvous && req.Method == "DELETE" && (client == ActorNew || client == ActorExisting) {
		r.cost.deleting(req.Path)
	}
	timeout := req.Timeout
	switch {
	case timeout == 0:
		timeout = defaultTimeout
	case timeout < 0 && r.tp != nil:
		r.tcpRequest(w, id, wireSize(len(req.Body)+len(form), len(req.Header)), never)
		return id
	case timeout < 0:
		timeout = DatagramNoTimeoutMillis
	}
	r.q.push(event{at: w.now + timeout, kind: evTimeout, id: id})
	if r.tp != nil {
		r.tcpRequest(w, id, wireSize(len(req.Body)+len(form), len(req.Header)), w.now+timeout)
		return id
	}
	r.transmit(w, link, true, len(req.Body)+len(form), len(req.Header), func(at Millis) {
		r.ex[id].deliveries++
		r.q.push(event{at: at, kind: evReqArrive, id: id})
	}, client, server, name)
	return id
}

// keep returns a copy of req that the exchange being appended (index
// len(r.ex)) holds for good. While no snapshot shares this run's requests
// (respsShared), the copy goes where the same exchange of an earlier run
// kept its request, which nothing refers to any more.
func (r *Runner) keep(req *login.Request) *login.Request {
	n := len(r.ex)
	if r.respsShared {
		p := new(login.Request)
		*p = *req
		return p
	}
	if n < len(r.reqs) {
		*r.reqs[n] = *req
		return r.reqs[n]
	}
	p := new(login.Request)
	*p = *req
	if n == len(r.reqs) {
		r.reqs = append(r.reqs, p)
	}
	return p
}

// transmit decides a message's fate on link l: lost (a trace event), or
// delivered once or twice at drawn times.
func (r *Runner) transmit(w *run, l LinkID, up bool, body, header int, deliver func(Millis), from, to Actor, name string) {
	link := &w.net.links[l]
	rr := w.netRand
	loss := link.LossDown
	if up {
		loss = link.LossUp
	}
	if w.net.cut(l, w.now) {
		r.tr.add(Event{At: w.now, Kind: EvDrop, Actor: from, Peer: to, Name: name, Detail: "partition " + l.String()})
		w.res.Lost++
		return
	}
	if loss > 0 && rr.Float64() < loss {
		r.tr.add(Event{At: w.now, Kind: EvDrop, Actor: from, Peer: to, Name: name, Detail: "lost on " + l.String()})
		w.res.Lost++
		return
	}
	size := wireSize(body, header)
	deliver(w.now + delay(link, rr, size))
	if link.Duplicate > 0 && rr.Float64() < link.Duplicate {
		deliver(w.now + delay(link, rr, size))
	}
}

// serve hands an arrived request to its server and sends the answer back.
func (r *Runner) serve(w *run, id uint64) {
	x := &r.ex[id]
	x.served++
	var a arrival
	switch {
	case x.client == ActorBrowser || x.client == ActorAttackerBrowser:
		req := oauth.Request{Method: x.req.Method, Path: x.req.Path, Header: x.req.Header, Body: x.form}
		sess := oauth.Session{UserID: AliceID, Browser: browserIdentity}
		if x.client == ActorAttackerBrowser {
			sess = oauth.Session{UserID: MalloryID, Browser: "browser-of-the-attacker"}
		}
		var resp oauth.Response
		r.touch(partOP)
		resp, a.page, r.fx = w.op.BrowseAppend(w.now, &req, sess, r.fx[:0])
		if !r.unchecked {
			w.mon.providerEffects(w, x.client, r.fx)
		}
		a.resp = login.Response{Status: resp.Status, Header: resp.Header, Body: resp.Body}
	case x.req.Target == login.TargetRendezvous:
		a.resp, a.read = r.serveRendezvous(w, x)
		a.corrupt = w.mon.camera.takeServed(a.resp.Status, a.resp.Body)
	case x.req.Target == login.TargetOP:
		req := oauth.Request{Method: x.req.Method, Path: x.req.Path, Header: x.req.Header, Body: x.req.Body}
		var resp oauth.Response
		r.touch(partOP)
		resp, r.fx = w.op.HandleAppend(w.now, &req, r.fx[:0])
		for _, ad := range w.adv {
			ad.clientServerAnswer(r, w, x, &resp)
		}
		a.resp = login.Response{Status: resp.Status, Header: resp.Header, Body: resp.Body}
		if !r.unchecked {
			w.mon.opAnswer(x.req.Path, resp.Status, resp.Body)
			w.mon.providerEffects(w, x.client, r.fx)
		}
	default:
		req := oauth.Request{Method: x.req.Method, Path: x.req.Path, Header: x.req.Header, Body: x.req.Body}
		var resp oauth.Response
		// The homeserver asks the provider about tokens, and only asks:
		// it reads the provider's metadata, introspects tokens and reads
		// the issuances (Metadata, Introspect, Issuances), none of which
		// writes the provider, so the provider's part is not touched (a
		// touch would hash and copy it again at the next fingerprint and
		// snapshot; TestPartHashesMatchFull would find a kept hash gone
		// stale).
		r.touch(partHS)
		resp, r.hfx = w.hs.HandleAppend(w.now, &req, r.hfx[:0])
		for _, ad := range w.adv {
			ad.clientServerAnswer(r, w, x, &resp)
		}
		a.resp = login.Response{Status: resp.Status, Header: resp.Header, Body: resp.Body}
		// The device checker reads this answer when it reaches its
		// client (arrive): a device learns nothing from an answer the
		// network loses.
	}
	if w.res.Violation != nil {
		return // the run stops at the violation
	}
	name := x.name
	var body []byte
	if x.req.Target == login.TargetRendezvous && x.client != ActorBrowser {
		body = a.resp.Body
	}
	r.tr.add(Event{At: w.now, Kind: EvRecv, Actor: x.server, Peer: x.client, Name: name, Status: a.resp.Status,
		Bytes: len(a.resp.Body), Body: body})
	ai := uint64(len(r.resps))
	r.logAnswer(a)
	extra := x.extraDelay
	if r.tp != nil {
		r.breakTokenAnswer(w, id, a.resp.Status)
		r.tcpAnswer(w, id, ai, wireSize(len(a.resp.Body), len(a.resp.Header)), extra)
		return
	}
	r.transmit(w, x.link, false, len(a.resp.Body), len(a.resp.Header), func(at Millis) {
		r.ex[id].answers++
		r.q.push(event{at: at + extra, kind: evRespArrive, id: id, aux: ai})
	}, x.server, x.client, name)
}

// serveRendezvous runs a request through the store, with the monitors
// watching the mailbox and the adversaries in the server's place; it also
// returns the session payload the answer carries (none with adversaries,
// which may change it on its way).
func (r *Runner) serveRendezvous(w *run, x *exchange) (login.Response, readRef) {
	req := rendezvous.Request{Method: x.req.Method, Path: x.req.Path, Body: x.req.Body, Client: x.client.String(),
		Header: x.req.Header}
	if tok, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer "); ok {
		req.Auth = rendezvous.AuthInvalid
		if tok == existingToken {
			req.Auth = rendezvous.AuthValid
		}
	}
	var resp rendezvous.Response
	r.touch(partStore)
	resp, r.rfx = w.store.HandleAppend(w.now, &req, r.rfx[:0])
	r.cost.observe(w.now, w.store)
	// The hook and the adversaries get copies, made only when they are
	// there, and their changes are copied back: passing them req and resp
	// themselves would move both to the heap on every exchange.
	if r.hook != nil {
		hresp := resp
		r.hook(w, x, &hresp)
		resp = hresp
		req.Body = x.req.Body
		if !r.unchecked {
			// A test hook may change the request on its way: what
			// reaches the store is searched too (send searched what
			// left the device).
			w.mon.plaintext(w, req.Method, req.Path, req.Body)
		}
	}
	var rd readRef
	if !r.unchecked {
		w.mon.read = readRef{}
		w.mon.rendezvous(w, x.client, x.owner != nil, &req, &resp, r.rfx)
		rd, w.mon.read = w.mon.read, readRef{}
	}
	if len(w.adv) > 0 {
		rd = readRef{}
		areq, aresp := req, resp
		for _, a := range w.adv {
			a.rendezvousAnswer(r, w, x, &areq, &aresp)
		}
		resp = aresp
	}
	return login.Response{Status: resp.Status, Header: resp.Header, Body: resp.Body}, rd
}

// browse has the browser load path (GET, or POST form when form is set).
func (r *Runner) browse(w *run, who Actor, uri string, form []byte, tries int) {
	if !strings.HasPrefix(uri, "/") && !strings.HasPrefix(uri, strings.TrimSuffix(r.oc.Issuer, "/")+"/") {
		// Not the provider: an attacker's page or a deep link into some
		// app. The user sees something odd and gives up on the browser.
		r.tr.add(Event{At: w.now, Kind: EvUser, Actor: who, Name: "lands on " + uri + ", not the provider"})
		if who == ActorBrowser {
			w.res.AttackerWon, w.exposure = "victim-browser-on-attacker-page", "not-prevented"
			r.q.push(event{at: w.now + r.cfg.User.Confirm.Sample(w.usrRand), kind: evConsentReturn, ok: false})
		}
		return
	}
	path := pathOf(uri)
	req := login.Request{Target: login.TargetOP, Method: "GET", URL: uri, Path: path,
		Timeout: Millis(r.cfg.User.BrowserRetryMillis)}
	if form != nil {
		req.Method = "POST"
		req.Header = wire.NewHeader("Content-Type", wire.ContentTypeForm)
	}
	id := r.send(w, who, req, form)
	r.ex[id].tries = tries
}

// browserTimeout is a page that did not load: the user reloads it, or gives
// up and cancels on the existing device.
func (r *Runner) browserTimeout(w *run, id uint64) {
	x := r.ex[id]
	if x.tries < r.cfg.User.BrowserRetries {
		r.tr.add(Event{At: w.now, Kind: EvUser, Actor: ActorUser, Peer: ActorBrowser, Name: "reloads " + x.req.Path})
		r.browse(w, x.client, x.req.URL, x.form, x.tries+1)
		return
	}
	if x.client == ActorAttackerBrowser {
		return
	}
	r.tr.add(Event{At: w.now, Kind: EvUser, Actor: ActorUser, Peer: ActorBrowser, Name: "gives up on the browser"})
	r.q.push(event{at: w.now + r.cfg.User.Confirm.Sample(w.usrRand), kind: evConsentReturn, ok: false})
}

// browserAnswer is what the user does with a page.
func (r *Runner) browserAnswer(w *run, id uint64, a *arrival) {
	x := r.ex[id]
	p := &a.page
	u := &r.cfg.User
	if x.client == ActorAttackerBrowser {
		// The attacker consents at once to whatever it is shown.
		switch p.Kind {
		case oauth.PageRedirect:
			r.browse(w, x.client, p.Location, nil, 0)
		case oauth.PageConsent:
			r.browse(w, x.client, x.req.URL, oauth.EncodeForm("action", oauth.ActionConsent), 0)
		case oauth.PageApproved:
			r.tr.add(Event{At: w.now, Kind: EvUser, Actor: ActorAttacker, Peer: ActorOP, Name: "attacker approved the grant as " + MalloryID})
			r.step(w, ActorAttacker, login.Input{Kind: login.InputConsent, OK: true})
		}
		return
	}
	switch p.Kind {
	case oauth.PageRedirect:
		r.browse(w, ActorBrowser, p.Location, nil, 0)
	case oauth.PageEnterCode:
		if p.Error == "" && w.userCode != "" {
			r.tr.add(Event{At: w.now, Kind: EvUser, Actor: ActorUser, Peer: ActorBrowser, Name: "types user code " + w.userCode})
			r.q.push(event{at: w.now + u.TypeCode.Sample(w.usrRand), kind: evBrowse, text: p.FormAction,
				data: oauth.EncodeForm("code", w.userCode)})
			return
		}
		if p.Error == "" && !w.consentReturned {
			// The code is not on the new device's screen yet (it shows it
			// only after m.login.protocol_accepted, which an after-confirm
			// existing device sends only now): the user goes back to the
			// existing device, confirms, and types the code once it shows.
			r.tr.add(Event{At: w.now, Kind: EvUser, Actor: ActorUser, Peer: ActorBrowser, Name: "no user code on screen yet: goes back to E"})
			w.awaitCode = p.FormAction
			w.consentReturned = true
			r.q.push(event{at: w.now + u.Confirm.Sample(w.usrRand), kind: evConsentReturn, ok: true})
			return
		}
		r.q.push(event{at: w.now + u.Confirm.Sample(w.usrRand), kind: evConsentReturn, ok: false})
	case oauth.PageConsent:
		action := oauth.ActionConsent
		switch {
		case w.deny:
			action = oauth.ActionReject
		case p.UserCode != "" && w.userCode != "" && p.UserCode != w.userCode && !w.blind:
			// The page names another code than the new device shows.
			r.tr.add(Event{At: w.now, Kind: EvUser, Actor: ActorUser, Peer: ActorBrowser, Name: "sees user code " + p.UserCode + ", not " + w.userCode})
			action = oauth.ActionReject
		case p.UserCode == "" || w.userCode == "":
			w.unverified = true // nothing to compare
		}
		r.tr.add(Event{At: w.now, Kind: EvUser, Actor: ActorUser, Peer: ActorBrowser, Name: "chooses " + action})
		w.user.add(Act{At: w.now, Kind: ActConsent, Device: ActorBrowser, Grant: p.GrantID, OK: action == oauth.ActionConsent})
		r.browse(w, ActorBrowser, x.req.URL, oauth.EncodeForm("action", action), 0)
	case oauth.PageApproved, oauth.PageDenied:
		if w.consentReturned {
			return
		}
		w.consentReturned = true
		r.q.push(event{at: w.now + u.Confirm.Sample(w.usrRand), kind: evConsentReturn, ok: p.Kind == oauth.PageApproved})
	default:
		if a.resp.Status >= 500 || a.resp.Status == 429 {
			// A server error: reload after a while, as a person would.
			if x.tries < u.BrowserRetries {
				r.tr.add(Event{At: w.now, Kind: EvUser, Actor: ActorUser, Peer: ActorBrowser, Name: "reloads " + x.req.Path})
				id := r.send(w, ActorBrowser, *x.req, x.form)
				r.ex[id].tries = x.tries + 1
				return
			}
		}
		r.q.push(event{at: w.now + u.Confirm.Sample(w.usrRand), kind: evConsentReturn, ok: false})
	}
}

// pathOf returns the path and query of an absolute URL.
func pathOf(u string) string { return wire.PathOf(u) }

// breakTokenAnswer breaks the connection of exchange id as its answer
// leaves when it is one of the first Connections.TokenAnswerBreaks
// successful answers to the new device's token poll.
func (r *Runner) breakTokenAnswer(w *run, id uint64, status int) {
	x := &r.ex[id]
	if status != 200 || x.client != ActorNew || x.req.Target != login.TargetOP || !strings.HasSuffix(x.req.Path, oauth.PathToken) ||
		w.tokenBreaks >= w.net.Connections.TokenAnswerBreaks {
		return
	}
	w.tokenBreaks++
	c := &r.tp.conns[r.tp.ex[id].conn]
	c.breakAt, c.breakWhy = w.now, "handover as the token answer left (token_answer_breaks)"
	r.tr.add(Event{At: w.now, Kind: EvFault, Actor: ActorNetwork, Peer: x.client, Name: "tcp connection broken",
		Detail: c.breakWhy})
}

// logAnswer appends a to the answers log. The log holds pointers, so
// that a run restored from a snapshot, which shares the log up to its
// length, copies only those to append its own; a run no snapshot shares
// writes over the answers of an earlier run instead of allocating.
func (r *Runner) logAnswer(a arrival) {
	n := len(r.resps)
	if !r.respsShared && n < cap(r.resps) {
		if p := r.resps[:n+1][n]; p != nil {
			*p = a
			r.resps = r.resps[:n+1]
			return
		}
	}
	p := new(arrival)
	*p = a
	r.resps = append(r.resps, p)
}
