package channel

import "errors"

// Errors that callers tell apart with errors.Is. Every error this package
// returns wraps exactly one of them.
var (
	// ErrMalformed: a payload or key is not in the construction's framing
	// (bad base64, missing separator, too short to hold a tag or a key).
	ErrMalformed = errors.New("malformed payload")
	// ErrAuthentication: the AEAD refused the ciphertext: tampered,
	// truncated, replayed, reordered, wrong direction, wrong key or wrong AAD.
	ErrAuthentication = errors.New("message authentication failed")
	// ErrLowOrderKey: the peer's key is of low order, so the shared secret
	// would not depend on our key.
	ErrLowOrderKey = errors.New("non-contributory (low-order) public key")
	// ErrState: an operation out of order, such as accepting a second
	// initial payload with a key that already made a channel.
	ErrState = errors.New("operation not allowed in this state")
	// ErrConfig: an unknown construction or an option it does not support.
	ErrConfig = errors.New("invalid channel configuration")
)
