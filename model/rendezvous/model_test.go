package rendezvous

import (
	"slices"
	"strconv"
	"testing"

	"pgregory.net/rapid"
)

// A property test: random sequences of creates, reads, fresh and stale
// writes, retries, deletes, clock steps, sweeps and ticks go to a Store (as
// HTTP) and to the sequential Spec (as abstract operations), and every
// answer, every eviction and the final contents must agree.

// view is what a client saw of one version of a session.
type view struct {
	version uint64
	token   string
	data    string
}

// sentPut is a PUT the machine may send again (a retry after a lost answer).
type sentPut struct {
	req *Request
	op  Op
}

type machine struct {
	cfg   Config
	c     *client
	spec  *Spec
	ids   []string          // every ID ever created, deleted ones too
	views map[string][]view // per session, every version seen, in order
	puts  map[string][]sentPut
}

// smallConfig shrinks a preset's limits so that a short random run reaches
// the caps, the TTL and the sweeps.
func smallConfig(cfg Config) Config {
	cfg.SoftCap, cfg.HardCap = 3, 5
	cfg.TTL = 10 * Second
	cfg.AllowTTLOutOfRange = true
	cfg.SweepInterval = 4 * Second
	cfg.MaxDataBytes = 8
	return cfg
}

func newMachine(t *rapid.T, cfg Config) *machine {
	c := newClient(t, cfg)
	return &machine{
		cfg:   cfg,
		c:     c,
		spec:  NewSpec(RulesOf(cfg), t0),
		views: map[string][]view{},
		puts:  map[string][]sentPut{},
	}
}

var payloads = []string{"", "a", "b", "same", "é", "\"q\"", "12345678", "123456789"}

func (m *machine) pickID(t *rapid.T) string {
	if len(m.ids) == 0 || rapid.IntRange(0, 9).Draw(t, "unknown") == 0 {
		return "no-such-session"
	}
	return rapid.SampledFrom(m.ids).Draw(t, "id")
}

// evictions extracts the removal effects the store reported.
func evictions(fx []Effect) []Eviction {
	var ev []Eviction
	for _, e := range fx {
		switch e.Kind {
		case EffectExpired, EffectEvictedSoftCap, EffectEvictedHardCap:
			ev = append(ev, Eviction{ID: e.ID, Kind: e.Kind})
		}
	}
	return ev
}

func sameEvictions(a, b []Eviction) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// record notes the token a client saw for a version, checking that a
// session's tokens tell versions apart (except content-hash tokens, which
// only tell payloads apart).
func (m *machine) record(t *rapid.T, id string, v view) {
	for _, old := range m.views[id] {
		if old.version == v.version {
			if old.token != v.token {
				t.Fatalf("session %s version %d has two tokens: %q and %q", id, v.version, old.token, v.token)
			}
			return
		}
		if old.token == v.token && !(m.cfg.Token == TokenContentHash && old.data == v.data) {
			t.Fatalf("session %s: versions %d and %d share token %q", id, old.version, v.version, v.token)
		}
	}
	m.views[id] = append(m.views[id], v)
}

func (m *machine) tokenOf(id string, version uint64) (string, bool) {
	for _, v := range m.views[id] {
		if v.version == version {
			return v.token, true
		}
	}
	return "", false
}

func (m *machine) create(t *rapid.T) {
	data := rapid.SampledFrom(payloads).Draw(t, "data")
	m.c.fx = nil
	r := m.c.create(data)
	if len(data) > m.cfg.MaxDataBytes {
		if r.status != 413 {
			t.Fatalf("create of %d bytes: %d", len(data), r.status)
		}
		if m.cfg.Flavour.isJSON() {
			if ev := m.spec.MakeRoom(m.c.now); !sameEvictions(ev, evictions(m.c.fx)) {
				t.Fatalf("refused create evicted %v, spec %v", evictions(m.c.fx), ev)
			}
		}
		return
	}
	if r.status != m.c.okCreate() {
		t.Fatalf("create: %d %s", r.status, r.resp.Body)
	}
	ev, version := m.spec.Create(m.c.now, r.id, data)
	if !sameEvictions(ev, evictions(m.c.fx)) {
		t.Fatalf("create evicted %v, spec %v", evictions(m.c.fx), ev)
	}
	m.ids = append(m.ids, r.id)
	m.record(t, r.id, view{version, r.token, data})
}

func (m *machine) get(t *rapid.T) {
	id := m.pickID(t)
	r := m.c.get(id)
	out := m.spec.Apply(m.c.now, id, Op{Kind: OpRead})
	switch out.Kind {
	case OutcomeData:
		if r.status != 200 || r.data != out.Data {
			t.Fatalf("get %s: %d %q, spec %q", id, r.status, r.data, out.Data)
		}
		m.record(t, id, view{out.Version, r.token, out.Data})
	case OutcomeNotFound:
		if r.status != 404 || r.errcode != "M_NOT_FOUND" {
			t.Fatalf("get %s: %d %s, spec: not found", id, r.status, r.errcode)
		}
	default:
		t.Fatalf("spec read gave %v", out)
	}
}

func (m *machine) getIfChanged(t *rapid.T) {
	if m.cfg.Flavour != FlavourETag || len(m.ids) == 0 {
		t.Skip("etag flavour only")
	}
	id := rapid.SampledFrom(m.ids).Draw(t, "id")
	vs := m.views[id]
	v := rapid.SampledFrom(vs).Draw(t, "view")
	r := m.c.getIfChanged(id, v.token)
	out := m.spec.Apply(m.c.now, id, Op{Kind: OpReadIfChanged, SeenVersion: v.version, SeenData: v.data})
	switch out.Kind {
	case OutcomeNotModified:
		if r.status != 304 {
			t.Fatalf("conditional get %s with version %d: %d, spec 304", id, v.version, r.status)
		}
	case OutcomeData:
		if r.status != 200 || r.data != out.Data {
			t.Fatalf("conditional get %s: %d %q, spec %q", id, r.status, r.data, out.Data)
		}
		m.record(t, id, view{out.Version, r.token, out.Data})
	case OutcomeNotFound:
		if r.status != 404 {
			t.Fatalf("conditional get %s: %d, spec not found", id, r.status)
		}
	}
}

// put sends a write whose precondition is view v.
func (m *machine) put(t *rapid.T, id string, v view) {
	data := rapid.SampledFrom(payloads).Draw(t, "data")
	req := m.c.putReq(id, v.token, data)
	op := Op{Kind: OpWrite, SeenVersion: v.version, SeenData: v.data, Data: data}
	if m.cfg.Idempotency == IdempotencyTxnID {
		op.Txn = "txn" + strconv.Itoa(m.c.txn)
	}
	m.send(t, id, req, op)
	m.puts[id] = append(m.puts[id], sentPut{req, op})
}

func (m *machine) send(t *rapid.T, id string, req *Request, op Op) {
	r := m.c.read(m.c.do(req))
	if len(op.Data) > m.cfg.MaxDataBytes {
		if r.status != 413 {
			t.Fatalf("put of %d bytes: %d", len(op.Data), r.status)
		}
		return
	}
	out := m.spec.Apply(m.c.now, id, op)
	switch out.Kind {
	case OutcomeWritten:
		if r.status != m.c.okPut() {
			t.Fatalf("put %s (seen v%d): %d %s, spec written v%d", id, op.SeenVersion, r.status, r.resp.Body, out.Version)
		}
		m.record(t, id, view{out.Version, r.token, op.Data})
	case OutcomeUnchanged:
		want, _ := m.tokenOf(id, out.Version)
		if r.status != m.c.okPut() || r.token != want {
			t.Fatalf("retried put %s: %d token %q, spec unchanged at v%d (%q)", id, r.status, r.token, out.Version, want)
		}
	case OutcomeConflict:
		if r.status != m.c.conflictStatus() {
			t.Fatalf("put %s (seen v%d): %d, spec conflict", id, op.SeenVersion, r.status)
		}
	case OutcomeNotFound:
		if r.status != 404 {
			t.Fatalf("put %s: %d, spec not found", id, r.status)
		}
	default:
		t.Fatalf("spec write gave %v", out)
	}
}

func (m *machine) putFresh(t *rapid.T) {
	if len(m.ids) == 0 {
		t.Skip("no sessions")
	}
	id := rapid.SampledFrom(m.ids).Draw(t, "id")
	s, ok := m.spec.Session(id)
	if !ok {
		t.Skip("gone")
	}
	tok, ok := m.tokenOf(id, s.Version)
	if !ok {
		t.Fatalf("no token seen for %s v%d", id, s.Version)
	}
	m.put(t, id, view{s.Version, tok, s.Data})
}

func (m *machine) putStale(t *rapid.T) {
	if len(m.ids) == 0 {
		t.Skip("no sessions")
	}
	id := rapid.SampledFrom(m.ids).Draw(t, "id")
	m.put(t, id, rapid.SampledFrom(m.views[id]).Draw(t, "stale view"))
}

// putForeign sends a write conditioned on a token the session never handed
// out: the spec's Foreign view, never current.
func (m *machine) putForeign(t *rapid.T) {
	if len(m.ids) == 0 {
		t.Skip("no sessions")
	}
	id := rapid.SampledFrom(m.ids).Draw(t, "id")
	tok := "zz-forged"
	if m.cfg.Flavour == FlavourETag {
		tok = `"zz-forged"`
	}
	data := rapid.SampledFrom(payloads).Draw(t, "data")
	req := m.c.putReq(id, tok, data)
	op := Op{Kind: OpWrite, Foreign: true, Data: data}
	if m.cfg.Idempotency == IdempotencyTxnID {
		op.Txn = "txn" + strconv.Itoa(m.c.txn)
	}
	m.send(t, id, req, op)
	m.puts[id] = append(m.puts[id], sentPut{req, op})
}

func (m *machine) putRetry(t *rapid.T) {
	if len(m.ids) == 0 {
		t.Skip("no sessions")
	}
	id := rapid.SampledFrom(m.ids).Draw(t, "id")
	if len(m.puts[id]) == 0 {
		t.Skip("no puts yet")
	}
	p := rapid.SampledFrom(m.puts[id]).Draw(t, "retried put")
	m.send(t, id, p.req, p.op)
}

func (m *machine) del(t *rapid.T) {
	id := m.pickID(t)
	r := m.c.del(id)
	out := m.spec.Apply(m.c.now, id, Op{Kind: OpDelete})
	switch out.Kind {
	case OutcomeDeleted:
		if r.status != m.c.okDelete() {
			t.Fatalf("delete %s: %d, spec deleted", id, r.status)
		}
	case OutcomeNotFound:
		if r.status != 404 {
			t.Fatalf("delete %s: %d, spec not found", id, r.status)
		}
	}
}

func (m *machine) advance(t *rapid.T) {
	m.c.advance(Millis(rapid.Int64Range(0, 6000).Draw(t, "ms")))
}

func (m *machine) sweep(t *rapid.T) {
	got := evictions(m.c.s.Sweep(m.c.now))
	if want := m.spec.Sweep(m.c.now); !sameEvictions(got, want) {
		t.Fatalf("sweep evicted %v, spec %v", got, want)
	}
}

func (m *machine) tick(t *rapid.T) {
	got := evictions(m.c.s.Tick(m.c.now))
	if want := m.spec.Tick(m.c.now); !sameEvictions(got, want) {
		t.Fatalf("tick evicted %v, spec %v", got, want)
	}
}

func (m *machine) check(t *rapid.T) {
	got := m.c.s.Sessions()
	ids := m.spec.IDs()
	if len(got) != len(ids) || m.c.s.Len() != m.spec.Len() {
		t.Fatalf("store holds %d sessions, spec %d", len(got), len(ids))
	}
	for i, g := range got {
		s, _ := m.spec.Session(ids[i])
		if g.ID != ids[i] || string(g.Data) != s.Data || g.Writes != s.Version || g.Expires != s.Expires {
			t.Fatalf("session %d: store %s %q v%d exp %d, spec %s %q v%d exp %d",
				i, g.ID, g.Data, g.Writes, g.Expires, ids[i], s.Data, s.Version, s.Expires)
		}
	}
}

func TestStoreMatchesSpec(t *testing.T) {
	for _, name := range PresetNames() {
		cfg, _ := Preset(name)
		cfg = smallConfig(cfg)
		t.Run(name, func(t *testing.T) {
			rapid.Check(t, func(rt *rapid.T) { checkAgainstSpec(rt, cfg) })
		})
	}
}

// TestSessionSpecStepIsPure checks that Step never changes the value it is
// called on (a linearizability checker relies on it to share states).
func TestSessionSpecStepIsPure(t *testing.T) {
	r := RulesOf(PresetSequenceTokenTxn())
	s := NewSessionSpec(r, 0, "a")
	s, _, _ = s.Step(0, r, Op{Kind: OpWrite, SeenVersion: s.Version, Data: "b", Txn: "t1"})
	before := s
	before.Txns = slices.Clone(s.Txns)
	for _, op := range []Op{
		{Kind: OpWrite, SeenVersion: s.Version, Data: "c", Txn: "t2"},
		{Kind: OpWrite, SeenVersion: 0, Data: "d", Txn: "t3"},
		{Kind: OpDelete},
		{Kind: OpRead},
	} {
		s.Step(1, r, op)
		if !s.Equal(before) {
			t.Fatalf("Step(%v) changed its receiver: %+v", op, s)
		}
	}
	if next, alive, out := s.Step(r.TTL+1, r, Op{Kind: OpRead}); !alive || out.Kind != OutcomeNotFound || !next.Equal(s) {
		t.Fatalf("read after expiry: %v %v", alive, out)
	}
}

// checkAgainstSpec draws the knobs whose every value the spec must follow
// on top of cfg, then a sequence of requests, and checks the store against
// the sequential spec after each.
func checkAgainstSpec(rt *rapid.T, cfg Config) {
	cfg.HardCapMode = rapid.SampledFrom([]HardCapMode{HardCapTrimToSoftCap, HardCapEvictOldest}).Draw(rt, "hard cap mode")
	cfg.Token = rapid.SampledFrom([]TokenStyle{TokenCounter, TokenDigest, TokenContentHash}).Draw(rt, "token style")
	cfg.DeleteExpired = rapid.Bool().Draw(rt, "delete expired")
	cfg.FirstSequence = uint64(rapid.IntRange(0, 1).Draw(rt, "first sequence"))
	if cfg.Flavour == FlavourSequenceToken && cfg.Idempotency != IdempotencyTxnID {
		cfg.Idempotency = rapid.SampledFrom([]Idempotency{IdempotencyNone, IdempotencySameData, IdempotencyPreviousToken}).Draw(rt, "idempotency")
	}
	m := newMachine(rt, cfg)
	rt.Repeat(map[string]func(*rapid.T){
		"create":       m.create,
		"get":          m.get,
		"getIfChanged": m.getIfChanged,
		"putFresh":     m.putFresh,
		"putStale":     m.putStale,
		"putForeign":   m.putForeign,
		"putRetry":     m.putRetry,
		"delete":       m.del,
		"advance":      m.advance,
		"sweep":        m.sweep,
		"tick":         m.tick,
		"":             m.check,
	})
}

// TestPreviousTokenByContent: with content-hash tokens and previous-token
// idempotency, a write whose token is the previous one retries the last
// write, whichever version the client saw that token at: after q, a, q, a
// the create's token (the hash of q) is the previous token again, so the
// store (seqtoken.go) answers the retry of the first write of a as
// unchanged, and so must the spec.
func TestPreviousTokenByContent(t *testing.T) {
	cfg, _ := Preset("sequence-token")
	cfg.Token, cfg.Idempotency = TokenContentHash, IdempotencyPreviousToken
	r := RulesOf(cfg)
	s := NewSessionSpec(r, 0, "q")
	v0 := s.Version
	for i, d := range []string{"a", "q", "a"} {
		var out Outcome
		s, _, out = s.Step(1, r, Op{Kind: OpWrite, SeenVersion: s.Version, SeenData: s.Data, Data: d})
		if out.Kind != OutcomeWritten {
			t.Fatalf("write %d (%q): %+v", i+1, d, out)
		}
	}
	if _, _, out := s.Step(1, r, Op{Kind: OpWrite, SeenVersion: v0, SeenData: "q", Data: "a"}); out.Kind != OutcomeUnchanged {
		t.Errorf("the retry with the create's token (the previous one by content): %+v, want unchanged", out)
	}
	if _, _, out := s.Step(1, r, Op{Kind: OpWrite, SeenVersion: v0, SeenData: "q", Data: "b"}); out.Kind != OutcomeConflict {
		t.Errorf("a new payload with the previous token: %+v, want a conflict", out)
	}
	r.ContentHash = false
	s2 := NewSessionSpec(r, 0, "q")
	for _, d := range []string{"a", "q", "a"} {
		s2, _, _ = s2.Step(1, r, Op{Kind: OpWrite, SeenVersion: s2.Version, SeenData: s2.Data, Data: d})
	}
	if _, _, out := s2.Step(1, r, Op{Kind: OpWrite, SeenVersion: v0, SeenData: "q", Data: "a"}); out.Kind != OutcomeConflict {
		t.Errorf("counter tokens: the create's token is not the previous one: %+v, want a conflict", out)
	}
}
