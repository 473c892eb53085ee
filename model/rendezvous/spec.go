package rendezvous

// The sequential specification of the store: what each operation must do,
// stated on abstract values (payloads, version numbers) rather than on HTTP.
// A linearizability checker uses SessionSpec.Step, a pure function on one
// session (sessions are independent apart from capacity eviction, which the
// store reports as effects); property tests drive Spec, the whole-store
// model, next to a Store and compare every answer.

// Rules are the parts of a Config that decide what operations do.
type Rules struct {
	// TTL is a session's lifetime from creation.
	TTL Millis
	// SoftCap and HardCap are the capacity limits (zero: none).
	SoftCap int
	HardCap int
	// HardCapMode is what a create at the hard cap removes.
	HardCapMode HardCapMode
	// SweepInterval is the period of Tick's sweeps.
	SweepInterval Millis
	// FirstSequence is a fresh session's version.
	FirstSequence uint64
	// ContentHash says tokens depend on the payload only, so a client view
	// is current when its payload equals the session's.
	ContentHash bool
	// Idempotency is how a retried write is recognised.
	Idempotency Idempotency
	// MaxRecordedTxns bounds the recorded transaction outcomes (zero: none).
	MaxRecordedTxns int
	// DeleteExpired lets a delete remove an expired, unswept session.
	DeleteExpired bool
}

// RulesOf extracts the Rules of a configuration.
func RulesOf(cfg Config) Rules {
	return Rules{
		TTL:             cfg.TTL,
		SoftCap:         cfg.SoftCap,
		HardCap:         cfg.HardCap,
		HardCapMode:     cfg.HardCapMode,
		SweepInterval:   cfg.SweepInterval,
		FirstSequence:   cfg.FirstSequence,
		ContentHash:     cfg.Token == TokenContentHash,
		Idempotency:     cfg.Idempotency,
		MaxRecordedTxns: cfg.MaxRecordedTxns,
		DeleteExpired:   cfg.DeleteExpired,
	}
}

// OpKind names an operation on one session.
type OpKind uint8

// The operations.
const (
	// OpRead is a GET.
	OpRead OpKind = iota + 1
	// OpReadIfChanged is a GET with If-None-Match carrying the client's view.
	OpReadIfChanged
	// OpWrite is a PUT carrying the client's view as its precondition.
	OpWrite
	// OpDelete is a DELETE.
	OpDelete
)

// Op is one operation. For OpWrite and OpReadIfChanged, SeenVersion and
// SeenData are the version and payload the client last saw (the model needs
// the payload too because content-hash tokens compare payloads), unless
// Foreign says the client's token is none the session handed out.
type Op struct {
	Kind        OpKind
	SeenVersion uint64
	SeenData    string
	// Foreign: the token the client sent names no version of this session
	// (forged, or another session's), so its view is never current.
	Foreign bool
	Data    string // the new payload of a write
	Txn     string // the transaction ID of a write (IdempotencyTxnID)
}

// OutcomeKind names the result of an operation.
type OutcomeKind uint8

// The outcomes.
const (
	// OutcomeData: a read returned Data at Version.
	OutcomeData OutcomeKind = iota + 1
	// OutcomeNotModified: a conditional read found the client's view current.
	OutcomeNotModified
	// OutcomeWritten: a write was accepted; Version is the new version.
	OutcomeWritten
	// OutcomeUnchanged: a retried write was accepted without a change;
	// Version is the version the client is told.
	OutcomeUnchanged
	// OutcomeConflict: a write was refused as stale.
	OutcomeConflict
	// OutcomeDeleted: the session was deleted.
	OutcomeDeleted
	// OutcomeNotFound: there is no live session.
	OutcomeNotFound
)

// Outcome is the abstract result of an operation.
type Outcome struct {
	Kind    OutcomeKind
	Data    string
	Version uint64
}

// TxnOutcome is a recorded write outcome of a transaction ID.
type TxnOutcome struct {
	Txn      string
	Accepted bool
	Version  uint64
}

// SessionSpec is the abstract state of one session.
type SessionSpec struct {
	Data    string
	Version uint64
	Expires Millis
	// PrevData is the payload before the last accepted write (meaningful
	// once Version is past the first): with content-hash tokens the
	// previous token is its hash, whichever version a client saw it at.
	PrevData string
	// Txns is copied on write by Step, so values can be shared.
	Txns []TxnOutcome
}

// NewSessionSpec is a session created at now holding data.
func NewSessionSpec(r Rules, now Millis, data string) SessionSpec {
	return SessionSpec{Data: data, Version: r.FirstSequence, Expires: now + r.TTL}
}

// Equal compares two session states.
func (s SessionSpec) Equal(o SessionSpec) bool {
	if s.Data != o.Data || s.Version != o.Version || s.Expires != o.Expires || s.PrevData != o.PrevData || len(s.Txns) != len(o.Txns) {
		return false
	}
	for i := range s.Txns {
		if s.Txns[i] != o.Txns[i] {
			return false
		}
	}
	return true
}

// current reports whether the client view of op matches the session's
// token.
func (s SessionSpec) current(r Rules, op Op) bool {
	switch {
	case op.Foreign:
		return false
	case r.ContentHash:
		return op.SeenData == s.Data
	}
	return op.SeenVersion == s.Version
}

// previous reports whether the client view of op matches the token just
// before the session's current one. Content-hash tokens hash the payload,
// so a view of an older version whose payload equals the previous one
// (a, b, a, b: the first a's token is the third's) carries that token too.
func (s SessionSpec) previous(r Rules, op Op) bool {
	switch {
	case op.Foreign || s.Version == r.FirstSequence:
		return false
	case r.ContentHash:
		return op.SeenData == s.PrevData
	}
	return op.SeenVersion+1 == s.Version
}

// Step applies op at time now. It returns the next state, whether the
// session still exists (false after a delete) and the outcome. It never
// changes s.
func (s SessionSpec) Step(now Millis, r Rules, op Op) (SessionSpec, bool, Outcome) {
	expired := now >= s.Expires
	switch op.Kind {
	case OpDelete:
		if expired && !r.DeleteExpired {
			return s, true, Outcome{Kind: OutcomeNotFound}
		}
		return SessionSpec{}, false, Outcome{Kind: OutcomeDeleted}
	case OpRead, OpReadIfChanged:
		if expired {
			return s, true, Outcome{Kind: OutcomeNotFound}
		}
		if op.Kind == OpReadIfChanged && s.current(r, op) {
			return s, true, Outcome{Kind: OutcomeNotModified, Version: s.Version}
		}
		return s, true, Outcome{Kind: OutcomeData, Data: s.Data, Version: s.Version}
	case OpWrite:
		if expired {
			return s, true, Outcome{Kind: OutcomeNotFound}
		}
		txn := r.Idempotency == IdempotencyTxnID && op.Txn != ""
		if txn {
			for _, t := range s.Txns {
				if t.Txn == op.Txn {
					if t.Accepted {
						return s, true, Outcome{Kind: OutcomeUnchanged, Version: t.Version}
					}
					return s, true, Outcome{Kind: OutcomeConflict}
				}
			}
		}
		next := s
		var out Outcome
		switch {
		case s.current(r, op):
			next.PrevData = s.Data
			next.Data = op.Data
			next.Version = s.Version + 1
			out = Outcome{Kind: OutcomeWritten, Version: next.Version}
		case r.Idempotency == IdempotencySameData && op.Data == s.Data:
			out = Outcome{Kind: OutcomeUnchanged, Version: s.Version}
		case r.Idempotency == IdempotencyPreviousToken && s.previous(r, op) && op.Data == s.Data:
			// Only the token just before the current one, with the
			// current payload: the retry of the write that made it.
			out = Outcome{Kind: OutcomeUnchanged, Version: s.Version}
		default:
			out = Outcome{Kind: OutcomeConflict}
		}
		if txn {
			rec := TxnOutcome{Txn: op.Txn, Accepted: out.Kind == OutcomeWritten, Version: next.Version}
			txns := make([]TxnOutcome, 0, len(s.Txns)+1)
			txns = append(append(txns, s.Txns...), rec)
			if m := r.MaxRecordedTxns; m > 0 && len(txns) > m {
				txns = txns[len(txns)-m:]
			}
			next.Txns = txns
		}
		return next, true, out
	}
	return s, true, Outcome{Kind: OutcomeNotFound}
}

// Eviction is a session removed by a sweep or a hard-cap create.
type Eviction struct {
	ID   string
	Kind EffectKind // EffectExpired, EffectEvictedSoftCap or EffectEvictedHardCap
}

// Spec is the whole-store reference model: sessions by ID plus creation
// order, with the same clock, sweep and cap rules as the store. IDs come
// from the store under test (the model cannot guess random IDs).
type Spec struct {
	rules    Rules
	sessions map[string]SessionSpec
	order    []string
	now      Millis
	next     Millis
}

// NewSpec makes an empty model started at start.
func NewSpec(r Rules, start Millis) *Spec {
	return &Spec{rules: r, sessions: make(map[string]SessionSpec), now: start, next: start + r.SweepInterval}
}

func (m *Spec) clock(now Millis) Millis {
	if now > m.now {
		m.now = now
	}
	return m.now
}

// Len returns how many sessions the model holds (expired, unswept ones too).
func (m *Spec) Len() int { return len(m.order) }

// Session returns a session's state and whether it exists.
func (m *Spec) Session(id string) (SessionSpec, bool) {
	s, ok := m.sessions[id]
	return s, ok
}

// IDs lists the sessions in creation order.
func (m *Spec) IDs() []string { return append([]string(nil), m.order...) }

func (m *Spec) remove(i int) {
	delete(m.sessions, m.order[i])
	m.order = append(m.order[:i], m.order[i+1:]...)
}

func (m *Spec) dropExpired(now Millis, ev []Eviction) []Eviction {
	for len(m.order) > 0 && m.sessions[m.order[0]].Expires <= now {
		ev = append(ev, Eviction{ID: m.order[0], Kind: EffectExpired})
		m.remove(0)
	}
	return ev
}

// Create adds a session with the store's ID, first making room if the hard
// cap is reached, and returns the evictions and the new version.
func (m *Spec) Create(now Millis, id, data string) ([]Eviction, uint64) {
	now = m.clock(now)
	ev := m.MakeRoom(now)
	s := NewSessionSpec(m.rules, now, data)
	m.sessions[id] = s
	m.order = append(m.order, id)
	return ev, s.Version
}

// MakeRoom applies only the hard-cap eviction a create performs before it
// looks at the request body (a create refused for its body still evicts in
// the JSON flavours).
func (m *Spec) MakeRoom(now Millis) []Eviction {
	now = m.clock(now)
	r := m.rules
	if r.HardCap <= 0 || len(m.order) < r.HardCap {
		return nil
	}
	ev := m.dropExpired(now, nil)
	target := r.HardCap - 1
	if r.HardCapMode == HardCapTrimToSoftCap && r.SoftCap > 0 {
		target = r.SoftCap
	}
	for len(m.order) > target {
		ev = append(ev, Eviction{ID: m.order[0], Kind: EffectEvictedHardCap})
		m.remove(0)
	}
	return ev
}

// Apply performs op on session id at now.
func (m *Spec) Apply(now Millis, id string, op Op) Outcome {
	now = m.clock(now)
	s, ok := m.sessions[id]
	if !ok {
		return Outcome{Kind: OutcomeNotFound}
	}
	next, exists, out := s.Step(now, m.rules, op)
	if !exists {
		for i, x := range m.order {
			if x == id {
				m.remove(i)
				break
			}
		}
		return out
	}
	m.sessions[id] = next
	return out
}

// Sweep removes expired sessions and then the oldest down to the soft cap.
func (m *Spec) Sweep(now Millis) []Eviction {
	now = m.clock(now)
	ev := m.dropExpired(now, nil)
	if m.rules.SoftCap > 0 {
		for len(m.order) > m.rules.SoftCap {
			ev = append(ev, Eviction{ID: m.order[0], Kind: EffectEvictedSoftCap})
			m.remove(0)
		}
	}
	return ev
}

// Tick sweeps when a sweep is due, on the store's schedule.
func (m *Spec) Tick(now Millis) []Eviction {
	now = m.clock(now)
	if now < m.next {
		return nil
	}
	iv := m.rules.SweepInterval
	m.next += ((now-m.next)/iv + 1) * iv
	return m.Sweep(now)
}
