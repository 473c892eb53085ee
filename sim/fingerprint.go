package sim

import (
	"bytes"
	"encoding/binary"
	"math"
	"reflect"
	"slices"
	"unsafe"

	"qrlab/model/homeserver"
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
// spent (unless FingerprintBudgets turned them off). The encoding is canonical: the values reachable from those roots,
// field by field by each type's plan (plan.go: plain fields by their
// bytes); maps as their entries' encodings in sorted order; nil and empty
// slices and maps alike; shared pointers as back references, except
// pointers to plain values, encoded by the value; functions and channels
// as present or absent. Left out: the configurations (constantTypes, the
// same in every state of the runner, checked by the sim tests), the trace
// (a hash of the past), the result's tallies, and bookkeeping of exchanges
// no pending event refers to. Encoded by what is read of them rather than
// by value (fingerprint_reduce.go): the servers' and devices' clocks, the
// exchanges' ledgers, the grants' poll records.
//
// The five largest parts (the store, the provider, the homeserver and the
// two devices: fpParts) are encoded and hashed each on its own, and their
// hashes enter the rest's encoding; a part's hash is kept from one state to
// the next until a step may have changed the part (touch: the step handed
// it a request or an input), or until the run's time reaches the moment a
// part's encoding would change by time alone (fpCache.until: a grant's
// slow_down window closing, canon.grant), and travels with snapshots. The
// monitors' larger fields are kept the same way, in groups
// (monGroupFields), each hashed again only when a step changed one of its
// fields (monitor.touch). It returns the length in bytes of what it
// encoded this time too.
func (r *Runner) Fingerprint() (Fingerprint, int) {
	if !r.fpKeyed {
		r.fph, r.fpKeyed = newFPHash(derive(r.r.seed, streamFingerprint).Uint64()), true
	}
	if r.ps.abs {
		r.rankPast()
	}
	r.restPlan()
	n := 0
	for i := range numKept {
		if r.fpc.valid&(1<<i) == 0 || r.r.now >= r.fpc.until[i] {
			r.fpc.h[i], r.fpc.until[i], n = r.keptHash(i, n)
			r.fpc.valid |= 1 << i
		}
	}
	c := r.encodeRest()
	for i := range numKept {
		c.u64(r.fpc.h[i][0])
		c.u64(r.fpc.h[i][1])
	}
	n += len(c.buf) + r.sideBytes
	r.sideBytes = 0
	return r.fph.sum(c.buf), n
}

// fullFingerprint is the fingerprint with no part hash kept (for tests:
// it must equal Fingerprint in every state).
func (r *Runner) fullFingerprint() (Fingerprint, int) {
	r.fpc.valid = 0
	r.dropEventCaches()
	return r.Fingerprint()
}

// The parts of a run whose hashes the fingerprint keeps: run fields, each
// a pointer to a server or a device.
const (
	partStore = iota
	partOP
	partHS
	partNew
	partExisting
	numParts
)

var fpParts = [numParts]string{"store", "op", "hs", "n", "e"}

// The groups of the monitors' fields whose hashes the fingerprint keeps
// too (monGroupFields), each until a step changes one of its fields
// (monitor.touch): the monitors change at most message deliveries, but
// each delivery changes little of them.
const (
	// monBoxes: the mailboxes followed and what their writes overwrote.
	monBoxes = iota
	// monWritten: every payload each machine wrote.
	monWritten
	// monNeedle: the secrets no payload may carry.
	monNeedle
	// monChecks: what the tap on the channels counted and saw (seals,
	// opens, keys, nonces) and the checkers judged from outside.
	monChecks
	numMonGroups
)

// monGroupFields are the monitor's fields in each group, by name; the
// monitor's other fields (set when the run begins, or small) are encoded
// with the rest at every fingerprint.
var monGroupFields = [numMonGroups][]string{
	monBoxes:   {"boxes"},
	monWritten: {"written"},
	monNeedle:  {"needle"},
	monChecks: {"nonce", "dev", "grant", "order", "cause", "rogue", "camera", "fail", "sealCount", "openCount",
		"openedUpTo", "newKeys", "successSealed"},
}

// numKept is how many hashes the fingerprint keeps: the parts' first,
// then the monitors' groups'.
const numKept = numParts + numMonGroups

// FingerprintHashes is how many 128-bit hashes one fingerprint rests on:
// one per part and per group of the monitors, and the whole's. Two
// different states get the same fingerprint only if one of them collides,
// which is what an omission estimate counts. Not counted: the hashes kept
// with each pending exchange and answer (exchange.sentH, arrival.h), one
// or two per message in flight, whose number no constant bounds; an
// estimate from this constant is low by that factor.
const FingerprintHashes = numKept + 1

// fpCache is the kept hashes of the current state (the parts' and the
// monitors' groups'): h[i] is valid when bit i of valid is set.
type fpCache struct {
	h [numKept]Fingerprint
	// until[i] is the run's time at which hash i's encoding changes with
	// no step touching it (math.MaxInt64: never).
	until [numKept]Millis
	valid uint16
}

// touch says that the monitors' group g may change in this step: its hash
// is worked out again at the next fingerprint, and the group is no longer
// the frozen copy a snapshot may share (snapshot_groups.go).
func (m *monitor) touch(g int) {
	m.r.fpc.valid &^= 1 << (numParts + g)
	m.r.monBase[g] = nil
}

// keptName names kept hash i.
func keptName(i int) string {
	if i < numParts {
		return fpParts[i]
	}
	return "mon." + monGroupFields[i-numParts][0]
}

// keptHash works out kept hash i: a part's or a monitors' group's.
func (r *Runner) keptHash(i, n int) (Fingerprint, Millis, int) {
	if i < numParts {
		return r.partHash(i, n)
	}
	return r.monHash(i-numParts, n)
}

// touch says that part i may change in this step: its hash is worked out
// again at the next fingerprint.
// The part is no longer the frozen copy a snapshot may share either.
func (r *Runner) touch(i int) {
	r.fpc.valid &^= 1 << i
	r.base[i] = nil
}

// partFields are the parts' offsets in a run, and partIndex their field
// indexes (in a run's plan too); set once per process from the run type.
var partFields, partIndex = func() (off [numParts]uintptr, idx [numParts]int) {
	for i, name := range fpParts {
		f, ok := runType.FieldByName(name)
		if !ok || f.Type.Kind() != reflect.Pointer {
			panic("sim: the fingerprint's part " + name + " is not a pointer field of run")
		}
		off[i], idx[i] = f.Offset, f.Index[0]
	}
	return off, idx
}()

// partPtr is where part i of the run points.
func (r *Runner) partPtr(i int) unsafe.Pointer {
	return *(*unsafe.Pointer)(unsafe.Add(unsafe.Pointer(r.r), partFields[i]))
}

// seedParts enters the run and the parts in c's back references, so that
// a pointer to one of them from elsewhere is encoded as a reference to it,
// never by its contents: a part's hash then depends on the part alone.
// The user's record is entered too: the monitors point at it (the run's
// own field, encoded in place), and would encode it a second time.
func (r *Runner) seedParts(c *canon) {
	c.see(uintptr(unsafe.Pointer(r.r)))
	for i := range fpParts {
		if p := uintptr(r.partPtr(i)); p != 0 {
			c.see(p)
		}
	}
	c.see(uintptr(unsafe.Pointer(&r.r.user)))
}

// partHash encodes part i on its own and hashes it, with the run's time
// at which that encoding would change by time alone (canon.flip); n grows
// by the bytes encoded.
func (r *Runner) partHash(i, n int) (Fingerprint, Millis, int) {
	c := &r.canon
	c.ps = &r.ps
	c.reset()
	c.now, c.slowDown, c.flip = r.r.now, r.oc.SlowDown, math.MaxInt64
	p := r.partPtr(i)
	if p == nil {
		c.num(0)
	} else {
		c.num(3)
		r.seedParts(c)
		c.enc(p, r.partPlan(i))
	}
	return r.fph.sum(c.buf), c.flip, n + len(c.buf)
}

// FingerprintBudgets says whether Fingerprint encodes the fault budgets
// the stepped run spent (on, the default) or leaves them out (off): then
// two states that differ only in what they spent of the loss, duplication
// and reset budgets share a fingerprint, and Spent tells them apart. The
// budgets are read by nothing but the gating of fault choices (Enabled,
// resets, Take, takeReset) and this encoding: no machine, server, monitor
// or end-of-run check reads them, so a state with more budget left has
// every choice of the same state with less, each with the same effect.
func (r *Runner) FingerprintBudgets(on bool) { r.noBudgets = !on }

// Spent returns what the stepped run spent of its fault budgets.
func (r *Runner) Spent() (loss, dup, resets int) {
	return r.st.lossUsed, r.st.dupUsed, r.st.resetUsed
}

// monField is the monitors' offset in a run, and monIndex their field
// index in a run's plan.
var monField, monIndex = func() (uintptr, int) {
	f, ok := runType.FieldByName("mon")
	if !ok || f.Type != reflect.TypeFor[monitor]() {
		panic("sim: the run has no monitor field mon")
	}
	return f.Offset, f.Index[0]
}()

// monGroupOf is the group of each of the monitor's fields, by field index
// (-1: encoded with the rest); set once per process.
var monGroupOf = func() []int {
	t := reflect.TypeFor[monitor]()
	out := make([]int, t.NumField())
	for i := range out {
		out[i] = -1
	}
	for g, names := range monGroupFields {
		for _, name := range names {
			f, ok := t.FieldByName(name)
			if !ok || len(f.Index) != 1 || out[f.Index[0]] != -1 {
				panic("sim: the monitors' group field " + name + " is not a field of monitor, or is in two groups")
			}
			out[f.Index[0]] = g
		}
	}
	return out
}()

// restPlan works out, once per plans, the encoding steps of what the kept
// hashes leave: the run's fields but the parts and the monitors, and the
// monitors' fields outside the groups; and each group's.
func (r *Runner) restPlan() {
	if r.restOps != nil {
		return
	}
	rp := r.ps.of(runType)
	r.restOps = flatOps(restOps(rp))
	mp := rp.fields[monIndex].p
	for g := range r.monOps {
		r.monOps[g] = flatOps(fieldOps(mp, func(i int) bool { return monGroupOf[i] == g }))
	}
	r.monRest = flatOps(fieldOps(mp, func(i int) bool { return monGroupOf[i] == -1 }))
	sent, rest := exchangeOps(r.ps.of(exchangeType))
	r.exSent, r.exRest = flatOps(sent), flatOps(rest)
}

// fieldOps are the encoding steps of struct plan p's fields that keep
// says, field by field as enc's are, with adjacent plain fields merged.
func fieldOps(p *plan, keep func(i int) bool) []encOp {
	var out []encOp
	for i, f := range p.fields {
		if !keep(i) || f.noEnc || f.p.constant {
			continue
		}
		switch {
		case f.tm != 0:
			out = append(out, encOp{off: f.off, n: f.p.size, tm: f.tm, base: f.base})
		case f.clock:
			out = append(out, encOp{off: f.off, n: f.p.size, clock: true})
		case f.p.raw:
			if k := len(out) - 1; k >= 0 && out[k].p == nil && out[k].tm == 0 && !out[k].clock && out[k].off+out[k].n == f.off {
				out[k].n += f.p.size
				continue
			}
			out = append(out, encOp{off: f.off, n: f.p.size})
		default:
			out = append(out, encOp{off: f.off, p: f.p})
		}
	}
	return out
}

// ops encodes the steps ops of the struct at v.
func (c *canon) ops(v unsafe.Pointer, ops []fpOp) {
	for i := range ops {
		op := &ops[i]
		q := unsafe.Add(v, op.off)
		switch op.code {
		case fpRaw8:
			c.buf = binary.NativeEndian.AppendUint64(c.buf, *(*uint64)(q))
		case fpRaw:
			c.buf = append(c.buf, bytesAt(q, op.n)...)
		case fpStr:
			c.str(*(*string)(q))
		case fpPtr:
			c.pointer(*(*unsafe.Pointer)(q), op.p)
		case fpBytes:
			h := (*sliceHeader)(q)
			c.num(uint64(h.len))
			c.buf = append(c.buf, bytesAt(h.data, uintptr(h.len)*op.n)...)
		case fpClock:
			c.clock(*(*Millis)(q))
		case fpTime:
			c.timeOp(v, &encOp{off: op.off, tm: op.tm, base: op.base})
		default:
			c.enc(q, op.p)
		}
	}
}

// monHash encodes the monitors' group g on its own and hashes it, as
// partHash does a part.
func (r *Runner) monHash(g, n int) (Fingerprint, Millis, int) {
	c := &r.canon
	c.ps = &r.ps
	c.reset()
	c.now, c.slowDown, c.flip = r.r.now, r.oc.SlowDown, math.MaxInt64
	c.u64(uint64(g))
	r.seedParts(c)
	c.ops(unsafe.Add(unsafe.Pointer(r.r), monField), r.monOps[g])
	return r.fph.sum(c.buf), c.flip, n + len(c.buf)
}

// encodeRest encodes what the kept hashes leave: the budgets (unless
// FingerprintBudgets turned them off), the run's other fields, the
// monitors' fields outside the groups, the result's endings and violation,
// the pending events.
func (r *Runner) encodeRest() *canon {
	w := r.r
	c := &r.canon
	c.ps = &r.ps
	c.reset()
	c.now, c.slowDown = w.now, r.oc.SlowDown
	if !r.noBudgets {
		c.u64(uint64(r.st.lossUsed))
		c.u64(uint64(r.st.dupUsed))
		if r.st.resetMax > 0 {
			c.u64(uint64(r.st.resetUsed))
		}
	}
	r.seedParts(c)
	r.restPlan()
	c.ops(unsafe.Pointer(w), r.restOps)
	c.ops(unsafe.Add(unsafe.Pointer(w), monField), r.monRest)
	// The result: the endings and the violation, not the tallies.
	c.enc(unsafe.Pointer(&w.res.New), r.ps.of(endingType))
	c.enc(unsafe.Pointer(&w.res.Existing), r.ps.of(endingType))
	c.bool(w.res.Violation != nil)
	c.events(r)
	return c
}

// restOps are the run plan's encoding steps without the parts' fields and
// the monitors.
func restOps(rp *plan) []encOp {
	out := make([]encOp, 0, len(rp.enc))
next:
	for _, op := range rp.enc {
		for _, off := range partFields {
			if op.p != nil && op.off == off {
				continue next
			}
		}
		if op.p != nil && op.off == monField {
			continue
		}
		out = append(out, op)
	}
	return out
}

// The types the fingerprint starts from.
var (
	endingType   = reflect.TypeFor[Ending]()
	exchangeType = reflect.TypeFor[exchange]()
	arrivalType  = reflect.TypeFor[arrival]()
	bytesType    = reflect.TypeFor[[]byte]()
)

// canon is a canonical encoder of Go values, by their plans (plan.go).
type canon struct {
	ps  *plans
	buf []byte
	// seen numbers the pointers encoded so far, for back references.
	seen  ptrTable
	sub   *canon
	spans [][2]int
	// parts, when set, records where each part of the state lies in the
	// encoding (FingerprintParts).
	parts *partRec
	// now is the run's time, which clockFields clocks are judged against;
	// slowDown: the provider answers slow_down (oauth.Config.SlowDown).
	now      Millis
	slowDown bool
	// flip is the earliest run's time after now at which what was encoded
	// since the last reset would encode otherwise with nothing else
	// changed (canon.clock, canon.grant); math.MaxInt64 when none.
	flip Millis
	// ids are the numbers of the login machine whose requests are being
	// encoded (nil: none), pt the past times' ranks (the time
	// abstraction: fingerprint_time.go).
	ids    *machineIDs
	reqIDs machineIDs
	pt     *pastTimes
	// uncached: the events' sub-encoder of FingerprintParts, which
	// encodes them whole (cachedEvents).
	uncached bool
}

func (c *canon) reset() {
	c.buf = c.buf[:0]
	c.seen.reset()
}

// see numbers pointer a, unless it has its number already; the first is
// number 0.
func (c *canon) see(a uintptr) { c.seen.number(a) }

// number returns pointer a's number among the back references and true
// when it has one; otherwise it gives a the next number (the count so
// far) and returns false: get and put in one probe.
func (t *ptrTable) number(a uintptr) (uint32, bool) {
	if len(t.slots) == 0 || (t.n+1)*4 > len(t.slots)*3 {
		t.grow()
	}
	s := t.slot(a, 0)
	if s.gen == t.gen {
		return s.v, true
	}
	*s = ptrSlot{a: a, v: uint32(t.n), gen: t.gen}
	t.n++
	return 0, false
}

func (c *canon) u64(v uint64) { c.buf = binary.LittleEndian.AppendUint64(c.buf, v) }

// num appends a count, a length or a marker (a small number) as a
// uvarint: one byte below 128. Where a number is a num, it is one in every
// encoding, so a uvarint is told from what follows as a word is.
func (c *canon) num(v uint64) { c.buf = binary.AppendUvarint(c.buf, v) }

func (c *canon) bool(b bool) {
	if b {
		c.buf = append(c.buf, 1)
		return
	}
	c.buf = append(c.buf, 0)
}

func (c *canon) str(s string) {
	c.num(uint64(len(s)))
	c.buf = append(c.buf, s...)
}

// Types the encoder does not enter: the runner (reached from the monitors
// and adversaries; the run's state is walked from its own root), the
// trace; nor the homeserver's memo of verifications (Runner.MemoCrypto),
// which changes no answer, left out as a configuration is (plan.go).
var (
	runnerType     = reflect.TypeFor[*Runner]()
	traceType      = reflect.TypeFor[*Trace]()
	verifyMemoType = reflect.TypeFor[*homeserver.VerifyMemo]()
	runType        = reflect.TypeFor[run]()
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
		if p.firstChecks {
			c.firstChecks(v, p)
			return
		}
		h := (*sliceHeader)(v)
		c.num(uint64(h.len))
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
		if p.tctx {
			c.structTimed(v, p)
			return
		}
		c.ops(v, structOps(p))
		if p.grant {
			c.grant((*oauth.Grant)(v))
		}
	case reflect.Pointer:
		c.pointer(*(*unsafe.Pointer)(v), p)
	case reflect.Interface:
		if (*iface)(v).tab == nil {
			c.num(0)
			return
		}
		d := c.ps.dynOf(p.t, v)
		c.str(d.name)
		if d.ptr {
			c.enc(unsafe.Pointer(&(*iface)(v).data), d.p)
			return
		}
		e := p.at(v).Elem()
		tmp := reflect.New(e.Type())
		tmp.Elem().Set(e)
		c.enc(tmp.UnsafePointer(), d.p)
	case reflect.Map:
		c.mapValue(v, p)
	default:
		c.buf = append(c.buf, bytesAt(v, p.size)...)
	}
}

// fpOp is one step of an encoding by steps (canon.ops): the field at off
// of the struct being encoded, encoded by code.
type fpOp struct {
	off uintptr
	// n: fpRaw's byte count; fpBytes' element size.
	n    uintptr
	p    *plan
	code fpCode
	// tm, base: fpTime's (encOp's).
	tm   timeKind
	base uintptr
}

type fpCode uint8

const (
	// fpEnc: enc by p.
	fpEnc fpCode = iota
	// fpRaw: n bytes as they are; fpRaw8: 8 of them.
	fpRaw
	fpRaw8
	// fpStr: a string; fpPtr: a pointer of plan p.
	fpStr
	fpPtr
	// fpBytes: a slice of elements whose bytes are their encoding.
	fpBytes
	// fpClock: a clockFields clock.
	fpClock
	// fpTime: a field the time abstraction encodes (canon.timeOp).
	fpTime
)

// structOps are struct plan p's encoding steps as canon.ops follows them,
// worked out at the first call (plan.fops).
func structOps(p *plan) []fpOp {
	if p.fops == nil {
		p.fops = flatOps(p.enc)
	}
	return p.fops
}

// flatOps turns encoding steps ops (a plan's enc, or fieldOps') into
// canon.ops' steps: each by its kind, so that the loop does not go through
// enc for the common ones, and a field that is itself a struct encoded
// step by step (not a grant, nor one with timed fields, which set what
// their fields are encoded against) replaced by that struct's own steps,
// adjacent runs of bytes merged. What the steps append is what enc
// appended field by field: enc encodes such a struct as its steps in
// order.
func flatOps(ops []encOp) []fpOp {
	out := appendFlatOps(make([]fpOp, 0, len(ops)), ops, 0)
	for i := range out {
		if !stepwiseOps && out[i].code == fpRaw && out[i].n == 8 {
			out[i].code = fpRaw8
		}
	}
	return out
}

// stepwiseOps makes flatOps keep the steps one for one, each field through
// enc as it is (or its bytes, its clock or its time), for tests: the
// encoding must not change.
var stepwiseOps = false

func appendFlatOps(out []fpOp, ops []encOp, base uintptr) []fpOp {
	for _, op := range ops {
		off := base + op.off
		switch {
		case op.tm != 0:
			out = append(out, fpOp{off: off, code: fpTime, tm: op.tm, base: base + op.base})
		case op.clock:
			out = append(out, fpOp{off: off, code: fpClock})
		case op.p == nil:
			if k := len(out) - 1; !stepwiseOps && k >= 0 && out[k].code == fpRaw && out[k].off+out[k].n == off {
				out[k].n += op.n
				continue
			}
			out = append(out, fpOp{off: off, n: op.n, code: fpRaw})
		case stepwiseOps:
			out = append(out, fpOp{off: off, p: op.p, code: fpEnc})
		case op.p.kind == reflect.String:
			out = append(out, fpOp{off: off, p: op.p, code: fpStr})
		case op.p.kind == reflect.Pointer:
			out = append(out, fpOp{off: off, p: op.p, code: fpPtr})
		case op.p.kind == reflect.Slice && !op.p.firstChecks && op.p.elem.raw:
			out = append(out, fpOp{off: off, n: op.p.elem.size, p: op.p, code: fpBytes})
		case op.p.kind == reflect.Struct && !op.p.raw && !op.p.tctx && !op.p.grant:
			out = appendFlatOps(out, op.p.enc, off)
		default:
			out = append(out, fpOp{off: off, p: op.p, code: fpEnc})
		}
	}
	return out
}

func (c *canon) pointer(v unsafe.Pointer, p *plan) {
	if v == nil {
		c.num(0)
		return
	}
	if p.opaque {
		c.num(1)
		return
	}
	if p.elem.noPtr {
		// A pointer to a plain value is encoded by the value: whether two
		// such pointers share a target is no part of the state (a policy's
		// retry count points into the configuration in a run, into a copy
		// after a restore).
		c.num(3)
		c.enc(v, p.elem)
		return
	}
	if k, ok := c.seen.number(uintptr(v)); ok {
		c.num(2)
		c.num(uint64(k))
		return
	}
	c.num(3)
	c.enc(v, p.elem)
}

// sorted appends the entries encoded in s.buf at s.spans, in the order of
// their bytes, each with its length, and takes s's flip.
func (c *canon) sorted(s *canon) {
	c.flip = min(c.flip, s.flip)
	if sp := s.spans; len(sp) <= 12 {
		// Few entries (the pending events, most maps): by insertion,
		// without the sort's calls. Equal entries are the same bytes, so
		// their order does not show.
		for i := 1; i < len(sp); i++ {
			for j := i; j > 0 && bytes.Compare(s.buf[sp[j][0]:sp[j][1]], s.buf[sp[j-1][0]:sp[j-1][1]]) < 0; j-- {
				sp[j], sp[j-1] = sp[j-1], sp[j]
			}
		}
	} else {
		slices.SortFunc(sp, func(a, b [2]int) int { return bytes.Compare(s.buf[a[0]:a[1]], s.buf[b[0]:b[1]]) })
	}
	for _, sp := range s.spans {
		c.num(uint64(sp[1] - sp[0]))
		c.buf = append(c.buf, s.buf[sp[0]:sp[1]]...)
	}
}

func (c *canon) subEncoder() *canon {
	if c.sub == nil {
		c.sub = &canon{ps: c.ps}
	}
	s := c.sub
	s.reset()
	s.now, s.slowDown, s.flip = c.now, c.slowDown, c.flip
	s.ids, s.pt = c.ids, c.pt
	s.spans = s.spans[:0]
	return s
}

// mapValue encodes a map as its entries, each encoded on its own, in the
// order of their encodings.
func (c *canon) mapValue(v unsafe.Pointer, p *plan) {
	m := p.at(v)
	c.num(uint64(m.Len()))
	if m.Len() == 0 {
		return
	}
	s := c.subEncoder()
	if c.parts != nil {
		c.mapParts(m, p, s)
		return
	}
	if p.maps != nil {
		p.maps.each(v, func(k, e unsafe.Pointer) {
			s.seen.reset()
			start := len(s.buf)
			s.enc(k, p.key)
			s.enc(e, p.elem)
			s.spans = append(s.spans, [2]int{start, len(s.buf)})
		})
		c.sorted(s)
		return
	}
	x := p.encEntry
	if x == nil {
		k, e := reflect.New(p.key.t), reflect.New(p.elem.t)
		x = &encEntry{k: k.Elem(), e: e.Elem(), kp: k.UnsafePointer(), ep: e.UnsafePointer()}
	}
	p.encEntry = nil // a map of the same type within an entry makes its own
	it := m.MapRange()
	for it.Next() {
		s.seen.reset()
		x.k.SetIterKey(it)
		x.e.SetIterValue(it)
		start := len(s.buf)
		s.enc(x.kp, p.key)
		s.enc(x.ep, p.elem)
		s.spans = append(s.spans, [2]int{start, len(s.buf)})
	}
	p.encEntry = x
	c.sorted(s)
}

// encEntry is where mapValue copies a map's entries to encode them, one
// at a time: settable values of the key's and the element's types, and
// their addresses (kept with the map's plan between encodings, instead of
// two allocations at each).
type encEntry struct {
	k, e   reflect.Value
	kp, ep unsafe.Pointer
}

// events encodes the pending events as a multiset: each event with what it
// refers to (an exchange's request, its fate so far, an answer), without
// its sequence number or the exchange's index.
func (c *canon) events(r *Runner) {
	s := c.subEncoder()
	s.uncached = c.parts != nil
	ep := r.eventPlans()
	for i := range r.q.ev {
		s.seen.reset()
		start := len(s.buf)
		s.event(r, ep, &r.q.ev[i], nil)
		s.spans = append(s.spans, [2]int{start, len(s.buf)})
	}
	c.num(uint64(len(s.spans)))
	if c.parts != nil {
		c.eventParts(r, s)
		return
	}
	c.sorted(s)
}

// cacheFields hold the fingerprint's own hashes of other fields of the
// state, kept with them: never encoded themselves (in any plans).
var cacheFields = map[string]bool{
	"qrlab/sim.exchange.sentH": true,
	"qrlab/sim.arrival.h":      true,
}

// exchangeSent are an exchange's fields set when its request is sent and
// never written after (the request itself is shared, never written once
// sent: sharedNames): their encoding is hashed once per exchange
// (exchange.sentH) instead of at every state the exchange is pending in.
var exchangeSent = map[string]bool{"client": true, "server": true, "link": true, "req": true, "name": true, "form": true}

// exchangeOps works out an exchange's encoding steps: those of the fields
// exchangeSent names, and of the others but its owner.
func exchangeOps(xp *plan) (sent, rest []encOp) {
	t := xp.t
	if _, ok := t.FieldByName("owner"); !ok {
		panic("sim: an exchange has no owner")
	}
	for name := range exchangeSent {
		if _, ok := t.FieldByName(name); !ok {
			panic("sim: an exchange has no field " + name)
		}
	}
	sent = fieldOps(xp, func(i int) bool { return exchangeSent[t.Field(i).Name] })
	rest = fieldOps(xp, func(i int) bool { return !exchangeSent[t.Field(i).Name] && t.Field(i).Name != "owner" })
	return sent, rest
}

// cachedEvents reports whether the events' encoding may use the hashes
// kept with exchanges and answers: with the reduced fingerprint in exact
// time (under the time abstraction a request's numbers are encoded by
// what their machine has in flight, so the request's encoding depends on
// the state), and not when recording parts (FingerprintParts).
func (c *canon) cachedEvents() bool { return !c.ps.exact && !c.ps.abs && c.parts == nil && !c.uncached }

// sideHash hashes what encode appends, on the runner's side encoder,
// with no back references from the encoding under way.
func (r *Runner) sideHash(encode func(c *canon)) Fingerprint {
	c := &r.side
	c.ps = &r.ps
	c.reset()
	c.now, c.slowDown, c.flip = r.r.now, r.oc.SlowDown, math.MaxInt64
	encode(c)
	r.sideBytes += len(c.buf)
	return r.fph.sum(c.buf)
}

// sentHash is exchange x's sentH, worked out the first time.
func (r *Runner) sentHash(x *exchange) Fingerprint {
	if x.sentH == (Fingerprint{}) {
		x.sentH = r.sideHash(func(c *canon) { c.ops(unsafe.Pointer(x), r.exSent) })
	}
	return x.sentH
}

// arrivalHash is answer a's h, worked out the first time. An answer is
// never written once logged (snapshots share it), but for the cache.
func (r *Runner) arrivalHash(a *arrival, p *plan) Fingerprint {
	if a.h == (Fingerprint{}) {
		a.h = r.sideHash(func(c *canon) { c.enc(unsafe.Pointer(a), p) })
	}
	return a.h
}

// dropEventCaches forgets the hashes kept with the exchanges and the
// answers (for tests: a fingerprint worked out from nothing).
func (r *Runner) dropEventCaches() {
	for i := range r.ex {
		r.ex[i].sentH = Fingerprint{}
	}
	for _, a := range r.resps {
		a.h = Fingerprint{}
	}
}

// eventPlans are the plans an event's encoding follows.
type eventPlans struct{ data, ex, arrival *plan }

func (r *Runner) eventPlans() eventPlans {
	return eventPlans{r.ps.of(bytesType), r.ps.of(exchangeType), r.ps.of(arrivalType)}
}

// event encodes one pending event with what it refers to; arrival, when
// not nil, is told where an answer's content lies in c.buf (which is
// encoded with no part ranges recorded: FingerprintParts).
func (c *canon) event(r *Runner, ep eventPlans, e *event, arrival func(start, end int)) {
	c.eventAt(e)
	c.u64(uint64(e.kind))
	c.u64(uint64(e.actor))
	c.bool(e.ok)
	c.str(e.text)
	c.enc(unsafe.Pointer(&e.data), ep.data)
	switch e.kind {
	case evReqArrive, evRespArrive, evTimeout:
		x := &r.ex[e.id]
		if c.cachedEvents() && x.owner == nil {
			// The exchange as its nil owner, the hash of what was set
			// when it was sent, the rest; the answer by its hash.
			c.u64(0)
			h := r.sentHash(x)
			c.u64(h[0])
			c.u64(h[1])
			c.ops(unsafe.Pointer(x), r.exRest)
			c.ledger(x)
			if e.kind == evRespArrive {
				h := r.arrivalHash(r.resps[e.aux], ep.arrival)
				c.u64(h[0])
				c.u64(h[1])
			}
			return
		}
		if c.ps.abs {
			c.reqBase(r, x.client)
		}
		c.enc(unsafe.Pointer(x), ep.ex)
		if !c.ps.exact {
			c.ledger(x)
		}
		if e.kind == evRespArrive {
			a, pr := len(c.buf), c.parts
			c.parts = nil
			c.enc(unsafe.Pointer(r.resps[e.aux]), ep.arrival)
			c.parts = pr
			if arrival != nil {
				arrival(a, len(c.buf))
			}
		}
	default:
		c.u64(c.eventID(r, e))
		c.u64(e.aux)
	}
}
