package qr

import (
	"fmt"
	"strings"
)

// Kind classifies what is wrong with a payload. Kinds are comparable
// constants and errors themselves, so errors.Is(err, qr.KindTrailingBytes)
// tells what went wrong whatever the field.
type Kind uint8

// The kinds of decode and encode errors.
const (
	_ Kind = iota
	// KindBadBase64: the text form is not standard base64.
	KindBadBase64
	// KindBadPrefix: the payload does not start with a prefix of its format.
	KindBadPrefix
	// KindUnknownType: the type (2024: version) byte is not one of the
	// format's.
	KindUnknownType
	// KindUnknownIntent: the intent byte or value is not login or
	// reciprocate.
	KindUnknownIntent
	// KindTruncated: the payload ends inside a fixed-size field (prefix,
	// type, intent, key or a length).
	KindTruncated
	// KindLengthPastEnd: a length runs past the end of the payload.
	KindLengthPastEnd
	// KindInvalidUTF8: a string is not valid UTF-8.
	KindInvalidUTF8
	// KindInvalidID: a rendezvous ID has a byte outside the opaque
	// identifier grammar [A-Za-z0-9._~-].
	KindInvalidID
	// KindEmpty: a required string is empty.
	KindEmpty
	// KindTooLong: a string does not fit its length field, or a rendezvous
	// ID is longer than 255 bytes.
	KindTooLong
	// KindTrailingBytes: bytes follow the last field.
	KindTrailingBytes
	// KindMissingServerName: a 2024 payload with intent reciprocate ends
	// after its rendezvous URL.
	KindMissingServerName
	// KindUnexpectedField: a Payload sets a field its format or intent does
	// not carry (encoding only; in bytes, such a field is trailing bytes).
	KindUnexpectedField
	// KindUnknownFormat: a format name the package does not know.
	KindUnknownFormat
	// KindBadURL: a URL that a URL parser would refuse (CheckURLs; the
	// decoder itself does not parse URLs).
	KindBadURL
)

var kindText = [...]string{
	KindBadBase64:         "bad base64",
	KindBadPrefix:         "bad prefix",
	KindUnknownType:       "unknown type",
	KindUnknownIntent:     "unknown intent",
	KindTruncated:         "truncated",
	KindLengthPastEnd:     "length past end",
	KindInvalidUTF8:       "invalid UTF-8",
	KindInvalidID:         "invalid rendezvous ID",
	KindEmpty:             "empty field",
	KindTooLong:           "too long",
	KindTrailingBytes:     "trailing bytes",
	KindMissingServerName: "missing server name",
	KindUnexpectedField:   "unexpected field",
	KindUnknownFormat:     "unknown format",
	KindBadURL:            "bad URL",
}

// Error returns a short description of the kind.
func (k Kind) Error() string {
	if int(k) < len(kindText) && kindText[k] != "" {
		return kindText[k]
	}
	return fmt.Sprintf("qr.Kind(%d)", uint8(k))
}

// String is the same as Error.
func (k Kind) String() string { return k.Error() }

// DecodeError says why a payload does not decode: which field, at which
// byte offset, and what is wrong. Decode functions return it as a pointer.
type DecodeError struct {
	// Format is the layout being read, or "" while it is not yet known
	// (prefix and type errors during auto-detection).
	Format Format
	// Field is the wire field at fault: "base64", "prefix", "type",
	// "intent", "public_key", "rendezvous_url", "server_name",
	// "rendezvous_id" or "base_url" (for a length-prefixed string, errors
	// in its length too), or "payload" for trailing bytes.
	Field string
	// Offset is the byte offset of the fault: the start of a fixed field or
	// a length, the first bad byte of a string, the first byte of a
	// rendezvous ID past 255, the first trailing byte; for KindBadBase64,
	// the offending character of the text (-1 if unknown).
	Offset int
	// Kind classifies the error.
	Kind Kind
	// Value is the kind's detail: the unknown type or intent byte, the
	// declared length (KindLengthPastEnd, KindTooLong), the bytes needed
	// (KindTruncated), the byte outside the ID grammar, or the number of
	// trailing bytes.
	Value int
	// Left is the number of bytes left when a field ran past the end.
	Left int
	// Err is the underlying error, if any (the base64 decoder's).
	Err error

	// guessed: Decode tried two layouts and reports this one's error.
	guessed bool
	// detail says why a URL is bad (KindBadURL).
	detail string
	// prefix holds the payload's first bytes for a KindBadPrefix message.
	prefix  [len(PrefixMSC4388)]byte
	prefixN uint8
}

// Error reads like "qr: rendezvous_url at offset 40: length 71 runs past
// end (60 bytes left)".
func (e *DecodeError) Error() string {
	var b strings.Builder
	b.WriteString("qr: ")
	b.WriteString(e.Field)
	if e.Offset >= 0 {
		fmt.Fprintf(&b, " at offset %d", e.Offset)
	}
	b.WriteString(": ")
	switch e.Kind {
	case KindBadBase64:
		b.WriteString("not standard base64")
	case KindBadPrefix:
		fmt.Fprintf(&b, "unknown prefix %q", e.prefix[:e.prefixN])
		if l := e.Format.layout(); l != nil {
			fmt.Fprintf(&b, " (%s starts with %q", e.Format, l.prefix)
			if l.alt != "" {
				fmt.Fprintf(&b, " or %q", l.alt)
			}
			b.WriteString(")")
		} else {
			fmt.Fprintf(&b, " (want %q, %q or %q)", PrefixMatrix, PrefixMSC4388, PrefixMSC4108)
		}
	case KindUnknownType:
		fmt.Fprintf(&b, "unknown type 0x%02x", e.Value)
		if l := e.Format.layout(); l != nil {
			fmt.Fprintf(&b, " (%s has 0x%02x)", e.Format, l.typ)
		}
	case KindUnknownIntent:
		fmt.Fprintf(&b, "unknown intent 0x%02x", e.Value)
	case KindTruncated:
		fmt.Fprintf(&b, "truncated: needs %d bytes, %d left", e.Value, e.Left)
	case KindLengthPastEnd:
		fmt.Fprintf(&b, "length %d runs past end (%d bytes left)", e.Value, e.Left)
	case KindInvalidUTF8:
		b.WriteString("invalid UTF-8")
	case KindInvalidID:
		fmt.Fprintf(&b, "byte 0x%02x is outside the opaque identifier grammar [A-Za-z0-9._~-]", e.Value)
	case KindEmpty:
		b.WriteString("empty (length 0)")
	case KindTooLong:
		fmt.Fprintf(&b, "length %d is over the %d-byte limit of an opaque identifier", e.Value, maxIDLen)
	case KindTrailingBytes:
		fmt.Fprintf(&b, "%d trailing bytes", e.Value)
	case KindBadURL:
		b.WriteString("a URL parser would refuse it: " + e.detail)
	case KindMissingServerName:
		b.WriteString("missing (intent reciprocate needs a server name)")
	default:
		b.WriteString(e.Kind.Error())
	}
	if e.guessed {
		fmt.Fprintf(&b, " (read as %s)", e.Format)
	}
	if e.Err != nil && e.Kind != KindBadBase64 {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	return b.String()
}

// Is makes errors.Is(err, k) true for the error's Kind k.
func (e *DecodeError) Is(target error) bool {
	k, ok := target.(Kind)
	return ok && k == e.Kind
}

// Unwrap returns the underlying error, if any.
func (e *DecodeError) Unwrap() error { return e.Err }

// EncodeError says why a Payload cannot be encoded.
type EncodeError struct {
	// Format is the payload's format (possibly not a valid one).
	Format Format
	// Field is the Payload field at fault, in wire spelling ("format",
	// "prefix", "intent", "rendezvous_url", "server_name", "rendezvous_id",
	// "base_url").
	Field string
	// Kind classifies the error.
	Kind Kind
	// Value is the field's length in bytes (KindTooLong) or the byte
	// outside the grammar (KindInvalidID).
	Value int
	// Max is the longest the field may be (KindTooLong).
	Max int
	// Index is the offset of the first bad byte within the field
	// (KindInvalidUTF8, KindInvalidID).
	Index int

	value string // the offending format, prefix or intent, for the message
}

// Error reads like "qr: encode msc4388: rendezvous_id: 300 bytes, at most
// 255 fit".
func (e *EncodeError) Error() string {
	var b strings.Builder
	b.WriteString("qr: encode")
	if e.Kind != KindUnknownFormat {
		b.WriteString(" ")
		b.WriteString(string(e.Format))
	}
	b.WriteString(": ")
	b.WriteString(e.Field)
	b.WriteString(": ")
	switch e.Kind {
	case KindUnknownFormat:
		fmt.Fprintf(&b, "unknown format %q (want one of %s)", e.value, formatList())
	case KindBadPrefix:
		fmt.Fprintf(&b, "prefix %q is not one of %s's", e.value, e.Format)
	case KindUnknownIntent:
		fmt.Fprintf(&b, "%s is neither login nor reciprocate", e.value)
	case KindEmpty:
		b.WriteString("required, but empty")
	case KindUnexpectedField:
		if e.Format == Format2024 && e.Field == "server_name" {
			b.WriteString("only goes with intent reciprocate")
		} else {
			fmt.Fprintf(&b, "not carried by %s", e.Format)
		}
	case KindTooLong:
		fmt.Fprintf(&b, "%d bytes, at most %d fit", e.Value, e.Max)
	case KindInvalidUTF8:
		fmt.Fprintf(&b, "invalid UTF-8 at index %d", e.Index)
	case KindInvalidID:
		fmt.Fprintf(&b, "byte 0x%02x at index %d is outside the opaque identifier grammar [A-Za-z0-9._~-]", e.Value, e.Index)
	default:
		b.WriteString(e.Kind.Error())
	}
	return b.String()
}

// Is makes errors.Is(err, k) true for the error's Kind k.
func (e *EncodeError) Is(target error) bool {
	k, ok := target.(Kind)
	return ok && k == e.Kind
}
