package sim

import (
	"reflect"
	"unsafe"
)

// typedmemmove is the runtime's copy of one value of a type, with the
// garbage collector's write barriers, as an assignment makes it. The
// runtime keeps this name reachable from outside it (a bare //go:linkname
// in runtime/mbarrier.go, as read in Go 1.26.8). typ is the type's descriptor: the data word of a
// reflect.Type (typeWord).
//
// Declared noescape, as package reflect declares it (reflect/value.go,
// Go 1.26.8): the compiler does not
// see the pointers of the value at src flow to dst, so what they point at
// must be on the heap whenever dst is (the copier copies from the run, its
// snapshots and the runner's scratch, all on the heap; a test copying from
// a value of its own makes it escape).
//
//go:linkname typedmemmove runtime.typedmemmove
//go:noescape
func typedmemmove(typ, dst, src unsafe.Pointer)

// newarray allocates a zeroed array of n values of the type whose
// descriptor is typ, as make does for a slice's array; typedslicecopy
// copies min(dstLen, srcLen) such values from src to dst with the
// collector's write barriers, as the built-in copy does; memclrHasPointers
// clears n bytes of values with pointers, as clear does (only memory of a
// type with pointers: the runtime's comment asks its callers to ensure
// that, and its barriers fail on a run of bytes shorter than a pointer).
// The runtime keeps all three reachable from outside it (bare
// //go:linkname lines in runtime/malloc.go and runtime/mbarrier.go, as
// read in Go 1.26.8). typedslicecopy is noescape as typedmemmove is, with
// the same rule for what src's values point at.
//
//go:linkname newarray runtime.newarray
func newarray(typ unsafe.Pointer, n int) unsafe.Pointer

//go:linkname typedslicecopy runtime.typedslicecopy
//go:noescape
func typedslicecopy(typ, dst unsafe.Pointer, dstLen int, src unsafe.Pointer, srcLen int) int

//go:linkname memclrHasPointers runtime.memclrHasPointers
//go:noescape
func memclrHasPointers(ptr unsafe.Pointer, n uintptr)

// typeWord is t's descriptor, the dynamic value of the reflect.Type
// interface (a *reflect.rtype, whose first and only field is the
// runtime's type).
func typeWord(t reflect.Type) unsafe.Pointer {
	return (*iface)(unsafe.Pointer(&t)).data
}

// typedCopy copies the value of type t at src to dst, as an assignment
// does (the garbage collector's write barriers included), without
// reflect.Value's checks and pointer-type lookups.
func typedCopy(dst, src unsafe.Pointer, t reflect.Type) {
	typedmemmove(typeWord(t), dst, src)
}
