package sim

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"

	"qrlab/model/channel"
	"qrlab/model/login"
	"qrlab/model/msg"
	"qrlab/model/oauth"
	"qrlab/model/qr"
	"qrlab/model/rendezvous"
	"qrlab/model/wire"
	"qrlab/model/wire/canonicaljson"
)

// adversary is a named attacker a scenario adds to a run. Each hook is
// called by the engine at one point of the run; an adversary implements
// the ones it needs (the others come from noAdversary).
type adversary interface {
	name() string
	// start is called once the run's servers and machines exist.
	start(r *Runner, w *run)
	// qrShown: a device showed the QR code (payload bytes).
	qrShown(r *Runner, w *run, from Actor, data []byte)
	// rendezvousAnswer may change the store's answer to a client before it
	// leaves the homeserver (a malicious rendezvous server), or read it.
	rendezvousAnswer(r *Runner, w *run, x *exchange, req *rendezvous.Request, resp *rendezvous.Response)
	// timer: one of the adversary's own scheduled actions (evAdversary).
	timer(r *Runner, w *run, ev *event)
	// answer: the answer to one of the adversary's own requests.
	answer(r *Runner, w *run, x *exchange, a *arrival)
	// controlsMailbox: the rendezvous store's answers are the adversary's
	// doing, so the mailbox invariants (linearizability, alternation) are
	// not the protocol's to keep.
	controlsMailbox() bool
	// configure may change the runner's server configurations once.
	configure(r *Runner)
	// newDevice may change the new device's configuration before each run
	// (a malicious new device).
	newDevice(r *Runner, w *run, cfg *login.NewDeviceConfig)
	// scan may change what the user's device reads from the QR code (a
	// camera that misreads); it returns the bytes read.
	scan(r *Runner, w *run, scanner Actor, data []byte) []byte
	// clientServerAnswer may change the homeserver's or the provider's
	// answer to a device's API request before it leaves the server and
	// before the monitors see it on the wire (a malicious homeserver).
	clientServerAnswer(r *Runner, w *run, x *exchange, resp *oauth.Response)
}

type noAdversary struct{}

func (noAdversary) start(*Runner, *run)                  {}
func (noAdversary) qrShown(*Runner, *run, Actor, []byte) {}
func (noAdversary) rendezvousAnswer(*Runner, *run, *exchange, *rendezvous.Request, *rendezvous.Response) {
}
func (noAdversary) timer(*Runner, *run, *event)                     {}
func (noAdversary) answer(*Runner, *run, *exchange, *arrival)       {}
func (noAdversary) controlsMailbox() bool                           { return false }
func (noAdversary) configure(*Runner)                               {}
func (noAdversary) newDevice(*Runner, *run, *login.NewDeviceConfig) {}
func (noAdversary) scan(_ *Runner, _ *run, _ Actor, data []byte) []byte {
	return data
}
func (noAdversary) clientServerAnswer(*Runner, *run, *exchange, *oauth.Response) {}

// adversaryInfo describes one adversary for listings.
type adversaryInfo struct {
	name, summary string
	make          func(cfg *Config) (adversary, error)
}

// adversaryTable lists the adversaries (a function: the replayer builds a
// Runner of its own).
func adversaryTable() []adversaryInfo {
	return []adversaryInfo{
		{"eavesdropper", "reads every rendezvous payload and answer; secrecy is checked against what it learned",
			func(*Config) (adversary, error) { return &eavesdropper{}, nil }},
		{"malicious-rendezvous", "the rendezvous server itself answers falsely: replays old payloads, reflects a device's own payload, rewrites payloads, answers stale tokens, deletes sessions, forges conflicts, delays",
			func(*Config) (adversary, error) { return &maliciousRendezvous{rate: 0.15}, nil }},
		{"replayer", "saw the QR code; writes payloads recorded from an earlier session into this one",
			func(cfg *Config) (adversary, error) { return newReplayer(cfg) }},
		{"deleter", "saw the QR code; deletes the rendezvous session at a random moment",
			func(*Config) (adversary, error) { return &deleter{}, nil }},
		{"flooder", "creates sessions without end to push honest ones out through the store's caps",
			func(*Config) (adversary, error) { return &flooder{burst: 250, every: 500, per: 20}, nil }},
		{"shoulder-surfer", "saw the QR code; races the real scanner with its own device and key; only the check code stops it",
			func(*Config) (adversary, error) { return &shoulderSurfer{}, nil }},
		{"account-confusion", "with the new device showing the QR code, the attacker's own existing device scans first and signs the victim's new device in to the attacker's account",
			func(*Config) (adversary, error) {
				return &shoulderSurfer{onlyLogin: true, label: "account-confusion"}, nil
			}},
		{"remote-phishing", "the new device showing the QR code is the attacker's; the victim's existing device scans it and the victim must read the check code out for the attacker to go on",
			func(*Config) (adversary, error) { return &attackerNewDevice{kind: "remote-phishing"}, nil }},
		{"session-spawning", "the attacker holds the victim's unlocked existing device for a minute and signs in a device of its own: nothing in the protocol stops it",
			func(*Config) (adversary, error) { return &attackerNewDevice{kind: "session-spawning"}, nil }},
		{"malicious-verification-uri", "a malicious new device sends a verification URI of its choosing (a phishing page, a non-https link) for the existing device to open",
			func(*Config) (adversary, error) { return &attackerNewDevice{kind: "malicious-verification-uri"}, nil }},
		{"device-id-confusion", "a malicious new device claims the device ID of the account's existing device",
			func(*Config) (adversary, error) { return &attackerNewDevice{kind: "device-id-confusion"}, nil }},
		{"splicer", "the rendezvous server moves a payload from the position it was sealed for (its own session's token) to the honest session's current one; only the AAD binding stops it opening",
			func(*Config) (adversary, error) { return &splicer{}, nil }},
		{"rogue-peer", "the new device holds its end of the channel and seals m.login.success where m.login.protocol belongs; the existing device must end the login there",
			func(*Config) (adversary, error) { return &roguePeer{}, nil }},
		{"rogue-repeat", "the new device, an authenticated peer, sends the same message twice: m.login.protocol again where m.login.success belongs, or its handshake payload again (by seed); the existing device must end the login there",
			func(*Config) (adversary, error) { return newRoguePeer("repeat") }},
		{"rogue-malformed", "the new device seals invalid JSON, an unknown type, m.login.protocol without its fields or naming an unknown protocol, where m.login.protocol or m.login.success belongs (by seed); the existing device must refuse it with the right reason",
			func(*Config) (adversary, error) { return newRoguePeer("malformed") }},
		{"rogue-out-of-place", "the new device seals a well-formed message that does not belong (the other side's m.login.protocol_accepted or m.login.protocols, m.login.success early) at each step (by seed); the existing device must end the login there",
			func(*Config) (adversary, error) { return newRoguePeer("out-of-place") }},
		{"malicious-homeserver", "the client-server API lies, one lie per seed: whoami names another device or another account, /devices lists the new device early or never, the token endpoint answers for a pending grant",
			func(*Config) (adversary, error) { return &maliciousHomeserver{}, nil }},
		{"remote-phishing-malicious-homeserver", "MSC4108's remote client + malicious homeserver: the attacker's new device shows the QR code, the victim's existing device scans it, and the homeserver approves the attacker's grant for the victim itself; the secrets still need the victim to read the check code out",
			func(*Config) (adversary, error) { return &remotePhishingMaliciousHS{}, nil }},
		{"tls-proxy", "the eavesdropper at a TLS-terminating proxy: reads client-server and OAuth bodies and headers too, counts the credentials it learns, and polls the token endpoint itself with the device code it read",
			func(*Config) (adversary, error) { return &tlsProxy{}, nil }},
		{"camera", "the QR scan misreads (truncated, an unknown intent byte, a bit flipped in the key or the session) or the network corrupts one byte of a rendezvous payload (by seed); the devices must refuse cleanly",
			func(*Config) (adversary, error) { return &camera{}, nil }},
		{"phishing-op", "the provider's consent page shows neither the user code nor the device, and the attacker lures the victim's browser to its own grant",
			func(*Config) (adversary, error) { return &phishingOP{}, nil }},
	}
}

// AdversaryNames lists the adversaries a scenario can name.
func AdversaryNames() []string {
	t := adversaryTable()
	out := make([]string, len(t))
	for i, a := range t {
		out[i] = a.name
	}
	return out
}

// AdversarySummary describes one adversary ("" if unknown).
func AdversarySummary(name string) string {
	for _, a := range adversaryTable() {
		if a.name == name {
			return a.summary
		}
	}
	return ""
}

func makeAdversaries(cfg *Config) ([]adversary, error) {
	var out []adversary
	seen := map[string]bool{}
	for _, n := range cfg.Adversaries {
		if seen[n] {
			return nil, fmt.Errorf("%w: adversary %q named twice", ErrConfig, n)
		}
		seen[n] = true
		var info *adversaryInfo
		t := adversaryTable()
		for i := range t {
			if t[i].name == n {
				info = &t[i]
			}
		}
		if info == nil {
			names := AdversaryNames()
			sort.Strings(names)
			return nil, fmt.Errorf("%w: unknown adversary %q (known: %s)", ErrConfig, n, strings.Join(names, ", "))
		}
		a, err := info.make(cfg)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// advEvent schedules an adversary's own action.
func (r *Runner) advEvent(at Millis, a adversary, id uint64, text string) {
	idx := 0
	for i, x := range r.adversaries {
		if x == a {
			idx = i
		}
	}
	r.q.push(event{at: at, kind: evAdversary, id: id, aux: uint64(idx), text: text})
}

// advSend sends a request of the attacker (not of a login machine).
func (r *Runner) advSend(w *run, a adversary, req login.Request) {
	id := r.send(w, ActorAttacker, req, nil)
	r.ex[id].owner = a
}

// learn records what an adversary saw, checking secrecy as it goes.
func (m *monitor) learn(w *run, who string, b []byte) {
	if len(b) == 0 {
		return
	}
	w.res.AdversaryBytes += len(b)
	for _, n := range m.needle {
		if bytes.Contains(b, n) {
			m.violate(w, InvSecrecy, "%s learned a secret, token or code (%.12q...)", who, n)
			return
		}
	}
}

// The eavesdropper reads every rendezvous payload written and every answer
// of the store: what the homeserver's operator, or anyone who can read the
// rendezvous traffic, sees. (The other HTTP exchanges are under TLS and not
// part of the secure channel's claim.)
type eavesdropper struct{ noAdversary }

func (*eavesdropper) name() string { return "eavesdropper" }

func (*eavesdropper) rendezvousAnswer(r *Runner, w *run, x *exchange, req *rendezvous.Request, resp *rendezvous.Response) {
	w.mon.learn(w, "eavesdropper", req.Body)
	w.mon.learn(w, "eavesdropper", resp.Body)
}

// maliciousRendezvous falsifies a share of the store's answers to the
// devices, each time with a behaviour drawn from its own stream.
type maliciousRendezvous struct {
	noAdversary
	rate float64
	rnd  *rand.Rand
}

func (*maliciousRendezvous) name() string          { return "malicious-rendezvous" }
func (*maliciousRendezvous) controlsMailbox() bool { return true }

func (a *maliciousRendezvous) start(r *Runner, w *run) {
	a.rnd = rand.New(derive(w.seed, streamAdversary))
}

func (a *maliciousRendezvous) rendezvousAnswer(r *Runner, w *run, x *exchange, req *rendezvous.Request, resp *rendezvous.Response) {
	if x.client != ActorNew && x.client != ActorExisting {
		return
	}
	if a.rnd.Float64() >= a.rate {
		return
	}
	b := w.mon.boxFor(req.Path)
	act := ""
	switch {
	case req.Method == "GET" && resp.Status == 200 && b != nil:
		switch a.rnd.IntN(6) {
		case 0:
			if len(b.issued) > 1 {
				old := b.issued[a.rnd.IntN(len(b.issued)-1)]
				w.mon.codec.SetRead(resp, old.data, b.token)
				act = "replays an older payload under the current token"
			}
		case 1:
			if d := b.spec.Data; len(d) > 4 {
				bs := []byte(d)
				bs[a.rnd.IntN(len(bs))] ^= 1 << a.rnd.IntN(6)
				w.mon.codec.SetRead(resp, string(bs), b.token)
				act = "rewrites the payload"
			}
		case 2:
			if len(b.issued) > 1 {
				old := b.issued[a.rnd.IntN(len(b.issued)-1)]
				w.mon.codec.SetRead(resp, b.spec.Data, old.token)
				act = "answers a stale token"
			}
		case 3:
			*resp = rendezvous.Response{Status: 404, Body: []byte(`{"errcode":"M_NOT_FOUND","error":"not found"}`)}
			act = "answers 404 as if the session were gone"
		case 4:
			x.extraDelay = Millis(5000 + a.rnd.IntN(15000))
			act = "delays the answer"
		case 5:
			// The reader's own payload at the position it expects the
			// peer's next one: with one key both ways, it would open.
			i := machineIndex(x.client)
			if k := w.mon.openedUpTo[i][1-i] + 1; i < 2 && k >= 0 && k < len(w.mon.written[i]) {
				w.mon.codec.SetRead(resp, w.mon.written[i][k], b.token)
				act = "reflects the reader's own payload back to it"
			}
		}
	case req.Method == "PUT" && resp.Status < 300:
		if a.rnd.IntN(2) == 0 {
			status := 409
			if w.mon.etag {
				status = 412
			}
			*resp = rendezvous.Response{Status: status, Body: []byte(`{"errcode":"M_CONCURRENT_WRITE","error":"forged conflict"}`)}
			act = "forges a write conflict (the write was stored)"
		} else {
			x.extraDelay = Millis(5000 + a.rnd.IntN(15000))
			act = "delays the answer"
		}
	}
	if act != "" {
		r.tr.add(Event{At: w.now, Kind: EvFault, Actor: ActorAttacker, Peer: x.client, Name: "malicious-rendezvous " + act})
		w.res.AdversaryActs++
	}
}

// deleter saw the QR code and deletes the session at a moment drawn
// between 1 and 40 s after it appeared.
type deleter struct {
	noAdversary
	url string
}

func (*deleter) name() string { return "deleter" }

func (a *deleter) qrShown(r *Runner, w *run, from Actor, data []byte) {
	a.url = sessionURL(r, w, data)
	if a.url == "" {
		return
	}
	rr := rand.New(derive(w.seed, streamAdversary))
	r.advEvent(w.now+Millis(1000+rr.IntN(39000)), a, 0, "delete")
}

func (a *deleter) timer(r *Runner, w *run, ev *event) {
	r.tr.add(Event{At: w.now, Kind: EvUser, Actor: ActorAttacker, Peer: ActorHomeserver, Name: "deleter deletes the session"})
	w.res.AdversaryActs++
	r.advSend(w, a, login.Request{Target: login.TargetRendezvous, Method: "DELETE", URL: a.url, Path: pathOf(a.url), Timeout: 10_000})
}

// flooder creates burst sessions at once and then per sessions every
// interval, each with a payload of its own, for the first two minutes.
type flooder struct {
	noAdversary
	burst, per int
	every      Millis
}

func (*flooder) name() string { return "flooder" }

func (a *flooder) start(r *Runner, w *run) {
	r.advEvent(0, a, uint64(a.burst), "flood")
}

func (a *flooder) timer(r *Runner, w *run, ev *event) {
	url := r.createURL()
	for range int(ev.id) {
		req := login.Request{Target: login.TargetRendezvous, Method: "POST", URL: url, Path: pathOf(url), Timeout: 10_000}
		req.Header, req.Body = w.mon.codec.Create("flood")
		r.advSend(w, a, req)
		w.res.AdversaryActs++
	}
	if w.now+a.every <= 120_000 {
		r.advEvent(w.now+a.every, a, uint64(a.per), "flood")
	}
}

// sessionURL is the rendezvous session URL a QR payload names, or "".
func sessionURL(r *Runner, w *run, data []byte) string {
	p, err := qr.Decode(data)
	if err != nil {
		return ""
	}
	if p.RendezvousURL != "" {
		return p.RendezvousURL
	}
	if p.RendezvousID != "" {
		prefix := r.rc.Prefixes[0]
		base := p.BaseURL
		if base == "" {
			base = BaseURL
		}
		return strings.TrimSuffix(base, "/") + prefix + "/" + p.RendezvousID
	}
	return ""
}

// createURL is where a session is created.
func (r *Runner) createURL() string {
	return strings.TrimSuffix(BaseURL, "/") + r.rc.Prefixes[0]
}

// replayer saw the QR code. It holds the payloads of an earlier honest
// session (the same design, another seed) and, every few seconds for a
// minute, reads this session's current token and writes one of them into
// it, as anyone who knows a session's URL can.
type replayer struct {
	noAdversary
	inner    *Runner
	recorded []string
	byWriter [2][]string
	url      string
	rnd      *rand.Rand
	tries    int
}

func newReplayer(cfg *Config) (adversary, error) {
	c := *cfg
	c.Adversaries = nil
	c.Swarm = nil
	c.KeepTrace = false
	inner, err := NewRunner(c)
	if err != nil {
		return nil, err
	}
	return &replayer{inner: inner}, nil
}

func (*replayer) name() string { return "replayer" }

func (a *replayer) start(r *Runner, w *run) {
	a.rnd = rand.New(derive(w.seed, streamAdversary))
	a.recorded = a.recorded[:0]
	a.url, a.tries = "", 0
	if _, err := a.inner.Run(w.seed ^ 0x7265706c61796572); err != nil {
		return
	}
	for j, ws := range a.inner.r.mon.written[:2] {
		a.recorded = append(a.recorded, ws...)
		a.byWriter[j] = append(a.byWriter[j][:0], ws...)
	}
}

func (a *replayer) qrShown(r *Runner, w *run, from Actor, data []byte) {
	if a.url = sessionURL(r, w, data); a.url != "" && len(a.recorded) > 0 {
		r.advEvent(w.now+Millis(1000+a.rnd.IntN(3000)), a, 0, "read")
	}
}

func (a *replayer) timer(r *Runner, w *run, ev *event) {
	r.advSend(w, a, login.Request{Target: login.TargetRendezvous, Method: "GET", URL: a.url, Path: pathOf(a.url), Timeout: 10_000})
}

func (a *replayer) answer(r *Runner, w *run, x *exchange, ar *arrival) {
	if x.req.Method == "GET" && ar.resp.Status == 200 {
		tok := ""
		if _, t, err := w.mon.codec.ParseRead(&rendezvous.Response{Status: ar.resp.Status, Header: ar.resp.Header, Body: ar.resp.Body}); err == nil {
			tok = t
		}
		if tok != "" {
			payload := a.recorded[a.rnd.IntN(len(a.recorded))]
			// Half the time, the earlier session's payload from the same
			// writer at the same position as the one now in the mailbox:
			// with reused keys and nonces it would open.
			if a.rnd.IntN(2) == 0 {
				if b := w.mon.boxFor(x.req.Path); b != nil && honest(b.writer) {
					j := machineIndex(b.writer)
					if k := len(w.mon.written[j]) - 1; k >= 0 && k < len(a.byWriter[j]) {
						payload = a.byWriter[j][k]
					}
				}
			}
			req := login.Request{Target: login.TargetRendezvous, Method: "PUT", URL: a.url, Path: pathOf(a.url), Timeout: 10_000}
			// The document it read, with the recorded payload in it.
			req.Header, req.Body = w.mon.codec.PutEcho(tok, payload)
			r.tr.add(Event{At: w.now, Kind: EvUser, Actor: ActorAttacker, Peer: ActorHomeserver, Name: "replayer writes a recorded payload"})
			w.res.AdversaryActs++
			r.advSend(w, a, req)
		}
	}
	if x.req.Method == "GET" && ar.resp.Status != 404 {
		if a.tries++; a.tries < 20 {
			r.advEvent(w.now+Millis(2000+a.rnd.IntN(2000)), a, 0, "read")
		}
	}
}

// shoulderSurfer saw the QR code and races the real scanner with a device
// of its own: a new device (it wants the existing device's secrets) when the
// existing device shows the code, an existing device on the attacker's own
// account (it wants the victim's new device) when the new device shows it.
// It scans faster than the user. The check code is the only defence: the
// attentive user types the code the real device shows, so the attacker's
// channel is refused; the scenario's blind-confirm rate is the share of
// users who type whatever code they are shown, the attacker's included.
type shoulderSurfer struct {
	noAdversary
	rnd *rand.Rand
	// onlyLogin: act only when the new device shows the QR code (the
	// account-confusion attack); label names the adversary.
	onlyLogin bool
	label     string
}

func (a *shoulderSurfer) name() string {
	if a.label != "" {
		return a.label
	}
	return "shoulder-surfer"
}

func (a *shoulderSurfer) start(r *Runner, w *run) {
	a.rnd = rand.New(derive(w.seed, streamAdversary))
}

func (a *shoulderSurfer) qrShown(r *Runner, w *run, from Actor, data []byte) {
	if w.m[2] != nil || (a.onlyLogin && from != ActorNew) {
		return
	}
	// The nonce monitor hears the attacker's channel too: its keys can
	// equal an honest device's only if the design lets two sessions share
	// keys.
	var tap channel.Observer
	if !r.unchecked {
		tap = func(s channel.Sealing) { w.mon.sealed(w, ActorAttacker, s) }
	}
	var err error
	if from == ActorExisting {
		// The attacker's new device scans the existing device's code.
		w.m[2], err = login.NewNewDevice(login.NewDeviceConfig{Variant: r.nv, Intent: qr.Reciprocate, RendezvousBaseURL: BaseURL,
			ServerNames: map[string]string{r.hc.ServerName: BaseURL}, ChannelObserver: tap}, derive(w.seed, streamAttacker))
	} else {
		// The attacker's existing device, on the attacker's own account,
		// scans the new device's code.
		w.m[2], err = login.NewExistingDevice(login.ExistingDeviceConfig{Variant: r.cfg.Variant, Intent: qr.Login, BaseURL: BaseURL,
			ServerName: r.hc.ServerName, AccessToken: malloryToken, Secrets: w.mallorySecrets, ChannelObserver: tap}, derive(w.seed, streamAttacker))
	}
	if err != nil {
		return
	}
	r.tr.add(Event{At: w.now, Kind: EvUser, Actor: ActorAttacker, Peer: from, Name: a.name() + " saw the QR code"})
	w.res.AdversaryActs++
	r.q.push(event{at: w.now, kind: evStart, actor: ActorAttacker})
	r.q.push(event{at: w.now + Millis(300+a.rnd.IntN(1500)), kind: evScanned, actor: ActorAttacker, data: data})
}

// attackerEffect carries out one effect of the attacker's own device.
func (r *Runner) attackerEffect(w *run, f *login.Effect) {
	a := ActorAttacker
	if r.plumbing(w, a, f) {
		return
	}
	switch f.Kind {
	case login.EffectState:
		r.tr.add(Event{At: w.now, Kind: EvState, Actor: a, Name: f.From.String() + " -> " + f.To.String()})
	case login.EffectChannel:
		name := "opened " + f.MsgType
		if f.Sealed {
			name = "sealed " + f.MsgType
		} else if f.MsgType == msg.TypeSecrets {
			w.atkSecrets = true
		}
		r.tr.add(Event{At: w.now, Kind: EvChannel, Actor: a, Name: name})
	case login.EffectShowCheckCode:
		r.tr.add(Event{At: w.now, Kind: EvUI, Actor: a, Name: "shows check code " + f.Text})
		if !w.codeShown && w.shownCode == "" && r.offerUnreadCode(w, f.Text) {
			break // a careless stepped run's user: typing it is a choice
		}
		if w.blind && !w.codeShown && w.shownCode == "" {
			// The user types whatever code is put before them.
			w.shownCode, w.codeShown, w.blindCode = f.Text, true, true
			if w.asked {
				r.typeCode(w)
			}
		}
	case login.EffectOpenBrowser:
		// Effects are handled while the machine's effect slice is live:
		// the machine's next inputs are queued, never stepped from here.
		r.tr.add(Event{At: w.now, Kind: EvUI, Actor: a, Peer: ActorAttackerBrowser, Name: "opens " + f.Text})
		r.q.push(event{at: w.now, kind: evInput, actor: a, id: uint64(login.InputBrowserOpened), ok: true})
		r.browse(w, ActorAttackerBrowser, f.Text, nil, 0)
	case login.EffectAskConfirmAccount:
		r.q.push(event{at: w.now, kind: evInput, actor: a, id: uint64(login.InputConfirmAccount), ok: true})
	case login.EffectOutcome:
		r.tr.add(Event{At: w.now, Kind: EvOutcome, Actor: a, Name: f.Outcome.String(), Detail: f.Outcome.Detail})
	}
}

// attackerNewDevice makes the run's new device the attacker's.
//
//   - remote-phishing: the attacker's device shows the QR code (login
//     intent) and the victim's existing device scans it; the code appears
//     on the victim's screen and must be typed on the attacker's device, so
//     the attack goes on only when the victim reads it out (the user's
//     blind-confirm rate). The new device's screen is not the victim's.
//   - session-spawning: the attacker operates the victim's unlocked
//     existing device too; the login runs as an honest one and ends with
//     the attacker's device holding the secrets: not prevented.
//   - malicious-verification-uri: the verification URI in m.login.protocol
//     is the attacker's (a phishing page, a plain-http page on the
//     provider's host, or a non-https deep link, by seed).
//   - device-id-confusion: the device ID claimed is the existing device's.
type attackerNewDevice struct {
	noAdversary
	kind string
}

func (a *attackerNewDevice) name() string { return a.kind }

func (a *attackerNewDevice) start(r *Runner, w *run) {
	w.newIsAttacker = a.kind == "remote-phishing" || a.kind == "session-spawning"
	w.newScreenHidden = a.kind == "remote-phishing"
	w.res.AdversaryActs++
}

var phishURIs = []string{"https://phish.example/link", "http://auth.lab.example/link", "intent://link#Intent;scheme=evil;end"}

func (a *attackerNewDevice) newDevice(r *Runner, w *run, cfg *login.NewDeviceConfig) {
	switch a.kind {
	case "malicious-verification-uri":
		cfg.ForceVerificationURI = phishURIs[w.seed%uint64(len(phishURIs))]
	case "device-id-confusion":
		cfg.ForceDeviceID = existingDevice
	}
}

// phishingOP: the provider's consent page hides the user code and the
// device, and the attacker, who started a device grant of its own at the
// same provider, lures the victim's browser to its verification URI.
// Against an honest page an attentive user compares the code on the page
// with the one their new device shows, when it shows one already.
type phishingOP struct {
	noAdversary
	uri, deviceCode, clientID string
}

func (*phishingOP) name() string { return "phishing-op" }

func (*phishingOP) configure(r *Runner) {
	r.oc.ShowUserCode, r.oc.ShowDevice = false, false
}

func (a *phishingOP) start(r *Runner, w *run) {
	a.uri, a.deviceCode = "", ""
	w.lure = ""
	w.res.AdversaryActs++
	url := strings.TrimSuffix(r.oc.Issuer, "/") + "/" + oauth.PathDeviceAuthorization
	clientID := "attacker-client"
	if r.oc.DynamicRegistration {
		r.advSend(w, a, login.Request{Target: login.TargetOP, Method: "POST", URL: strings.TrimSuffix(r.oc.Issuer, "/") + "/" + oauth.PathRegistration,
			Path: pathOf(strings.TrimSuffix(r.oc.Issuer, "/") + "/" + oauth.PathRegistration), Timeout: 10_000,
			Header: wire.NewHeader("Content-Type", wire.ContentTypeJSON),
			Body:   []byte(`{"client_name":"Totally Element","grant_types":["urn:ietf:params:oauth:grant-type:device_code","refresh_token"],"token_endpoint_auth_method":"none","application_type":"native","client_uri":"https://element.example"}`)})
		return
	}
	a.authorize(r, w, url, clientID)
}

func (a *phishingOP) authorize(r *Runner, w *run, url, clientID string) {
	a.clientID = clientID
	r.advSend(w, a, login.Request{Target: login.TargetOP, Method: "POST", URL: url, Path: pathOf(url), Timeout: 10_000,
		Header: wire.NewHeader("Content-Type", wire.ContentTypeForm),
		Body:   oauth.EncodeForm("client_id", clientID, "scope", oauth.ScopeOpenID+" "+oauth.ScopeAPI+" "+oauth.ScopeDevicePrefix+"ATTACKERDEV")})
}

// strMember is v's member key when that is a string, or "".
func strMember(v *canonicaljson.Value, key string) string {
	if f, ok := v.Get(key); ok && f.Kind == canonicaljson.String {
		return f.Str
	}
	return ""
}

func (a *phishingOP) answer(r *Runner, w *run, x *exchange, ar *arrival) {
	v, err := canonicaljson.Parse(ar.resp.Body)
	if err != nil {
		return
	}
	get := func(k string) string { return strMember(&v, k) }
	switch {
	case strings.Contains(x.req.Path, oauth.PathRegistration):
		if id := get("client_id"); id != "" {
			a.authorize(r, w, strings.TrimSuffix(r.oc.Issuer, "/")+"/"+oauth.PathDeviceAuthorization, id)
		}
	case strings.Contains(x.req.Path, oauth.PathDeviceAuthorization):
		a.uri = get("verification_uri_complete")
		if a.uri == "" {
			a.uri = get("verification_uri")
		}
		a.deviceCode = get("device_code")
		w.lure = a.uri
		w.lureCode = get("user_code")
		r.advEvent(w.now+5000, a, 0, "poll")
	case strings.Contains(x.req.Path, oauth.PathToken):
		if get("access_token") != "" {
			w.atkToken = true
			r.tr.add(Event{At: w.now, Kind: EvUser, Actor: ActorAttacker, Peer: ActorOP, Name: "phishing-op: the attacker's device got a token for the victim's account"})
			return
		}
		if e := get("error"); e == oauth.ErrorAuthorizationPending || e == oauth.ErrorSlowDown {
			r.advEvent(w.now+5000, a, 0, "poll")
		}
	}
}

func (a *phishingOP) timer(r *Runner, w *run, ev *event) {
	url := strings.TrimSuffix(r.oc.Issuer, "/") + "/" + oauth.PathToken
	r.advSend(w, a, login.Request{Target: login.TargetOP, Method: "POST", URL: url, Path: pathOf(url), Timeout: 10_000,
		Header: wire.NewHeader("Content-Type", wire.ContentTypeForm),
		Body:   oauth.EncodeForm("grant_type", oauth.GrantTypeDeviceCode, "device_code", a.deviceCode, "client_id", a.clientID)})
}
