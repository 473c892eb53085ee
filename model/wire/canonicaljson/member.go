package canonicaljson

import (
	"strings"
	"unsafe"
)

// TopString reads doc as Parse does and returns the string member key of
// its top-level object: ok is false when Parse would refuse doc, when doc
// is not an object, or when the member is missing or not a string. It
// checks everything Parse checks (syntax, UTF-8, escapes, duplicate keys
// at every level, integers only and in range, nesting) but builds no tree:
// a monitor that only wants a message's "type" pays for no allocation but
// the returned string. TestTopStringAgrees and FuzzTopString hold it to
// Parse followed by Get.
func TopString(doc []byte, key string) (s string, ok bool) {
	// The document is read through a string that shares doc's bytes: the
	// keys and strings compared below live only during the call, and the
	// member returned is a copy.
	p := parser{b: doc, s: unsafe.String(unsafe.SliceData(doc), len(doc))}
	p.ws()
	if p.i >= len(p.b) {
		return "", false
	}
	isObj := p.b[p.i] == '{'
	found, err := p.skim(0, key, &s)
	if err != nil {
		return "", false
	}
	p.ws()
	if p.i != len(p.b) || !isObj || !found {
		return "", false
	}
	return strings.Clone(s), true
}

// skim reads one value as value does, without keeping it. When want is
// not nil the value is the top-level one: if it is an object whose member
// key is a string, *want is set to it and found is true.
func (p *parser) skim(depth int, key string, want *string) (found bool, err error) {
	if p.i >= len(p.b) {
		return false, p.fail(ErrSyntax, "unexpected end")
	}
	switch c := p.b[p.i]; {
	case c == '{':
		return p.skimObject(depth+1, key, want)
	case c == '[':
		return false, p.skimArray(depth + 1)
	case c == '"':
		_, err := p.str()
		return false, err
	case c == 't':
		return false, p.lit("true")
	case c == 'f':
		return false, p.lit("false")
	case c == 'n':
		return false, p.lit("null")
	case c == '-' || '0' <= c && c <= '9':
		_, err := p.number()
		return false, err
	}
	return false, p.fail(ErrSyntax, "unexpected byte")
}

// skimObject is object without the tree: the keys are kept only to find
// a duplicate.
func (p *parser) skimObject(depth int, key string, want *string) (found bool, err error) {
	if depth > MaxDepth {
		return false, p.fail(ErrDepth, "object")
	}
	p.i++ // {
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == '}' {
		p.i++
		return false, nil
	}
	var seen [16]string
	keys := seen[:0]
	for {
		p.ws()
		if p.i >= len(p.b) || p.b[p.i] != '"' {
			return false, p.fail(ErrSyntax, "expected a key")
		}
		k, err := p.str()
		if err != nil {
			return false, err
		}
		for _, o := range keys {
			if o == k {
				return false, p.fail(ErrDuplicateKey, "key")
			}
		}
		keys = append(keys, k)
		p.ws()
		if p.i >= len(p.b) || p.b[p.i] != ':' {
			return false, p.fail(ErrSyntax, "expected ':'")
		}
		p.i++
		p.ws()
		if want != nil && k == key && p.i < len(p.b) && p.b[p.i] == '"' {
			s, err := p.str()
			if err != nil {
				return false, err
			}
			*want, found = s, true
		} else if _, err := p.skim(depth, "", nil); err != nil {
			return false, err
		}
		p.ws()
		if p.i >= len(p.b) {
			return false, p.fail(ErrSyntax, "unterminated object")
		}
		switch p.b[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			return found, nil
		default:
			return false, p.fail(ErrSyntax, "expected ',' or '}'")
		}
	}
}

// skimArray is array without the tree.
func (p *parser) skimArray(depth int) error {
	if depth > MaxDepth {
		return p.fail(ErrDepth, "array")
	}
	p.i++ // [
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == ']' {
		p.i++
		return nil
	}
	for {
		p.ws()
		if _, err := p.skim(depth, "", nil); err != nil {
			return err
		}
		p.ws()
		if p.i >= len(p.b) {
			return p.fail(ErrSyntax, "unterminated array")
		}
		switch p.b[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			return nil
		default:
			return p.fail(ErrSyntax, "expected ',' or ']'")
		}
	}
}
