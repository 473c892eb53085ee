package sim

import (
	"fmt"
	"reflect"
	"unsafe"
)

// The monitors' groups shared among snapshots. The monitors' groups
// (monGroupFields: the mailboxes, the payloads written, the secrets, the
// checkers' records) are values with nothing but slices, maps and plain
// data under them, and a step that may change one says so
// (monitor.touch), as it does for the fingerprint. A snapshot's copy of a
// group is never written once made, so it is frozen: the next snapshot
// that finds the group untouched since shares the frozen copy instead of
// copying the group again, and a restore leaves alone a live group that is
// still the snapshot's. The live run's groups stay its own: a restore
// copies a frozen group into the live one, never the reverse.

// monGroupField is one field of a group: where it lies in a monitor and
// in the group's frozen copy, and its type.
type monGroupField struct {
	monOff, grpOff uintptr
	t              reflect.Type
	// ptrs: the type holds pointers.
	ptrs bool
}

var (
	// monGroupType is the type of a group's frozen copy: a struct of the
	// group's fields.
	monGroupType [numMonGroups]reflect.Type
	// monGroupField are each group's fields.
	monGroupFieldsOf [numMonGroups][]monGroupField
	// monGroupMask are each group's fields as bits of their index in the
	// monitor (copier.skip), and monGroupsAll all groups'.
	monGroupMask [numMonGroups]uint64
	monGroupsAll uint64
)

func init() {
	mt := reflect.TypeFor[monitor]()
	if mt.NumField() > 64 {
		panic("sim: the monitor has more than 64 fields, more than copier.skip holds")
	}
	var fields [numMonGroups][]reflect.StructField
	var idx [numMonGroups][]int
	for i, g := range monGroupOf {
		if g < 0 {
			continue
		}
		fields[g] = append(fields[g], reflect.StructField{Name: fmt.Sprintf("F%d", len(fields[g])), Type: mt.Field(i).Type})
		idx[g] = append(idx[g], i)
		monGroupMask[g] |= 1 << i
	}
	for g := range numMonGroups {
		gt := reflect.StructOf(fields[g])
		monGroupType[g] = gt
		for k, i := range idx[g] {
			monGroupFieldsOf[g] = append(monGroupFieldsOf[g], monGroupField{monOff: mt.Field(i).Offset, grpOff: gt.Field(k).Offset, t: mt.Field(i).Type,
				ptrs: hasPointers(mt.Field(i).Type)})
		}
		monGroupsAll |= monGroupMask[g]
	}
}

// groupToFrozen copies group g's fields of monitor m (their values as
// they lie in it: what they refer to is shared) into frozen copy f.
func groupToFrozen(f unsafe.Pointer, m *monitor, g int) {
	for _, x := range monGroupFieldsOf[g] {
		typedCopy(unsafe.Add(f, x.grpOff), unsafe.Add(unsafe.Pointer(m), x.monOff), x.t)
	}
}

// groupFromFrozen copies frozen copy f into group g's fields of monitor m
// (sharing what they refer to).
func groupFromFrozen(m *monitor, f unsafe.Pointer, g int) {
	for _, x := range monGroupFieldsOf[g] {
		typedCopy(unsafe.Add(unsafe.Pointer(m), x.monOff), unsafe.Add(f, x.grpOff), x.t)
	}
}

// copyGroup copies group g's fields of monitor src into monitor dst.
func copyGroup(dst, src *monitor, g int) {
	for _, x := range monGroupFieldsOf[g] {
		typedCopy(unsafe.Add(unsafe.Pointer(dst), x.monOff), unsafe.Add(unsafe.Pointer(src), x.monOff), x.t)
	}
}

// clearGroup sets group g's fields of monitor m (on the heap: the
// runner's stash) to their zero values, by the runtime's clear of memory
// with pointers instead of reflection. A field without pointers is cleared
// as bytes: it may be of any size, and the runtime's clear with pointers
// takes whole pointer words only.
func clearGroup(m *monitor, g int) {
	for _, x := range monGroupFieldsOf[g] {
		f := unsafe.Add(unsafe.Pointer(m), x.monOff)
		if x.ptrs {
			memclrHasPointers(f, x.t.Size())
		} else {
			clear(bytesAt(f, x.t.Size()))
		}
	}
}

// hasPointers reports whether values of type t hold pointers.
func hasPointers(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.String, reflect.Interface, reflect.Func, reflect.Chan, reflect.UnsafePointer:
		return true
	case reflect.Array:
		return t.Len() > 0 && hasPointers(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if hasPointers(t.Field(i).Type) {
				return true
			}
		}
	}
	return false
}

// monPlan is the plan of the run's monitors.
func (r *Runner) monPlan() *plan { return r.ps.snap().mon }

// sharedGroups are the groups of the live run still equal to their frozen
// copy (untouched since the last snapshot or restore), as copier.skip
// bits.
func (r *Runner) sharedGroups() (skip uint64) {
	for g, f := range r.monBase {
		if f != nil {
			skip |= monGroupMask[g]
		}
	}
	return skip
}

// freezeGroups gives snapshot s, whose run was copied without the shared
// groups (copier.skip), the frozen copy of each group: the one the live
// group still equals, or else a new frozen copy of s's own copy, which the
// live group equals from now on. It returns the bytes it allocated.
func (r *Runner) freezeGroups(s *Snapshot) int {
	bytes := 0
	m := &s.s.run.mon
	for g := range numMonGroups {
		f := r.monBase[g]
		if f == nil {
			f = reflect.New(monGroupType[g]).UnsafePointer()
			bytes += int(monGroupType[g].Size())
			groupToFrozen(f, m, g)
			r.monBase[g] = f
		} else {
			groupFromFrozen(m, f, g)
		}
		s.mon[g] = f
	}
	return bytes
}
