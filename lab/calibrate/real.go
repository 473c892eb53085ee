package calibrate

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"time"

	"qrlab/lab/live"
	"qrlab/model/login"
	"qrlab/model/msg"
	"qrlab/model/oauth"
	"qrlab/model/qr"
	"qrlab/model/variant"
	"qrlab/model/wire"
)

// The real side: one login of the model's two devices, in wall time, every
// request of theirs (rendezvous, homeserver, provider) and the browser's
// pages sent over real HTTPS to a live server (simrun serve's). The user is
// the simulator's, with the same constant think times, doing the same
// steps (sim/world.go's effect and browserAnswer): scan, type the check
// code, open the browser, consent on the page it lands on, confirm.

// realEnv is what every login of one profile shares: the server's base URL
// and the test account's secrets.
type realEnv struct {
	v          variant.Variant
	base       string
	serverName string
	userID     string
	token      string
	secrets    msg.Secrets
	user       Think
	tlsConfig  *tls.Config
	limit      time.Duration
	timing     *serverTiming
	// cc is the congestion control read back from the server's socket;
	// dial sets the clients' sockets' (ccControl).
	cc   string
	dial func(network, address string, c syscall.RawConn) error
}

// Outcome is one login's result, real or simulated.
type Outcome struct {
	// OK: the new device ended in success.
	OK bool
	// TokenMillis and SecretsMillis are when the new device got its access
	// token and opened the secrets (-1: never), from the start of both
	// devices.
	TokenMillis, SecretsMillis int64
	// Detail says how a failed login ended.
	Detail string
	// Requests is how many HTTP requests the devices and the browser
	// sent, StepNanos the wall time the two machines spent in Step (their
	// cryptography and parsing: the harness's client-side cost), on the
	// real side; Lost is how many packets the simulator lost.
	Requests  int
	StepNanos int64
	Lost      int
	// TimerLateNanos is how much later than asked the harness's timers
	// (the machines' and the user's think times) fired, in all, over
	// Timers of them: the loop's scheduling lag on a loaded machine.
	TimerLateNanos int64
	Timers         int
	// Exchanges are the login's HTTP exchanges, each from the request
	// handed over to its answer read.
	Exchanges []Exchange
}

type actor uint8

const (
	actN actor = iota
	actE
	actBrowser
)

type connKey struct {
	a  actor
	op bool // the provider (else the homeserver, rendezvous included)
}

type realEvent struct {
	to  actor // actN or actE: input for that machine
	in  login.Input
	fn  func() // or something the run loop does
	err string
}

type timerKey struct {
	n  bool
	id uint64
}

// realLogin is one login's state; its loop runs on one goroutine.
type realLogin struct {
	env     *realEnv
	ctx     context.Context
	start   time.Time
	n       *login.NewDevice
	e       *login.ExistingDevice
	clients map[connKey]*http.Client
	events  chan realEvent
	dead    map[timerKey]bool
	wg      sync.WaitGroup

	shown, typed string
	asked        bool
	codeG        actor
	consentBack  bool
	out          Outcome
}

func (r *realLogin) now() login.Millis { return login.Millis(time.Since(r.start).Milliseconds()) }

// runReal runs one login against env's server.
func runReal(ctx context.Context, env *realEnv) (Outcome, error) {
	ecfg := login.ExistingDeviceConfig{Variant: env.v, Intent: qr.Login, BaseURL: env.base, ServerName: env.serverName,
		AccessToken: env.token, Secrets: env.secrets}
	ncfg := login.NewDeviceConfig{Variant: env.v, Intent: qr.Login, RendezvousBaseURL: env.base,
		ServerNames: map[string]string{env.serverName: env.base}, ExpectedUserID: env.userID}
	e, err := login.NewExistingDevice(ecfg, rand.Reader)
	if err != nil {
		return Outcome{}, fmt.Errorf("existing device: %w", err)
	}
	n, err := login.NewNewDevice(ncfg, rand.Reader)
	if err != nil {
		return Outcome{}, fmt.Errorf("new device: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r := &realLogin{env: env, ctx: ctx, n: n, e: e, clients: map[connKey]*http.Client{}, events: make(chan realEvent, 256),
		dead: map[timerKey]bool{}, out: Outcome{TokenMillis: -1, SecretsMillis: -1}}
	for _, k := range []connKey{{actN, false}, {actN, true}, {actE, false}, {actE, true}, {actBrowser, true}} {
		// One connection pool per client and server, as the simulator's
		// tcp transport keeps them; HTTP/1.1 keep-alive.
		tr := &http.Transport{TLSClientConfig: env.tlsConfig, MaxIdleConnsPerHost: 64, IdleConnTimeout: 90 * time.Second,
			DialContext:       (&net.Dialer{Control: env.dial}).DialContext,
			ForceAttemptHTTP2: false, TLSNextProto: map[string]func(string, *tls.Conn) http.RoundTripper{}}
		defer tr.CloseIdleConnections()
		r.clients[k] = &http.Client{Transport: tr,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	r.start = time.Now()
	r.loop()
	cancel()
	r.wg.Wait()
	return r.out, nil
}

// machine is what the run loop needs of a login machine.
type machine interface {
	State() login.State
	Step(now login.Millis, in login.Input) []login.Effect
}

func (r *realLogin) machine(a actor) machine {
	if a == actN {
		return r.n
	}
	return r.e
}

// later posts ev after d (on its own goroutine), unless the login ended.
func (r *realLogin) later(d time.Duration, ev realEvent) {
	r.wg.Add(1)
	due := time.Now().Add(max(d, 0))
	go func() {
		defer r.wg.Done()
		t := time.NewTimer(max(d, 0))
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.ctx.Done():
			return
		}
		fired := realEvent{fn: func() {
			r.out.TimerLateNanos += int64(time.Since(due))
			r.out.Timers++
			if ev.fn != nil {
				ev.fn()
			} else {
				r.dispatch(ev)
			}
		}}
		select {
		case r.events <- fired:
		case <-r.ctx.Done():
		}
	}()
}

func (r *realLogin) loop() {
	r.step(actN, login.Input{Kind: login.InputStart})
	r.step(actE, login.Input{Kind: login.InputStart})
	limit := time.NewTimer(r.env.limit)
	defer limit.Stop()
	for !(r.n.State().Terminal() && r.e.State().Terminal()) {
		select {
		case ev := <-r.events:
			if ev.fn != nil {
				ev.fn()
				continue
			}
			r.dispatch(ev)
		case <-limit.C:
			if r.out.Detail == "" {
				r.out.Detail = fmt.Sprintf("did not end within %v", r.env.limit)
			}
			return
		case <-r.ctx.Done():
			r.out.Detail = "cancelled"
			return
		}
	}
}

// dispatch hands ev's input to its machine, unless it is a cancelled timer.
func (r *realLogin) dispatch(ev realEvent) {
	if ev.in.Kind == login.InputTimer && r.dead[timerKey{ev.to == actN, ev.in.ID}] {
		return
	}
	r.step(ev.to, ev.in)
}

func (r *realLogin) step(a actor, in login.Input) {
	m := r.machine(a)
	if m.State().Terminal() {
		return
	}
	t0 := time.Now()
	fx := append([]login.Effect(nil), m.Step(r.now(), in)...)
	r.out.StepNanos += int64(time.Since(t0))
	for i := range fx {
		r.effect(a, &fx[i])
	}
}

// effect carries out one effect as the simulator's Runner.effect does.
func (r *realLogin) effect(a actor, f *login.Effect) {
	other := actE
	if a == actE {
		other = actN
	}
	u := r.env.user
	switch f.Kind {
	case login.EffectRequest:
		r.request(a, f.Request)
	case login.EffectSetTimer:
		r.later(time.Duration(f.At-r.now())*time.Millisecond, realEvent{to: a, in: login.Input{Kind: login.InputTimer, ID: f.Timer}})
	case login.EffectCancelTimer:
		r.dead[timerKey{a == actN, f.Timer}] = true
	case login.EffectState:
		if a == actN && f.From == login.StatePollingToken && !f.To.Terminal() && r.out.TokenMillis < 0 {
			r.out.TokenMillis = int64(r.now())
		}
	case login.EffectChannel:
		if a == actN && !f.Sealed && f.MsgType == msg.TypeSecrets && r.out.SecretsMillis < 0 {
			r.out.SecretsMillis = int64(r.now())
		}
	case login.EffectShowQR:
		r.later(u.draw(u.Scan), realEvent{to: other, in: login.Input{Kind: login.InputScanned, Data: f.Data}})
	case login.EffectShowCheckCode:
		r.shown, r.codeG = f.Text, other
		r.typeCode()
	case login.EffectAskCheckCode:
		r.asked, r.codeG = true, a
		r.typeCode()
	case login.EffectOpenBrowser:
		uri := f.Text
		r.later(u.draw(u.BrowserOpen), realEvent{fn: func() {
			r.step(actE, login.Input{Kind: login.InputBrowserOpened})
			r.later(u.draw(u.Consent), realEvent{fn: func() { r.browse(uri, nil, 0) }})
		}})
	case login.EffectAskConfirmAccount:
		r.later(u.draw(u.Confirm), realEvent{to: actN, in: login.Input{Kind: login.InputConfirmAccount, OK: f.Text == r.env.userID}})
	case login.EffectOutcome:
		if a == actN {
			r.out.OK = f.Outcome.Success
			if !f.Outcome.Success {
				r.out.Detail = f.Outcome.String() + " " + f.Outcome.Detail
			}
		}
	}
}

func (r *realLogin) typeCode() {
	if r.shown == "" || !r.asked || r.typed != "" {
		return
	}
	r.typed = r.shown
	r.later(r.env.user.draw(r.env.user.TypeCode), realEvent{to: r.codeG, in: login.Input{Kind: login.InputCheckCode, Text: r.shown}})
}

func ms(v int64) time.Duration { return time.Duration(v) * time.Millisecond }

// actorName is a's name in the simulator's traces.
func actorName(a actor) string {
	switch a {
	case actN:
		return "N"
	case actE:
		return "E"
	}
	return "Browser"
}

// request sends a machine's request over HTTP and posts the answer (Status
// 0 when the request failed or timed out, as the simulator's transport
// error and timeout do).
func (r *realLogin) request(a actor, q login.Request) {
	r.out.Requests++
	timeout, terr := live.ClientTimeout(q.Timeout) // 0: none
	c := r.clients[connKey{a, q.Target == login.TargetOP}]
	u := q.URL
	if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
		u = r.env.base + q.Path
	}
	t0 := time.Now()
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		resp, err := login.Response{}, terr
		if err == nil {
			resp, err = r.do(c, q.Method, u, q.Header, q.Body, timeout)
		}
		if err != nil {
			resp = login.Response{Failure: login.FailureTransport}
			if errors.Is(err, context.DeadlineExceeded) {
				resp.Failure = login.FailureTimeout
			}
		}
		end := time.Since(t0)
		ev := realEvent{fn: func() {
			r.out.Exchanges = append(r.out.Exchanges, Exchange{Kind: exchangeKind(actorName(a), q.Method, u),
				Millis: float64(end.Microseconds()) / 1000, Failed: err != nil})
			r.dispatch(realEvent{to: a, in: login.Input{Kind: login.InputResponse, ID: q.ID, Response: resp}})
		}}
		select {
		case r.events <- ev:
		case <-r.ctx.Done():
		}
	}()
}

// do sends one request and reads its answer within timeout (0: no
// deadline but the run's).
func (r *realLogin) do(c *http.Client, method, u string, h wire.Header, body []byte, timeout time.Duration) (login.Response, error) {
	ctx, cancel := r.ctx, context.CancelFunc(func() {})
	if timeout > 0 {
		ctx, cancel = context.WithTimeout(r.ctx, timeout)
	}
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return login.Response{}, err
	}
	for _, f := range h {
		if !strings.EqualFold(f.Name, "Content-Length") {
			req.Header.Add(f.Name, f.Value)
		}
	}
	resp, err := c.Do(req)
	if err != nil {
		return login.Response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return login.Response{}, err
	}
	out := login.Response{Status: resp.StatusCode, Body: b}
	for name, vs := range resp.Header {
		for _, v := range vs {
			out.Header = append(out.Header, oauth.Field{Name: name, Value: v})
		}
	}
	return out, nil
}

// browse loads a provider page in the browser (GET, or POST form) and acts
// on it as the simulator's user does: follow a redirect, consent on the
// consent page, confirm on E once approved; a page that does not load is
// reloaded after the user's patience, a few times.
func (r *realLogin) browse(uri string, form []byte, tries int) {
	u := r.env.user
	c := r.clients[connKey{actBrowser, true}]
	r.out.Requests++
	method := "GET"
	var h wire.Header
	if form != nil {
		method, h = "POST", wire.NewHeader("Content-Type", wire.ContentTypeForm)
	}
	t0 := time.Now()
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		resp, err := r.do(c, method, uri, h, form, ms(u.BrowserRetryMillis))
		end := time.Since(t0)
		fn := func() {
			r.out.Exchanges = append(r.out.Exchanges, Exchange{Kind: exchangeKind(actorName(actBrowser), method, uri),
				Millis: float64(end.Microseconds()) / 1000, Failed: err != nil})
			switch {
			case err != nil && tries < u.BrowserRetries:
				r.browse(uri, form, tries+1)
			case err == nil && resp.Status/100 == 3:
				loc := resp.Header.Get("Location")
				if strings.HasPrefix(loc, "/") {
					loc = r.env.base + loc
				}
				r.browse(loc, nil, 0)
			case err == nil && resp.Status == 200 && form == nil && strings.Contains(uri, "/"+oauth.PathConsent):
				r.browse(uri, oauth.EncodeForm("action", oauth.ActionConsent), 0)
			case err == nil && resp.Status == 200 && form != nil && !r.consentBack:
				r.consentBack = true
				r.later(u.draw(u.Confirm), realEvent{to: actE, in: login.Input{Kind: login.InputConsent, OK: true}})
			default:
				if r.out.Detail == "" {
					r.out.Detail = fmt.Sprintf("browser: %s %s: status %d %v", method, uri, resp.Status, err)
				}
				r.later(u.draw(u.Confirm), realEvent{to: actE, in: login.Input{Kind: login.InputConsent, OK: false}})
			}
		}
		select {
		case r.events <- realEvent{fn: fn}:
		case <-r.ctx.Done():
		}
	}()
}
