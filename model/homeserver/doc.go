// Package homeserver models the client-server endpoints of a Matrix
// homeserver that QR-code login (MSC4108) touches, with real key checks:
//
//	GET  /_matrix/client/versions                  versions and unstable_features (config)
//	GET  /_matrix/client/v1/auth_metadata          the provider's metadata (and the unstable MSC2965 path)
//	GET  /_matrix/client/v1/auth_issuer            the older {"issuer"} form (and the unstable path)
//	GET  /_matrix/client/v3/account/whoami         user_id and device_id of a token
//	GET  /_matrix/client/v3/devices/{deviceId}     404 until the device is in the list, 200 after
//	POST /_matrix/client/v3/keys/upload            device keys (self-signed and cross-signed), one-time keys
//	GET  /_matrix/client/v3/room_keys/version      the account's current key backup version (404 M_NOT_FOUND: none)
//
// The server is pure: Handle(now, request) computes a response and effects;
// time is an argument, and nothing here starts a goroutine or does I/O. It
// uses the request and response types of package oauth, whose Server it
// trusts for access tokens (introspection) and from which it learns of newly
// issued tokens.
//
// # Devices
//
// A device joins its user's device list when the provider issues a token for
// it (DeviceOnIssue: MAS provisions devices then) and/or when its token is
// first used here (DeviceOnFirstUse: Synapse's delegated auth creates missing
// devices then), each after a configurable delay, so that the existing
// device's wait for GET /devices/{id} can be studied.
//
// # Keys
//
// Keys are checked for real: device_keys must carry a valid Ed25519
// signature by the device's own key, and (StrictSignatures) every other
// signature by the owner must be by a key the server holds and verify.
// Signatures cover the Matrix canonical JSON (package canonicaljson) of
// the object without "signatures" and "unsigned". Whether a device is
// cross-signed by its user's identity is the predicate CrossSigned, computed
// by verifying the stored objects afresh (master key over self-signing key,
// self-signing key over device keys, device key over itself), never a flag.
//
// Identity, SigningKey and DeviceKeys make accounts and devices with real
// Ed25519 keys whose seeds come from an io.Reader, so scenarios replay byte
// for byte. CreateBackup gives an account a key backup version
// (m.megolm_backup.v1.curve25519-aes-sha2, auth_data.public_key in unpadded
// base64) whose Curve25519 private key comes from an io.Reader too.
package homeserver
