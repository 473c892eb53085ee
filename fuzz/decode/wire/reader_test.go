package wire

import (
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"qrlab/model/wire"
)

// FuzzReader reads the input as one JSON document with wire.Reader and with
// ref, a validator written from the RFC 8259 grammar alone (plus the
// reader's stated limits: valid UTF-8, no lone surrogate escapes, at most
// wire.MaxDepth nested containers). They must agree on whether it is JSON;
// a refusal's offset lies within the input; and when the document is a
// string, wire.Unescape of its body gives what ref decoded.
func FuzzReader(f *testing.F) {
	for _, s := range []string{`{"a":[1,"b\u00e9",{"c":null}]}`, `"\ud83d\ude00"`, `-0.5e+7`, `[`, "\"\xff\"",
		`"a\/b\n\"c"`, ` [true, false, null, -0, 1E9] `, `"\udc00"`, `{"a" 1}`, `01`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r := wire.Reader{B: b}
		r.Space()
		fault := r.Value(0)
		if fault.OK() {
			r.Space()
			if r.I != len(b) {
				fault = wire.Fault{Offset: r.I, Detail: "data after the value"}
			}
		}
		p := ref{b: b}
		want := p.document()
		if fault.OK() != want {
			t.Fatalf("reader says %v, the grammar says valid=%v, for %q", fault, want, b)
		}
		if !fault.OK() && (fault.Offset < 0 || fault.Offset > len(b)) {
			t.Fatalf("fault %v outside the %d-byte input", fault, len(b))
		}
		if want && p.str != nil {
			body := b[p.strStart+1 : p.strEnd-1]
			if got := wire.Unescape(body); string(got) != string(p.str) {
				t.Fatalf("Unescape(%s) = %q, the grammar decodes %q", body, got, p.str)
			}
		}
	})
}

// ref is the reference validator: one function per grammar rule, no
// tables, no shortcuts. When the document is a single string it keeps the
// string's decoded value and where it lies.
type ref struct {
	b                []byte
	i                int
	str              []byte
	strStart, strEnd int
}

func (p *ref) document() bool {
	p.ws()
	top := p.i
	if !p.value(0) {
		return false
	}
	if p.b[top] != '"' {
		p.str = nil
	}
	p.ws()
	return p.i == len(p.b)
}

func (p *ref) ws() {
	for p.i < len(p.b) && (p.b[p.i] == ' ' || p.b[p.i] == '\t' || p.b[p.i] == '\n' || p.b[p.i] == '\r') {
		p.i++
	}
}

func (p *ref) eat(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *ref) value(depth int) bool {
	if p.i >= len(p.b) {
		return false
	}
	switch c := p.b[p.i]; {
	case c == '{':
		return p.object(depth + 1)
	case c == '[':
		return p.array(depth + 1)
	case c == '"':
		return p.string()
	case c == 't':
		return p.word("true")
	case c == 'f':
		return p.word("false")
	case c == 'n':
		return p.word("null")
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	}
	return false
}

func (p *ref) word(w string) bool {
	if len(p.b)-p.i < len(w) || string(p.b[p.i:p.i+len(w)]) != w {
		return false
	}
	p.i += len(w)
	return true
}

func (p *ref) object(depth int) bool {
	if depth > wire.MaxDepth {
		return false
	}
	p.i++ // '{'
	p.ws()
	if p.eat('}') {
		return true
	}
	for {
		p.ws()
		if p.i >= len(p.b) || p.b[p.i] != '"' || !p.string() {
			return false
		}
		p.ws()
		if !p.eat(':') {
			return false
		}
		p.ws()
		if !p.value(depth) {
			return false
		}
		p.ws()
		if p.eat('}') {
			return true
		}
		if !p.eat(',') {
			return false
		}
	}
}

func (p *ref) array(depth int) bool {
	if depth > wire.MaxDepth {
		return false
	}
	p.i++ // '['
	p.ws()
	if p.eat(']') {
		return true
	}
	for {
		p.ws()
		if !p.value(depth) {
			return false
		}
		p.ws()
		if p.eat(']') {
			return true
		}
		if !p.eat(',') {
			return false
		}
	}
}

func (p *ref) digits() int {
	n := 0
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
		n++
	}
	return n
}

// number: '-'? ('0' | [1-9][0-9]*) ('.' [0-9]+)? ([eE] [+-]? [0-9]+)?
func (p *ref) number() bool {
	p.eat('-')
	if p.eat('0') {
		if p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
			return true // the number ends at the 0; what follows is not allowed
		}
	} else if p.digits() == 0 {
		return false
	}
	if p.eat('.') && p.digits() == 0 {
		return false
	}
	if p.eat('e') || p.eat('E') {
		if !p.eat('+') {
			p.eat('-')
		}
		if p.digits() == 0 {
			return false
		}
	}
	return true
}

// string decodes a string starting at its opening quote into p.str.
func (p *ref) string() bool {
	p.strStart = p.i
	p.i++ // '"'
	out := []byte{}
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			p.str, p.strEnd = out, p.i
			return true
		case c < 0x20:
			return false
		case c == '\\':
			if p.i+1 >= len(p.b) {
				return false
			}
			e := p.b[p.i+1]
			p.i += 2
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
				r, ok := p.hex4()
				if !ok {
					return false
				}
				if utf16.IsSurrogate(r) {
					if r >= 0xDC00 || !p.eat('\\') || !p.eat('u') {
						return false
					}
					lo, ok := p.hex4()
					if !ok || lo < 0xDC00 || lo > 0xDFFF {
						return false
					}
					r = utf16.DecodeRune(r, lo)
				}
				out = utf8.AppendRune(out, r)
			default:
				return false
			}
		default:
			r, size := utf8.DecodeRune(p.b[p.i:])
			if r == utf8.RuneError && size == 1 {
				return false
			}
			out = append(out, p.b[p.i:p.i+size]...)
			p.i += size
		}
	}
	return false
}

func (p *ref) hex4() (rune, bool) {
	if len(p.b)-p.i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range p.b[p.i : p.i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	p.i += 4
	return r, true
}
