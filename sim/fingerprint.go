package sim

import (
	"crypto/sha256"
	"encoding/binary"
	"math"
	"reflect"
	"slices"
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
// walked by reflection field by field; maps as sorted hashes of their
// entries; nil and empty slices and maps alike; shared pointers as back references; functions and channels as
// present or absent. Left out: the trace (a hash of the past), the
// result's tallies, and bookkeeping of exchanges no pending event refers
// to. It returns the encoding's length in bytes too.
func (r *Runner) Fingerprint() (Fingerprint, int) {
	w := r.r
	c := &r.canon
	c.reset()
	c.u64(uint64(r.st.lossUsed))
	c.u64(uint64(r.st.dupUsed))
	if r.st.resetMax > 0 {
		c.u64(uint64(r.st.resetUsed))
	}
	c.value(reflect.ValueOf(w).Elem())
	// The result: the endings and the violation, not the tallies.
	c.value(reflect.ValueOf(&w.res.New).Elem())
	c.value(reflect.ValueOf(&w.res.Existing).Elem())
	c.bool(w.res.Violation != nil)
	c.events(r)
	n := len(c.buf)
	sum := sha256.Sum256(c.buf)
	return Fingerprint{binary.LittleEndian.Uint64(sum[0:]), binary.LittleEndian.Uint64(sum[8:])}, n
}

// canon is a canonical encoder of Go values.
type canon struct {
	buf  []byte
	seen map[uintptr]uint32
	sub  *canon
	hs   [][32]byte
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

// Types the walk does not enter: the runner (reached from the monitors and
// adversaries; the run's state is walked from its own root) and the trace.
var (
	runnerType = reflect.TypeFor[*Runner]()
	traceType  = reflect.TypeFor[*Trace]()
	runType    = reflect.TypeFor[run]()
)

// value appends v's canonical encoding.
func (c *canon) value(v reflect.Value) {
	switch v.Kind() {
	case reflect.Bool:
		c.bool(v.Bool())
	case reflect.Int8, reflect.Int16, reflect.Int32:
		c.buf = binary.LittleEndian.AppendUint32(c.buf, uint32(v.Int()))
	case reflect.Uint8:
		c.buf = append(c.buf, uint8(v.Uint()))
	case reflect.Uint16, reflect.Uint32:
		c.buf = binary.LittleEndian.AppendUint32(c.buf, uint32(v.Uint()))
	case reflect.Int, reflect.Int64:
		c.u64(uint64(v.Int()))
	case reflect.Uint, reflect.Uint64:
		c.u64(v.Uint())
	case reflect.Uintptr, reflect.UnsafePointer, reflect.Func, reflect.Chan:
		// An address says nothing of the state; a function or channel is
		// encoded as present or absent.
		c.bool(!v.IsZero())
	case reflect.Float32, reflect.Float64:
		c.u64(math.Float64bits(v.Float()))
	case reflect.Complex64, reflect.Complex128:
		z := v.Complex()
		c.u64(math.Float64bits(real(z)))
		c.u64(math.Float64bits(imag(z)))
	case reflect.String:
		c.str(v.String())
	case reflect.Slice:
		// A nil slice and an empty one are the same state (a reused
		// buffer is empty, a fresh one nil).
		if v.Type().Elem().Kind() == reflect.Uint8 {
			c.u64(uint64(v.Len()))
			c.buf = append(c.buf, v.Bytes()...)
			return
		}
		c.u64(uint64(v.Len()))
		for i := range v.Len() {
			c.value(v.Index(i))
		}
	case reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			c.bytesOfArray(v)
			return
		}
		for i := range v.Len() {
			c.value(v.Index(i))
		}
	case reflect.Struct:
		c.structValue(v)
	case reflect.Pointer:
		c.pointer(v)
	case reflect.Interface:
		if v.IsNil() {
			c.u64(0)
			return
		}
		e := v.Elem()
		c.str(e.Type().String())
		c.value(e)
	case reflect.Map:
		c.mapValue(v)
	}
}

func (c *canon) structValue(v reflect.Value) {
	t := v.Type()
	for i := range t.NumField() {
		if t == runType {
			switch t.Field(i).Name {
			case "res", "faults":
				continue // the result is encoded apart; faults are swarm-only
			}
		}
		c.value(v.Field(i))
	}
}

func (c *canon) pointer(v reflect.Value) {
	if v.IsNil() {
		c.u64(0)
		return
	}
	if v.Type() == runnerType || v.Type() == traceType {
		c.u64(1)
		return
	}
	p := v.Pointer()
	if k, ok := c.seen[p]; ok {
		c.u64(2)
		c.u64(uint64(k))
		return
	}
	c.seen[p] = uint32(len(c.seen))
	c.u64(3)
	c.value(v.Elem())
}

// mapValue encodes a map as the sorted hashes of its entries, each entry
// encoded on its own.
func (c *canon) mapValue(v reflect.Value) {
	c.u64(uint64(v.Len()))
	if v.Len() == 0 {
		return
	}
	if c.sub == nil {
		c.sub = &canon{}
	}
	s := c.sub
	start := len(c.hs)
	it := v.MapRange()
	for it.Next() {
		s.reset()
		s.value(it.Key())
		s.value(it.Value())
		c.hs = append(c.hs, sha256.Sum256(s.buf))
	}
	hs := c.hs[start:]
	slices.SortFunc(hs, func(a, b [32]byte) int { return slices.Compare(a[:], b[:]) })
	for _, h := range hs {
		c.buf = append(c.buf, h[:16]...)
	}
	c.hs = c.hs[:start]
}

// events encodes the pending events as a multiset: each event with what it
// refers to (an exchange's request, its fate so far, an answer), without
// its sequence number or the exchange's index.
func (c *canon) events(r *Runner) {
	if c.sub == nil {
		c.sub = &canon{}
	}
	s := c.sub
	start := len(c.hs)
	for i := range r.q.ev {
		e := &r.q.ev[i]
		s.reset()
		s.u64(uint64(e.at))
		s.u64(uint64(e.kind))
		s.u64(uint64(e.actor))
		s.bool(e.ok)
		s.str(e.text)
		s.value(reflect.ValueOf(e.data))
		switch e.kind {
		case evReqArrive, evRespArrive, evTimeout:
			x := &r.ex[e.id]
			s.value(reflect.ValueOf(x).Elem())
			if e.kind == evRespArrive {
				s.value(reflect.ValueOf(&r.resps[e.aux]).Elem())
			}
		default:
			s.u64(e.id)
			s.u64(e.aux)
		}
		c.hs = append(c.hs, sha256.Sum256(s.buf))
	}
	hs := c.hs[start:]
	slices.SortFunc(hs, func(a, b [32]byte) int { return slices.Compare(a[:], b[:]) })
	c.u64(uint64(len(hs)))
	for _, h := range hs {
		c.buf = append(c.buf, h[:16]...)
	}
	c.hs = c.hs[:start]
}

// bytesOfArray appends a byte array's bytes, in one go when the array is
// addressable (reached through a pointer), else byte by byte.
func (c *canon) bytesOfArray(v reflect.Value) {
	if v.CanAddr() {
		c.buf = append(c.buf, v.Slice(0, v.Len()).Bytes()...)
		return
	}
	for i := range v.Len() {
		c.buf = append(c.buf, uint8(v.Index(i).Uint()))
	}
}
