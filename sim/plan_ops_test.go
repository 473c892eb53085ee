package sim

import (
	"reflect"
	"testing"
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
		checked := 0
		for typ, p := range ps.byType {
			if p.kind != reflect.Struct || p.constant {
				continue
			}
			checked++
			for i, f := range p.fields {
				if f.noEnc || f.p.constant {
					continue
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
					t.Errorf("%s: %s has no encoding step", k.name, name)
				case f.clock || f.tm != 0:
					if op.off != f.off || op.n != f.p.size || op.clock != f.clock || op.tm != f.tm {
						t.Errorf("%s: %s is encoded by %+v, not by a step of its own", k.name, name, *op)
					}
				case f.p.raw:
					if op.p != nil || op.clock || op.tm != 0 || f.off+f.p.size > op.off+op.n {
						t.Errorf("%s: plain field %s lies in step %+v, which does not copy its bytes", k.name, name, *op)
					}
				default:
					if op.off != f.off || op.p != f.p {
						t.Errorf("%s: %s is encoded by %+v, not by its own plan", k.name, name, *op)
					}
				}
			}
		}
		if checked < 20 {
			t.Errorf("%s: %d struct plans checked: the run's plans were not built", k.name, checked)
		}
	}
}
