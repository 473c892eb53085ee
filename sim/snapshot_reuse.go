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
			if p == c.skipIn && c.skip>>i&1 != 0 {
				continue
			}
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
	c.copyEntries(dv, reflect.NewAt(p.t, src).Elem().MapRange(), p)
	return true
}

// mapEntry is scratch for one map entry: the source's key and value and
// their copies.
type mapEntry struct {
	k, v, nk, nv reflect.Value
}

// copyEntries stores in map m a copy of every entry it yields, of a map
// of plan p. The map stores copies of the key and value it is given, so
// one set of scratch values (the plan's, or new ones while they are in
// use further up) serves every entry; copy writes all of a value, so
// nothing of the last entry is left in them, and they are cleared after.
func (c *copier) copyEntries(m reflect.Value, it *reflect.MapIter, p *plan) {
	e := p.entry
	p.entry = nil
	if e == nil {
		e = &mapEntry{k: reflect.New(p.key.t), v: reflect.New(p.elem.t), nk: reflect.New(p.key.t), nv: reflect.New(p.elem.t)}
	}
	for it.Next() {
		e.k.Elem().SetIterKey(it)
		e.v.Elem().SetIterValue(it)
		c.copy(e.nk.UnsafePointer(), e.k.UnsafePointer(), p.key)
		c.copy(e.nv.UnsafePointer(), e.v.UnsafePointer(), p.elem)
		m.SetMapIndex(e.nk.Elem(), e.nv.Elem())
	}
	e.k.Elem().SetZero()
	e.v.Elem().SetZero()
	e.nk.Elem().SetZero()
	e.nv.Elem().SetZero()
	p.entry = e
}
