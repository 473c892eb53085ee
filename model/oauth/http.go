package oauth

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"

	"qrlab/model/wire"
)

// This file holds the small HTTP-shaped types the provider speaks. They are
// package wire's, shared with the homeserver (which delegates
// authentication to the provider, as Synapse delegates to MAS, and takes
// its request type from here) and with the rendezvous store, so that a
// simulator routes the same values to any of the three servers.

// Millis is virtual time in milliseconds, package wire's: the provider
// never reads a clock, every call takes the time as an argument.
type Millis = wire.Millis

// Durations in Millis.
const (
	Millisecond = wire.Millisecond
	Second      = wire.Second
	Minute      = wire.Minute
)

// The HTTP types are package wire's.
type (
	// Field is one header line.
	Field = wire.Field
	// Header is a list of header lines in wire order; see wire.Header.
	// Headers of responses may be shared between responses: treat them as
	// read-only.
	Header = wire.Header
	// Request is one HTTP request. Path is the request target as sent on
	// the wire: the percent-encoded path and, after "?", the raw query.
	// Handlers never keep a reference to its Body.
	Request = wire.Request
	// Response is one HTTP response. Header and Body may be shared with
	// other responses (fixed error bodies, the metadata document): treat
	// them as read-only.
	Response = wire.Response
)

// SplitPath returns the path and the raw query (without "?") of a request
// target.
func SplitPath(target string) (path, query string) {
	for i := 0; i < len(target); i++ {
		if target[i] == '?' {
			return target[:i], target[i+1:]
		}
	}
	return target, ""
}

// Content types the provider reads and writes.
const (
	ContentTypeJSON = wire.ContentTypeJSON
	ContentTypeForm = wire.ContentTypeForm
	ContentTypeHTML = "text/html; charset=utf-8"
)

// Fixed response headers, shared by every response that uses them.
var (
	headerJSONNoStore = wire.NewHeader("Content-Type", ContentTypeJSON, "Cache-Control", "no-store", "Pragma", "no-cache")
	headerHTML        = wire.NewHeader("Content-Type", ContentTypeHTML, "Cache-Control", "no-store")
)

// hasMediaType reports whether a Content-Type value names the media type mt
// (compared case-insensitively), with or without parameters.
func hasMediaType(v, mt string) bool {
	i := 0
	for i < len(v) && v[i] != ';' {
		i++
	}
	end := i
	for end > 0 && (v[end-1] == ' ' || v[end-1] == '\t') {
		end--
	}
	return wire.EqualFold(v[:end], mt)
}

// Errors of the form and percent-decoding helpers.
var (
	// ErrBadEscape: a "%" not followed by two hex digits.
	ErrBadEscape = errors.New("bad percent-escape")
	// ErrNotUTF8: a decoded name or value is not valid UTF-8.
	ErrNotUTF8 = errors.New("not valid UTF-8")
	// ErrDuplicateParam: a parameter appears more than once (RFC 6749 §3.1
	// forbids it for the OAuth endpoints).
	ErrDuplicateParam = errors.New("duplicate parameter")
	// ErrTooManyParams: more parameters than a form may carry.
	ErrTooManyParams = errors.New("too many parameters")
)

// maxFormFields bounds the parameters of one form: the OAuth requests carry
// three or four, and a bound keeps the decoder allocation-free.
const maxFormFields = 16

// span locates decoded bytes: in the body, in the form's arena, or in its
// overflow buffer. Offsets rather than slices keep the form free of
// pointers into itself, so it can live on the stack.
type span struct {
	where    uint8 // 0 body, 1 arena, 2 overflow
	off, len int32
}

// formField is one decoded name=value pair.
type formField struct {
	name, value span
}

// form is a decoded application/x-www-form-urlencoded body. Escaped names
// and values are decoded into arena while it has room, so that a token
// request (whose grant type is always escaped) allocates nothing.
type form struct {
	body     []byte
	n        int
	used     int
	fields   [maxFormFields]formField
	arena    [256]byte
	overflow []byte
}

// parse decodes an application/x-www-form-urlencoded body (or a raw query).
// Empty pairs ("a=1&&b=2") are skipped; a pair without "=" has an empty
// value. Repeated names are refused (ErrDuplicateParam).
func (f *form) parse(b []byte) error {
	f.body, f.n, f.used, f.overflow = b, 0, 0, nil
	pos := 0
	for pos < len(b) {
		end := pos
		for end < len(b) && b[end] != '&' {
			end++
		}
		pairStart, pairEnd := pos, end
		pos = end + 1
		if pairStart == pairEnd {
			continue
		}
		eq := pairEnd
		for j := pairStart; j < pairEnd; j++ {
			if b[j] == '=' {
				eq = j
				break
			}
		}
		name, err := f.unescape(pairStart, eq)
		if err != nil {
			return fmt.Errorf("parameter name: %w", err)
		}
		var value span
		if eq < pairEnd {
			value, err = f.unescape(eq+1, pairEnd)
			if err != nil {
				return fmt.Errorf("parameter %q: %w", string(f.bytes(name)), err)
			}
		}
		for k := 0; k < f.n; k++ {
			if string(f.bytes(f.fields[k].name)) == string(f.bytes(name)) {
				return fmt.Errorf("parameter %q: %w", string(f.bytes(name)), ErrDuplicateParam)
			}
		}
		if f.n == maxFormFields {
			return ErrTooManyParams
		}
		f.fields[f.n] = formField{name, value}
		f.n++
	}
	return nil
}

// bytes returns the bytes of a span.
func (f *form) bytes(sp span) []byte {
	switch sp.where {
	case 1:
		return f.arena[sp.off : sp.off+sp.len]
	case 2:
		return f.overflow[sp.off : sp.off+sp.len]
	}
	return f.body[sp.off : sp.off+sp.len]
}

// get returns the value of a parameter and whether it is present. The
// bytes are valid until the form is parsed again.
func (f *form) get(name string) ([]byte, bool) {
	for k := 0; k < f.n; k++ {
		if string(f.bytes(f.fields[k].name)) == name {
			return f.bytes(f.fields[k].value), true
		}
	}
	return nil, false
}

// unescape decodes "+" and percent-escapes of body[from:to]. Plain bytes
// stay where they are; decoded ones go to the arena while it has room.
func (f *form) unescape(from, to int) (span, error) {
	b := f.body[from:to]
	plain := true
	for _, c := range b {
		if c == '%' || c == '+' {
			plain = false
			break
		}
	}
	if plain {
		if !utf8.Valid(b) {
			return span{}, ErrNotUTF8
		}
		return span{0, int32(from), int32(to - from)}, nil
	}
	if len(f.arena)-f.used >= len(b) {
		start := f.used
		out, err := appendUnescaped(f.arena[start:start], b)
		if err != nil {
			return span{}, err
		}
		f.used += len(out)
		return span{1, int32(start), int32(len(out))}, nil
	}
	start := len(f.overflow)
	out, err := appendUnescaped(f.overflow, b)
	if err != nil {
		return span{}, err
	}
	f.overflow = out
	return span{2, int32(start), int32(len(out) - start)}, nil
}

// appendUnescaped appends the decoding of b ("+" and percent-escapes) and
// checks that what it appended is UTF-8.
func appendUnescaped(dst, b []byte) ([]byte, error) {
	n0 := len(dst)
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case '+':
			dst = append(dst, ' ')
		case '%':
			if i+2 >= len(b) {
				return nil, ErrBadEscape
			}
			hi, ok1 := unhex(b[i+1])
			lo, ok2 := unhex(b[i+2])
			if !ok1 || !ok2 {
				return nil, ErrBadEscape
			}
			dst = append(dst, hi<<4|lo)
			i += 2
		default:
			dst = append(dst, c)
		}
	}
	if !utf8.Valid(dst[n0:]) {
		return nil, ErrNotUTF8
	}
	return dst, nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// Form is a decoded form body or query, for callers outside the hot paths
// (tests, the simulated browser, the homeserver's query parameters).
type Form struct {
	f form
}

// ParseForm decodes an application/x-www-form-urlencoded body or a raw
// query. It refuses bad escapes, invalid UTF-8, repeated names and more than
// sixteen parameters, with an error naming the parameter.
func ParseForm(b []byte) (Form, error) {
	var f Form
	err := f.f.parse(b)
	return f, err
}

// Get returns the value of a parameter and whether it is present.
func (f *Form) Get(name string) (string, bool) {
	v, ok := f.f.get(name)
	return string(v), ok
}

// Len returns the number of parameters.
func (f *Form) Len() int { return f.f.n }

// EncodeForm builds an application/x-www-form-urlencoded body from name,
// value pairs, in order, escaping everything outside the unreserved set.
func EncodeForm(pairs ...string) []byte {
	var b []byte
	for i := 0; i+1 < len(pairs); i += 2 {
		if i > 0 {
			b = append(b, '&')
		}
		b = appendFormEscaped(b, pairs[i])
		b = append(b, '=')
		b = appendFormEscaped(b, pairs[i+1])
	}
	return b
}

func appendFormEscaped(b []byte, s string) []byte {
	const hexdigits = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case unreserved(c):
			b = append(b, c)
		case c == ' ':
			b = append(b, '+')
		default:
			b = append(b, '%', hexdigits[c>>4], hexdigits[c&0xf])
		}
	}
	return b
}

// QueryEscape escapes s for use as a query value.
func QueryEscape(s string) string { return string(appendFormEscaped(nil, s)) }

// PathEscape escapes s for use as one path segment.
func PathEscape(s string) string {
	const hexdigits = "0123456789ABCDEF"
	var b []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) {
			b = append(b, c)
		} else {
			b = append(b, '%', hexdigits[c>>4], hexdigits[c&0xf])
		}
	}
	return string(b)
}

// PathUnescape decodes the percent-escapes of one path segment ("+" stays
// "+"). The result must be valid UTF-8.
func PathUnescape(s string) (string, error) {
	if !containsByte(s, '%') {
		if !utf8.ValidString(s) {
			return "", ErrNotUTF8
		}
		return s, nil
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '%' {
			out = append(out, c)
			continue
		}
		if i+2 >= len(s) {
			return "", ErrBadEscape
		}
		hi, ok1 := unhex(s[i+1])
		lo, ok2 := unhex(s[i+2])
		if !ok1 || !ok2 {
			return "", ErrBadEscape
		}
		out = append(out, hi<<4|lo)
		i += 2
	}
	if !utf8.Valid(out) {
		return "", ErrNotUTF8
	}
	return string(out), nil
}

func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

func containsByte(s string, c byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return true
		}
	}
	return false
}

// AppendJSONString appends s as a JSON string literal, escaping quotes,
// backslashes and control characters and leaving other UTF-8 as it is (see
// wire.AppendString).
func AppendJSONString(dst []byte, s string) []byte { return wire.AppendString(dst, s) }

func appendInt(dst []byte, v int64) []byte { return strconv.AppendInt(dst, v, 10) }
