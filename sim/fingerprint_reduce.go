package sim

import (
	"reflect"
	"slices"
	"strings"
	"unsafe"

	"qrlab/model/oauth"
)

// What the fingerprint encodes by what is read of it rather than by its
// value. Two states that differ only there have the same future: the same
// enabled events with the same effects, the same checkers' verdicts, the
// same endings. The explorer's tests compare explorations with and
// without it (Runner.ExactFingerprint).

// clockFields are the clocks a server or a device keeps, by their
// struct's package path and name and their own name: each is the latest
// time its owner was called with, and every read of it follows a call
// that raises it to the caller's time (Server.clock, Store.clock,
// core.begin). The simulator calls them with the run's time only, which
// never goes back, so a clock not ahead of the run's time is never read
// again as it is: the fingerprint encodes it as "not ahead" (canon.clock),
// and states that differ only in when each server last served a request
// are one state.
var clockFields = map[string]bool{
	"qrlab/model/homeserver.Server.now": true,
	"qrlab/model/oauth.Server.now":      true,
	"qrlab/model/rendezvous.Store.now":  true,
	"qrlab/model/login.core.now":        true,
}

// ledgerFields are fields the fingerprint encodes by what is read of them
// rather than by their value. An exchange's counters: only the
// conservation check reads them, and only as differences (served plus
// still travelling against scheduled deliveries, arrived plus still
// travelling against answers sent), so events encodes those differences
// instead of the four counts. A grant's poll record: canon.grant.
var ledgerFields = map[string]bool{
	"qrlab/sim.exchange.deliveries": true,
	"qrlab/sim.exchange.served":     true,
	"qrlab/sim.exchange.answers":    true,
	"qrlab/sim.exchange.arrived":    true,
	// The grant's poll record, encoded by canon.grant.
	"qrlab/model/oauth.Grant.Polls":     true,
	"qrlab/model/oauth.Grant.SlowDowns": true,
	"qrlab/model/oauth.Grant.DecidedAt": true,
	"qrlab/model/oauth.Grant.LastPoll":  true,
}

// derivedFields are fields that are a function of other fields of the
// same struct, which the fingerprint encodes: leaving them out merges no
// two states. A ChaCha8 stream's block of output (math/rand/v2.ChaCha8,
// internal/chacha8rand.State.buf, 256 bytes in every random stream of the
// state) is only ever written as block(&seed, &buf, c) (chacha8.go of
// go1.26.8: Init64, Refill, Unmarshal; the seed changes only just before
// such a write), so the seed and the counter c determine it, as the
// package's own Marshal says by writing the seed and the position only.
var derivedFields = map[string]bool{
	"internal/chacha8rand.State.buf": true,
}

// grantType is the provider's grant, whose poll record the fingerprint
// encodes by what the provider reads of it (canon.grant).
var grantType = reflect.TypeFor[oauth.Grant]()

// deviceAtsType is the device checker's record of the homeserver's 404
// answers to the existing device's device check (deviceChecker.checked404),
// which the fingerprint encodes by what is read of it (canon.firstChecks).
var deviceAtsType = reflect.TypeFor[[]deviceAt]()

// firstChecks encodes the device checker's record of 404 answers by what
// is read of it: the record is only appended to (observeHS), emptied
// (reset) and asked whether some answer for a device ID came at or before
// a time (checkedBefore), which depends on the earliest answer for each ID
// alone, not on later ones nor on their order. So it is encoded as each
// ID's earliest answer, in the order of the IDs: a duplicated or repeated
// device check that met a 404 again leaves the state as the first one
// did. TestFirstChecksPremise checks that nothing else reads the record.
func (c *canon) firstChecks(v unsafe.Pointer, p *plan) {
	ds := *(*[]deviceAt)(v)
	first := make([]deviceAt, 0, len(ds))
	for _, d := range ds {
		if i := slices.IndexFunc(first, func(f deviceAt) bool { return f.id == d.id }); i >= 0 {
			first[i].at = min(first[i].at, d.at)
			continue
		}
		first = append(first, d)
	}
	slices.SortFunc(first, func(a, b deviceAt) int { return strings.Compare(a.id, b.id) })
	c.num(uint64(len(first)))
	for i := range first {
		c.enc(unsafe.Pointer(&first[i]), p.elem)
	}
}

// ExactFingerprint makes the fingerprint encode every field by its value
// (on), instead of the clocks, ledgers, grant records and the device
// checker's 404 record above by what is read of them (off, the default); the explorer's tests compare the two.
// Call it before the first run: it drops the runner's plans.
func (r *Runner) ExactFingerprint(on bool) {
	if r.ps.exact != on {
		r.ps = plans{exact: on}
		r.restOps, r.fpc.valid = nil, 0
	}
}

// grant encodes a grant's poll record by what the provider reads of it
// (model/oauth token.go, pollDevice): whether it was polled more than once
// (not the count); the latest poll's time only where slow_down is answered
// and a poll from now on could still come sooner than the interval after
// it. The count of slow_down answers and the decision's time are never
// read by the provider, nor by the simulator.
func (c *canon) grant(g *oauth.Grant) {
	c.u64(uint64(min(g.Polls, 2)))
	if c.ps.abs && g.Polls == 0 {
		// The creation time, left out of the struct under the time
		// abstraction: read only at the first poll, where slow_down is
		// answered, against the interval (FirstPollCountsFromIssue).
		open := c.slowDown && g.CreatedAt+g.Interval > c.now
		c.bool(open)
		if open {
			c.u64(c.relValue(g.CreatedAt))
		}
	}
	if c.slowDown && g.Polls > 0 && g.LastPoll+g.Interval > c.now {
		c.bool(true)
		c.u64(c.relValue(g.LastPoll))
		c.flip = min(c.flip, g.LastPoll+g.Interval)
		return
	}
	c.bool(false)
}

// ledger encodes an exchange's ledger by the differences the conservation
// check reads.
func (c *canon) ledger(x *exchange) {
	c.u64(uint64(x.deliveries - x.served))
	c.u64(uint64(x.answers - x.arrived))
}

// clock encodes a clockFields clock: as not ahead of the run's time, or
// (never in the simulator's own runs) as its value. With an exact
// fingerprint clocks are raw fields and never come here.
func (c *canon) clock(t Millis) {
	if t <= c.now {
		c.bool(false)
		return
	}
	c.bool(true)
	c.u64(c.relValue(t))
	c.flip = min(c.flip, t)
}

// FingerprintExact is the fingerprint with every field encoded by its
// value, whatever ExactFingerprint says: the tests compare it with
// Fingerprint at every state, to check that the states the reduction
// merges have the same successors.
// The part hashes kept and the rest's encoding steps belong to the plans
// in use, so both are set aside while the exact plans encode everything
// afresh, and put back after.
func (r *Runner) FingerprintExact() Fingerprint {
	r.psExact.exact = true
	kept, rest, mon, monRest, exSent, exRest := r.fpc, r.restOps, r.monOps, r.monRest, r.exSent, r.exRest
	r.fpc.valid, r.restOps = 0, nil
	r.ps, r.psExact = r.psExact, r.ps
	fp, _ := r.Fingerprint()
	r.ps, r.psExact = r.psExact, r.ps
	r.fpc, r.restOps, r.monOps, r.monRest, r.exSent, r.exRest = kept, rest, mon, monRest, exSent, exRest
	return fp
}
