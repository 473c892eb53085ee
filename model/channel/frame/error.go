package frame

import (
	"errors"
	"strconv"
)

// ErrMalformed is wrapped by every refusal of this package: a payload not in
// its framing, or fields that break a length rule. Package channel's
// ErrMalformed is this same error.
var ErrMalformed = errors.New("malformed payload")

// Field names the part of a payload an Error is about.
type Field uint8

// The fields.
const (
	// FieldPayload is the whole of a payload that holds a prefix and a
	// ciphertext in one base64 text (HPKE Initiate and Response), or the
	// payload as a whole (a missing separator).
	FieldPayload Field = iota
	// FieldCiphertext is the ciphertext (for a single-field payload, the
	// whole payload).
	FieldCiphertext
	// FieldKey is the public key of an Initiate.
	FieldKey
	// FieldNonce is the response nonce of an HPKE Response.
	FieldNonce
)

// String returns "payload", "ciphertext", "key" or "nonce".
func (f Field) String() string {
	switch f {
	case FieldPayload:
		return "payload"
	case FieldCiphertext:
		return "ciphertext"
	case FieldKey:
		return "key"
	case FieldNonce:
		return "nonce"
	}
	return "Field(" + strconv.Itoa(int(f)) + ")"
}

// Problem says what is wrong.
type Problem uint8

// The problems.
const (
	// BadBase64: the field's text is not unpadded strict base64 (a
	// character outside the alphabet, a length that is no whole number of
	// bytes, non-zero trailing bits). Offset is the offending character.
	BadBase64 Problem = iota + 1
	// NoSeparator: an ECIES Initiate has no '|'. Offset is the end of the
	// payload, where the search ended.
	NoSeparator
	// BadLength: a field decodes to the wrong number of bytes (a key not
	// KeySize, a nonce not NonceSize, a ciphertext shorter than TagSize, a
	// field the kind does not carry not empty). Offset is the start of the
	// field's text.
	BadLength
)

// String returns "bad base64", "no separator" or "bad length".
func (p Problem) String() string {
	switch p {
	case BadBase64:
		return "bad base64"
	case NoSeparator:
		return "no separator"
	case BadLength:
		return "bad length"
	}
	return "Problem(" + strconv.Itoa(int(p)) + ")"
}

// Error is a refusal: of a payload string by a Decode function, or of
// fields by an Encode function. It wraps ErrMalformed.
type Error struct {
	// Framing and Kind are what the payload was read or built as.
	Framing Framing
	Kind    Kind
	// Field is the field at fault.
	Field Field
	// Problem is what is wrong with it.
	Problem Problem
	// Offset is the byte of the payload string the problem is at (see
	// Problem); it lies within [0, len(payload)]. Encode refusals have no
	// payload string: -1.
	Offset int
	// Start is the byte where the field's base64 text starts (the byte
	// after the '|' for an ECIES key, else 0; -1 for Encode refusals).
	// Offset-Start is the offset encoding/base64 reports within the text.
	Start int
	// Len is, for BadLength, the field's length in bytes: decoded (for a
	// FieldPayload, prefix and ciphertext together), or as given to Encode.
	Len int
	// Want is, for BadLength, the length the rule asks for: exactly (keys
	// and nonces) or at least (ciphertexts; for a FieldPayload, the prefix
	// and a tag).
	Want int
}

// Unwrap returns ErrMalformed.
func (e *Error) Unwrap() error { return ErrMalformed }

// Error reads like "frame: ecies initiate: malformed payload: key at byte
// 23: 31 bytes, want 32".
func (e *Error) Error() string {
	b := make([]byte, 0, 96)
	b = append(b, "frame: "...)
	if e.Offset < 0 {
		b = append(b, "encode "...)
	}
	b = append(b, e.Framing.String()...)
	b = append(b, ' ')
	b = append(b, e.Kind.String()...)
	b = append(b, ": "...)
	b = append(b, ErrMalformed.Error()...)
	b = append(b, ": "...)
	switch e.Problem {
	case NoSeparator:
		b = append(b, "no '|' between ciphertext and key (none up to byte "...)
		b = strconv.AppendInt(b, int64(e.Offset), 10)
		b = append(b, ')')
	case BadBase64:
		b = append(b, e.Field.String()...)
		b = append(b, " not base64: bad character or ending at byte "...)
		b = strconv.AppendInt(b, int64(e.Offset), 10)
	case BadLength:
		b = append(b, e.Field.String()...)
		if e.Offset >= 0 {
			b = append(b, " at byte "...)
			b = strconv.AppendInt(b, int64(e.Offset), 10)
		}
		b = append(b, ": "...)
		b = strconv.AppendInt(b, int64(e.Len), 10)
		switch e.Field {
		case FieldKey, FieldNonce:
			b = append(b, " bytes, want "...)
		default:
			b = append(b, " bytes, need at least "...)
		}
		b = strconv.AppendInt(b, int64(e.Want), 10)
		if e.Field == FieldPayload && e.Want > TagSize {
			b = append(b, " (a "...)
			b = strconv.AppendInt(b, int64(e.Want-TagSize), 10)
			if e.Kind == Initiate {
				b = append(b, "-byte key"...)
			} else {
				b = append(b, "-byte response nonce"...)
			}
			b = append(b, " and a "...)
			b = strconv.AppendInt(b, TagSize, 10)
			b = append(b, "-byte tag)"...)
		}
	default:
		b = append(b, e.Problem.String()...)
	}
	return string(b)
}
