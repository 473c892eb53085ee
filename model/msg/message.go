package msg

// The message types, as they appear in the "type" field.
const (
	TypeProtocols        = "m.login.protocols"
	TypeProtocol         = "m.login.protocol"
	TypeProtocolAccepted = "m.login.protocol_accepted"
	TypeSuccess          = "m.login.success"
	TypeDeclined         = "m.login.declined"
	TypeSecrets          = "m.login.secrets"
	// TypeProofOfPossession is the lab's own message for the optional
	// proof-of-possession step MSC4108 5706fd4 names among its
	// alternatives without giving it a form: a design alternative, in no
	// text, hence not in the m.login namespace.
	TypeProofOfPossession = "io.qrlab.login.proof_of_possession"
	TypeFailure           = "m.login.failure"
)

// ProtocolDeviceAuthorizationGrant is the one login protocol the texts
// define: the OAuth 2.0 device authorization grant (RFC 8628).
const ProtocolDeviceAuthorizationGrant = "device_authorization_grant"

// BackupAlgorithmMegolmV1 is the one key backup algorithm m.login.secrets
// can carry; its key is a Curve25519 private key.
const BackupAlgorithmMegolmV1 = "m.megolm_backup.v1.curve25519-aes-sha2"

// Message is one m.login.* message carried inside the secure channel. The
// set is closed: only this package's types implement it, so a switch over
// them is exhaustive.
type Message interface {
	// Type returns the message's "type" value, such as "m.login.success".
	Type() string
	message()
}

// Generation selects which revision of the texts a decoder follows where the
// message shapes differ. The zero value accepts both.
type Generation uint8

const (
	// GenAny accepts the forms of both generations (the permissive default):
	// m.login.protocols with either homeserver or base_url, an empty
	// protocols list, and all seven failure reasons.
	GenAny Generation = iota
	// Gen2024 follows MSC4108 as of June 2024: m.login.protocols carries
	// homeserver (a server name) and a non-empty protocols list; six
	// failure reasons.
	Gen2024
	// Gen2026 follows MSC4108 + MSC4388 as of July 2026: m.login.protocols
	// carries base_url and may list no protocols; a seventh failure reason,
	// unable_to_open_verification_uri.
	Gen2026
)

// String names the generation.
func (g Generation) String() string {
	switch g {
	case GenAny:
		return "any"
	case Gen2024:
		return "2024"
	case Gen2026:
		return "2026"
	}
	return "generation(?)"
}

// ServerKey says under which key m.login.protocols names the homeserver,
// because the generations disagree and the lab must be able to send either.
type ServerKey uint8

const (
	// KeyBaseURL is the 2026 key "base_url": the homeserver's client-server
	// base URL. It is the zero value.
	KeyBaseURL ServerKey = iota
	// KeyHomeserver is the 2024 key "homeserver": the server name in the
	// June 2024 text (a URL in the Rust SDK and an older revision).
	KeyHomeserver
)

// String returns the JSON key the value stands for.
func (k ServerKey) String() string {
	switch k {
	case KeyBaseURL:
		return "base_url"
	case KeyHomeserver:
		return "homeserver"
	}
	return "serverkey(?)"
}

// Protocols is m.login.protocols, sent by the existing device: the login
// protocols it can offer and the homeserver to sign in to.
type Protocols struct {
	// Protocols lists protocol names. Names other than
	// ProtocolDeviceAuthorizationGrant are kept, not refused, because the
	// 2026 text leaves room for future protocols. An empty list decodes as
	// nil; Gen2024 refuses it.
	Protocols []string
	// Server is the homeserver, as a base URL (2026) or server name (2024);
	// the codec carries it unchanged and does not parse it.
	Server string
	// ServerKey is the JSON key that carries Server.
	ServerKey ServerKey
}

// Protocol is m.login.protocol, sent by the new device: it picks the device
// authorization grant and says which device ID it will sign in as. The
// protocol name itself is always ProtocolDeviceAuthorizationGrant, so it is
// not a field: any other name is refused with KindWrongProtocol.
type Protocol struct {
	// Grant holds the verification URIs from the RFC 8628 response.
	Grant DeviceAuthorizationGrant
	// DeviceID is the device ID the new device will request.
	DeviceID string
}

// DeviceAuthorizationGrant is the device_authorization_grant object of
// m.login.protocol. The URIs are carried unchanged: judging them (scheme,
// host) is the existing device's job, and the lab needs to see hostile ones.
type DeviceAuthorizationGrant struct {
	// VerificationURI is the RFC 8628 verification_uri (required).
	VerificationURI string
	// VerificationURIComplete is the optional verification_uri_complete;
	// "" means absent (null and "" both decode to "").
	VerificationURIComplete string
}

// ProtocolAccepted is m.login.protocol_accepted, sent by the existing device
// once it has opened the verification URI.
type ProtocolAccepted struct{}

// Success is m.login.success, sent by the new device once it holds tokens.
type Success struct{}

// ProofOfPossession is the lab's io.qrlab.login.proof_of_possession (a
// design alternative), sent by the new device in place of m.login.success
// when the variant asks for a proof of possession: it holds tokens, has
// published its device keys, and signed the channel binding with its
// Ed25519 device key. Fields: device_id (the device it signed in as) and
// signature (unpadded base64 of the 64-byte Ed25519 signature).
type ProofOfPossession struct {
	DeviceID  string
	Signature [64]byte
}

// Declined is m.login.declined, sent by the new device when the user denied
// consent.
type Declined struct{}

// Failure is m.login.failure, sent by either device to end the login.
type Failure struct {
	// Reason says why.
	Reason Reason
	// Homeserver is the optional homeserver hint (a server name in the
	// texts, a URL in the Rust SDK); "" means absent.
	Homeserver string
}

// Secrets is m.login.secrets, sent by the existing device after it saw the
// new device on the homeserver: the private cross-signing keys and,
// optionally, the key backup key.
type Secrets struct {
	// CrossSigning holds the three private cross-signing keys.
	CrossSigning CrossSigningKeys
	// Backup is the key backup secret; nil when the message has none.
	Backup *Backup
}

// CrossSigningKeys is the cross_signing object of m.login.secrets.
type CrossSigningKeys struct {
	Master      SigningKey // master_key
	SelfSigning SigningKey // self_signing_key
	UserSigning SigningKey // user_signing_key
}

// Backup is the backup object of m.login.secrets for the one algorithm the
// texts use, BackupAlgorithmMegolmV1 (always written, so not a field).
type Backup struct {
	// Key is the backup's Curve25519 private key.
	Key BackupKey
	// Version is backup_version, as the homeserver returned it.
	Version string
}

// SigningKey is a private Ed25519 cross-signing key as Matrix transports it:
// the 32-byte seed (crypto/ed25519's SeedSize). It is a comparable value;
// the codec only carries it. Expanding it (ed25519.NewKeyFromSeed, a
// scalar multiplication) is for the device that signs with it, so this
// package links no cryptography and stays a pure codec.
type SigningKey [32]byte

// BackupKey is the private Curve25519 key of a megolm v1 key backup, as the
// 32 bytes Matrix transports. The new device derives its public half to
// compare with the backup's auth_data.
type BackupKey [32]byte

// Reason is the reason of m.login.failure.
type Reason string

// The failure reasons. The first six are in both generations; the seventh
// only in 2026.
const (
	ReasonAuthorizationExpired        Reason = "authorization_expired"
	ReasonDeviceAlreadyExists         Reason = "device_already_exists"
	ReasonDeviceNotFound              Reason = "device_not_found"
	ReasonUnexpectedMessageReceived   Reason = "unexpected_message_received"
	ReasonUnsupportedProtocol         Reason = "unsupported_protocol"
	ReasonUserCancelled               Reason = "user_cancelled"
	ReasonUnableToOpenVerificationURI Reason = "unable_to_open_verification_uri"
)

// Known reports whether r is a failure reason of generation g (GenAny knows
// all seven).
func (r Reason) Known(g Generation) bool {
	switch r {
	case ReasonAuthorizationExpired, ReasonDeviceAlreadyExists, ReasonDeviceNotFound,
		ReasonUnexpectedMessageReceived, ReasonUnsupportedProtocol, ReasonUserCancelled:
		return true
	case ReasonUnableToOpenVerificationURI:
		return g != Gen2024
	}
	return false
}

// Type returns "m.login.protocols".
func (Protocols) Type() string { return TypeProtocols }

// Type returns "m.login.protocol".
func (Protocol) Type() string { return TypeProtocol }

// Type returns "m.login.protocol_accepted".
func (ProtocolAccepted) Type() string { return TypeProtocolAccepted }

// Type returns "m.login.success".
func (Success) Type() string { return TypeSuccess }

// Type returns "io.qrlab.login.proof_of_possession".
func (ProofOfPossession) Type() string { return TypeProofOfPossession }

// Type returns "m.login.declined".
func (Declined) Type() string { return TypeDeclined }

// Type returns "m.login.failure".
func (Failure) Type() string { return TypeFailure }

// Type returns "m.login.secrets".
func (Secrets) Type() string { return TypeSecrets }

func (Protocols) message()         {}
func (Protocol) message()          {}
func (ProtocolAccepted) message()  {}
func (Success) message()           {}
func (Declined) message()          {}
func (ProofOfPossession) message() {}
func (Failure) message()           {}
func (Secrets) message()           {}
