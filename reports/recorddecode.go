package reports

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"qrlab/model/wire"
	"qrlab/sim"
)

// recordDecoder reads a record line in the form simrun writes it
// (encoding/json's Marshal of a Record: no whitespace needed, every string
// free of escapes in practice) without reflection. It takes a line only
// when it is sure encoding/json would read the same Record from it: every
// key one of a record's fields, spelt exactly, each at most once; strings
// without escapes, valid UTF-8; integers without fraction or exponent,
// within their field's range; no null. Anything else it declines, and the
// caller decodes the line with encoding/json, which then gives the answer
// and the error it always gave.
//
// Short strings (variant, outcome, state names) repeat in every record, so
// the decoder keeps one copy of each, up to a bound.
type recordDecoder struct {
	wire.Reader // the line and the offset in it
	intern      map[string]string
}

// Bounds of the interned strings: the length of one and how many are kept.
const (
	internMaxLen  = 48
	internMaxKeep = 4096
)

// decode fills rec (which must be zero) from line; false: the line is not
// one it can read exactly, and rec is to be zeroed and read otherwise.
func (d *recordDecoder) decode(line []byte, rec *Record) bool {
	d.B, d.I = line, 0
	ok := d.record(rec)
	if ok {
		d.Space()
		ok = d.I == len(d.B)
	}
	d.B = nil
	return ok
}

// object reads {"key": value, ...}, calling field for each key (which
// reads the value and reports whether it could).
func (d *recordDecoder) object(field func(key []byte) bool) bool {
	if !d.Next('{') {
		return false
	}
	if d.Next('}') {
		return true
	}
	for {
		key, ok := d.rawString()
		if !ok || !d.Next(':') {
			return false
		}
		d.Space()
		if !field(key) {
			return false
		}
		if d.Next(',') {
			continue
		}
		return d.Next('}')
	}
}

// rawString reads a string without escapes or control bytes, in valid
// UTF-8, and returns its bytes (the line's own).
func (d *recordDecoder) rawString() ([]byte, bool) {
	if !d.Next('"') {
		return nil, false
	}
	start, ascii := d.I, true
	for d.I < len(d.B) {
		c := d.B[d.I]
		switch {
		case c == '"':
			s := d.B[start:d.I]
			d.I++
			return s, ascii || utf8.Valid(s)
		case c == '\\' || c < 0x20:
			return nil, false
		case c >= 0x80:
			ascii = false
		}
		d.I++
	}
	return nil, false
}

func (d *recordDecoder) str(dst *string) bool {
	s, ok := d.rawString()
	if !ok {
		return false
	}
	if len(s) > internMaxLen {
		*dst = string(s)
		return true
	}
	if v, ok := d.intern[string(s)]; ok {
		*dst = v
		return true
	}
	v := string(s)
	if d.intern == nil {
		d.intern = make(map[string]string)
	}
	if len(d.intern) < internMaxKeep {
		d.intern[v] = v
	}
	*dst = v
	return true
}

// digits reads an integer in JSON's grammar (-?(0|[1-9][0-9]*)) with no
// fraction or exponent after it, and returns its text.
func (d *recordDecoder) digits() ([]byte, bool) {
	start := d.I
	if d.I < len(d.B) && d.B[d.I] == '-' {
		d.I++
	}
	first := d.I
	for d.I < len(d.B) && d.B[d.I] >= '0' && d.B[d.I] <= '9' {
		d.I++
	}
	n := d.I - first
	if n == 0 || n > 1 && d.B[first] == '0' {
		return nil, false
	}
	if d.I < len(d.B) {
		switch d.B[d.I] {
		case '.', 'e', 'E':
			return nil, false
		}
	}
	return d.B[start:d.I], true
}

func (d *recordDecoder) int64(dst *int64) bool {
	t, ok := d.digits()
	if !ok {
		return false
	}
	v, err := strconv.ParseInt(string(t), 10, 64)
	if err != nil {
		return false
	}
	*dst = v
	return true
}

func (d *recordDecoder) int(dst *int) bool {
	var v int64
	if !d.int64(&v) || int64(int(v)) != v {
		return false
	}
	*dst = int(v)
	return true
}

func (d *recordDecoder) millis(dst *sim.Millis) bool {
	var v int64
	if !d.int64(&v) {
		return false
	}
	*dst = sim.Millis(v)
	return true
}

func (d *recordDecoder) uint64(dst *uint64) bool {
	t, ok := d.digits()
	if !ok || t[0] == '-' {
		return false
	}
	v, err := strconv.ParseUint(string(t), 10, 64)
	if err != nil {
		return false
	}
	*dst = v
	return true
}

func (d *recordDecoder) bool(dst *bool) bool {
	switch {
	case d.lit("true"):
		*dst = true
	case d.lit("false"):
		*dst = false
	default:
		return false
	}
	return true
}

// lit takes the literal word w (true, false, null) if it is next and not
// followed by more of a word.
func (d *recordDecoder) lit(w string) bool {
	end := d.I + len(w)
	if end > len(d.B) || string(d.B[d.I:end]) != w {
		return false
	}
	if end < len(d.B) {
		if c := d.B[end]; c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			return false
		}
	}
	d.I = end
	return true
}

// seen marks field bit of a set; false if it was marked already (a key
// given twice, which encoding/json reads its own way).
func seen(set *uint64, bit uint) bool {
	if *set&(1<<bit) != 0 {
		return false
	}
	*set |= 1 << bit
	return true
}

func (d *recordDecoder) ending(e *sim.Ending) bool {
	var set uint64
	return d.object(func(k []byte) bool {
		switch string(k) {
		case "success":
			return seen(&set, 0) && d.bool(&e.Success)
		case "outcome":
			return seen(&set, 1) && d.str(&e.Outcome)
		case "reason":
			return seen(&set, 2) && d.str(&e.Reason)
		case "t_ms":
			return seen(&set, 3) && d.millis(&e.At)
		}
		return false
	})
}

func (d *recordDecoder) violation(v *sim.Violation) bool {
	var set uint64
	return d.object(func(k []byte) bool {
		switch string(k) {
		case "invariant":
			return seen(&set, 0) && d.str(&v.Invariant)
		case "seed":
			return seen(&set, 1) && d.uint64(&v.Seed)
		case "variant":
			return seen(&set, 2) && d.str(&v.Variant)
		case "t_ms":
			return seen(&set, 3) && d.millis(&v.At)
		case "detail":
			return seen(&set, 4) && d.str(&v.Detail)
		}
		return false
	})
}

func (d *recordDecoder) phases(p *sim.Phases) bool {
	var set uint64
	return d.object(func(k []byte) bool {
		switch string(k) {
		case "scan_ms":
			return seen(&set, 0) && d.millis(&p.Scan)
		case "channel_up_ms":
			return seen(&set, 1) && d.millis(&p.ChannelUp)
		case "agreed_ms":
			return seen(&set, 2) && d.millis(&p.Agreed)
		case "consent_ms":
			return seen(&set, 3) && d.millis(&p.Consent)
		case "token_ms":
			return seen(&set, 4) && d.millis(&p.Token)
		case "secrets_ms":
			return seen(&set, 5) && d.millis(&p.Secrets)
		case "keys_ms":
			return seen(&set, 6) && d.millis(&p.Keys)
		}
		return false
	})
}

func (d *recordDecoder) requestKinds(r *sim.RequestKinds) bool {
	var set uint64
	return d.object(func(k []byte) bool {
		switch string(k) {
		case "polls":
			return seen(&set, 0) && d.int(&r.Polls)
		case "writes":
			return seen(&set, 1) && d.int(&r.Writes)
		case "retries":
			return seen(&set, 2) && d.int(&r.Retries)
		case "token_polls":
			return seen(&set, 3) && d.int(&r.TokenPolls)
		case "other":
			return seen(&set, 4) && d.int(&r.Other)
		}
		return false
	})
}

func (d *recordDecoder) storeCost(c *sim.StoreCost) bool {
	var set uint64
	return d.object(func(k []byte) bool {
		switch string(k) {
		case "session_ms":
			return seen(&set, 0) && d.int64(&c.SessionMillis)
		case "byte_ms":
			return seen(&set, 1) && d.int64(&c.ByteMillis)
		case "peak_sessions":
			return seen(&set, 2) && d.int(&c.PeakSessions)
		case "peak_bytes":
			return seen(&set, 3) && d.int(&c.PeakBytes)
		case "left_sessions":
			return seen(&set, 4) && d.int(&c.Left)
		case "left_session_ms":
			return seen(&set, 5) && d.int64(&c.LeftMillis)
		case "deleting_sessions":
			return seen(&set, 6) && d.int(&c.Deleting)
		}
		return false
	})
}

// strings reads an array of strings; "[]" gives an empty list, not nil,
// as encoding/json does.
func (d *recordDecoder) strings(dst *[]string) bool {
	if !d.Next('[') {
		return false
	}
	out := []string{}
	if !d.Next(']') {
		for {
			var s string
			d.Space()
			if !d.str(&s) {
				return false
			}
			out = append(out, s)
			if d.Next(',') {
				continue
			}
			if !d.Next(']') {
				return false
			}
			break
		}
	}
	*dst = out
	return true
}

// axes reads the axis values, each kept as its JSON text from its first
// to its last byte, as json.RawMessage takes it.
func (d *recordDecoder) axes(dst *map[string]json.RawMessage) bool {
	m := make(map[string]json.RawMessage)
	ok := d.object(func(k []byte) bool {
		if _, dup := m[string(k)]; dup {
			return false
		}
		start := d.I
		if !d.skipValue(0) {
			return false
		}
		m[string(k)] = append(json.RawMessage(nil), d.B[start:d.I]...)
		return true
	})
	if ok {
		*dst = m
	}
	return ok
}

// skipValue passes over one JSON value of the kinds axis values take
// (strings without escapes, numbers, true, false, lists and objects of
// them), at most a few levels deep.
func (d *recordDecoder) skipValue(depth int) bool {
	if depth > 8 || d.I >= len(d.B) {
		return false
	}
	switch c := d.B[d.I]; {
	case c == '"':
		_, ok := d.rawString()
		return ok
	case c == '-' || c >= '0' && c <= '9':
		return d.skipNumber()
	case c == 't':
		return d.lit("true")
	case c == 'f':
		return d.lit("false")
	case c == '[':
		d.I++
		if d.Next(']') {
			return true
		}
		for {
			d.Space()
			if !d.skipValue(depth + 1) {
				return false
			}
			if d.Next(',') {
				continue
			}
			return d.Next(']')
		}
	case c == '{':
		var keys []string
		return d.object(func(k []byte) bool {
			for _, o := range keys {
				if o == string(k) {
					return false
				}
			}
			keys = append(keys, string(k))
			return d.skipValue(depth + 1)
		})
	}
	return false
}

// skipNumber passes over a number in JSON's grammar.
func (d *recordDecoder) skipNumber() bool {
	num := func() int {
		n := 0
		for d.I < len(d.B) && d.B[d.I] >= '0' && d.B[d.I] <= '9' {
			d.I++
			n++
		}
		return n
	}
	if d.B[d.I] == '-' {
		d.I++
	}
	first := d.I
	if n := num(); n == 0 || n > 1 && d.B[first] == '0' {
		return false
	}
	if d.I < len(d.B) && d.B[d.I] == '.' {
		d.I++
		if num() == 0 {
			return false
		}
	}
	if d.I < len(d.B) && (d.B[d.I] == 'e' || d.B[d.I] == 'E') {
		d.I++
		if d.I < len(d.B) && (d.B[d.I] == '+' || d.B[d.I] == '-') {
			d.I++
		}
		if num() == 0 {
			return false
		}
	}
	return true
}

// The bits of a record's top-level fields, for keys given twice.
const (
	fPoint = iota
	fAxes
	fSeed
	fVariant
	fNetwork
	fIntent
	fNew
	fExisting
	fNewState
	fExistingState
	fAgreement
	fSignedIn
	fSecrets
	fEnd
	fMessages
	fRequests
	fLost
	fSteps
	fEvents
	fAdversaries
	fAdversaryActs
	fAdversaryBytes
	fAttackerWon
	fHumanFactor
	fExposure
	fFaults
	fViolation
	fTraceHash
	fRootCause
	fPhases
	fRequestKinds
	fStoreCost
)

func (d *recordDecoder) record(r *Record) bool {
	var set uint64
	return d.object(func(k []byte) bool {
		switch string(k) {
		case "point":
			return seen(&set, fPoint) && d.int(&r.Point)
		case "axes":
			return seen(&set, fAxes) && d.axes(&r.Axes)
		case "seed":
			return seen(&set, fSeed) && d.uint64(&r.Seed)
		case "variant":
			return seen(&set, fVariant) && d.str(&r.Variant)
		case "network":
			return seen(&set, fNetwork) && d.str(&r.Network)
		case "intent":
			return seen(&set, fIntent) && d.str(&r.Intent)
		case "new":
			return seen(&set, fNew) && d.ending(&r.New)
		case "existing":
			return seen(&set, fExisting) && d.ending(&r.Existing)
		case "new_state":
			return seen(&set, fNewState) && d.str(&r.NewState)
		case "existing_state":
			return seen(&set, fExistingState) && d.str(&r.ExistingState)
		case "agreement":
			return seen(&set, fAgreement) && d.str(&r.Agreement)
		case "signed_in_ms":
			return seen(&set, fSignedIn) && d.millis(&r.SignedInMillis)
		case "secrets_ms":
			return seen(&set, fSecrets) && d.millis(&r.SecretsMillis)
		case "end_ms":
			return seen(&set, fEnd) && d.millis(&r.EndMillis)
		case "messages":
			return seen(&set, fMessages) && d.int(&r.Messages)
		case "requests":
			return seen(&set, fRequests) && d.int(&r.Requests)
		case "lost":
			return seen(&set, fLost) && d.int(&r.Lost)
		case "steps":
			return seen(&set, fSteps) && d.int(&r.Steps)
		case "events":
			return seen(&set, fEvents) && d.int(&r.Events)
		case "adversaries":
			return seen(&set, fAdversaries) && d.strings(&r.Adversaries)
		case "adversary_acts":
			return seen(&set, fAdversaryActs) && d.int(&r.AdversaryActs)
		case "adversary_bytes":
			return seen(&set, fAdversaryBytes) && d.int(&r.AdversaryBytes)
		case "attacker_won":
			return seen(&set, fAttackerWon) && d.str(&r.AttackerWon)
		case "human_factor":
			return seen(&set, fHumanFactor) && d.bool(&r.HumanFactor)
		case "exposure":
			return seen(&set, fExposure) && d.str(&r.Exposure)
		case "faults":
			return seen(&set, fFaults) && d.str(&r.Faults)
		case "violation":
			r.Violation = new(sim.Violation)
			return seen(&set, fViolation) && d.violation(r.Violation)
		case "trace_hash":
			return seen(&set, fTraceHash) && d.str(&r.TraceHash)
		case "root_cause":
			return seen(&set, fRootCause) && d.str(&r.RootCause)
		case "phases":
			r.Phases = new(sim.Phases)
			return seen(&set, fPhases) && d.phases(r.Phases)
		case "request_kinds":
			r.RequestKinds = new(sim.RequestKinds)
			return seen(&set, fRequestKinds) && d.requestKinds(r.RequestKinds)
		case "store_cost":
			r.StoreCost = new(sim.StoreCost)
			return seen(&set, fStoreCost) && d.storeCost(r.StoreCost)
		}
		return false
	})
}
