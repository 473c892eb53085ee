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
// writes the whole value over next; but for those in the monitors' fields
// the copy leaves as they are (copier.skip).
func (c *copier) harvest(v unsafe.Pointer, p *plan) {
	for _, e := range c.inlineMaps(p) {
		if e.mon >= 0 && c.skip>>e.mon&1 != 0 {
			continue
		}
		if m := *(*unsafe.Pointer)(unsafe.Add(v, e.off)); m != nil {
			c.pool.put(e.p, m)
		}
	}
}

// inlineMap is a map held in place in a value: its offset and plan, and
// the index of the monitors' field it lies in (-1: none).
type inlineMap struct {
	off uintptr
	p   *plan
	mon int
}

// monitorType is the monitors' type.
var monitorType = reflect.TypeFor[monitor]()

// inlineMaps are the maps held in place in a value of plan p, worked out
// once per plans generation (as the deep fields they follow).
func (c *copier) inlineMaps(p *plan) []inlineMap {
	if p.inlineGen == c.ps.gen {
		return p.inline
	}
	var walk func(q *plan, off uintptr, mon int)
	walk = func(q *plan, off uintptr, mon int) {
		switch q.kind {
		case reflect.Struct:
			c.deepOf(q)
			for _, i := range q.deep {
				m := mon
				if q.t == monitorType {
					m = i
				}
				walk(q.fields[i].p, off+q.fields[i].off, m)
			}
		case reflect.Array:
			if q.elem.flat {
				return
			}
			for i := range q.t.Len() {
				walk(q.elem, off+uintptr(i)*q.elem.size, mon)
			}
		case reflect.Map:
			if !q.constant {
				p.inline = append(p.inline, inlineMap{off: off, p: q, mon: mon})
			}
		}
	}
	p.inline = p.inline[:0]
	walk(p, 0, -1)
	p.inlineGen = c.ps.gen
	return p.inline
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
	dv := p.at(dst)
	dv.Clear()
	c.copyEntries(dv, p.at(src).MapRange(), p)
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
