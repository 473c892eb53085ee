package login

import (
	"crypto/ed25519"
	"fmt"
	"io"
	"net/url"
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

// ExistingDeviceConfig is what the signed-in device holds.
type ExistingDeviceConfig struct {
	// Variant is the protocol variant.
	Variant variant.Variant
	// Intent is qr.Reciprocate when the existing device shows the QR code,
	// and qr.Login when it scans the new device's.
	Intent qr.Intent
	// BaseURL is its homeserver's client-server base URL (sessions it
	// creates live there too).
	BaseURL string
	// ServerName is its homeserver's server name.
	ServerName string
	// AccessToken is its own access token, for GET /devices/{id} and for
	// creating rendezvous sessions.
	AccessToken string
	// Secrets are the cross-signing (and backup) keys it hands over.
	Secrets msg.Secrets
	// Protocols overrides the list m.login.protocols offers (nil: the
	// device authorization grant), for studying unsupported_protocol.
	Protocols []string
	// ChannelObserver, when set, is told of every payload the device's
	// channel seals (channel.Config.Observe): a monitor's tap, never read
	// by the device.
	ChannelObserver channel.Observer
	// ChannelOpenObserver, likewise, is told of every payload the channel
	// opens (channel.Config.ObserveOpen).
	ChannelOpenObserver channel.OpenObserver
	// ReadMemo is NewDeviceConfig.ReadMemo for the existing device.
	ReadMemo *rendezvous.ReadMemo
}

// ExistingDevice is the state machine of the signed-in device. It is not
// safe for concurrent use.
type ExistingDevice struct {
	core
	cfg ExistingDeviceConfig

	proto       msg.Protocol
	checked     bool
	gotSuccess  bool
	sealSecrets bool
	acked       bool
	// providerHost is the host of the provider's issuer, read from the
	// homeserver's auth metadata when the open_verification_uri knob is
	// https-same-host; issuerAsked once that request went out.
	providerHost string
	issuerAsked  bool
	// proof is the new device's proof of possession
	// (flow.proof_of_possession), proofOK once it verified; keysStep
	// counts the requests of its check (whoami, then keys/query).
	proof    msg.ProofOfPossession
	proofOK  bool
	keysStep int
	userID   string
	// deviceBy is when the wait for the new device ends under
	// flow.device_wait "after-each-check", looked at as each check returns.
	deviceBy Millis
}

// NewExistingDevice makes an existing-device machine. rnd supplies the
// channel's random bytes.
func NewExistingDevice(cfg ExistingDeviceConfig, rnd io.Reader) (*ExistingDevice, error) {
	e := &ExistingDevice{cfg: cfg}
	if err := e.attach(e, "existing device", cfg.Intent, qr.Reciprocate); err != nil {
		return nil, err
	}
	if !strings.Contains(cfg.BaseURL, "://") {
		return nil, fmt.Errorf("login: existing device: BaseURL %q is not an absolute URL", cfg.BaseURL)
	}
	if err := e.init(cfg.Variant, rnd); err != nil {
		return nil, err
	}
	e.cc.Observe, e.cc.ObserveOpen = cfg.ChannelObserver, cfg.ChannelOpenObserver
	e.createBase, e.qrServer = strings.TrimSuffix(cfg.BaseURL, "/"), cfg.ServerName
	e.bearer = cfg.AccessToken
	return e, nil
}

// Facts reports what the machine has established so far.
func (e *ExistingDevice) Facts() Facts {
	f := e.facts()
	f.DeviceChecked, f.SuccessReceived, f.SecretsSealed = e.checked, e.gotSuccess, e.sealSecrets
	return f
}

// scannedQR: E needs nothing from the new device's QR code but the session.
func (e *ExistingDevice) scannedQR(qr.Payload) {}

func (e *ExistingDevice) codeConfirmed() { e.checkDevice() }

func (e *ExistingDevice) user(in Input) {
	switch in.Kind {
	case InputBrowserOpened:
		if e.state == StateOpeningBrowser {
			e.sendAccepted()
		}
	case InputBrowserFailed:
		switch e.state {
		case StateOpeningBrowser, StateWaitingConfirm, StateSendingAccepted, StateWaitingSuccess:
			e.failSend(ReasonUnableToOpenVerification, "the browser could not open the verification URI")
		}
	case InputConsent:
		if e.state == StateWaitingConfirm {
			if in.OK {
				e.sendAccepted()
			} else {
				e.failSend(ReasonUserCancelled, "the user cancelled the browser step")
			}
		}
	}
}

func (e *ExistingDevice) sent() {
	switch e.state {
	case StateSendingOk, StateSendingProtocols:
		e.setState(StateWaitingProtocol)
	case StateSendingInitiate:
		e.setState(StateWaitingOk)
	case StateSendingAccepted:
		e.setState(StateWaitingSuccess)
		if e.mut.secretsBeforeSuccess {
			e.sendSecrets() // mutation: no m.login.success awaited
			return
		}
		if e.v.Flow.Ack == variant.AckBeforeBrowser {
			e.openBrowser()
		}
	}
}

// channelUp: E scanned, so it names the homeserver in m.login.protocols.
func (e *ExistingDevice) channelUp() {
	p := msg.Protocols{Protocols: e.cfg.Protocols, Server: strings.TrimSuffix(e.cfg.BaseURL, "/")}
	if p.Protocols == nil {
		p.Protocols = []string{msg.ProtocolDeviceAuthorizationGrant}
	}
	if e.v.Messages.Generation == variant.Generation2024 {
		p.ServerKey = msg.KeyHomeserver
		if e.v.Messages.HomeserverField == variant.HomeserverServerName {
			p.Server = e.cfg.ServerName
		}
	}
	if e.sealSend(p) {
		e.setState(StateSendingProtocols)
	}
}

func (e *ExistingDevice) message(m msg.Message) {
	switch e.state {
	case StateWaitingProtocol:
		p, ok := m.(msg.Protocol)
		if !ok || p.DeviceID == "" {
			e.unexpected(m)
			return
		}
		e.proto = p
		e.out.DeviceID = p.DeviceID
		if e.role == channel.RoleGenerator && !e.codeDone() {
			e.setState(StateWaitingCheckCode)
			return
		}
		e.checkDevice()
	case StateWaitingSuccess:
		if e.v.Flow.ProofOfPossession == variant.ProofEd25519Channel {
			p, ok := m.(msg.ProofOfPossession)
			if !ok || p.DeviceID != e.proto.DeviceID {
				e.unexpected(m)
				return
			}
			e.proof = p
		} else if _, ok := m.(msg.Success); !ok {
			e.unexpected(m)
			return
		}
		e.gotSuccess = true
		e.setState(StateWaitingDevice)
		if e.v.Flow.DeviceWait == variant.DeviceWaitAfterEachCheck {
			e.deviceBy = e.now + Millis(e.v.Timing.DevicePollTimeoutMillis)
		} else {
			e.setDeadline(Millis(e.v.Timing.DevicePollTimeoutMillis), ReasonDeviceNotFound, "the new device did not appear in time")
		}
		e.pollDevice()
	default:
		e.unexpected(m)
	}
}

// pollDevice checks once whether the new device exists. Under
// flow.device_wait "after-each-check" an answer that is still an error
// after the retries (or none) comes to api() as well: it means not yet.
func (e *ExistingDevice) pollDevice() {
	e.getDevice()
	e.soft = e.v.Flow.DeviceWait == variant.DeviceWaitAfterEachCheck
}

func (e *ExistingDevice) getDevice() {
	e.issue(opAPI, TargetHomeserver, "GET",
		homeserver.DeviceURL(e.cfg.BaseURL, e.proto.DeviceID),
		wire.NewHeader("Authorization", "Bearer "+e.cfg.AccessToken), nil)
}

// checkDevice asks the homeserver whether the device ID is taken. With the
// device_check_error knob at already-exists, an answer that is still an
// error after the retries (or none) comes to api() as well.
func (e *ExistingDevice) checkDevice() {
	e.setState(StateCheckingDevice)
	if e.mut.secretsBeforeDeviceCheck {
		e.deviceFree() // mutation: no GET /devices/{id}, not checked
		return
	}
	e.getDevice()
	e.soft = e.v.Flow.DeviceCheckError == variant.DeviceCheckAlreadyExists
}

func (e *ExistingDevice) api(r Response) {
	switch e.state {
	case StateFetchingIssuer:
		e.issuerFetched(r)
	case StateCheckingDevice:
		switch r.Status {
		case 404:
			e.checked = true
			e.deviceFree()
		case 200:
			e.failSend(ReasonDeviceAlreadyExists, "GET /devices/"+e.proto.DeviceID+" answered 200")
		default:
			if e.v.Flow.DeviceCheckError == variant.DeviceCheckAlreadyExists {
				e.failSend(ReasonDeviceAlreadyExists, fmt.Sprintf("device check: status %d, not 404", r.Status))
				return
			}
			e.failLocal(ReasonHTTPError, fmt.Sprintf("device check: status %d", r.Status))
		}
	case StateQueryingKeys:
		e.keysAnswered(r)
	case StateWaitingDevice:
		switch r.Status {
		case 200:
			if e.v.Flow.ProofOfPossession == variant.ProofEd25519Channel {
				e.cancelDeadline() // the device appeared; its keys come next
				e.queryKeys()
				return
			}
			e.sendSecrets()
		case 404:
			e.devicePollAgain(r)
		default:
			if e.v.Flow.DeviceWait == variant.DeviceWaitAfterEachCheck {
				e.devicePollAgain(r)
				return
			}
			e.failLocal(ReasonHTTPError, fmt.Sprintf("device poll: status %d", r.Status))
		}
	}
}

// deviceFree goes on once the device ID is known to be free: it checks the
// verification URI against the open_verification_uri knob (fetching the
// provider's issuer first when the knob wants its host), then goes on in
// the variant's order.
func (e *ExistingDevice) deviceFree() {
	if e.v.Flow.OpenVerificationURI == variant.OpenHTTPSSameHost && !e.issuerAsked {
		e.issuerAsked = true
		e.setState(StateFetchingIssuer)
		e.issue(opAPI, TargetHomeserver, "GET", strings.TrimSuffix(e.cfg.BaseURL, "/")+homeserver.PathAuthMetadata, nil, nil)
		e.soft = true
		return
	}
	if why := refuseURI(e.v.Flow.OpenVerificationURI, e.verificationURI(), e.providerHost); why != "" {
		e.failSend(ReasonUnableToOpenVerification, why)
		return
	}
	switch e.v.Flow.Ack {
	case variant.AckBeforeBrowser:
		e.sendAccepted()
	case variant.AckAfterBrowser:
		e.openBrowser()
		e.setState(StateOpeningBrowser)
	default:
		e.openBrowser()
		e.setState(StateWaitingConfirm)
	}
}

// verificationURI is the URI the browser is asked to open:
// verification_uri_complete, falling back to verification_uri.
func (e *ExistingDevice) verificationURI() string {
	if u := e.proto.Grant.VerificationURIComplete; u != "" {
		return u
	}
	return e.proto.Grant.VerificationURI
}

func (e *ExistingDevice) openBrowser() {
	e.fx = append(e.fx, Effect{Kind: EffectOpenBrowser, Text: e.verificationURI()})
}

// issuerFetched takes the provider's host from the auth metadata's issuer
// and goes on; without one, no URI passes https-same-host.
func (e *ExistingDevice) issuerFetched(r Response) {
	if r.Status == 200 {
		if obj, err := canonicaljson.Parse(r.Body); err == nil {
			if iss, ok := str(&obj, "issuer"); ok {
				if u, err := url.Parse(iss); err == nil && u.Scheme == "https" {
					e.providerHost = u.Host
				}
			}
		}
	}
	e.deviceFree()
}

// refuseURI says why a device under the open_verification_uri rule would
// not open uri ("" when it would): any opens everything; https wants an
// absolute https URL with a host; https-same-host wants also the
// provider's host (providerHost, "" when unknown: nothing passes).
func refuseURI(rule, uri, providerHost string) string {
	if rule == "" || rule == variant.OpenAnyURI {
		return ""
	}
	u, err := url.Parse(uri)
	if err != nil || !strings.EqualFold(u.Scheme, "https") || u.Host == "" || u.User != nil {
		return fmt.Sprintf("verification URI %q is not an https URL; the device opens https only", uri)
	}
	if rule == variant.OpenHTTPSSameHost && !strings.EqualFold(u.Host, providerHost) {
		if providerHost == "" {
			return fmt.Sprintf("verification URI %q: the provider's host is unknown (no issuer in the auth metadata)", uri)
		}
		return fmt.Sprintf("verification URI %q is not on the provider's host %q", uri, providerHost)
	}
	return ""
}

func (e *ExistingDevice) sendAccepted() {
	if e.acked {
		return
	}
	if e.sealSend(msg.ProtocolAccepted{}) {
		e.acked = true
		e.setState(StateSendingAccepted)
	}
}

func (e *ExistingDevice) timerFired(p purpose) {
	if p == tDevicePoll && e.state == StateWaitingDevice {
		e.pollDevice()
	}
}

// devicePollAgain takes a check that did not find the new device: the
// next comes after the poll interval, unless (flow.device_wait
// "after-each-check") the wait's end has passed by the time this check
// returned, which ends the login with device_not_found, told to the peer.
func (e *ExistingDevice) devicePollAgain(r Response) {
	if e.v.Flow.DeviceWait == variant.DeviceWaitAfterEachCheck && e.now >= e.deviceBy && !e.mut.noExpiry {
		e.failSend(ReasonDeviceNotFound, fmt.Sprintf("the new device did not appear in time (last check: status %d)", r.Status))
		return
	}
	e.setTimer(tDevicePoll, Millis(e.v.Timing.DevicePollIntervalMillis))
}

// queryKeys asks whoami for its own account (once), then POST /keys/query
// for the new device's published keys.
func (e *ExistingDevice) queryKeys() {
	e.setState(StateQueryingKeys)
	auth := "Bearer " + e.cfg.AccessToken
	if e.userID == "" {
		e.keysStep = 0
		e.issue(opAPI, TargetHomeserver, "GET", strings.TrimSuffix(e.cfg.BaseURL, "/")+homeserver.PathWhoami,
			wire.NewHeader("Authorization", auth), nil)
		return
	}
	e.keysStep = 1
	body := canonicaljson.Value{Kind: canonicaljson.Object, Obj: []canonicaljson.Member{{Key: "device_keys",
		Value: canonicaljson.Value{Kind: canonicaljson.Object, Obj: []canonicaljson.Member{{Key: e.userID,
			Value: canonicaljson.Value{Kind: canonicaljson.Array, Arr: []canonicaljson.Value{canonicaljson.StringValue(e.proto.DeviceID)}}}}}}}}
	e.issue(opAPI, TargetHomeserver, "POST", strings.TrimSuffix(e.cfg.BaseURL, "/")+homeserver.PathKeysQuery,
		wire.NewHeader("Authorization", auth, "Content-Type", wire.ContentTypeJSON), canonicaljson.Append(nil, &body))
}

// keysAnswered takes whoami's user ID, or checks the proof of possession
// against the ed25519 key keys/query lists for the device.
func (e *ExistingDevice) keysAnswered(r Response) {
	obj, err := canonicaljson.Parse(r.Body)
	if r.Status != 200 || err != nil {
		e.failLocal(ReasonHTTPError, fmt.Sprintf("proof of possession: step %d: status %d", e.keysStep, r.Status))
		return
	}
	if e.keysStep == 0 {
		uid, ok := str(&obj, "user_id")
		if !ok || uid == "" {
			e.failLocal(ReasonHTTPError, "proof of possession: whoami names no user")
			return
		}
		e.userID = uid
		e.queryKeys()
		return
	}
	id := e.proto.DeviceID
	var pub string
	if users, ok := obj.Get("device_keys"); ok {
		if devs, ok := users.Get(e.userID); ok {
			if dk, ok := devs.Get(id); ok {
				if ks, ok := dk.Get("keys"); ok {
					pub, _ = str(ks, "ed25519:"+id)
				}
			}
		}
	}
	raw, err := homeserver.DecodeBase64(pub)
	if pub == "" || err != nil || len(raw) != ed25519.PublicKeySize {
		e.failSendAs(ReasonProofOfPossession, msg.ReasonDeviceNotFound, "proof of possession: the homeserver lists no ed25519 key for "+id)
		return
	}
	if !ed25519.Verify(raw, e.proofBinding(id), e.proof.Signature[:]) {
		e.failSendAs(ReasonProofOfPossession, msg.ReasonDeviceNotFound, "proof of possession: the signature does not verify with the ed25519 key listed for "+id)
		return
	}
	e.proofOK = true
	e.sendSecrets()
}

// sendSecrets seals m.login.secrets: only over a confirmed channel, after
// the device check, after m.login.success (or a verified proof of
// possession, when the variant asks for one) and once the device showed up.
func (e *ExistingDevice) sendSecrets() {
	if (e.role == channel.RoleGenerator && !e.codeDone()) || (!e.checked && !e.mut.secretsBeforeDeviceCheck) ||
		(!e.gotSuccess && !e.mut.secretsBeforeSuccess) ||
		(e.v.Flow.ProofOfPossession == variant.ProofEd25519Channel && !e.proofOK && !e.mut.secretsBeforeSuccess) {
		e.failLocal(ReasonInternal, "secrets rule violated")
		return
	}
	if e.sealSend(e.cfg.Secrets) {
		e.sealSecrets = true
		e.finish(Outcome{Success: true, DeviceID: e.proto.DeviceID})
	}
}

func (e *ExistingDevice) readMemo() *rendezvous.ReadMemo { return e.cfg.ReadMemo }
