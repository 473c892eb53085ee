package rendezvous

import (
	"errors"
	"strconv"

	"qrlab/model/wire"
)

// Request bodies are read with the strict JSON reader of package wire. It
// validates the whole document (RFC 8259: no trailing garbage, no lone
// surrogates, valid UTF-8, nesting depth at most wire.MaxDepth) and
// parseJSONObject picks out the string values of at most two top-level
// keys, without building a map or reflecting. It exists because the
// simulator pushes millions of requests through the store and encoding/json
// costs several allocations per body.

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
	// truth is the value of a boolean (kind == jsonBool).
	truth bool
}

var (
	errJSONSyntax    = errors.New("invalid JSON")
	errJSONDepth     = errors.New("JSON nested too deeply")
	errJSONDuplicate = errors.New("duplicate key in JSON object")
	errJSONNotObject = errors.New("JSON body is not an object")
)

// jsonErr maps a fault of the reader to this package's errors (nil for
// none).
func jsonErr(f wire.Fault) error {
	if f.OK() {
		return nil
	}
	if f.TooDeep() {
		return errJSONDepth
	}
	return errJSONSyntax
}

// parseJSONObject reads body as one JSON document. If it is an object, the
// values of keys k1 and k2 are reported in f1 and f2 (the last occurrence
// wins unless rejectDup). A document that is valid JSON but not an object
// returns errJSONNotObject.
func parseJSONObject(body []byte, k1, k2 string, f1, f2 *jsonField, rejectDup bool) error {
	return parseJSONObjectMark(body, k1, k2, f1, f2, rejectDup, nil)
}

// parseJSONObjectMark is parseJSONObject; when mark is not nil, *mark is
// left at the offset just after the value of the last wanted key read
// (unchanged when there is none): where the reader's whole state is that
// offset and the two fields.
func parseJSONObjectMark(body []byte, k1, k2 string, f1, f2 *jsonField, rejectDup bool, mark *int) error {
	r := wire.Reader{B: body}
	r.Space()
	if r.I >= len(body) {
		return errJSONSyntax
	}
	isObj := body[r.I] == '{'
	if isObj {
		if err := readObject(&r, k1, k2, f1, f2, rejectDup, mark); err != nil {
			return err
		}
	} else if f := r.Value(0); !f.OK() {
		return jsonErr(f)
	}
	r.Space()
	if r.I != len(body) {
		return errJSONSyntax
	}
	if !isObj {
		return errJSONNotObject
	}
	return nil
}

// readObject reads the top-level object at r.I and reports the wanted keys.
// A wanted key seen twice is refused at once, before its second value is
// read, when rejectDup is set.
func readObject(r *wire.Reader, k1, k2 string, f1, f2 *jsonField, rejectDup bool, mark *int) error {
	empty, f := r.OpenObject(1)
	if !f.OK() || empty {
		return jsonErr(f)
	}
	return readMembers(r, k1, k2, f1, f2, rejectDup, mark)
}

// readMembers reads the top-level object's members from r.I (on a key, or
// the white space before it) to the object's end.
func readMembers(r *wire.Reader, k1, k2 string, f1, f2 *jsonField, rejectDup bool, mark *int) error {
	var keybuf [32]byte
	for {
		key, escaped, f := r.Key()
		if !f.OK() {
			return jsonErr(f)
		}
		if escaped {
			key = wire.AppendUnescaped(keybuf[:0], key)
		}
		var want *jsonField
		if f1 != nil && string(key) == k1 {
			want = f1
		} else if f2 != nil && string(key) == k2 {
			want = f2
		}
		if want != nil {
			if rejectDup && want.kind != jsonAbsent {
				return errJSONDuplicate
			}
			start := r.I
			if r.I < len(r.B) && r.B[r.I] == '"' {
				escaped, f := r.Str()
				if !f.OK() {
					return jsonErr(f)
				}
				s := r.B[start+1 : r.I-1]
				if escaped {
					s = wire.AppendUnescaped(make([]byte, 0, len(s)), s)
				}
				*want = jsonField{kind: jsonString, str: s, owned: escaped}
			} else {
				if f := r.Value(1); !f.OK() {
					return jsonErr(f)
				}
				*want = jsonField{kind: kindOf(r.B[start]), truth: r.B[start] == 't'}
			}
			if mark != nil {
				*mark = r.I
			}
		} else if f := r.Value(1); !f.OK() {
			return jsonErr(f)
		}
		more, f := r.NextMember()
		if !more {
			return jsonErr(f)
		}
	}
}

// kindOf gives the type of the valid JSON value starting with byte c.
func kindOf(c byte) jsonKind {
	switch c {
	case '"':
		return jsonString
	case '{':
		return jsonObject
	case '[':
		return jsonArray
	case 't', 'f':
		return jsonBool
	case 'n':
		return jsonNull
	}
	return jsonNumber
}

// appendInt appends a decimal integer.
func appendInt(dst []byte, v int64) []byte { return strconv.AppendInt(dst, v, 10) }
