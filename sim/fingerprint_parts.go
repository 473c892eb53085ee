package sim

import (
	"bytes"
	"reflect"
	"slices"
	"strings"
	"unsafe"

	"qrlab/model/oauth"
)

// FingerprintParts returns a canonical encoding of the whole state in one
// piece (the fields Fingerprint hashes, the five parts it hashes apart
// encoded in place) and where each of its parts lies in it: for every struct field down to depth
// levels of structs below the run (a path such as "run.mon.order.opened";
// an interface value's fields, slice and array elements under one path),
// the byte ranges its values took; "budgets", "result" and
// "events" are the fault budgets spent, the endings and the pending events.
// It measures what makes states distinct (a part dropped from the encoding
// merges the states that differ only there); the explorer does not use it.
func (r *Runner) FingerprintParts(depth int) ([]byte, map[string][][2]int) {
	w := r.r
	if r.ps.abs {
		r.rankPast()
	}
	c := &r.canon
	c.ps = &r.ps
	c.reset()
	c.now, c.slowDown = w.now, r.oc.SlowDown
	pr := &partRec{depth: depth, ranges: map[string][][2]int{}}
	c.parts = pr
	defer func() { c.parts = nil }()
	s := len(c.buf)
	c.u64(uint64(r.st.lossUsed))
	c.u64(uint64(r.st.dupUsed))
	if r.st.resetMax > 0 {
		c.u64(uint64(r.st.resetUsed))
	}
	pr.add("budgets", s, len(c.buf))
	c.see(uintptr(unsafe.Pointer(w)))
	pr.stack = append(pr.stack[:0], "run")
	s = len(c.buf)
	c.enc(unsafe.Pointer(w), r.ps.of(runType))
	pr.add("run", s, len(c.buf))
	pr.stack = pr.stack[:0]
	s = len(c.buf)
	c.enc(unsafe.Pointer(&w.res.New), r.ps.of(endingType))
	c.enc(unsafe.Pointer(&w.res.Existing), r.ps.of(endingType))
	c.bool(w.res.Violation != nil)
	pr.add("result", s, len(c.buf))
	s = len(c.buf)
	c.events(r)
	pr.add("events", s, len(c.buf))
	return c.buf, pr.ranges
}

// partRec records the byte ranges of the parts of an encoding.
type partRec struct {
	depth  int
	stack  []string
	ranges map[string][][2]int
}

func (pr *partRec) add(path string, s, e int) {
	if e > s {
		pr.ranges[path] = append(pr.ranges[path], [2]int{s, e})
	}
}

// structParts encodes the struct at v field by field (the same bytes as
// enc's merged runs), recording each field's range.
func (c *canon) structParts(v unsafe.Pointer, p *plan) {
	pr := c.parts
	if p.idCtx {
		saved, ids := c.ids, c.ps.coreIDs.read(v)
		c.ids = &ids
		defer func() { c.ids = saved }()
	}
	for i, f := range p.fields {
		if f.noEnc || f.p.constant {
			continue
		}
		s := len(c.buf)
		pr.stack = append(pr.stack, p.t.Field(i).Name)
		if f.tm != 0 {
			c.timeOp(v, &encOp{off: f.off, n: f.p.size, tm: f.tm, base: f.base})
		} else if f.clock {
			c.clock(*(*Millis)(unsafe.Add(v, f.off)))
		} else if f.p.raw {
			c.buf = append(c.buf, bytesAt(unsafe.Add(v, f.off), f.p.size)...)
		} else {
			c.enc(unsafe.Add(v, f.off), f.p)
		}
		if len(pr.stack) <= pr.depth+1 {
			pr.add(strings.Join(pr.stack, "."), s, len(c.buf))
		}
		pr.stack = pr.stack[:len(pr.stack)-1]
	}
	if p.grant {
		c.grant((*oauth.Grant)(v))
	}
}

// eventParts appends the pending events s encoded as sorted does, and
// records the parts of each: "events.at" (its time), "events.ex.F" (field
// F of its exchange), "events.arrival" (an answer's content).
func (c *canon) eventParts(r *Runner, s *canon) {
	w := r.r
	// Encode each event's parts again on their own to find their offsets
	// within the event's span (the span starts with at, kind, actor).
	type sub struct {
		path     string
		off, end int
	}
	offs := make([][]sub, len(s.spans))
	ep := r.eventPlans()
	i := 0
	for k := range r.q.ev {
		e := &r.q.ev[k]
		offs[i] = append(offs[i], sub{"events.at", 0, 8})
		t := &canon{ps: c.ps, pt: c.pt, parts: &partRec{stack: []string{"events", "ex"}, depth: 2, ranges: map[string][][2]int{}}}
		t.reset()
		t.now, t.slowDown = w.now, r.oc.SlowDown
		// The event as events writes it.
		t.event(r, ep, e, func(a, b int) { offs[i] = append(offs[i], sub{"events.arrival", a, b}) })
		for path, rs := range t.parts.rangesOrNil() {
			for _, x := range rs {
				offs[i] = append(offs[i], sub{path, x[0], x[1]})
			}
		}
		i++
	}
	c.sortedSpans(s, func(j, at int) {
		for _, x := range offs[j] {
			c.parts.add(x.path, at+x.off, at+x.end)
		}
	})
}

// sortedSpans writes s's spans as sorted does (each its length, then its
// bytes, in the order of their bytes) and calls written(j, at) for each,
// span j of s having been written at offset at of c.buf, so that a caller
// can record where the parts inside it went.
func (c *canon) sortedSpans(s *canon, written func(j, at int)) {
	idx := make([]int, len(s.spans))
	for j := range idx {
		idx[j] = j
	}
	slices.SortFunc(idx, func(a, b int) int {
		return bytes.Compare(s.buf[s.spans[a][0]:s.spans[a][1]], s.buf[s.spans[b][0]:s.spans[b][1]])
	})
	for _, j := range idx {
		sp := s.spans[j]
		c.num(uint64(sp[1] - sp[0]))
		at := len(c.buf)
		c.buf = append(c.buf, s.buf[sp[0]:sp[1]]...)
		written(j, at)
	}
}

func (pr *partRec) rangesOrNil() map[string][][2]int {
	if pr == nil {
		return nil
	}
	return pr.ranges
}

// mapParts encodes map m as mapValue does (its entries sorted by their
// bytes) and records the parts of its entries' values under the map's
// path, as structParts does a struct's.
func (c *canon) mapParts(m reflect.Value, p *plan, s *canon) {
	pr := c.parts
	s.parts = &partRec{depth: pr.depth, stack: slices.Clone(pr.stack), ranges: map[string][][2]int{}}
	defer func() { s.parts = nil }()
	var entries []map[string][][2]int
	k, e := reflect.New(p.key.t), reflect.New(p.elem.t)
	it := m.MapRange()
	for it.Next() {
		s.seen.reset()
		k.Elem().SetIterKey(it)
		e.Elem().SetIterValue(it)
		start := len(s.buf)
		s.enc(k.UnsafePointer(), p.key)
		s.enc(e.UnsafePointer(), p.elem)
		s.spans = append(s.spans, [2]int{start, len(s.buf)})
		entries = append(entries, s.parts.ranges)
		s.parts.ranges = map[string][][2]int{}
	}
	c.flip = min(c.flip, s.flip)
	c.sortedSpans(s, func(j, at int) {
		at -= s.spans[j][0] // the entries' ranges are offsets in s.buf
		for path, rs := range entries[j] {
			for _, x := range rs {
				pr.add(path, at+x[0], at+x[1])
			}
		}
	})
}
