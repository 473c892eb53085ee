package rendezvous

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the fuzz seed corpus in testdata/")

// FuzzRendezvousStore decodes the fuzzer's bytes into a configuration (a
// preset and a few knobs) and a program of requests and clock steps, runs
// it against a store, and checks after every step that nothing panicked,
// every response is well formed (valid JSON where JSON is promised, the
// headers each flavour requires, a matching Content-Length) and the store's
// internal invariants hold.
func FuzzRendezvousStore(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s.prog)
	}
	f.Fuzz(func(t *testing.T, prog []byte) {
		runFuzzProgram(t, prog)
	})
}

// fuzzReader hands out the program's bytes; past the end it yields zeros.
type fuzzReader struct {
	b []byte
	i int
}

func (r *fuzzReader) done() bool { return r.i >= len(r.b) }

func (r *fuzzReader) byte() byte {
	if r.i >= len(r.b) {
		return 0
	}
	c := r.b[r.i]
	r.i++
	return c
}

// str reads a length byte and that many bytes. Length 255 means a long
// string (4000 + 8*next byte bytes of 'x'), to reach the size limits.
func (r *fuzzReader) str() string {
	n := int(r.byte())
	if n == 255 {
		return strings.Repeat("x", 4000+8*int(r.byte()))
	}
	if r.i+n > len(r.b) {
		n = len(r.b) - r.i
	}
	s := string(r.b[r.i : r.i+n])
	r.i += n
	return s
}

// The program's op codes.
const (
	fopCreate = iota
	fopGet
	fopPut
	fopDelete
	fopAdvance
	fopSweep
	fopTick
	fopRaw
	fopOptions
	fopGetIfChanged
	fopDiscovery
	fopRetry
	fopCount
)

var fuzzMethods = []string{"GET", "PUT", "POST", "DELETE", "OPTIONS", "PATCH", "HEAD", "", "get", "TRACE"}

// fuzzConfig derives a configuration from the program's first bytes: a
// preset, then a byte of flags, each flag overriding one knob (so an
// all-zero header is the plain preset).
func fuzzConfig(r *fuzzReader) Config {
	names := PresetNames()
	cfg, _ := Preset(names[int(r.byte())%len(names)])
	k := r.byte()
	if k&1 != 0 {
		cfg = smallConfig(cfg)
	}
	if k&2 != 0 {
		cfg.Token = TokenStyle(r.byte() % 3)
	}
	if k&4 != 0 {
		cfg.HardCapMode ^= 1
	}
	if k&8 != 0 {
		cfg.DeleteExpired = !cfg.DeleteExpired
	}
	if k&16 != 0 {
		cfg.Conditionals ^= 1
	}
	if k&32 != 0 {
		cfg.RateLimit = RateLimit{Requests: 5, Window: Second}
	}
	if k&64 != 0 {
		cfg.Access = Access(r.byte() % 3)
	}
	if k&128 != 0 {
		k2 := r.byte()
		cfg.Errcodes = ErrcodeForm(k2 % 3)
		cfg.FetchMetadata = FetchMetadataRule(k2 >> 2 % 3)
		cfg.ContentType = ContentTypeRule(k2 >> 4 % 3)
		cfg.QuoteSequenceToken = k2&0x40 != 0 && cfg.Flavour.isJSON()
		if k2&0x80 != 0 {
			cfg.RequireContentLength = !cfg.RequireContentLength
		}
	}
	return cfg
}

type fuzzState struct {
	t      *testing.T
	cfg    Config
	s      *Store
	now    Millis
	ids    []string
	tokens map[string][]string
	puts   []*Request
	fx     []Effect
}

func (f *fuzzState) pickID(r *fuzzReader) string {
	b := r.byte()
	if len(f.ids) == 0 || b == 0 {
		return "unknown-" + strconv.Itoa(int(b))
	}
	return f.ids[int(b)%len(f.ids)]
}

func (f *fuzzState) path(id string) string {
	if f.cfg.Flavour == FlavourETag {
		return f.s.sessionPrefix + "/" + id
	}
	return f.cfg.Prefixes[0] + "/" + id
}

func (f *fuzzState) token(r *fuzzReader, id string) string {
	ts := f.tokens[id]
	switch b := r.byte(); {
	case b < 128 && len(ts) > 0:
		return ts[len(ts)-1]
	case b < 200 && len(ts) > 0:
		return ts[int(b)%len(ts)]
	default:
		return r.str()
	}
}

func jsonBody(kv ...string) []byte {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	b, _ := json.Marshal(m)
	return b
}

// request builds the next request of the program, or nil for a clock or
// sweep step (done inline).
func (f *fuzzState) step(r *fuzzReader) *Request {
	switch op := int(r.byte()) % fopCount; op {
	case fopCreate:
		auth := AuthState(r.byte() % 3)
		data := r.str()
		mut := r.byte()
		req := &Request{Method: "POST", Path: f.cfg.Prefixes[int(mut>>4)%len(f.cfg.Prefixes)], Auth: auth}
		if f.cfg.Flavour == FlavourETag {
			req.Body = []byte(data)
			if mut&1 == 0 {
				req.Header.Add("Content-Length", strconv.Itoa(len(data)))
			}
			if mut&2 == 0 {
				req.Header.Add("Content-Type", "text/plain")
			} else {
				req.Header.Add("Content-Type", "text/plain; charset=utf-8")
			}
		} else if mut&1 == 0 {
			req.Body = jsonBody("data", data)
		} else {
			req.Body = []byte(data)
		}
		return req
	case fopGet:
		req := &Request{Method: "GET", Path: f.path(f.pickID(r))}
		if b := r.byte(); b&1 != 0 {
			req.Header.Add("Sec-Fetch-Mode", []string{"navigate", "cors", "no-cors"}[b>>1%3])
			req.Header.Add("Sec-Fetch-Dest", []string{"document", "empty", "image"}[b>>3%3])
		}
		return req
	case fopPut, fopGetIfChanged:
		id := f.pickID(r)
		tok := f.token(r, id)
		if op == fopGetIfChanged {
			return &Request{Method: "GET", Path: f.path(id), Header: Header{{Name: "If-None-Match", Value: tok}}}
		}
		data := r.str()
		// The transaction selector is always read, so one program means the
		// same thing under every preset.
		path := f.path(id)
		txn := "t" + strconv.Itoa(int(r.byte()%8))
		if r.byte() >= 200 {
			txn = r.str()
		}
		if f.cfg.Idempotency == IdempotencyTxnID {
			path += "/" + txn
		}
		req := &Request{Method: "PUT", Path: path}
		if f.cfg.Flavour == FlavourETag {
			req.Body = []byte(data)
			req.Header = Header{{Name: "Content-Type", Value: "text/plain"}, {Name: "Content-Length", Value: strconv.Itoa(len(data))}, {Name: "If-Match", Value: tok}}
		} else {
			req.Body = jsonBody("sequence_token", tok, "data", data)
		}
		f.puts = append(f.puts, req)
		return req
	case fopDelete:
		return &Request{Method: "DELETE", Path: f.path(f.pickID(r))}
	case fopAdvance:
		b := r.byte()
		if b == 255 {
			f.now += Millis(int(r.byte())<<8|int(r.byte())) * Second
		} else {
			f.now += Millis(b) * 100
		}
		if r.byte()&7 == 0 {
			f.now -= 5 * Second // the store must not go back in time
		}
	case fopSweep:
		f.fx = f.s.SweepAppend(f.now, f.fx[:0])
	case fopTick:
		f.fx = f.s.TickAppend(f.now, f.fx[:0])
	case fopRaw:
		req := &Request{Auth: AuthState(r.byte() % 3)}
		if b := r.byte(); int(b) < len(fuzzMethods)*20 {
			req.Method = fuzzMethods[int(b)%len(fuzzMethods)]
		} else {
			req.Method = r.str()
		}
		switch b := r.byte(); b % 4 {
		case 0:
			req.Path = r.str()
		case 1:
			req.Path = f.cfg.Prefixes[int(b>>2)%len(f.cfg.Prefixes)] + r.str()
		case 2:
			req.Path = f.path(f.pickID(r)) + r.str()
		default:
			req.Path = f.path(f.pickID(r))
		}
		for n := r.byte() % 6; n > 0; n-- {
			req.Header.Add(r.str(), r.str())
		}
		req.Body = []byte(r.str())
		req.Client = string(rune('a' + r.byte()%3))
		return req
	case fopOptions:
		return &Request{Method: "OPTIONS", Path: f.path(f.pickID(r))}
	case fopDiscovery:
		return &Request{Method: "GET", Path: f.cfg.Prefixes[0], Auth: AuthState(r.byte() % 3)}
	case fopRetry:
		if len(f.puts) > 0 {
			return f.puts[int(r.byte())%len(f.puts)]
		}
	}
	return nil
}

// learn picks IDs and tokens out of a response.
func (f *fuzzState) learn(req *Request, resp Response) {
	if tok := resp.Header.Get("ETag"); tok != "" && f.cfg.Flavour == FlavourETag {
		if i := strings.LastIndexByte(req.Path, '/'); i >= 0 {
			f.tokens[req.Path[i+1:]] = append(f.tokens[req.Path[i+1:]], tok)
		}
	}
	if resp.Header.Get("Content-Type") != "application/json" {
		return
	}
	var m map[string]any
	if json.Unmarshal(resp.Body, &m) != nil {
		return
	}
	id, _ := m["id"].(string)
	if u, ok := m["url"].(string); ok {
		if pu, err := url.Parse(u); err == nil {
			id = pu.Path[strings.LastIndexByte(pu.Path, '/')+1:]
			f.tokens[id] = append(f.tokens[id], resp.Header.Get("ETag"))
		}
	}
	if id != "" {
		f.ids = append(f.ids, id)
	}
	if tok, ok := m["sequence_token"].(string); ok {
		if id == "" {
			if i := strings.LastIndexByte(req.Path, '/'); i >= 0 {
				id = req.Path[i+1:]
			}
		}
		f.tokens[id] = append(f.tokens[id], tok)
	}
}

func runFuzzProgram(t *testing.T, prog []byte) {
	r := &fuzzReader{b: prog}
	cfg := fuzzConfig(r)
	s, err := New(cfg, t0, nil)
	if err != nil {
		t.Fatalf("config from the program does not validate: %v", err)
	}
	f := &fuzzState{t: t, cfg: cfg, s: s, now: t0, tokens: map[string][]string{}}
	for steps := 0; !r.done() && steps < 400; steps++ {
		req := f.step(r)
		if req != nil {
			resp, fx := s.HandleAppend(f.now, req, f.fx[:0])
			f.fx = fx
			if err := wellFormed(cfg, req, resp); err != nil {
				t.Fatalf("step %d: %s %q → %d: %v\nheaders %v\nbody %q", steps, req.Method, req.Path, resp.Status, err, resp.Header, resp.Body)
			}
			if err := promisedFields(cfg, req, resp); err != nil {
				t.Fatalf("step %d: %s %q → %d: %v (%s)", steps, req.Method, req.Path, resp.Status, err, resp.Body)
			}
			f.learn(req, resp)
		}
		for _, e := range f.fx {
			if e.Kind == 0 || (e.ID == "" && e.Kind != EffectRateLimited) {
				t.Fatalf("step %d: malformed effect %+v", steps, e)
			}
		}
		if err := s.checkInvariants(); err != nil {
			t.Fatalf("step %d: %v", steps, err)
		}
	}
}

// promisedFields checks the body fields each success promises.
func promisedFields(cfg Config, req *Request, resp Response) error {
	if resp.Status != 200 && resp.Status != 201 {
		return nil
	}
	var m map[string]any
	if resp.Header.Get("Content-Type") == "application/json" {
		if err := json.Unmarshal(resp.Body, &m); err != nil {
			return err
		}
	}
	need := func(keys ...string) error {
		for _, k := range keys {
			if _, ok := m[k]; !ok {
				return fmt.Errorf("missing %q", k)
			}
		}
		return nil
	}
	expiry := "expires_in_ms"
	if cfg.Flavour == FlavourSequenceToken2025 {
		expiry = "expires_ts"
	}
	switch {
	case cfg.Flavour == FlavourETag && req.Method == "POST":
		return need("url")
	case cfg.Flavour.isJSON() && req.Method == "POST":
		return need("id", "sequence_token", expiry)
	case cfg.Flavour.isJSON() && req.Method == "PUT":
		return need("sequence_token")
	case cfg.Flavour.isJSON() && req.Method == "GET" && m != nil && m["create_available"] == nil:
		return need("data", "sequence_token", expiry)
	}
	return nil
}

// checkInvariants verifies the store's internal consistency.
func (s *Store) checkInvariants() error {
	n := 0
	var prev *session
	for p := s.head; p != nil; p = p.next {
		n++
		if p.prev != prev {
			return fmt.Errorf("session %s: broken back link", p.id)
		}
		if s.sessions[p.id] != p {
			return fmt.Errorf("session %s: not indexed", p.id)
		}
		if prev != nil && p.created < prev.created {
			return fmt.Errorf("session %s created before its predecessor", p.id)
		}
		if p.expires != p.created+s.cfg.TTL || p.created > s.now || p.modified < p.created {
			return fmt.Errorf("session %s: times created %d modified %d expires %d now %d", p.id, p.created, p.modified, p.expires, s.now)
		}
		if len(p.data) > s.cfg.MaxDataBytes {
			return fmt.Errorf("session %s holds %d bytes", p.id, len(p.data))
		}
		if p.writes < s.cfg.FirstSequence || p.token != s.makeToken(p) {
			return fmt.Errorf("session %s: writes %d token %q", p.id, p.writes, p.token)
		}
		if m := s.cfg.MaxRecordedTxns; m > 0 && len(p.txns) > m {
			return fmt.Errorf("session %s records %d transactions", p.id, len(p.txns))
		}
		prev = p
	}
	if prev != s.tail || n != s.count || n != len(s.sessions) {
		return fmt.Errorf("list has %d sessions, count %d, index %d", n, s.count, len(s.sessions))
	}
	if s.cfg.HardCap > 0 && s.count > s.cfg.HardCap {
		return fmt.Errorf("%d sessions over the hard cap %d", s.count, s.cfg.HardCap)
	}
	return nil
}

// A small assembler for seed programs.

type fuzzSeed struct {
	name string
	prog []byte
}

type progBuilder struct{ b []byte }

func (p *progBuilder) op(code int, args ...byte) *progBuilder {
	p.b = append(p.b, byte(code))
	p.b = append(p.b, args...)
	return p
}

func (p *progBuilder) raw(b ...byte) *progBuilder {
	p.b = append(p.b, b...)
	return p
}

func (p *progBuilder) str(s string) *progBuilder {
	p.b = append(p.b, byte(len(s)))
	p.b = append(p.b, s...)
	return p
}

func presetIndex(name string) byte {
	for i, n := range PresetNames() {
		if n == name {
			return byte(i)
		}
	}
	panic("unknown preset " + name)
}

// fuzzSeeds are the corpus: for every preset a session's whole life, a
// flood past the caps, oversized payloads, bad JSON and bad headers.
func fuzzSeeds() []fuzzSeed {
	var seeds []fuzzSeed
	for _, name := range PresetNames() {
		pi := presetIndex(name)
		life := &progBuilder{b: []byte{pi, 0}}
		life.op(fopCreate, 0).str("hello").raw(0)
		life.op(fopGet, 1, 0).op(fopGetIfChanged, 1, 0)
		life.op(fopPut, 1, 0).str("world").raw(0, 0)
		life.op(fopPut, 1, 150).str("stale").raw(1, 0)
		life.op(fopRetry, 0).op(fopGet, 1, 1)
		life.op(fopAdvance, 255, 0, 59, 1).op(fopTick).op(fopGet, 1, 0)
		life.op(fopDelete, 1).op(fopDelete, 1).op(fopOptions, 1).op(fopDiscovery, 2)
		seeds = append(seeds, fuzzSeed{name + "-life", life.b})

		flood := &progBuilder{b: []byte{pi, 1}}
		for i := 0; i < 12; i++ {
			flood.op(fopCreate, byte(i%3)).str("x").raw(byte(i))
		}
		flood.op(fopAdvance, 50, 1).op(fopSweep).op(fopAdvance, 255, 0, 20, 1).op(fopTick).op(fopGet, 3, 0)
		seeds = append(seeds, fuzzSeed{name + "-flood", flood.b})

		big := &progBuilder{b: []byte{pi, 0xc1, 1, 0x7f}}
		big.op(fopCreate, 1).raw(255, 12, 0).op(fopCreate, 1, 255, 11, 1)
		big.op(fopCreate, 2).str("\x00\"\\\xff").raw(1)
		big.op(fopRaw, 0, 1, 1).str("/x").raw(2).str("If-Match").str("W/\"1\", *").str("Content-Type").str("text/plain").str(`{"data":[[[[`).raw(0)
		big.op(fopRaw, 1, 2, 2, 1).str("/extra").raw(1).str("Sec-Fetch-Site").str("none").str("").raw(1)
		big.op(fopRaw, 2, 240).str("BREW").raw(0).str("").raw(0).str("").raw(2)
		seeds = append(seeds, fuzzSeed{name + "-hostile", big.b})
	}
	return seeds
}

// TestFuzzSeedsRun runs the seed corpus as a plain test, and with -update
// rewrites testdata/fuzz/FuzzRendezvousStore from fuzzSeeds.
func TestFuzzSeedsRun(t *testing.T) {
	for _, s := range fuzzSeeds() {
		t.Run(s.name, func(t *testing.T) { runFuzzProgram(t, s.prog) })
	}
	if !*update {
		return
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzRendezvousStore")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, s := range fuzzSeeds() {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", s.prog)
		if err := os.WriteFile(filepath.Join(dir, s.name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDeterminism runs every seed program on two fresh stores and demands
// identical answers, byte for byte, IDs included.
func TestDeterminism(t *testing.T) {
	transcript := func(prog []byte) string {
		r := &fuzzReader{b: prog}
		cfg := fuzzConfig(r)
		s, err := New(cfg, t0, nil)
		if err != nil {
			t.Fatal(err)
		}
		f := &fuzzState{t: t, cfg: cfg, s: s, now: t0, tokens: map[string][]string{}}
		var b strings.Builder
		for !r.done() {
			req := f.step(r)
			if req == nil {
				fmt.Fprintf(&b, "step %v\n", f.fx)
				continue
			}
			resp, fx := s.Handle(f.now, req)
			fmt.Fprintf(&b, "%d %v %q %v\n", resp.Status, resp.Header, resp.Body, fx)
			f.learn(req, resp)
		}
		return b.String()
	}
	for _, sd := range fuzzSeeds() {
		if a, b := transcript(sd.prog), transcript(sd.prog); a != b {
			t.Fatalf("%s: two runs differ:\n%s\n---\n%s", sd.name, a, b)
		}
	}
	if MillisOf(t0.Time()) != t0 || t0.Time().Format(time.RFC3339) != "2026-11-28T00:00:00Z" {
		t.Fatalf("Millis round trip: %v", t0.Time())
	}
	s := newTestStore(t, PresetETag())
	if resp, _ := s.Handle(t0, nil); resp.Status != 404 {
		t.Fatalf("nil request: %d", resp.Status)
	}
}
