package sim

import (
	"reflect"
	"runtime"
	"testing"
	"unsafe"
)

// heapSink makes a test's value escape to the heap.
var heapSink any

// TestTypedCopy: typedCopy makes the value at dst equal to the one at src
// for values with strings, pointers, maps, slices and interfaces in them,
// and what the copy points at stays alive once only the copy refers to
// it (the collector sees the copied pointers).
func TestTypedCopy(t *testing.T) {
	type inner struct {
		n int
		s string
	}
	type value struct {
		a  uint8
		s  string
		p  *inner
		m  map[string]int
		xs []inner
		i  any
		ar [3]*inner
	}
	mk := func() *value {
		return &value{a: 7, s: "seven", p: &inner{1, "one"}, m: map[string]int{"k": 2}, xs: []inner{{3, "three"}},
			i: &inner{4, "four"}, ar: [3]*inner{nil, {5, "five"}, nil}}
	}
	// The source and the copy are on the heap, as the copier's are
	// (typedmemmove): the compiler does not see the source's pointers
	// flow to the copy, and would otherwise keep what they point at on
	// the stack, where the next call writes over it.
	src := mk()
	heapSink = src
	dst := new(value)
	heapSink = dst
	typedCopy(unsafe.Pointer(dst), unsafe.Pointer(src), reflect.TypeFor[value]())
	src, heapSink = nil, nil
	runtime.GC()
	runtime.GC()
	if want := mk(); !reflect.DeepEqual(dst, want) {
		t.Fatalf("copied %+v, want %+v", *dst, *want)
	}
}

// TestRuntimeArrays: newarray makes a zeroed array the collector keeps
// alive while only an unsafe pointer refers to it, typedslicecopy copies
// values with pointers into it (what they point at stays alive once only
// the copy refers to it), and memclrHasPointers clears values with
// pointers.
func TestRuntimeArrays(t *testing.T) {
	type elem struct {
		n int
		p *int
		s string
	}
	mk := func() []elem {
		out := make([]elem, 5)
		for i := range out {
			n := 10 * i
			out[i] = elem{i, &n, string(rune('a' + i))}
		}
		return out
	}
	et := typeWord(reflect.TypeFor[elem]())
	a := newarray(et, 8)
	for _, e := range unsafe.Slice((*elem)(a), 8) {
		if e != (elem{}) {
			t.Fatal("newarray's array is not zeroed")
		}
	}
	src := mk()
	heapSink = src // on the heap, as TestTypedCopy's source
	if n := typedslicecopy(et, a, 8, unsafe.Pointer(&src[0]), len(src)); n != len(src) {
		t.Fatalf("typedslicecopy copied %d values, want %d", n, len(src))
	}
	src, heapSink = nil, nil
	runtime.GC()
	runtime.GC()
	got := unsafe.Slice((*elem)(a), 8)
	want := mk()
	for i := range want {
		if got[i].n != want[i].n || *got[i].p != *want[i].p || got[i].s != want[i].s {
			t.Fatalf("element %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	memclrHasPointers(unsafe.Pointer(&got[1]), 2*unsafe.Sizeof(elem{}))
	if got[1] != (elem{}) || got[2] != (elem{}) || got[0].n != 0 || got[3].n != 3 {
		t.Fatalf("memclrHasPointers cleared %+v", got[:4])
	}
}
