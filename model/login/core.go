package login

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"qrlab/model/channel"
	"qrlab/model/homeserver"
	"qrlab/model/msg"
	"qrlab/model/qr"
	"qrlab/model/rendezvous"
	"qrlab/model/variant"
	"qrlab/model/wire"
	"qrlab/model/wire/canonicaljson"
)

// mbOp is the rendezvous operation in flight.
type mbOp uint8

const (
	opNone mbOp = iota
	opCreate
	opRead
	opPoll
	opPut
	opReread // GET after a write conflict, before a retried PUT (write_conflict "retry")
	opAPI    // not a rendezvous request
	opDiscover
)

// timer purposes
type purpose uint8

const (
	tNone purpose = iota
	tPoll
	tRetry
	tTokenPoll
	tDevicePoll
)

// route is where core.route sends an input.
type route uint8

const (
	routeIgnore  route = iota // consumed (stale, retried, polled again) or terminal
	routeMailbox              // a mailbox event: routed.ev (and routed.data)
	routeAPI                  // the response to an API request: routed.resp
	routeTimer                // a machine timer fired: routed.fired
	routeUser                 // a user input
)

// routed is what core.route made of an input: where it goes and what it
// carries there.
type routed struct {
	kind  route
	ev    mbEvent  // routeMailbox
	data  string   // routeMailbox with evData: the payload the peer wrote
	resp  Response // routeAPI
	fired purpose  // routeTimer
}

// Shorthands for the results of route.
var ignored = routed{}

func toMailbox(ev mbEvent) routed { return routed{kind: routeMailbox, ev: ev} }

// mbEvent is what the mailbox tells its machine.
type mbEvent uint8

const (
	evCreated mbEvent = iota + 1 // the session exists (G)
	evRead                       // the first read of a scanned session succeeded (S)
	evSent                       // our PUT was accepted (polling has begun)
	evData                       // the other side wrote a new payload: core.data
)

// device is what each machine adds to core: its answers where the shared
// flow hands over. core.Step calls them; each runs inside one Step.
type device interface {
	// scannedQR: S decoded the QR code p and is reading the session.
	scannedQR(p qr.Payload)
	// codeConfirmed: G's user typed the right code while it waited for it.
	codeConfirmed()
	// channelUp: S opened LoginOk and showed the check code.
	channelUp()
	// sent: a PUT of this device went through (polling has begun).
	sent()
	// message: an m.login.* message opened after the handshake (failure and
	// declined already ended the login in openMsg).
	message(m msg.Message)
	// user: the user inputs core does not handle itself.
	user(in Input)
	// api: the answer to an API request.
	api(r Response)
	// readMemo is the configuration's rendezvous.ReadMemo (nil: none).
	readMemo() *rendezvous.ReadMemo
	// timerFired: the machine timer of purpose p fired; the deadline is
	// core's own.
	timerFired(p purpose)
}

// core is what both machines share: the rendezvous client with its turn
// taking, the secure channel, request and timer bookkeeping, the Step
// driver, and the way a login ends. It holds no goroutine and reads no clock.
type core struct {
	// bearer is the device's own access token (the existing device's),
	// sent when it creates or discovers a rendezvous session, which a
	// server may allow to signed-in users only.
	bearer string
	v      variant.Variant
	cc     channel.Config
	rv     rendezvous.Config
	rnd    io.Reader
	opts   []msg.Option
	etag   bool
	// codec builds the rendezvous requests and parses the answers of the
	// flavour.
	codec rendezvous.Client

	dev        device    // the machine embedding this core
	gIntent    qr.Intent // the intent of the QR code this device shows as G
	createBase string    // G: the base URL it creates its session under
	qrServer   string    // G: the server name its 2024 QR code carries

	fx    []Effect
	now   Millis
	ids   uint64
	state State
	role  channel.Role

	// The rendezvous session.
	rvBase      string // base URL the session lives under (AAD binding)
	rvID        string // session ID (JSON flavours)
	sessURL     string
	sessPath    string
	token       string // ETag or sequence token of our latest read or write
	prevToken   string // token before the latest read (AAD of Open)
	lastWritten string
	lastRead    string
	pending     string // payload of the PUT in flight
	hasSession  bool
	pollEvery   Millis
	conflicts   int
	txnPrefix   string // put_txn_id: random part of every transaction ID
	txns        uint64 // put_txn_id: writes so far (the counter part)

	// The request in flight (one at a time) and its retries.
	req      Request
	op       mbOp
	inflight uint64
	tries    int
	wait     Millis                // the wait before the last retry (0 before the first)
	waited   Millis                // the sum of the waits so far (against retry_budget_ms)
	soft     bool                  // an API request whose failure must not end the login
	kind     string                // the request kind in flight (variant.Kind*)
	pol      variant.RequestPolicy // its effective policy

	timer        uint64
	timerPurpose purpose
	deadline     uint64
	deadReason   Reason // how the login ends when the deadline fires
	deadDetail   string

	gen     *channel.Generator
	scanner *channel.Scanner
	ch      *channel.Channel
	codeOK  bool // G: the user typed the right check code
	gpKey   channel.PublicKey

	out Outcome

	// mut are the variant's mutations (deliberate defects for the lab's
	// catalogue of known-bad designs); all false in an honest variant.
	mut mutations
}

// mutations are the login-side defects a variant may carry
// (variant.MutationNames); each guards one deviation from the honest flow.
type mutations struct {
	noCheckCode, secretsBeforeDeviceCheck, secretsBeforeSuccess, acceptUnexpected, noExpiry, noAAD, noWhoamiCheck bool
}

// codeDone reports whether G may go on as if the check code was confirmed:
// it was, or the no-check-code mutation skips it.
func (c *core) codeDone() bool { return c.codeOK || c.mut.noCheckCode }

// attach binds the core to dev, which shows QR codes of intent gIntent when
// it is G, and picks the role from the intent the caller configured; who
// names the device in errors.
func (c *core) attach(dev device, who string, intent, gIntent qr.Intent) error {
	c.dev, c.gIntent = dev, gIntent
	switch intent {
	case gIntent:
		c.role = channel.RoleGenerator
	case otherIntent(gIntent):
		c.role = channel.RoleScanner
	default:
		return fmt.Errorf("login: %s: intent %v is neither login nor reciprocate", who, intent)
	}
	return nil
}

// init reads the variant's configurations and draws what the core needs at
// construction.
func (c *core) init(v variant.Variant, rnd io.Reader) error {
	c.v, c.rnd = v, rnd
	var err error
	if c.cc, err = v.ChannelConfig(); err != nil {
		return fmt.Errorf("login: %w", err)
	}
	if c.rv, err = v.RendezvousConfig(); err != nil {
		return fmt.Errorf("login: %w", err)
	}
	c.codec = rendezvous.NewClient(c.rv.Flavour)
	c.etag = c.codec.ETag()
	c.opts = []msg.Option{msg.WithGeneration(v.Generation())}
	if v.Messages.StrictDecode {
		c.opts = append(c.opts, msg.DisallowUnknownFields())
	}
	c.pollEvery = Millis(v.Timing.PollIntervalMillis)
	c.fx = make([]Effect, 0, 8)
	if m := v.Mutations; !m.IsZero() {
		c.mut = mutations{
			noCheckCode:              m.Has(variant.MutNoCheckCode),
			secretsBeforeDeviceCheck: m.Has(variant.MutSecretsBeforeDeviceCheck),
			secretsBeforeSuccess:     m.Has(variant.MutSecretsBeforeSuccess),
			acceptUnexpected:         m.Has(variant.MutAcceptUnexpectedMessages),
			noExpiry:                 m.Has(variant.MutNoExpiry),
			noAAD:                    m.Has(variant.MutNoAADBinding),
			noWhoamiCheck:            m.Has(variant.MutNoWhoamiCheck),
		}
	}
	if v.Rendezvous.PutTxnID {
		var b [8]byte
		if _, err := io.ReadFull(rnd, b[:]); err != nil {
			return fmt.Errorf("login: transaction IDs: %w", err)
		}
		c.txnPrefix = hex.EncodeToString(b[:])
	}
	return nil
}

// otherIntent is the intent of the QR code the other device shows.
func otherIntent(i qr.Intent) qr.Intent {
	if i == qr.Login {
		return qr.Reciprocate
	}
	return qr.Login
}

// Step feeds one input at time now and returns the effects. The slice is
// reused by the next Step: consume it first.
func (c *core) Step(now Millis, in Input) []Effect {
	c.begin(now)
	if c.state.Terminal() {
		return c.fx
	}
	switch rt := c.route(in); rt.kind {
	case routeUser:
		c.user(in)
	case routeMailbox:
		c.mailbox(rt.ev, rt.data)
	case routeAPI:
		c.dev.api(rt.resp)
	case routeTimer:
		c.dev.timerFired(rt.fired)
	}
	return c.fx
}

// State returns the current state.
func (c *core) State() State { return c.state }

// Outcome returns how the login ended (meaningful once State is terminal).
func (c *core) Outcome() Outcome { return c.out }

// CheckCode returns the check code of the channel ("" before it exists), for
// tests and simulated users.
func (c *core) CheckCode() string {
	if c.ch == nil {
		return ""
	}
	return c.ch.CheckCode().String()
}

// facts reports the handshake facts both machines share.
func (c *core) facts() Facts {
	return Facts{Generator: c.role == channel.RoleGenerator, CodeConfirmed: c.codeOK,
		ChannelUp: c.ch != nil && (c.role == channel.RoleGenerator || c.ch.Opened() > 0)}
}

// user handles the inputs both machines treat alike and hands the others
// to the device.
func (c *core) user(in Input) {
	switch in.Kind {
	case InputStart:
		if c.state != StateIdle {
			return
		}
		if c.role == channel.RoleGenerator {
			c.startGenerator(c.createBase)
		} else {
			c.setState(StateWaitingScan)
		}
	case InputScanned:
		if c.state != StateWaitingScan {
			return
		}
		if p, ok := c.scanned(in.Data, otherIntent(c.gIntent)); ok {
			c.dev.scannedQR(p)
		}
	case InputCheckCode:
		if c.typedCode(in.Text) && c.state == StateWaitingCheckCode {
			c.dev.codeConfirmed()
		}
	case InputCancel:
		c.failSend(ReasonUserCancelled, "cancelled by the user")
	default:
		c.dev.user(in)
	}
}

// mailbox handles a mailbox event (data: the payload of evData): the
// handshake here, the rest by the device.
func (c *core) mailbox(ev mbEvent, data string) {
	switch ev {
	case evCreated:
		c.showQR(c.gIntent, c.rvBase, c.qrServer)
	case evRead:
		c.initiate()
	case evSent:
		c.dev.sent()
	case evData:
		switch c.state {
		case StateWaitingInitiate:
			c.accept(data)
		case StateWaitingOk:
			if c.loginOk(data) {
				c.dev.channelUp()
			}
		default:
			if m, ok := c.openMsg(data); ok {
				c.dev.message(m)
			}
		}
	}
}

func (c *core) begin(now Millis) {
	c.fx = c.fx[:0]
	if now > c.now {
		c.now = now
	}
}

func (c *core) setState(s State) {
	if s != c.state {
		c.fx = append(c.fx, Effect{Kind: EffectState, From: c.state, To: s})
		c.state = s
	}
}

func (c *core) nextID() uint64 { c.ids++; return c.ids }

// issue emits a request and makes it the one in flight.
func (c *core) issue(op mbOp, t Target, method, url string, h Header, body []byte) {
	c.issueKind(kindOf(op, pathOf(url)), op, t, method, url, h, body)
}

// issueKind is issue for a request whose kind its path does not tell (the
// token poll).
func (c *core) issueKind(kind string, op mbOp, t Target, method, url string, h Header, body []byte) {
	if kind != c.kind || c.pol.Retries == nil {
		// The policy is the variant's for the kind: the same for every
		// request of the kind (the polls), so made once per run of them.
		c.kind, c.pol = kind, c.v.Timing.Policy(kind)
	}
	c.req = Request{ID: c.nextID(), Target: t, Method: method, URL: url, Path: pathOf(url), Header: h, Body: body,
		Timeout: Millis(c.pol.TimeoutMillis)}
	c.op, c.inflight, c.tries, c.soft = op, c.req.ID, 0, false
	c.wait, c.waited = 0, 0
	c.fx = append(c.fx, Effect{Kind: EffectRequest, Request: c.req})
}

// reissue sends the request in flight again under a new ID.
func (c *core) reissue() {
	c.req.ID = c.nextID()
	c.inflight = c.req.ID
	c.fx = append(c.fx, Effect{Kind: EffectRequest, Request: c.req})
}

func (c *core) setTimer(p purpose, after Millis) {
	c.cancelTimer()
	c.timer, c.timerPurpose = c.nextID(), p
	c.fx = append(c.fx, Effect{Kind: EffectSetTimer, Timer: c.timer, At: c.now + after})
}

func (c *core) cancelTimer() {
	if c.timer != 0 {
		c.fx = append(c.fx, Effect{Kind: EffectCancelTimer, Timer: c.timer})
		c.timer, c.timerPurpose = 0, tNone
	}
}

// setDeadline ends the login with reason (told to the peer) unless
// cancelDeadline comes first.
func (c *core) setDeadline(after Millis, reason Reason, detail string) {
	c.cancelDeadline()
	if c.mut.noExpiry {
		return // mutation: the device never gives up
	}
	c.deadline, c.deadReason, c.deadDetail = c.nextID(), reason, detail
	c.fx = append(c.fx, Effect{Kind: EffectSetTimer, Timer: c.deadline, At: c.now + after})
}

func (c *core) cancelDeadline() {
	if c.deadline != 0 {
		c.fx = append(c.fx, Effect{Kind: EffectCancelTimer, Timer: c.deadline})
		c.deadline = 0
	}
}

// route sorts an input and returns where it goes: stale responses and timers
// are dropped, transport failures retried, rendezvous responses turned into
// mailbox events.
func (c *core) route(in Input) routed {
	switch in.Kind {
	case InputResponse:
		if in.ID == 0 || in.ID != c.inflight {
			return ignored
		}
		c.inflight = 0
		r := in.Response
		if r.Status == 0 || r.Status == 429 || r.Status >= 500 {
			limit := *c.pol.Retries
			switch {
			case r.Status == 0 && r.Failure == FailureTransport && c.pol.TransportRetries != nil:
				limit = *c.pol.TransportRetries
			case r.Status == 0 && r.Failure == FailureTimeout && c.pol.TimeoutRetries != nil:
				limit = *c.pol.TimeoutRetries
			}
			if wait, ok := c.nextWait(limit); ok {
				c.tries++
				c.wait, c.waited = wait, c.waited+wait
				c.setTimer(tRetry, wait)
				return ignored
			}
			if rt, ok := c.afterRetries(r); ok {
				return rt
			}
			if c.op == opAPI && c.soft {
				return routed{kind: routeAPI, resp: r}
			}
			end := c.failLocal
			if c.kind == variant.KindTokenPoll {
				end = c.failToken
			}
			if r.Status == 0 {
				end(ReasonTimeout, fmt.Sprintf("%s %s: no answer after %d tries", c.req.Method, c.req.Path, c.tries+1))
			} else {
				end(ReasonHTTPError, fmt.Sprintf("%s %s: status %d after %d tries", c.req.Method, c.req.Path, r.Status, c.tries+1))
			}
			return ignored
		}
		if c.op == opAPI {
			return routed{kind: routeAPI, resp: r}
		}
		return c.mailboxResponse(r)
	case InputTimer:
		return c.timerInput(in.ID)
	case InputStart, InputScanned, InputCheckCode, InputBrowserOpened, InputBrowserFailed, InputConsent,
		InputConfirmAccount, InputCancel:
		return routed{kind: routeUser}
	}
	return ignored
}

// nextWait is the wait before the next retry of the request in flight, and
// false when its policy allows none: limit (variant.Unlimited: none) is
// spent, or the wait would take the sum of waits past retry_budget_ms. The
// wait starts at backoff_ms and is multiplied by backoff_factor after each
// retry, capped at backoff_max_ms (an exponential backoff without jitter).
func (c *core) nextWait(limit int) (Millis, bool) {
	if limit != variant.Unlimited && c.tries >= limit {
		return 0, false
	}
	wait := Millis(c.pol.BackoffMillis)
	if c.tries > 0 && c.pol.BackoffFactor > 1 {
		wait = c.wait
		if ceiling := Millis(c.pol.BackoffMaxMillis); wait < ceiling {
			wait = min(Millis(float64(wait)*c.pol.BackoffFactor), ceiling)
		}
	}
	if budget := Millis(c.pol.RetryBudgetMillis); budget > 0 && c.waited+wait > budget {
		return 0, false
	}
	return wait, true
}

// afterRetries applies the request kind's policy to a failure that outlived
// its retries; false leaves it to the default (the login ends).
func (c *core) afterRetries(r Response) (routed, bool) {
	mode := c.pol.HTTPError
	if r.Status == 0 {
		mode = c.pol.TransportError
	}
	switch mode {
	case variant.ErrorPollAgain:
		c.setTimer(tPoll, c.pollEvery)
		return ignored, true
	case variant.ErrorIgnore:
		// As the js-sdk's PUT: the status is not looked at, so the write
		// counts as done and the device goes on polling.
		c.lastWritten = c.pending
		c.startPolling()
		return toMailbox(evSent), true
	case variant.ErrorBackoff:
		return routed{kind: routeAPI, resp: r}, true // the token poll backs off
	}
	return routed{}, false
}

// kindOf is the policy kind of a request, from its operation and path.
func kindOf(op mbOp, path string) string {
	switch {
	case op == opPoll:
		return variant.KindRendezvousPoll
	case op == opPut:
		return variant.KindRendezvousWrite
	case op == opCreate:
		return variant.KindRendezvousCreate
	case op != opAPI:
		return variant.KindOther
	case path == homeserver.PathWhoami:
		return variant.KindWhoami
	case path == homeserver.PathKeysUpload:
		return variant.KindKeysUpload
	case strings.HasPrefix(path, homeserver.PathDevicesPrefix):
		return variant.KindDevices
	case path == homeserver.PathAuthMetadata, path == homeserver.PathAuthMetadataUnstable,
		path == homeserver.PathAuthIssuer, path == homeserver.PathAuthIssuerUnstable:
		return variant.KindDiscovery
	}
	return variant.KindOther
}

// timerInput routes a timer: the deadline ends the login, a retry or poll
// timer reissues its request, a machine timer goes to the device.
func (c *core) timerInput(id uint64) routed {
	if id != 0 && id == c.deadline {
		c.deadline = 0
		c.failSend(c.deadReason, c.deadDetail)
		return ignored
	}
	if id == 0 || id != c.timer {
		return ignored
	}
	p := c.timerPurpose
	c.timer, c.timerPurpose = 0, tNone
	switch p {
	case tRetry:
		c.reissue()
		return ignored
	case tPoll:
		c.issuePoll()
		return ignored
	}
	return routed{kind: routeTimer, fired: p}
}

// Rendezvous requests: the codec writes them, core adds URLs and the
// bearer token.

func (c *core) createURL() string {
	return strings.TrimSuffix(c.rvBase, "/") + c.rv.Prefixes[0]
}

// discoverRendezvous asks the MSC4388 discovery endpoint (GET {prefix}) whether this
// device may create a session; create follows on {"create_available": true}.
func (c *core) discoverRendezvous() {
	var h Header
	if c.bearer != "" {
		h = wire.NewHeader("Authorization", "Bearer "+c.bearer)
	}
	c.issue(opDiscover, TargetRendezvous, "GET", c.createURL(), h, nil)
}

// rendezvousDiscovered handles the discovery answer: create, or end the login.
func (c *core) rendezvousDiscovered(r Response) {
	if r.Status == 200 {
		available, err := rendezvous.ParseDiscovery(rvResponse(r))
		switch {
		case err != nil:
			c.failLocal(ReasonRendezvousUnavailable, "rendezvous discovery: no create_available in the answer")
		case available:
			c.create()
		default:
			c.failLocal(ReasonRendezvousUnavailable, "rendezvous discovery: create_available is false")
		}
		return
	}
	detail := fmt.Sprintf("rendezvous discovery: status %d", r.Status)
	if code, ok := rendezvous.Errcode(r.Body); ok {
		detail += " " + code
	}
	c.failLocal(ReasonRendezvousUnavailable, detail)
}

// nextTxnID returns a fresh transaction ID for one write: the random
// prefix drawn at construction and a counter, in the opaque identifier
// grammar (hex digits and a dot) that Synapse's check accepts too.
func (c *core) nextTxnID() string {
	c.txns++
	return c.txnPrefix + "." + strconv.FormatUint(c.txns, 10)
}

func (c *core) create() {
	h, body := c.codec.Create("")
	if c.bearer != "" {
		h.Add("Authorization", "Bearer "+c.bearer)
	}
	c.issue(opCreate, TargetRendezvous, "POST", c.createURL(), h, body)
}

func (c *core) read() {
	c.issue(opRead, TargetRendezvous, "GET", c.sessURL, nil, nil)
}

func (c *core) issuePoll() {
	c.issue(opPoll, TargetRendezvous, "GET", c.sessURL, c.codec.Poll(c.token), nil)
}

// startPolling begins reading the mailbox for the other side's turn.
func (c *core) startPolling() {
	c.pollEvery = Millis(c.v.Timing.PollIntervalMillis)
	c.setTimer(tPoll, c.pollEvery)
}

func (c *core) put(payload string) {
	c.pending = payload
	h, body := c.codec.Put(c.token, payload)
	url := c.sessURL
	if !c.etag && c.v.Rendezvous.PutTxnID {
		// A fresh ID per write; a retry of this write (reissue) resends the
		// same URL, so the server replays its recorded outcome.
		url = rendezvous.PutURL(url, c.nextTxnID())
	}
	c.issue(opPut, TargetRendezvous, "PUT", url, h, body)
}

func (c *core) deleteSession() {
	if !c.hasSession || c.sessURL == "" || c.v.Flow.SessionDelete == variant.SessionDeleteNever {
		return
	}
	// Fire and forget: nobody waits for the answer.
	c.fx = append(c.fx, Effect{Kind: EffectRequest, Request: Request{ID: c.nextID(), Target: TargetRendezvous,
		Method: "DELETE", URL: c.sessURL, Path: c.sessPath, Timeout: Millis(c.v.Timing.HTTPTimeoutMillis)}})
}

// rvResponse is r as the rendezvous codec takes it.
func rvResponse(r Response) *rendezvous.Response {
	return &rendezvous.Response{Status: r.Status, Header: r.Header, Body: r.Body}
}

// mailboxResponse interprets the answer to a rendezvous request, parsed by
// the flavour's codec.
func (c *core) mailboxResponse(r Response) routed {
	op := c.op
	c.op = opNone
	if op == opDiscover {
		c.rendezvousDiscovered(r)
		return ignored
	}
	if r.Status == 404 {
		c.failLocal(ReasonRendezvousExpired, fmt.Sprintf("%s %s: 404", c.req.Method, c.req.Path))
		return ignored
	}
	switch op {
	case opCreate:
		return c.created(r)
	case opRead, opPoll, opReread:
		if c.etag && r.Status == 304 && op != opRead {
			return c.unchanged()
		}
		if r.Status != 200 {
			c.failLocal(ReasonHTTPError, fmt.Sprintf("rendezvous GET: status %d", r.Status))
			return ignored
		}
		d, t, err := c.codec.ParseReadMemo(c.dev.readMemo(), rvResponse(r))
		if err != nil {
			c.failLocal(ReasonHTTPError, "rendezvous GET: malformed answer")
			return ignored
		}
		return c.readAnswer(op, d, t)
	case opPut:
		tok, err := c.codec.ParseWritten(rvResponse(r))
		switch {
		case errors.Is(err, rendezvous.ErrAnswerConflict):
			return c.conflict()
		case errors.Is(err, rendezvous.ErrAnswerStatus):
			c.failLocal(ReasonHTTPError, fmt.Sprintf("rendezvous PUT: status %d", r.Status))
			return ignored
		case err != nil:
			c.failLocal(ReasonHTTPError, "rendezvous PUT: no new token")
			return ignored
		}
		c.token, c.lastWritten = tok, c.pending
		c.startPolling()
		return toMailbox(evSent)
	}
	return ignored
}

// created takes the answer to the create: the session exists.
func (c *core) created(r Response) routed {
	cr, err := c.codec.ParseCreate(rvResponse(r))
	switch {
	case errors.Is(err, rendezvous.ErrAnswerStatus):
		c.failLocal(ReasonHTTPError, fmt.Sprintf("rendezvous create: status %d", r.Status))
		return ignored
	case err != nil && c.etag:
		c.failLocal(ReasonHTTPError, "rendezvous create: no url or ETag")
		return ignored
	case err != nil:
		c.failLocal(ReasonHTTPError, "rendezvous create: no id or sequence_token")
		return ignored
	}
	c.token = cr.Token
	if c.etag {
		c.sessURL = cr.URL
	} else {
		c.rvID = cr.ID
		c.sessURL = c.createURL() + "/" + cr.ID
	}
	c.sessPath = pathOf(c.sessURL)
	c.hasSession = true
	c.lastWritten = ""
	return toMailbox(evCreated)
}

// readAnswer takes the payload and token a GET answered.
func (c *core) readAnswer(op mbOp, d []byte, tok string) routed {
	// The payload becomes a string only when it is kept: most polls read
	// again what the device has already read or written.
	switch op {
	case opRead:
		c.token, c.lastRead = tok, string(d)
		return toMailbox(evRead)
	case opReread:
		switch {
		case string(d) == c.pending:
			// The refused PUT was a retry of a write that had landed
			// (its answer was lost): the mailbox holds our payload, so
			// it is sent. Writing it again would put a second copy
			// behind the peer's back.
			c.token, c.lastWritten = tok, c.pending
			c.startPolling()
			return toMailbox(evSent)
		case string(d) != c.lastRead && len(d) > 0:
			// The peer has written since: it answered our landed write
			// (or wrote out of turn). Overwriting its message would
			// lose it; count ours as sent and let the next poll, still
			// on the old token, read the peer's.
			c.lastWritten = c.pending
			c.startPolling()
			return toMailbox(evSent)
		}
		c.token = tok
		c.put(c.pending)
		return ignored
	}
	// A poll: new only if the token moved and the payload is neither
	// ours nor one we already read (a stale or duplicated read).
	if tok == c.token || string(d) == c.lastWritten || string(d) == c.lastRead || len(d) == 0 {
		return c.unchanged()
	}
	data := string(d)
	c.prevToken, c.token, c.lastRead = c.token, tok, data
	return routed{kind: routeMailbox, ev: evData, data: data}
}

func (c *core) unchanged() routed {
	next := Millis(float64(c.pollEvery) * c.v.Timing.PollBackoffFactor)
	c.pollEvery = min(next, Millis(c.v.Timing.PollBackoffMaxMillis))
	c.setTimer(tPoll, c.pollEvery)
	return ignored
}

// conflict applies the write-conflict knob to a refused PUT.
func (c *core) conflict() routed {
	switch c.v.Flow.WriteConflict {
	case variant.ConflictIgnore:
		// As the js-sdk: the message is silently lost; carry on as if sent.
		c.lastWritten = c.pending
		c.startPolling()
		return toMailbox(evSent)
	case variant.ConflictRetry:
		if c.conflicts < c.v.Timing.HTTPRetries {
			c.conflicts++
			c.issue(opReread, TargetRendezvous, "GET", c.sessURL, nil, nil)
			return ignored
		}
	}
	c.failLocal(ReasonWriteConflict, "rendezvous PUT refused as stale")
	return ignored
}

// Channel helpers.

func (c *core) aad(token string) []byte {
	if !c.v.Channel.AADBinding || c.mut.noAAD {
		return nil
	}
	b, err := channel.BindingAAD(c.v.AADLayout(), c.rvBase, c.rvID, token)
	if err != nil {
		return []byte{0} // an AAD nobody else computes: the Open fails, as it should
	}
	return b
}

// sealSend seals m, emits the trace event and PUTs it.
func (c *core) sealSend(m msg.Message) bool {
	pt, err := msg.Encode(m)
	if err != nil {
		c.finish(Outcome{Reason: ReasonInternal, Detail: err.Error()})
		return false
	}
	payload, err := c.ch.Seal(pt, c.aad(c.token))
	if err != nil {
		c.finish(Outcome{Reason: ReasonInternal, Detail: err.Error()})
		return false
	}
	c.fx = append(c.fx, Effect{Kind: EffectChannel, Sealed: true, MsgType: m.Type()})
	c.put(payload)
	return true
}

// openMsg opens the payload data just read and decodes it. On failure it has
// already ended the login with the right reason.
func (c *core) openMsg(data string) (msg.Message, bool) {
	pt, err := c.ch.Open(data, c.aad(c.prevToken))
	if err != nil {
		c.failLocal(ReasonChannelIntegrity, err.Error())
		return nil, false
	}
	m, err := msg.Decode(pt, c.opts...)
	if err == nil && c.v.Messages.HomeserverAccept == variant.AcceptURL {
		err = homeserverNotURL(m)
	}
	if err != nil {
		c.fx = append(c.fx, Effect{Kind: EffectChannel, MsgType: "undecodable"})
		if errors.Is(err, msg.KindWrongProtocol) {
			c.failSend(ReasonUnsupportedProtocol, err.Error())
		} else {
			c.answerUnexpected(true, err.Error())
		}
		return nil, false
	}
	c.fx = append(c.fx, Effect{Kind: EffectChannel, MsgType: m.Type()})
	switch m := m.(type) {
	case msg.Failure:
		c.deleteSession()
		c.finish(Outcome{Reason: Reason(m.Reason), ByPeer: true, Detail: "m.login.failure"})
		return nil, false
	case msg.Declined:
		c.deleteSession()
		c.finish(Outcome{Reason: ReasonDeclined, ByPeer: true, Detail: "m.login.declined"})
		return nil, false
	}
	return m, true
}

// unexpected answers a message that is valid but out of place.
func (c *core) unexpected(m msg.Message) {
	c.answerUnexpected(false, "unexpected "+m.Type()+" in state "+c.state.String())
}

// answerUnexpected ends the login on an undecodable or out-of-place message
// with unexpected_message_received: sent to the peer, or kept local where
// the unexpected_message knob keeps this device silent.
func (c *core) answerUnexpected(undecodable bool, detail string) {
	if c.mut.acceptUnexpected {
		// Mutation: skip the message and wait for the next one.
		c.startPolling()
		return
	}
	switch c.v.Flow.UnexpectedMessage {
	case variant.UnexpectedSilent:
		c.failLocal(ReasonUnexpectedMessage, detail)
		return
	case variant.UnexpectedNewDeviceOnly:
		if undecodable || c.gIntent != qr.Login { // qr.Login: the new device's QR code
			c.failLocal(ReasonUnexpectedMessage, detail)
			return
		}
	}
	c.failSend(ReasonUnexpectedMessage, detail)
}

// homeserverNotURL refuses the homeserver of m.login.protocols or
// m.login.failure when it is not an absolute URL (homeserver_accept "url":
// a reader that parses the field as a URL cannot decode a server name).
func homeserverNotURL(m msg.Message) error {
	var hs string
	switch m := m.(type) {
	case msg.Protocols:
		hs = m.Server
	case msg.Failure:
		if m.Homeserver == "" {
			return nil // optional
		}
		hs = m.Homeserver
	default:
		return nil
	}
	if strings.Contains(hs, "://") {
		return nil
	}
	return fmt.Errorf("%s: homeserver %q is not a URL", m.Type(), hs)
}

// Endings.

func (c *core) finish(o Outcome) {
	if c.state.Terminal() {
		return
	}
	c.cancelTimer()
	c.cancelDeadline()
	c.inflight = 0
	if o.DeviceID == "" {
		o.DeviceID = c.out.DeviceID
	}
	if o.UserID == "" {
		o.UserID = c.out.UserID
	}
	c.out = o
	if o.Success {
		c.setState(StateDone)
	} else {
		c.setState(StateFailed)
	}
	c.fx = append(c.fx, Effect{Kind: EffectOutcome, Outcome: o})
}

// failLocal ends the login without telling the other side (the channel is
// not up, or cannot be trusted); the session is deleted so that the other
// side's next read ends it too, unless flow.session_delete is "never", when
// the other side reads on until the server expires it.
func (c *core) failLocal(r Reason, detail string) {
	if c.state.Terminal() {
		return
	}
	if r != ReasonRendezvousExpired {
		c.deleteSession()
	}
	c.finish(Outcome{Reason: r, Detail: detail})
}

// failToken ends the login on a token request that failed or got an
// answer it cannot use (an error code other than a denial or expiry, such
// as invalid_grant; a body that is not JSON; no access_token), as
// flow.token_error says: like failLocal (the session deleted), or without
// a word and with the session left ("silent"), so that the other side
// learns of it only from the session's expiry or its own deadline.
func (c *core) failToken(r Reason, detail string) {
	if c.v.Flow.TokenError != variant.TokenErrorSilent {
		c.failLocal(r, detail)
		return
	}
	if c.state.Terminal() {
		return
	}
	c.finish(Outcome{Reason: r, Detail: detail})
}

// failSend ends the login and tells the other side with m.login.failure when
// the channel is up. A local reason (http_error, discovery_failed, ...) has no
// wire form: no text says which failure reason an HTTP error on one device
// maps to, so it ends like failLocal (nothing is sent, the session is deleted
// and the peer's next read ends it with rendezvous_expired). failSendAs sends
// a chosen wire reason instead.
func (c *core) failSend(r Reason, detail string) {
	if c.state.Terminal() {
		return
	}
	if c.ch == nil || (c.role == channel.RoleScanner && c.ch.Opened() == 0) || !msg.Reason(r).Known(msg.GenAny) {
		c.failLocal(r, detail)
		return
	}
	if r == ReasonUnableToOpenVerification && !c.v.Flow.UnableToOpenReason {
		r = ReasonUserCancelled
	}
	if !c.sealSend(msg.Failure{Reason: msg.Reason(r)}) {
		return
	}
	c.finish(Outcome{Reason: r, Sent: true, Detail: detail})
}

// failSendAs is failSend for a local reason no message carries: m.login.failure
// goes out with the spec reason wire, and the outcome keeps the local one.
func (c *core) failSendAs(r Reason, wire msg.Reason, detail string) {
	if c.state.Terminal() {
		return
	}
	if c.ch == nil || (c.role == channel.RoleScanner && c.ch.Opened() == 0) {
		c.failLocal(r, detail)
		return
	}
	if !c.sealSend(msg.Failure{Reason: wire}) {
		return
	}
	c.finish(Outcome{Reason: r, Sent: true, Detail: detail})
}

// Small helpers.

func str(v *canonicaljson.Value, key string) (string, bool) {
	m, ok := v.Get(key)
	if !ok || m.Kind != canonicaljson.String {
		return "", false
	}
	return m.Str, true
}

func num(v *canonicaljson.Value, key string) (int64, bool) {
	m, ok := v.Get(key)
	if !ok || m.Kind != canonicaljson.Int {
		return 0, false
	}
	return m.Int, true
}

// pathOf returns the path and query of an absolute URL.
func pathOf(u string) string { return wire.PathOf(u) }

// originOf returns scheme://host of an absolute URL.
func originOf(u string) string {
	p := pathOf(u)
	return strings.TrimSuffix(u[:len(u)-len(p)], "/")
}

// proofLabel starts the bytes a proof of possession signs
// (flow.proof_of_possession, the lab's design alternative).
const proofLabel = "QRLAB_QR_CODE_LOGIN_PROOF_OF_POSSESSION"

// proofBinding is what the new device signs with its Ed25519 device key
// for a proof of possession, and the existing device verifies: SHA-256 of
// the label, the generator's and the scanner's channel public keys (the
// keys the check code is made from, fresh for each channel), the
// rendezvous session URL and the device ID, each string preceded by its
// two-byte big-endian length. A proof made on another channel or session,
// or for another device ID, does not verify here.
func (c *core) proofBinding(deviceID string) []byte {
	var g, s channel.PublicKey
	if c.ch != nil {
		g, s = c.ch.PublicKey(), c.ch.PeerKey()
		if c.role == channel.RoleScanner {
			g, s = s, g
		}
	}
	h := sha256.New()
	b := make([]byte, 0, 2*len(proofLabel)+len(c.sessURL)+len(deviceID)+2*channel.KeySize)
	for _, part := range []string{proofLabel, string(g[:]), string(s[:]), c.sessURL, deviceID} {
		b = append(b, byte(len(part)>>8), byte(len(part)))
		b = append(b, part...)
	}
	h.Write(b)
	return h.Sum(nil)
}
