package msg

import (
	"strconv"
	"strings"
)

// Kind classifies why a message was refused. It is comparable, and it is an
// error itself so that callers can write errors.Is(err, msg.KindBadKey)
// without this package keeping sentinel variables.
type Kind uint8

// The kinds of decode and encode failure. Every error this package returns is
// an *Error carrying exactly one of them.
const (
	// KindNotJSON: the bytes are not one well-formed JSON document (bad
	// syntax, invalid UTF-8, a lone surrogate escape, trailing data, nesting
	// deeper than the reader allows).
	KindNotJSON Kind = iota + 1
	// KindNotObject: well-formed JSON whose top-level value is not an object.
	KindNotObject
	// KindMissingType: the object has no "type" key.
	KindMissingType
	// KindUnknownType: "type" names no m.login.* message this package knows.
	KindUnknownType
	// KindMissingField: a required field is absent.
	KindMissingField
	// KindWrongType: a field holds the wrong JSON type (a number where a
	// string belongs, null for a required field, ...).
	KindWrongType
	// KindDuplicateField: a field the message defines appears twice in one
	// object.
	KindDuplicateField
	// KindUnknownField: a field the message does not define, refused because
	// DisallowUnknownFields was given.
	KindUnknownField
	// KindWrongProtocol: m.login.protocol names a protocol other than
	// device_authorization_grant.
	KindWrongProtocol
	// KindUnknownReason: m.login.failure carries a reason outside the list.
	KindUnknownReason
	// KindUnknownAlgorithm: m.login.secrets carries a backup algorithm other
	// than m.megolm_backup.v1.curve25519-aes-sha2.
	KindUnknownAlgorithm
	// KindBadKey: a key in m.login.secrets is not base64 of exactly 32 bytes
	// (bad alphabet, padding where refused, non-zero trailing bits, wrong
	// length).
	KindBadKey
	// KindWrongGeneration: the message uses a form of the other generation
	// than the one asked for (homeserver vs base_url, an empty protocols
	// list under 2024, the 2026-only failure reason under 2024), or mixes
	// both generations' keys.
	KindWrongGeneration
	// KindInvalid: Encode was given a value it cannot write (a nil message,
	// a string that is not valid UTF-8, an out-of-range enum).
	KindInvalid
)

// String names the kind in a few words.
func (k Kind) String() string {
	switch k {
	case KindNotJSON:
		return "not JSON"
	case KindNotObject:
		return "not a JSON object"
	case KindMissingType:
		return "missing type"
	case KindUnknownType:
		return "unknown type"
	case KindMissingField:
		return "missing field"
	case KindWrongType:
		return "wrong JSON type"
	case KindDuplicateField:
		return "duplicate field"
	case KindUnknownField:
		return "unknown field"
	case KindWrongProtocol:
		return "wrong protocol"
	case KindUnknownReason:
		return "unknown failure reason"
	case KindUnknownAlgorithm:
		return "unknown backup algorithm"
	case KindBadKey:
		return "bad key"
	case KindWrongGeneration:
		return "wrong generation"
	case KindInvalid:
		return "invalid value"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Error makes a Kind usable as an errors.Is target.
func (k Kind) Error() string { return "msg: " + k.String() }

// Error is the one error type of this package: what went wrong (Kind), in
// which message (Type) and where (Path), so that a login state machine can
// map it to a failure reason and a trace can show the culprit field.
type Error struct {
	// Kind says what went wrong.
	Kind Kind
	// Type is the message type, once it is known ("" before that).
	Type string
	// Path locates the field: "device_id", "cross_signing.master_key",
	// "protocols[2]"; "" means the message as a whole.
	Path string
	// Offset is the byte offset of a KindNotJSON failure in the input.
	Offset int
	// Detail says precisely what was found, for people.
	Detail string
	// Err is an underlying cause, if any.
	Err error
}

// Error renders the error as "msg: <type>: <path>: <kind>: <detail>".
func (e *Error) Error() string {
	var sb strings.Builder
	sb.WriteString("msg: ")
	if e.Type != "" {
		sb.WriteString(e.Type)
		sb.WriteString(": ")
	}
	if e.Path != "" {
		sb.WriteString(e.Path)
		sb.WriteString(": ")
	}
	sb.WriteString(e.Kind.String())
	if e.Kind == KindNotJSON {
		sb.WriteString(" at byte ")
		sb.WriteString(strconv.Itoa(e.Offset))
	}
	if e.Detail != "" {
		sb.WriteString(": ")
		sb.WriteString(e.Detail)
	}
	if e.Err != nil {
		sb.WriteString(": ")
		sb.WriteString(e.Err.Error())
	}
	return sb.String()
}

// Unwrap returns the underlying cause, if any.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is this error's Kind, or an *Error with the same
// Kind and, when the target sets one, the same Path.
func (e *Error) Is(target error) bool {
	switch t := target.(type) {
	case Kind:
		return e.Kind == t
	case *Error:
		return t != nil && e.Kind == t.Kind && (t.Path == "" || t.Path == e.Path)
	}
	return false
}

// quoteTrunc quotes s for an error detail, cut to a readable length.
func quoteTrunc(s string) string {
	const max = 64
	if len(s) > max {
		return strconv.Quote(s[:max]) + "..."
	}
	return strconv.Quote(s)
}
