package sim

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"unsafe"
)

// mapsOf collects into out the maps reachable from the value at v of plan
// p (through fields, elements, pointers, interfaces and map entries), each
// with where it was met, except behind what copies share (flat values:
// configurations, keys, requests), which no copy writes.
func mapsOf(ps *plans, v unsafe.Pointer, p *plan, at string, out map[unsafe.Pointer]string, seen map[unsafe.Pointer]bool) {
	if p.flat || v == nil {
		return
	}
	switch p.kind {
	case reflect.Pointer:
		e := *(*unsafe.Pointer)(v)
		if e == nil || seen[e] {
			return
		}
		seen[e] = true
		mapsOf(ps, e, p.elem, at+"*", out, seen)
	case reflect.Struct:
		for i, f := range p.fields {
			mapsOf(ps, unsafe.Add(v, f.off), f.p, at+"."+p.t.Field(i).Name, out, seen)
		}
	case reflect.Array:
		for i := range p.t.Len() {
			mapsOf(ps, unsafe.Add(v, uintptr(i)*p.elem.size), p.elem, at+"[]", out, seen)
		}
	case reflect.Slice:
		h := (*sliceHeader)(v)
		for i := range h.len {
			mapsOf(ps, unsafe.Add(h.data, uintptr(i)*p.elem.size), p.elem, at+"[]", out, seen)
		}
	case reflect.Interface:
		if (*iface)(v).tab == nil {
			return
		}
		d := ps.dynOf(p.t, v)
		if d.ptr {
			mapsOf(ps, unsafe.Pointer(&(*iface)(v).data), d.p, at+"("+d.name+")", out, seen)
		}
	case reflect.Map:
		m := *(*unsafe.Pointer)(v)
		if m == nil {
			return
		}
		out[m] = at
		mv := reflect.NewAt(p.t, v).Elem()
		it := mv.MapRange()
		k, e := reflect.New(p.key.t), reflect.New(p.elem.t)
		for it.Next() {
			k.Elem().SetIterKey(it)
			e.Elem().SetIterValue(it)
			mapsOf(ps, k.UnsafePointer(), p.key, at+"{k}", out, seen)
			mapsOf(ps, e.UnsafePointer(), p.elem, at+"{v}", out, seen)
		}
	}
}

// liveMaps are the maps of r's live state.
func liveMaps(r *Runner) map[unsafe.Pointer]string {
	out, seen := map[unsafe.Pointer]string{}, map[unsafe.Pointer]bool{}
	st := r.live()
	mapsOf(&r.ps, unsafe.Pointer(&st), r.ps.of(runStateType), "live", out, seen)
	return out
}

// heldMaps are the maps of the held snapshots, each with where it was
// met, by what holds them: each snapshot's own state, and each of the
// frozen parts (which snapshots share) once. A snapshot's pointers to the
// parts are to the live parts it was taken under (its roots, which a
// restore maps to the live ones) and are not followed.
func heldMaps(r *Runner, held []*Snapshot) []map[unsafe.Pointer]string {
	var out []map[unsafe.Pointer]string
	parts := map[*frozenPart]bool{}
	groups := map[unsafe.Pointer]bool{}
	for k, s := range held {
		roots := map[unsafe.Pointer]bool{}
		for _, p := range s.roots {
			roots[p] = true
		}
		m := map[unsafe.Pointer]string{}
		mapsOf(&r.ps, unsafe.Pointer(&s.s), r.ps.of(runStateType), fmt.Sprintf("snapshot %d", k), m, roots)
		// The maps of its monitors' groups are those of its frozen
		// copies, which snapshots share: each frozen copy counts once.
		for g, f := range s.mon {
			fm := map[unsafe.Pointer]string{}
			mapsOf(&r.ps, f, r.ps.of(monGroupType[g]), fmt.Sprintf("snapshot %d's frozen group %d", k, g), fm, map[unsafe.Pointer]bool{})
			for x := range fm {
				delete(m, x)
			}
			if !groups[f] {
				groups[f] = true
				out = append(out, fm)
			}
		}
		out = append(out, m)
		for i, fp := range s.parts {
			if fp == nil || parts[fp] {
				continue
			}
			parts[fp] = true
			seen := map[unsafe.Pointer]bool{}
			for _, p := range fp.roots {
				seen[p] = true
			}
			m := map[unsafe.Pointer]string{}
			mapsOf(&r.ps, fp.p, r.partPlan(i), fmt.Sprintf("snapshot %d's part %s", k, fpParts[i]), m, seen)
			out = append(out, m)
		}
	}
	return out
}

// groupText prints the monitors' group g of m (fmt prints maps in key
// order, and nil and empty slices alike).
func groupText(m *monitor, g int) string {
	out := ""
	for _, x := range monGroupFieldsOf[g] {
		out += fmt.Sprintf("%+v\n", reflect.NewAt(x.t, unsafe.Add(unsafe.Pointer(m), x.monOff)).Elem().Interface())
	}
	return out
}

// TestRefilledMapsNotShared: the maps a restore or a snapshot over a
// recycled one fills again (snapshot_reuse.go) are never a held
// snapshot's: over random walks with snapshots, restores and recycling,
// no map of the live state is one of a held snapshot's, and no two held
// snapshots have a map in common (but in a frozen part or monitors' group
// they share, counted once). It also checks that a snapshot's monitors'
// groups, shared with earlier snapshots where untouched, equal the live
// ones'. A map filled again while a snapshot
// still held it would change that snapshot; this fails before the
// fingerprint would show it, and also for maps the fingerprint leaves out.
func TestRefilledMapsNotShared(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 18))
	refilled := 0
	// Every case, then the first ones again under the time abstraction
	// (whose untimed expiries change the mailboxes too).
	cases := append(slices.Clone(snapCases), snapCases[:4]...)
	for i, sc := range cases {
		live := sc.runner(t)
		st := Stepping{Loss: sc.loss, Dup: sc.dup, Resets: sc.resets, Careless: sc.careless}
		if i >= len(snapCases) {
			st.UntimedAbove = 10_000
		}
		if err := live.StartStepped(uint64(1+i%2), st); err != nil {
			t.Fatal(err)
		}
		var held []*Snapshot
		check := func(depth int) {
			owner := liveMaps(live)
			for _, ms := range heldMaps(live, held) {
				for m, at := range ms {
					if where, ok := owner[m]; ok {
						t.Fatalf("%v depth %d: the map at %s is also at %s", sc, depth, at, where)
					}
				}
				for m, at := range ms {
					owner[m] = at
				}
			}
		}
		for depth := 0; depth < 60; depth++ {
			switch k := rng.IntN(4); {
			case k == 0 && len(held) < 6:
				s, err := live.Snapshot()
				if err != nil {
					t.Fatal(err)
				}
				held = append(held, s)
			case k == 1 && len(held) > 0:
				j := rng.IntN(len(held))
				before := liveMaps(live)
				if err := live.Restore(held[j]); err != nil {
					t.Fatal(err)
				}
				for m := range liveMaps(live) {
					if _, ok := before[m]; ok {
						refilled++
					}
				}
			case k == 2 && len(held) > 0:
				j := rng.IntN(len(held))
				live.Recycle(held[j])
				held = append(held[:j], held[j+1:]...)
			}
			if depth%3 == 0 {
				check(depth)
			}
			// A group the live run still holds as frozen must equal the
			// frozen copy: a step that changed it without touching it would
			// have the next snapshot share a stale copy.
			for g, f := range live.monBase {
				if f == nil {
					continue
				}
				var m monitor
				groupFromFrozen(&m, f, g)
				if a, b := groupText(&live.r.mon, g), groupText(&m, g); a != b {
					t.Fatalf("%v depth %d: the live monitors' group %d differs from the frozen copy it is said to equal:\n%s\n%s", sc, depth, g, a, b)
				}
			}
			cs := live.Enabled(nil)
			if len(cs) == 0 {
				break
			}
			if err := live.Take(cs[rng.IntN(len(cs))]); err != nil {
				t.Fatal(err)
			}
		}
	}
	if refilled == 0 {
		t.Fatal("no restore filled a map again")
	}
	t.Logf("%d maps filled again by restores", refilled)
}
