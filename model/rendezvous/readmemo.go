package rendezvous

import (
	"bytes"
	"unsafe"

	"qrlab/model/wire"
)

// ReadMemo remembers how the last mailbox answer a client read began: a
// client polling a mailbox that has not changed gets the same payload and
// token again, and only the answer's tail (the store's expires_in_ms, which
// moves at every poll) differs. The reader's whole state after the last
// member it wants is the offset and what it found, so an answer that
// begins with the same bytes up to there is read from there on, with the
// same result as reading it all: it is a cache of a pure function of the
// bytes, and changes no result. A memo may serve every run of one client,
// and copies of a run's state may share it. Its zero value is ready to
// use; it is not safe for concurrent use.
type ReadMemo struct {
	ok     bool
	prefix []byte // a copy of the last answer up to the mark
	f1, f2 memoField
}

// memoField is a jsonField kept apart from the body it was read in: a
// string without escapes by its place in the body, others as they are.
type memoField struct {
	f      jsonField
	alias  bool
	off, n int
}

func keep(body []byte, f jsonField) memoField {
	if f.kind == jsonString && !f.owned {
		if off, ok := within(body, f.str); ok {
			return memoField{f: jsonField{kind: jsonString}, alias: true, off: off, n: len(f.str)}
		}
	}
	return memoField{f: f}
}

// on is the field as read in body, which begins like the one it was kept
// from.
func (m *memoField) on(body []byte) jsonField {
	f := m.f
	if m.alias {
		f.str = body[m.off : m.off+m.n : m.off+m.n]
	}
	return f
}

// parse is parseJSONObject(body, k1, k2, f1, f2, true), resumed at the
// memo's mark when body begins with its prefix. The memo holds one pair
// of keys: its caller always asks for the same two.
func (m *ReadMemo) parse(body []byte, k1, k2 string, f1, f2 *jsonField) error {
	if m == nil {
		return parseJSONObject(body, k1, k2, f1, f2, true)
	}
	if k := len(m.prefix); m.ok && len(body) >= k && bytes.Equal(body[:k], m.prefix) {
		*f1, *f2 = m.f1.on(body), m.f2.on(body)
		r := wire.Reader{B: body, I: k}
		more, f := r.NextMember()
		if !more {
			if err := jsonErr(f); err != nil {
				return err
			}
		} else if err := readMembers(&r, k1, k2, f1, f2, true, nil); err != nil {
			return err
		}
		if r.Space(); r.I != len(body) {
			return errJSONSyntax
		}
		return nil
	}
	mark := -1
	err := parseJSONObjectMark(body, k1, k2, f1, f2, true, &mark)
	m.ok = err == nil && mark >= 0
	if m.ok {
		m.prefix = append(m.prefix[:0], body[:mark]...)
		m.f1, m.f2 = keep(body, *f1), keep(body, *f2)
	}
	return err
}

// within reports whether s is a slice of b's array inside b, and where.
func within(b, s []byte) (int, bool) {
	if len(s) == 0 || len(b) < len(s) {
		return 0, false
	}
	d := uintptr(unsafe.Pointer(unsafe.SliceData(s))) - uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	if d > uintptr(len(b)-len(s)) {
		return 0, false
	}
	return int(d), true
}
