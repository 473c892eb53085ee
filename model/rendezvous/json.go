package rendezvous

import (
	"errors"
	"strconv"
	"unicode/utf8"
)

// A small, strict JSON reader for request bodies. It validates the whole
// document (RFC 8259: no trailing garbage, no lone surrogates, valid UTF-8,
// nesting depth at most 128) and picks out the string values of at most two
// top-level keys, without building a map or reflecting. It exists because
// the simulator pushes millions of requests through the store and
// encoding/json costs several allocations per body.

// jsonKind is the JSON type of a value.
type jsonKind uint8

const (
	jsonAbsent jsonKind = iota
	jsonString
	jsonNumber
	jsonObject
	jsonArray
	jsonBool
	jsonNull
)

// jsonField is what the reader found under one wanted key.
type jsonField struct {
	kind jsonKind
	// str is the decoded string (kind == jsonString). It aliases the body
	// when the string had no escapes (owned false).
	str   []byte
	owned bool
}

var (
	errJSONSyntax    = errors.New("invalid JSON")
	errJSONDepth     = errors.New("JSON nested too deeply")
	errJSONDuplicate = errors.New("duplicate key in JSON object")
	errJSONNotObject = errors.New("JSON body is not an object")
)

const jsonMaxDepth = 128

type jsonReader struct {
	b   []byte
	i   int
	dup bool // reject duplicate wanted keys
}

// parseJSONObject reads body as one JSON document. If it is an object, the
// values of keys k1 and k2 are reported in f1 and f2 (the last occurrence
// wins unless rejectDup). A document that is valid JSON but not an object
// returns errJSONNotObject.
func parseJSONObject(body []byte, k1, k2 string, f1, f2 *jsonField, rejectDup bool) error {
	r := jsonReader{b: body, dup: rejectDup}
	r.ws()
	if r.i >= len(r.b) {
		return errJSONSyntax
	}
	var err error
	isObj := r.b[r.i] == '{'
	if isObj {
		err = r.object(0, k1, k2, f1, f2)
	} else {
		err = r.value(0)
	}
	if err != nil {
		return err
	}
	r.ws()
	if r.i != len(r.b) {
		return errJSONSyntax
	}
	if !isObj {
		return errJSONNotObject
	}
	return nil
}

func (r *jsonReader) ws() {
	for r.i < len(r.b) {
		switch r.b[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

// object reads an object; at depth 0 it reports the wanted keys.
func (r *jsonReader) object(depth int, k1, k2 string, f1, f2 *jsonField) error {
	if depth >= jsonMaxDepth {
		return errJSONDepth
	}
	r.i++ // '{'
	r.ws()
	if r.i < len(r.b) && r.b[r.i] == '}' {
		r.i++
		return nil
	}
	var keybuf [32]byte
	for {
		r.ws()
		if r.i >= len(r.b) || r.b[r.i] != '"' {
			return errJSONSyntax
		}
		key, _, err := r.str(keybuf[:0])
		if err != nil {
			return err
		}
		r.ws()
		if r.i >= len(r.b) || r.b[r.i] != ':' {
			return errJSONSyntax
		}
		r.i++
		r.ws()
		var want *jsonField
		if f1 != nil && string(key) == k1 {
			want = f1
		} else if f2 != nil && string(key) == k2 {
			want = f2
		}
		if want != nil {
			if r.dup && want.kind != jsonAbsent {
				return errJSONDuplicate
			}
			if r.i < len(r.b) && r.b[r.i] == '"' {
				s, owned, err := r.str(nil)
				if err != nil {
					return err
				}
				*want = jsonField{kind: jsonString, str: s, owned: owned}
			} else {
				k, err := r.kindOf()
				if err != nil {
					return err
				}
				if err := r.value(depth + 1); err != nil {
					return err
				}
				*want = jsonField{kind: k}
			}
		} else if err := r.value(depth + 1); err != nil {
			return err
		}
		r.ws()
		if r.i >= len(r.b) {
			return errJSONSyntax
		}
		switch r.b[r.i] {
		case ',':
			r.i++
		case '}':
			r.i++
			return nil
		default:
			return errJSONSyntax
		}
	}
}

// kindOf peeks at the type of the value at r.i.
func (r *jsonReader) kindOf() (jsonKind, error) {
	if r.i >= len(r.b) {
		return 0, errJSONSyntax
	}
	switch c := r.b[r.i]; {
	case c == '"':
		return jsonString, nil
	case c == '{':
		return jsonObject, nil
	case c == '[':
		return jsonArray, nil
	case c == 't' || c == 'f':
		return jsonBool, nil
	case c == 'n':
		return jsonNull, nil
	case c == '-' || (c >= '0' && c <= '9'):
		return jsonNumber, nil
	}
	return 0, errJSONSyntax
}

// value skips one value, validating it.
func (r *jsonReader) value(depth int) error {
	if depth > jsonMaxDepth {
		return errJSONDepth
	}
	if r.i >= len(r.b) {
		return errJSONSyntax
	}
	switch c := r.b[r.i]; {
	case c == '"':
		_, _, err := r.str(nil)
		return err
	case c == '{':
		return r.object(depth, "", "", nil, nil)
	case c == '[':
		if depth >= jsonMaxDepth {
			return errJSONDepth
		}
		r.i++
		r.ws()
		if r.i < len(r.b) && r.b[r.i] == ']' {
			r.i++
			return nil
		}
		for {
			r.ws()
			if err := r.value(depth + 1); err != nil {
				return err
			}
			r.ws()
			if r.i >= len(r.b) {
				return errJSONSyntax
			}
			switch r.b[r.i] {
			case ',':
				r.i++
			case ']':
				r.i++
				return nil
			default:
				return errJSONSyntax
			}
		}
	case c == 't':
		return r.lit("true")
	case c == 'f':
		return r.lit("false")
	case c == 'n':
		return r.lit("null")
	case c == '-' || (c >= '0' && c <= '9'):
		return r.number()
	}
	return errJSONSyntax
}

func (r *jsonReader) lit(s string) error {
	if len(r.b)-r.i < len(s) || string(r.b[r.i:r.i+len(s)]) != s {
		return errJSONSyntax
	}
	r.i += len(s)
	return nil
}

func (r *jsonReader) digits() int {
	n := 0
	for r.i < len(r.b) && r.b[r.i] >= '0' && r.b[r.i] <= '9' {
		r.i++
		n++
	}
	return n
}

func (r *jsonReader) number() error {
	if r.b[r.i] == '-' {
		r.i++
	}
	if r.i >= len(r.b) {
		return errJSONSyntax
	}
	if r.b[r.i] == '0' {
		r.i++
	} else if r.digits() == 0 {
		return errJSONSyntax
	}
	if r.i < len(r.b) && r.b[r.i] == '.' {
		r.i++
		if r.digits() == 0 {
			return errJSONSyntax
		}
	}
	if r.i < len(r.b) && (r.b[r.i] == 'e' || r.b[r.i] == 'E') {
		r.i++
		if r.i < len(r.b) && (r.b[r.i] == '+' || r.b[r.i] == '-') {
			r.i++
		}
		if r.digits() == 0 {
			return errJSONSyntax
		}
	}
	return nil
}

func hexval(c byte) rune {
	switch {
	case c >= '0' && c <= '9':
		return rune(c - '0')
	case c >= 'a' && c <= 'f':
		return rune(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return rune(c-'A') + 10
	}
	return -1
}

func (r *jsonReader) hex4() (rune, bool) {
	if len(r.b)-r.i < 4 {
		return 0, false
	}
	var v rune
	for k := 0; k < 4; k++ {
		h := hexval(r.b[r.i+k])
		if h < 0 {
			return 0, false
		}
		v = v<<4 | h
	}
	r.i += 4
	return v, true
}

// str reads a string at r.i (which is '"'). It returns the decoded bytes:
// a slice of the body when there were no escapes (owned false), else bytes
// appended to dst (or a new buffer when dst is nil; owned true).
func (r *jsonReader) str(dst []byte) ([]byte, bool, error) {
	r.i++ // opening quote
	start := r.i
	// Fast path: no escapes.
	for r.i < len(r.b) {
		c := r.b[r.i]
		if c == '"' {
			s := r.b[start:r.i]
			r.i++
			return s, false, nil
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return nil, false, errJSONSyntax
		}
		if c < utf8.RuneSelf {
			r.i++
			continue
		}
		ch, size := utf8.DecodeRune(r.b[r.i:])
		if ch == utf8.RuneError && size <= 1 {
			return nil, false, errJSONSyntax
		}
		r.i += size
	}
	if r.i >= len(r.b) {
		return nil, false, errJSONSyntax
	}
	// Slow path: decode escapes into a buffer.
	out := dst
	if out == nil {
		out = make([]byte, 0, r.i-start+16)
	}
	out = append(out, r.b[start:r.i]...)
	for r.i < len(r.b) {
		c := r.b[r.i]
		switch {
		case c == '"':
			r.i++
			return out, true, nil
		case c == '\\':
			r.i++
			if r.i >= len(r.b) {
				return nil, false, errJSONSyntax
			}
			e := r.b[r.i]
			r.i++
			switch e {
			case '"', '\\', '/':
				out = append(out, e)
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
				v, ok := r.hex4()
				if !ok {
					return nil, false, errJSONSyntax
				}
				if v >= 0xd800 && v < 0xdc00 {
					// A high surrogate must be followed by an escaped low one.
					if len(r.b)-r.i < 6 || r.b[r.i] != '\\' || r.b[r.i+1] != 'u' {
						return nil, false, errJSONSyntax
					}
					r.i += 2
					lo, ok := r.hex4()
					if !ok || lo < 0xdc00 || lo >= 0xe000 {
						return nil, false, errJSONSyntax
					}
					v = 0x10000 + (v-0xd800)<<10 + (lo - 0xdc00)
				} else if v >= 0xdc00 && v < 0xe000 {
					return nil, false, errJSONSyntax
				}
				out = utf8.AppendRune(out, v)
			default:
				return nil, false, errJSONSyntax
			}
		case c < 0x20:
			return nil, false, errJSONSyntax
		case c < utf8.RuneSelf:
			out = append(out, c)
			r.i++
		default:
			ch, size := utf8.DecodeRune(r.b[r.i:])
			if ch == utf8.RuneError && size <= 1 {
				return nil, false, errJSONSyntax
			}
			out = append(out, r.b[r.i:r.i+size]...)
			r.i += size
		}
	}
	return nil, false, errJSONSyntax
}

// appendJSONString appends s as a JSON string. s must be valid UTF-8 (the
// store only writes strings it decoded from JSON or made itself).
func appendJSONString(dst []byte, s []byte) []byte {
	const hexdigits = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexdigits[c>>4], hexdigits[c&0xf])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// appendJSONStr appends a string the store made itself (an ID, a token, an
// error message) as a JSON string, escaping quotes, backslashes and control
// characters.
func appendJSONStr(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		dst = append(dst, '\\')
		switch c {
		case '"', '\\':
			dst = append(dst, c)
		default:
			dst = append(dst, 'u', '0', '0', "0123456789abcdef"[c>>4], "0123456789abcdef"[c&0xf])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// appendInt appends a decimal integer.
func appendInt(dst []byte, v int64) []byte { return strconv.AppendInt(dst, v, 10) }
