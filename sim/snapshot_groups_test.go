package sim

import (
	"reflect"
	"testing"
	"unsafe"

	"qrlab/model/variant"
)

// TestClearGroup: clearGroup zeroes every field of the group it is given
// and no other field of the monitor, on a monitor mid-login whose groups
// hold data; hasPointers agrees with reflection's view of the fields.
func TestClearGroup(t *testing.T) {
	r, err := NewRunner(Config{Variant: variant.MustLoad("msc4388"), Network: stepNet(t), Transport: stepTransport})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(1, 0, 0); err != nil {
		t.Fatal(err)
	}
	for range 60 {
		cs := r.Enabled(nil)
		if len(cs) == 0 {
			break
		}
		if err := r.Take(cs[0]); err != nil {
			t.Fatal(err)
		}
	}
	mt := reflect.TypeFor[monitor]()
	for g := range numMonGroups {
		m := new(monitor)
		heapSink = m
		*m = r.r.mon
		clearGroup(m, g)
		mv, live := reflect.ValueOf(m).Elem(), reflect.ValueOf(&r.r.mon).Elem()
		nonZero := 0
		for i := range mt.NumField() {
			if !live.Field(i).IsZero() && monGroupOf[i] == g {
				nonZero++
			}
			f := mv.Field(i)
			if monGroupOf[i] == g {
				if !f.IsZero() {
					t.Errorf("group %d: field %s not cleared", g, mt.Field(i).Name)
				}
				continue
			}
			if unsafe.Pointer(f.UnsafeAddr()) == nil || !reflect.DeepEqual(reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem().Interface(),
				reflect.NewAt(f.Type(), unsafe.Pointer(live.Field(i).UnsafeAddr())).Elem().Interface()) {
				t.Errorf("group %d: field %s, outside the group, changed", g, mt.Field(i).Name)
			}
		}
		if nonZero == 0 {
			t.Errorf("group %d: no field held data before the clear", g)
		}
	}
	for _, c := range []struct {
		v    any
		ptrs bool
	}{{0, false}, {"", true}, {[2]int{}, false}, {[0]*int{}, false}, {[1]*int{}, true}, {struct{ a, b int }{}, false},
		{struct {
			a int
			m map[int]int
		}{}, true}, {[]int{}, true}, {monitor{}.sealCount, false}} {
		if got := hasPointers(reflect.TypeOf(c.v)); got != c.ptrs {
			t.Errorf("hasPointers(%T) = %v", c.v, got)
		}
	}
}
