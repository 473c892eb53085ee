package sim

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"unsafe"

	"qrlab/model/qr"
)

// TestEncOpsCoverFields checks, for every struct type a run's encoding
// meets, in each kind of plans (exact, reduced, the time abstraction's),
// that the encoder's steps encode every field its plan says it encodes:
// each plain field lies within a run of plain bytes, and a clock's or a
// time's step covers its own field and nothing after it (those steps read
// one value at their offset, so a plain field merged into one is never
// encoded: a login core's state once went unencoded behind its clock).
func TestEncOpsCoverFields(t *testing.T) {
	for _, k := range []struct {
		name string
		ps   plans
	}{{"exact", plans{exact: true}}, {"reduced", plans{}}, {"abstract", plans{abs: true, above: 60_000}}} {
		ps := k.ps
		ps.of(runType)
		checkEncOps(t, k.name, &ps)
	}
	// The plans a run builds as it meets them: the dynamic types behind
	// interfaces (adversaries, a machine's peer) too.
	for _, abs := range []bool{false, true} {
		for _, exact := range []bool{false, true} {
			if abs && exact {
				continue
			}
			sc := snapCase{"msc4388", qr.Login, []string{"camera"}, 1, 1, 0, false}
			r := sc.runner(t)
			r.ExactFingerprint(exact)
			st := Stepping{Loss: 1, Dup: 1}
			if abs {
				st.UntimedAbove = 60_000
			}
			if err := r.StartStepped(1, st); err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(4, 2))
			for range 200 {
				r.Fingerprint()
				cs := r.Enabled(nil)
				if len(cs) == 0 {
					break
				}
				if err := r.Take(cs[rng.IntN(len(cs))]); err != nil {
					t.Fatal(err)
				}
			}
			checkEncOps(t, fmt.Sprintf("a run's plans (exact %v, abstract %v)", exact, abs), &r.ps)
		}
	}
}

// checkEncOps checks every struct plan of ps.
func checkEncOps(t *testing.T, kind string, ps *plans) {
	t.Helper()
	checked := 0
	for typ, p := range ps.byType {
		if p.kind != reflect.Struct || p.constant {
			continue
		}
		checked++
		for i, f := range p.fields {
			if f.noEnc || f.p.constant || f.p.size == 0 {
				continue // nothing to encode
			}
			name := typ.String() + "." + typ.Field(i).Name
			var op *encOp
			for j := range p.enc {
				if o := &p.enc[j]; o.off <= f.off && f.off < o.off+max(o.n, 1) {
					op = o
				}
			}
			switch {
			case op == nil:
				t.Errorf("%s: %s has no encoding step", kind, name)
			case f.clock || f.tm != 0:
				if op.off != f.off || op.n != f.p.size || op.clock != f.clock || op.tm != f.tm {
					t.Errorf("%s: %s is encoded by %+v, not by a step of its own", kind, name, *op)
				}
			case f.p.raw:
				if op.p != nil || op.clock || op.tm != 0 || f.off+f.p.size > op.off+op.n {
					t.Errorf("%s: plain field %s lies in step %+v, which does not copy its bytes", kind, name, *op)
				}
			default:
				if op.off != f.off || op.p != f.p {
					t.Errorf("%s: %s is encoded by %+v, not by its own plan", kind, name, *op)
				}
			}
		}
	}
	if checked < 20 {
		t.Errorf("%s: %d struct plans checked: the run's plans were not built", kind, checked)
	}
}

// TestPlanAt: for every type a run's plans meet, plan.at gives the value
// reflect.NewAt gives (the same type, the same address, settable), and a
// value set through it (a string, a map, a pointer: types the collector
// must see) reads back through reflect.
func TestPlanAt(t *testing.T) {
	var ps plans
	ps.of(runType)
	for typ, p := range ps.byType {
		v := reflect.New(typ)
		got, want := p.at(v.UnsafePointer()), reflect.NewAt(typ, v.UnsafePointer()).Elem()
		if got.Type() != want.Type() || got.UnsafeAddr() != want.UnsafeAddr() || !got.CanSet() {
			t.Fatalf("%v: at gives %v at %#x (settable %v), NewAt %v at %#x", typ, got.Type(), got.UnsafeAddr(), got.CanSet(),
				want.Type(), want.UnsafeAddr())
		}
	}
	type box struct {
		s string
		m map[string]*int
		p *[]byte
	}
	n, b := 7, []byte("x")
	src := box{s: "a string", m: map[string]*int{"k": &n}, p: &b}
	var dst box
	p := ps.of(reflect.TypeFor[box]())
	p.at(unsafe.Pointer(&dst)).Set(p.at(unsafe.Pointer(&src)))
	if dst.s != src.s || dst.m["k"] != &n || dst.p != &b {
		t.Fatalf("set through at: %+v, want %+v", dst, src)
	}
}
