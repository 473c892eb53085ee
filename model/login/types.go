package login

import (
	"fmt"

	"qrlab/model/msg"
	"qrlab/model/wire"
)

// Millis is virtual time in milliseconds (package wire's, as for every
// model). The machines never read a clock: every Step takes the time as an
// argument.
type Millis = wire.Millis

// NoTimeout as a Request's Timeout: the client sets no deadline (a policy's
// timeout_ms -1).
const NoTimeout Millis = -1

// DefaultTimeout is the deadline a harness gives a request whose Timeout is
// zero (no machine leaves it zero: a policy's timeout is positive or
// NoTimeout). It is the simulator's, 30 s, a lab default.
const DefaultTimeout Millis = 30_000

// Header is a list of header lines (package wire's, shared with the
// servers, so a harness passes them through unchanged).
type Header = wire.Header

// Target says which server a request is for. The harness routes on it.
type Target uint8

const (
	// TargetRendezvous is the homeserver's rendezvous API (model/rendezvous).
	TargetRendezvous Target = iota + 1
	// TargetHomeserver is the client-server API (model/homeserver).
	TargetHomeserver
	// TargetOP is the authorization server (model/oauth).
	TargetOP
)

// String names the target for traces.
func (t Target) String() string {
	switch t {
	case TargetRendezvous:
		return "rendezvous"
	case TargetHomeserver:
		return "homeserver"
	case TargetOP:
		return "op"
	}
	return fmt.Sprintf("Target(%d)", uint8(t))
}

// Request is one HTTP request a machine issues. URL is absolute; Path is the
// escaped path and query on the target host, as the pure handlers take it.
type Request struct {
	// ID correlates the response: the harness answers with the same ID.
	ID     uint64
	Target Target
	Method string
	URL    string
	Path   string
	Header Header
	Body   []byte
	// Timeout is when the harness should report a transport failure
	// (Status 0) if no answer arrived, relative to the request's issue;
	// zero leaves it to the harness, and a negative value (NoTimeout) says
	// the client sets none: only a failed connection ends the request.
	Timeout Millis
}

// Response answers a Request. Status 0 means a transport failure: the
// request or the response was lost, or Timeout passed.
type Response struct {
	Status int
	Header Header
	Body   []byte
	// Failure says, with Status 0, why no answer came, when the harness
	// knows: the client's own timeout or a broken connection (zero: it does
	// not say, and the machine treats both alike).
	Failure Failure
}

// Failure is why a request got no answer (Response.Failure).
type Failure uint8

const (
	// FailureUnknown: the harness does not tell the causes apart.
	FailureUnknown Failure = iota
	// FailureTimeout: the client's timeout fired first.
	FailureTimeout
	// FailureTransport: the connection failed (a reset, a connect that
	// gave up, a handover, an expired NAT mapping) before the timeout.
	FailureTransport
)

// InputKind names what happened to a machine.
type InputKind uint8

const (
	// InputStart starts the machine: the generating side creates the
	// rendezvous session, the scanning side opens its camera.
	InputStart InputKind = iota + 1
	// InputResponse is the answer to the request with ID.
	InputResponse
	// InputTimer is the firing of the timer with ID.
	InputTimer
	// InputScanned carries the QR payload bytes the user scanned (Data).
	InputScanned
	// InputCheckCode carries the check code the user typed (Text).
	InputCheckCode
	// InputBrowserOpened: the browser opened the verification URI.
	InputBrowserOpened
	// InputBrowserFailed: the browser could not open it.
	InputBrowserFailed
	// InputConsent: the user tells the existing device that the browser
	// step is under way and the login may go on (OK), or cancels it. The
	// consent itself happens at the provider, which the device never sees.
	InputConsent
	// InputConfirmAccount: the user confirmed (OK) or rejected the account
	// whoami showed.
	InputConfirmAccount
	// InputCancel: the user cancelled.
	InputCancel
)

var inputNames = [...]string{"", "start", "response", "timer", "scanned", "check-code", "browser-opened",
	"browser-failed", "consent", "confirm-account", "cancel"}

// String names the input kind.
func (k InputKind) String() string { return nameOf(inputNames[:], uint8(k), "InputKind") }

// Input is one event delivered to Step.
type Input struct {
	Kind InputKind
	// ID is the request ID (InputResponse) or timer ID (InputTimer).
	ID       uint64
	Response Response
	// Data is the scanned QR payload (InputScanned).
	Data []byte
	// Text is the typed check code (InputCheckCode).
	Text string
	// OK is the user's yes or no (InputConsent, InputConfirmAccount).
	OK bool
}

// EffectKind names what a machine asks its environment to do.
type EffectKind uint8

const (
	// EffectRequest: send Request.
	EffectRequest EffectKind = iota + 1
	// EffectSetTimer: fire timer Timer at At.
	EffectSetTimer
	// EffectCancelTimer: forget timer Timer.
	EffectCancelTimer
	// EffectShowQR: show the QR code whose payload is Data.
	EffectShowQR
	// EffectShowCheckCode: show the check code Text to the user.
	EffectShowCheckCode
	// EffectAskCheckCode: ask the user to type the check code.
	EffectAskCheckCode
	// EffectShowUserCode: show the OAuth user code Text.
	EffectShowUserCode
	// EffectOpenBrowser: open a browser at URI Text.
	EffectOpenBrowser
	// EffectAskConfirmAccount: ask the user to confirm the account Text.
	EffectAskConfirmAccount
	// EffectChannel: a message was sealed or opened (type only, never the
	// plaintext), for traces.
	EffectChannel
	// EffectState: the machine moved from one state to another, for traces.
	EffectState
	// EffectOutcome: the machine ended with Outcome.
	EffectOutcome
)

var effectNames = [...]string{"", "request", "set-timer", "cancel-timer", "show-qr", "show-check-code",
	"ask-check-code", "show-user-code", "open-browser", "ask-confirm-account", "channel", "state", "outcome"}

// String names the effect kind.
func (k EffectKind) String() string { return nameOf(effectNames[:], uint8(k), "EffectKind") }

// nameOf returns names[i], or typ(i) for a value without a name.
func nameOf(names []string, i uint8, typ string) string {
	if int(i) < len(names) && names[i] != "" {
		return names[i]
	}
	return fmt.Sprintf("%s(%d)", typ, i)
}

// Effect is one thing a machine asks for or reports.
type Effect struct {
	Kind    EffectKind
	Request Request
	// Timer and At describe EffectSetTimer and EffectCancelTimer.
	Timer uint64
	At    Millis
	// Text is the check code, user code, URI or user ID of a UI effect.
	Text string
	// Data is the QR payload of EffectShowQR.
	Data []byte
	// Sealed is true when EffectChannel reports a sealed message, false for
	// an opened one; MsgType is its type (or the handshake's name).
	Sealed  bool
	MsgType string
	// From and To are the states of EffectState.
	From, To State
	// Outcome is set by EffectOutcome.
	Outcome Outcome
}

// Reason says why a login ended. The spec's failure reasons (msg.Reason
// values) are reasons too; the others are local to one device.
type Reason string

// Reasons. The first group is local to one device (no message carries
// them); the second is the texts' failure reasons, as msg.Reason spells them.
const (
	ReasonNone Reason = ""
	// ReasonDeclined: the user refused consent (m.login.declined, or its
	// js-sdk spelling, went out or came in).
	ReasonDeclined Reason = "declined"
	// ReasonTimeout: a request got no answer after every retry.
	ReasonTimeout Reason = "timeout"
	// ReasonRendezvousExpired: the rendezvous session is gone (404).
	ReasonRendezvousExpired Reason = "rendezvous_expired"
	// ReasonChannelIntegrity: a payload did not open (tampered, replayed,
	// out of step, wrong key or AAD).
	ReasonChannelIntegrity Reason = "channel_integrity"
	// ReasonCheckCodeMismatch: the user typed another code on G.
	ReasonCheckCodeMismatch Reason = "check_code_mismatch"
	// ReasonWriteConflict: a PUT was refused as stale and the knob says abort.
	ReasonWriteConflict Reason = "write_conflict"
	// ReasonHTTPError: a server answered with a status or body the flow
	// cannot use.
	ReasonHTTPError Reason = "http_error"
	// ReasonInvalidQR: the scanned payload does not decode, or has the wrong
	// intent.
	ReasonInvalidQR Reason = "invalid_qr"
	// ReasonDiscoveryFailed: no usable authorization server metadata.
	ReasonDiscoveryFailed Reason = "discovery_failed"
	// ReasonKeyUploadFailed: keys/upload was refused.
	ReasonKeyUploadFailed Reason = "key_upload_failed"
	// ReasonWhoamiMismatch: whoami named another device than the one the
	// new device asked for, or another account than the expected one.
	ReasonWhoamiMismatch Reason = "whoami_mismatch"
	// ReasonRendezvousUnavailable: the rendezvous discovery (MSC4388 GET
	// {prefix}) said this device may not create a session, or the server
	// does not know the endpoint.
	ReasonRendezvousUnavailable Reason = "rendezvous_unavailable"
	// ReasonProofOfPossession: the existing device could not verify the
	// new device's proof of possession (flow.proof_of_possession) against
	// the Ed25519 key the homeserver lists for the device ID; it sends
	// device_not_found.
	ReasonProofOfPossession Reason = "proof_of_possession_failed"
	// ReasonInternal: a local operation failed (random stream, encoding);
	// a bug or a broken environment, never the peer's doing.
	ReasonInternal Reason = "internal_error"

	ReasonUserCancelled            = Reason(msg.ReasonUserCancelled)
	ReasonAuthorizationExpired     = Reason(msg.ReasonAuthorizationExpired)
	ReasonDeviceAlreadyExists      = Reason(msg.ReasonDeviceAlreadyExists)
	ReasonDeviceNotFound           = Reason(msg.ReasonDeviceNotFound)
	ReasonUnexpectedMessage        = Reason(msg.ReasonUnexpectedMessageReceived)
	ReasonUnsupportedProtocol      = Reason(msg.ReasonUnsupportedProtocol)
	ReasonUnableToOpenVerification = Reason(msg.ReasonUnableToOpenVerificationURI)
)

// Outcome is how a login ended for one device.
type Outcome struct {
	// Success: the new device is signed in with its keys uploaded (N), or
	// the secrets were sent (E).
	Success bool
	// Reason says why it failed.
	Reason Reason
	// ByPeer: the reason came from the other device's message.
	ByPeer bool
	// Sent: this device told the other one (an m.login.failure or
	// m.login.declined went out).
	Sent bool
	// Detail is a short human explanation.
	Detail string
	// UserID and DeviceID are the account and device signed in (N on
	// success; E knows the device ID once m.login.protocol arrived).
	UserID, DeviceID string
}

// String renders the outcome for transcripts.
func (o Outcome) String() string {
	if o.Success {
		return "success"
	}
	s := "failure " + string(o.Reason)
	if o.ByPeer {
		s += " (peer)"
	}
	if o.Sent {
		s += " (sent)"
	}
	return s
}

// BackupStatus is what the new device made of the key backup in
// m.login.secrets (spec §6 step 7). A backup that does not connect never
// fails the login; it is reported in Facts and in the outcome's Detail.
type BackupStatus uint8

const (
	// BackupNone: the secrets carried no backup (or they did not arrive yet).
	BackupNone BackupStatus = iota
	// BackupConnected: the homeserver's current backup version is the one
	// in the secrets and its auth_data.public_key is the public key of the
	// received private key.
	BackupConnected
	// BackupKeyMismatch: the current backup's public key is not the received
	// key's.
	BackupKeyMismatch
	// BackupVersionMismatch: the key matches but the current version is not
	// backup_version.
	BackupVersionMismatch
	// BackupMissing: the homeserver has no current backup (404).
	BackupMissing
	// BackupUnusable: the homeserver answered with an error, a transport
	// failure, another algorithm or a body without the fields.
	BackupUnusable
)

var backupNames = [...]string{"none", "connected", "key-mismatch", "version-mismatch", "missing", "unusable"}

// String names the status.
func (b BackupStatus) String() string { return nameOf(backupNames[:], uint8(b), "BackupStatus") }
