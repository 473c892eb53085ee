package channel

import (
	"encoding/base64"
	"errors"
	"fmt"

	"qrlab/model/channel/frame"
)

// Errors that callers tell apart with errors.Is. Every error this package
// returns wraps exactly one of them.
var (
	// ErrMalformed: a payload or key is not in the construction's framing
	// (bad base64, missing separator, too short to hold a tag or a key).
	// It is frame.ErrMalformed: a framing refusal also unwraps to the
	// package frame's *frame.Error, which says where the payload went wrong.
	ErrMalformed = frame.ErrMalformed
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

// framingError is a refusal by package frame in this package's words: its
// text is the one the channel has always given (before the framing moved to
// package frame), and it unwraps to the *frame.Error, so errors.As finds the
// offset and errors.Is finds ErrMalformed.
type framingError struct {
	msg string
	err *frame.Error
}

func (e *framingError) Error() string { return e.msg }
func (e *framingError) Unwrap() error { return e.err }

// base64Detail is what encoding/base64 said about a field's text.
func base64Detail(e *frame.Error) string {
	return base64.CorruptInputError(e.Offset - e.Start).Error()
}

// initiateError words a refusal of a LoginInitiate payload.
func initiateError(err error) error {
	e, ok := err.(*frame.Error)
	if !ok {
		return err
	}
	var msg string
	switch {
	case e.Problem == frame.NoSeparator:
		msg = fmt.Sprintf("%v: no '|' between ciphertext and key", ErrMalformed)
	case e.Field == frame.FieldKey && e.Problem == frame.BadBase64:
		msg = fmt.Sprintf("channel: public key: %v: %s", ErrMalformed, base64Detail(e))
	case e.Field == frame.FieldKey:
		msg = fmt.Sprintf("channel: public key: %v: %d bytes, want %d", ErrMalformed, e.Len, KeySize)
	case e.Framing.Layout() == frame.ECIES && e.Problem == frame.BadBase64:
		msg = fmt.Sprintf("%v: ciphertext not base64: %s", ErrMalformed, base64Detail(e))
	case e.Framing.Layout() == frame.ECIES:
		msg = fmt.Sprintf("%v: ciphertext of %d bytes is shorter than the %d-byte tag", ErrMalformed, e.Len, tagSize)
	case e.Problem == frame.BadBase64:
		msg = fmt.Sprintf("%v: not base64: %s", ErrMalformed, base64Detail(e))
	default:
		msg = fmt.Sprintf("%v: %d bytes cannot hold a %d-byte key and a %d-byte tag", ErrMalformed, e.Len, KeySize, tagSize)
	}
	return &framingError{msg: msg, err: e}
}

// openError words a refusal of the payload Open was given as its n-th.
func openError(n uint64, err error) error {
	e, ok := err.(*frame.Error)
	if !ok {
		return fmt.Errorf("channel: open payload %d: %w", n, err)
	}
	var msg string
	switch {
	case e.Problem == frame.BadBase64:
		msg = fmt.Sprintf("channel: open payload %d: %v: not base64: %s", n, ErrMalformed, base64Detail(e))
	case e.Field == frame.FieldPayload:
		msg = fmt.Sprintf("channel: open payload %d: %v: %d bytes cannot hold a %d-byte response nonce and a %d-byte tag", n, ErrMalformed, e.Len, responseNonceSize, tagSize)
	default:
		msg = fmt.Sprintf("channel: open payload %d: %v: %d bytes, shorter than the %d-byte tag", n, ErrMalformed, e.Len, tagSize)
	}
	return &framingError{msg: msg, err: e}
}
