package login

import (
	"crypto/ecdh"
	"encoding/base64"
	"fmt"
	"io"
	"slices"
	"strings"

	"qrlab/model/channel"
	"qrlab/model/homeserver"
	"qrlab/model/msg"
	"qrlab/model/oauth"
	"qrlab/model/qr"
	"qrlab/model/rendezvous"
	"qrlab/model/variant"
	"qrlab/model/wire"
	"qrlab/model/wire/canonicaljson"
)

// NewDeviceConfig is what the new device knows before the login starts.
type NewDeviceConfig struct {
	// Variant is the protocol variant.
	Variant variant.Variant
	// Intent is qr.Login when the new device shows the QR code, and
	// qr.Reciprocate when it scans the existing device's.
	Intent qr.Intent
	// RendezvousBaseURL is the server the new device creates its session on
	// when it shows the QR code (it has no homeserver yet).
	RendezvousBaseURL string
	// ServerNames maps a server name to its client-server base URL, standing
	// in for .well-known discovery; a name not listed becomes https://name.
	ServerNames map[string]string
	// ClientID is used when the provider offers no dynamic registration.
	ClientID string
	// ClientName and ClientURI are sent when registering.
	ClientName, ClientURI string
	// ForceDeviceID and ForceVerificationURI make a malicious new device
	// for the simulator's adversaries: the device ID it claims (and asks
	// the provider for) instead of a drawn one, and the verification URI it
	// sends in m.login.protocol instead of the provider's (its
	// verification_uri_complete then left out). Empty: honest.
	ForceDeviceID, ForceVerificationURI string
	// ForceEarlySuccess makes a rogue new device that seals m.login.success
	// where m.login.protocol belongs (a premature, out-of-place message),
	// and then waits for the secrets. False: honest.
	ForceEarlySuccess bool
	// Rogue, when its At is set, makes another rogue new device for the
	// simulator's adversaries: at that step it seals Rogue's payload in
	// place of the honest message and goes on as if it had sent that.
	// Zero: honest.
	Rogue RogueStep
	// ExpectedUserID, when set and the variant confirms the account, is the
	// account whoami must name (the one the user means to sign in to);
	// another ends the login with whoami_mismatch.
	ExpectedUserID string
	// ChannelObserver, when set, is told of every payload the device's
	// channel seals (channel.Config.Observe): a monitor's tap, never read
	// by the device.
	ChannelObserver channel.Observer
	// ChannelOpenObserver, likewise, is told of every payload the channel
	// opens (channel.Config.ObserveOpen).
	ChannelOpenObserver channel.OpenObserver
	// KnownKeys are signing keys already derived from their seeds (the
	// account's self-signing key, which is the same in every login of one
	// account): a seed that m.login.secrets brings and that equals one of
	// theirs byte for byte takes that key pair, the same one deriving it
	// again would give; any other seed is derived. Nil: every seed is
	// derived.
	KnownKeys []*homeserver.SigningKey
	// ReadMemo, when set, remembers how the last mailbox answer the device
	// read began, so that a poll answered with the same payload and token
	// reads only the answer's tail (rendezvous.ReadMemo: a cache, the same
	// results). It may serve every run of one simulator; nil reads every
	// answer whole.
	ReadMemo *rendezvous.ReadMemo
	// SignMemo, when set, remembers the Ed25519 signatures the device
	// makes (the keys/upload's and the proof of possession's) by their
	// exact inputs (homeserver.SignMemo: each computed for real once, the
	// same bytes). It may serve every run of one simulator; nil signs
	// afresh every time.
	SignMemo *homeserver.SignMemo
}

// RogueStep is what a rogue new device seals at one step of the login
// (NewDeviceConfig.Rogue).
type RogueStep struct {
	// At is the step: RogueAtProtocol (where m.login.protocol belongs) or
	// RogueAtSuccess (where m.login.success, or the proof of possession,
	// belongs); "" is honest.
	At string
	// Plaintext is sealed as it is (invalid JSON, an unknown type, a
	// message of the other side, ...).
	Plaintext []byte
	// RepeatProtocol seals the device's m.login.protocol a second time
	// instead of Plaintext.
	RepeatProtocol bool
}

// The steps a rogue new device can misbehave at.
const (
	RogueAtProtocol = "protocol"
	RogueAtSuccess  = "success"
)

// NewDevice is the state machine of the device that signs in. It is not
// safe for concurrent use.
type NewDevice struct {
	core
	cfg NewDeviceConfig

	hsBase      string
	discStep    int
	deviceAuth  string
	tokenURL    string
	regURL      string
	clientID    string
	deviceCode  string
	userCode    string
	verURI      string
	verComplete string
	interval    Millis
	accessToken string
	dk          *homeserver.DeviceKeys
	secrets     msg.Secrets
	afterSecret bool // whoami is called after m.login.secrets
	resumeProto bool // waiting for the code before sending m.login.protocol
	sealedProto bool
	backup      BackupStatus
	// proofKey, when set (tests only), signs the proof of possession
	// instead of the device key: a peer that holds no key for its ID.
	proofKey *homeserver.SigningKey
}

// NewNewDevice makes a new-device machine. rnd supplies every random byte
// (channel keys, device keys, device ID).
func NewNewDevice(cfg NewDeviceConfig, rnd io.Reader) (*NewDevice, error) {
	n := &NewDevice{cfg: cfg}
	switch r := cfg.Rogue; {
	case r.At != "" && r.At != RogueAtProtocol && r.At != RogueAtSuccess:
		return nil, fmt.Errorf("login: new device: Rogue.At %q is neither %q nor %q", r.At, RogueAtProtocol, RogueAtSuccess)
	case r.At != "" && len(r.Plaintext) == 0 && !r.RepeatProtocol:
		return nil, fmt.Errorf("login: new device: Rogue at %q has neither a plaintext nor RepeatProtocol", r.At)
	}
	if err := n.attach(n, "new device", cfg.Intent, qr.Login); err != nil {
		return nil, err
	}
	if n.role == channel.RoleGenerator && !strings.Contains(cfg.RendezvousBaseURL, "://") {
		return nil, fmt.Errorf("login: new device: RendezvousBaseURL %q is not an absolute URL", cfg.RendezvousBaseURL)
	}
	if err := n.init(cfg.Variant, rnd); err != nil {
		return nil, err
	}
	n.cc.Observe, n.cc.ObserveOpen = cfg.ChannelObserver, cfg.ChannelOpenObserver
	n.createBase = cfg.RendezvousBaseURL
	return n, nil
}

// Facts reports what the machine has established so far.
func (n *NewDevice) Facts() Facts {
	f := n.facts()
	f.ProtocolSealed, f.Backup = n.sealedProto, n.backup
	return f
}

// scannedQR: N scanned, so the QR code names its homeserver.
func (n *NewDevice) scannedQR(p qr.Payload) {
	if p.Format == qr.Format2024 {
		n.hsBase = n.resolve(p.ServerName)
	} else {
		n.hsBase = p.BaseURL
	}
}

func (n *NewDevice) codeConfirmed() {
	if n.resumeProto {
		n.sendProtocol()
	} else {
		n.discover()
	}
}

func (n *NewDevice) user(in Input) {
	if in.Kind != InputConfirmAccount || n.state != StateConfirmingAccount {
		return
	}
	if in.OK {
		n.sendSuccess()
	} else {
		n.failSend(ReasonUserCancelled, "the user rejected the account")
	}
}

// resolve turns a server name or URL from the QR code or m.login.protocols
// into a base URL.
func (n *NewDevice) resolve(s string) string {
	if strings.Contains(s, "://") {
		return strings.TrimSuffix(s, "/")
	}
	if u, ok := n.cfg.ServerNames[s]; ok {
		return u
	}
	return "https://" + s
}

func (n *NewDevice) sent() {
	switch n.state {
	case StateSendingOk:
		n.setState(StateWaitingProtocols)
	case StateSendingInitiate:
		n.setState(StateWaitingOk)
	case StateSendingProtocol:
		n.setState(StateWaitingAccepted)
	case StateSendingSuccess, StateSendingProof:
		n.setState(StateWaitingSecrets)
	}
}

// channelUp: N scanned, so it knows the homeserver and discovers at once.
func (n *NewDevice) channelUp() { n.discover() }

func (n *NewDevice) message(m msg.Message) {
	switch n.state {
	case StateWaitingProtocols:
		p, ok := m.(msg.Protocols)
		if !ok {
			n.unexpected(m)
			return
		}
		if !slices.Contains(p.Protocols, msg.ProtocolDeviceAuthorizationGrant) {
			n.failSend(ReasonUnsupportedProtocol, "m.login.protocols offers no device_authorization_grant")
			return
		}
		n.hsBase = n.resolve(p.Server)
		if n.v.Flow.ProtocolsWaitForCheckCode && !n.codeDone() {
			n.resumeProto = false
			n.setState(StateWaitingCheckCode)
			return
		}
		n.discover()
	case StateWaitingAccepted:
		if _, ok := m.(msg.ProtocolAccepted); !ok {
			n.unexpected(m)
			return
		}
		n.fx = append(n.fx, Effect{Kind: EffectShowUserCode, Text: n.userCode})
		n.setState(StatePollingToken)
		n.setTimer(tTokenPoll, n.interval)
	case StateWaitingSecrets:
		s, ok := m.(msg.Secrets)
		if !ok {
			n.unexpected(m)
			return
		}
		n.secrets = s
		if n.out.UserID == "" {
			n.afterSecret = true
			n.whoami()
			return
		}
		n.uploadKeys()
	default:
		n.unexpected(m)
	}
}

// Discovery: auth_metadata, or auth_issuer and the issuer's
// openid-configuration.
func (n *NewDevice) discover() {
	n.setState(StateDiscovering)
	n.discStep = 0
	n.issue(opAPI, TargetHomeserver, "GET", n.hsBase+homeserver.PathAuthMetadata, nil, nil)
}

func (n *NewDevice) api(r Response) {
	switch n.state {
	case StateDiscovering:
		n.discovered(r)
	case StateRegistering:
		obj, err := canonicaljson.Parse(r.Body)
		id, ok := str(&obj, "client_id")
		if (r.Status != 200 && r.Status != 201) || err != nil || !ok {
			n.failSend(ReasonHTTPError, fmt.Sprintf("registration: status %d", r.Status))
			return
		}
		n.clientID = id
		n.authorize()
	case StateAuthorizing:
		n.authorized(r)
	case StatePollingToken:
		n.tokenAnswer(r)
	case StateWhoami:
		obj, err := canonicaljson.Parse(r.Body)
		uid, ok := str(&obj, "user_id")
		if r.Status != 200 || err != nil || !ok {
			n.failSend(ReasonHTTPError, fmt.Sprintf("whoami: status %d", r.Status))
			return
		}
		if did, _ := str(&obj, "device_id"); !n.mut.noWhoamiCheck && (n.dk == nil || did != n.dk.DeviceID) {
			asked := ""
			if n.dk != nil {
				asked = n.dk.DeviceID
			}
			n.failSendAs(ReasonWhoamiMismatch, msg.ReasonUserCancelled,
				fmt.Sprintf("whoami: device_id %q, asked for %q", did, asked))
			return
		}
		if n.v.Flow.ConfirmAccount && n.cfg.ExpectedUserID != "" && uid != n.cfg.ExpectedUserID && !n.mut.noWhoamiCheck {
			n.failSendAs(ReasonWhoamiMismatch, msg.ReasonUserCancelled,
				fmt.Sprintf("whoami: user_id %q, expected %q", uid, n.cfg.ExpectedUserID))
			return
		}
		n.out.UserID = uid
		if n.afterSecret {
			n.uploadKeys()
			return
		}
		if n.v.Flow.ConfirmAccount {
			n.fx = append(n.fx, Effect{Kind: EffectAskConfirmAccount, Text: uid})
			n.setState(StateConfirmingAccount)
			return
		}
		n.sendSuccess()
	case StatePublishingKeys:
		if r.Status != 200 {
			n.failLocal(ReasonKeyUploadFailed, fmt.Sprintf("keys/upload before the proof: status %d: %s", r.Status, r.Body))
			return
		}
		n.sendProof()
	case StateUploadingKeys:
		if r.Status != 200 {
			n.failLocal(ReasonKeyUploadFailed, fmt.Sprintf("keys/upload: status %d: %s", r.Status, r.Body))
			return
		}
		n.deleteSession()
		if n.secrets.Backup != nil {
			n.connectBackup()
			return
		}
		n.finish(Outcome{Success: true, UserID: n.out.UserID, DeviceID: n.out.DeviceID})
	case StateConnectingBackup:
		detail := n.backupChecked(r)
		n.finish(Outcome{Success: true, UserID: n.out.UserID, DeviceID: n.out.DeviceID, Detail: detail})
	}
}

// connectBackup asks the homeserver for its current key backup version
// (spec §6 step 7). Its failure never ends the login.
func (n *NewDevice) connectBackup() {
	n.setState(StateConnectingBackup)
	n.issue(opAPI, TargetHomeserver, "GET", n.hsBase+homeserver.PathRoomKeysVersion,
		wire.NewHeader("Authorization", "Bearer "+n.accessToken), nil)
	n.soft = true
}

// backupChecked compares the current backup version with the secret: the
// algorithm, auth_data.public_key against the X25519 public key of the
// received private key, and version against backup_version. It records the
// status and returns the outcome's detail.
func (n *NewDevice) backupChecked(r Response) string {
	bk := n.secrets.Backup
	n.backup = BackupUnusable
	if r.Status == 404 {
		n.backup = BackupMissing
		return "backup: the homeserver has no current backup version"
	}
	obj, err := canonicaljson.Parse(r.Body)
	alg, ok1 := str(&obj, "algorithm")
	version, ok2 := str(&obj, "version")
	var pub string
	ok3 := false
	if ad, ok := obj.Get("auth_data"); ok && ad.Kind == canonicaljson.Object {
		pub, ok3 = str(ad, "public_key")
	}
	if r.Status != 200 || err != nil || !ok1 || !ok2 || !ok3 || alg != msg.BackupAlgorithmMegolmV1 {
		n.backup = BackupUnusable
		return fmt.Sprintf("backup: unusable answer (status %d, algorithm %q)", r.Status, alg)
	}
	want := backupPublicKey(bk.Key)
	got, err := homeserver.DecodeBase64(pub)
	if err != nil || len(got) != len(want) || string(got) != string(want[:]) {
		n.backup = BackupKeyMismatch
		return "backup: auth_data.public_key is not the received key's (version " + version + ")"
	}
	if version != bk.Version {
		n.backup = BackupVersionMismatch
		return fmt.Sprintf("backup: current version %q, secrets name %q", version, bk.Version)
	}
	n.backup = BackupConnected
	return "backup connected (version " + version + ")"
}

func (n *NewDevice) discovered(r Response) {
	switch n.discStep {
	case 0, 2:
		if r.Status == 404 && n.discStep == 0 {
			n.discStep = 1
			n.issue(opAPI, TargetHomeserver, "GET", n.hsBase+homeserver.PathAuthIssuer, nil, nil)
			return
		}
		obj, err := canonicaljson.Parse(r.Body)
		da, ok1 := str(&obj, "device_authorization_endpoint")
		tok, ok2 := str(&obj, "token_endpoint")
		if r.Status != 200 || err != nil || !ok1 || !ok2 {
			n.failSend(ReasonDiscoveryFailed, fmt.Sprintf("auth metadata: status %d", r.Status))
			return
		}
		n.deviceAuth, n.tokenURL = da, tok
		n.regURL, _ = str(&obj, "registration_endpoint")
		if n.regURL != "" {
			n.setState(StateRegistering)
			name := n.cfg.ClientName
			if name == "" {
				name = "qrlab"
			}
			uri := n.cfg.ClientURI
			if uri == "" {
				uri = "https://qrlab.example/"
			}
			n.issue(opAPI, TargetOP, "POST", n.regURL, wire.NewHeader("Content-Type", wire.ContentTypeJSON),
				oauth.RegistrationBody(name, uri))
			return
		}
		n.clientID = n.cfg.ClientID
		n.authorize()
	case 1:
		obj, err := canonicaljson.Parse(r.Body)
		iss, ok := str(&obj, "issuer")
		if r.Status != 200 || err != nil || !ok || !strings.Contains(iss, "://") {
			n.failSend(ReasonDiscoveryFailed, fmt.Sprintf("auth issuer: status %d", r.Status))
			return
		}
		n.discStep = 2
		if !strings.HasSuffix(iss, "/") {
			iss += "/"
		}
		n.issue(opAPI, TargetOP, "GET", iss+oauth.PathOpenIDConfiguration, nil, nil)
	}
}

// authorize picks the device ID and asks for a device code.
func (n *NewDevice) authorize() {
	dk, err := homeserver.NewDeviceKeys("", "", n.rnd)
	if err != nil {
		n.failLocal(ReasonInternal, err.Error())
		return
	}
	if n.v.Flow.DeviceID == variant.DeviceIDCurve25519 {
		dk.DeviceID = base64.RawStdEncoding.EncodeToString(dk.Curve25519)
	} else {
		var b [10]byte
		if _, err := io.ReadFull(n.rnd, b[:]); err != nil {
			n.failLocal(ReasonInternal, err.Error())
			return
		}
		for i := range b {
			b[i] = 'A' + b[i]%26
		}
		dk.DeviceID = string(b[:])
	}
	if n.cfg.ForceDeviceID != "" {
		dk.DeviceID = n.cfg.ForceDeviceID
	}
	n.dk = dk
	n.out.DeviceID = dk.DeviceID
	n.setState(StateAuthorizing)
	scope := oauth.ScopeOpenID + " " + oauth.ScopeAPI + " " + oauth.ScopeDevicePrefix + dk.DeviceID
	n.issue(opAPI, TargetOP, "POST", n.deviceAuth, wire.NewHeader("Content-Type", wire.ContentTypeForm),
		oauth.EncodeForm("client_id", n.clientID, "scope", scope))
}

func (n *NewDevice) authorized(r Response) {
	obj, err := canonicaljson.Parse(r.Body)
	dc, ok1 := str(&obj, "device_code")
	uc, ok2 := str(&obj, "user_code")
	vu, ok3 := str(&obj, "verification_uri")
	exp, ok4 := num(&obj, "expires_in")
	if r.Status != 200 || err != nil || !ok1 || !ok2 || !ok3 || !ok4 || exp <= 0 {
		n.failSend(ReasonHTTPError, fmt.Sprintf("device authorization: status %d", r.Status))
		return
	}
	n.deviceCode, n.userCode, n.verURI = dc, uc, vu
	n.verComplete, _ = str(&obj, "verification_uri_complete")
	if n.cfg.ForceVerificationURI != "" {
		n.verURI, n.verComplete = n.cfg.ForceVerificationURI, ""
	}
	iv, ok := num(&obj, "interval")
	if !ok || iv <= 0 {
		iv = 5
	}
	n.interval = Millis(iv) * wire.Second
	// The device code's lifetime.
	n.setDeadline(Millis(exp)*wire.Second, ReasonAuthorizationExpired, "device code expired")
	if n.role == channel.RoleGenerator && !n.codeDone() {
		n.resumeProto = true
		n.setState(StateWaitingCheckCode)
		return
	}
	n.sendProtocol()
}

func (n *NewDevice) sendProtocol() {
	if n.role == channel.RoleGenerator && !n.codeDone() {
		return // never reached: the callers wait for the code
	}
	if n.cfg.ForceEarlySuccess {
		if n.sealSend(msg.Success{}) {
			n.setState(StateSendingSuccess)
		}
		return
	}
	if n.cfg.Rogue.At == RogueAtProtocol {
		if n.sealRogue() {
			n.setState(StateSendingProtocol)
		}
		return
	}
	if n.sealSend(n.protocolMsg()) {
		n.sealedProto = true
		n.setState(StateSendingProtocol)
	}
}

func (n *NewDevice) protocolMsg() msg.Protocol {
	return msg.Protocol{Grant: msg.DeviceAuthorizationGrant{VerificationURI: n.verURI,
		VerificationURIComplete: n.verComplete}, DeviceID: n.dk.DeviceID}
}

// sealRogue seals and sends a rogue device's payload (NewDeviceConfig.Rogue).
func (n *NewDevice) sealRogue() bool {
	if n.cfg.Rogue.RepeatProtocol {
		return n.sealSend(n.protocolMsg())
	}
	payload, err := n.ch.Seal(n.cfg.Rogue.Plaintext, n.aad(n.token))
	if err != nil {
		n.finish(Outcome{Reason: ReasonInternal, Detail: err.Error()})
		return false
	}
	n.fx = append(n.fx, Effect{Kind: EffectChannel, Sealed: true, MsgType: "a rogue payload"})
	n.put(payload)
	return true
}

func (n *NewDevice) timerFired(p purpose) {
	if p == tTokenPoll && n.state == StatePollingToken {
		n.issueKind(variant.KindTokenPoll, opAPI, TargetOP, "POST", n.tokenURL, wire.NewHeader("Content-Type", wire.ContentTypeForm),
			oauth.EncodeForm("grant_type", oauth.GrantTypeDeviceCode, "device_code", n.deviceCode, "client_id", n.clientID))
	}
}

func (n *NewDevice) tokenAnswer(r Response) {
	if r.Status == 0 && n.pol.TransportError == variant.ErrorBackoff {
		// As oauth2-rs: a poll that failed in transit doubles the
		// interval, capped (which can also shorten one slow_down grew).
		n.interval = min(2*n.interval, Millis(n.pol.BackoffMaxMillis))
		n.setTimer(tTokenPoll, n.interval)
		return
	}
	obj, err := canonicaljson.Parse(r.Body)
	if err != nil {
		n.failToken(ReasonHTTPError, fmt.Sprintf("token: status %d, body not JSON", r.Status))
		return
	}
	if r.Status == 200 {
		at, ok := str(&obj, "access_token")
		if !ok || at == "" {
			n.failToken(ReasonHTTPError, "token: no access_token")
			return
		}
		n.accessToken = at
		n.cancelDeadline()
		if n.v.Flow.Whoami {
			n.whoami()
			return
		}
		n.sendSuccess()
		return
	}
	code, _ := str(&obj, "error")
	switch code {
	case oauth.ErrorAuthorizationPending:
		n.setTimer(tTokenPoll, n.interval)
	case oauth.ErrorSlowDown:
		if n.v.OAuth.SlowDown == variant.SlowDownObey {
			n.interval += 5 * wire.Second
		}
		n.setTimer(tTokenPoll, n.interval)
	case oauth.ErrorAccessDenied, oauth.ErrorAuthorizationDeclined:
		n.decline()
	case oauth.ErrorExpiredToken:
		n.failSend(ReasonAuthorizationExpired, "expired_token")
	default:
		n.failToken(ReasonHTTPError, fmt.Sprintf("token: status %d error %q", r.Status, code))
	}
}

// decline tells E the user refused consent, in the variant's dialect.
func (n *NewDevice) decline() {
	if n.v.Flow.Denial == variant.DenialUserCancelled {
		n.failSend(ReasonUserCancelled, "consent denied")
		return
	}
	if n.sealSend(msg.Declined{}) {
		n.finish(Outcome{Reason: ReasonDeclined, Sent: true, Detail: "consent denied"})
	}
}

func (n *NewDevice) whoami() {
	n.setState(StateWhoami)
	n.issue(opAPI, TargetHomeserver, "GET", n.hsBase+homeserver.PathWhoami,
		wire.NewHeader("Authorization", "Bearer "+n.accessToken), nil)
}

func (n *NewDevice) sendSuccess() {
	if n.cfg.Rogue.At == RogueAtSuccess {
		if n.sealRogue() {
			n.setState(StateSendingSuccess)
		}
		return
	}
	if n.v.Flow.ProofOfPossession == variant.ProofEd25519Channel {
		n.publishKeys()
		return
	}
	if n.sealSend(msg.Success{}) {
		n.setState(StateSendingSuccess)
	}
}

// uploadKeys signs the device keys with the device key and the self-signing
// key from the secrets, and uploads them in one request.
func (n *NewDevice) uploadKeys() {
	ssk, err := n.signingKey(n.secrets.CrossSigning.SelfSigning[:])
	if err != nil {
		n.failLocal(ReasonInternal, err.Error())
		return
	}
	n.dk.UserID = n.out.UserID
	body := homeserver.KeysUploadBody(n.dk.SignedMemo(ssk, n.cfg.SignMemo))
	n.setState(StateUploadingKeys)
	n.issue(opAPI, TargetHomeserver, "POST", n.hsBase+homeserver.PathKeysUpload,
		wire.NewHeader("Authorization", "Bearer "+n.accessToken, "Content-Type", wire.ContentTypeJSON), body)
}

// signingKey is the key pair of seed: a known key with that seed
// (NewDeviceConfig.KnownKeys), else derived from it.
func (n *NewDevice) signingKey(seed []byte) (*homeserver.SigningKey, error) {
	for _, k := range n.cfg.KnownKeys {
		if k.HasSeed(seed) {
			return k, nil
		}
	}
	return homeserver.SigningKeyFromSeed(seed)
}

// publishKeys uploads the device keys signed by the device key alone, so
// that the existing device can find the key the proof of possession is
// made with (flow.proof_of_possession; MSC4108 5706fd4 names the cost: the
// device is visible unverified until the second upload adds the
// self-signing signature).
func (n *NewDevice) publishKeys() {
	n.dk.UserID = n.out.UserID
	n.setState(StatePublishingKeys)
	n.issue(opAPI, TargetHomeserver, "POST", n.hsBase+homeserver.PathKeysUpload,
		wire.NewHeader("Authorization", "Bearer "+n.accessToken, "Content-Type", wire.ContentTypeJSON),
		homeserver.KeysUploadBody(n.dk.SignedMemo(nil, n.cfg.SignMemo)))
}

// sendProof signs the channel binding with the device key and sends it in
// place of m.login.success.
func (n *NewDevice) sendProof() {
	key := n.dk.Ed25519
	if n.proofKey != nil {
		key = n.proofKey
	}
	p := msg.ProofOfPossession{DeviceID: n.dk.DeviceID}
	copy(p.Signature[:], n.cfg.SignMemo.Sign(key, n.proofBinding(n.dk.DeviceID)))
	if n.sealSend(p) {
		n.setState(StateSendingProof)
	}
}

// backupPublicKey is the X25519 public half of a megolm v1 backup key, which
// the backup's auth_data must carry.
func backupPublicKey(k msg.BackupKey) [32]byte {
	var pub [32]byte
	priv, err := ecdh.X25519().NewPrivateKey(k[:])
	if err != nil {
		return pub // unreachable: X25519 refuses only keys that are not 32 bytes
	}
	copy(pub[:], priv.PublicKey().Bytes())
	return pub
}

func (n *NewDevice) readMemo() *rendezvous.ReadMemo { return n.cfg.ReadMemo }
