package sim

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math"
	"slices"
	"strings"

	"qrlab/model/channel"
	"qrlab/model/msg"
	"qrlab/model/oauth"
	"qrlab/model/qr"
	"qrlab/model/rendezvous"
	"qrlab/model/variant"
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
	InvNonceUnique              = "nonce-unique"
	InvTokenForApprovedGrant    = "token-only-for-approved-grant"
	InvSuccessAfterWhoami       = "success-only-after-whoami"
	InvCauseReason              = "cause-ends-with-its-reason"
	// InvUnexpectedEnds is in checkers_order.go, InvFailureEnds in
	// checkers_failure.go, InvFailureHasCause in checkers_outside.go.
	// InvSimulator is the simulator checking itself (conservation.go): a
	// violation is a bug of the lab, not of the design under test.
	InvSimulator = "simulator-conservation"
)

// Invariants lists every invariant the monitors check, in a stable order.
func Invariants() []string {
	return []string{InvSecretsAfterConfirmation, InvSecretsToConfirmedDevice, InvTermination, InvNoPlaintext,
		InvRendezvousLinearizable, InvChannelIntegrity, InvStrictAlternation, InvSecrecy, InvExpectedAccount,
		InvNonceUnique, InvTokenForApprovedGrant, InvSuccessAfterWhoami, InvCauseReason, InvUnexpectedEnds, InvFailureEnds,
		InvFailureHasCause, InvSimulator}
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

// mailbox is what the monitors follow of one rendezvous session: its state
// in the store's sequential specification (rendezvous.SessionSpec, which
// says what a correct store must answer next), the token the store handed
// out for each version, and who wrote the payload.
type mailbox struct {
	id     string
	spec   rendezvous.SessionSpec
	token  string // the token of spec.Version
	writer Actor  // who wrote spec.Data (ActorNone: the creator's initial data)
	// delivered: an answer carrying spec.Data reached the other device
	// since it was written (arrivedRead; the store serving it is not
	// enough, since the network may lose the answer).
	delivered bool
	gone      bool
	// unread are the honest devices' payloads a later write replaced
	// before any answer carrying them had reached the other device, kept
	// until one does (an answer still travelling) or the run ends.
	unread []unreadWrite
	// sent are the honest devices' writes to this session that left the
	// device (Runner.send) and have not landed yet, oldest first: a write
	// that never lands while a later one of the same device does was
	// skipped, and the other device can never read it (sentWrite,
	// landed).
	sent []sentWrite
	// deadline is when the session expires by the design's own rule (its
	// creation plus the store's TTL): the store must not serve it from
	// then on, whatever its sweeper has done.
	deadline Millis
	// issued are the tokens handed out for this session, oldest first.
	issued []issued
}

// issued is a token the store handed out, for which payload and version.
type issued struct {
	token, data string
	version     uint64
}

// sentWrite is a payload a device sent to be written.
type sentWrite struct {
	data   string
	writer Actor
}

// unreadWrite is a payload replaced before the other device got it.
type unreadWrite struct {
	data       string
	writer, by Actor
	at         Millis
}

// view is the client view a token names, as a spec operation's
// precondition (Foreign when the session never handed the token out).
func (b *mailbox) view(tok string) rendezvous.Op {
	for i := len(b.issued) - 1; i >= 0; i-- {
		if p := &b.issued[i]; p.token == tok {
			return rendezvous.Op{SeenVersion: p.version, SeenData: p.data}
		}
	}
	return rendezvous.Op{Foreign: true}
}

// tokenOf returns the token handed out for version v ("" for none).
func (b *mailbox) tokenOf(v uint64) string {
	if v == b.spec.Version {
		return b.token
	}
	for i := len(b.issued) - 1; i >= 0; i-- {
		if b.issued[i].version == v {
			return b.issued[i].token
		}
	}
	return ""
}

// monitor checks the invariants as the run goes.
type monitor struct {
	r    *Runner
	nIsG bool
	// codec parses the rendezvous requests and answers of the flavour;
	// rules are the store's, for the spec.
	codec rendezvous.Client
	rules rendezvous.Rules
	etag  bool
	// hashTokens: the store's tokens are a hash of the data alone (Synapse's
	// ETag), so equal data gets the same token again, by design.
	hashTokens bool
	needle     [][]byte
	boxes      []mailbox
	// read is what the store's last answer carries: a session's payload
	// (box: its index plus one; 0 for none), set by rendezvous and taken
	// by the exchange's answer (arrival.read), which clears it: scratch of
	// one step, zero between steps, so that it keeps no two states apart.
	read readRef
	// written holds every payload each machine wrote (N, E), so that a
	// payload the tap saw open can be traced to an honest write.
	written [numMachines][]string
	// openedUpTo is, per reader and writer, the index in the writer's list
	// of the last payload the reader opened: a message opens once, in order.
	openedUpTo [numMachines][numMachines]int
	// mailboxOwned: an adversary answers in the store's place, so the
	// mailbox invariants are not the protocol's to keep.
	mailboxOwned bool
	// providerOwned: the provider's approvals are an adversary's doing (a
	// malicious homeserver), so token-only-for-approved-grant and the
	// user's approval before the secrets are not the protocol's to keep.
	providerOwned bool

	// The checkers judged from outside (checkers.go), and what the tap on
	// the channel layer told: how many payloads each device sealed, the
	// new device's channel keys, whether it sealed m.login.success.
	user   *UserRecord
	nonce  nonceChecker
	dev    deviceChecker
	grant  grantChecker
	order  orderChecker
	cause  causeChecker
	rogue  rogueChecker
	camera cameraChecker
	fail   failureChecker
	// rogueNew: the new device is a rogue peer's (an adversary's doing),
	// so what it seals is not judged.
	rogueNew      bool
	sealCount     [numMachines]uint64
	openCount     [numMachines]uint64
	newKeys       []channel.PublicKey
	successSealed bool
}

func (m *monitor) reset(r *Runner, w *run, sec msg.Secrets) {
	m.r = r
	m.nIsG = r.cfg.Intent == qr.Login
	m.codec = rendezvous.NewClient(r.rc.Flavour)
	m.rules = rendezvous.RulesOf(r.rc)
	m.etag = m.codec.ETag()
	m.hashTokens = m.rules.ContentHash
	m.needle = m.needle[:0]
	m.boxes = m.boxes[:0]
	for i := range m.written {
		m.written[i] = m.written[i][:0]
		m.openedUpTo[i] = [numMachines]int{-1, -1, -1}
	}
	m.mailboxOwned, m.providerOwned = false, false
	m.user = &w.user
	m.nonce.reset()
	m.dev.reset()
	m.grant.reset()
	m.order.reset()
	m.cause.reset()
	m.rogue.reset()
	m.camera.reset()
	m.fail.reset()
	m.rogueNew = false
	for _, a := range r.adversaries {
		if _, ok := a.(*roguePeer); ok {
			m.rogueNew = true
		}
	}
	m.sealCount, m.openCount = [numMachines]uint64{}, [numMachines]uint64{}
	m.newKeys = m.newKeys[:0]
	m.successSealed = false
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
	m.touch(monNeedle)
	m.needle = append(m.needle, []byte(base64.RawStdEncoding.EncodeToString(k)), append([]byte(nil), k...))
}

// addSecret adds a token or code that must never appear in a payload.
func (m *monitor) addSecret(s string) {
	if len(s) >= 6 {
		m.touch(monNeedle)
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

// sealed is the tap on a device's channel: who sealed a payload, under
// which key and nonce, between which channel keys, and what it said.
func (m *monitor) sealed(w *run, who Actor, s channel.Sealing) {
	if w.res.Violation != nil {
		return
	}
	m.touch(monChecks)
	i := machineIndex(who)
	m.sealCount[i]++
	if who == ActorNew && !slices.Contains(m.newKeys, s.Own) {
		m.newKeys = append(m.newKeys, s.Own)
	}
	if prev := m.nonce.observe(who, &s); prev != ActorNone {
		m.violate(w, InvNonceUnique, "%s sealed payload #%d under key %s with nonce %x, which %s used before", who, m.sealCount[i], s.Key, s.Nonce, prev)
		return
	}
	m.cause.observeSeal(who, s.Plaintext, w.now)
	if who == ActorExisting && m.rogue.openedAt >= 0 {
		if d := m.rogue.observeSeal(messageType(s.Plaintext)); d != "" {
			m.violate(w, InvUnexpectedEnds, "%s", d)
			return
		}
	}
	if who != ActorNew || !m.rogueNew {
		if d := m.fail.observeSeal(i, who); d != "" {
			m.violate(w, InvFailureEnds, "%s", d)
			return
		}
	}
	if who == ActorExisting && m.order.outOf != "" {
		if d := m.order.observeSeal(messageType(s.Plaintext)); d != "" {
			m.violate(w, InvUnexpectedEnds, "%s", d)
			return
		}
	}
	if !bytes.Contains(s.Plaintext, loginS) && !bytes.Contains(s.Plaintext, proofS) {
		return // neither m.login.secrets nor m.login.success nor the proof
	}
	switch t := messageType(s.Plaintext); {
	case t == msg.TypeSecrets && who == ActorExisting:
		m.secretsSealed(w, s.Peer)
	case (t == msg.TypeSuccess || t == msg.TypeProofOfPossession) && who == ActorNew:
		// The proof of possession (flow.proof_of_possession) is sent in
		// place of m.login.success.
		m.successSealed = true
		m.successAfterWhoami(w)
	}
}

var (
	loginS = []byte("m.login.s")
	proofS = []byte(msg.TypeProofOfPossession)
)

// secretsSealed is E sealing m.login.secrets (seen by the tap). The user's
// record must show the check code the scanning device displayed typed on
// the device that showed the QR code (G), the new device's grant approved
// on the consent page, and no cancel on E; the homeserver must have
// answered E 404 for the new device before the browser step, and list it
// now; the new device must have sealed m.login.success; and the channel's
// peer must be the new device's key (checked first: the rest is about N).
func (m *monitor) secretsSealed(w *run, peer channel.PublicKey) {
	if d := m.codeComplaint(w); d != "" {
		m.violate(w, InvSecretsAfterConfirmation, "E sealed m.login.secrets %s", d)
		return
	}
	if !slices.Contains(m.newKeys, peer) {
		m.violateSecretsPeer(w, peer) // the device checks below are about N
		return
	}
	dev := m.dev.newDevice
	limit := w.now
	if b := m.user.last(ActBrowserOpened, ActorExisting); b != nil {
		limit = b.At
	}
	switch {
	case dev == "":
		m.violate(w, InvSecretsAfterConfirmation, "E sealed m.login.secrets before the new device asked the provider for a device")
	case !m.dev.checkedBefore(dev, limit):
		m.violate(w, InvSecretsAfterConfirmation, "E sealed m.login.secrets without the device check: the homeserver never answered E 404 for %s before the browser step", dev)
	case m.dev.newGrant == "":
		m.violate(w, InvSecretsAfterConfirmation, "E sealed m.login.secrets before the provider issued the new device a token")
	case !userApproved(m.user, m.dev.newGrant) && !m.providerOwned:
		m.violate(w, InvSecretsAfterConfirmation, "E sealed m.login.secrets although the user never approved grant %s, the new device's token's", m.dev.newGrant)
	case m.refusedOnE():
		m.violate(w, InvSecretsAfterConfirmation, "E sealed m.login.secrets after the user cancelled on it")
	case !m.successSealed:
		m.violate(w, InvSecretsAfterConfirmation, "E sealed m.login.secrets before the new device sealed m.login.success")
	case !w.hs.DeviceExists(w.now, AliceID, dev):
		m.violate(w, InvSecretsAfterConfirmation, "E sealed m.login.secrets before the homeserver listed the new device %s", dev)
	}
}

// refusedOnE reports whether the user's record shows a cancel on E, or the
// browser step cancelled on E where E's design asks about it (it
// acknowledges after the user confirms; the others have no such prompt).
func (m *monitor) refusedOnE() bool {
	asks := m.r.cfg.Variant.Flow.Ack == variant.AckAfterConfirm
	for i := range m.user.Acts {
		a := &m.user.Acts[i]
		if a.Device == ActorExisting && (a.Kind == ActCancel || asks && a.Kind == ActConfirmBrowser && !a.OK) {
			return true
		}
	}
	return false
}

// codeComplaint says what is wrong with the check code in the user's
// record ("" when the user typed on G the code S displayed).
func (m *monitor) codeComplaint(w *run) string {
	qrAct := m.user.last(ActSawQR, ActorNone)
	if qrAct == nil {
		return "although no device of the user showed a QR code"
	}
	g := qrAct.Device
	s := ActorNew
	if g == ActorNew {
		s = ActorExisting
	}
	typed := m.user.last(ActTypedCode, g)
	if typed == nil {
		return "before the user typed the check code on G (" + g.String() + ")"
	}
	shown := m.user.last(ActSawCheckCode, s)
	if shown != nil && shown.Text == typed.Text {
		return ""
	}
	if w.blindCode {
		return "" // a code the user could not have read: the peer check decides
	}
	if shown == nil {
		return "after the user typed " + typed.Text + " on G although S (" + s.String() + ") never displayed a code"
	}
	return "after the user typed " + typed.Text + " on G while S (" + s.String() + ") displayed " + shown.Text
}

// violateSecretsPeer checks that E's channel peer (told by the tap) is a
// key the new device's channel sealed under. When it is not and the user
// typed an attacker's code they could not have read on their own device,
// the confirmed device is the attacker's: a human-factor loss, counted, not
// a protocol violation.
func (m *monitor) violateSecretsPeer(w *run, peer channel.PublicKey) {
	if slices.Contains(m.newKeys, peer) {
		return
	}
	if w.blindCode {
		w.res.HumanFactor = true
		return
	}
	m.violate(w, InvSecretsToConfirmedDevice, "E sealed m.login.secrets on a channel whose peer is not the new device the user confirmed")
}

// successAfterWhoami: when the new device's design calls whoami, it seals
// m.login.success only after the homeserver answered its whoami with the
// device it asked the provider for (and, when it confirms the account, the
// account the user means).
func (m *monitor) successAfterWhoami(w *run) {
	f := m.r.nv.Flow
	if !f.Whoami || m.rogueNew {
		return
	}
	d := &m.dev
	switch {
	case !d.whoamiSeen:
		m.violate(w, InvSuccessAfterWhoami, "N sealed m.login.success before the homeserver answered its whoami")
	case d.whoamiDevice != d.newDevice:
		m.violate(w, InvSuccessAfterWhoami, "N sealed m.login.success after whoami answered device %q, not the device it asked for (%q)", d.whoamiDevice, d.newDevice)
	case f.ConfirmAccount && d.whoamiUser != AliceID && !w.newIsAttacker:
		m.violate(w, InvExpectedAccount, "N sealed m.login.success after whoami answered %s although it confirms the account and the user expects %s", d.whoamiUser, AliceID)
	}
}

// providerEffects is the provider's log of one request: the new device's
// grants, and every token judged against the user's consent.
func (m *monitor) providerEffects(w *run, client Actor, fx []oauth.Effect) {
	if len(fx) > 0 {
		m.touch(monChecks)
	}
	for i := range fx {
		f := &fx[i]
		if f.Kind == oauth.EffectGrantCreated && client == ActorNew {
			m.dev.newDevice = f.Device
		}
		if f.Kind == oauth.EffectTokenIssued && f.Device == m.dev.newDevice {
			m.dev.newUser = f.User
			if client == ActorNew {
				m.dev.newGrant = f.Grant
			}
		}
		if d := m.grant.observe(f, m.user); d != "" && !m.providerOwned {
			m.violate(w, InvTokenForApprovedGrant, "%s", d)
			return
		}
	}
}

// plaintext is no-plaintext-on-wire: a rendezvous request body, searched
// for secrets as its client sends it (Runner.send), so that a request the
// network loses before the store is searched too.
func (m *monitor) plaintext(w *run, method, path string, body []byte) {
	for _, n := range m.needle {
		if bytes.Contains(body, n) {
			m.violate(w, InvNoPlaintext, "%s %s carries a secret, token or code in the clear (%.12q...)", method, path, n)
			return
		}
	}
}

// rendezvous watches one store exchange at the moment the store handled it
// (its linearization point).
func (m *monitor) rendezvous(w *run, client Actor, injected bool, req *rendezvous.Request, resp *rendezvous.Response, fx []rendezvous.Effect) {
	for _, f := range fx {
		switch f.Kind {
		case rendezvous.EffectExpired, rendezvous.EffectEvictedSoftCap, rendezvous.EffectEvictedHardCap, rendezvous.EffectDeleted:
			if b := m.box(f.ID); b != nil {
				m.touch(monBoxes)
				b.gone = true
			}
		}
	}
	var op rendezvous.Effect
	for _, f := range fx {
		switch f.Kind {
		case rendezvous.EffectCreated, rendezvous.EffectWritten, rendezvous.EffectRead, rendezvous.EffectNotModified,
			rendezvous.EffectConflict, rendezvous.EffectReplayed:
			op = f
		}
	}
	if !honest(client) && (op.Kind == rendezvous.EffectCreated || m.box(op.ID) == nil) {
		return // an attacker's own sessions are not the protocol's
	}
	if op.Kind != 0 && op.Kind != rendezvous.EffectCreated {
		if b := m.box(op.ID); b != nil && b.gone {
			m.violate(w, InvRendezvousLinearizable, "%s %s served session %s after it was deleted or expired", req.Method, req.Path, op.ID)
			return
		}
		if b := m.box(op.ID); b != nil && op.At >= b.deadline {
			m.violate(w, InvRendezvousLinearizable, "%s %s served session %s at %d ms, after its expiry at %d ms (created plus the TTL of %d ms)",
				req.Method, req.Path, op.ID, op.At, b.deadline, m.rules.TTL)
			return
		}
	}
	// The wire says a session is gone too: a DELETE the store answered
	// with success, whatever its log says.
	if req.Method == "DELETE" && resp.Status >= 200 && resp.Status < 300 {
		if b := m.boxFor(req.Path); b != nil {
			m.touch(monBoxes)
			b.gone = true
		}
	}
	switch op.Kind {
	case rendezvous.EffectCreated:
		m.created(w, client, injected, op, req, resp)
	case rendezvous.EffectWritten, rendezvous.EffectReplayed, rendezvous.EffectConflict:
		m.put(w, client, injected, op, req, resp)
	case rendezvous.EffectRead:
		b := m.box(op.ID)
		if b == nil {
			m.violate(w, InvRendezvousLinearizable, "read of unknown session %s succeeded", op.ID)
			return
		}
		data, tok, err := m.codec.ParseReadMemo(&m.r.readMemos[2], resp)
		_, _, want := b.spec.Step(op.At, m.rules, rendezvous.Op{Kind: rendezvous.OpRead})
		if err != nil || want.Kind != rendezvous.OutcomeData || string(data) != want.Data || tok != b.tokenOf(want.Version) {
			m.violate(w, InvRendezvousLinearizable, "GET answered token %q and a payload that is not the latest write (token %q)", tok, b.token)
			return
		}
		m.read = readRef{box: m.boxIndex(b) + 1, data: want.Data}
	case rendezvous.EffectNotModified:
		b := m.box(op.ID)
		if b == nil {
			m.violate(w, InvRendezvousLinearizable, "304 for a token that is not current")
			return
		}
		seen := b.view(req.Header.Get("If-None-Match"))
		seen.Kind = rendezvous.OpReadIfChanged
		if _, _, want := b.spec.Step(op.At, m.rules, seen); want.Kind != rendezvous.OutcomeNotModified {
			m.violate(w, InvRendezvousLinearizable, "304 for a token that is not current")
		}
	}
}

// created checks a create against the spec's fresh session and starts
// following it.
func (m *monitor) created(w *run, client Actor, injected bool, op rendezvous.Effect, req *rendezvous.Request, resp *rendezvous.Response) {
	cr, err := m.codec.ParseCreate(resp)
	if err != nil || cr.Token == "" {
		m.violate(w, InvRendezvousLinearizable, "create answered %d without a session token", resp.Status)
		return
	}
	data := string(m.codec.CreateData(req))
	s := rendezvous.NewSessionSpec(m.rules, op.At, data)
	// The monitor learns of expiry, eviction and deletion from the store's
	// effects; checking the store's clock against the TTL is the
	// store-vs-spec property test's job.
	s.Expires = math.MaxInt64
	deadline := op.At + m.rules.TTL
	if m.r.rc.NoExpiry || m.rules.TTL <= 0 {
		deadline = math.MaxInt64
	}
	m.touch(monBoxes)
	m.boxes = append(m.boxes, mailbox{id: op.ID, spec: s, token: cr.Token, writer: client, deadline: deadline})
	if !m.fresh(w, &m.boxes[len(m.boxes)-1], cr.Token, data, s.Version) {
		return
	}
	if !injected {
		m.wrote(client, data)
	}
}

// put checks a write the store accepted, replayed or refused against the
// spec's outcome for the same write.
func (m *monitor) put(w *run, client Actor, injected bool, op rendezvous.Effect, req *rendezvous.Request, resp *rendezvous.Response) {
	b := m.box(op.ID)
	if b == nil {
		if op.Kind != rendezvous.EffectConflict {
			m.violate(w, InvRendezvousLinearizable, "write to unknown session %s succeeded", op.ID)
		}
		return
	}
	m.touch(monBoxes)
	d, c := m.codec.WriteOf(req)
	data, cond := string(d), string(c)
	wop := b.view(cond)
	wop.Kind, wop.Data, wop.Txn = rendezvous.OpWrite, data, rendezvous.TxnOf(req.Path, op.ID)
	next, _, want := b.spec.Step(op.At, m.rules, wop)
	switch op.Kind {
	case rendezvous.EffectWritten:
		if want.Kind != rendezvous.OutcomeWritten {
			m.violate(w, InvRendezvousLinearizable, "PUT conditioned on %q succeeded while the current token is %q", cond, b.token)
			return
		}
		tok, _ := m.codec.ParseWritten(resp)
		if !m.fresh(w, b, tok, data, next.Version) {
			return
		}
		if honest(b.writer) && honest(client) && !b.delivered && b.spec.Data != data {
			b.unread = append(b.unread, unreadWrite{data: b.spec.Data, writer: b.writer, by: client, at: w.now})
		}
		if !injected {
			m.landed(w, b, client, data, true)
		}
		b.spec, b.token, b.writer, b.delivered = next, tok, client, false
		if !injected {
			m.wrote(client, data) // an adversary's copied payload is sealed by nobody here
		}
	case rendezvous.EffectReplayed:
		// A replay changes nothing and answers the token of the version
		// the spec names (the current one, or with transaction IDs the
		// one recorded for the transaction). A replayed refusal has no
		// token.
		if !injected {
			m.landed(w, b, client, data, false) // an earlier copy landed
		}
		tok, _ := m.codec.ParseWritten(resp)
		if tok == "" {
			return
		}
		if want.Kind != rendezvous.OutcomeUnchanged || b.tokenOf(want.Version) != tok {
			m.violate(w, InvRendezvousLinearizable, "replayed PUT answered token %q, never handed out for that payload (current %q)", tok, b.token)
		}
	case rendezvous.EffectConflict:
		if want.Kind == rendezvous.OutcomeWritten {
			m.violate(w, InvRendezvousLinearizable, "PUT conditioned on the current token %q was refused as a conflict", cond)
			return
		}
		b.spec = next // a refused write under a transaction ID is recorded
	}
}

// sentWrite notes an honest device's write request to the session path
// names as it leaves the device (Runner.send).
func (m *monitor) sentWrite(client Actor, path string, req *rendezvous.Request) {
	b := m.boxFor(path)
	if b == nil {
		return
	}
	d, _ := m.codec.WriteOf(req)
	m.touch(monBoxes)
	b.sent = append(b.sent, sentWrite{data: string(d), writer: client})
}

// landed is client's payload data stored in session b (written: as the
// current payload; else an earlier copy had been, and this one is a
// replay). What client sent before it and never landed was skipped: the
// other device can never read it, as if it had been overwritten unread
// (the design wrote twice in a row, and the network lost or reordered the
// first write, which the store then refused). Those and every copy of
// data leave sent.
func (m *monitor) landed(w *run, b *mailbox, client Actor, data string, written bool) {
	k := slices.IndexFunc(b.sent, func(s sentWrite) bool { return s.writer == client && s.data == data })
	if k < 0 {
		return
	}
	m.touch(monBoxes)
	n := 0
	for i, s := range b.sent {
		switch {
		case s.writer != client:
		case s.data == data:
			continue // this payload's copies
		case written && i < k:
			if !slices.Contains(m.written[machineIndex(client)], s.data) {
				b.unread = append(b.unread, unreadWrite{data: s.data, writer: client, by: client, at: w.now})
			}
			continue
		}
		b.sent[n] = s
		n++
	}
	clear(b.sent[n:])
	b.sent = b.sent[:n]
}

// readRef is a session's payload as a store's answer carries it.
type readRef struct {
	box  int
	data string
}

// boxIndex is b's index in m.boxes.
func (m *monitor) boxIndex(b *mailbox) int {
	for i := range m.boxes {
		if &m.boxes[i] == b {
			return i
		}
	}
	return -1
}

// arrivedRead is the answer a to an honest device's GET of a rendezvous
// session reaching it (not dropped as late or duplicate): the payload it
// carries is read. What it carries is what the monitor saw the store
// answer (a.read); an answer an adversary may have changed on its way
// carries none, and is parsed here, only when it can tell something: the
// session's payload is the other device's and not yet delivered, or a
// replaced one is still unread.
func (m *monitor) arrivedRead(client Actor, path string, a *arrival) {
	if a.read.box > 0 {
		m.gotRead(client, &m.boxes[a.read.box-1], a.read.data)
		return
	}
	if a.resp.Status != 200 || len(m.r.adversaries) == 0 {
		return
	}
	b := m.boxFor(path)
	if b == nil || (b.delivered || b.writer == client || !honest(b.writer)) && len(b.unread) == 0 {
		return
	}
	d, _, err := m.codec.ParseRead(&rendezvous.Response{Status: a.resp.Status, Header: a.resp.Header, Body: a.resp.Body})
	if err == nil {
		m.gotRead(client, b, string(d))
	}
}

// gotRead is client receiving data from session b.
func (m *monitor) gotRead(client Actor, b *mailbox, data string) {
	m.touch(monBoxes)
	if data == b.spec.Data && b.writer != client {
		b.delivered = true
	}
	if len(b.unread) > 0 {
		b.unread = slices.DeleteFunc(b.unread, func(u unreadWrite) bool { return u.data == data && u.writer != client })
	}
}

// unreadOverwrites reports whether a payload was replaced, by either
// device, before the other device got it, and the first one replaced by
// the other device ("" for none).
func (m *monitor) unreadOverwrites() (lost bool, overwritten string) {
	for i := range m.boxes {
		for _, u := range m.boxes[i].unread {
			lost = true
			if overwritten == "" && u.by != u.writer {
				overwritten = fmt.Sprintf("%s overwrote %s's payload unread at %d ms", u.by, u.writer, u.at)
			}
		}
	}
	return lost, overwritten
}

func (m *monitor) wrote(client Actor, data string) {
	if honest(client) || client == ActorAttacker {
		i := machineIndex(client)
		m.touch(monWritten)
		m.written[i] = append(m.written[i], data)
	}
}

// opened is the tap on machine a's channel telling that a payload opened:
// it must be one the other machine wrote to the store, byte for byte, and
// newer than the last one a opened from it.
func (m *monitor) opened(w *run, a Actor, o channel.Opening) {
	if w.res.Violation != nil {
		return
	}
	data := o.Payload
	what := messageType(o.Plaintext)
	if what == "" {
		what = "a handshake payload"
	}
	m.touch(monChecks)
	i := machineIndex(a)
	m.fail.observeOpen(i, o.Plaintext, w.now)
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
			m.openCount[i]++
			if a == ActorExisting && machineActor(j) == ActorNew {
				m.order.observeOpen(what, w.now)
				m.rogue.observeOpen(o.Plaintext, w.now)
			}
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

func (m *monitor) box(id string) *mailbox {
	for i := range m.boxes {
		if m.boxes[i].id == id {
			return &m.boxes[i]
		}
	}
	return nil
}

// fresh checks that a token was never handed out before (with content-hash
// tokens: never for other data) and records it for version v.
func (m *monitor) fresh(w *run, b *mailbox, tok, data string, v uint64) bool {
	for _, p := range b.issued {
		if p.token == tok && (!m.hashTokens || p.data != data) {
			m.violate(w, InvRendezvousLinearizable, "session %s: token %q handed out twice", b.id, tok)
			return false
		}
	}
	m.touch(monBoxes)
	b.issued = append(b.issued, issued{token: tok, data: data, version: v})
	return true
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
	case w.exposure == "tls-terminated":
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
	// The account is the provider's word: whom it issued the new device's
	// token for.
	if res.New.Success && !r.unchecked && !w.newIsAttacker && w.mon.dev.newUser != AliceID && r.nv.Flow.Whoami && r.nv.Flow.ConfirmAccount {
		w.mon.violate(w, InvExpectedAccount, "the new device signed in to %s although it confirms the account and the user expects %s",
			w.mon.dev.newUser, AliceID)
	}
	if res.AttackerWon != "" && w.exposure == "" && res.Violation == nil {
		inv := InvSecretsToConfirmedDevice
		if res.AttackerWon != "secrets" {
			inv = InvSecrecy
		}
		w.mon.violate(w, inv, "the attacker obtained %s without the user confirming its code", res.AttackerWon)
	}
	unreadLost, overwritten := w.mon.unreadOverwrites()
	if !r.unchecked {
		if d := r.conservation(); d != "" {
			w.mon.violate(w, InvSimulator, "%s", d)
		}
		if d := causeComplaint(w.mon.user, res); d != "" {
			w.mon.violate(w, InvCauseReason, "%s", d)
		}
		if d := w.mon.cause.complaint(r, w, res); d != "" {
			w.mon.violate(w, InvCauseReason, "%s", d)
		}
		if d := w.mon.fail.endComplaint(0, ActorNew, r.nv.Generation(), &res.New); d != "" {
			w.mon.violate(w, InvFailureEnds, "%s", d)
		}
		if d := w.mon.fail.endComplaint(1, ActorExisting, r.cfg.Variant.Generation(), &res.Existing); d != "" {
			w.mon.violate(w, InvFailureEnds, "%s", d)
		}
		if d := w.mon.order.endComplaint(res); d != "" {
			w.mon.violate(w, InvUnexpectedEnds, "%s", d)
		}
		if d := w.mon.rogue.endComplaint(res); d != "" {
			w.mon.violate(w, InvUnexpectedEnds, "%s", d)
		}
		if d := w.mon.camera.complaint(res); d != "" {
			w.mon.violate(w, InvCauseReason, "%s", d)
		}
		if d := r.outsideCauseComplaint(res, unreadLost); d != "" {
			w.mon.violate(w, InvFailureHasCause, "%s", d)
		}
	}
	res.TraceHash = r.tr.Hash()
	res.Events = r.tr.Len()
	if res.Violation != nil {
		return
	}
	m := &w.mon
	// A device has ended when its screen showed an ending (an outcome
	// effect), not when it says its state is terminal.
	if res.New.Outcome == "" || res.Existing.Outcome == "" {
		m.violate(w, InvTermination, "not ended by %d ms (limit %d ms): N %s, E %s", w.now, r.termMax, res.NewState, res.ExistingState)
		res.TraceHash = r.tr.Hash()
		return
	}
	if end := max(res.New.At, res.Existing.At); end > r.termMax && !r.st.time.on { // the time abstraction judges no time bound
		m.violate(w, InvTermination, "ended at %d ms, after the bound of %d ms", end, r.termMax)
		res.TraceHash = r.tr.Hash()
		return
	}
	if overwritten != "" && !m.mailboxOwned && (res.New.Success || res.Existing.Success) {
		m.violate(w, InvStrictAlternation, "%s, yet the login ended with a success", overwritten)
		res.TraceHash = r.tr.Hash()
		return
	}
	// Counters: on success, every message one side sealed (the tap's
	// count) the other opened (the opens channel-integrity traced to a
	// payload on the wire).
	if res.New.Success && res.Existing.Success && !r.unchecked {
		ns, no := m.sealCount[0], m.openCount[0]
		es, eo := m.sealCount[1], m.openCount[1]
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
