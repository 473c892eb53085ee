package sim

import (
	"math"
	"reflect"
	"slices"
	"unsafe"

	"qrlab/model/login"
	"qrlab/model/oauth"
)

// The fingerprint under the time abstraction (step_time.go says what the
// abstraction keeps and over-approximates, and audits the reads of the
// clock this encoding rests on).
//
// Times. The run's time is left out. A time still ahead (a pending event,
// a deadline) is encoded relative to the run's time; a time equal to it as
// "now"; a time already past by its rank among the past times of the state
// (the first, second... distinct past time), since the model and the
// monitors read a past time only against another time of the state or the
// run's time, by order or equality (the audit), never by how long ago it
// was, except where that is encoded apart: a grant's last poll and
// creation while a poll could still come sooner than the interval
// (canon.grant), an untimed timer's arming until the bound has passed. So
// two states whose times are in the same order, the same distances ahead
// and the same distances of the short windows, are one: the states of a
// polling tail, which differ in how long ago everything happened and in
// the number of polls, merge. An untimed timer is encoded without its due
// time; an untimed expiry (rendezvous.Never, oauth.Never) as "never".
//
// Numbers. A login machine's request and timer numbers are compared only
// for equality (core.go: an answer's ID with the one in flight, a timer's
// number with the deadline's or the pending timer's), so each is encoded
// by which of those it equals, and the machine's counter is left out; its
// effect buffer is emptied at every step before it is read and is left out
// too.
//
// What is not a listed time or number is encoded by its value, as in exact
// time: a time written into a body, a count read as a number. That keeps
// states apart, which is safe.

// timeKind is how the time abstraction encodes a field.
type timeKind uint8

const (
	_ timeKind = iota
	// tmPoint: a point in time (ahead: relative; now; past: its rank).
	tmPoint
	// tmDrop: not encoded.
	tmDrop
	// tmNZ: a machine's number, encoded as set or not.
	tmNZ
	// tmReqID: a request's ID: whether it is the one its machine has in
	// flight (canon.ids).
	tmReqID
	// tmPointIf: a point in time that means something only when the
	// string at base in the same struct is not empty (an ending's time,
	// with its outcome): encoded as tmPoint then, not at all otherwise.
	tmPointIf
)

// pointFields are the points in time of a run's state, by their struct's
// package path and name and their own name (a server's or device's clock
// and a grant's poll record are encoded by canon.clock and canon.grant).
// Each is read only by order or equality against the run's time or another
// point (step_time.go's audit).
var pointFields = map[string]bool{
	"qrlab/model/rendezvous.session.expires":     true,
	"qrlab/model/rendezvous.Effect.At":           true,
	"qrlab/model/rendezvous.SessionSpec.Expires": true,
	"qrlab/model/oauth.Grant.ExpiresAt":          true,
	"qrlab/model/oauth.TokenInfo.IssuedAt":       true,
	"qrlab/model/oauth.TokenInfo.ExpiresAt":      true,
	"qrlab/model/oauth.Issuance.At":              true,
	"qrlab/model/login.ExistingDevice.deviceBy":  true,
	"qrlab/model/homeserver.device.visibleAt":    true,
	"qrlab/model/homeserver.Effect.At":           true,
	"qrlab/sim.Act.At":                           true,
	"qrlab/sim.costMeter.at":                     true,
	"qrlab/sim.mailbox.deadline":                 true,
	"qrlab/sim.unreadWrite.at":                   true,
	"qrlab/sim.deviceAt.at":                      true,
	"qrlab/sim.orderChecker.outOfAt":             true,
	"qrlab/sim.rogueChecker.openedAt":            true,
	"qrlab/sim.cameraChecker.scanAt":             true,
	"qrlab/sim.cameraChecker.corruptAt":          true,
	"qrlab/sim.causeChecker.grantAt":             true,
	"qrlab/sim.endMsg.at":                        true,
	"qrlab/sim.expect.at":                        true,
}

// dropFields are left out under the time abstraction: never read by the
// simulator's runs (the store's creation and modification times: read
// only into SessionInfo, which the simulator does not ask for, and while
// a write computes its token in the same step; its sweep schedule: the
// simulator never sweeps), or emptied before every read (a machine's
// effect buffer), or a counter whose numbers are encoded by what they
// equal (login core.ids).
var dropFields = map[string]bool{
	"qrlab/model/rendezvous.session.created":  true,
	"qrlab/model/rendezvous.session.modified": true,
	"qrlab/model/rendezvous.Store.next":       true,
	"qrlab/model/login.core.fx":               true,
	"qrlab/model/login.core.ids":              true,
	"qrlab/model/oauth.Grant.CreatedAt":       true, // canon.grant
}

// nzFields are a machine's numbers encoded as set or not: each is handed
// out by the machine's counter, so two that are set differ.
var nzFields = map[string]bool{
	"qrlab/model/login.core.inflight": true,
	"qrlab/model/login.core.timer":    true,
	"qrlab/model/login.core.deadline": true,
}

// machineIDs are a login machine's numbers an ID is compared with.
type machineIDs struct{ inflight, timer, deadline uint64 }

// idOffsets are where a struct's machine numbers lie.
type idOffsets struct{ inflight, timer, deadline uintptr }

// timeField sets how the time abstraction encodes field fp of struct t
// (plan p), named name; nothing unless the plans are the abstraction's.
func (ps *plans) timeField(t reflect.Type, p *plan, name string, fp *fieldPlan) {
	if !ps.abs {
		return
	}
	if t.PkgPath()+"."+t.Name() == "qrlab/model/login.core" && !p.idCtx {
		p.tctx, p.idCtx = true, true
		ps.coreIDs = idOffsets{fieldOffset(t, "inflight"), fieldOffset(t, "timer"), fieldOffset(t, "deadline")}
	}
	millis := fp.p.kind == reflect.Int64 && fp.p.t.Name() == "Millis"
	switch {
	case name == "qrlab/sim.run.now" || dropFields[name]:
		fp.tm = tmDrop
	case pointFields[name] && millis:
		fp.tm = tmPoint
	case nzFields[name] && fp.p.kind == reflect.Uint64:
		fp.tm = tmNZ
	case name == "qrlab/model/login.Request.ID" && fp.p.kind == reflect.Uint64:
		fp.tm = tmReqID
	case name == "qrlab/sim.Ending.At" && millis:
		// An ending's time, read only once the outcome is set (the
		// termination and cause checks).
		if f, ok := t.FieldByName("Outcome"); ok && f.Type.Kind() == reflect.String {
			fp.tm, fp.base = tmPointIf, f.Offset
		}
	}
	if fp.tm != 0 {
		p.tctx = true
	}
}

// farTime and later are times nothing reaches (an untimed expiry, a
// homeserver's device that never shows): encoded as "never".
const farTime = Millis(1) << 61

// pastTimes are the past times of the state being encoded: collected in a
// first pass (collect), then ranked.
type pastTimes struct {
	collect bool
	vals    []Millis
	rank    map[Millis]uint64
}

// rankPast works out the ranks of the state's past times: it encodes the
// whole state once, collecting them, and numbers them in order. The part
// hashes are not kept under the abstraction (a rank depends on every
// part).
func (r *Runner) rankPast() {
	c := &r.canon
	if c.pt == nil {
		c.pt = &pastTimes{rank: map[Millis]uint64{}}
	}
	pt := c.pt
	pt.collect, pt.vals = true, pt.vals[:0]
	r.restPlan()
	for i := range numKept {
		r.keptHash(i, 0)
	}
	r.encodeRest()
	pt.collect = false
	slices.Sort(pt.vals)
	pt.vals = slices.Compact(pt.vals)
	clear(pt.rank)
	for i, v := range pt.vals {
		pt.rank[v] = uint64(i)
	}
	r.fpc.valid = 0
}

// Markers of timeValue.
const (
	markNever = math.MaxUint64 - iota
	markNow
	markPast // followed by the rank
)

// timeValue encodes point t: as its value in exact time; under the
// abstraction as "never", relative when ahead of the run's time, "now",
// or by its rank among the past times.
func (c *canon) timeValue(t Millis) uint64 {
	if !c.ps.abs {
		return uint64(t)
	}
	switch {
	case t >= farTime:
		return markNever
	case t > c.now:
		return uint64(t - c.now)
	case t == c.now:
		return markNow
	}
	if c.pt == nil || c.pt.collect {
		if c.pt != nil {
			c.pt.vals = append(c.pt.vals, t)
		}
		return markPast
	}
	return markPast - 1 - c.pt.rank[t]
}

// relValue encodes t relative to the run's time under the abstraction
// (a short window's start, whose distance is read), as its value
// otherwise.
func (c *canon) relValue(t Millis) uint64 {
	if !c.ps.abs {
		return uint64(t)
	}
	return uint64(t - c.now)
}

// timeOp encodes the field op describes of the struct at v.
func (c *canon) timeOp(v unsafe.Pointer, op *encOp) {
	switch op.tm {
	case tmPoint:
		c.u64(c.timeValue(*(*Millis)(unsafe.Add(v, op.off))))
	case tmPointIf:
		if *(*string)(unsafe.Add(v, op.base)) != "" {
			c.u64(c.timeValue(*(*Millis)(unsafe.Add(v, op.off))))
		}
	case tmNZ:
		c.bool(*(*uint64)(unsafe.Add(v, op.off)) != 0)
	case tmReqID:
		id := *(*uint64)(unsafe.Add(v, op.off))
		if c.ids == nil {
			c.u64(id)
			return
		}
		c.bool(id != 0 && id == c.ids.inflight)
	}
}

// structTimed encodes a struct with fields the time abstraction encodes
// (enc's struct case; a login core sets the numbers its request is
// compared with).
func (c *canon) structTimed(v unsafe.Pointer, p *plan) {
	saved := c.ids
	var ids machineIDs
	if p.idCtx {
		ids = c.ps.coreIDs.read(v)
		c.ids = &ids
	}
	c.ops(v, structOps(p))
	if p.grant {
		c.grant((*oauth.Grant)(v))
	}
	c.ids = saved
}

// read returns the numbers at o in the struct at v.
func (o idOffsets) read(v unsafe.Pointer) machineIDs {
	return machineIDs{*(*uint64)(unsafe.Add(v, o.inflight)), *(*uint64)(unsafe.Add(v, o.timer)), *(*uint64)(unsafe.Add(v, o.deadline))}
}

// eventAt encodes a pending event's time: relative to the run's time
// under the abstraction, and an untimed timer's not at all: only whether
// it is free to fire, and until then when it was armed.
func (c *canon) eventAt(e *event) {
	if !c.ps.abs {
		c.u64(uint64(e.at))
		return
	}
	if e.untimed {
		c.u64(markNever)
		if c.now-e.armed < c.ps.above {
			c.u64(c.relValue(e.armed))
		}
		return
	}
	c.u64(c.relValue(e.at))
}

// eventID is what encodes a pending event's id: under the abstraction a
// machine timer's number by which of its machine's timers it is (1 the
// pending one, 2 the deadline, 0 neither: it does nothing when it fires).
func (c *canon) eventID(r *Runner, e *event) uint64 {
	if !c.ps.abs || e.kind != evTimer {
		return e.id
	}
	ids, ok := r.idsOf(e.actor)
	switch {
	case !ok:
		return e.id
	case e.id != 0 && e.id == ids.timer:
		return 1
	case e.id != 0 && e.id == ids.deadline:
		return 2
	}
	return 0
}

// reqBase sets the numbers the request IDs encoded next are compared with:
// client's, or none when the client is not a login machine.
func (c *canon) reqBase(r *Runner, client Actor) {
	c.ids = nil
	if ids, ok := r.idsOf(client); ok {
		c.reqIDs = ids
		c.ids = &c.reqIDs
	}
}

// Where a login machine's numbers lie in the new and the existing device.
var (
	newIDs      = idOffsets{fieldOffset(reflect.TypeFor[login.NewDevice](), "inflight"), fieldOffset(reflect.TypeFor[login.NewDevice](), "timer"), fieldOffset(reflect.TypeFor[login.NewDevice](), "deadline")}
	existingIDs = idOffsets{fieldOffset(reflect.TypeFor[login.ExistingDevice](), "inflight"), fieldOffset(reflect.TypeFor[login.ExistingDevice](), "timer"), fieldOffset(reflect.TypeFor[login.ExistingDevice](), "deadline")}
)

// fieldOffset is the offset of the (possibly promoted) field name in t.
func fieldOffset(t reflect.Type, name string) uintptr {
	f, ok := t.FieldByName(name)
	if !ok {
		panic("sim: no field " + name + " in " + t.String())
	}
	var off uintptr
	for k := range f.Index {
		off += t.FieldByIndex(f.Index[:k+1]).Offset
	}
	return off
}

// idsOf is the numbers of login machine a.
func (r *Runner) idsOf(a Actor) (machineIDs, bool) {
	w := r.r
	switch {
	case a == ActorNew && w.n != nil:
		return newIDs.read(unsafe.Pointer(w.n)), true
	case a == ActorExisting && w.e != nil:
		return existingIDs.read(unsafe.Pointer(w.e)), true
	}
	return machineIDs{}, false
}
