package live

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"qrlab/model/login"
	"qrlab/model/login/logintest"
	"qrlab/model/oauth"
	"qrlab/model/qr"
	"qrlab/model/rendezvous"
	"qrlab/model/variant"
)

// The device run: the model's two login machines against the server's
// rendezvous endpoints in real time. Their rendezvous requests go over HTTP
// to the server under test; their homeserver and provider requests go to the
// lab's models in process (the probe has no account on the real server),
// and a scripted user scans, types the check code and consents at once. The
// machines, the models and the user are the login harness's (logintest.Env
// and Person, drawing from crypto/rand); the goroutines, timers and HTTP
// client are the run's own.

// deviceVariant is the preset whose machines speak a flavour.
func deviceVariant(f rendezvous.Flavour) string {
	switch f {
	case rendezvous.FlavourETag:
		return "msc4108-2024"
	case rendezvous.FlavourSequenceToken2025:
		return "msc4108-2025"
	}
	return "msc4388"
}

const (
	// devRunLimit bounds one device run.
	devRunLimit = 60 * time.Second
	// devGrace is how long the other device gets to end once one did.
	devGrace = 20 * time.Second
	// devPollMillis is the machines' rendezvous poll period.
	devPollMillis = 250
)

// devEvent is one input for one machine.
type devEvent struct {
	toN bool
	in  login.Input
	// note describes a rendezvous answer worth reporting (an error status
	// or a transport failure).
	note string
}

type devKey struct {
	toN bool
	id  uint64
}

// deviceRun is the state of one run.
type deviceRun struct {
	p     *prober
	v     variant.Variant
	start time.Time
	// env holds both machines and the in-process homeserver and provider
	// (its rendezvous store stays unused: the server under test is that).
	env    *logintest.Env
	user   logintest.Person
	fromPx string // the device preset's create path, as an absolute URL
	toPx   string // the path under test

	events  chan devEvent
	pending []devEvent
	dead    map[devKey]bool
	done    chan struct{}

	typed      string
	qrShown    bool
	consented  bool
	channels   []string
	rendezvous int
	failedHTTP []string
}

func (r *deviceRun) now() login.Millis { return login.Millis(time.Since(r.start).Milliseconds()) }

// devices runs the model's new and existing devices over the server.
func (p *prober) devices() {
	const idUp, specUp = "devices.channel", "the model's two devices set up the secure channel over the server's rendezvous (create, scan, LoginInitiate, LoginOk) and show the same check code"
	const idLogin, specLogin = "devices.login", "the model's two devices complete a login over it: protocols, device authorization, consent, success, secrets"
	if p.noCreate {
		p.skip(idUp, specUp, "the server requires a token to create; pass --access-token")
		p.skip(idLogin, specLogin, "the server requires a token to create; pass --access-token")
		return
	}
	r, err := p.newDeviceRun()
	if err != nil {
		p.add(idUp, specUp, false, "", err.Error())
		return
	}
	r.run()
	nOut, eOut := r.env.N.Outcome(), r.env.E.Outcome()
	outcome := func(o login.Outcome) string {
		if o.Detail == "" {
			return o.String()
		}
		return o.String() + " (" + o.Detail + ")"
	}
	obs := fmt.Sprintf("variant %s, %s showed the QR; %d rendezvous requests; messages %s; check code %q typed %q; N %s, E %s",
		r.v.Name, map[bool]string{true: "N", false: "E"}[r.env.NIsG], r.rendezvous, strings.Join(r.channels, ","), r.user.Shown, r.typed,
		outcome(nOut), outcome(eOut))
	if len(r.failedHTTP) > 0 {
		obs += "; unexpected rendezvous answers: " + strings.Join(r.failedHTTP, " | ")
	}
	up := r.user.Shown != "" && r.typed == r.user.Shown && r.env.N.Facts().ChannelUp && r.env.E.Facts().ChannelUp
	p.add(idUp, specUp, up, obs, "the channel did not come up on both sides with one check code")
	p.add(idLogin, specLogin, nOut.Success && eOut.Success, obs, "a device did not end in success")
}

func (p *prober) newDeviceRun() (*deviceRun, error) {
	name := deviceVariant(p.fl)
	if p.txn {
		name = "msc4388-txn"
	}
	v, err := variant.Load(name)
	if err != nil {
		return nil, err
	}
	// Poll the mailbox four times a second rather than once: a probe is
	// short, and its run should be too.
	v.Timing.PollIntervalMillis, v.Timing.PollBackoffMaxMillis, v.Timing.PollBackoffFactor = devPollMillis, devPollMillis, 1
	rc, err := v.RendezvousConfig()
	if err != nil {
		return nil, err
	}
	token := "probe-existing-device-token"
	if p.auth != "" {
		token = strings.TrimPrefix(p.auth, "Bearer ")
	}
	// Whoever may create shows the QR code: the new device when creating
	// is public, the existing (signed-in) device when it needs a token.
	nIntent := qr.Login
	if p.auth != "" {
		nIntent = qr.Reciprocate
	}
	env, err := logintest.NewEnv(v, logintest.Options{NIntent: nIntent, Rand: rand.Reader, BaseURL: p.base, Token: token,
		OPEdit: func(oc *oauth.Config) { oc.Interval = oauth.Second }}) // the provider is ours: poll it briskly
	if err != nil {
		return nil, err
	}
	return &deviceRun{p: p, v: v, start: time.Now(), env: env,
		user:   logintest.NewPerson(logintest.User{}, env.NIsG),
		events: make(chan devEvent, 64), dead: map[devKey]bool{}, done: make(chan struct{}),
		fromPx: p.base + rc.Prefixes[0], toPx: p.prefix}, nil
}

// post queues an input from the run loop itself.
func (r *deviceRun) post(toN bool, in login.Input) {
	r.pending = append(r.pending, devEvent{toN: toN, in: in})
}

// async delivers an input from another goroutine, unless the run ended.
func (r *deviceRun) async(toN bool, in login.Input, note string) {
	select {
	case r.events <- devEvent{toN: toN, in: in, note: note}:
	case <-r.done:
	}
}

func (r *deviceRun) run() {
	defer close(r.done)
	r.post(true, login.Input{Kind: login.InputStart})
	r.post(false, login.Input{Kind: login.InputStart})
	limit := time.NewTimer(devRunLimit)
	defer limit.Stop()
	var grace <-chan time.Time
	for !(r.env.N.State().Terminal() && r.env.E.State().Terminal()) {
		if grace == nil && (r.env.N.State().Terminal() || r.env.E.State().Terminal()) {
			if !r.qrShown {
				return // the other device waits for a QR code that never comes
			}
			// The other device learns of the end through the mailbox (a
			// message, or the deleted session) within a few polls.
			grace = time.After(devGrace)
		}
		var ev devEvent
		if len(r.pending) > 0 {
			ev, r.pending = r.pending[0], r.pending[1:]
		} else {
			select {
			case ev = <-r.events:
			case <-grace:
				r.failedHTTP = append(r.failedHTTP, fmt.Sprintf("one device ended and the other did not within %v", devGrace))
				return
			case <-limit.C:
				r.failedHTTP = append(r.failedHTTP, fmt.Sprintf("the run did not end within %v", devRunLimit))
				return
			case <-r.p.ctx.Done():
				return
			}
		}
		if ev.note != "" {
			r.failedHTTP = append(r.failedHTTP, ev.note)
		}
		if ev.in.Kind == login.InputTimer && r.dead[devKey{ev.toN, ev.in.ID}] {
			continue
		}
		var fx []login.Effect
		if ev.toN {
			fx = r.env.N.Step(r.now(), ev.in)
		} else {
			fx = r.env.E.Step(r.now(), ev.in)
		}
		r.effects(ev.toN, append([]login.Effect(nil), fx...))
	}
}

func (r *deviceRun) effects(toN bool, fx []login.Effect) {
	for _, f := range fx {
		switch f.Kind {
		case login.EffectRequest:
			r.request(toN, f.Request)
		case login.EffectSetTimer:
			id := f.Timer
			d := time.Duration(f.At-r.now()) * time.Millisecond
			time.AfterFunc(max(d, 0), func() { r.async(toN, login.Input{Kind: login.InputTimer, ID: id}, "") })
		case login.EffectCancelTimer:
			r.dead[devKey{toN, f.Timer}] = true
		case login.EffectShowQR:
			r.qrShown = true
		case login.EffectChannel:
			dir := "<"
			if f.Sealed {
				dir = ">"
			}
			r.channels = append(r.channels, map[bool]string{true: "N", false: "E"}[toN]+dir+f.MsgType)
		}
		r.user.React(toN, f, r.react)
	}
}

// react does what the user does at once: the run is in real time, and the
// user's delays would only slow it down.
func (r *deviceRun) react(a logintest.Reaction) {
	switch {
	case a.Consent:
		r.consent()
	case a.In.Kind == login.InputCheckCode:
		if r.typed == "" { // once
			r.typed = a.In.Text
			r.post(a.ToN, a.In)
		}
	default:
		r.post(a.ToN, a.In)
	}
}

// consent is the user allowing the sign-in at the (in-process) provider,
// logged in as the existing device's account.
func (r *deviceRun) consent() {
	if r.consented {
		return
	}
	grant, ok := r.env.PendingGrant()
	if !ok {
		return
	}
	r.consented = true
	r.env.Consent(r.now(), grant, oauth.ActionConsent)
}

// ClientTimeout is the wall-clock deadline a live harness gives a request
// of timeout t, as the simulator reads it: t itself, login.DefaultTimeout
// (30 s) for zero, and none for login.NoTimeout (net/http's Client.Timeout
// 0: the request ends with its answer or when its connection fails). Any
// other negative value is refused.
func ClientTimeout(t login.Millis) (time.Duration, error) {
	switch {
	case t == login.NoTimeout:
		return 0, nil
	case t < 0:
		return 0, fmt.Errorf("request timeout %d ms: want -1 (none), 0 (the default, %d ms) or a positive number of milliseconds", t, login.DefaultTimeout)
	case t == 0:
		t = login.DefaultTimeout
	}
	return time.Duration(t) * time.Millisecond, nil
}

// request sends one request of a machine: rendezvous ones over HTTP, the
// others to the in-process models.
func (r *deviceRun) request(toN bool, q login.Request) {
	if q.Target != login.TargetRendezvous {
		r.post(toN, login.Input{Kind: login.InputResponse, ID: q.ID, Response: r.env.Route(r.now(), q)})
		return
	}
	r.rendezvous++
	u := q.URL
	// The machines create on their preset's path; the probe checks the
	// path under test.
	if u == r.fromPx || (r.p.fl != rendezvous.FlavourETag && strings.HasPrefix(u, r.fromPx+"/")) {
		u = r.toPx + strings.TrimPrefix(u, r.fromPx)
	}
	create := q.Method == "POST" && u == r.toPx
	timeout, terr := ClientTimeout(q.Timeout)
	go func() {
		var rd io.Reader
		if q.Body != nil {
			rd = bytes.NewReader(q.Body)
		}
		in := login.Input{Kind: login.InputResponse, ID: q.ID}
		note := ""
		req, err := http.NewRequestWithContext(r.p.ctx, q.Method, u, rd)
		if err == nil {
			err = terr
		}
		if err == nil {
			for _, f := range q.Header {
				if !strings.EqualFold(f.Name, "Content-Length") { // net/http writes it from the body
					req.Header.Add(f.Name, f.Value)
				}
			}
			if create && !toN && r.p.auth != "" {
				req.Header.Set("Authorization", r.p.auth)
			}
			c := *r.p.c
			c.Timeout = timeout
			var resp *http.Response
			if resp, err = c.Do(req); err == nil {
				b, rerr := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
				resp.Body.Close()
				if rerr == nil {
					h := make(oauth.Header, 0, len(resp.Header))
					for name, vs := range resp.Header {
						for _, v := range vs {
							h = append(h, oauth.Field{Name: name, Value: v})
						}
					}
					in.Response = login.Response{Status: resp.StatusCode, Header: h, Body: b}
				}
				err = rerr
			}
		}
		switch {
		case err != nil:
			note = fmt.Sprintf("%s %s: %v", q.Method, pathOnly(u), err)
		case in.Response.Status >= 400:
			note = fmt.Sprintf("%s %s -> %d %s", q.Method, pathOnly(u), in.Response.Status, in.Response.Body)
		}
		r.async(toN, in, note)
	}()
}
