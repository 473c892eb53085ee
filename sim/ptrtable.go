package sim

import "unsafe"

// ptrTable maps pairs of words (an address and a plan, or an address and
// nothing) to a pointer or a number, by open addressing, for the copier's
// memo and the encoder's back references: both are cleared at every
// snapshot, restore and encoding, often many times each, and a map's
// hashing and clearing were a tenth of an explorer transition. reset
// clears it at once by moving to a new generation: a slot of an older
// generation is empty (its pointer is held until written over, at most
// the table's size of them).
type ptrTable struct {
	slots []ptrSlot
	gen   uint32
	n     int
}

type ptrSlot struct {
	a, b uintptr
	p    unsafe.Pointer
	v    uint32
	gen  uint32
}

// reset empties the table.
func (t *ptrTable) reset() {
	t.gen++
	t.n = 0
	if t.gen == 0 {
		clear(t.slots)
		t.gen = 1
	}
	if t.slots == nil {
		t.slots = make([]ptrSlot, 64)
	}
}

// len is the number of keys.
func (t *ptrTable) len() int { return t.n }

// slot is where key (a, b) is, or the empty slot its probe ends on.
func (t *ptrTable) slot(a, b uintptr) *ptrSlot {
	mask := uintptr(len(t.slots) - 1)
	h := (a ^ b*0x9e3779b97f4a7c15) * 0xbf58476d1ce4e5b9
	i := (h ^ h>>29) & mask
	for {
		s := &t.slots[i]
		if s.gen != t.gen || s.a == a && s.b == b {
			return s
		}
		i = (i + 1) & mask
	}
}

// get returns key (a, b)'s pointer and number.
func (t *ptrTable) get(a, b uintptr) (unsafe.Pointer, uint32, bool) {
	if len(t.slots) == 0 {
		return nil, 0, false
	}
	s := t.slot(a, b)
	if s.gen != t.gen {
		return nil, 0, false
	}
	return s.p, s.v, true
}

// put sets key (a, b) to p and v.
func (t *ptrTable) put(a, b uintptr, p unsafe.Pointer, v uint32) { t.insert(a, b, p, v) }

// insert sets key (a, b) to p and v, and reports whether the key was
// there before (one probe for both).
func (t *ptrTable) insert(a, b uintptr, p unsafe.Pointer, v uint32) bool {
	if (t.n+1)*4 > len(t.slots)*3 {
		t.grow()
	}
	s := t.slot(a, b)
	had := s.gen == t.gen
	if !had {
		t.n++
	}
	*s = ptrSlot{a: a, b: b, p: p, v: v, gen: t.gen}
	return had
}

func (t *ptrTable) grow() {
	old, gen := t.slots, t.gen
	t.slots = make([]ptrSlot, max(64, 2*len(old)))
	t.n = 0
	for i := range old {
		if s := &old[i]; s.gen == gen {
			t.put(s.a, s.b, s.p, s.v)
		}
	}
}
