package sim

import (
	"fmt"
	"maps"
	"reflect"
	"unsafe"

	"qrlab/model/channel"
	"qrlab/model/homeserver"
	"qrlab/model/login"
	"qrlab/model/oauth"
	"qrlab/model/rendezvous"
	"qrlab/model/variant"
)

// Plans: what the snapshot copier (snapshot.go) and the fingerprint encoder
// (fingerprint.go) know of each Go type of a run's state, worked out once
// per type by reflection and then followed with direct memory access, so
// that neither walks reflect.Values field by field at every state.

// plan is one type's plan.
type plan struct {
	t    reflect.Type
	kind reflect.Kind
	size uintptr
	// noPtr: the type holds no pointer, so its bytes are a deep copy.
	noPtr bool
	// raw: noPtr and no padding, so its bytes are also its canonical
	// encoding.
	raw bool
	// flat: a plain (typed) copy of a value is a deep copy: nothing in it
	// can be changed through a pointer (strings, functions, channels,
	// shared and opaque pointers, constants).
	flat bool
	// shared (pointers): what it points at is never written once made
	// (a key, an AEAD), so copies share it; the encoder still encodes it.
	shared bool
	// opaque (pointers): the runner and its trace, outside the state: a
	// copy shares them and the encoder says only present or absent.
	opaque bool
	// constant: the value is the same in every state of one runner's runs
	// (a configuration): copies share what it refers to and the encoder
	// leaves it out.
	constant bool
	// target: some pointer type of the state points at this type, so a
	// value held in place (a field, an element) may be pointed at, and the
	// copier notes where it copied it.
	target bool
	// grant: the type is oauth.Grant (canon.grant follows its fields).
	grant bool
	// firstChecks: the type is the device checker's record of 404
	// answers, encoded by what is read of it (canon.firstChecks).
	firstChecks bool
	// tctx: under the time abstraction, the struct has fields encoded
	// relative to the run's time or to a counter (canon.structTimed);
	// idOff, when idCtx, is its counter's offset (fingerprint_time.go).
	tctx, idCtx bool
	fields      []fieldPlan
	// deep are the fields a struct copy must copy one by one after
	// copying the whole struct plainly: those that are not flat, and
	// targets (whose copies are noted); worked out at plans generation
	// deepGen, since a later plan may make a field's type a target.
	deep    []int
	deepGen int
	// enc is the encoder's view of a struct's fields: runs of adjacent
	// plain fields merged into one (p nil: off and n give the bytes).
	enc  []encOp
	elem *plan
	key  *plan
	// maps (maps of a type in typedMaps): the map's typed operations,
	// which the copier and the encoder use instead of reflection.
	maps mapOps
	// ptrType is the type word of a pointer to t (plan.at), worked out
	// at the first use.
	ptrType unsafe.Pointer
	// entry (other maps): the copier's scratch values for one entry
	// (copyEntries), nil while in use.
	entry *mapEntry
	// dynTab and dynLast (interfaces) are the type word of the last
	// dynamic type met and its plan (plans.dynFor).
	dynTab  unsafe.Pointer
	dynLast *dynPlan
	// inline are the maps held in place in a value of the type
	// (copier.inlineMaps), worked out at plans generation inlineGen.
	inline    []inlineMap
	inlineGen int
	// fops are enc with nested structs' steps spliced in, by kind: the
	// fingerprint's (flatOps), worked out at its first encoding.
	fops []fpOp
	// encEntry (maps without typed operations): the encoder's scratch
	// values for one entry (canon.mapValue), nil while in use.
	encEntry *encEntry
}

// eface is an empty interface value's two words.
type eface struct {
	typ, data unsafe.Pointer
}

// at is reflect.NewAt(p.t, v).Elem(), the addressable value of p's type
// at v, without reflect working out the pointer type at every call (for a
// type whose pointer type the program does not name, a load from a
// synchronized map: 4% of an exploration's cpu): the plan keeps the type
// word of *t, and the pointer to v is made as an interface value of that
// type, as any(v) would be.
func (p *plan) at(v unsafe.Pointer) reflect.Value {
	if p.ptrType == nil {
		z := reflect.Zero(reflect.PointerTo(p.t)).Interface()
		p.ptrType = (*eface)(unsafe.Pointer(&z)).typ
	}
	x := eface{typ: p.ptrType, data: v}
	return reflect.ValueOf(*(*any)(unsafe.Pointer(&x))).Elem()
}

type encOp struct {
	off, n uintptr
	p      *plan
	// clock: the field is a clockFields clock.
	clock bool
	// tm, base: how the time abstraction encodes the field
	// (fingerprint_time.go; 0: as any other).
	tm   timeKind
	base uintptr
}

type fieldPlan struct {
	off uintptr
	p   *plan
	// noEnc: the encoder leaves the field out (the run's result and its
	// swarm faults, encoded apart or never in a stepped run; the
	// ledgerFields, encoded by what is read of them; the derivedFields,
	// functions of the fields encoded beside them; the cacheFields, hashes
	// of what is encoded).
	noEnc bool
	// clock: one of clockFields.
	clock bool
	// tm, base: the time abstraction's encoding (fingerprint_time.go).
	tm   timeKind
	base uintptr
}

// constantTypes are the configurations a run's machines and servers are
// built from: the same in every state of one runner's runs (sim tests
// check that no step changes them).
var constantTypes = map[reflect.Type]bool{
	reflect.TypeFor[variant.Variant]():            true,
	reflect.TypeFor[login.NewDeviceConfig]():      true,
	reflect.TypeFor[login.ExistingDeviceConfig](): true,
	reflect.TypeFor[channel.Config]():             true,
	reflect.TypeFor[rendezvous.Config]():          true,
	reflect.TypeFor[oauth.Config]():               true,
	reflect.TypeFor[homeserver.Config]():          true,
	reflect.TypeFor[rendezvous.Rules]():           true,
	// A stepped run has no swarm, whose heal alone changes the network.
	reflect.TypeFor[Network](): true,
}

// constantNames are constant types the model does not export, by package
// path and name; constantFields are fields, by their struct's package path
// and name and their own name, made when the run is built and only read
// afterwards.
var (
	constantNames  = map[string]bool{"qrlab/model/rendezvous.corsSets": true}
	constantFields = map[string]bool{"qrlab/model/oauth.Server.metadata": true, "qrlab/sim.run.net": true}
)

// sharedSlices are the slices, by their type's or their field's name,
// whose elements are never written once the slice is stored (a message's
// body and header, a scanned payload, a posted form): a copy shares the
// elements, the encoder still encodes them.
var sharedSlices = map[string]bool{
	"qrlab/model/wire.Header":         true,
	"qrlab/model/login.Request.Body":  true,
	"qrlab/model/login.Response.Body": true,
	"qrlab/sim.event.data":            true,
	"qrlab/sim.exchange.form":         true,
}

// sharedMaps are map fields, by their struct's package path and name and
// their own name, that copies share: the one who writes the field clones
// the map first whenever a snapshot may share it. The trace observer's
// failed requests (about seventeen entries mid-login, rewritten at most at
// an answer) were copied at every snapshot and every restore; a snapshot
// and a restore now say that the live one is shared (observer.failedShared).
var sharedMaps = map[string]bool{
	"qrlab/sim.observer.failed": true,
}

// sharedPointers are pointer fields, by their struct's package path and
// name and their own name, that nothing writes through once the pointer is
// stored: a copy shares what they point at, the encoder still encodes it
// (TestSharedPointersNeverWrittenThrough). A request policy's retry counts
// point into the variant or at a count variant.TimingKnobs.Policy made for
// the policy, and are only read (login's core): shared, the ints they
// point at are no copier target, so that no int held in place in the
// state is looked up or noted where it was copied (every int of every
// struct a snapshot or restore copies field by field).
var sharedPointers = map[string]bool{
	"qrlab/model/variant.RequestPolicy.Retries":          true,
	"qrlab/model/variant.RequestPolicy.TransportRetries": true,
	"qrlab/model/variant.RequestPolicy.TimeoutRetries":   true,
}

// isConstant reports whether t is a constant type.
func isConstant(t reflect.Type) bool {
	return constantTypes[t] || constantNames[t.PkgPath()+"."+t.Name()]
}

// isConstantField reports whether field i of struct type t is constant.
func isConstantField(t reflect.Type, i int) bool {
	return constantFields[t.PkgPath()+"."+t.Name()+"."+t.Field(i).Name]
}

// sharedNames are the types, by package path and name, that pointers of
// the state share: keys and AEADs, made once and only read afterwards, and
// an exchange's request (sent once, never written after).
var sharedNames = map[string]bool{
	"qrlab/model/login.Request":                             true,
	"golang.org/x/crypto/chacha20poly1305.chacha20poly1305": true,
	"github.com/cloudflare/circl/hpke.xKEMPrivKey":          true,
	"github.com/cloudflare/circl/hpke.xKEMPubKey":           true,
	"crypto/ecdh.PrivateKey":                                true,
	"crypto/ecdh.PublicKey":                                 true,
}

// plans are one runner's plans by type, and those of the dynamic types its
// interface values held, by the interface value's type word. Each runner
// works its own out, so that runners on different goroutines share
// nothing.
type plans struct {
	// exact: the encoder encodes every field by its value
	// (Runner.ExactFingerprint); abs: times relative to the run's time
	// and counters by difference (the time abstraction,
	// fingerprint_time.go).
	exact bool
	abs   bool
	// above is the time abstraction's bound (Stepping.UntimedAbove);
	// coreIDs where a login core's numbers lie.
	above   Millis
	coreIDs idOffsets
	byType  map[reflect.Type]*plan
	dyn     map[unsafe.Pointer]*dynPlan
	dynSeen *[dynSeenSize]dynSeen
	ofSeen  *[ofSeenSize]ofSeen
	// gen counts the plans built (from 1).
	gen int
	// sp are the plans snapshots start from (snapshot.go; nil: not yet
	// worked out).
	sp *snapPlans
}

// of returns t's plan, working it out the first time.
func (ps *plans) of(t reflect.Type) *plan {
	w := typeWord(t)
	if ps.ofSeen != nil {
		if e := &ps.ofSeen[uintptr(w)>>4%ofSeenSize]; e.w == w {
			return e.p
		}
	}
	p := ps.byType[t]
	if p == nil {
		if ps.byType == nil {
			ps.byType, ps.dyn = map[reflect.Type]*plan{}, map[unsafe.Pointer]*dynPlan{}
		}
		p = ps.build(t)
	}
	if ps.ofSeen == nil {
		ps.ofSeen = new([ofSeenSize]ofSeen)
	}
	ps.ofSeen[uintptr(w)>>4%ofSeenSize] = ofSeen{w, p}
	return p
}

// ofSeen is an entry of the plans' cache of plans by type descriptor
// (typeWord), in front of their map, whose lookup hashes and compares an
// interface (the encoder and the copier ask for a few types' plans at
// every state): one entry per slot, the last met.
type ofSeen struct {
	w unsafe.Pointer
	p *plan
}

const ofSeenSize = 32

func (ps *plans) build(t reflect.Type) *plan {
	if p := ps.byType[t]; p != nil {
		return p
	}
	p := &plan{t: t, kind: t.Kind(), size: t.Size()}
	ps.byType[t] = p
	ps.gen++
	if isConstant(t) || t == verifyMemoType {
		// (The homeserver's memo of verifications is no part of the
		// state at all: copies share it, the encoder leaves it out, as a
		// configuration's.)
		p.constant, p.flat = true, true
		return p
	}
	switch p.kind {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		p.noPtr, p.raw, p.flat = true, true, true
	case reflect.Uintptr:
		p.noPtr, p.flat = true, true
	case reflect.String, reflect.Func, reflect.Chan, reflect.UnsafePointer:
		p.flat = true
	case reflect.Pointer:
		switch {
		case t == runnerType || t == traceType:
			p.opaque, p.flat = true, true
			return p
		case sharedNames[t.Elem().PkgPath()+"."+t.Elem().Name()]:
			p.shared, p.flat = true, true
		}
		p.elem = ps.build(t.Elem())
		// A copy shares what a shared pointer points at, never looking
		// for where it copied it: only the others make their element a
		// target.
		p.elem.target = p.elem.target || !p.shared
	case reflect.Slice:
		p.elem = ps.build(t.Elem())
		p.flat = sharedSlices[t.PkgPath()+"."+t.Name()]
		p.firstChecks = t == deviceAtsType && !ps.exact
	case reflect.Map:
		p.key, p.elem = ps.build(t.Key()), ps.build(t.Elem())
		if mk := typedMaps[t]; mk != nil && p.key.flat && p.elem.flat {
			p.maps = mk()
		}
	case reflect.Interface:
	case reflect.Array:
		p.elem = ps.build(t.Elem())
		p.noPtr, p.raw, p.flat = p.elem.noPtr, p.elem.raw, p.elem.flat
	case reflect.Struct:
		p.noPtr, p.raw, p.flat = true, true, true
		p.grant = t == grantType && !ps.exact
		var sum uintptr
		for i := range t.NumField() {
			f := t.Field(i)
			name := t.PkgPath() + "." + t.Name() + "." + f.Name
			var fp fieldPlan
			if sharedPointers[name] && f.Type.Kind() == reflect.Pointer {
				// (Its element is no target: built for the encoder.)
				fp = fieldPlan{off: f.Offset, p: &plan{t: f.Type, kind: reflect.Pointer, size: f.Type.Size(), shared: true, flat: true, elem: ps.build(f.Type.Elem())}}
			} else {
				fp = fieldPlan{off: f.Offset, p: ps.build(f.Type)}
			}
			switch {
			case isConstantField(t, i):
				fp.p = &plan{t: f.Type, kind: f.Type.Kind(), size: f.Type.Size(), constant: true, flat: true}
			case sharedSlices[name] && f.Type.Kind() == reflect.Slice:
				fp.p = &plan{t: f.Type, kind: reflect.Slice, size: f.Type.Size(), flat: true, elem: ps.build(f.Type.Elem())}
			case sharedMaps[name] && f.Type.Kind() == reflect.Map:
				fp.p = &plan{t: f.Type, kind: reflect.Map, size: f.Type.Size(), flat: true, key: ps.build(f.Type.Key()), elem: ps.build(f.Type.Elem())}
			}
			if t == runType && (f.Name == "res" || f.Name == "faults") || cacheFields[name] || (ledgerFields[name] || derivedFields[name]) && !ps.exact {
				fp.noEnc = true
			}
			fp.clock = clockFields[name] && f.Type.Kind() == reflect.Int64 && !ps.exact
			ps.timeField(t, p, name, &fp)
			p.fields = append(p.fields, fp)
			p.noPtr = p.noPtr && fp.p.noPtr
			p.raw = p.raw && fp.p.raw && !fp.noEnc && !fp.clock && fp.tm == 0
			p.flat = p.flat && fp.p.flat
			sum += f.Type.Size()
		}
		p.raw = p.raw && sum == t.Size() && !p.grant
		for _, f := range p.fields {
			switch {
			case f.noEnc || f.p.constant:
			case f.tm != 0:
				p.enc = append(p.enc, encOp{off: f.off, n: f.p.size, tm: f.tm, base: f.base})
			case f.clock:
				p.enc = append(p.enc, encOp{off: f.off, n: f.p.size, clock: true})
			case f.p.raw:
				// Merged only into a plain run: a clock's or a time's
				// op encodes its own field and no more.
				if k := len(p.enc) - 1; k >= 0 && p.enc[k].p == nil && !p.enc[k].clock && p.enc[k].tm == 0 && p.enc[k].off+p.enc[k].n == f.off {
					p.enc[k].n += f.p.size
					continue
				}
				p.enc = append(p.enc, encOp{off: f.off, n: f.p.size})
			default:
				p.enc = append(p.enc, encOp{off: f.off, p: f.p})
			}
		}
	}
	return p
}

// dynPlan is the plan of an interface value's dynamic type.
type dynPlan struct {
	p    *plan
	name string
	// ptr: the dynamic type is a pointer, held in the interface's data
	// word.
	ptr bool
}

// iface is an interface value's two words.
type iface struct {
	tab, data unsafe.Pointer
}

// dynOf returns the plan of the dynamic type of the non-nil interface
// value at v of type t.
func (ps *plans) dynOf(t reflect.Type, v unsafe.Pointer) *dynPlan {
	tab := (*iface)(v).tab
	if ps.dynSeen == nil {
		ps.dynSeen = new([dynSeenSize]dynSeen)
	}
	e := &ps.dynSeen[uintptr(tab)>>3%dynSeenSize]
	if e.tab == tab && e.d != nil {
		return e.d
	}
	d := ps.dyn[tab]
	if d == nil {
		dt := reflect.NewAt(t, v).Elem().Elem().Type()
		d = &dynPlan{p: ps.of(dt), name: dt.String(), ptr: dt.Kind() == reflect.Pointer}
		ps.dyn[tab] = d
	}
	e.tab, e.d = tab, d
	return d
}

// dynSeen is an entry of the plans' cache of dynamic types by type word,
// in front of their map (whose lookup was half a percent of an explorer
// transition): one entry per slot, the last met.
type dynSeen struct {
	tab unsafe.Pointer
	d   *dynPlan
}

const dynSeenSize = 64

// dynFor is dynOf for an interface value of plan p, which keeps the last
// dynamic type it met (an interface field of the state holds one dynamic
// type, or few, most of the time).
func (ps *plans) dynFor(p *plan, v unsafe.Pointer) *dynPlan {
	tab := (*iface)(v).tab
	if p.dynTab == tab && p.dynLast != nil {
		return p.dynLast
	}
	d := ps.dynOf(p.t, v)
	p.dynTab, p.dynLast = tab, d
	return d
}

// sliceHeader is a slice's three words.
type sliceHeader struct {
	data     unsafe.Pointer
	len, cap int
}

// copier deep-copies values by their plans, keeping the sharing of
// pointers among the values it copies.
type copier struct {
	ps *plans
	// memo maps a source value (its address and plan) to its copy.
	memo ptrTable
	// bytes counts what the copies allocated.
	bytes int
	err   error
	// arena is where values without pointers are copied to, a chunk at a
	// time (one allocation for the many small byte slices of a state).
	// Copies share a chunk until it is full, whatever state they belong
	// to: nothing is written there but by the copy that owns the bytes,
	// and a chunk lives as long as any of its copies (at most a chunk's
	// worth kept for another's sake).
	arena []byte
	// pool is the maps a copy writes over, filled again (snapshot_reuse.go).
	pool mapPool
	// skip are fields of struct plan skipIn, as bits of their index, that
	// a copy leaves as the plain copy of the struct made them (the
	// monitors' shared groups, snapshot_groups.go).
	skipIn *plan
	skip   uint64
}

// arenaChunk is the size of a copier's arena chunks.
const arenaChunk = 4 << 10

// alloc returns n bytes aligned to align for values without pointers.
func (c *copier) alloc(n, align uintptr) unsafe.Pointer {
	off := (uintptr(len(c.arena)) + align - 1) &^ (align - 1)
	if off+n > uintptr(cap(c.arena)) {
		c.arena = make([]byte, 0, max(arenaChunk, n))
		off = 0
	}
	c.bytes += int(off+n) - len(c.arena)
	c.arena = c.arena[:off+n]
	return unsafe.Pointer(&c.arena[off])
}

func (c *copier) reset() {
	c.memo.reset()
	c.bytes, c.err = 0, nil
}

// memoize records that the value at src, of plan p, is copied at dst.
func (c *copier) memoize(src unsafe.Pointer, p *plan, dst unsafe.Pointer) {
	c.memo.put(uintptr(src), uintptr(unsafe.Pointer(p)), dst, 0)
}

// copyOf returns where the value at src, of plan p, was copied.
func (c *copier) copyOf(src unsafe.Pointer, p *plan) (unsafe.Pointer, bool) {
	d, _, ok := c.memo.get(uintptr(src), uintptr(unsafe.Pointer(p)))
	return d, ok
}

// note records that the value at src was copied to dst, for pointers to it
// copied later.
func (c *copier) note(src, dst unsafe.Pointer, p *plan) {
	if c.memo.insert(uintptr(src), uintptr(unsafe.Pointer(p)), dst, 0) && c.err == nil {
		c.err = fmt.Errorf("a pointer to a %s was copied before the value it points at", p.t)
	}
}

func bytesAt(p unsafe.Pointer, n uintptr) []byte { return unsafe.Slice((*byte)(p), n) }

// copy makes the value at dst a deep copy of the value at src.
func (c *copier) copy(dst, src unsafe.Pointer, p *plan) {
	if p.constant {
		typedCopy(dst, src, p.t)
		return
	}
	if p.noPtr {
		copy(bytesAt(dst, p.size), bytesAt(src, p.size))
		return
	}
	switch p.kind {
	case reflect.String:
		*(*string)(dst) = *(*string)(src)
	case reflect.Func, reflect.Chan, reflect.UnsafePointer:
		*(*unsafe.Pointer)(dst) = *(*unsafe.Pointer)(src)
	case reflect.Pointer:
		if p.flat {
			*(*unsafe.Pointer)(dst) = *(*unsafe.Pointer)(src)
			return
		}
		*(*unsafe.Pointer)(dst) = c.pointer(*(*unsafe.Pointer)(src), p.elem)
	case reflect.Struct:
		// A plain typed copy of the whole struct, then the fields that
		// need more, one by one.
		c.deepOf(p)
		if len(p.deep) < len(p.fields) {
			typedCopy(dst, src, p.t)
		}
		for _, i := range p.deep {
			if p == c.skipIn && c.skip>>i&1 != 0 {
				continue
			}
			f := &p.fields[i]
			d, s := unsafe.Add(dst, f.off), unsafe.Add(src, f.off)
			if f.p.target {
				c.note(s, d, f.p)
			}
			c.copy(d, s, f.p)
		}
	case reflect.Array:
		n := p.t.Len()
		for i := range n {
			off := uintptr(i) * p.elem.size
			d, s := unsafe.Add(dst, off), unsafe.Add(src, off)
			if p.elem.target {
				c.note(s, d, p.elem)
			}
			c.copy(d, s, p.elem)
		}
	case reflect.Slice:
		if p.flat {
			s, d := (*sliceHeader)(src), (*sliceHeader)(dst)
			d.data, d.len, d.cap = s.data, s.len, s.cap
			return
		}
		c.slice(dst, src, p)
	case reflect.Map:
		c.mapCopy(dst, src, p)
	case reflect.Interface:
		c.iface(dst, src, p)
	}
}

// pointer returns the copy of the value src points at (nil for nil), the
// same copy for every pointer to it.
func (c *copier) pointer(src unsafe.Pointer, ep *plan) unsafe.Pointer {
	if src == nil {
		return nil
	}
	if d, ok := c.copyOf(src, ep); ok {
		return d
	}
	var d unsafe.Pointer
	if ep.noPtr && ep.size > 0 {
		d = c.alloc(ep.size, uintptr(ep.t.Align()))
	} else {
		d = reflect.New(ep.t).UnsafePointer()
		c.bytes += int(ep.size)
	}
	c.memoize(src, ep, d)
	c.copy(d, src, ep)
	return d
}

func (c *copier) slice(dst, src unsafe.Pointer, p *plan) { c.sliceTo(dst, src, p, false) }

// sliceInto is slice, copying into dst's own array when it holds enough
// (its elements past the copy's length cleared): for a slice only the
// destination refers to.
func (c *copier) sliceInto(dst, src unsafe.Pointer, p *plan) { c.sliceTo(dst, src, p, true) }

func (c *copier) sliceTo(dst, src unsafe.Pointer, p *plan, reuse bool) {
	s, d := (*sliceHeader)(src), (*sliceHeader)(dst)
	if s.data == nil {
		d.data, d.len, d.cap = nil, 0, 0
		return
	}
	n := s.len
	es := p.elem.size
	var nd unsafe.Pointer
	capacity := n
	if reuse {
		// An array made for a destination that is written over again
		// (the live run's, a recycled snapshot's) has room to grow.
		capacity = n + n/4 + 4
	}
	if reuse && d.data != nil && d.cap >= n && n > 0 {
		// Clear what the old length held past n, then copy over the rest.
		if d.len > n {
			tail := unsafe.Add(d.data, uintptr(n)*es)
			if p.elem.noPtr {
				clear(bytesAt(tail, uintptr(d.len-n)*es))
			} else {
				memclrHasPointers(tail, uintptr(d.len-n)*es)
			}
		}
		nd, capacity = d.data, d.cap
	}
	switch {
	case p.elem.noPtr && n > 0 && es > 0:
		if nd == nil {
			nd = c.alloc(uintptr(capacity)*es, uintptr(p.elem.t.Align()))
		}
		copy(bytesAt(nd, uintptr(n)*es), bytesAt(s.data, uintptr(n)*es))
	case !p.elem.target && (p.elem.flat || p.elem.kind == reflect.Struct):
		// Plain copies of the elements, then (structs) their fields that
		// need more, one by one.
		et := typeWord(p.elem.t)
		if nd == nil {
			nd = newarray(et, capacity)
			c.bytes += capacity * int(es)
		}
		typedslicecopy(et, nd, n, s.data, n)
		if p.elem.flat {
			break
		}
		ep := p.elem
		c.deepOf(ep)
		for i := range n {
			off := uintptr(i) * es
			for _, k := range ep.deep {
				f := &ep.fields[k]
				fd, fs := unsafe.Add(nd, off+f.off), unsafe.Add(s.data, off+f.off)
				if f.p.target {
					c.note(fs, fd, f.p)
				}
				c.copy(fd, fs, f.p)
			}
		}
	default:
		if nd == nil {
			nd = newarray(typeWord(p.elem.t), capacity)
			c.bytes += capacity * int(es)
		}
		target := p.elem.target
		for i := range n {
			off := uintptr(i) * es
			ed, esrc := unsafe.Add(nd, off), unsafe.Add(s.data, off)
			if target {
				c.note(esrc, ed, p.elem)
			}
			c.copy(ed, esrc, p.elem)
		}
	}
	d.data, d.len, d.cap = nd, n, capacity
}

func (c *copier) mapCopy(dst, src unsafe.Pointer, p *plan) {
	// A map value is one pointer (nil for a nil map).
	if *(*unsafe.Pointer)(src) == nil {
		*(*unsafe.Pointer)(dst) = nil
		return
	}
	if p.maps != nil {
		// Flat keys and values: a clone is a deep copy.
		c.bytes += p.maps.len(src) * int(p.key.size+p.elem.size+8)
		if len(c.pool.m) == 0 || !c.refillMap(dst, src, p) {
			p.maps.clone(dst, src)
		}
		return
	}
	sv := p.at(src)
	c.bytes += sv.Len() * int(p.key.size+p.elem.size+8)
	if len(c.pool.m) > 0 && c.refillMap(dst, src, p) {
		return
	}
	dv := p.at(dst)
	m := reflect.MakeMapWithSize(p.t, sv.Len())
	it := sv.MapRange()
	if p.key.flat && p.elem.flat {
		for it.Next() {
			m.SetMapIndex(it.Key(), it.Value())
		}
		dv.Set(m)
		return
	}
	c.copyEntries(m, it, p)
	dv.Set(m)
}

func (c *copier) iface(dst, src unsafe.Pointer, p *plan) {
	s, d := (*iface)(src), (*iface)(dst)
	if s.tab == nil {
		d.tab, d.data = nil, nil
		return
	}
	dp := c.ps.dynFor(p, src)
	switch {
	case dp.p.flat:
		// Shared, or a value boxed in the interface, which nothing writes.
		d.tab, d.data = s.tab, s.data
	case dp.ptr:
		d.tab, d.data = s.tab, c.pointer(s.data, dp.p.elem)
	default:
		e := p.at(src).Elem()
		tmp, nv := reflect.New(e.Type()), reflect.New(e.Type())
		tmp.Elem().Set(e)
		c.copy(nv.UnsafePointer(), tmp.UnsafePointer(), dp.p)
		p.at(dst).Set(nv.Elem())
	}
}

// deepOf works out struct plan p's deep fields, again whenever plans were
// built since.
func (c *copier) deepOf(p *plan) {
	if p.deepGen == c.ps.gen {
		return
	}
	p.deep, p.deepGen = p.deep[:0], c.ps.gen
	for i, f := range p.fields {
		if !f.p.flat || f.p.target {
			p.deep = append(p.deep, i)
		}
	}
}

// mapOps are a map type's operations without reflection.
type mapOps interface {
	// clone makes the map at dst a copy of the one at src (not nil).
	clone(dst, src unsafe.Pointer)
	// refill makes the map at dst (not nil) a copy of the one at src.
	refill(dst, src unsafe.Pointer)
	// len is the length of the map at m.
	len(m unsafe.Pointer) int
	// each calls f with every entry's key and value (pointers to scratch
	// values, overwritten at the next entry).
	each(m unsafe.Pointer, f func(k, v unsafe.Pointer))
}

// typedMaps are the map types of a run's state with typed operations,
// each made per runner's plans (their scratch values are the runner's):
// the sets and small tables the monitors, the trace's observer and the
// servers keep, copied at every snapshot and encoded at every fingerprint.
// A map of another type goes by reflection.
var typedMaps = map[reflect.Type]func() mapOps{
	reflect.TypeFor[map[uint64]bool]():     newMapOps[uint64, bool],
	reflect.TypeFor[map[string]bool]():     newMapOps[string, bool],
	reflect.TypeFor[map[string]int]():      newMapOps[string, int],
	reflect.TypeFor[map[string]struct{}](): newMapOps[string, struct{}],
	reflect.TypeFor[map[nonceUse]Actor]():  newMapOps[nonceUse, Actor],
	reflect.TypeFor[map[requestKey]bool](): newMapOps[requestKey, bool],
}

type typedMap[K comparable, V any] struct {
	k K
	v V
}

func newMapOps[K comparable, V any]() mapOps { return &typedMap[K, V]{} }

func (t *typedMap[K, V]) clone(dst, src unsafe.Pointer) {
	*(*map[K]V)(dst) = maps.Clone(*(*map[K]V)(src))
}

func (t *typedMap[K, V]) refill(dst, src unsafe.Pointer) {
	d := *(*map[K]V)(dst)
	clear(d)
	maps.Copy(d, *(*map[K]V)(src))
}

func (t *typedMap[K, V]) len(m unsafe.Pointer) int { return len(*(*map[K]V)(m)) }

func (t *typedMap[K, V]) each(m unsafe.Pointer, f func(k, v unsafe.Pointer)) {
	for k, v := range *(*map[K]V)(m) {
		t.k, t.v = k, v
		f(unsafe.Pointer(&t.k), unsafe.Pointer(&t.v))
	}
}
