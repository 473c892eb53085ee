package rendezvous

import (
	"strings"
	"testing"
)

// The behaviours Synapse's own test suite checks (for the 2024
// ETag API and for the 2025 JSON API), replayed against every preset with
// the clock advanced by hand.

func forEachPreset(t *testing.T, fn func(t *testing.T, cfg Config)) {
	for _, name := range PresetNames() {
		cfg, err := Preset(name)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(name, func(t *testing.T) { fn(t, cfg) })
	}
}

func TestSuiteDisabled(t *testing.T) {
	forEachPreset(t, func(t *testing.T, cfg Config) {
		cfg.Access = AccessOff
		c := newClient(t, cfg)
		r := c.create("foo=bar")
		if r.status != 404 || r.errcode != "M_UNRECOGNIZED" {
			t.Fatalf("create on a disabled API: %d %s, want 404 M_UNRECOGNIZED", r.status, r.errcode)
		}
		cfg.Off = OffForbidden
		c = newClient(t, cfg)
		if r := c.create("foo=bar"); r.status != 403 || r.errcode != "M_FORBIDDEN" {
			t.Fatalf("create with Off=OffForbidden: %d %s", r.status, r.errcode)
		}
	})
}

func TestSuiteFlow(t *testing.T) {
	forEachPreset(t, func(t *testing.T, cfg Config) {
		c := newClient(t, cfg)
		r := c.create("foo=bar")
		if r.status != c.okCreate() {
			t.Fatalf("create: %d %s", r.status, r.resp.Body)
		}
		id, tok, expires := r.id, r.token, r.expires
		if id == "" || tok == "" {
			t.Fatalf("create gave id %q token %q", id, tok)
		}
		switch cfg.Flavour {
		case FlavourETag:
			u := string(r.resp.Body)
			if !strings.Contains(u, `"url":"https://`) || !strings.Contains(u, c.s.sessionPrefix+"/") {
				t.Fatalf("create body %s: want an absolute https URL under %s", u, c.s.sessionPrefix)
			}
			want := map[string]string{"Content-Type": "application/json", "Pragma": "no-cache", "Cache-Control": cfg.CacheControl}
			for k, v := range want {
				if got := r.resp.Header.Get(k); got != v {
					t.Errorf("create %s = %q, want %q", k, got, v)
				}
			}
			for _, k := range []string{"ETag", "Expires", "Last-Modified", "Content-Length", "Access-Control-Allow-Origin", "Access-Control-Expose-Headers"} {
				if r.resp.Header.Get(k) == "" {
					t.Errorf("create lacks %s", k)
				}
			}
		case FlavourSequenceToken2025:
			if expires <= int64(c.now) {
				t.Fatalf("expires_ts %d not after now %d", expires, c.now)
			}
		case FlavourSequenceToken:
			if expires != int64(cfg.TTL) {
				t.Fatalf("expires_in_ms %d, want %d", expires, cfg.TTL)
			}
		}

		g := c.get(id)
		if g.status != 200 || g.data != "foo=bar" || g.token != tok {
			t.Fatalf("get: %d %q %q, want 200 foo=bar %q", g.status, g.data, g.token, tok)
		}
		if cfg.Flavour == FlavourETag {
			if g.resp.Header.Get("Content-Length") != "7" || g.resp.Header.Get("Content-Type") != "text/plain" {
				t.Fatalf("get headers %v", g.resp.Header)
			}
			if nm := c.getIfChanged(id, tok); nm.status != 304 {
				t.Fatalf("conditional get with the current ETag: %d, want 304", nm.status)
			}
		} else if g.expires != expires {
			t.Fatalf("get expiry %d, want %d", g.expires, expires)
		}

		p := c.put(id, tok, "foo=baz")
		if p.status != c.okPut() || p.token == "" || p.token == tok {
			t.Fatalf("put: %d token %q (old %q)", p.status, p.token, tok)
		}
		stale := c.put(id, tok, "bar=baz")
		if stale.status != c.conflictStatus() {
			t.Fatalf("stale put: %d, want %d", stale.status, c.conflictStatus())
		}
		wantCode := cfg.ConcurrentWriteErrcode
		if cfg.Flavour.isJSON() && c.s.useUnstable(true) && cfg.UnstableConcurrentWriteErrcode != "" {
			wantCode = cfg.UnstableConcurrentWriteErrcode
		}
		if stale.errcode != wantCode {
			t.Fatalf("stale put errcode %q, want %q", stale.errcode, wantCode)
		}
		if cfg.Flavour == FlavourETag {
			// The unstable path sends the new code inside M_UNKNOWN.
			if !strings.Contains(string(stale.resp.Body), `"errcode":"M_UNKNOWN","org.matrix.msc4108.errcode":"M_CONCURRENT_WRITE"`) {
				t.Fatalf("412 body %s", stale.resp.Body)
			}
			if stale.resp.Header.Get("ETag") != p.token {
				t.Fatalf("412 carries ETag %q, want the current %q", stale.resp.Header.Get("ETag"), p.token)
			}
			g = c.getIfChanged(id, tok)
			if g.status != 200 || g.token != p.token || g.data != "foo=baz" {
				t.Fatalf("conditional get with the old ETag: %d %q %q", g.status, g.token, g.data)
			}
		}
		g = c.get(id)
		if g.status != 200 || g.data != "foo=baz" || g.token != p.token {
			t.Fatalf("get after put: %d %q %q", g.status, g.data, g.token)
		}
		if cfg.Flavour == FlavourSequenceToken2025 && g.expires != expires {
			t.Fatalf("a write changed expires_ts: %d, was %d", g.expires, expires)
		}
		if d := c.del(id); d.status != c.okDelete() {
			t.Fatalf("delete: %d", d.status)
		}
		if g := c.get(id); g.status != 404 || g.errcode != "M_NOT_FOUND" {
			t.Fatalf("get after delete: %d %s", g.status, g.errcode)
		}
		if d := c.del(id); d.status != 404 || d.errcode != "M_NOT_FOUND" {
			t.Fatalf("second delete: %d %s", d.status, d.errcode)
		}
		if p := c.put(id, p.token, "x"); p.status != 404 {
			t.Fatalf("put after delete: %d", p.status)
		}
		want := []string{"created", "read", "written", "conflict", "read", "deleted"}
		if cfg.Flavour == FlavourETag {
			want = []string{"created", "read", "not-modified", "written", "conflict", "read", "read", "deleted"}
		}
		if got := strings.Join(effectKinds(c.fx), " "); got != strings.Join(want, " ") {
			t.Fatalf("effects %s, want %s", got, strings.Join(want, " "))
		}
	})
}

func TestSuiteAuthenticated(t *testing.T) {
	forEachPreset(t, func(t *testing.T, cfg Config) {
		cfg.Access = AccessAuthenticated
		c := newClient(t, cfg)
		r := c.read(c.do(c.createReq("foo=bar", AuthNone)))
		wantStatus, wantCode := 401, "M_MISSING_TOKEN"
		if cfg.UnauthCreate == RefuseForbidden {
			wantStatus, wantCode = 403, "M_FORBIDDEN"
		}
		if r.status != wantStatus || r.errcode != wantCode {
			t.Fatalf("unauthenticated create: %d %s, want %d %s", r.status, r.errcode, wantStatus, wantCode)
		}
		if r := c.read(c.do(c.createReq("foo=bar", AuthInvalid))); r.status != 401 || r.errcode != "M_UNKNOWN_TOKEN" {
			t.Fatalf("create with a bad token: %d %s", r.status, r.errcode)
		}
		r = c.read(c.do(c.createReq("foo=bar", AuthValid)))
		if r.status != c.okCreate() {
			t.Fatalf("authenticated create: %d %s", r.status, r.resp.Body)
		}
		// Everything else works without a token.
		g := c.get(r.id)
		if g.status != 200 || g.data != "foo=bar" {
			t.Fatalf("get: %d", g.status)
		}
		p := c.put(r.id, r.token, "foo=baz")
		if p.status != c.okPut() {
			t.Fatalf("put: %d", p.status)
		}
		if g := c.get(r.id); g.data != "foo=baz" || g.token != p.token {
			t.Fatalf("get after put: %q %q", g.data, g.token)
		}
		if d := c.del(r.id); d.status != c.okDelete() {
			t.Fatalf("delete: %d", d.status)
		}
		if g := c.get(r.id); g.status != 404 || g.errcode != "M_NOT_FOUND" {
			t.Fatalf("get after delete: %d %s", g.status, g.errcode)
		}
	})
}

func TestSuiteExpiration(t *testing.T) {
	forEachPreset(t, func(t *testing.T, cfg Config) {
		c := newClient(t, cfg)
		r := c.create("foo=bar")
		if g := c.get(r.id); g.status != 200 || g.data != "foo=bar" {
			t.Fatalf("get: %d %q", g.status, g.data)
		}
		// A write does not extend the lifetime.
		c.advance(cfg.TTL - 1)
		if p := c.put(r.id, r.token, "later"); p.status != c.okPut() {
			t.Fatalf("put just before expiry: %d", p.status)
		}
		c.advance(1)
		if g := c.get(r.id); g.status != 404 || g.errcode != "M_NOT_FOUND" {
			t.Fatalf("get at the TTL: %d %s, want 404 M_NOT_FOUND", g.status, g.errcode)
		}
		if p := c.put(r.id, r.token, "x"); p.status != 404 {
			t.Fatalf("put after expiry: %d", p.status)
		}
		// The session lingers (and counts) until a sweep removes it.
		if c.s.Len() != 1 {
			t.Fatalf("Len %d before the sweep", c.s.Len())
		}
		fx := c.s.Sweep(c.now)
		if len(fx) != 1 || fx[0].Kind != EffectExpired || fx[0].ID != r.id {
			t.Fatalf("sweep effects %v", fx)
		}
		if c.s.Len() != 0 {
			t.Fatalf("Len %d after the sweep", c.s.Len())
		}
	})
}

func TestSuiteCapacity(t *testing.T) {
	forEachPreset(t, func(t *testing.T, cfg Config) {
		c := newClient(t, cfg)
		first := c.create("foo=bar")
		if g := c.get(first.id); g.status != 200 {
			t.Fatalf("get: %d", g.status)
		}
		c.advance(Second)
		for i := 0; i < 100; i++ {
			if r := c.create("foo=bar"); r.status != c.okCreate() {
				t.Fatalf("create %d: %d", i, r.status)
			}
		}
		if g := c.get(first.id); g.status != 200 {
			t.Fatalf("get before the sweep: %d (the soft cap acts only on a sweep)", g.status)
		}
		c.advance(59 * Second) // the periodic sweep is due at start + 60 s
		fx := c.s.Tick(c.now)
		// With the 2024 lifetime of 60 s the first session has just expired;
		// with longer ones the soft cap evicts it.
		want := EffectEvictedSoftCap
		if cfg.TTL <= 60*Second {
			want = EffectExpired
		}
		if len(fx) != 1 || fx[0].Kind != want || fx[0].ID != first.id {
			t.Fatalf("tick effects %v, want the first session %s", fx, want)
		}
		if g := c.get(first.id); g.status != 404 {
			t.Fatalf("get after the sweep: %d", g.status)
		}
		if c.s.Len() != cfg.SoftCap {
			t.Fatalf("Len %d, want %d", c.s.Len(), cfg.SoftCap)
		}
		if fx := c.s.Tick(c.now + 1); fx != nil {
			t.Fatalf("a second tick in the same interval swept: %v", fx)
		}
	})
}

func TestSuiteHardCapacity(t *testing.T) {
	forEachPreset(t, func(t *testing.T, cfg Config) {
		c := newClient(t, cfg)
		first := c.create("foo=bar")
		c.advance(Second)
		if g := c.get(first.id); g.status != 200 {
			t.Fatalf("get: %d", g.status)
		}
		for i := 0; i < 200; i++ {
			if r := c.create("foo=bar"); r.status != c.okCreate() {
				t.Fatalf("create %d: %d", i, r.status)
			}
		}
		if g := c.get(first.id); g.status != 404 {
			t.Fatalf("get after 200 more creates: %d, want 404 (hard cap)", g.status)
		}
		// The 200th extra create finds 200 sessions and trims to the soft cap
		// at once: 100 kept plus the new one.
		if c.s.Len() != 101 {
			t.Fatalf("Len %d", c.s.Len())
		}
		hard := 0
		for _, e := range c.fx {
			if e.Kind == EffectEvictedHardCap {
				hard++
			}
		}
		if hard != 100 {
			t.Fatalf("%d hard-cap evictions, want 100", hard)
		}
	})
}

func TestSuiteDataType(t *testing.T) {
	forEachPreset(t, func(t *testing.T, cfg Config) {
		if !cfg.Flavour.isJSON() {
			t.Skip("JSON flavours only")
		}
		c := newClient(t, cfg)
		bad := []string{`123214`, `["asd"]`, `{"asd":"asdsad"}`, `null`, `true`, `1.5e3`}
		for _, v := range bad {
			r := c.read(c.do(&Request{Method: "POST", Path: c.prefix, Body: []byte(`{"data":` + v + `}`)}))
			if r.status != 400 || r.errcode != "M_INVALID_PARAM" {
				t.Fatalf("create with data %s: %d %s", v, r.status, r.errcode)
			}
		}
		for _, body := range []string{`{}`, `{"dat":"x"}`, `[]`, `"data"`, ``, `{"data":"x"`, `{"data":"x"} x`} {
			r := c.read(c.do(&Request{Method: "POST", Path: c.prefix, Body: []byte(body)}))
			if r.status != 400 || r.errcode != "M_INVALID_PARAM" {
				t.Fatalf("create with body %q: %d %s", body, r.status, r.errcode)
			}
		}
		ok := c.create("test")
		for _, v := range bad {
			req := c.putReq(ok.id, ok.token, "")
			req.Body = []byte(`{"sequence_token":"` + ok.token + `","data":` + v + `}`)
			if cfg.QuoteSequenceToken {
				req.Body = []byte(`{"sequence_token":"\"` + strings.Trim(ok.token, `"`) + `\"","data":` + v + `}`)
			}
			r := c.read(c.do(req))
			if r.status != 400 || r.errcode != "M_INVALID_PARAM" {
				t.Fatalf("put with data %s: %d %s", v, r.status, r.errcode)
			}
		}
		req := c.putReq(ok.id, ok.token, "")
		req.Body = []byte(`{"sequence_token":7,"data":"x"}`)
		if r := c.read(c.do(req)); r.status != 400 || r.errcode != "M_INVALID_PARAM" {
			t.Fatalf("put with a numeric token: %d %s", r.status, r.errcode)
		}
		if g := c.get(ok.id); g.data != "test" || g.token != ok.token {
			t.Fatalf("refused puts changed the session: %q %q", g.data, g.token)
		}
	})
}

func TestSuiteMaxLength(t *testing.T) {
	forEachPreset(t, func(t *testing.T, cfg Config) {
		c := newClient(t, cfg)
		long := strings.Repeat("a", 5000)
		if r := c.create(long); r.status != 413 || r.errcode != "M_TOO_LARGE" {
			t.Fatalf("create with 5000 bytes: %d %s", r.status, r.errcode)
		}
		exact := strings.Repeat("a", cfg.MaxDataBytes)
		if r := c.create(exact); r.status != c.okCreate() {
			t.Fatalf("create with exactly the limit: %d", r.status)
		}
		ok := c.create("test")
		if r := c.put(ok.id, ok.token, long); r.status != 413 || r.errcode != "M_TOO_LARGE" {
			t.Fatalf("put with 5000 bytes: %d %s", r.status, r.errcode)
		}
		if cfg.Flavour.isJSON() {
			// The limit is in bytes of the decoded string: 2048 two-byte
			// characters fit, one more does not.
			if r := c.create(strings.Repeat("é", cfg.MaxDataBytes/2)); r.status != 200 {
				t.Fatalf("create with 4096 bytes of é: %d", r.status)
			}
			if r := c.create(strings.Repeat("é", cfg.MaxDataBytes/2) + "a"); r.status != 413 {
				t.Fatalf("create with 4097 bytes: %d", r.status)
			}
		}
	})
}

func TestSuiteContentType(t *testing.T) {
	forEachPreset(t, func(t *testing.T, cfg Config) {
		if cfg.Flavour != FlavourETag {
			t.Skip("etag flavour only")
		}
		c := newClient(t, cfg)
		form := &Request{Method: "POST", Path: c.prefix, Body: []byte("foo=bar"),
			Header: hdr("Content-Type", "application/x-www-form-urlencoded", "Content-Length", "7")}
		if r := c.read(c.do(form)); r.status != 400 || r.errcode != "M_INVALID_PARAM" {
			t.Fatalf("form create: %d %s", r.status, r.errcode)
		}
		ok := c.create("foo=bar")
		put := c.putReq(ok.id, ok.token, "foo=baz")
		put.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if r := c.read(c.do(put)); r.status != 400 || r.errcode != "M_INVALID_PARAM" {
			t.Fatalf("form put: %d %s", r.status, r.errcode)
		}
	})
}

func TestSuiteDelegation(t *testing.T) {
	for _, cfg := range []Config{PresetETag(), PresetETagSynapse()} {
		cfg.DelegateTo = "https://asd"
		c := newClient(t, cfg)
		r := c.do(&Request{Method: "POST", Path: c.prefix})
		if r.Status != 307 || r.Header.Get("Location") != "https://asd" {
			t.Fatalf("%s: delegation answered %d %v", cfg.Name, r.Status, r.Header)
		}
		if c.s.Len() != 0 {
			t.Fatalf("delegation created a session")
		}
	}
}
