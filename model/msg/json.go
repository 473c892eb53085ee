package msg

import (
	"bytes"
	"unicode/utf16"
	"unicode/utf8"
)

// A small strict JSON reader. It validates a whole document against RFC 8259
// (valid UTF-8, no lone surrogate escapes, no trailing data, no byte order
// mark, nesting at most maxDepth) in one pass, and records where the values
// of wanted keys lie, without building maps or reflecting. Keys match
// exactly: encoding/json would fold "Type" onto "type", which a Matrix
// client does not. A caller then reads the recorded values it needs.

// plainByte marks, by byte value, the bytes a JSON string may hold as they
// are: printable ASCII except '"' and '\\'. A constant, not a variable, so the
// package keeps no state.
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

// maxDepth bounds object and array nesting. Real messages nest three deep;
// the bound only keeps hostile input from costing unbounded stack.
const maxDepth = 128

// slot records one wanted key of an object: where its first occurrence sits
// and how often it occurred.
type slot struct {
	key   int // offset of the key's opening quote
	start int // value bytes are b[start:end]
	end   int
	n     int // occurrences
}

// keyRef is the first key of an object that no lookup wanted.
type keyRef struct {
	start, end int // key bytes including quotes
	set        bool
}

// reader walks b; i is the next unread byte.
type reader struct {
	b []byte
	i int
}

func (r *reader) fail(at int, detail string) *Error {
	return &Error{Kind: KindNotJSON, Offset: at, Detail: detail}
}

// ws skips insignificant whitespace.
func (r *reader) ws() {
	for r.i < len(r.b) {
		switch r.b[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

// value reads one value starting at r.i; depth is the nesting depth of the
// container that holds it (0 at the top).
func (r *reader) value(depth int) *Error {
	if r.i >= len(r.b) {
		return r.fail(r.i, "unexpected end of input, want a value")
	}
	switch c := r.b[r.i]; {
	case c == '"':
		_, err := r.str()
		return err
	case c == '{':
		return r.object(depth+1, nil, nil, nil)
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
	return r.fail(r.i, "invalid character, want a value")
}

func (r *reader) literal(lit string) *Error {
	if len(r.b)-r.i < len(lit) || string(r.b[r.i:r.i+len(lit)]) != lit {
		return r.fail(r.i, "invalid literal, want "+lit)
	}
	r.i += len(lit)
	return nil
}

func (r *reader) digits() int {
	n := 0
	for r.i < len(r.b) && '0' <= r.b[r.i] && r.b[r.i] <= '9' {
		r.i++
		n++
	}
	return n
}

// number reads -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?.
func (r *reader) number() *Error {
	if r.b[r.i] == '-' {
		r.i++
	}
	if r.i >= len(r.b) {
		return r.fail(r.i, "unexpected end of input in number")
	}
	switch c := r.b[r.i]; {
	case c == '0':
		r.i++
	case '1' <= c && c <= '9':
		r.digits()
	default:
		return r.fail(r.i, "invalid number")
	}
	if r.i < len(r.b) && r.b[r.i] == '.' {
		r.i++
		if r.digits() == 0 {
			return r.fail(r.i, "invalid number: no digit after the decimal point")
		}
	}
	if r.i < len(r.b) && (r.b[r.i] == 'e' || r.b[r.i] == 'E') {
		r.i++
		if r.i < len(r.b) && (r.b[r.i] == '+' || r.b[r.i] == '-') {
			r.i++
		}
		if r.digits() == 0 {
			return r.fail(r.i, "invalid number: no digit in the exponent")
		}
	}
	return nil
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

// str reads a string starting at r.i (on its opening quote) and reports
// whether it holds escapes.
func (r *reader) str() (escaped bool, err *Error) {
	b := r.b
	i := r.i + 1
	for i < len(b) {
		c := b[i]
		if plainByte[c] != 0 {
			i++
			continue
		}
		switch {
		case c == '"':
			r.i = i + 1
			return escaped, nil
		case c == '\\':
			escaped = true
			if i+1 >= len(b) {
				return escaped, r.fail(i, "unexpected end of input in escape")
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				cp, ok := hex4(b, i+2)
				if !ok {
					return escaped, r.fail(i, `invalid \u escape`)
				}
				switch {
				case utf16.IsSurrogate(cp) && cp < 0xDC00:
					// A high surrogate must be followed by an escaped low one.
					lo, ok := rune(0), false
					if i+7 < len(b) && b[i+6] == '\\' && b[i+7] == 'u' {
						lo, ok = hex4(b, i+8)
					}
					if !ok || lo < 0xDC00 || lo > 0xDFFF {
						return escaped, r.fail(i, `lone surrogate in \u escape`)
					}
					i += 12
				case utf16.IsSurrogate(cp):
					return escaped, r.fail(i, `lone surrogate in \u escape`)
				default:
					i += 6
				}
			default:
				return escaped, r.fail(i, "invalid escape")
			}
		case c < 0x20:
			return escaped, r.fail(i, "control character in string")
		default:
			cp, size := utf8.DecodeRune(b[i:])
			if cp == utf8.RuneError && size == 1 {
				return escaped, r.fail(i, "invalid UTF-8 in string")
			}
			i += size
		}
	}
	return escaped, r.fail(i, "unterminated string")
}

// array reads an array starting at r.i, at nesting depth depth.
func (r *reader) array(depth int) *Error {
	if depth > maxDepth {
		return r.fail(r.i, "nested too deeply")
	}
	r.i++ // '['
	r.ws()
	if r.i < len(r.b) && r.b[r.i] == ']' {
		r.i++
		return nil
	}
	for {
		if err := r.value(depth); err != nil {
			return err
		}
		r.ws()
		if r.i >= len(r.b) {
			return r.fail(r.i, "unexpected end of input in array")
		}
		switch r.b[r.i] {
		case ',':
			r.i++
			r.ws()
		case ']':
			r.i++
			return nil
		default:
			return r.fail(r.i, "want , or ] in array")
		}
	}
}

// object reads an object starting at r.i, at nesting depth depth. With a
// lookup, each key it maps to an index is recorded in slots[index], and the
// first key it does not map in unknown.
func (r *reader) object(depth int, lookup func([]byte) int, slots []slot, unknown *keyRef) *Error {
	if depth > maxDepth {
		return r.fail(r.i, "nested too deeply")
	}
	r.i++ // '{'
	r.ws()
	if r.i < len(r.b) && r.b[r.i] == '}' {
		r.i++
		return nil
	}
	for {
		if r.i >= len(r.b) || r.b[r.i] != '"' {
			return r.fail(r.i, "want a string key in object")
		}
		keyStart := r.i
		escaped, err := r.str()
		if err != nil {
			return err
		}
		keyEnd := r.i
		r.ws()
		if r.i >= len(r.b) || r.b[r.i] != ':' {
			return r.fail(r.i, "want : after object key")
		}
		r.i++
		r.ws()
		valStart := r.i
		if err := r.value(depth); err != nil {
			return err
		}
		if lookup != nil {
			key := r.b[keyStart+1 : keyEnd-1]
			if escaped {
				key = unescape(key)
			}
			if idx := lookup(key); idx >= 0 && idx < len(slots) {
				s := &slots[idx]
				if s.n == 0 {
					s.key, s.start, s.end = keyStart, valStart, r.i
				}
				s.n++
			} else if unknown != nil && !unknown.set {
				*unknown = keyRef{start: keyStart, end: keyEnd, set: true}
			}
		}
		r.ws()
		if r.i >= len(r.b) {
			return r.fail(r.i, "unexpected end of input in object")
		}
		switch r.b[r.i] {
		case ',':
			r.i++
			r.ws()
		case '}':
			r.i++
			return nil
		default:
			return r.fail(r.i, "want , or } in object")
		}
	}
}

// unescape decodes the body of a JSON string (without its quotes) that the
// reader has already validated. It returns raw itself when there is nothing
// to decode, and never reads past raw whatever it holds.
func unescape(raw []byte) []byte {
	i := bytes.IndexByte(raw, '\\')
	if i < 0 {
		return raw
	}
	out := make([]byte, i, len(raw))
	copy(out, raw[:i])
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

// jsonKindName names the JSON type of the value starting with byte c.
func jsonKindName(c byte) string {
	switch c {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

// withArticle puts "a" or "an" before a JSON type name, except null.
func withArticle(name string) string {
	switch name {
	case "null":
		return name
	case "array", "object":
		return "an " + name
	}
	return "a " + name
}
