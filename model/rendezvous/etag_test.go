package rendezvous

import (
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

func TestETagUniquenessVsContentHash(t *testing.T) {
	for _, tc := range []struct {
		cfg       Config
		identical bool
	}{
		{PresetETag(), false},
		{PresetETagSynapse(), true},
	} {
		t.Run(tc.cfg.Name, func(t *testing.T) {
			c := newClient(t, tc.cfg)
			r := c.create("same")
			p := c.put(r.id, r.token, "same")
			if p.status != 202 {
				t.Fatalf("put: %d", p.status)
			}
			if (p.token == r.token) != tc.identical {
				t.Fatalf("ETag before %q after %q: identical=%v, want %v", r.token, p.token, p.token == r.token, tc.identical)
			}
			other := c.create("same")
			if tc.identical {
				sum := sha256.Sum256([]byte("same"))
				want := `"` + base64.RawURLEncoding.EncodeToString(sum[:]) + `"`
				if r.token != want || other.token != want {
					t.Fatalf("content-hash ETag %q / %q, want %q", r.token, other.token, want)
				}
			}
		})
	}
}

func TestETagFreshSessionEmptyBody(t *testing.T) {
	c := newClient(t, PresetETag())
	r := c.create("")
	g := c.get(r.id)
	if g.status != 200 || len(g.resp.Body) != 0 || g.resp.Header.Get("Content-Type") != "text/plain" || g.token != r.token {
		t.Fatalf("GET of a fresh empty session: %d %q %v", g.status, g.resp.Body, g.resp.Header)
	}
}

func TestETagConditionals(t *testing.T) {
	type want struct{ strictPut, rfcPut, strictGet, rfcGet int }
	// The session's current ETag is "2" (counter) after one write in the
	// text preset; the Synapse-like preset uses the same counter here so
	// that only the parsing rule differs.
	cases := []struct {
		name, value string
		want        want
	}{
		{"current", `"2"`, want{202, 202, 304, 304}},
		{"current with spaces", ` "2" `, want{202, 202, 304, 304}},
		{"stale", `"1"`, want{412, 412, 200, 200}},
		{"weak current", `W/"2"`, want{400, 412, 400, 304}},
		{"list with current", `"1", "2"`, want{400, 202, 400, 304}},
		{"wildcard", `*`, want{400, 202, 400, 304}},
		{"unquoted", `2`, want{400, 400, 400, 400}},
		{"empty", ``, want{400, 400, 400, 400}},
		{"space inside", `"a b"`, want{400, 400, 400, 400}},
		{"unterminated", `"2`, want{400, 400, 400, 400}},
		{"trailing garbage", `"2" x`, want{400, 400, 400, 400}},
	}
	for _, rule := range []ConditionalRule{ConditionalStrict, ConditionalRFC9110} {
		for _, tc := range cases {
			cfg := PresetETag()
			cfg.Conditionals = rule
			c := newClient(t, cfg)
			r := c.create("a")
			p := c.put(r.id, r.token, "b")
			if p.token != `"2"` {
				t.Fatalf("setup: ETag %q", p.token)
			}
			g := c.read(c.do(&Request{Method: "GET", Path: c.sessionPath(r.id), Header: hdr("If-None-Match", tc.value)}))
			put := c.putReq(r.id, "", "c")
			put.Header.Set("If-Match", tc.value)
			pr := c.read(c.do(put))
			wg, wp := tc.want.strictGet, tc.want.strictPut
			if rule == ConditionalRFC9110 {
				wg, wp = tc.want.rfcGet, tc.want.rfcPut
			}
			if g.status != wg || pr.status != wp {
				t.Errorf("rule %d %s (%q): GET %d PUT %d, want GET %d PUT %d", rule, tc.name, tc.value, g.status, pr.status, wg, wp)
			}
			if pr.status == 400 && pr.errcode != "M_INVALID_PARAM" {
				t.Errorf("%s: 400 with %s", tc.name, pr.errcode)
			}
		}
	}
	// Two If-Match lines are a list: malformed under the strict rule.
	c := newClient(t, PresetETag())
	r := c.create("a")
	put := c.putReq(r.id, r.token, "b")
	put.Header.Add("If-Match", r.token)
	if pr := c.read(c.do(put)); pr.status != 400 || pr.errcode != "M_INVALID_PARAM" {
		t.Fatalf("two If-Match lines: %d %s", pr.status, pr.errcode)
	}
	// A missing If-Match is a missing parameter.
	put = c.putReq(r.id, r.token, "b")
	put.Header.Set("If-Match", "x")
	put.Header = append(put.Header[:0:0], put.Header[:2]...)
	if pr := c.read(c.do(put)); pr.status != 400 || pr.errcode != "M_MISSING_PARAM" {
		t.Fatalf("no If-Match: %d %s", pr.status, pr.errcode)
	}
}

func TestETagRequestHeaders(t *testing.T) {
	cases := []struct {
		name    string
		cfg     func() Config
		headers Header
		body    string
		status  int
		errcode string
	}{
		{"ok", PresetETag, hdr("Content-Type", "text/plain", "Content-Length", "3"), "abc", 201, ""},
		{"no Content-Length", PresetETag, hdr("Content-Type", "text/plain"), "abc", 400, "M_MISSING_PARAM"},
		{"no Content-Length allowed", func() Config { c := PresetETag(); c.RequireContentLength = false; return c }, hdr("Content-Type", "text/plain"), "abc", 201, ""},
		{"bad Content-Length", PresetETag, hdr("Content-Type", "text/plain", "Content-Length", "3x"), "abc", 400, "M_INVALID_PARAM"},
		{"negative Content-Length", PresetETag, hdr("Content-Type", "text/plain", "Content-Length", "-3"), "abc", 400, "M_INVALID_PARAM"},
		{"Content-Length mismatch", PresetETag, hdr("Content-Type", "text/plain", "Content-Length", "2"), "abc", 400, "M_INVALID_PARAM"},
		{"declared too large", PresetETag, hdr("Content-Type", "text/plain", "Content-Length", "4097"), "abc", 413, "M_TOO_LARGE"},
		{"two Content-Lengths", PresetETag, hdr("Content-Type", "text/plain", "Content-Length", "3", "Content-Length", "3"), "abc", 400, "M_INVALID_PARAM"},
		{"no Content-Type", PresetETag, hdr("Content-Length", "3"), "abc", 400, "M_MISSING_PARAM"},
		{"two Content-Types", PresetETag, hdr("Content-Type", "text/plain", "Content-Type", "text/plain", "Content-Length", "3"), "abc", 400, "M_INVALID_PARAM"},
		{"upper case, exact", PresetETag, hdr("Content-Type", "TEXT/PLAIN", "Content-Length", "3"), "abc", 400, "M_INVALID_PARAM"},
		{"upper case, media type", PresetETagSynapse, hdr("Content-Type", "TEXT/PLAIN", "Content-Length", "3"), "abc", 201, ""},
		{"charset, exact", PresetETag, hdr("Content-Type", "text/plain; charset=utf-8", "Content-Length", "3"), "abc", 400, "M_INVALID_PARAM"},
		{"charset, media type", PresetETagSynapse, hdr("Content-Type", "text/plain; charset=utf-8", "Content-Length", "3"), "abc", 400, "M_INVALID_PARAM"},
		{"charset, lenient", func() Config { c := PresetETag(); c.ContentType = ContentTypeLenient; return c }, hdr("Content-Type", "text/plain; charset=utf-8", "Content-Length", "3"), "abc", 201, ""},
		{"json", PresetETag, hdr("Content-Type", "application/json", "Content-Length", "3"), "abc", 400, "M_INVALID_PARAM"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, tc.cfg())
			r := c.read(c.do(&Request{Method: "POST", Path: c.prefix, Header: tc.headers, Body: []byte(tc.body)}))
			if r.status != tc.status || r.errcode != tc.errcode {
				t.Fatalf("%d %s, want %d %s (%s)", r.status, r.errcode, tc.status, tc.errcode, r.resp.Body)
			}
		})
	}
	// A body over the limit without a Content-Length header.
	cfg := PresetETag()
	cfg.RequireContentLength = false
	c := newClient(t, cfg)
	r := c.read(c.do(&Request{Method: "POST", Path: c.prefix, Header: hdr("Content-Type", "text/plain"), Body: make([]byte, 4097)}))
	if r.status != 413 {
		t.Fatalf("4097-byte body: %d", r.status)
	}
}

func TestETagErrcodeForms(t *testing.T) {
	cases := []struct {
		form     ErrcodeForm
		prefix   string
		unstable bool
	}{
		{ErrcodesByPath, StablePrefix, false},
		{ErrcodesByPath, UnstablePrefix2024, true},
		{ErrcodesStable, UnstablePrefix2024, false},
		{ErrcodesUnstable, StablePrefix, true},
	}
	for _, tc := range cases {
		cfg := PresetETag()
		cfg.Errcodes = tc.form
		c := newClient(t, cfg)
		c.prefix = tc.prefix
		r := c.create("a")
		p := c.put(r.id, `"99"`, "b")
		unstable := strings.Contains(string(p.resp.Body), `"errcode":"M_UNKNOWN","org.matrix.msc4108.errcode":"M_CONCURRENT_WRITE"`)
		stable := strings.HasPrefix(string(p.resp.Body), `{"errcode":"M_CONCURRENT_WRITE"`)
		if p.status != 412 || unstable != tc.unstable || stable == tc.unstable {
			t.Errorf("form %d on %s: %d %s", tc.form, tc.prefix, p.status, p.resp.Body)
		}
	}
}

func TestETagDatesAndLifetime(t *testing.T) {
	c := newClient(t, PresetETag())
	r := c.create("a")
	wantExpires := time.UnixMilli(int64(t0 + Minute)).UTC().Format("Mon, 02 Jan 2006 15:04:05 GMT")
	if got := r.resp.Header.Get("Expires"); got != wantExpires || got != "Sat, 28 Nov 2026 00:01:00 GMT" {
		t.Fatalf("Expires %q, want %q", got, wantExpires)
	}
	if got := r.resp.Header.Get("Last-Modified"); got != "Sat, 28 Nov 2026 00:00:00 GMT" {
		t.Fatalf("Last-Modified %q", got)
	}
	c.advance(30*Second + 500)
	p := c.put(r.id, r.token, "b")
	if p.resp.Header.Get("Expires") != wantExpires {
		t.Fatalf("a write moved Expires to %q", p.resp.Header.Get("Expires"))
	}
	if got := p.resp.Header.Get("Last-Modified"); got != "Sat, 28 Nov 2026 00:00:30 GMT" {
		t.Fatalf("Last-Modified after the write %q", got)
	}
}

func TestETagDeleteExpired(t *testing.T) {
	for _, tc := range []struct {
		cfg    Config
		status int
	}{{PresetETag(), 404}, {PresetETagSynapse(), 204}} {
		c := newClient(t, tc.cfg)
		r := c.create("a")
		c.advance(tc.cfg.TTL)
		if d := c.del(r.id); d.status != tc.status {
			t.Errorf("%s: DELETE of an expired, unswept session: %d, want %d", tc.cfg.Name, d.status, tc.status)
		}
	}
}

func TestETagCORS(t *testing.T) {
	c := newClient(t, PresetETag())
	r := c.create("a")
	if r.resp.Header.Get("Access-Control-Expose-Headers") != "ETag" || r.resp.Header.Get("Access-Control-Allow-Headers") != corsHeaders {
		t.Fatalf("create CORS %v", r.resp.Header)
	}
	g := c.get(r.id)
	for k, v := range map[string]string{
		"Access-Control-Allow-Headers":  "If-Match,If-None-Match",
		"Access-Control-Allow-Methods":  "GET, PUT, DELETE",
		"Access-Control-Allow-Origin":   "*",
		"Access-Control-Expose-Headers": "ETag",
	} {
		if got := g.resp.Header.Get(k); got != v {
			t.Errorf("session %s = %q, want %q", k, got, v)
		}
	}
	o := c.do(&Request{Method: "OPTIONS", Path: c.sessionPath(r.id)})
	if o.Status != 204 || o.Header.Get("Access-Control-Allow-Headers") != "If-Match,If-None-Match" {
		t.Fatalf("preflight %d %v", o.Status, o.Header)
	}
	if got := CORSHeaders(PresetETag(), EndpointSession, true).Get("Access-Control-Allow-Methods"); got != "GET, PUT, DELETE" {
		t.Fatalf("CORSHeaders: %q", got)
	}

	c = newClient(t, PresetETagSynapse())
	r = c.create("a")
	if r.resp.Header.Get("Access-Control-Expose-Headers") != "etag" || r.resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("Synapse-like create CORS %v", r.resp.Header)
	}
	d := c.del(r.id)
	if d.resp.Header.Get("Access-Control-Allow-Origin") != "*" || d.resp.Header.Get("Access-Control-Expose-Headers") != "" {
		t.Fatalf("Synapse-like delete CORS %v", d.resp.Header)
	}
}

func TestETagRouting(t *testing.T) {
	cfg := PresetETagSynapse()
	c := newClient(t, cfg)
	r := c.create("a")
	if !strings.Contains(string(r.resp.Body), `"url":"https://matrix.example.org/_synapse/client/rendezvous/`+r.id+`"`) {
		t.Fatalf("url %s", r.resp.Body)
	}
	cases := []struct {
		method, path string
		status       int
		errcode      string
	}{
		{"GET", c.sessionPath(r.id) + "?x=1", 200, ""},
		{"PATCH", c.sessionPath(r.id), 405, "M_UNRECOGNIZED"},
		{"GET", c.prefix, 405, "M_UNRECOGNIZED"},
		{"GET", c.sessionPath(r.id) + "/", 404, "M_UNRECOGNIZED"},
		{"GET", SynapseSessionPrefix + "/", 404, "M_UNRECOGNIZED"},
		{"GET", c.prefix + "/" + r.id, 404, "M_UNRECOGNIZED"}, // sessions live elsewhere
		{"POST", StablePrefix, 404, "M_UNRECOGNIZED"},         // only the unstable path is served
		{"GET", c.sessionPath("nope"), 404, "M_NOT_FOUND"},
		{"DELETE", c.sessionPath("nope"), 404, "M_NOT_FOUND"},
		{"", "", 404, "M_UNRECOGNIZED"},
	}
	for _, tc := range cases {
		got := c.read(c.do(&Request{Method: tc.method, Path: tc.path}))
		if got.status != tc.status || got.errcode != tc.errcode {
			t.Errorf("%s %q: %d %s, want %d %s", tc.method, tc.path, got.status, got.errcode, tc.status, tc.errcode)
		}
	}
	// A base URL with a trailing slash does not double it.
	cfg.BaseURL = "https://hs.example/"
	c = newClient(t, cfg)
	if r := c.create("a"); !strings.Contains(string(r.resp.Body), `"https://hs.example/_synapse/`) {
		t.Fatalf("url %s", r.resp.Body)
	}
}

func TestETag304Shape(t *testing.T) {
	c := newClient(t, PresetETag())
	r := c.create("hello")
	nm := c.getIfChanged(r.id, r.token)
	if nm.status != 304 || len(nm.resp.Body) != 0 || nm.resp.Header.Get("Content-Type") != "" || nm.resp.Header.Get("ETag") != r.token {
		t.Fatalf("304: %d %q %v", nm.status, nm.resp.Body, nm.resp.Header)
	}
}

func TestRateLimit(t *testing.T) {
	for _, tc := range []struct {
		cfg     Config
		errcode string
	}{{PresetETag(), "M_UNKNOWN"}, {PresetSequenceToken(), "M_LIMIT_EXCEEDED"}} {
		cfg := tc.cfg
		cfg.RateLimit = RateLimit{Requests: 2, Window: Second}
		c := newClient(t, cfg)
		c.now = t0 + 250
		for i := 0; i < 2; i++ {
			if r := c.read(c.do(&Request{Method: "GET", Path: c.sessionPath("x"), Client: "a"})); r.status != 404 {
				t.Fatalf("request %d: %d", i, r.status)
			}
		}
		r := c.read(c.do(&Request{Method: "GET", Path: c.sessionPath("x"), Client: "a"}))
		if r.status != 429 || r.errcode != tc.errcode || !strings.Contains(string(r.resp.Body), `"retry_after_ms":750`) {
			t.Fatalf("%s: third request %d %s", cfg.Name, r.status, r.resp.Body)
		}
		if r := c.read(c.do(&Request{Method: "GET", Path: c.sessionPath("x"), Client: "b"})); r.status != 404 {
			t.Fatalf("another client was limited: %d", r.status)
		}
		c.advance(750)
		if r := c.read(c.do(&Request{Method: "GET", Path: c.sessionPath("x"), Client: "a"})); r.status != 404 {
			t.Fatalf("next window: %d", r.status)
		}
		c.s.Sweep(c.now + 5*Second)
		if len(c.s.limiter) != 0 {
			t.Fatalf("sweep kept %d stale rate windows", len(c.s.limiter))
		}
	}
}
