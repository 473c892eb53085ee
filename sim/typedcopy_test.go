package sim

import (
	"reflect"
	"runtime"
	"testing"
	"unsafe"
)

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
	src := mk()
	var dst value
	typedCopy(unsafe.Pointer(&dst), unsafe.Pointer(src), reflect.TypeFor[value]())
	src = nil
	runtime.GC()
	runtime.GC()
	if want := mk(); !reflect.DeepEqual(&dst, want) {
		t.Fatalf("copied %+v, want %+v", dst, *want)
	}
}
