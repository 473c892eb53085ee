// Package msg holds the m.login.* messages that the new and the existing
// device exchange inside the secure channel of QR-code login (MSC4108): one
// Go type per message, a strict decoder with typed errors, and a canonical
// encoder.
//
// # Messages
//
//	m.login.protocols          Protocols         existing device
//	m.login.protocol           Protocol          new device
//	m.login.protocol_accepted  ProtocolAccepted  existing device
//	m.login.success            Success           new device
//	m.login.declined           Declined          new device
//	m.login.failure            Failure           either
//	m.login.secrets            Secrets           existing device
//
// and the lab's design alternative io.qrlab.login.proof_of_possession
// (ProofOfPossession, new device), in no text.
//
// Decode returns one of these as a value; Encode takes one by value or by
// pointer. For every message m that Encode accepts, Decode(Encode(m))
// equals m, and Encode(Decode(b)) is the canonical form of any b that Decode
// accepts.
//
// # Decoding policy
//
// Syntax: the input must be exactly one JSON object (RFC 8259): valid UTF-8,
// no lone surrogate escapes, nothing after the object, nesting at most 128.
// Keys match exactly ("Type" is not "type").
//
// Unknown fields are ignored by default, at every level, as Matrix clients
// do; DisallowUnknownFields refuses them (KindUnknownField). A key that
// another message type defines counts as unknown here (so "reason" inside
// m.login.success is ignored, or refused when strict).
//
// Duplicate keys are refused (KindDuplicateField) when the message defines
// the key, whatever the other options; serde, which the Rust SDK uses,
// refuses them too, while encoding/json and JavaScript keep the last one,
// so two readers of one message could disagree. Duplicates of an unknown key
// are ignored along with the key.
//
// null counts as absent for an optional field (verification_uri_complete,
// failure homeserver, backup) and as KindWrongType for a required one. An
// empty optional string is treated as absent too.
//
// Values are carried, not judged, where judging is the login state
// machine's job: URIs, device IDs, server names and base URLs are strings.
// Enumerations are checked: the protocol of m.login.protocol
// (KindWrongProtocol, which a state machine answers with the failure reason
// unsupported_protocol), the failure reason (KindUnknownReason) and the
// backup algorithm (KindUnknownAlgorithm). Protocol names listed in
// m.login.protocols are kept whatever they are, since the 2026 text keeps
// room for new protocols.
//
// Keys in m.login.secrets must be standard-alphabet base64 of exactly 32
// bytes with zero trailing bits (KindBadKey); padding is accepted unless
// RequireUnpaddedBase64 is given. Cross-signing keys become SigningKey (the
// Ed25519 seed, expanded by SigningKey.PrivateKey), the backup key a
// BackupKey (Curve25519).
//
// # Generations
//
// WithGeneration picks the revision of the texts where the shapes differ;
// the default, GenAny, accepts both. Gen2024 requires "homeserver" in
// m.login.protocols and a non-empty protocols list and knows six failure
// reasons; Gen2026 requires "base_url" and adds
// unable_to_open_verification_uri. The other generation's form is refused
// with KindWrongGeneration, and GenAny refuses a message carrying both
// "homeserver" and "base_url". Protocols.ServerKey records which key a
// message used, so that both dialects encode back as they came.
//
// # Shapes in the texts and the shipped code
//
// Read from matrix-org/matrix-spec-proposals proposals/4108-oidc-qr-login.md
// at 87f8317 (June 2024), at 02f18e1 (an earlier 2024 revision) and in its
// 2026 form, and from matrix-org/matrix-rust-sdk
// crates/matrix-sdk/src/authentication/oauth/qrcode/messages.rs and
// crates/matrix-sdk-crypto/src/types/mod.rs, and matrix-org/matrix-js-sdk
// src/rendezvous/:
//
//   - m.login.protocols: "homeserver" is a server name ("matrix.org") at
//     87f8317 but a base URL at 02f18e1; the 2026 text renames it "base_url"
//     (a base URL) and shows an empty protocols list for "grant not
//     supported". The Rust SDK parses either key as a URL (so a server name
//     fails there), trying base_url first; the JS SDK's 2025 flow sends
//     base_url.
//   - m.login.failure: "homeserver" is optional, a server name in both
//     texts but a URL in the Rust SDK, which also keeps unknown reasons as
//     custom values (this package refuses them). The seventh reason is in
//     the 2026 text only; neither SDK source read here has it. The 02f18e1
//     example carries the reason "unsupported", which is not in the list.
//   - m.login.secrets: "backup" is optional in both texts and in the Rust
//     SDK (Option); its fields are algorithm, key and backup_version, all
//     required. The Rust SDK accepts only the megolm v1 algorithm (the texts'
//     example says "foobar"). Key strings: the texts say unpadded base64; the
//     Rust SDK's base64 helpers (matrix-sdk-crypto and vodozemac) decode
//     with padding optional.
//   - Unknown fields: the Rust SDK's serde types do not deny them, so they
//     are ignored; "type" is an internal tag and may come anywhere in the
//     object.
//   - m.login.declined is "sent by the existing device" at 02f18e1, by the
//     new device at 87f8317 and in 2026.
package msg
