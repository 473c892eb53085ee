package sim

import (
	"reflect"
	"unsafe"
)

// Maps filled again: a restore writes the live run over with a snapshot's
// state, and a snapshot taken over a recycled one writes that one over.
// The maps held in place by what is written over (the run's and the
// parts' own fields, the trace's, a recycled snapshot's) are dropped by
// the copy; nothing else refers to them (a snapshot's maps are its own
// copies, and the live run hands none of them out), so the copier clears
// and fills them again instead of making new ones.

// mapPool is the maps a copy may fill again, each with its plan.
type mapPool struct {
	m []pooledMap
}

type pooledMap struct {
	p *plan
	m unsafe.Pointer
}

// put adds map m of plan p to the pool, once however often it is met.
func (mp *mapPool) put(p *plan, m unsafe.Pointer) {
	for _, e := range mp.m {
		if e.m == m {
			return
		}
	}
	mp.m = append(mp.m, pooledMap{p, m})
}

// take returns a map of plan p from the pool, which gives it out once.
func (mp *mapPool) take(p *plan) (unsafe.Pointer, bool) {
	for i := len(mp.m) - 1; i >= 0; i-- {
		if e := mp.m[i]; e.p == p {
			last := len(mp.m) - 1
			mp.m[i] = mp.m[last]
			mp.m[last] = pooledMap{}
			mp.m = mp.m[:last]
			return e.m, true
		}
	}
	return nil, false
}

// clear empties the pool (the maps left in it are dropped).
func (mp *mapPool) clear() {
	clear(mp.m)
	mp.m = mp.m[:0]
}

// harvest adds to the pool the maps held in place by the value at v of
// plan p (in its fields and array elements, not behind its pointers,
// slices or interfaces, which a copy may keep or share), for a copy that
// writes the whole value over next.
func (c *copier) harvest(v unsafe.Pointer, p *plan) {
	switch p.kind {
	case reflect.Struct:
		c.deepOf(p)
		for _, i := range p.deep {
			f := &p.fields[i]
			c.harvest(unsafe.Add(v, f.off), f.p)
		}
	case reflect.Array:
		if p.elem.flat {
			return
		}
		for i := range p.t.Len() {
			c.harvest(unsafe.Add(v, uintptr(i)*p.elem.size), p.elem)
		}
	case reflect.Map:
		if m := *(*unsafe.Pointer)(v); m != nil && !p.constant {
			c.pool.put(p, m)
		}
	}
}

// refillMap makes the map at dst a copy of the one at src (not nil),
// filling a map of the pool again if there is one; false: none.
func (c *copier) refillMap(dst, src unsafe.Pointer, p *plan) bool {
	m, ok := c.pool.take(p)
	if !ok {
		return false
	}
	*(*unsafe.Pointer)(dst) = m
	if p.maps != nil {
		p.maps.refill(dst, src)
		return true
	}
	dv := reflect.NewAt(p.t, dst).Elem()
	dv.Clear()
	sv := reflect.NewAt(p.t, src).Elem()
	it := sv.MapRange()
	k, v := reflect.New(p.key.t), reflect.New(p.elem.t)
	nk, nv := reflect.New(p.key.t), reflect.New(p.elem.t)
	for it.Next() {
		k.Elem().SetIterKey(it)
		v.Elem().SetIterValue(it)
		c.copy(nk.UnsafePointer(), k.UnsafePointer(), p.key)
		c.copy(nv.UnsafePointer(), v.UnsafePointer(), p.elem)
		dv.SetMapIndex(nk.Elem(), nv.Elem())
	}
	return true
}
