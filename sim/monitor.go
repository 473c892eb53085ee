package sim

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"qrlab/model/login"
	"qrlab/model/msg"
	"qrlab/model/oauth"
	"qrlab/model/qr"
	"qrlab/model/rendezvous"
	"qrlab/model/wire"
	"qrlab/model/wire/canonicaljson"
)

// The invariants, by the names failures carry.
const (
	InvSecretsAfterConfirmation = "secrets-only-after-confirmation"
	InvSecretsToConfirmedDevice = "secrets-only-to-confirmed-device"
	InvTermination              = "termination"
	InvNoPlaintext              = "no-plaintext-on-wire"
	InvRendezvousLinearizable   = "rendezvous-linearizable"
	InvChannelIntegrity         = "channel-integrity"
	InvStrictAlternation        = "strict-alternation"
	InvSecrecy                  = "secrecy"
	InvExpectedAccount          = "signed-into-expected-account"
)

// Invariants lists every invariant the monitors check, in a stable order.
func Invariants() []string {
	return []string{InvSecretsAfterConfirmation, InvSecretsToConfirmedDevice, InvTermination, InvNoPlaintext,
		InvRendezvousLinearizable, InvChannelIntegrity, InvStrictAlternation, InvSecrecy, InvExpectedAccount}
}

// Violation is a broken invariant: which, where and why. The run stops at
// the first one; its trace ends there.
type Violation struct {
	Invariant string `json:"invariant"`
	Seed      uint64 `json:"seed"`
	Variant   string `json:"variant"`
	At        Millis `json:"t_ms"`
	Detail    string `json:"detail"`
}

func (v *Violation) Error() string {
	return fmt.Sprintf("invariant %s violated at %d ms (seed %d, variant %s): %s", v.Invariant, v.At, v.Seed, v.Variant, v.Detail)
}

// mailbox is the monitors' sequential specification of one rendezvous
// session: what a correct store must answer next.
type mailbox struct {
	id     string
	data   string
	token  string
	writer Actor // who wrote data (ActorNone: the creator's initial data)
	readBy bool  // the other side read data since it was written
	gone   bool
	// issued are the tokens handed out for this session, with their data.
	issued [][2]string
}

// monitor checks the invariants as the run goes.
type monitor struct {
	r    *Runner
	nIsG bool
	etag bool
	// hashTokens: the store's tokens are a hash of the data alone (Synapse's
	// ETag), so equal data gets the same token again, by design.
	hashTokens bool
	needle     [][]byte
	boxes      []mailbox
	// overwritten is set when a write replaced a payload the other side had
	// not read: the run may then only end in failure.
	overwritten string
	// written holds every payload each machine wrote (N, E), and lastRead
	// the body of the last rendezvous GET answer each one received, so
	// that an opened message can be traced to an honest write.
	written  [numMachines][]string
	lastRead [numMachines][]byte
	// openedUpTo is, per reader and writer, the index in the writer's list
	// of the last payload the reader opened: a message opens once, in order.
	openedUpTo [numMachines][numMachines]int
	// mailboxOwned: an adversary answers in the store's place, so the
	// mailbox invariants are not the protocol's to keep.
	mailboxOwned bool
}

func (m *monitor) reset(r *Runner, w *run, sec msg.Secrets) {
	m.r = r
	m.nIsG = r.cfg.Intent == qr.Login
	m.etag = r.rc.Flavour == rendezvous.FlavourETag
	m.hashTokens = r.rc.Token == rendezvous.TokenContentHash
	m.needle = m.needle[:0]
	m.boxes = m.boxes[:0]
	m.overwritten = ""
	for i := range m.written {
		m.written[i] = m.written[i][:0]
		m.lastRead[i] = nil
		m.openedUpTo[i] = [numMachines]int{-1, -1, -1}
	}
	m.mailboxOwned = false
	for _, a := range r.adversaries {
		if a.controlsMailbox() {
			m.mailboxOwned = true
		}
	}
	for _, k := range [][]byte{sec.CrossSigning.Master[:], sec.CrossSigning.SelfSigning[:], sec.CrossSigning.UserSigning[:]} {
		m.addKey(k)
	}
	if sec.Backup != nil {
		m.addKey(sec.Backup.Key[:])
	}
	m.addSecret(existingToken)
}

// addKey adds a key's unpadded base64 (as m.login.secrets carries it) and
// its raw bytes.
func (m *monitor) addKey(k []byte) {
	m.needle = append(m.needle, []byte(base64.RawStdEncoding.EncodeToString(k)), append([]byte(nil), k...))
}

// addSecret adds a token or code that must never appear in a payload.
func (m *monitor) addSecret(s string) {
	if len(s) >= 6 {
		m.needle = append(m.needle, []byte(s))
	}
}

func (m *monitor) violate(w *run, inv, format string, args ...any) {
	if w.res.Violation != nil {
		return
	}
	if m.mailboxOwned && (inv == InvRendezvousLinearizable || inv == InvStrictAlternation) {
		return
	}
	w.res.Violation = &Violation{Invariant: inv, Seed: w.seed, Variant: m.r.cfg.Variant.Name, At: w.now, Detail: fmt.Sprintf(format, args...)}
	m.r.tr.add(Event{At: w.now, Kind: EvViolation, Actor: ActorNone, Name: inv, Detail: w.res.Violation.Detail})
}

// opAnswer learns the provider's codes and tokens from its answers to the
// new device, so that no-plaintext-on-wire looks for them too.
func (m *monitor) opAnswer(path string, status int, body []byte) {
	if status != 200 {
		return
	}
	p, _ := oauth.SplitPath(path)
	if !strings.HasSuffix(p, oauth.PathDeviceAuthorization) && !strings.HasSuffix(p, oauth.PathToken) {
		return
	}
	v, err := canonicaljson.Parse(body)
	if err != nil {
		return
	}
	for _, k := range []string{"device_code", "user_code", "access_token", "refresh_token"} {
		if f, ok := v.Get(k); ok && f.Kind == canonicaljson.String {
			m.addSecret(f.Str)
		}
	}
}

// secretsSealed is E sealing m.login.secrets: the check code must have been
// confirmed on G, the device check must have passed, m.login.success must
// have arrived, and the channel's peer must be the real new device.
func (m *monitor) secretsSealed(w *run) {
	ef := w.e.Facts()
	var gf login.Facts
	if m.nIsG {
		gf = w.n.Facts()
	} else {
		gf = ef
	}
	switch {
	case !gf.CodeConfirmed:
		m.violate(w, InvSecretsAfterConfirmation, "E sealed m.login.secrets before the check code was confirmed on G")
	case !ef.DeviceChecked:
		m.violate(w, InvSecretsAfterConfirmation, "E sealed m.login.secrets without the device check")
	case !ef.SuccessReceived:
		m.violate(w, InvSecretsAfterConfirmation, "E sealed m.login.secrets before m.login.success")
	}
	m.violateSecretsPeer(w)
}

// violateSecretsPeer checks that E's channel peer is the real new device.
// When it is not and the user typed an attacker's code they could not have
// read on their own device, the confirmed device is the attacker's: a
// human-factor loss, counted, not a protocol violation.
func (m *monitor) violateSecretsPeer(w *run) {
	_, peer, ok := w.e.ChannelKeys()
	nOwn, _, nok := w.n.ChannelKeys()
	if ok && nok && peer == nOwn {
		return
	}
	if w.blindCode {
		w.res.HumanFactor = true
		return
	}
	m.violate(w, InvSecretsToConfirmedDevice, "E sealed m.login.secrets on a channel whose peer is not the new device the user confirmed")
}

// rendezvous watches one store exchange at the moment the store handled it
// (its linearization point).
func (m *monitor) rendezvous(w *run, client Actor, injected bool, req *rendezvous.Request, resp *rendezvous.Response, fx []rendezvous.Effect) {
	// no-plaintext-on-wire: every payload a device writes.
	if len(req.Body) > 0 {
		for _, n := range m.needle {
			if bytes.Contains(req.Body, n) {
				m.violate(w, InvNoPlaintext, "%s %s carries a secret, token or code in the clear (%.12q...)", req.Method, req.Path, n)
				return
			}
		}
	}
	for _, f := range fx {
		switch f.Kind {
		case rendezvous.EffectExpired, rendezvous.EffectEvictedSoftCap, rendezvous.EffectEvictedHardCap, rendezvous.EffectDeleted:
			if b := m.box(f.ID); b != nil {
				b.gone = true
			}
		}
	}
	var kind rendezvous.EffectKind
	var sid string
	for _, f := range fx {
		switch f.Kind {
		case rendezvous.EffectCreated, rendezvous.EffectWritten, rendezvous.EffectRead, rendezvous.EffectNotModified,
			rendezvous.EffectConflict, rendezvous.EffectReplayed:
			kind, sid = f.Kind, f.ID
		}
	}
	if !honest(client) && (kind == rendezvous.EffectCreated || m.box(sid) == nil) {
		return // an attacker's own sessions are not the protocol's
	}
	switch kind {
	case rendezvous.EffectCreated:
		data, tok, ok := m.parseCreate(req, resp)
		if !ok {
			m.violate(w, InvRendezvousLinearizable, "create answered %d without a session token", resp.Status)
			return
		}
		m.boxes = append(m.boxes, mailbox{id: sid, data: data, token: tok, writer: client})
		if !m.fresh(w, &m.boxes[len(m.boxes)-1], tok, data) {
			return
		}
		if !injected {
			m.wrote(client, data)
		}
	case rendezvous.EffectWritten, rendezvous.EffectReplayed:
		b := m.box(sid)
		if b == nil {
			m.violate(w, InvRendezvousLinearizable, "write to unknown session %s succeeded", sid)
			return
		}
		data, cond := m.parseWrite(req)
		tok := m.respToken(resp)
		if kind == rendezvous.EffectWritten {
			if cond != b.token {
				m.violate(w, InvRendezvousLinearizable, "PUT conditioned on %q succeeded while the current token is %q", cond, b.token)
				return
			}
			if !m.fresh(w, b, tok, data) {
				return
			}
			if honest(b.writer) && honest(client) && b.writer != client && !b.readBy && b.data != data {
				m.overwritten = fmt.Sprintf("%s overwrote %s's payload unread at %d ms", client, b.writer, w.now)
			}
			b.data, b.token, b.writer, b.readBy = data, tok, client, false
			if !injected {
				m.wrote(client, data) // an adversary's copied payload is sealed by nobody here
			}
			return
		}
		// A replay changes nothing and answers a token the session handed
		// out for this very data (the current one, or with transaction
		// IDs the one recorded for the transaction).
		if tok == "" {
			return
		}
		for _, p := range b.issued {
			if p[0] == tok && p[1] == data {
				return
			}
		}
		m.violate(w, InvRendezvousLinearizable, "replayed PUT answered token %q, never handed out for that payload (current %q)", tok, b.token)
	case rendezvous.EffectRead:
		b := m.box(sid)
		if b == nil {
			m.violate(w, InvRendezvousLinearizable, "read of unknown session %s succeeded", sid)
			return
		}
		data, tok, ok := m.parseRead(resp)
		if !ok || string(data) != b.data || string(tok) != b.token {
			m.violate(w, InvRendezvousLinearizable, "GET answered token %q and a payload that is not the latest write (token %q)", tok, b.token)
			return
		}
		if client != b.writer {
			b.readBy = true
		}
	case rendezvous.EffectNotModified:
		b := m.box(sid)
		if b == nil || req.Header.Get("If-None-Match") != b.token {
			m.violate(w, InvRendezvousLinearizable, "304 for a token that is not current")
		}
	case rendezvous.EffectConflict:
		b := m.box(sid)
		if b == nil {
			return
		}
		_, cond := m.parseWrite(req)
		if cond == b.token {
			m.violate(w, InvRendezvousLinearizable, "PUT conditioned on the current token %q was refused as a conflict", cond)
		}
	}
}

func (m *monitor) wrote(client Actor, data string) {
	if honest(client) || client == ActorAttacker {
		i := machineIndex(client)
		m.written[i] = append(m.written[i], data)
	}
}

// opened is machine a reporting that it opened a message: the payload it
// last read must be one the other machine wrote, byte for byte.
func (m *monitor) opened(w *run, a Actor, what string) {
	body := m.lastRead[machineIndex(a)]
	if body == nil {
		m.violate(w, InvChannelIntegrity, "%s opened %s without having read a payload", a, what)
		return
	}
	data := body
	if !m.etag {
		d, _, ok, _ := fields(body, "data", "")
		if !ok {
			m.violate(w, InvChannelIntegrity, "%s opened %s from an answer without a payload", a, what)
			return
		}
		data = d
	}
	i := machineIndex(a)
	for j := range m.written {
		if j == i {
			continue // a device never opens its own writes
		}
		for k, d := range m.written[j] {
			if d != string(data) {
				continue
			}
			if k <= m.openedUpTo[i][j] {
				m.violate(w, InvChannelIntegrity, "%s opened %s from payload #%d of %s again (last opened #%d): a replay opened",
					a, what, k, machineActor(j), m.openedUpTo[i][j])
				return
			}
			m.openedUpTo[i][j] = k
			return
		}
	}
	m.violate(w, InvChannelIntegrity, "%s opened %s from a payload no device wrote (altered or forged)", a, what)
}

// boxFor is the mailbox a request path names.
func (m *monitor) boxFor(path string) *mailbox {
	for i := range m.boxes {
		if strings.Contains(path, "/"+m.boxes[i].id) {
			return &m.boxes[i]
		}
	}
	return nil
}

// setRead rewrites a GET answer to carry data under token.
func (m *monitor) setRead(resp *rendezvous.Response, data, token string) {
	h := append(rendezvous.Header(nil), resp.Header...)
	if m.etag {
		resp.Body = []byte(data)
		h.Set("ETag", token)
	} else {
		resp.Body = mailboxJSON(data, token)
	}
	h.Set("Content-Length", strconv.Itoa(len(resp.Body)))
	resp.Header = h
}

func (m *monitor) parseReadBody(body []byte) (data, tok string, ok bool) {
	d, t, ok := m.parseRead(&rendezvous.Response{Status: 200, Body: body})
	return string(d), string(t), ok
}

// mailboxJSON is the JSON body {"data": data, "sequence_token": token}, with
// the project's JSON string escaping (a payload an adversary rewrote may
// hold control characters, which Go's %q would not escape as JSON).
func mailboxJSON(data, token string) []byte {
	b := []byte(`{"data":`)
	b = wire.AppendString(b, data)
	b = append(b, `,"sequence_token":`...)
	b = wire.AppendString(b, token)
	return append(b, '}')
}

func (m *monitor) box(id string) *mailbox {
	for i := range m.boxes {
		if m.boxes[i].id == id {
			return &m.boxes[i]
		}
	}
	return nil
}

// fresh checks that a token was never handed out before (with content-hash
// tokens: never for other data).
func (m *monitor) fresh(w *run, b *mailbox, tok, data string) bool {
	for _, p := range b.issued {
		if p[0] == tok && (!m.hashTokens || p[1] != data) {
			m.violate(w, InvRendezvousLinearizable, "session %s: token %q handed out twice", b.id, tok)
			return false
		}
	}
	b.issued = append(b.issued, [2]string{tok, data})
	return true
}

func (m *monitor) respToken(resp *rendezvous.Response) string {
	if m.etag {
		return resp.Header.Get("ETag")
	}
	_, tok, _, ok := fields(resp.Body, "data", "sequence_token")
	if !ok {
		return ""
	}
	return string(tok)
}

func (m *monitor) parseCreate(req *rendezvous.Request, resp *rendezvous.Response) (data, tok string, ok bool) {
	if m.etag {
		tok = resp.Header.Get("ETag")
		return string(req.Body), tok, tok != ""
	}
	if d, _, okd, _ := fields(req.Body, "data", ""); okd {
		data = string(d)
	}
	tok = m.respToken(resp)
	return data, tok, tok != ""
}

func (m *monitor) parseWrite(req *rendezvous.Request) (data, cond string) {
	if m.etag {
		return string(req.Body), req.Header.Get("If-Match")
	}
	d, c, _, _ := fields(req.Body, "data", "sequence_token")
	return string(d), string(c)
}

// parseRead returns a GET answer's payload and token, sharing the body's
// memory (compare, do not keep).
func (m *monitor) parseRead(resp *rendezvous.Response) (data, tok []byte, ok bool) {
	if m.etag {
		t := resp.Header.Get("ETag")
		return resp.Body, []byte(t), t != ""
	}
	d, t, okd, okt := fields(resp.Body, "data", "sequence_token")
	return d, t, okd && okt
}

// fields reads the top-level string members named a and b of a JSON object
// without allocating (an escaped value is decoded into a new slice). A
// member of another type, or a body that is not an object, reads as absent.
func fields(body []byte, a, b string) (va, vb []byte, oka, okb bool) {
	r := wire.Reader{B: body}
	r.Space()
	if r.I >= len(body) || body[r.I] != '{' {
		return nil, nil, false, false
	}
	empty, f := r.OpenObject(0)
	if !f.OK() || empty {
		return nil, nil, false, false
	}
	for {
		key, kesc, f := r.Key()
		if !f.OK() {
			return nil, nil, false, false
		}
		want := !kesc && r.I < len(body) && body[r.I] == '"' && (string(key) == a || (b != "" && string(key) == b))
		if want {
			start := r.I
			esc, f := r.Str()
			if !f.OK() {
				return nil, nil, false, false
			}
			v := body[start+1 : r.I-1]
			if esc {
				v = wire.Unescape(v)
			}
			if string(key) == a {
				va, oka = v, true
			} else {
				vb, okb = v, true
			}
		} else if f := r.Value(1); !f.OK() {
			return nil, nil, false, false
		}
		more, f := r.NextMember()
		if !f.OK() {
			return nil, nil, false, false
		}
		if !more {
			return va, vb, oka, okb
		}
	}
}

// finish checks what can only be checked at the end: termination, and
// that an overwritten message or counters out of step ended in a clear
// failure.
func (r *Runner) finish(w *run) {
	res := &w.res
	res.NewState, res.ExistingState = w.n.State().String(), w.e.State().String()
	res.EndMillis = w.now
	res.Agreement = agreement(w.n.Outcome(), w.n.State().Terminal(), w.e.Outcome(), w.e.State().Terminal())
	switch {
	case w.atkSecrets, w.newIsAttacker && res.SecretsMillis >= 0:
		res.AttackerWon = "secrets"
	case res.New.Success && w.n.Outcome().UserID == MalloryID:
		res.AttackerWon = "victim-signed-into-attacker-account"
	case res.AttackerWon == "" && w.atkToken:
		res.AttackerWon = "account-access"
	}
	switch {
	case res.AttackerWon == "":
	case w.blindCode:
		w.exposure = "human-factor"
	case w.newIsAttacker && !w.newScreenHidden:
		w.exposure = "physical-access"
	case res.AttackerWon == "account-access" && !r.oc.ShowUserCode:
		w.exposure = "not-prevented"
	case res.AttackerWon == "account-access" && w.unverified:
		w.exposure = "unverifiable-consent"
	}
	res.Exposure = w.exposure
	res.HumanFactor = w.exposure == "human-factor"
	// A device that confirms the account compares whoami with the account
	// the user means before it asks: another account never reaches the
	// user, however careless.
	if res.New.Success && !w.newIsAttacker && w.n.Outcome().UserID != AliceID && r.nv.Flow.Whoami && r.nv.Flow.ConfirmAccount {
		w.mon.violate(w, InvExpectedAccount, "the new device signed in to %s although it confirms the account and the user expects %s",
			w.n.Outcome().UserID, AliceID)
	}
	if res.AttackerWon != "" && w.exposure == "" && res.Violation == nil {
		inv := InvSecretsToConfirmedDevice
		if res.AttackerWon != "secrets" {
			inv = InvSecrecy
		}
		w.mon.violate(w, inv, "the attacker obtained %s without the user confirming its code", res.AttackerWon)
	}
	res.TraceHash = r.tr.Hash()
	res.Events = r.tr.Len()
	if res.Violation != nil {
		return
	}
	m := &w.mon
	if !w.n.State().Terminal() || !w.e.State().Terminal() {
		m.violate(w, InvTermination, "not ended by %d ms (limit %d ms): N %s, E %s", w.now, r.termMax, res.NewState, res.ExistingState)
		res.TraceHash = r.tr.Hash()
		return
	}
	if end := max(res.New.At, res.Existing.At); end > r.termMax {
		m.violate(w, InvTermination, "ended at %d ms, after the bound of %d ms", end, r.termMax)
		res.TraceHash = r.tr.Hash()
		return
	}
	if m.overwritten != "" && !m.mailboxOwned && (res.New.Success || res.Existing.Success) {
		m.violate(w, InvStrictAlternation, "%s, yet the login ended with a success", m.overwritten)
		res.TraceHash = r.tr.Hash()
		return
	}
	// Counters: on success, every message one side sealed the other opened.
	if res.New.Success && res.Existing.Success {
		ns, no := w.n.ChannelCounters()
		es, eo := w.e.ChannelCounters()
		if ns != eo || es != no {
			m.violate(w, InvStrictAlternation, "channel counters out of step at success: N sealed %d opened %d, E sealed %d opened %d", ns, no, es, eo)
			res.TraceHash = r.tr.Hash()
		}
	}
}

// honest reports whether a is one of the two login devices.
func honest(a Actor) bool { return a == ActorNew || a == ActorExisting }

func machineActor(i int) Actor {
	switch i {
	case 0:
		return ActorNew
	case 1:
		return ActorExisting
	}
	return ActorAttacker
}
