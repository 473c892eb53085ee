package login

import (
	"container/heap"
	"fmt"
	"math/rand/v2"
	"strings"

	"qrlab/model/homeserver"
	"qrlab/model/msg"
	"qrlab/model/oauth"
	"qrlab/model/qr"
	"qrlab/model/rendezvous"
	"qrlab/model/variant"
	"qrlab/model/wire"
)

const (
	baseURL  = rendezvous.DefaultBaseURL
	aliceID  = "@alice:lab.example"
	eToken   = "token-of-the-existing-device"
	eDevice  = "EXISTING"
	stepsCap = 20000
)

// seeded is a deterministic random stream.
type seeded struct{ r *rand.ChaCha8 }

func stream(seed uint64) *seeded {
	var s [32]byte
	s[0], s[1] = byte(seed), byte(seed>>8)
	return &seeded{rand.NewChaCha8(s)}
}
func (s *seeded) Read(p []byte) (int, error) { return s.r.Read(p) }

// deadKey names a cancelled timer of one machine.
type deadKey struct {
	toN bool
	id  uint64
}

// tb is what the world needs of testing.TB and rapid.T.
type tb interface {
	Helper()
	Fatal(args ...any)
}

// event is one scheduled delivery.
type event struct {
	at  Millis
	seq int
	toN bool
	in  Input
	fn  func() // a scripted user action instead of an input
}

type queue []event

func (q queue) Len() int { return len(q) }
func (q queue) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}
func (q queue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *queue) Push(x any)   { *q = append(*q, x.(event)) }
func (q *queue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

// user is the scripted person holding both devices.
type user struct {
	typeWrongCode     bool
	denyConsent       bool
	browserFails      bool
	rejectAccount     bool
	neverConsent      bool
	cancelBrowserStep bool
	confirmDelay      Millis // how long the user takes to confirm the browser step on E (500 ms)
	cancelNAt         Millis // 0: never
	cancelEAt         Millis
	scanDelay         Millis
	consentDelay      Millis
	corruptQR         bool
	tamperRendezvous  func(path string, body []byte) []byte
	// loseResponse, when it returns true, lets the server handle the request
	// but loses the answer (the machine sees a transport failure).
	loseResponse func(r Request) bool
	// rewriteOP may replace the provider's answer to a request.
	rewriteOP func(r Request, resp Response) Response
	// rewriteHS may replace the homeserver's answer to a request.
	rewriteHS func(r Request, resp Response) Response
	// forge, when set, has one device put a message of the test's making in
	// the mailbox, as a broken or hostile peer would.
	forge *forgery
}

// forgery: when the device (N if byN) enters state when, it seals
// plaintext with its own channel and PUTs it at once, outside its state
// machine (whose request in flight is then forgotten). It fits where the
// device holds the turn, so the peer opens the forgery as the next message.
type forgery struct {
	byN       bool
	when      State
	plaintext string
}

// world wires both machines to a real rendezvous store, provider and
// homeserver, delivering every request at once and timers in time order.
type world struct {
	t            tb
	v            variant.Variant
	store        *rendezvous.Store
	op           *oauth.Server
	hs           *homeserver.Server
	n            *NewDevice
	e            *ExistingDevice
	u            user
	q            queue
	seq          int
	now          Millis
	dead         map[deadKey]bool
	log          strings.Builder
	shown        string // check code shown on S
	asked        bool   // G asked for the code
	nIsG         bool
	earlySecrets bool
	deviceExists bool // the homeserver answers 200 to every device lookup
	// chaos, when set, decides per rendezvous GET whether to answer with
	// the previous 200 for that path and whether to deliver the answer twice.
	chaos     func() (stale, dup bool)
	lastGet   map[string]Response
	visited   [2]map[State]bool
	revisited string
	wasStale  bool
	quiet     bool
	forged    bool
}

type worldOpts struct {
	nIntent   qr.Intent
	seed      uint64
	hsEdit    func(*homeserver.Config)
	opEdit    func(*oauth.Config)
	eEdit     func(*ExistingDeviceConfig)
	nVariant  *variant.Variant
	preAddDev bool
	backup    bool                     // Alice has a key backup and E hands it over
	nEdit     func(*NewDeviceConfig)   // edits N's configuration
	rvEdit    func(*rendezvous.Config) // edits the rendezvous server's configuration
	vEdit     func(*variant.Variant)   // applied by the test before newWorld
}

func newWorld(t tb, v variant.Variant, o worldOpts, u user) *world {
	t.Helper()
	if o.nIntent == 0 {
		o.nIntent = qr.Reciprocate
	}
	rc, err := v.RendezvousConfig()
	if err != nil {
		t.Fatal(err)
	}
	rc.BaseURL = baseURL
	if o.rvEdit != nil {
		o.rvEdit(&rc)
	}
	store, err := rendezvous.New(rc, 0, stream(o.seed+100))
	if err != nil {
		t.Fatal(err)
	}
	oc, _ := v.OAuthConfig()
	if o.opEdit != nil {
		o.opEdit(&oc)
	}
	op, err := oauth.New(oc, stream(o.seed+101))
	if err != nil {
		t.Fatal(err)
	}
	hc, _ := v.HomeserverConfig()
	if o.hsEdit != nil {
		o.hsEdit(&hc)
	}
	hs, err := homeserver.New(hc, op)
	if err != nil {
		t.Fatal(err)
	}
	alice, err := homeserver.NewIdentity(aliceID, stream(o.seed+102))
	if err != nil {
		t.Fatal(err)
	}
	if err := hs.AddIdentity(alice); err != nil {
		t.Fatal(err)
	}
	hs.AddDevice(0, aliceID, eDevice, eToken)
	var sec msg.Secrets
	copy(sec.CrossSigning.Master[:], alice.Master.Seed())
	copy(sec.CrossSigning.SelfSigning[:], alice.SelfSigning.Seed())
	copy(sec.CrossSigning.UserSigning[:], alice.UserSigning.Seed())
	if o.backup {
		key, version, err := hs.CreateBackup(aliceID, stream(o.seed+105))
		if err != nil {
			t.Fatal(err)
		}
		sec.Backup = &msg.Backup{Key: key, Version: version}
	}
	ecfg := ExistingDeviceConfig{Variant: v, Intent: qr.Login, BaseURL: baseURL, ServerName: hc.ServerName,
		AccessToken: eToken, Secrets: sec}
	if o.nIntent == qr.Login {
		ecfg.Intent = qr.Login
	} else {
		ecfg.Intent = qr.Reciprocate
	}
	if o.eEdit != nil {
		o.eEdit(&ecfg)
	}
	e, err := NewExistingDevice(ecfg, stream(o.seed+103))
	if err != nil {
		t.Fatal(err)
	}
	nv := v
	if o.nVariant != nil {
		nv = *o.nVariant
	}
	ncfg := NewDeviceConfig{Variant: nv, Intent: o.nIntent, RendezvousBaseURL: baseURL,
		ServerNames: map[string]string{hc.ServerName: baseURL}}
	if o.nEdit != nil {
		o.nEdit(&ncfg)
	}
	n, err := NewNewDevice(ncfg, stream(o.seed+104))
	if err != nil {
		t.Fatal(err)
	}
	if u.scanDelay == 0 {
		u.scanDelay = 2000
	}
	if u.consentDelay == 0 {
		u.consentDelay = 4000
	}
	w := &world{t: t, v: v, store: store, op: op, hs: hs, n: n, e: e, u: u, dead: map[deadKey]bool{},
		nIsG: o.nIntent == qr.Login}
	w.deviceExists = o.preAddDev
	return w
}

func (w *world) at(at Millis, toN bool, in Input) {
	w.seq++
	heap.Push(&w.q, event{at: at, seq: w.seq, toN: toN, in: in})
}

func (w *world) do(at Millis, fn func()) {
	w.seq++
	heap.Push(&w.q, event{at: at, seq: w.seq, fn: fn})
}

// logf adds a transcript line unless the world is quiet (benchmarks).
func (w *world) logf(format string, args ...any) {
	if !w.quiet {
		fmt.Fprintf(&w.log, format, args...)
	}
}

func who(toN bool) string {
	if toN {
		return "N"
	}
	return "E"
}

// run drives both machines until both ended or the step cap.
func (w *world) run() {
	w.start()
	for steps := 0; w.q.Len() > 0 && steps < stepsCap; steps++ {
		if w.n.State().Terminal() && w.e.State().Terminal() {
			break
		}
		w.next()
	}
}

// start schedules both starts and the user's cancels.
func (w *world) start() {
	w.at(0, true, Input{Kind: InputStart})
	w.at(0, false, Input{Kind: InputStart})
	if w.u.cancelNAt > 0 {
		w.at(w.u.cancelNAt, true, Input{Kind: InputCancel})
	}
	if w.u.cancelEAt > 0 {
		w.at(w.u.cancelEAt, false, Input{Kind: InputCancel})
	}
}

// next delivers the earliest event (the queue must not be empty).
func (w *world) next() {
	ev := heap.Pop(&w.q).(event)
	w.now = ev.at
	if ev.fn != nil {
		ev.fn()
		return
	}
	if ev.in.Kind == InputTimer && w.dead[deadKey{ev.toN, ev.in.ID}] {
		return
	}
	var fx []Effect
	if ev.toN {
		fx = w.n.Step(w.now, ev.in)
	} else {
		fx = w.e.Step(w.now, ev.in)
	}
	w.effects(ev.toN, fx)
}

// runPreset runs one login of preset, edited by o.vEdit, with N's intent,
// and returns the world once both devices ended (or the step cap).
func runPreset(t tb, preset string, intent qr.Intent, o worldOpts, u user) *world {
	t.Helper()
	o.nIntent = intent
	v := variant.MustLoad(preset)
	if o.vEdit != nil {
		o.vEdit(&v)
	}
	w := newWorld(t, v, o, u)
	w.run()
	return w
}

func (w *world) effects(toN bool, fx []Effect) {
	// Copy: handling effects steps the other machine, which reuses its own
	// buffer only.
	fx = append([]Effect(nil), fx...)
	for _, f := range fx {
		switch f.Kind {
		case EffectRequest:
			resp := w.serve(f.Request)
			if w.u.loseResponse != nil && w.u.loseResponse(f.Request) {
				w.logf("%6d   (answer lost)\n", w.now)
				resp = Response{}
			}
			if w.chaos != nil && f.Request.Target == TargetRendezvous && f.Request.Method == "GET" {
				if w.lastGet == nil {
					w.lastGet = map[string]Response{}
				}
				stale, dup := w.chaos()
				if prev, ok := w.lastGet[f.Request.Path]; ok && stale && !w.wasStale {
					resp = prev
					w.wasStale = true
				} else {
					w.wasStale = false
					if resp.Status == 200 {
						w.lastGet[f.Request.Path] = resp
					}
				}
				if dup {
					w.at(w.now+1500, toN, Input{Kind: InputResponse, ID: f.Request.ID, Response: resp})
				}
			}
			w.at(w.now, toN, Input{Kind: InputResponse, ID: f.Request.ID, Response: resp})
		case EffectSetTimer:
			w.at(f.At, toN, Input{Kind: InputTimer, ID: f.Timer})
		case EffectCancelTimer:
			w.dead[deadKey{toN, f.Timer}] = true
		case EffectState:
			i := 0
			if toN {
				i = 1
			}
			if w.visited[i] == nil {
				w.visited[i] = map[State]bool{}
			}
			if w.visited[i][f.To] && w.revisited == "" {
				w.revisited = who(toN) + " " + f.To.String()
			}
			w.visited[i][f.To] = true
			w.logf("%6d %s %s -> %s\n", w.now, who(toN), f.From, f.To)
			if g := w.u.forge; g != nil && !w.forged && g.byN == toN && f.To == g.when {
				w.forged = true
				w.do(w.now, func() { w.sendForged(g) })
			}
		case EffectChannel:
			dir := "opened"
			if f.Sealed {
				dir = "sealed"
			}
			w.logf("%6d %s %s %s\n", w.now, who(toN), dir, f.MsgType)
			if f.Sealed && f.MsgType == msg.TypeSecrets {
				g := w.n.Facts()
				if !w.nIsG {
					g = w.e.Facts()
				}
				if !g.CodeConfirmed {
					w.earlySecrets = true
				}
			}
		case EffectShowQR:
			w.logf("%6d %s shows QR (%d bytes)\n", w.now, who(toN), len(f.Data))
			data := f.Data
			if w.u.corruptQR {
				data = append([]byte(nil), data[:len(data)-1]...)
			}
			w.at(w.now+w.u.scanDelay, !toN, Input{Kind: InputScanned, Data: data})
		case EffectShowCheckCode:
			w.logf("%6d %s shows check code %s\n", w.now, who(toN), f.Text)
			w.shown = f.Text
			w.typeCode(!toN)
		case EffectAskCheckCode:
			w.logf("%6d %s asks for the check code\n", w.now, who(toN))
			w.asked = true
			w.typeCode(toN)
		case EffectOpenBrowser:
			w.logf("%6d E opens %s\n", w.now, f.Text)
			if w.u.browserFails {
				w.at(w.now+100, false, Input{Kind: InputBrowserFailed})
				break
			}
			w.at(w.now+100, false, Input{Kind: InputBrowserOpened})
			// The user tells E the browser step is under way (or cancels it);
			// only the after-confirm ack waits for this.
			confirm := w.u.confirmDelay
			if confirm == 0 {
				confirm = 500
			}
			w.at(w.now+confirm, false, Input{Kind: InputConsent, OK: !w.u.cancelBrowserStep})
			if !w.u.neverConsent && !w.u.cancelBrowserStep {
				w.do(w.now+w.u.consentDelay, w.consent)
			}
		case EffectShowUserCode:
			w.logf("%6d %s shows user code %s\n", w.now, who(toN), f.Text)
		case EffectAskConfirmAccount:
			w.logf("%6d %s asks to confirm account %s\n", w.now, who(toN), f.Text)
			w.at(w.now+1000, true, Input{Kind: InputConfirmAccount, OK: !w.u.rejectAccount})
		case EffectOutcome:
			w.logf("%6d %s outcome %s %s\n", w.now, who(toN), f.Outcome, f.Outcome.Detail)
		}
	}
}

// sendForged carries out the forgery g (see forgery).
func (w *world) sendForged(g *forgery) {
	c := &w.e.core
	if g.byN {
		c = &w.n.core
	}
	c.begin(w.now)
	payload, err := c.ch.Seal([]byte(g.plaintext), c.aad(c.token))
	if err != nil {
		w.t.Fatal(err)
	}
	w.logf("%6d %s forges %s\n", w.now, who(g.byN), g.plaintext)
	c.put(payload)
	w.effects(g.byN, c.fx)
}

// typeCode types the code on G once S showed it and G asked.
func (w *world) typeCode(onG bool) {
	if w.shown == "" || !w.asked {
		return
	}
	code := w.shown
	if w.u.typeWrongCode {
		code = fmt.Sprintf("%02d", (int(code[0]-'0')*10+int(code[1]-'0')+1)%100)
	}
	w.logf("%6d user will type %s on %s\n", w.now, code, who(w.nIsG))
	w.at(w.now+3000, w.nIsG, Input{Kind: InputCheckCode, Text: code})
}

// consent is the user at the provider in E's browser.
func (w *world) consent() {
	var grant oauth.Grant
	for _, g := range w.op.Grants() {
		if g.State == oauth.GrantPending {
			grant = g
		}
	}
	sess := oauth.Session{UserID: aliceID, Browser: "e"}
	form := wire.NewHeader("Content-Type", wire.ContentTypeForm)
	_, page, _ := w.op.Browse(w.now, &oauth.Request{Method: "POST", Path: "/" + oauth.PathLink, Header: form,
		Body: oauth.EncodeForm("code", grant.UserCode)}, sess)
	action := oauth.ActionConsent
	if w.u.denyConsent {
		action = oauth.ActionReject
	}
	_, page, _ = w.op.Browse(w.now, &oauth.Request{Method: "POST", Path: "/" + oauth.PathConsent + page.GrantID, Header: form,
		Body: oauth.EncodeForm("action", action)}, sess)
	w.logf("%6d user %s at the provider: %s\n", w.now, action, page.Kind)
}

// serve hands a request to the right pure handler at once.
func (w *world) serve(r Request) Response {
	switch r.Target {
	case TargetRendezvous:
		h := make(rendezvous.Header, 0, len(r.Header))
		for _, f := range r.Header {
			h = append(h, rendezvous.Field{Name: f.Name, Value: f.Value})
		}
		req := &rendezvous.Request{Method: r.Method, Path: r.Path, Header: h, Body: r.Body}
		// The homeserver checks the token before the store sees the request.
		if tok, ok := strings.CutPrefix(h.Get("Authorization"), "Bearer "); ok {
			req.Auth = rendezvous.AuthInvalid
			if tok == eToken {
				req.Auth = rendezvous.AuthValid
			}
		}
		resp, _ := w.store.Handle(rendezvous.Millis(w.now), req)
		oh := make(Header, 0, len(resp.Header))
		for _, f := range resp.Header {
			oh = append(oh, oauth.Field{Name: f.Name, Value: f.Value})
		}
		body := resp.Body
		if w.u.tamperRendezvous != nil && r.Method == "GET" {
			body = w.u.tamperRendezvous(r.Path, body)
		}
		w.logf("%6d   rendezvous %s %s -> %d\n", w.now, r.Method, r.Path, resp.Status)
		return Response{Status: resp.Status, Header: oh, Body: body}
	case TargetHomeserver:
		if w.deviceExists && strings.HasPrefix(r.Path, homeserver.PathDevicesPrefix) {
			return Response{Status: 200, Body: []byte(`{"device_id":"X"}`)}
		}
		resp, _ := w.hs.Handle(w.now, &oauth.Request{Method: r.Method, Path: r.Path, Header: r.Header, Body: r.Body})
		return w.passOn("homeserver", r, Response{Status: resp.Status, Header: resp.Header, Body: resp.Body}, w.u.rewriteHS)
	case TargetOP:
		resp, _ := w.op.Handle(w.now, &oauth.Request{Method: r.Method, Path: r.Path, Header: r.Header, Body: r.Body})
		return w.passOn("op", r, Response{Status: resp.Status, Header: resp.Header, Body: resp.Body}, w.u.rewriteOP)
	}
	return Response{}
}

// passOn lets the test's rewrite replace a server's answer and logs it.
func (w *world) passOn(server string, r Request, out Response, rewrite func(Request, Response) Response) Response {
	if rewrite != nil {
		out = rewrite(r, out)
	}
	if !w.quiet { // spare benchmarks the boxing of the arguments
		w.logf("%6d   %s %s %s -> %d\n", w.now, server, r.Method, r.Path, out.Status)
	}
	return out
}

// succeeded fails the test unless both devices ended signed in, and returns
// their outcomes.
func (w *world) succeeded(t tb) (n, e Outcome) {
	t.Helper()
	n, e = w.n.Outcome(), w.e.Outcome()
	if !n.Success || !e.Success {
		t.Fatal(fmt.Sprintf("N %s, E %s\n%s", n, e, w.log.String()))
	}
	return n, e
}
