package sim

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
	"reflect"
	"slices"
	"unsafe"

	"qrlab/model/oauth"
)

// Fingerprint is a stepped run's state hashed to 128 bits: two states with
// the same fingerprint have the same future (up to a hash collision).
type Fingerprint [2]uint64

// Fingerprint hashes the stepped run's whole state: every machine (the two
// devices and an attacker's), the rendezvous store, the provider, the
// homeserver, the user's knowledge, record and random stream, the
// monitors' state, the adversaries, the pending events (as a multiset of
// what they carry, without their sequence numbers) and the fault budgets
// spent. The encoding is canonical: the values reachable from those roots,
// field by field by each type's plan (plan.go: plain fields by their
// bytes); maps as their entries' encodings in sorted order; nil and empty
// slices and maps alike; shared pointers as back references, except
// pointers to plain values, encoded by the value; functions and channels
// as present or absent. Left out: the configurations (constantTypes, the
// same in every state of the runner, checked by the sim tests), the trace
// (a hash of the past), the result's tallies, and bookkeeping of exchanges
// no pending event refers to. Encoded by what is read of them rather than
// by value (fingerprint_reduce.go): the servers' and devices' clocks, the
// exchanges' ledgers, the grants' poll records. It returns the encoding's length in bytes too.
func (r *Runner) Fingerprint() (Fingerprint, int) {
	w := r.r
	c := &r.canon
	c.ps = &r.ps
	c.reset()
	c.now, c.slowDown = w.now, r.oc.SlowDown
	c.u64(uint64(r.st.lossUsed))
	c.u64(uint64(r.st.dupUsed))
	if r.st.resetMax > 0 {
		c.u64(uint64(r.st.resetUsed))
	}
	c.seen[uintptr(unsafe.Pointer(w))] = 0
	c.enc(unsafe.Pointer(w), r.ps.of(runType))
	// The result: the endings and the violation, not the tallies.
	c.enc(unsafe.Pointer(&w.res.New), r.ps.of(endingType))
	c.enc(unsafe.Pointer(&w.res.Existing), r.ps.of(endingType))
	c.bool(w.res.Violation != nil)
	c.events(r)
	return Fingerprint{maphash.Bytes(fpSeeds[0], c.buf), maphash.Bytes(fpSeeds[1], c.buf)}, len(c.buf)
}

// fpSeeds are the fingerprint's two 64-bit hash seeds, drawn once per
// process: a state's fingerprint is the same for every runner of the
// process, and two states collide with probability about 2^-128 whatever
// their encodings (maphash is a keyed hash), which is what the explorer's
// omission estimate assumes.
var fpSeeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}

// The types the fingerprint starts from.
var (
	endingType   = reflect.TypeFor[Ending]()
	exchangeType = reflect.TypeFor[exchange]()
	arrivalType  = reflect.TypeFor[arrival]()
	bytesType    = reflect.TypeFor[[]byte]()
)

// canon is a canonical encoder of Go values, by their plans (plan.go).
type canon struct {
	ps    *plans
	buf   []byte
	seen  map[uintptr]uint32
	sub   *canon
	spans [][2]int
	// parts, when set, records where each part of the state lies in the
	// encoding (FingerprintParts).
	parts *partRec
	// now is the run's time, which clockFields clocks are judged against;
	// slowDown: the provider answers slow_down (oauth.Config.SlowDown).
	now      Millis
	slowDown bool
}

func (c *canon) reset() {
	c.buf = c.buf[:0]
	if c.seen == nil {
		c.seen = map[uintptr]uint32{}
	}
	clear(c.seen)
}

func (c *canon) u64(v uint64) { c.buf = binary.LittleEndian.AppendUint64(c.buf, v) }

func (c *canon) bool(b bool) {
	if b {
		c.buf = append(c.buf, 1)
		return
	}
	c.buf = append(c.buf, 0)
}

func (c *canon) str(s string) {
	c.u64(uint64(len(s)))
	c.buf = append(c.buf, s...)
}

// Types the encoder does not enter: the runner (reached from the monitors
// and adversaries; the run's state is walked from its own root) and the
// trace.
var (
	runnerType = reflect.TypeFor[*Runner]()
	traceType  = reflect.TypeFor[*Trace]()
	runType    = reflect.TypeFor[run]()
)

// enc appends the canonical encoding of the value at v, of plan p:
// numbers by their bytes, strings and slices with their length (a nil
// slice as an empty one), structs field by field, a pointer's target the
// first time and a back reference after, functions, channels and opaque
// pointers as present or absent, interfaces as their dynamic type's name
// and value, maps as their entries' encodings in sorted order, constants
// not at all.
func (c *canon) enc(v unsafe.Pointer, p *plan) {
	if p.constant {
		return
	}
	if p.raw {
		c.buf = append(c.buf, bytesAt(v, p.size)...)
		return
	}
	switch p.kind {
	case reflect.Uintptr, reflect.UnsafePointer, reflect.Func, reflect.Chan:
		// An address says nothing of the state; a function or channel is
		// encoded as present or absent.
		c.bool(*(*uintptr)(v) != 0)
	case reflect.String:
		c.str(*(*string)(v))
	case reflect.Slice:
		h := (*sliceHeader)(v)
		c.u64(uint64(h.len))
		if p.elem.raw {
			c.buf = append(c.buf, bytesAt(h.data, uintptr(h.len)*p.elem.size)...)
			return
		}
		for i := range h.len {
			c.enc(unsafe.Add(h.data, uintptr(i)*p.elem.size), p.elem)
		}
	case reflect.Array:
		for i := range p.t.Len() {
			c.enc(unsafe.Add(v, uintptr(i)*p.elem.size), p.elem)
		}
	case reflect.Struct:
		if c.parts != nil {
			c.structParts(v, p)
			return
		}
		for i := range p.enc {
			op := &p.enc[i]
			if op.clock {
				c.clock(*(*Millis)(unsafe.Add(v, op.off)))
				continue
			}
			if op.p == nil {
				c.buf = append(c.buf, bytesAt(unsafe.Add(v, op.off), op.n)...)
				continue
			}
			c.enc(unsafe.Add(v, op.off), op.p)
		}
		if p.grant {
			c.grant((*oauth.Grant)(v))
		}
	case reflect.Pointer:
		c.pointer(*(*unsafe.Pointer)(v), p)
	case reflect.Interface:
		if (*iface)(v).tab == nil {
			c.u64(0)
			return
		}
		d := c.ps.dynOf(p.t, v)
		c.str(d.name)
		if d.ptr {
			c.enc(unsafe.Pointer(&(*iface)(v).data), d.p)
			return
		}
		e := reflect.NewAt(p.t, v).Elem().Elem()
		tmp := reflect.New(e.Type())
		tmp.Elem().Set(e)
		c.enc(tmp.UnsafePointer(), d.p)
	case reflect.Map:
		c.mapValue(v, p)
	default:
		c.buf = append(c.buf, bytesAt(v, p.size)...)
	}
}

func (c *canon) pointer(v unsafe.Pointer, p *plan) {
	if v == nil {
		c.u64(0)
		return
	}
	if p.opaque {
		c.u64(1)
		return
	}
	if p.elem.noPtr {
		// A pointer to a plain value is encoded by the value: whether two
		// such pointers share a target is no part of the state (a policy's
		// retry count points into the configuration in a run, into a copy
		// after a restore).
		c.u64(3)
		c.enc(v, p.elem)
		return
	}
	a := uintptr(v)
	if k, ok := c.seen[a]; ok {
		c.u64(2)
		c.u64(uint64(k))
		return
	}
	c.seen[a] = uint32(len(c.seen))
	c.u64(3)
	c.enc(v, p.elem)
}

// sorted appends the entries encoded in s.buf at s.spans, in the order of
// their bytes, each with its length.
func (c *canon) sorted(s *canon) {
	slices.SortFunc(s.spans, func(a, b [2]int) int { return bytes.Compare(s.buf[a[0]:a[1]], s.buf[b[0]:b[1]]) })
	for _, sp := range s.spans {
		c.u64(uint64(sp[1] - sp[0]))
		c.buf = append(c.buf, s.buf[sp[0]:sp[1]]...)
	}
}

func (c *canon) subEncoder() *canon {
	if c.sub == nil {
		c.sub = &canon{ps: c.ps}
	}
	s := c.sub
	s.reset()
	s.now, s.slowDown = c.now, c.slowDown
	s.spans = s.spans[:0]
	return s
}

// mapValue encodes a map as its entries, each encoded on its own, in the
// order of their encodings.
func (c *canon) mapValue(v unsafe.Pointer, p *plan) {
	m := reflect.NewAt(p.t, v).Elem()
	c.u64(uint64(m.Len()))
	if m.Len() == 0 {
		return
	}
	s := c.subEncoder()
	k, e := reflect.New(p.key.t), reflect.New(p.elem.t)
	it := m.MapRange()
	for it.Next() {
		clear(s.seen)
		k.Elem().SetIterKey(it)
		e.Elem().SetIterValue(it)
		start := len(s.buf)
		s.enc(k.UnsafePointer(), p.key)
		s.enc(e.UnsafePointer(), p.elem)
		s.spans = append(s.spans, [2]int{start, len(s.buf)})
	}
	c.sorted(s)
}

// events encodes the pending events as a multiset: each event with what it
// refers to (an exchange's request, its fate so far, an answer), without
// its sequence number or the exchange's index.
func (c *canon) events(r *Runner) {
	s := c.subEncoder()
	bp, xp, ap := r.ps.of(bytesType), r.ps.of(exchangeType), r.ps.of(arrivalType)
	for i := range r.q.ev {
		e := &r.q.ev[i]
		clear(s.seen)
		start := len(s.buf)
		s.u64(uint64(e.at))
		s.u64(uint64(e.kind))
		s.u64(uint64(e.actor))
		s.bool(e.ok)
		s.str(e.text)
		s.enc(unsafe.Pointer(&e.data), bp)
		switch e.kind {
		case evReqArrive, evRespArrive, evTimeout:
			x := &r.ex[e.id]
			s.enc(unsafe.Pointer(x), xp)
			if !c.ps.exact {
				s.ledger(x)
			}
			if e.kind == evRespArrive {
				s.enc(unsafe.Pointer(&r.resps[e.aux]), ap)
			}
		default:
			s.u64(e.id)
			s.u64(e.aux)
		}
		s.spans = append(s.spans, [2]int{start, len(s.buf)})
	}
	c.u64(uint64(len(s.spans)))
	if c.parts != nil {
		c.eventParts(r, s)
		return
	}
	c.sorted(s)
}
