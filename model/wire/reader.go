package wire

import (
	"bytes"
	"unicode/utf16"
	"unicode/utf8"
)

// The core of a small strict JSON reader. It validates JSON against RFC 8259
// (valid UTF-8, no lone surrogate escapes, nesting at most MaxDepth) in one
// pass over the bytes, without building maps or reflecting. Reading the
// members of an object is left to the caller (OpenObject, Key, the member's
// value, NextMember), so that each package records the keys it wants in
// its own way; everything else (Value) the reader skips after validating
// it. Whole-document rules (no trailing data, what the top level must be)
// and the error types stay with the callers.

// MaxDepth bounds object and array nesting: a document may hold MaxDepth
// containers one inside the other, not more. Real messages nest three deep;
// the bound only keeps hostile input from costing unbounded stack.
const MaxDepth = 128

// detailTooDeep is the Detail of a Fault for nesting beyond MaxDepth.
const detailTooDeep = "nested too deeply"

// Fault says why the bytes are not JSON and where. The zero Fault means
// there is nothing wrong.
type Fault struct {
	// Offset is the byte offset at which the reader gave up.
	Offset int
	// Detail says in a few words what is wrong; it is "" for no fault.
	Detail string
}

// OK reports whether f is the zero Fault, that is no fault at all.
func (f Fault) OK() bool { return f.Detail == "" }

// TooDeep reports whether f is nesting deeper than MaxDepth, as opposed to
// a syntax or encoding fault.
func (f Fault) TooDeep() bool { return f.Detail == detailTooDeep }

// plainByte marks, by byte value, the bytes a JSON string may hold as they
// are: printable ASCII except '"' and '\\'. A constant, not a variable, so
// the package keeps no state.
const plainByte = "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x01\x01\x00\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x00\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"

// Reader walks a JSON document. Its zero value is not useful: set B to the
// document and I to where reading starts (0 for the whole document).
type Reader struct {
	// B is the document.
	B []byte
	// I is the offset of the next unread byte.
	I int
}

// Space skips insignificant white space.
func (r *Reader) Space() {
	for r.I < len(r.B) {
		switch r.B[r.I] {
		case ' ', '\t', '\n', '\r':
			r.I++
		default:
			return
		}
	}
}

// Next skips white space and reports whether the next byte is c, taking it
// when it is.
func (r *Reader) Next(c byte) bool {
	r.Space()
	if r.I < len(r.B) && r.B[r.I] == c {
		r.I++
		return true
	}
	return false
}

// Value reads one value starting at r.I and leaves r.I just after it;
// depth is the nesting depth of the container that holds it (0 at the top
// level).
func (r *Reader) Value(depth int) Fault {
	if r.I >= len(r.B) {
		return Fault{r.I, "unexpected end of input, want a value"}
	}
	switch c := r.B[r.I]; {
	case c == '"':
		_, f := r.Str()
		return f
	case c == '{':
		return r.object(depth + 1)
	case c == '[':
		return r.array(depth + 1)
	case c == 't':
		return r.literal("true")
	case c == 'f':
		return r.literal("false")
	case c == 'n':
		return r.literal("null")
	case c == '-' || ('0' <= c && c <= '9'):
		return r.number()
	}
	return Fault{r.I, "invalid character, want a value"}
}

func (r *Reader) literal(lit string) Fault {
	if len(r.B)-r.I < len(lit) || string(r.B[r.I:r.I+len(lit)]) != lit {
		return Fault{r.I, "invalid literal, want " + lit}
	}
	r.I += len(lit)
	return Fault{}
}

func (r *Reader) digits() int {
	n := 0
	for r.I < len(r.B) && '0' <= r.B[r.I] && r.B[r.I] <= '9' {
		r.I++
		n++
	}
	return n
}

// number reads -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?.
func (r *Reader) number() Fault {
	if r.B[r.I] == '-' {
		r.I++
	}
	if r.I >= len(r.B) {
		return Fault{r.I, "unexpected end of input in number"}
	}
	switch c := r.B[r.I]; {
	case c == '0':
		r.I++
	case '1' <= c && c <= '9':
		r.digits()
	default:
		return Fault{r.I, "invalid number"}
	}
	if r.I < len(r.B) && r.B[r.I] == '.' {
		r.I++
		if r.digits() == 0 {
			return Fault{r.I, "invalid number: no digit after the decimal point"}
		}
	}
	if r.I < len(r.B) && (r.B[r.I] == 'e' || r.B[r.I] == 'E') {
		r.I++
		if r.I < len(r.B) && (r.B[r.I] == '+' || r.B[r.I] == '-') {
			r.I++
		}
		if r.digits() == 0 {
			return Fault{r.I, "invalid number: no digit in the exponent"}
		}
	}
	return Fault{}
}

// hex4 decodes the four hex digits at b[i:i+4].
func hex4(b []byte, i int) (rune, bool) {
	if len(b)-i < 4 {
		return 0, false
	}
	var v rune
	for _, c := range b[i : i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		v = v<<4 | rune(c)
	}
	return v, true
}

// Str reads a string starting at r.I (on its opening quote), leaves r.I
// just after its closing quote and reports whether it holds escapes. The
// string's body is then B[start+1:r.I-1], to be decoded with Unescape or
// AppendUnescaped when escaped.
func (r *Reader) Str() (escaped bool, f Fault) {
	b := r.B
	i := r.I + 1
	for {
		if i = SkipPlain(b, i); i >= len(b) {
			break
		}
		c := b[i]
		switch {
		case c == '"':
			r.I = i + 1
			return escaped, Fault{}
		case c == '\\':
			escaped = true
			if i+1 >= len(b) {
				return escaped, Fault{i, "unexpected end of input in escape"}
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				cp, ok := hex4(b, i+2)
				if !ok {
					return escaped, Fault{i, `invalid \u escape`}
				}
				switch {
				case utf16.IsSurrogate(cp) && cp < 0xDC00:
					// A high surrogate must be followed by an escaped low one.
					lo, ok := rune(0), false
					if i+7 < len(b) && b[i+6] == '\\' && b[i+7] == 'u' {
						lo, ok = hex4(b, i+8)
					}
					if !ok || lo < 0xDC00 || lo > 0xDFFF {
						return escaped, Fault{i, `lone surrogate in \u escape`}
					}
					i += 12
				case utf16.IsSurrogate(cp):
					return escaped, Fault{i, `lone surrogate in \u escape`}
				default:
					i += 6
				}
			default:
				return escaped, Fault{i, "invalid escape"}
			}
		case c < 0x20:
			return escaped, Fault{i, "control character in string"}
		default:
			cp, size := utf8.DecodeRune(b[i:])
			if cp == utf8.RuneError && size == 1 {
				return escaped, Fault{i, "invalid UTF-8 in string"}
			}
			i += size
		}
	}
	return escaped, Fault{i, "unterminated string"}
}

// array reads an array starting at r.I, at nesting depth depth.
func (r *Reader) array(depth int) Fault {
	if depth > MaxDepth {
		return Fault{r.I, detailTooDeep}
	}
	r.I++ // '['
	r.Space()
	if r.I < len(r.B) && r.B[r.I] == ']' {
		r.I++
		return Fault{}
	}
	for {
		if f := r.Value(depth); !f.OK() {
			return f
		}
		r.Space()
		if r.I >= len(r.B) {
			return Fault{r.I, "unexpected end of input in array"}
		}
		switch r.B[r.I] {
		case ',':
			r.I++
			r.Space()
		case ']':
			r.I++
			return Fault{}
		default:
			return Fault{r.I, "want , or ] in array"}
		}
	}
}

// object reads an object starting at r.I, at nesting depth depth, and
// skips its members.
func (r *Reader) object(depth int) Fault {
	empty, f := r.OpenObject(depth)
	if !f.OK() || empty {
		return f
	}
	for {
		if _, _, f := r.Key(); !f.OK() {
			return f
		}
		if f := r.Value(depth); !f.OK() {
			return f
		}
		more, f := r.NextMember()
		if !f.OK() || !more {
			return f
		}
	}
}

// OpenObject starts reading the object at r.I (on its '{'), whose nesting
// depth is depth (1 for an object at the top level). It reports empty when
// the object has no members, and then leaves r.I after its '}'; otherwise
// r.I is on the first key, for Key. The members are read by calling Key,
// then reading the value (Value, Str or the caller's own code, at the
// object's depth), then NextMember, until NextMember reports no more.
func (r *Reader) OpenObject(depth int) (empty bool, f Fault) {
	if depth > MaxDepth {
		return false, Fault{r.I, detailTooDeep}
	}
	r.I++ // '{'
	r.Space()
	if r.I < len(r.B) && r.B[r.I] == '}' {
		r.I++
		return true, Fault{}
	}
	return false, Fault{}
}

// Key reads an object member's key and the ':' after it, and leaves r.I on
// the member's value. It skips white space before the key, so r.I may be
// where OpenObject or NextMember left it. raw is the key between its quotes
// (a slice of B), still escaped when escaped is true.
func (r *Reader) Key() (raw []byte, escaped bool, f Fault) {
	r.Space()
	if r.I >= len(r.B) || r.B[r.I] != '"' {
		return nil, false, Fault{r.I, "want a string key in object"}
	}
	start := r.I
	if escaped, f = r.Str(); !f.OK() {
		return nil, escaped, f
	}
	raw = r.B[start+1 : r.I-1]
	r.Space()
	if r.I >= len(r.B) || r.B[r.I] != ':' {
		return nil, escaped, Fault{r.I, "want : after object key"}
	}
	r.I++
	r.Space()
	return raw, escaped, Fault{}
}

// NextMember reads what follows an object member's value: a ',' (more is
// true, and r.I is left after it, for Key) or the object's '}' (more is
// false, and r.I is left after it).
func (r *Reader) NextMember() (more bool, f Fault) {
	r.Space()
	if r.I >= len(r.B) {
		return false, Fault{r.I, "unexpected end of input in object"}
	}
	switch r.B[r.I] {
	case ',':
		r.I++
		return true, Fault{}
	case '}':
		r.I++
		return false, Fault{}
	}
	return false, Fault{r.I, "want , or } in object"}
}

// Unescape decodes the body of a JSON string (without its quotes) that a
// Reader has validated. It returns raw itself when there is nothing to
// decode, else a new slice.
func Unescape(raw []byte) []byte {
	i := bytes.IndexByte(raw, '\\')
	if i < 0 {
		return raw
	}
	out := make([]byte, i, len(raw))
	copy(out, raw[:i])
	return unescapeFrom(out, raw, i)
}

// AppendUnescaped appends the decoded body of a JSON string (without its
// quotes) that a Reader has validated to dst. The decoded text is never
// longer than raw. Given text that is not a valid string body it never
// reads past raw and never panics: it stops at a truncated or malformed
// \u escape, and drops a lone trailing backslash.
func AppendUnescaped(dst, raw []byte) []byte {
	i := bytes.IndexByte(raw, '\\')
	if i < 0 {
		return append(dst, raw...)
	}
	return unescapeFrom(append(dst, raw[:i]...), raw, i)
}

// unescapeFrom decodes raw[i:], where raw[i] is a backslash, appending to
// out.
func unescapeFrom(out, raw []byte, i int) []byte {
	for i < len(raw) {
		c := raw[i]
		if c != '\\' {
			out = append(out, c)
			i++
			continue
		}
		if i+1 >= len(raw) {
			break
		}
		switch e := raw[i+1]; e {
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			cp, ok := hex4(raw, i+2)
			if !ok {
				return out
			}
			i += 6
			if utf16.IsSurrogate(cp) {
				lo, ok := rune(0), false
				if i+1 < len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
					lo, ok = hex4(raw, i+2)
				}
				if !ok {
					return out
				}
				cp = utf16.DecodeRune(cp, lo)
				i += 6
			}
			out = utf8.AppendRune(out, cp)
			continue
		default: // '"', '\\', '/'
			out = append(out, e)
		}
		i += 2
	}
	return out
}
