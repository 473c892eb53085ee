// Package canonicaljson reads JSON strictly into a Value tree and writes it
// back in Matrix canonical JSON (the specification's appendix): object keys
// sorted by code point, no insignificant white space, integers only. The
// homeserver signs and verifies over it; the login machines read with Parse
// the JSON answers they check member by member.
//
// Like every package under model it is pure: no goroutines, no clock, no
// I/O, no package state.
package canonicaljson

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"qrlab/model/wire"
)

// Errors of the JSON reader, wrapped with the byte offset where they were
// found.
var (
	// ErrSyntax: not one well-formed JSON document (RFC 8259).
	ErrSyntax = errors.New("malformed JSON")
	// ErrUTF8: a string is not valid UTF-8, or escapes a lone surrogate.
	ErrUTF8 = errors.New("invalid UTF-8 in JSON")
	// ErrDuplicateKey: an object has the same key twice, which would
	// make the signed bytes ambiguous.
	ErrDuplicateKey = errors.New("duplicate key in JSON object")
	// ErrFloat: a number is not an integer.
	ErrFloat = errors.New("non-integer number in JSON")
	// ErrRange: an integer outside [-(2**53)+1, (2**53)-1].
	ErrRange = errors.New("integer out of the canonical JSON range")
	// ErrDepth: nesting deeper than MaxDepth.
	ErrDepth = errors.New("JSON nested too deeply")
)

// MaxDepth bounds the nesting of arrays and objects the reader accepts, as
// for every JSON reader of the models.
const MaxDepth = wire.MaxDepth

// maxSafeInt is (2**53)-1, the largest integer canonical JSON allows.
const maxSafeInt = 1<<53 - 1

// Kind is the type of a JSON value.
type Kind uint8

// The JSON value kinds. Numbers are integers only: canonical JSON has no
// floats.
const (
	Null Kind = iota
	Bool
	Int
	String
	Array
	Object
)

// Value is a parsed JSON value. Objects keep their members in input order;
// the canonical encoder sorts them.
type Value struct {
	Kind Kind
	Bool bool
	Int  int64
	Str  string
	Arr  []Value
	Obj  []Member
}

// Member is one key and value of an object.
type Member struct {
	Key   string
	Value Value
}

// Get returns the member named key of an object.
func (v *Value) Get(key string) (*Value, bool) {
	if v.Kind != Object {
		return nil, false
	}
	for i := range v.Obj {
		if v.Obj[i].Key == key {
			return &v.Obj[i].Value, true
		}
	}
	return nil, false
}

// Without returns a copy of an object without the named top-level members
// (the members themselves are shared).
func (v Value) Without(keys ...string) Value {
	if v.Kind != Object {
		return v
	}
	out := make([]Member, 0, len(v.Obj))
	for _, m := range v.Obj {
		if !slices.Contains(keys, m.Key) {
			out = append(out, m)
		}
	}
	v.Obj = out
	return v
}

// Set replaces or appends the member named key of an object.
func (v *Value) Set(key string, val Value) {
	for i := range v.Obj {
		if v.Obj[i].Key == key {
			v.Obj[i].Value = val
			return
		}
	}
	v.Obj = append(v.Obj, Member{key, val})
}

// StringValue makes a JSON string.
func StringValue(s string) Value { return Value{Kind: String, Str: s} }

// Parse reads exactly one JSON document strictly: valid UTF-8, no lone
// surrogate escapes, no duplicate keys, nesting at most MaxDepth, and only
// numbers whose value is an integer in the canonical range. A number written
// with a fraction or an exponent is accepted when its value is such an
// integer (the Matrix appendix canonicalises 1e10 to 10000000000 and -0 to
// 0); 1.5 is refused.
func Parse(b []byte) (Value, error) {
	p := parser{b: b, s: string(b)}
	p.ws()
	v, err := p.value(0)
	if err != nil {
		return Value{}, err
	}
	p.ws()
	if p.i != len(p.b) {
		return Value{}, p.fail(ErrSyntax, "data after the document")
	}
	return v, nil
}

type parser struct {
	b []byte
	i int
	// s is b as one string: a string without escapes is a substring of
	// it, one copy of the document instead of one allocation per string.
	s string
}

func (p *parser) fail(err error, what string) error {
	return fmt.Errorf("offset %d: %s: %w", p.i, what, err)
}

func (p *parser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *parser) value(depth int) (Value, error) {
	if p.i >= len(p.b) {
		return Value{}, p.fail(ErrSyntax, "unexpected end")
	}
	switch c := p.b[p.i]; {
	case c == '{':
		return p.object(depth + 1)
	case c == '[':
		return p.array(depth + 1)
	case c == '"':
		s, err := p.str()
		return Value{Kind: String, Str: s}, err
	case c == 't':
		return Value{Kind: Bool, Bool: true}, p.lit("true")
	case c == 'f':
		return Value{Kind: Bool}, p.lit("false")
	case c == 'n':
		return Value{Kind: Null}, p.lit("null")
	case c == '-' || '0' <= c && c <= '9':
		n, err := p.number()
		return Value{Kind: Int, Int: n}, err
	}
	return Value{}, p.fail(ErrSyntax, fmt.Sprintf("unexpected %q", p.b[p.i]))
}

func (p *parser) lit(s string) error {
	if len(p.b)-p.i < len(s) || string(p.b[p.i:p.i+len(s)]) != s {
		return p.fail(ErrSyntax, "bad literal")
	}
	p.i += len(s)
	return nil
}

func (p *parser) object(depth int) (Value, error) {
	if depth > MaxDepth {
		return Value{}, p.fail(ErrDepth, "object")
	}
	p.i++ // {
	v := Value{Kind: Object}
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == '}' {
		p.i++
		return v, nil
	}
	for {
		p.ws()
		if p.i >= len(p.b) || p.b[p.i] != '"' {
			return Value{}, p.fail(ErrSyntax, "expected a key")
		}
		at := p.i
		key, err := p.str()
		if err != nil {
			return Value{}, err
		}
		for _, m := range v.Obj {
			if m.Key == key {
				p.i = at
				return Value{}, p.fail(ErrDuplicateKey, fmt.Sprintf("key %q", key))
			}
		}
		p.ws()
		if p.i >= len(p.b) || p.b[p.i] != ':' {
			return Value{}, p.fail(ErrSyntax, "expected ':'")
		}
		p.i++
		p.ws()
		val, err := p.value(depth)
		if err != nil {
			return Value{}, err
		}
		if v.Obj == nil {
			// Most objects have a few members: one allocation for up to
			// four instead of growing through one, two and four.
			v.Obj = make([]Member, 0, 4)
		}
		v.Obj = append(v.Obj, Member{key, val})
		p.ws()
		if p.i >= len(p.b) {
			return Value{}, p.fail(ErrSyntax, "unterminated object")
		}
		switch p.b[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			return v, nil
		default:
			return Value{}, p.fail(ErrSyntax, "expected ',' or '}'")
		}
	}
}

func (p *parser) array(depth int) (Value, error) {
	if depth > MaxDepth {
		return Value{}, p.fail(ErrDepth, "array")
	}
	p.i++ // [
	v := Value{Kind: Array}
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == ']' {
		p.i++
		return v, nil
	}
	for {
		p.ws()
		val, err := p.value(depth)
		if err != nil {
			return Value{}, err
		}
		if v.Arr == nil {
			v.Arr = make([]Value, 0, 4)
		}
		v.Arr = append(v.Arr, val)
		p.ws()
		if p.i >= len(p.b) {
			return Value{}, p.fail(ErrSyntax, "unterminated array")
		}
		switch p.b[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			return v, nil
		default:
			return Value{}, p.fail(ErrSyntax, "expected ',' or ']'")
		}
	}
}

// number reads an RFC 8259 number and returns its value if it is an integer
// in the canonical range.
func (p *parser) number() (int64, error) {
	start := p.i
	neg := false
	if p.b[p.i] == '-' {
		neg = true
		p.i++
	}
	intStart := p.i
	if p.i >= len(p.b) || p.b[p.i] < '0' || p.b[p.i] > '9' {
		return 0, p.fail(ErrSyntax, "bad number")
	}
	if p.b[p.i] == '0' {
		p.i++
	} else {
		for p.i < len(p.b) && '0' <= p.b[p.i] && p.b[p.i] <= '9' {
			p.i++
		}
	}
	intDigits := p.b[intStart:p.i]
	var frac []byte
	if p.i < len(p.b) && p.b[p.i] == '.' {
		p.i++
		fs := p.i
		for p.i < len(p.b) && '0' <= p.b[p.i] && p.b[p.i] <= '9' {
			p.i++
		}
		if p.i == fs {
			return 0, p.fail(ErrSyntax, "bad fraction")
		}
		frac = p.b[fs:p.i]
	}
	exp := 0
	if p.i < len(p.b) && (p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		p.i++
		eneg := false
		if p.i < len(p.b) && (p.b[p.i] == '+' || p.b[p.i] == '-') {
			eneg = p.b[p.i] == '-'
			p.i++
		}
		es := p.i
		for p.i < len(p.b) && '0' <= p.b[p.i] && p.b[p.i] <= '9' {
			if exp < 1_000_000 {
				exp = exp*10 + int(p.b[p.i]-'0')
			}
			p.i++
		}
		if p.i == es {
			return 0, p.fail(ErrSyntax, "bad exponent")
		}
		if eneg {
			exp = -exp
		}
	}
	// value = digits * 10^scale, digits = intDigits || frac.
	digits := make([]byte, 0, len(intDigits)+len(frac))
	digits = append(digits, intDigits...)
	digits = append(digits, frac...)
	scale := exp - len(frac)
	for len(digits) > 0 && digits[0] == '0' {
		digits = digits[1:]
	}
	if len(digits) == 0 {
		return 0, nil // any spelling of zero, -0 included
	}
	for scale < 0 && digits[len(digits)-1] == '0' {
		digits = digits[:len(digits)-1]
		scale++
	}
	if scale < 0 {
		return 0, fmt.Errorf("offset %d: number %s: %w", start, p.b[start:p.i], ErrFloat)
	}
	if len(digits)+scale > 16 {
		return 0, fmt.Errorf("offset %d: number %s: %w", start, p.b[start:p.i], ErrRange)
	}
	var n int64
	for _, d := range digits {
		n = n*10 + int64(d-'0')
	}
	for range scale {
		n *= 10
	}
	if n > maxSafeInt {
		return 0, fmt.Errorf("offset %d: number %s: %w", start, p.b[start:p.i], ErrRange)
	}
	if neg {
		n = -n
	}
	return n, nil
}

// str reads a JSON string, decoding escapes.
func (p *parser) str() (string, error) {
	p.i++ // opening quote
	start := p.i
	// Fast path: no escapes. Plain ASCII is skipped a word at a time; the
	// UTF-8 check is needed only when a byte of 0x80 or above was seen.
	ascii := true
	for {
		if p.i = wire.SkipPlain(p.b, p.i); p.i >= len(p.b) {
			break
		}
		c := p.b[p.i]
		if c == '"' {
			raw := p.s[start:p.i]
			if !ascii && !utf8.ValidString(raw) {
				return "", p.fail(ErrUTF8, "string")
			}
			p.i++
			return raw, nil
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return "", p.fail(ErrSyntax, "control character in string")
		}
		ascii = false
		p.i++
	}
	var out strings.Builder
	out.Write(p.b[start:p.i])
	for {
		if p.i >= len(p.b) {
			return "", p.fail(ErrSyntax, "unterminated string")
		}
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			s := out.String()
			if !utf8.ValidString(s) {
				return "", p.fail(ErrUTF8, "string")
			}
			return s, nil
		case c < 0x20:
			return "", p.fail(ErrSyntax, "control character in string")
		case c != '\\':
			out.WriteByte(c)
			p.i++
			continue
		}
		p.i++
		if p.i >= len(p.b) {
			return "", p.fail(ErrSyntax, "unterminated escape")
		}
		e := p.b[p.i]
		p.i++
		switch e {
		case '"', '\\', '/':
			out.WriteByte(e)
		case 'b':
			out.WriteByte('\b')
		case 'f':
			out.WriteByte('\f')
		case 'n':
			out.WriteByte('\n')
		case 'r':
			out.WriteByte('\r')
		case 't':
			out.WriteByte('\t')
		case 'u':
			r, ok := p.hex4()
			if !ok {
				return "", p.fail(ErrSyntax, "bad \\u escape")
			}
			if utf16.IsSurrogate(r) {
				if r >= 0xdc00 || p.i+1 >= len(p.b) || p.b[p.i] != '\\' || p.b[p.i+1] != 'u' {
					return "", p.fail(ErrUTF8, "lone surrogate escape")
				}
				p.i += 2
				r2, ok := p.hex4()
				if !ok {
					return "", p.fail(ErrSyntax, "bad \\u escape")
				}
				r = utf16.DecodeRune(r, r2)
				if r == utf8.RuneError {
					return "", p.fail(ErrUTF8, "lone surrogate escape")
				}
			}
			out.WriteRune(r)
		default:
			return "", p.fail(ErrSyntax, fmt.Sprintf("bad escape \\%c", e))
		}
	}
}

func (p *parser) hex4() (rune, bool) {
	if len(p.b)-p.i < 4 {
		return 0, false
	}
	var r rune
	for k := 0; k < 4; k++ {
		c := p.b[p.i+k]
		var d rune
		switch {
		case '0' <= c && c <= '9':
			d = rune(c - '0')
		case 'a' <= c && c <= 'f':
			d = rune(c-'a') + 10
		case 'A' <= c && c <= 'F':
			d = rune(c-'A') + 10
		default:
			return 0, false
		}
		r = r<<4 | d
	}
	p.i += 4
	return r, true
}

// Append appends v in Matrix canonical JSON: object keys sorted by
// code point (which is the byte order of their UTF-8), no insignificant
// white space, strings as UTF-8 with only the escapes the grammar allows,
// integers without exponent or fraction.
func Append(dst []byte, v *Value) []byte {
	switch v.Kind {
	case Null:
		return append(dst, "null"...)
	case Bool:
		if v.Bool {
			return append(dst, "true"...)
		}
		return append(dst, "false"...)
	case Int:
		return appendInt(dst, v.Int)
	case String:
		return wire.AppendString(dst, v.Str)
	case Array:
		dst = append(dst, '[')
		for i := range v.Arr {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = Append(dst, &v.Arr[i])
		}
		return append(dst, ']')
	}
	dst = append(dst, '{')
	order := make([]int, len(v.Obj))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(v.Obj[a].Key, v.Obj[b].Key) })
	for n, i := range order {
		if n > 0 {
			dst = append(dst, ',')
		}
		dst = wire.AppendString(dst, v.Obj[i].Key)
		dst = append(dst, ':')
		dst = Append(dst, &v.Obj[i].Value)
	}
	return append(dst, '}')
}

// Reencode parses a JSON document and writes it again in Matrix canonical
// JSON.
func Reencode(doc []byte) ([]byte, error) {
	v, err := Parse(doc)
	if err != nil {
		return nil, err
	}
	return Append(nil, &v), nil
}

func appendInt(dst []byte, n int64) []byte {
	if n < 0 {
		dst = append(dst, '-')
		n = -n
	}
	var buf [20]byte
	i := len(buf)
	for {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return append(dst, buf[i:]...)
}
