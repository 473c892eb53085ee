package live

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"qrlab/model/rendezvous"
	"qrlab/model/variant"
)

// startServer serves opts on a random loopback port until the test ends and
// returns the server.
func startServer(t *testing.T, name string, edit func(*Options)) *Server {
	t.Helper()
	opts := Options{Variant: variant.MustLoad(name), SoftCap: -1, HardCap: -1}
	if edit != nil {
		edit(&opts)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv, _, err := New(opts, "http://"+ln.Addr().String())
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 5 * time.Second}
	go hs.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(ctx)
		srv.Close()
	})
	return srv
}

// response is what a test request got.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", r.body, err)
	}
	return m
}

func (r response) errcode(t *testing.T) string {
	t.Helper()
	code, _ := r.json(t)["errcode"].(string)
	return code
}

func send(t *testing.T, method, url string, body []byte, header ...string) response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	c := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, b}
}

func want(t *testing.T, what string, r response, status int, errcode string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status %d, want %d (body %s)", what, r.status, status, r.body)
	}
	if errcode != "" {
		if got := r.errcode(t); got != errcode {
			t.Fatalf("%s: errcode %q, want %q (body %s)", what, got, errcode, r.body)
		}
	}
}

// jsonCreate creates a session of a JSON flavour and returns its URL and
// token.
func jsonCreate(t *testing.T, prefix, data string, header ...string) (string, string) {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"data": data})
	r := send(t, "POST", prefix, b, append([]string{"Content-Type", "application/json"}, header...)...)
	want(t, "create", r, 200, "")
	m := r.json(t)
	return prefix + "/" + m["id"].(string), m["sequence_token"].(string)
}

func etagCreate(t *testing.T, prefix, data string) (string, string) {
	t.Helper()
	r := send(t, "POST", prefix, []byte(data), "Content-Type", "text/plain")
	want(t, "create", r, 201, "")
	return r.json(t)["url"].(string), r.header.Get("ETag")
}

// TestProbeAgainstServe runs the probe against the server for every
// flavour. The presets that follow the texts pass every check; the ones
// that ship Synapse's behaviour fail exactly the checks where Synapse
// departs from the texts (the project's notes, section 2).
func TestProbeAgainstServe(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		variant  string
		failures []string
	}{
		{"msc4108-2024-spec", nil},
		{"msc4108-2024", []string{"etag.put.list", "etag.put.weak", "etag.unique"}},
		{"msc4108-2025", []string{"json.token-unique"}},
		{"msc4388", nil},
		{"msc4388-txn", nil},
	} {
		t.Run(tc.variant, func(t *testing.T) {
			t.Parallel()
			srv := startServer(t, tc.variant, func(o *Options) { o.HardCap = 6; o.SoftCap = 4 })
			checks, err := Probe(context.Background(), ProbeOptions{BaseURL: srv.BaseURL(), HardCap: 6, Devices: true})
			if err != nil {
				t.Fatal(err)
			}
			wantProbeFailures(t, checks, tc.failures)
			pass, _, _ := Summary(checks)
			if pass < 15 {
				t.Errorf("only %d checks passed", pass)
			}
		})
	}
}

// TestProbeExpiry: with a short TTL the probe's expiry check runs and
// passes, and a server whose sessions outlive --wait-expiry is skipped.
func TestProbeExpiry(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"msc4108-2024-spec", "msc4108-2025", "msc4388"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := startServer(t, name, func(o *Options) { o.TTL = 700 * time.Millisecond })
			checks, err := Probe(context.Background(), ProbeOptions{BaseURL: srv.BaseURL(), WaitExpiry: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, c := range checks {
				if c.ID == "expiry" {
					found = true
					if c.Result != Pass {
						t.Errorf("expiry: %s: %s %s", c.Result, c.Observed, c.Detail)
					}
				}
			}
			if !found {
				t.Error("no expiry check ran")
			}
		})
	}
}

// TestServeExpiry: a session is gone once its TTL passed, in every flavour,
// and writes do not extend it. The server runs on a clock the test moves,
// so the edge is checked to the millisecond and nothing waits on the wall
// clock.
func TestServeExpiry(t *testing.T) {
	t.Parallel()
	const ttl = time.Second
	for _, name := range []string{"msc4108-2024", "msc4108-2025", "msc4388"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			clock := newSuiteClock(suiteStart)
			srv := startServer(t, name, func(o *Options) { o.TTL, o.Now = ttl, clock.now })
			prefix := srv.BaseURL() + srv.RendezvousConfig().Prefixes[1]
			var sess string
			var put response
			if name == "msc4108-2024" {
				var etag string
				sess, etag = etagCreate(t, prefix, "x")
				clock.advance(ttl / 4)
				put = send(t, "PUT", sess, []byte("y"), "Content-Type", "text/plain", "If-Match", etag)
			} else {
				var tok string
				sess, tok = jsonCreate(t, prefix, "x")
				clock.advance(ttl / 4)
				b, _ := json.Marshal(map[string]string{"sequence_token": tok, "data": "y"})
				put = send(t, "PUT", sess, b, "Content-Type", "application/json")
			}
			if put.status/100 != 2 {
				t.Fatalf("PUT before expiry: %d %s", put.status, put.body)
			}
			clock.advance(ttl*3/4 - time.Millisecond)
			want(t, "GET a millisecond before expiry", send(t, "GET", sess, nil), 200, "")
			clock.advance(time.Millisecond)
			want(t, "GET at expiry", send(t, "GET", sess, nil), 404, "M_NOT_FOUND")
		})
	}
}

// TestServeCaps: the periodic sweep trims to the soft cap (oldest first);
// a create at the hard cap evicts at once.
func TestServeCaps(t *testing.T) {
	t.Parallel()
	t.Run("soft", func(t *testing.T) {
		t.Parallel()
		// The server's clock is the test's, so no sweep is due before the
		// test moves it past the interval; the sweeper's wall-clock ticker
		// (every 100 ms) then runs it.
		clock := newSuiteClock(suiteStart)
		srv := startServer(t, "msc4388", func(o *Options) {
			o.SoftCap, o.HardCap, o.SweepInterval, o.Now = 2, 0, 100*time.Millisecond, clock.now
		})
		prefix := srv.BaseURL() + srv.RendezvousConfig().Prefixes[0]
		var sess []string
		for i := 0; i < 4; i++ {
			u, _ := jsonCreate(t, prefix, "s")
			sess = append(sess, u)
		}
		want(t, "oldest before the sweep", send(t, "GET", sess[0], nil), 200, "")
		clock.advance(100 * time.Millisecond)
		// Only waits for the ticker: generous, as a loaded machine may
		// run it late.
		deadline := time.Now().Add(30 * time.Second)
		for send(t, "GET", sess[1], nil).status != 404 {
			if time.Now().After(deadline) {
				t.Fatal("no sweep trimmed the store to the soft cap within 30 s of one falling due")
			}
			time.Sleep(20 * time.Millisecond)
		}
		want(t, "oldest after the sweep", send(t, "GET", sess[0], nil), 404, "M_NOT_FOUND")
		want(t, "third after the sweep", send(t, "GET", sess[2], nil), 200, "")
		want(t, "newest after the sweep", send(t, "GET", sess[3], nil), 200, "")
	})
	t.Run("hard", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, "msc4108-2025", func(o *Options) { o.SoftCap, o.HardCap = 2, 3 })
		prefix := srv.BaseURL() + srv.RendezvousConfig().Prefixes[1]
		var sess []string
		for i := 0; i < 3; i++ {
			u, _ := jsonCreate(t, prefix, "h")
			sess = append(sess, u)
		}
		for _, u := range sess {
			want(t, "below the hard cap", send(t, "GET", u, nil), 200, "")
		}
		// Synapse's rule: a create that finds the hard cap reached first
		// trims the store to the soft cap (3 -> 2), then creates.
		last, _ := jsonCreate(t, prefix, "over")
		want(t, "oldest after the hard cap", send(t, "GET", sess[0], nil), 404, "M_NOT_FOUND")
		want(t, "second after the hard cap", send(t, "GET", sess[1], nil), 200, "")
		want(t, "third after the hard cap", send(t, "GET", sess[2], nil), 200, "")
		want(t, "the new one", send(t, "GET", last, nil), 200, "")
		// And again: 3 -> 2 (the second goes), then the create.
		jsonCreate(t, prefix, "over again")
		want(t, "second after the next create", send(t, "GET", sess[1], nil), 404, "M_NOT_FOUND")
		want(t, "third after the next create", send(t, "GET", sess[2], nil), 200, "")
	})
}

// TestServeAuthModes: off, public and authenticated creation, with the
// documented test user's token.
func TestServeAuthModes(t *testing.T) {
	t.Parallel()
	bearer := "Bearer " + TestAccessToken
	t.Run("off", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, "msc4388", func(o *Options) { o.Auth = AuthOff })
		r := send(t, "GET", srv.BaseURL()+"/_matrix/client/versions", nil)
		if uf := r.json(t)["unstable_features"].(map[string]any); uf["io.element.msc4388"] != false {
			t.Errorf("API off: /versions flags %v, want io.element.msc4388 false", uf)
		}
		for _, p := range srv.RendezvousConfig().Prefixes {
			want(t, "create with the API off", send(t, "POST", srv.BaseURL()+p, []byte(`{"data":""}`),
				"Content-Type", "application/json", "Authorization", bearer), 404, "M_UNRECOGNIZED")
		}
	})
	t.Run("public", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, "msc4108-2025", nil)
		jsonCreate(t, srv.BaseURL()+srv.RendezvousConfig().Prefixes[1], "p")
	})
	for _, tc := range []struct {
		variant, missingCode string
		missingStatus        int
	}{
		{"msc4108-2025", "M_MISSING_TOKEN", 401}, // Synapse
		{"msc4388", "M_FORBIDDEN", 403},          // the 2026 text
	} {
		t.Run("authenticated/"+tc.variant, func(t *testing.T) {
			t.Parallel()
			srv := startServer(t, tc.variant, func(o *Options) { o.Auth = AuthAuthenticated })
			prefix := srv.BaseURL() + srv.RendezvousConfig().Prefixes[1]
			body := []byte(`{"data":"a"}`)
			want(t, "create without a token", send(t, "POST", prefix, body, "Content-Type", "application/json"),
				tc.missingStatus, tc.missingCode)
			want(t, "create with an unknown token", send(t, "POST", prefix, body, "Content-Type", "application/json",
				"Authorization", "Bearer nope"), 401, "M_UNKNOWN_TOKEN")
			sess, tok := jsonCreate(t, prefix, "a", "Authorization", bearer)
			// Only creating needs the token.
			want(t, "GET without a token", send(t, "GET", sess, nil), 200, "")
			b, _ := json.Marshal(map[string]string{"sequence_token": tok, "data": "b"})
			want(t, "PUT without a token", send(t, "PUT", sess, b, "Content-Type", "application/json"), 200, "")
			want(t, "DELETE without a token", send(t, "DELETE", sess, nil), 200, "")
			// The test user is a real account of the homeserver model.
			r := send(t, "GET", srv.BaseURL()+"/_matrix/client/v3/account/whoami", nil, "Authorization", bearer)
			want(t, "whoami", r, 200, "")
			if m := r.json(t); m["user_id"] != "@tester:lab.example" || m["device_id"] != TestDeviceID {
				t.Errorf("whoami: %s", r.body)
			}
		})
	}
}

// TestServeErrors: stale writes, data types, sizes, the edge's body limit
// and unknown sessions, in the JSON flavours (the ETag ones are the probe's).
func TestServeErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		variant, conflict string
	}{
		{"msc4108-2025", "IO_ELEMENT_MSC4108_CONCURRENT_WRITE"},
		{"msc4388", "IO_ELEMENT_MSC4388_CONCURRENT_WRITE"},
	} {
		t.Run(tc.variant, func(t *testing.T) {
			t.Parallel()
			srv := startServer(t, tc.variant, nil)
			prefix := srv.BaseURL() + srv.RendezvousConfig().Prefixes[1]
			sess, tok := jsonCreate(t, prefix, "one")
			js := []string{"Content-Type", "application/json"}
			put := func(tok string, data string) response {
				return send(t, "PUT", sess, []byte(`{"sequence_token":`+jsonStr(tok)+`,"data":`+data+`}`), js...)
			}
			r := put(tok, `"two"`)
			want(t, "PUT", r, 200, "")
			want(t, "stale PUT", put(tok, `"three"`), 409, tc.conflict)
			for _, bad := range []string{`1`, `["x"]`, `{"x":"y"}`, `null`, `true`} {
				want(t, "PUT data "+bad, put(r.json(t)["sequence_token"].(string), bad), 400, "M_INVALID_PARAM")
				want(t, "create data "+bad, send(t, "POST", prefix, []byte(`{"data":`+bad+`}`), js...), 400, "M_INVALID_PARAM")
			}
			want(t, "create, not JSON", send(t, "POST", prefix, []byte(`{"data":`), js...), 400, "M_INVALID_PARAM")
			want(t, "create of 4097 bytes", send(t, "POST", prefix, []byte(`{"data":"`+strings.Repeat("a", 4097)+`"}`), js...), 413, "M_TOO_LARGE")
			want(t, "a body over the edge's limit", send(t, "POST", prefix, bytes.Repeat([]byte(" "), DefaultMaxBodyBytes+1), js...), 413, "M_TOO_LARGE")
			want(t, "unknown session", send(t, "GET", prefix+"/nope", nil), 404, "M_NOT_FOUND")
			want(t, "DELETE", send(t, "DELETE", sess, nil), 200, "")
			want(t, "GET after DELETE", send(t, "GET", sess, nil), 404, "M_NOT_FOUND")
		})
	}
}

func jsonStr(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestServeETagWire pins what the js-sdk needs of the 2024 API on both
// paths: exact text/plain, ETag on every 200, an empty 200 for a fresh
// session; and the 2024 text's CORS lines.
func TestServeETagWire(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "msc4108-2024", nil)
	for _, p := range srv.RendezvousConfig().Prefixes {
		sess, etag := etagCreate(t, srv.BaseURL()+p, "")
		r := send(t, "GET", sess, nil)
		want(t, "GET of a fresh session", r, 200, "")
		if r.header.Get("Content-Type") != "text/plain" || len(r.body) != 0 || r.header.Get("ETag") != etag {
			t.Errorf("fresh session on %s: Content-Type %q, body %q, ETag %q (create gave %q)", p,
				r.header.Get("Content-Type"), r.body, r.header.Get("ETag"), etag)
		}
		if !strings.Contains(strings.ToLower(r.header.Get("Access-Control-Expose-Headers")), "etag") {
			t.Errorf("GET: Access-Control-Expose-Headers %q lacks ETag", r.header.Get("Access-Control-Expose-Headers"))
		}
		pre := send(t, "OPTIONS", sess, nil, "Origin", "https://app.example", "Access-Control-Request-Method", "PUT")
		if ah := strings.ToLower(pre.header.Get("Access-Control-Allow-Headers")); !strings.Contains(ah, "if-match") ||
			!strings.Contains(ah, "if-none-match") {
			t.Errorf("preflight: Access-Control-Allow-Headers %q", ah)
		}
		want(t, "stale PUT", send(t, "PUT", sess, []byte("a"), "Content-Type", "text/plain", "If-Match", `"stale"`), 412, "M_UNKNOWN")
		want(t, "charset PUT", send(t, "PUT", sess, []byte("a"), "Content-Type", "text/plain; charset=utf-8", "If-Match", etag), 400, "M_INVALID_PARAM")
	}
}

// TestServeProvider: the provider's metadata, device authorization, token
// polling and consent page, with URLs clients can reach over plain http.
func TestServeProvider(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "msc4388", nil)
	base := srv.BaseURL()
	r := send(t, "GET", base+"/_matrix/client/v1/auth_metadata", nil)
	want(t, "auth_metadata", r, 200, "")
	meta := r.json(t)
	if meta["issuer"] != "https://"+strings.TrimPrefix(base, "http://")+OPPath && meta["issuer"] != base+OPPath {
		t.Errorf("issuer %v", meta["issuer"])
	}
	dev, _ := meta["device_authorization_endpoint"].(string)
	tok, _ := meta["token_endpoint"].(string)
	if !strings.HasPrefix(dev, base+OPPath) || !strings.HasPrefix(tok, base+OPPath) {
		t.Fatalf("endpoints %q, %q are not under %s", dev, tok, base+OPPath)
	}
	form := []string{"Content-Type", "application/x-www-form-urlencoded"}
	reg := send(t, "POST", meta["registration_endpoint"].(string), []byte(`{"client_name":"t","client_uri":"https://t.example/","grant_types":["urn:ietf:params:oauth:grant-type:device_code","refresh_token"],"response_types":[],"token_endpoint_auth_method":"none","application_type":"native"}`), "Content-Type", "application/json")
	want(t, "registration", reg, 201, "")
	client := reg.json(t)["client_id"].(string)
	r = send(t, "POST", dev, []byte("client_id="+client+"&scope=openid+urn%3Amatrix%3Aclient%3Aapi%3A*+urn%3Amatrix%3Aclient%3Adevice%3ANEWDEV"), form...)
	want(t, "device authorization", r, 200, "")
	da := r.json(t)
	if v, _ := da["verification_uri"].(string); !strings.HasPrefix(v, base+OPPath) {
		t.Errorf("verification_uri %q is not under %s", v, base+OPPath)
	}
	poll := send(t, "POST", tok, []byte("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&client_id="+client+"&device_code="+da["device_code"].(string)), form...)
	if poll.status/100 != 4 || poll.json(t)["error"] != "authorization_pending" {
		t.Errorf("token poll before consent: %d %s", poll.status, poll.body)
	}
	// The consent page: the link page takes the user code, the consent page
	// takes Allow.
	link := send(t, "POST", da["verification_uri"].(string), []byte("code="+da["user_code"].(string)), form...)
	if link.status != 303 || !strings.HasPrefix(link.header.Get("Location"), base+OPPath) {
		t.Fatalf("link page: %d Location %q", link.status, link.header.Get("Location"))
	}
	page := send(t, "GET", link.header.Get("Location"), nil)
	if page.status != 200 || !strings.Contains(string(page.body), "NEWDEV") {
		t.Errorf("consent page: %d %s", page.status, page.body)
	}
	want(t, "consent", send(t, "POST", link.header.Get("Location"), []byte("action=consent"), form...), 200, "")
	r = send(t, "POST", tok, []byte("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&client_id="+client+"&device_code="+da["device_code"].(string)), form...)
	want(t, "token after consent", r, 200, "")
	at := r.json(t)["access_token"].(string)
	r = send(t, "GET", base+"/_matrix/client/v3/account/whoami", nil, "Authorization", "Bearer "+at)
	want(t, "whoami with the new token", r, 200, "")
	if m := r.json(t); m["user_id"] != srv.TestUserID() || m["device_id"] != "NEWDEV" {
		t.Errorf("whoami: %s", r.body)
	}
	want(t, "the new device", send(t, "GET", base+"/_matrix/client/v3/devices/NEWDEV", nil, "Authorization", "Bearer "+TestAccessToken), 200, "")
	pre := send(t, "OPTIONS", base+"/_matrix/client/versions", nil, "Origin", "https://app.example")
	if pre.status != 204 || pre.header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("preflight of /versions: %d %v", pre.status, pre.header)
	}
}

// TestServeConfig: bad options are refused; an out-of-range TTL is accepted
// with a warning.
func TestServeConfig(t *testing.T) {
	t.Parallel()
	v := variant.MustLoad("msc4388")
	if _, warn, err := RendezvousConfig(Options{Variant: v, TTL: 5 * time.Second, SoftCap: -1, HardCap: -1}, "http://127.0.0.1:1"); err != nil || !strings.Contains(warn, "120-300") {
		t.Errorf("TTL 5s: warn %q, err %v; want a warning and no error", warn, err)
	}
	if _, warn, err := RendezvousConfig(Options{Variant: v, TTL: 3 * time.Minute, SoftCap: -1, HardCap: -1}, "http://127.0.0.1:1"); err != nil || warn != "" {
		t.Errorf("TTL 3m: warn %q, err %v; want neither", warn, err)
	}
	if _, _, err := RendezvousConfig(Options{Variant: v, SoftCap: 5, HardCap: 2}, "http://127.0.0.1:1"); err == nil {
		t.Error("hard cap below soft cap accepted")
	}
	if _, _, err := RendezvousConfig(Options{Variant: v, Auth: "maybe", SoftCap: -1, HardCap: -1}, "http://127.0.0.1:1"); err == nil {
		t.Error("auth mode maybe accepted")
	}
	if _, _, err := New(Options{Variant: v, SoftCap: -1, HardCap: -1}, "ftp://x"); err == nil {
		t.Error("base URL ftp://x accepted")
	}
	for addr, lo := range map[string]bool{"127.0.0.1:8008": true, "[::1]:1": true, "localhost:1": true, "0.0.0.0:1": false, ":8008": false} {
		if IsLoopback(addr) != lo {
			t.Errorf("IsLoopback(%q) = %v", addr, !lo)
		}
	}
}

// TestServeOddRequests: odd methods, paths, headers and bodies get an
// answer (never a panic, never a 5xx), on every flavour's server.
func TestServeOddRequests(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"msc4108-2024", "msc4108-2025", "msc4388-txn"} {
		srv := startServer(t, name, nil)
		base := srv.BaseURL()
		paths := []string{"/", "/oauth", "/oauth/", "/oauth/device/", "/oauth/device/x/y", "/_matrix/client/v1/rendezvous/",
			"/_matrix/client/v1/rendezvous//x", "/_matrix/client/v1/rendezvous/a/b/c", "/_matrix/client/v3/devices/a%2Fb",
			"/_synapse/client/rendezvous/", "/_matrix/client/v1/rendezvous?x=%25", "/_matrix/client/v3/keys/upload"}
		for _, m := range []string{"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"} {
			for _, p := range paths {
				for _, body := range [][]byte{nil, []byte("{"), []byte(`{"data":"\ud800"}`), bytes.Repeat([]byte{0xff}, 5000)} {
					r := send(t, m, base+p, body, "Content-Type", "application/json", "If-Match", `W/"x", *`,
						"Authorization", "Bearer \u00e9\u00e9")
					if r.status >= 500 || r.status == 0 {
						t.Errorf("%s %s %s (%d-byte body): %d %s", name, m, p, len(body), r.status, r.body)
					}
				}
			}
		}
	}
}

// wantProbeFailures fails t unless exactly the checks named in want failed
// (in any order) and none but expiry (which needs a long wait) was skipped;
// on a mismatch it logs every failed check with what it observed.
func wantProbeFailures(t *testing.T, checks []Check, want []string) {
	t.Helper()
	var failed []string
	for _, c := range checks {
		switch c.Result {
		case Fail:
			failed = append(failed, c.ID)
		case Skip:
			if c.ID != "expiry" {
				t.Errorf("check %s skipped: %s", c.ID, c.Detail)
			}
		}
	}
	sort.Strings(failed)
	want = slices.Sorted(slices.Values(want))
	if !slices.Equal(failed, want) {
		for _, c := range checks {
			if c.Result == Fail {
				t.Logf("FAIL %s: %s\n  observed: %s\n  %s", c.ID, c.Spec, c.Observed, c.Detail)
			}
		}
		t.Errorf("failed checks %v, want %v", failed, want)
	}
}

// rawRequest writes raw bytes to the server on a fresh connection and
// reads one answer.
func rawRequest(t *testing.T, srv *Server, raw string) response {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(srv.BaseURL(), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// TestServeContentLengthAsSent: the 2024 text requires Content-Length on
// a create and the store refuses one without it; serve passes the header
// as the client sent it and makes none up (probe --fuzz found serve
// creating a session from a POST that declared no length).
func TestServeContentLengthAsSent(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "msc4108-87f8317", nil)
	r := rawRequest(t, srv, "POST "+rendezvous.StablePrefix+" HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n\r\n")
	want(t, "create without Content-Length", r, 400, "M_MISSING_PARAM")
	r = rawRequest(t, srv, "POST "+rendezvous.StablePrefix+" HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n\r\n")
	want(t, "create with Content-Length: 0", r, 201, "")
}

// TestServeOversizedBodyToTheStore: a body over the 64 KiB read limit on
// a rendezvous path is answered by the store as the model answers it: a
// GET ignores it, a create refuses it as too large, with the flavour's
// headers (probe --fuzz found serve answering 413 to a GET with a large
// body, which the model reads).
func TestServeOversizedBodyToTheStore(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "msc4108-87f8317", nil)
	big := strings.Repeat("z", DefaultMaxBodyBytes+10)
	url, _ := etagCreate(t, srv.BaseURL()+rendezvous.StablePrefix, "x")
	path := strings.TrimPrefix(url, srv.BaseURL())
	r := rawRequest(t, srv, fmt.Sprintf("GET %s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", path, len(big), big))
	want(t, "GET with a large body", r, 200, "")
	if string(r.body) != "x" {
		t.Errorf("GET with a large body read %q, want the payload", r.body)
	}
	r = rawRequest(t, srv, fmt.Sprintf("POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s",
		rendezvous.StablePrefix, len(big), big))
	want(t, "create with a large body", r, 413, "M_TOO_LARGE")
	if r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("create with a large body: Cache-Control %q, want the store's no-store", r.header.Get("Cache-Control"))
	}
}
