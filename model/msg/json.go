package msg

import "qrlab/model/wire"

// Decode reads messages with the strict JSON reader of package wire. It
// validates a whole document against RFC 8259 (valid UTF-8, no lone
// surrogate escapes, no trailing data, no byte order mark, nesting at most
// wire.MaxDepth) in one pass, and records where the values of wanted keys
// lie, without building maps or reflecting. Keys match exactly:
// encoding/json would fold "Type" onto "type", which a Matrix client does
// not. A caller then reads the recorded values it needs.

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

// notJSON turns a fault of the reader into this package's error.
func notJSON(f wire.Fault) *Error {
	return &Error{Kind: KindNotJSON, Offset: f.Offset, Detail: f.Detail}
}

// readObject reads the object starting at r.I, at nesting depth depth. Each
// key lookup maps to an index is recorded in slots[index], and the first
// key it does not map in unknown.
func readObject(r *wire.Reader, depth int, lookup func([]byte) int, slots []slot, unknown *keyRef) *Error {
	empty, f := r.OpenObject(depth)
	if !f.OK() {
		return notJSON(f)
	}
	if empty {
		return nil
	}
	for {
		keyStart := r.I
		raw, escaped, f := r.Key()
		if !f.OK() {
			return notJSON(f)
		}
		valStart := r.I
		if f := r.Value(depth); !f.OK() {
			return notJSON(f)
		}
		key := raw
		if escaped {
			key = wire.Unescape(key)
		}
		if idx := lookup(key); idx >= 0 && idx < len(slots) {
			s := &slots[idx]
			if s.n == 0 {
				s.key, s.start, s.end = keyStart, valStart, r.I
			}
			s.n++
		} else if !unknown.set {
			*unknown = keyRef{start: keyStart, end: keyStart + len(raw) + 2, set: true}
		}
		more, f := r.NextMember()
		if !f.OK() {
			return notJSON(f)
		}
		if !more {
			return nil
		}
	}
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
