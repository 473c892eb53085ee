package sim

import (
	"reflect"
	"unsafe"
)

// typedmemmove is the runtime's copy of one value of a type, with the
// garbage collector's write barriers, as an assignment makes it. The
// runtime keeps this name reachable from outside it (runtime/mbarrier.go,
// Go 1.23 and later). typ is the type's descriptor: the data word of a
// reflect.Type (typeWord).
//
//go:linkname typedmemmove runtime.typedmemmove
//go:noescape
func typedmemmove(typ, dst, src unsafe.Pointer)

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
