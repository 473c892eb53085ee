package rendezvous

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestTokensChangeOnEveryWrite(t *testing.T) {
	forEachPreset(t, func(t *testing.T, cfg Config) {
		c := newClient(t, cfg)
		r := c.create("same")
		seen := map[string]bool{r.token: true}
		tok := r.token
		for i := 0; i < 5; i++ {
			p := c.put(r.id, tok, "same")
			if p.status != c.okPut() {
				t.Fatalf("put %d: %d", i, p.status)
			}
			if cfg.Token == TokenContentHash {
				if p.token != r.token {
					t.Fatalf("content-hash token changed for identical data: %q → %q", r.token, p.token)
				}
			} else if seen[p.token] {
				t.Fatalf("token %q repeated after %d identical writes", p.token, i+1)
			}
			seen[p.token] = true
			tok = p.token
		}
	})
}

func TestTokenAndIDGrammar(t *testing.T) {
	ulid := regexp.MustCompile(`^[0-7][0-9A-HJKMNP-TV-Z]{25}$`)
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	forEachPreset(t, func(t *testing.T, cfg Config) {
		for _, style := range []TokenStyle{TokenCounter, TokenDigest, TokenContentHash} {
			cfg.Token = style
			c := newClient(t, cfg)
			r := c.create("x")
			re := ulid
			if cfg.IDs == IDUUID {
				re = uuid
			}
			if !re.MatchString(r.id) || !opaqueID(r.id) {
				t.Fatalf("ID %q does not match the %d style", r.id, cfg.IDs)
			}
			tok := r.token
			if cfg.Flavour == FlavourETag || cfg.QuoteSequenceToken {
				if len(tok) < 2 || tok[0] != '"' || tok[len(tok)-1] != '"' {
					t.Fatalf("quoted token %q", tok)
				}
				tok = tok[1 : len(tok)-1]
			}
			if !opaqueID(tok) {
				t.Fatalf("token %q breaks the opaque identifier grammar", tok)
			}
		}
	})
	// Synapse's 2025 tokens carry the quotes inside the JSON string, which the
	// 2026 grammar forbids.
	c := newClient(t, PresetSequenceToken2025Synapse())
	r := c.create("x")
	sum := sha256.Sum256([]byte("x"))
	if want := `"` + base64.RawURLEncoding.EncodeToString(sum[:]) + `"`; r.token != want || opaqueID(r.token) {
		t.Fatalf("2025 Synapse token %q, want %q", r.token, want)
	}
}

func TestULIDTime(t *testing.T) {
	c := newClient(t, PresetSequenceToken2025())
	r := c.create("x")
	var v uint64
	for _, ch := range r.id[:10] {
		v = v<<5 | uint64(strings.IndexRune(crockford, ch))
	}
	if Millis(v) != t0 {
		t.Fatalf("ULID time %d, want %d", v, t0)
	}
}

type fixedReader struct{ b byte }

func (f fixedReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = f.b
	}
	return len(p), nil
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("no entropy") }

func TestIDSources(t *testing.T) {
	ids := func(seed uint64) []string {
		cfg := PresetSequenceToken()
		cfg.Seed = seed
		c := newClient(t, cfg)
		return []string{c.create("a").id, c.create("b").id}
	}
	a, b, other := ids(1), ids(1), ids(2)
	if a[0] != b[0] || a[1] != b[1] || a[0] == a[1] || a[0] == other[0] {
		t.Fatalf("seeded IDs %v %v %v", a, b, other)
	}
	// A reader: the same bytes give the same IDs; constant bytes collide.
	s, err := New(PresetSequenceToken(), t0, fixedReader{7})
	if err != nil {
		t.Fatal(err)
	}
	req := &Request{Method: "POST", Path: StablePrefix, Body: []byte(`{"data":""}`)}
	if r, _ := s.Handle(t0, req); r.Status != 200 {
		t.Fatalf("first create: %d", r.Status)
	}
	r, fx := s.Handle(t0, req)
	if r.Status != 500 || fx != nil || s.Len() != 1 {
		t.Fatalf("colliding create: %d %v (Len %d)", r.Status, fx, s.Len())
	}
	s, _ = New(PresetETag(), t0, failingReader{})
	r, _ = s.Handle(t0, &Request{Method: "POST", Path: StablePrefix, Header: hdr("Content-Type", "text/plain", "Content-Length", "0")})
	if r.Status != 500 || !bytes.Contains(r.Body, []byte(`"M_UNKNOWN"`)) {
		t.Fatalf("failing reader: %d %s", r.Status, r.Body)
	}
}

func TestExpiresInMs(t *testing.T) {
	c := newClient(t, PresetSequenceToken())
	r := c.create("x")
	c.advance(30*Second + 7)
	if g := c.get(r.id); g.expires != int64(2*Minute-30*Second-7) {
		t.Fatalf("expires_in_ms %d", g.expires)
	}
	c2 := newClient(t, PresetSequenceToken2025())
	r = c2.create("x")
	if r.expires != int64(t0+2*Minute) {
		t.Fatalf("expires_ts %d", r.expires)
	}
}

func TestDiscovery(t *testing.T) {
	cases := []struct {
		access  Access
		auth    AuthState
		status  int
		body    string
		errcode string
	}{
		{AccessPublic, AuthNone, 200, `{"create_available":true}`, ""},
		{AccessPublic, AuthValid, 200, `{"create_available":true}`, ""},
		{AccessPublic, AuthInvalid, 401, "", "M_UNKNOWN_TOKEN"},
		{AccessAuthenticated, AuthNone, 200, `{"create_available":false}`, ""},
		{AccessAuthenticated, AuthValid, 200, `{"create_available":true}`, ""},
		{AccessAuthenticated, AuthInvalid, 401, "", "M_UNKNOWN_TOKEN"},
		{AccessOff, AuthValid, 404, "", "M_UNRECOGNIZED"},
	}
	for _, tc := range cases {
		cfg := PresetSequenceToken()
		cfg.Access = tc.access
		c := newClient(t, cfg)
		for _, p := range cfg.Prefixes {
			r := c.read(c.do(&Request{Method: "GET", Path: p, Auth: tc.auth}))
			if r.status != tc.status || r.errcode != tc.errcode || (tc.body != "" && string(r.resp.Body) != tc.body) {
				t.Errorf("access %d auth %d on %s: %d %s", tc.access, tc.auth, p, r.status, r.resp.Body)
			}
		}
	}
	// Synapse 1.157.0 authenticates a discovery request in authenticated
	// mode before answering (rendezvous.py, MSC4388CreateRendezvousServlet).
	syn := PresetSequenceTokenSynapse()
	syn.Access = AccessAuthenticated
	cs := newClient(t, syn)
	if r := cs.read(cs.do(&Request{Method: "GET", Path: syn.Prefixes[0], Auth: AuthNone})); r.status != 401 || r.errcode != "M_MISSING_TOKEN" {
		t.Errorf("Synapse discovery without a token: %d %s, want 401 M_MISSING_TOKEN", r.status, r.errcode)
	}
	if r := cs.read(cs.do(&Request{Method: "GET", Path: syn.Prefixes[0], Auth: AuthValid})); r.status != 200 || string(r.resp.Body) != `{"create_available":true}` {
		t.Errorf("Synapse discovery with a token: %d %s", r.status, r.resp.Body)
	}
	// In open mode Synapse 1.157.0 never authenticates (the servlets call
	// get_user_by_req only in authenticated mode): a token no user owns is
	// ignored by discovery and create alike.
	open := newClient(t, PresetSequenceTokenSynapse())
	if r := open.read(open.do(&Request{Method: "GET", Path: open.prefix, Auth: AuthInvalid})); r.status != 200 || string(r.resp.Body) != `{"create_available":true}` {
		t.Errorf("Synapse open discovery with a bad token: %d %s, want 200 create_available true", r.status, r.resp.Body)
	}
	if r := open.read(open.do(open.createReq("x", AuthInvalid))); r.status != 200 {
		t.Errorf("Synapse open create with a bad token: %d %s, want 200", r.status, r.resp.Body)
	}
	if r := cs.read(cs.do(&Request{Method: "GET", Path: syn.Prefixes[0], Auth: AuthInvalid})); r.status != 401 || r.errcode != "M_UNKNOWN_TOKEN" {
		t.Errorf("Synapse authenticated discovery with a bad token: %d %s, want 401 M_UNKNOWN_TOKEN", r.status, r.errcode)
	}
	// The 2025 API has no discovery endpoint: GET on the create path is an
	// unsupported method.
	c := newClient(t, PresetSequenceToken2025())
	if r := c.read(c.do(&Request{Method: "GET", Path: c.prefix})); r.status != 405 || r.errcode != "M_UNRECOGNIZED" {
		t.Fatalf("2025 discovery: %d %s", r.status, r.errcode)
	}
	// In public mode the 2025 API ignores a bad token; the 2026 text refuses it.
	if r := c.read(c.do(c.createReq("x", AuthInvalid))); r.status != 200 {
		t.Fatalf("2025 create with a bad token: %d", r.status)
	}
	c = newClient(t, PresetSequenceToken())
	if r := c.read(c.do(c.createReq("x", AuthInvalid))); r.status != 401 || r.errcode != "M_UNKNOWN_TOKEN" {
		t.Fatalf("2026 create with a bad token: %d %s", r.status, r.errcode)
	}
}

func TestIdempotentSameData(t *testing.T) {
	for _, tc := range []struct {
		cfg         Config
		retryStatus int
	}{{PresetSequenceToken(), 200}, {PresetSequenceToken2025(), 409}} {
		t.Run(tc.cfg.Name, func(t *testing.T) {
			c := newClient(t, tc.cfg)
			r := c.create("a")
			p := c.put(r.id, r.token, "b")
			// The response was lost; the client retries with the same request.
			c.fx = nil
			retry := c.put(r.id, r.token, "b")
			if retry.status != tc.retryStatus {
				t.Fatalf("retry: %d, want %d", retry.status, tc.retryStatus)
			}
			if tc.retryStatus == 200 {
				if retry.token != p.token || len(c.fx) != 1 || c.fx[0].Kind != EffectReplayed {
					t.Fatalf("retry answered token %q (want %q), effects %v", retry.token, p.token, c.fx)
				}
			}
			if other := c.put(r.id, r.token, "c"); other.status != 409 {
				t.Fatalf("stale put with other data: %d", other.status)
			}
			if g := c.get(r.id); g.data != "b" || g.token != p.token {
				t.Fatalf("state %q %q", g.data, g.token)
			}
		})
	}
}

func TestIdempotentTxnID(t *testing.T) {
	c := newClient(t, PresetSequenceTokenTxn())
	r := c.create("a")
	path := func(txn string) string { return c.sessionPath(r.id) + "/" + txn }
	put := func(txn, tok, data string) result {
		b, _ := json.Marshal(map[string]string{"sequence_token": tok, "data": data})
		return c.read(c.do(&Request{Method: "PUT", Path: path(txn), Body: b}))
	}
	p1 := put("t1", r.token, "b")
	if p1.status != 200 || p1.token == r.token {
		t.Fatalf("first put: %d %q", p1.status, p1.token)
	}
	// A retry of t1 is answered from the record, whatever it carries.
	if again := put("t1", "junk", "zzz"); again.status != 200 || again.token != p1.token {
		t.Fatalf("replayed t1: %d %q", again.status, again.token)
	}
	if stale := put("t2", r.token, "c"); stale.status != 409 || stale.errcode != "IO_ELEMENT_MSC4388_CONCURRENT_WRITE" {
		t.Fatalf("stale t2: %d %s", stale.status, stale.errcode)
	}
	// t2 is recorded as a conflict: even a now-correct token is not considered.
	if again := put("t2", p1.token, "c"); again.status != 409 {
		t.Fatalf("replayed t2: %d", again.status)
	}
	p3 := put("t3", p1.token, "c")
	if p3.status != 200 {
		t.Fatalf("t3: %d", p3.status)
	}
	// Same data with a stale token and a new transaction ID is a conflict in
	// this revision (idempotency is by transaction ID only).
	if same := put("t4", p1.token, "c"); same.status != 409 {
		t.Fatalf("t4: %d", same.status)
	}
	if g := c.get(r.id); g.data != "c" || g.token != p3.token {
		t.Fatalf("state %q %q", g.data, g.token)
	}
	// PUT without a transaction ID is not an endpoint of this revision.
	b, _ := json.Marshal(map[string]string{"sequence_token": p3.token, "data": "d"})
	if x := c.read(c.do(&Request{Method: "PUT", Path: c.sessionPath(r.id), Body: b})); x.status != 405 {
		t.Fatalf("PUT without txn: %d", x.status)
	}
	if x := c.read(c.do(&Request{Method: "GET", Path: path("t1")})); x.status != 405 {
		t.Fatalf("GET on a txn path: %d", x.status)
	}
}

func TestTxnGrammar(t *testing.T) {
	long := strings.Repeat("a", 256)
	cases := []struct {
		txn             string
		opaque, synapse bool
	}{
		{"abc-._", true, true},
		{"a~b", true, false},
		{"a=b", false, true},
		{"a%20b", false, false},
		{long[:255], true, true},
		{long, false, false},
	}
	for _, tc := range cases {
		for _, cfg := range []Config{PresetSequenceTokenTxn(), PresetSequenceTokenSynapse()} {
			c := newClient(t, cfg)
			r := c.create("a")
			b, _ := json.Marshal(map[string]string{"sequence_token": r.token, "data": "b"})
			got := c.read(c.do(&Request{Method: "PUT", Path: c.sessionPath(r.id) + "/" + tc.txn, Body: b}))
			want := tc.opaque
			if cfg.TxnGrammar == TxnSynapse {
				want = tc.synapse
			}
			if (got.status == 200) != want || (!want && (got.status != 400 || got.errcode != "M_INVALID_PARAM")) {
				t.Errorf("%s txn %.20q: %d %s", cfg.Name, tc.txn, got.status, got.errcode)
			}
		}
	}
}

func TestRecordedTxnsBounded(t *testing.T) {
	c := newClient(t, PresetSequenceTokenSynapse())
	r := c.create("a")
	put := func(txn, tok string) result {
		b, _ := json.Marshal(map[string]string{"sequence_token": tok, "data": "x"})
		return c.read(c.do(&Request{Method: "PUT", Path: c.sessionPath(r.id) + "/" + txn, Body: b}))
	}
	if first := put("first", "stale"); first.status != 409 {
		t.Fatalf("first: %d", first.status)
	}
	for i := 0; i < 100; i++ {
		put("n"+strconv.Itoa(i), "stale")
	}
	// "first" has been forgotten: the same request is evaluated afresh and,
	// with the current token, succeeds.
	if again := put("first", r.token); again.status != 200 {
		t.Fatalf("forgotten txn: %d", again.status)
	}
	if n := len(c.s.sessions[r.id].txns); n != 100 {
		t.Fatalf("%d recorded transactions", n)
	}
}

func TestFetchMetadata(t *testing.T) {
	cases := []struct {
		headers              Header
		text, synapse, off   int
		textCode, synapseErr string
	}{
		{nil, 200, 200, 200, "", ""},
		{hdr("Sec-Fetch-Mode", "cors", "Sec-Fetch-Dest", "empty", "Sec-Fetch-Site", "cross-site"), 200, 200, 200, "", ""},
		{hdr("Sec-Fetch-Mode", "navigate"), 403, 403, 200, "M_FORBIDDEN", "M_FORBIDDEN"},
		{hdr("Sec-Fetch-Dest", "document"), 403, 403, 200, "M_FORBIDDEN", "M_FORBIDDEN"},
		{hdr("sec-fetch-dest", "image"), 200, 403, 200, "", "M_FORBIDDEN"},
		{hdr("Sec-Fetch-User", "?1"), 200, 403, 200, "", "M_FORBIDDEN"},
		{hdr("Sec-Fetch-Site", "none"), 200, 403, 200, "", "M_FORBIDDEN"},
	}
	for i, tc := range cases {
		for _, cfg := range []Config{PresetSequenceToken(), PresetSequenceTokenSynapse(), PresetSequenceToken2025()} {
			c := newClient(t, cfg)
			r := c.create("secret")
			g := c.read(c.do(&Request{Method: "GET", Path: c.sessionPath(r.id), Header: tc.headers}))
			want := map[FetchMetadataRule]int{FetchMetadataNavigation: tc.text, FetchMetadataSynapse: tc.synapse, FetchMetadataOff: tc.off}[cfg.FetchMetadata]
			if g.status != want || (want == 403 && (g.errcode != "M_FORBIDDEN" || g.data != "")) {
				t.Errorf("case %d %s: %d %s", i, cfg.Name, g.status, g.errcode)
			}
		}
	}
}

func TestJSONErrcodeForms(t *testing.T) {
	cases := []struct {
		form   ErrcodeForm
		prefix string
		want   string
	}{
		{ErrcodesByPath, StablePrefix, "M_CONCURRENT_WRITE"},
		{ErrcodesByPath, UnstablePrefix2026, "IO_ELEMENT_MSC4388_CONCURRENT_WRITE"},
		{ErrcodesStable, UnstablePrefix2026, "M_CONCURRENT_WRITE"},
		{ErrcodesUnstable, StablePrefix, "IO_ELEMENT_MSC4388_CONCURRENT_WRITE"},
	}
	for _, tc := range cases {
		cfg := PresetSequenceToken()
		cfg.Errcodes = tc.form
		c := newClient(t, cfg)
		c.prefix = tc.prefix
		r := c.create("a")
		if p := c.put(r.id, "stale", "b"); p.status != 409 || p.errcode != tc.want {
			t.Errorf("form %d on %s: %d %s", tc.form, tc.prefix, p.status, p.errcode)
		}
	}
}

func TestDeleteBody(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		body string
		ct   string
	}{{PresetSequenceToken2025(), "{}", "application/json"}, {PresetSequenceToken2025Synapse(), "", ""}} {
		c := newClient(t, tc.cfg)
		r := c.create("a")
		d := c.del(r.id)
		if d.status != 200 || string(d.resp.Body) != tc.body || d.resp.Header.Get("Content-Type") != tc.ct {
			t.Errorf("%s: DELETE %d %q %v", tc.cfg.Name, d.status, d.resp.Body, d.resp.Header)
		}
	}
}

func TestDuplicateKeys(t *testing.T) {
	body := []byte(`{"data":"a","data":"b"}`)
	c := newClient(t, PresetSequenceToken2025())
	r := c.read(c.do(&Request{Method: "POST", Path: c.prefix, Body: body}))
	if r.status != 200 || c.get(r.id).data != "b" {
		t.Fatalf("2025: duplicate key, last wins: %d", r.status)
	}
	c = newClient(t, PresetSequenceTokenSynapse())
	if r := c.read(c.do(&Request{Method: "POST", Path: c.prefix, Body: body})); r.status != 400 || r.errcode != "M_INVALID_PARAM" {
		t.Fatalf("Synapse 2026: duplicate key: %d %s", r.status, r.errcode)
	}
}

func TestPayloadRoundTrip(t *testing.T) {
	payloads := []string{
		"", "plain", `quote " backslash \ slash /`, "ctl \x00\x01\x1f\x7f tab\t nl\n",
		"émoji 😀 and \u2028\u2029", strings.Repeat("x", 4096),
	}
	escaped := `{"data":"\u00e9\ud83d\ude00\n\"\\\/"}`
	forEachPreset(t, func(t *testing.T, cfg Config) {
		if !cfg.Flavour.isJSON() {
			t.Skip("JSON flavours")
		}
		c := newClient(t, cfg)
		for _, p := range payloads {
			r := c.create(p)
			if g := c.get(r.id); g.status != 200 || g.data != p {
				t.Fatalf("payload %.30q came back as %.30q", p, g.data)
			}
		}
		r := c.read(c.do(&Request{Method: "POST", Path: c.prefix, Body: []byte(escaped)}))
		if g := c.get(r.id); g.data != "é😀\n\"\\/" {
			t.Fatalf("escapes decoded to %q", g.data)
		}
	})
}

func TestTTLValidation(t *testing.T) {
	cfg := PresetSequenceToken()
	for _, ttl := range []Millis{MinTTL2026 - 1, MaxTTL2026 + 1, Second} {
		cfg.TTL = ttl
		if err := cfg.Validate(); !errors.Is(err, ErrConfig) {
			t.Fatalf("TTL %d accepted: %v", ttl, err)
		}
		cfg.AllowTTLOutOfRange = true
		if err := cfg.Validate(); err != nil {
			t.Fatalf("TTL %d with the override: %v", ttl, err)
		}
		cfg.AllowTTLOutOfRange = false
	}
	for _, ttl := range []Millis{MinTTL2026, MaxTTL2026} {
		cfg.TTL = ttl
		if err := cfg.Validate(); err != nil {
			t.Fatalf("TTL %d: %v", ttl, err)
		}
	}
	// The 2025 API has no such rule.
	c25 := PresetSequenceToken2025()
	c25.TTL = Second
	if err := c25.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestJSONBodyLimits(t *testing.T) {
	c := newClient(t, PresetSequenceToken())
	big := append([]byte(`{"data":"x","pad":"`), bytes.Repeat([]byte("y"), 70<<10)...)
	big = append(big, `"}`...)
	if r := c.read(c.do(&Request{Method: "POST", Path: c.prefix, Body: big})); r.status != 413 || r.errcode != "M_TOO_LARGE" {
		t.Fatalf("70 KiB body: %d %s", r.status, r.errcode)
	}
	if r := c.read(c.do(&Request{Method: "PATCH", Path: c.prefix})); r.status != 405 {
		t.Fatalf("PATCH: %d", r.status)
	}
	if r := c.read(c.do(&Request{Method: "GET", Path: c.prefix + "/a/b"})); r.status != 404 || r.errcode != "M_UNRECOGNIZED" {
		t.Fatalf("nested path: %d %s", r.status, r.errcode)
	}
}

func TestHardCapBeforeBody(t *testing.T) {
	// In the JSON flavours the hard cap acts before the body is read, so a
	// malformed create at the cap still evicts.
	cfg := PresetSequenceToken2025()
	cfg.SoftCap, cfg.HardCap = 2, 3
	c := newClient(t, cfg)
	for i := 0; i < 3; i++ {
		c.create("x")
	}
	c.fx = nil
	r := c.read(c.do(&Request{Method: "POST", Path: c.prefix, Body: []byte("not json")}))
	if r.status != 400 || c.s.Len() != 2 || len(c.fx) != 1 || c.fx[0].Kind != EffectEvictedHardCap {
		t.Fatalf("malformed create at the cap: %d, Len %d, effects %v", r.status, c.s.Len(), c.fx)
	}
	// Evict-oldest mode removes only what makes room.
	cfg.HardCapMode = HardCapEvictOldest
	cfg.SoftCap, cfg.HardCap = 1, 3
	c = newClient(t, cfg)
	for i := 0; i < 5; i++ {
		c.create("x")
	}
	if c.s.Len() != 3 {
		t.Fatalf("evict-oldest: Len %d", c.s.Len())
	}
}

// TestSynapse1157TokenAndIdempotency replays Synapse 1.157.0's
// test_rendezvous_put_is_idempotent against the two knobs that model it:
// the token is base64url(SHA-256(data || ms as 16 big-endian bytes)), and
// only the immediately previous token with the current data is a retry.
func TestSynapse1157TokenAndIdempotency(t *testing.T) {
	cfg := PresetSequenceTokenSynapse()
	cfg.Token = TokenContentTimeHash
	cfg.Idempotency = IdempotencyPreviousToken
	cfg.AllowTTLOutOfRange = true
	s, err := New(cfg, 5000, nil)
	if err != nil {
		t.Fatal(err)
	}
	put := func(now Millis, path, token, data string) (int, map[string]any) {
		body := `{"sequence_token":"` + token + `","data":"` + data + `"}`
		resp, _ := s.Handle(now, &Request{Method: "PUT", Path: path, Header: Header{{Name: "Content-Type", Value: "application/json"}}, Body: []byte(body), Auth: AuthValid})
		var m map[string]any
		_ = json.Unmarshal(resp.Body, &m)
		return resp.Status, m
	}
	resp, _ := s.Handle(5000, &Request{Method: "POST", Path: UnstablePrefix2026, Header: Header{{Name: "Content-Type", Value: "application/json"}}, Body: []byte(`{"data":"foo=bar"}`), Auth: AuthValid})
	var created map[string]any
	if err := json.Unmarshal(resp.Body, &created); err != nil || resp.Status != 200 {
		t.Fatalf("create: %d %s", resp.Status, resp.Body)
	}
	path := UnstablePrefix2026 + "/" + created["id"].(string)
	tok0 := created["sequence_token"].(string)
	h := sha256.New()
	h.Write([]byte("foo=bar"))
	h.Write([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x13, 0x88}) // 5000 ms
	if want := base64.RawURLEncoding.EncodeToString(h.Sum(nil)); tok0 != want {
		t.Fatalf("token %s, want base64url(SHA-256(data || ms)) = %s", tok0, want)
	}
	st, m := put(6000, path, tok0, "foo=baz")
	tok1, _ := m["sequence_token"].(string)
	if st != 200 || tok1 == tok0 {
		t.Fatalf("update: %d %v", st, m)
	}
	if st, m = put(7000, path, tok0, "foo=baz"); st != 200 || m["sequence_token"] != tok1 {
		t.Errorf("retry with the previous token and the current data: %d %v, want 200 %s", st, m, tok1)
	}
	if st, m = put(7000, path, tok0, "something=else"); st != 409 || m["errcode"] != "IO_ELEMENT_MSC4388_CONCURRENT_WRITE" {
		t.Errorf("previous token, other data: %d %v, want 409", st, m)
	}
	st, m = put(8000, path, tok1, "foo=qux")
	if st != 200 {
		t.Fatalf("second update: %d %v", st, m)
	}
	// Identical payloads written in the same millisecond share a token.
	tok2 := m["sequence_token"].(string)
	if st, m = put(8000, path, tok2, "foo=qux"); st != 200 || m["sequence_token"] != tok2 {
		t.Errorf("same data in the same ms: %d %v, want the same token %s", st, m, tok2)
	}
	if st, _ = put(9000, path, tok0, "foo=qux"); st != 409 {
		t.Errorf("a token two writes old with the current data: %d, want 409 (only the previous token is a retry)", st)
	}
}
