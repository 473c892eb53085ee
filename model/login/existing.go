package login

import (
	"fmt"
	"io"
	"strings"

	"qrlab/model/channel"
	"qrlab/model/homeserver"
	"qrlab/model/msg"
	"qrlab/model/oauth"
	"qrlab/model/qr"
	"qrlab/model/variant"
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
	// AccessToken is its own access token, for GET /devices/{id}.
	AccessToken string
	// Secrets are the cross-signing (and backup) keys it hands over.
	Secrets msg.Secrets
	// Protocols overrides the list m.login.protocols offers (nil: the
	// device authorization grant), for studying unsupported_protocol.
	Protocols []string
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
}

// NewExistingDevice makes an existing-device machine. rnd supplies the
// channel's random bytes.
func NewExistingDevice(cfg ExistingDeviceConfig, rnd io.Reader) (*ExistingDevice, error) {
	e := &ExistingDevice{cfg: cfg}
	role := channel.RoleScanner
	if cfg.Intent == qr.Reciprocate {
		role = channel.RoleGenerator
	} else if cfg.Intent != qr.Login {
		return nil, fmt.Errorf("login: existing device: intent %v is neither login nor reciprocate", cfg.Intent)
	}
	if !strings.Contains(cfg.BaseURL, "://") {
		return nil, fmt.Errorf("login: existing device: BaseURL %q is not an absolute URL", cfg.BaseURL)
	}
	if err := e.init(cfg.Variant, rnd, role); err != nil {
		return nil, err
	}
	return e, nil
}

// State returns the current state.
func (e *ExistingDevice) State() State { return e.state }

// Outcome returns how the login ended (meaningful once State is terminal).
func (e *ExistingDevice) Outcome() Outcome { return e.out }

// Facts reports what the machine has established so far.
func (e *ExistingDevice) Facts() Facts {
	return Facts{Generator: e.role == channel.RoleGenerator, CodeConfirmed: e.codeOK, ChannelUp: e.ch != nil && (e.role == channel.RoleGenerator || e.ch.Opened() > 0),
		DeviceChecked: e.checked, SuccessReceived: e.gotSuccess, SecretsSealed: e.sealSecrets}
}

// CheckCode returns the check code of the channel ("" before it exists).
func (e *ExistingDevice) CheckCode() string {
	if e.ch == nil {
		return ""
	}
	return e.ch.CheckCode().String()
}

// Step feeds one input at time now and returns the effects. The slice is
// reused by the next Step: consume it first.
func (e *ExistingDevice) Step(now Millis, in Input) []Effect {
	e.begin(now)
	if e.state.Terminal() {
		return e.fx
	}
	switch e.route(in) {
	case routeUser:
		e.user(in)
	case routeMailbox:
		e.mailbox()
	case routeAPI:
		e.api()
	case routeTimer:
		e.timerFired()
	}
	return e.fx
}

func (e *ExistingDevice) user(in Input) {
	switch in.Kind {
	case InputStart:
		if e.state != StateIdle {
			return
		}
		if e.role == channel.RoleGenerator {
			e.startGenerator(strings.TrimSuffix(e.cfg.BaseURL, "/"))
		} else {
			e.setState(StateWaitingScan)
		}
	case InputScanned:
		if e.state == StateWaitingScan {
			e.scanned(in.Data, qr.Login)
		}
	case InputCheckCode:
		if e.typedCode(in.Text) && e.state == StateWaitingCheckCode {
			e.checkDevice()
		}
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
	case InputCancel:
		e.failSend(ReasonUserCancelled, "cancelled by the user")
	}
}

func (e *ExistingDevice) mailbox() {
	switch e.ev {
	case evCreated:
		e.showQR(qr.Reciprocate, e.rvBase, e.cfg.ServerName)
	case evRead:
		e.initiate()
	case evSent:
		switch e.state {
		case StateSendingOk, StateSendingProtocols:
			e.setState(StateWaitingProtocol)
		case StateSendingInitiate:
			e.setState(StateWaitingOk)
		case StateSendingAccepted:
			e.setState(StateWaitingSuccess)
			if e.v.Flow.Ack == variant.AckBeforeBrowser {
				e.openBrowser()
			}
		}
	case evData:
		e.received()
	}
}

func (e *ExistingDevice) received() {
	switch e.state {
	case StateWaitingInitiate:
		e.accept()
		return
	case StateWaitingOk:
		if !e.loginOk() {
			return
		}
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
		return
	}
	m, ok := e.openMsg()
	if !ok {
		return
	}
	switch e.state {
	case StateWaitingProtocol:
		p, ok := m.(msg.Protocol)
		if !ok || p.DeviceID == "" {
			e.unexpected(m)
			return
		}
		e.proto = p
		e.out.DeviceID = p.DeviceID
		if e.role == channel.RoleGenerator && !e.codeOK {
			e.setState(StateWaitingCheckCode)
			return
		}
		e.checkDevice()
	case StateWaitingSuccess:
		if _, ok := m.(msg.Success); !ok {
			e.unexpected(m)
			return
		}
		e.gotSuccess = true
		e.setState(StateWaitingDevice)
		e.setDeadline(Millis(e.v.Timing.DevicePollTimeoutMillis))
		e.getDevice()
	default:
		e.unexpected(m)
	}
}

func (e *ExistingDevice) getDevice() {
	e.issue(opAPI, TargetHomeserver, "GET",
		strings.TrimSuffix(e.cfg.BaseURL, "/")+homeserver.PathDevicesPrefix+oauth.PathEscape(e.proto.DeviceID),
		oauth.NewHeader("Authorization", "Bearer "+e.cfg.AccessToken), nil)
}

// checkDevice asks the homeserver whether the device ID is taken.
func (e *ExistingDevice) checkDevice() {
	e.setState(StateCheckingDevice)
	e.getDevice()
}

func (e *ExistingDevice) api() {
	r := e.resp
	switch e.state {
	case StateCheckingDevice:
		switch r.Status {
		case 404:
			e.checked = true
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
		case 200:
			e.failSend(ReasonDeviceAlreadyExists, "GET /devices/"+e.proto.DeviceID+" answered 200")
		default:
			e.failLocal(ReasonHTTPError, fmt.Sprintf("device check: status %d", r.Status))
		}
	case StateWaitingDevice:
		switch r.Status {
		case 200:
			e.sendSecrets()
		case 404:
			e.setTimer(tDevicePoll, Millis(e.v.Timing.DevicePollIntervalMillis))
		default:
			e.failLocal(ReasonHTTPError, fmt.Sprintf("device poll: status %d", r.Status))
		}
	}
}

func (e *ExistingDevice) openBrowser() {
	uri := e.proto.Grant.VerificationURIComplete
	if uri == "" {
		uri = e.proto.Grant.VerificationURI
	}
	e.fx = append(e.fx, Effect{Kind: EffectOpenBrowser, Text: uri})
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

func (e *ExistingDevice) timerFired() {
	if e.dead {
		e.failSend(ReasonDeviceNotFound, "the new device did not appear in time")
		return
	}
	if e.fired == tDevicePoll && e.state == StateWaitingDevice {
		e.getDevice()
	}
}

// sendSecrets seals m.login.secrets: only over a confirmed channel, after
// the device check, after m.login.success and once the device showed up.
func (e *ExistingDevice) sendSecrets() {
	if (e.role == channel.RoleGenerator && !e.codeOK) || !e.checked || !e.gotSuccess {
		e.failLocal(ReasonInternal, "secrets rule violated")
		return
	}
	if e.sealSend(e.cfg.Secrets) {
		e.sealSecrets = true
		e.finish(Outcome{Success: true, DeviceID: e.proto.DeviceID})
	}
}
