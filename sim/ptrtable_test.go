package sim

import (
	"testing"
	"unsafe"
)

// TestPtrTable: keys that differ in either word are apart, every key put
// is found with its values through the table's growth, a reset empties it
// (also when the generation wraps), and a key put again keeps one entry.
func TestPtrTable(t *testing.T) {
	var tb ptrTable
	vals := make([]int, 1000)
	for round := range 3 {
		tb.reset()
		if round == 2 {
			tb.gen = ^uint32(0) // the next reset wraps
			tb.reset()
		}
		if _, _, ok := tb.get(8, 0); ok {
			t.Fatalf("round %d: a key found after reset", round)
		}
		for i := range vals {
			tb.put(uintptr(8*i), uintptr(i%3), unsafe.Pointer(&vals[i]), uint32(i))
		}
		tb.put(0, 0, unsafe.Pointer(&vals[0]), 0)
		if tb.len() != len(vals) {
			t.Fatalf("round %d: %d keys, want %d", round, tb.len(), len(vals))
		}
		for i := range vals {
			p, v, ok := tb.get(uintptr(8*i), uintptr(i%3))
			if !ok || p != unsafe.Pointer(&vals[i]) || v != uint32(i) {
				t.Fatalf("round %d: key %d: %v %d %v", round, i, p, v, ok)
			}
			if _, _, ok := tb.get(uintptr(8*i), uintptr(i%3+1)); ok {
				t.Fatalf("round %d: key %d found under another second word", round, i)
			}
		}
	}
}
