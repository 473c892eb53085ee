package rendezvous

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// t0 is the tests' start time: 2026-11-28T00:00:00Z, so HTTP dates and
// expires_ts look real.
const t0 Millis = 1795824000000

// tb is what the helpers need from *testing.T and *rapid.T alike.
type tb interface {
	Helper()
	Fatalf(format string, args ...any)
}

// newTestStore makes a store from cfg with a seeded ID stream.
func newTestStore(t tb, cfg Config) *Store {
	t.Helper()
	s, err := New(cfg, t0, nil)
	if err != nil {
		t.Fatalf("New(%s): %v", cfg.Name, err)
	}
	return s
}

// client speaks one flavour's HTTP to a store, so flavour-independent
// tests (the test-suite transcripts, the property test) read the same.
type client struct {
	t   tb
	s   *Store
	cfg Config
	now Millis
	// prefix is the create path the client uses.
	prefix string
	txn    int
	fx     []Effect
}

func newClient(t tb, cfg Config) *client {
	s := newTestStore(t, cfg)
	// Clients talk on the last prefix: the unstable one where there is one.
	return &client{t: t, s: s, cfg: cfg, now: t0, prefix: cfg.Prefixes[len(cfg.Prefixes)-1]}
}

func (c *client) advance(d Millis) { c.now += d }

// do sends one request and keeps the effects.
func (c *client) do(r *Request) Response {
	resp, fx := c.s.Handle(c.now, r)
	c.fx = append(c.fx, fx...)
	checkWellFormed(c.t, c.cfg, r, resp)
	return resp
}

func hdr(kv ...string) Header {
	var h Header
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

// sessionPath is the path of a session.
func (c *client) sessionPath(id string) string {
	if c.cfg.Flavour == FlavourETag {
		return c.s.sessionPrefix + "/" + id
	}
	return c.prefix + "/" + id
}

// result is the flavour-independent reading of a response.
type result struct {
	status  int
	id      string
	token   string
	data    string
	errcode string
	expires int64 // expires_ts or expires_in_ms
	resp    Response
}

func (c *client) read(resp Response) result {
	c.t.Helper()
	r := result{status: resp.Status, resp: resp}
	if c.cfg.Flavour == FlavourETag {
		r.token = resp.Header.Get("ETag")
		if resp.Header.Get("Content-Type") == "text/plain" {
			r.data = string(resp.Body)
		}
	}
	if resp.Header.Get("Content-Type") == "application/json" && len(resp.Body) > 0 {
		var m map[string]any
		if err := json.Unmarshal(resp.Body, &m); err != nil {
			c.t.Fatalf("response body is not JSON: %v: %q", err, resp.Body)
		}
		if v, ok := m["errcode"].(string); ok {
			r.errcode = v
			if v == "M_UNKNOWN" {
				if real, ok := m["org.matrix.msc4108.errcode"].(string); ok {
					r.errcode = real
				}
			}
		}
		if v, ok := m["url"].(string); ok {
			u, err := url.Parse(v)
			if err != nil {
				c.t.Fatalf("url %q: %v", v, err)
			}
			r.id = u.Path[strings.LastIndexByte(u.Path, '/')+1:]
		}
		if v, ok := m["id"].(string); ok {
			r.id = v
		}
		if v, ok := m["sequence_token"].(string); ok {
			r.token = v
		}
		if v, ok := m["data"].(string); ok {
			r.data = v
		}
		for _, k := range []string{"expires_ts", "expires_in_ms"} {
			if v, ok := m[k].(float64); ok {
				r.expires = int64(v)
			}
		}
	}
	return r
}

// createReq builds a create request for data.
func (c *client) createReq(data string, auth AuthState) *Request {
	if c.cfg.Flavour == FlavourETag {
		return &Request{Method: "POST", Path: c.prefix, Auth: auth,
			Header: hdr("Content-Type", "text/plain", "Content-Length", strconv.Itoa(len(data))), Body: []byte(data)}
	}
	b, _ := json.Marshal(map[string]string{"data": data})
	return &Request{Method: "POST", Path: c.prefix, Auth: auth, Header: hdr("Content-Type", "application/json"), Body: b}
}

func (c *client) create(data string) result { return c.read(c.do(c.createReq(data, AuthNone))) }

func (c *client) get(id string) result {
	return c.read(c.do(&Request{Method: "GET", Path: c.sessionPath(id)}))
}

// getIfChanged is the etag flavour's conditional GET.
func (c *client) getIfChanged(id, etag string) result {
	return c.read(c.do(&Request{Method: "GET", Path: c.sessionPath(id), Header: hdr("If-None-Match", etag)}))
}

// putReq builds a write of data with the given token (ETag or sequence
// token) under a fresh transaction ID where the flavour uses them.
func (c *client) putReq(id, token, data string) *Request {
	if c.cfg.Flavour == FlavourETag {
		return &Request{Method: "PUT", Path: c.sessionPath(id), Body: []byte(data),
			Header: hdr("Content-Type", "text/plain", "Content-Length", strconv.Itoa(len(data)), "If-Match", token)}
	}
	b, _ := json.Marshal(map[string]string{"sequence_token": token, "data": data})
	path := c.sessionPath(id)
	if c.cfg.Idempotency == IdempotencyTxnID {
		c.txn++
		path += "/txn" + strconv.Itoa(c.txn)
	}
	return &Request{Method: "PUT", Path: path, Header: hdr("Content-Type", "application/json"), Body: b}
}

func (c *client) put(id, token, data string) result { return c.read(c.do(c.putReq(id, token, data))) }

func (c *client) del(id string) result {
	return c.read(c.do(&Request{Method: "DELETE", Path: c.sessionPath(id)}))
}

// okStatus is the flavour's success status for each operation.
func (c *client) okCreate() int {
	if c.cfg.Flavour == FlavourETag {
		return 201
	}
	return 200
}

func (c *client) okPut() int {
	if c.cfg.Flavour == FlavourETag {
		return 202
	}
	return 200
}

func (c *client) okDelete() int {
	if c.cfg.Flavour == FlavourETag {
		return 204
	}
	return 200
}

func (c *client) conflictStatus() int {
	if c.cfg.Flavour == FlavourETag {
		return 412
	}
	return 409
}

// checkWellFormed asserts what every response must satisfy: a real status,
// a matching Content-Length, valid JSON where JSON is promised, the etag
// flavour's cache headers, and the common headers on session answers.
func checkWellFormed(t tb, cfg Config, req *Request, resp Response) {
	t.Helper()
	if err := wellFormed(cfg, req, resp); err != nil {
		t.Fatalf("%s %s → %d: %v\nheaders: %v\nbody: %q", req.Method, req.Path, resp.Status, err, resp.Header, resp.Body)
	}
}

func wellFormed(cfg Config, req *Request, resp Response) error {
	if resp.Status < 200 || resp.Status > 599 {
		return fmt.Errorf("status %d out of range", resp.Status)
	}
	for _, f := range resp.Header {
		if f.Name == "" || strings.ContainsAny(f.Name, " :\r\n") || strings.ContainsAny(f.Value, "\r\n\x00") {
			return fmt.Errorf("malformed header line %q: %q", f.Name, f.Value)
		}
	}
	if cl, ok := resp.Header.Lookup("Content-Length"); ok {
		if cl != strconv.Itoa(len(resp.Body)) {
			return fmt.Errorf("Content-Length %s but body has %d bytes", cl, len(resp.Body))
		}
	} else if len(resp.Body) > 0 {
		return fmt.Errorf("body without Content-Length")
	}
	ct := resp.Header.Get("Content-Type")
	if len(resp.Body) > 0 && ct == "" {
		return fmt.Errorf("body without Content-Type")
	}
	if ct == "application/json" {
		if !json.Valid(resp.Body) {
			return fmt.Errorf("invalid JSON body")
		}
		var m map[string]any
		if err := json.Unmarshal(resp.Body, &m); err != nil {
			return fmt.Errorf("JSON body is not an object: %v", err)
		}
		if resp.Status >= 400 {
			if _, ok := m["errcode"].(string); !ok {
				return fmt.Errorf("error without errcode")
			}
		}
	}
	if resp.Status == 204 || resp.Status == 304 {
		if len(resp.Body) != 0 {
			return fmt.Errorf("%d with a body", resp.Status)
		}
	}
	if cfg.Flavour == FlavourETag && req.Method != "OPTIONS" {
		if resp.Header.Get("Cache-Control") == "" || resp.Header.Get("Pragma") != "no-cache" {
			return fmt.Errorf("etag response without Cache-Control/Pragma")
		}
		switch resp.Status {
		case 200, 201, 202, 304, 412:
			for _, n := range []string{"ETag", "Expires", "Last-Modified"} {
				if resp.Header.Get(n) == "" {
					return fmt.Errorf("missing %s", n)
				}
			}
			if _, ok := strictTag(resp.Header.Get("ETag")); !ok {
				return fmt.Errorf("ETag %q is not a strong entity tag", resp.Header.Get("ETag"))
			}
		}
		if resp.Status == 200 && resp.Header.Get("Content-Type") != "text/plain" {
			return fmt.Errorf("200 GET without text/plain")
		}
	}
	if resp.Status == 405 && resp.Header.Get("Allow") == "" {
		return fmt.Errorf("405 without Allow")
	}
	if resp.Status == 307 && resp.Header.Get("Location") == "" {
		return fmt.Errorf("307 without Location")
	}
	return nil
}

// opaqueID reports whether s follows the opaque identifier grammar.
func opaqueID(s string) bool {
	if len(s) == 0 || len(s) > 255 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("._~-", c) >= 0) {
			return false
		}
	}
	return true
}

// effectKinds lists the kinds of effects in order, for compact asserts.
func effectKinds(fx []Effect) []string {
	out := make([]string, len(fx))
	for i, e := range fx {
		out[i] = e.Kind.String()
	}
	return out
}
