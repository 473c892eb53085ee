package live

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"qrlab/model/rendezvous"
)

// ProbeOptions say what Probe checks and how.
type ProbeOptions struct {
	// BaseURL is the homeserver's client-server base URL.
	BaseURL string
	// Flavour is the rendezvous API to check (0: the one /versions
	// advertises, newest first).
	Flavour rendezvous.Flavour
	// Stable checks the stable path /_matrix/client/v1/rendezvous instead
	// of the flavour's unstable path.
	Stable bool
	// AccessToken is sent on creates when the server refuses them without
	// one (and on the authentication checks).
	AccessToken string
	// WaitExpiry, when positive, checks expiry: a session must be gone (404)
	// once its announced lifetime passed, waiting at most this long.
	WaitExpiry time.Duration
	// HardCap, when positive, checks the hard cap: after HardCap+1 creates
	// the oldest session is gone.
	HardCap int
	// Devices also runs the model's new and existing devices through the
	// secure-channel handshake and a message each way over the server.
	Devices bool
	// Client makes the requests (nil: a client with a 10 s timeout that
	// does not follow redirects).
	Client *http.Client
	// Log, when set, gets one line per request.
	Log io.Writer
}

// Check is one behaviour of the spec checked against the server.
type Check struct {
	// ID is a short stable name, such as "etag.put.stale".
	ID string `json:"id"`
	// Spec is the behaviour, in the words of the project's notes.
	Spec string `json:"spec"`
	// Result is "pass", "fail" or "skip".
	Result string `json:"result"`
	// Observed is the response (or responses) the verdict rests on.
	Observed string `json:"observed"`
	// Detail says why it failed or was skipped.
	Detail string `json:"detail,omitempty"`
}

// Results of a check.
const (
	Pass = "pass"
	Fail = "fail"
	Skip = "skip"
)

// observation is one response, kept for the report.
type observation struct {
	Method, URL string
	Status      int
	Header      http.Header
	Body        []byte
	Err         error
}

// String renders a response as the report shows it: status, the headers
// that matter, and the body (cut).
func (o *observation) String() string {
	if o == nil {
		return "(no request)"
	}
	if o.Err != nil {
		return fmt.Sprintf("%s %s: %v", o.Method, o.URL, o.Err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s -> %d", o.Method, pathOnly(o.URL), o.Status)
	for _, n := range []string{"Content-Type", "ETag", "Expires", "Last-Modified", "Cache-Control", "Pragma", "Location",
		"Access-Control-Allow-Origin", "Access-Control-Expose-Headers"} {
		if v := o.Header.Values(n); len(v) > 0 {
			fmt.Fprintf(&b, " %s: %s;", n, strings.Join(v, ", "))
		}
	}
	if len(o.Body) > 0 {
		body := string(o.Body)
		if len(body) > 200 {
			body = body[:197] + "..."
		}
		fmt.Fprintf(&b, " body %q", body)
	}
	return b.String()
}

func pathOnly(u string) string {
	if p, err := url.Parse(u); err == nil && p.Path != "" {
		return p.Path
	}
	return u
}

// errcode reads a Matrix error body: the errcode, or the unstable one the
// 2024 text puts in org.matrix.msc4108.errcode under M_UNKNOWN.
func (o *observation) errcode() string {
	var e map[string]any
	if json.Unmarshal(o.Body, &e) != nil {
		return ""
	}
	code, _ := e["errcode"].(string)
	if code == "M_UNKNOWN" {
		if c, ok := e["org.matrix.msc4108.errcode"].(string); ok {
			return c
		}
	}
	return code
}

// jsonObject decodes a JSON object body.
func (o *observation) jsonObject() (map[string]any, bool) {
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(o.Body))
	dec.UseNumber()
	if dec.Decode(&m) != nil || m == nil || dec.More() {
		return nil, false
	}
	return m, true
}

// prober runs the checks.
type prober struct {
	ctx    context.Context
	opts   ProbeOptions
	c      *http.Client
	base   string
	prefix string
	fl     rendezvous.Flavour
	auth   string // Authorization value for creates ("" when not needed)
	// noCreate: the server refuses creates without a token and none was given.
	noCreate bool
	// txn: the server takes PUT {session}/{txnId} (found out on the first write).
	txn    bool
	checks []Check
}

func (p *prober) add(id, spec string, ok bool, obs string, detail string) {
	r := Pass
	if !ok {
		r = Fail
	} else {
		detail = ""
	}
	p.checks = append(p.checks, Check{ID: id, Spec: spec, Result: r, Observed: obs, Detail: detail})
}

func (p *prober) skip(id, spec, why string) {
	p.checks = append(p.checks, Check{ID: id, Spec: spec, Result: Skip, Detail: why})
}

// do sends one request.
func (p *prober) do(method, u string, hdr map[string]string, body []byte) *observation {
	o := &observation{Method: method, URL: u}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(p.ctx, method, u, rd)
	if err != nil {
		o.Err = err
		return o
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := p.c.Do(req)
	if err != nil {
		o.Err = err
		return o
	}
	defer resp.Body.Close()
	o.Status = resp.StatusCode
	o.Header = resp.Header
	o.Body, o.Err = io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if p.opts.Log != nil {
		fmt.Fprintln(p.opts.Log, o.String())
	}
	return o
}

// Probe checks the server at opts.BaseURL. It returns every check, in the
// order run; an error means the probe could not run at all (no server, no
// rendezvous API to check).
func Probe(ctx context.Context, opts ProbeOptions) ([]Check, error) {
	base := strings.TrimSuffix(opts.BaseURL, "/")
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--homeserver %q is not an http(s) URL", opts.BaseURL)
	}
	c := opts.Client
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	p := &prober{ctx: ctx, opts: opts, c: c, base: base}
	if err := p.discover(); err != nil {
		return p.checks, err
	}
	if opts.Stable {
		p.prefix = base + rendezvous.StablePrefix
	} else {
		p.prefix = base + UnstablePrefix(p.fl)
	}
	p.authMode()
	if p.fl == rendezvous.FlavourETag {
		p.etag()
	} else {
		p.jsonFlavour()
	}
	p.expiry()
	p.hardCap()
	if opts.Devices {
		p.devices()
	}
	return p.checks, nil
}

// discover reads /versions: which flavours the server advertises.
func (p *prober) discover() error {
	o := p.do("GET", p.base+"/_matrix/client/versions", nil, nil)
	if o.Err != nil {
		return fmt.Errorf("GET /_matrix/client/versions: %w", o.Err)
	}
	var v struct {
		Unstable map[string]bool `json:"unstable_features"`
	}
	parsed := o.Status == 200 && json.Unmarshal(o.Body, &v) == nil
	var on []string
	for _, f := range []rendezvous.Flavour{rendezvous.FlavourSequenceToken, rendezvous.FlavourSequenceToken2025, rendezvous.FlavourETag} {
		if v.Unstable[FeatureFlag(f)] {
			on = append(on, FeatureFlag(f))
			if p.fl == 0 && p.opts.Flavour == 0 {
				p.fl = f
			}
		}
	}
	if p.opts.Flavour != 0 {
		p.fl = p.opts.Flavour
	}
	if p.fl == 0 {
		p.add("versions.flag", "/versions lists the rendezvous API's unstable feature flag", false, o.String(),
			"no rendezvous flag is true; pass --flavour to probe anyway")
		return fmt.Errorf("the server advertises no rendezvous API in /versions (%s); pass --flavour to probe anyway", o)
	}
	flag := FeatureFlag(p.fl)
	p.add("versions.flag", fmt.Sprintf("/versions: unstable_features[%q] is true for the %s API", flag, p.fl),
		parsed && v.Unstable[flag], o.String(), fmt.Sprintf("flags on: %v", on))
	return nil
}

// authMode finds out whether creating needs a token, and checks the
// answers without one and with a bad one.
func (p *prober) authMode() {
	body, ctype := p.createBody("auth probe")
	o := p.do("POST", p.prefix, map[string]string{"Content-Type": ctype}, body)
	switch {
	case o.Err != nil:
		p.add("auth.mode", "creating a session works (publicly, or with the access token)", false, o.String(), "request failed")
	case o.Status == 401 || o.Status == 403:
		if p.opts.AccessToken == "" {
			p.noCreate = true
			p.add("auth.mode", "creating a session works (publicly, or with the access token)", false, o.String(),
				"the server requires authentication to create; pass --access-token")
			return
		}
		p.auth = "Bearer " + p.opts.AccessToken
		code := o.errcode()
		ok := (o.Status == 401 && code == "M_MISSING_TOKEN") || (o.Status == 403 && code == "M_FORBIDDEN")
		p.add("auth.required", "authenticated mode: a create without a token is refused (401 M_MISSING_TOKEN, or 403 M_FORBIDDEN in the 2026 text)",
			ok, o.String(), "unexpected status or errcode")
		bad := p.do("POST", p.prefix, map[string]string{"Content-Type": ctype, "Authorization": "Bearer not-a-valid-token-" + strconv.Itoa(int(time.Now().UnixNano()%1e6))}, body)
		p.add("auth.invalid-token", "a create with an unknown access token is refused with 401 M_UNKNOWN_TOKEN",
			bad.Status == 401 && bad.errcode() == "M_UNKNOWN_TOKEN", bad.String(), "want 401 M_UNKNOWN_TOKEN")
		p.cleanup(p.do("POST", p.prefix, map[string]string{"Content-Type": ctype, "Authorization": p.auth}, body))
	case o.Status == 201 || o.Status == 200:
		p.add("auth.mode", "creating a session works (publicly, or with the access token)", true, o.String(), "")
		p.cleanup(o)
	default:
		p.add("auth.mode", "creating a session works (publicly, or with the access token)", false, o.String(),
			"neither a created session nor an authentication refusal")
	}
}

// createBody is a create request's body and Content-Type.
func (p *prober) createBody(data string) ([]byte, string) {
	if p.fl == rendezvous.FlavourETag {
		return []byte(data), "text/plain"
	}
	b, _ := json.Marshal(map[string]string{"data": data})
	return b, "application/json"
}

// create makes a session holding data and returns its URL and the create
// response.
func (p *prober) create(data string) (string, *observation) {
	body, ctype := p.createBody(data)
	h := map[string]string{"Content-Type": ctype}
	if p.auth != "" {
		h["Authorization"] = p.auth
	}
	o := p.do("POST", p.prefix, h, body)
	return p.sessionURL(o), o
}

// sessionURL reads the session's URL from a create response ("" if none).
func (p *prober) sessionURL(o *observation) string {
	if o.Err != nil {
		return ""
	}
	m, ok := o.jsonObject()
	if !ok {
		return ""
	}
	if p.fl == rendezvous.FlavourETag {
		if o.Status != 201 {
			return ""
		}
		u, _ := m["url"].(string)
		return u
	}
	if o.Status != 200 {
		return ""
	}
	id, _ := m["id"].(string)
	if id == "" || strings.ContainsAny(id, "/?#") {
		return ""
	}
	return p.prefix + "/" + id
}

// cleanup deletes a session a check created.
func (p *prober) cleanup(o *observation) {
	if u := p.sessionURL(o); u != "" {
		p.do("DELETE", u, nil, nil)
	}
}

// noStore checks the etag flavour's cache headers.
func noStore(o *observation) bool {
	cc := strings.ToLower(o.Header.Get("Cache-Control"))
	return strings.Contains(cc, "no-store") && strings.EqualFold(o.Header.Get("Pragma"), "no-cache")
}

// strongETag reports whether v is one strong quoted entity tag.
func strongETag(v string) bool {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return false
	}
	return !strings.Contains(v[1:len(v)-1], `"`)
}

func joinObs(os ...*observation) string {
	s := make([]string, 0, len(os))
	for _, o := range os {
		s = append(s, o.String())
	}
	return strings.Join(s, " | ")
}

// etag checks the 2024 ETag API (section 2a).
func (p *prober) etag() {
	sess, cr := p.create("hello")
	{
		m, _ := cr.jsonObject()
		u, _ := m["url"].(string)
		pu, err := url.Parse(u)
		ok := cr.Status == 201 && err == nil && pu.IsAbs() && strongETag(cr.Header.Get("ETag")) &&
			cr.Header.Get("Expires") != "" && cr.Header.Get("Last-Modified") != "" && noStore(cr)
		p.add("etag.create", `POST text/plain -> 201 {"url": absolute URL} with a strong ETag, Expires, Last-Modified, Cache-Control: no-store, Pragma: no-cache`,
			ok, cr.String(), "missing status, URL or headers")
	}
	if sess == "" {
		p.skip("etag.*", "the rest of the ETag checks", "no session could be created")
		return
	}
	defer p.do("DELETE", sess, nil, nil)
	etag0 := cr.Header.Get("ETag")

	o := p.do("GET", sess, nil, nil)
	p.add("etag.get", "GET -> 200, Content-Type exactly text/plain, the payload, a strong ETag, cache headers",
		o.Status == 200 && o.Header.Get("Content-Type") == "text/plain" && string(o.Body) == "hello" &&
			strongETag(o.Header.Get("ETag")) && o.Header.Get("Expires") != "" && o.Header.Get("Last-Modified") != "" && noStore(o),
		o.String(), "want 200 text/plain \"hello\" with ETag, Expires, Last-Modified, no-store")
	cur := o.Header.Get("ETag")
	if cur == "" {
		cur = etag0
	}

	o = p.do("GET", sess, map[string]string{"If-None-Match": cur}, nil)
	p.add("etag.get.not-modified", "GET with If-None-Match: <current ETag> -> 304 Not Modified with the ETag",
		o.Status == 304 && o.Header.Get("ETag") == cur, o.String(), "want 304 with the same ETag")

	o = p.do("PUT", sess, map[string]string{"Content-Type": "text/plain", "If-Match": cur}, []byte("second"))
	next := o.Header.Get("ETag")
	p.add("etag.put", "PUT with If-Match: <current ETag> -> 202 Accepted with a new ETag",
		o.Status == 202 && strongETag(next) && next != cur, o.String(), "want 202 and a new strong ETag")
	o2 := p.do("GET", sess, map[string]string{"If-None-Match": cur}, nil)
	p.add("etag.get.changed", "GET with If-None-Match: <old ETag> after a write -> 200 with the new payload",
		o2.Status == 200 && string(o2.Body) == "second", o2.String(), "want 200 \"second\"")

	o = p.do("PUT", sess, map[string]string{"Content-Type": "text/plain", "If-Match": cur}, []byte("stale"))
	code := o.errcode()
	p.add("etag.put.stale", "PUT with a stale If-Match -> 412 M_CONCURRENT_WRITE (unstable: M_UNKNOWN + org.matrix.msc4108.errcode)",
		o.Status == 412 && code == "M_CONCURRENT_WRITE", o.String(), "want 412 M_CONCURRENT_WRITE")
	o2 = p.do("GET", sess, nil, nil)
	p.add("etag.put.stale.unchanged", "a refused stale PUT leaves the payload as it was",
		o2.Status == 200 && string(o2.Body) == "second", o2.String(), "want 200 \"second\"")
	if o2.Header.Get("ETag") != "" {
		next = o2.Header.Get("ETag")
	}

	next = p.etagMalformed(sess, next)
	p.etagSessions(sess, next)
}

// withAuth adds the creation credentials, if any, to h.
func (p *prober) withAuth(h map[string]string) map[string]string {
	if p.auth != "" {
		h["Authorization"] = p.auth
	}
	return h
}

// etagMalformed checks the refusal of malformed writes and creates on
// session sess, whose current ETag is next; it returns the ETag after them.
func (p *prober) etagMalformed(sess, next string) string {
	o := p.do("PUT", sess, map[string]string{"Content-Type": "text/plain"}, []byte("x"))
	p.add("etag.put.no-if-match", "PUT without If-Match -> 400 M_MISSING_PARAM",
		o.Status == 400 && o.errcode() == "M_MISSING_PARAM", o.String(), "want 400 M_MISSING_PARAM")

	o = p.do("PUT", sess, map[string]string{"Content-Type": "text/plain", "If-Match": "W/" + next}, []byte("x"))
	p.add("etag.put.weak", "PUT with a weak If-Match -> 400 M_INVALID_PARAM (strong single-valued ETags only)",
		o.Status == 400 && o.errcode() == "M_INVALID_PARAM", o.String(), "want 400 M_INVALID_PARAM")

	o = p.do("PUT", sess, map[string]string{"Content-Type": "text/plain", "If-Match": next + `, "other"`}, []byte("x"))
	p.add("etag.put.list", "PUT with a list in If-Match -> 400 M_INVALID_PARAM (single-valued only)",
		o.Status == 400 && o.errcode() == "M_INVALID_PARAM", o.String(), "want 400 M_INVALID_PARAM")

	o = p.do("PUT", sess, map[string]string{"If-Match": next}, []byte("x"))
	p.add("etag.put.no-content-type", "PUT without Content-Type -> 400 M_MISSING_PARAM",
		o.Status == 400 && o.errcode() == "M_MISSING_PARAM", o.String(), "want 400 M_MISSING_PARAM")

	o = p.do("POST", p.prefix, p.withAuth(map[string]string{"Content-Type": "application/json"}), []byte(`{"a":1}`))
	p.add("etag.create.content-type", "POST with a Content-Type other than text/plain -> 400 M_INVALID_PARAM",
		o.Status == 400 && o.errcode() == "M_INVALID_PARAM", o.String(), "want 400 M_INVALID_PARAM")
	p.cleanup(o)

	big := bytes.Repeat([]byte("a"), 4097)
	o = p.do("POST", p.prefix, p.withAuth(map[string]string{"Content-Type": "text/plain"}), big)
	p.add("etag.create.too-large", "POST of 4097 bytes -> 413 M_TOO_LARGE (4 KB limit)",
		o.Status == 413 && o.errcode() == "M_TOO_LARGE", o.String(), "want 413 M_TOO_LARGE")
	p.cleanup(o)
	o = p.do("PUT", sess, map[string]string{"Content-Type": "text/plain", "If-Match": next}, big)
	p.add("etag.put.too-large", "PUT of 4097 bytes -> 413 M_TOO_LARGE",
		o.Status == 413 && o.errcode() == "M_TOO_LARGE", o.String(), "want 413 M_TOO_LARGE")
	// The malformed-If-Match checks may have written (a lenient server):
	// read the current ETag again.
	if g := p.do("GET", sess, nil, nil); g.Header.Get("ETag") != "" {
		next = g.Header.Get("ETag")
	}
	return next
}

// etagSessions checks the size limit, ETag uniqueness, a fresh session,
// deletion, unknown sessions and CORS, on session sess with ETag next.
func (p *prober) etagSessions(sess, next string) {
	big := bytes.Repeat([]byte("a"), 4097)
	ok4096 := p.do("PUT", sess, map[string]string{"Content-Type": "text/plain", "If-Match": next}, big[:4096])
	p.add("etag.put.limit", "PUT of exactly 4096 bytes -> 202",
		ok4096.Status == 202, ok4096.String(), "want 202")
	if e := ok4096.Header.Get("ETag"); e != "" {
		next = e
	}

	// Uniqueness: the same payload written twice gets two ETags.
	a := p.do("PUT", sess, map[string]string{"Content-Type": "text/plain", "If-Match": next}, []byte("same"))
	b := p.do("PUT", sess, map[string]string{"Content-Type": "text/plain", "If-Match": a.Header.Get("ETag")}, []byte("same"))
	p.add("etag.unique", "the ETag is unique per write, even for identical payloads (Synapse's content hash is not)",
		a.Status == 202 && b.Status == 202 && a.Header.Get("ETag") != b.Header.Get("ETag"), joinObs(a, b),
		"identical payloads got identical ETags, or a write failed")

	// What the js-sdk needs of a fresh session: an empty 200.
	fresh, fo := p.create("")
	if fresh != "" {
		o := p.do("GET", fresh, nil, nil)
		p.add("etag.fresh-empty", "a session created with an empty body answers GET with 200, Content-Type exactly text/plain, empty body, ETag (the js-sdk's first read)",
			o.Status == 200 && o.Header.Get("Content-Type") == "text/plain" && len(o.Body) == 0 && o.Header.Get("ETag") != "",
			o.String(), "want an empty 200 text/plain with ETag")
		d := p.do("DELETE", fresh, nil, nil)
		g := p.do("GET", fresh, nil, nil)
		p.add("etag.delete", "DELETE -> 204; then GET -> 404 M_NOT_FOUND",
			d.Status == 204 && g.Status == 404 && g.errcode() == "M_NOT_FOUND", joinObs(d, g), "want 204 then 404 M_NOT_FOUND")
	} else {
		p.add("etag.fresh-empty", "POST with an empty text/plain body creates a session", false, fo.String(), "no session")
	}

	o := p.do("GET", sess+"-does-not-exist", nil, nil)
	p.add("etag.unknown", "GET of an unknown session -> 404 M_NOT_FOUND",
		o.Status == 404 && o.errcode() == "M_NOT_FOUND", o.String(), "want 404 M_NOT_FOUND")

	// CORS (the 2024 text): responses expose ETag; the preflight allows the
	// conditional headers.
	o = p.do("GET", sess, map[string]string{"Origin": "https://app.example"}, nil)
	expose := strings.ToLower(strings.Join(o.Header.Values("Access-Control-Expose-Headers"), ","))
	p.add("etag.cors.expose", "session responses carry Access-Control-Allow-Origin: * and expose ETag",
		o.Header.Get("Access-Control-Allow-Origin") == "*" && strings.Contains(expose, "etag"), o.String(),
		"want Allow-Origin * and Expose-Headers with ETag")
	o = p.do("OPTIONS", sess, map[string]string{"Origin": "https://app.example", "Access-Control-Request-Method": "PUT",
		"Access-Control-Request-Headers": "if-match,content-type"}, nil)
	allow := strings.ToLower(strings.Join(o.Header.Values("Access-Control-Allow-Headers"), ","))
	p.add("etag.cors.preflight", "the preflight of a session URL allows If-Match and If-None-Match",
		o.Status/100 == 2 && strings.Contains(allow, "if-match") && strings.Contains(allow, "if-none-match"), o.String()+
			" Allow-Headers: "+allow, "want If-Match and If-None-Match in Access-Control-Allow-Headers")
}

// jsonProbe is what the checks of a sequence-token API share.
type jsonProbe struct {
	p             *prober
	is2026        bool
	expiryField   string
	conflictCodes map[string]bool
	// txns counts the transaction IDs used for writes to {session}/{txnId}.
	txns int
}

var jsonContent = map[string]string{"Content-Type": "application/json"}

// put writes data under token tok to session u: to the session's URL, or
// (the later MSC4388 revision, found out by a 405 on the first write) to
// {session}/{txnId} with a fresh transaction ID per write.
func (q *jsonProbe) put(u, tok string, data any) *observation {
	b, _ := json.Marshal(map[string]any{"sequence_token": tok, "data": data})
	if q.p.txn {
		q.txns++
		u += "/probe." + strconv.Itoa(q.txns)
	}
	return q.p.do("PUT", u, jsonContent, b)
}

// field is m[k] if it is a string.
func field(m map[string]any, k string) string { s, _ := m[k].(string); return s }

// numField is m[k] if it is an integer JSON number.
func numField(m map[string]any, k string) (int64, bool) {
	n, ok := m[k].(json.Number)
	if !ok {
		return 0, false
	}
	v, err := n.Int64()
	return v, err == nil
}

// jsonFlavour checks the 2025 and 2026 sequence-token APIs (2b, 2c).
func (p *prober) jsonFlavour() {
	q := &jsonProbe{p: p, is2026: p.fl == rendezvous.FlavourSequenceToken, expiryField: "expires_ts",
		conflictCodes: map[string]bool{"M_CONCURRENT_WRITE": true}}
	if q.is2026 {
		q.expiryField = "expires_in_ms"
	}
	if !p.opts.Stable {
		if q.is2026 {
			q.conflictCodes = map[string]bool{"IO_ELEMENT_MSC4388_CONCURRENT_WRITE": true}
		} else {
			q.conflictCodes = map[string]bool{"IO_ELEMENT_MSC4108_CONCURRENT_WRITE": true}
		}
	}
	sess, cr := p.create("hello")
	cm, _ := cr.jsonObject()
	exp0, hasExp := numField(cm, q.expiryField)
	tok0 := field(cm, "sequence_token")
	p.add("json.create", fmt.Sprintf(`POST {"data"} -> 200 {"id","sequence_token","%s"}`, q.expiryField),
		cr.Status == 200 && field(cm, "id") != "" && tok0 != "" && hasExp, cr.String(), "missing status or fields")
	if sess == "" {
		p.skip("json.*", "the rest of the sequence-token checks", "no session could be created")
		return
	}
	defer p.do("DELETE", sess, nil, nil)
	if q.is2026 {
		id := field(cm, "id")
		p.add("json.opaque-ids", "id and sequence_token follow the opaque identifier grammar (1-255 bytes of [A-Za-z0-9._~-])",
			opaqueID(id) && opaqueID(tok0), cr.String(), "id or token outside the grammar")
		p.add("json.lifetime", "the lifetime is between 120 s and 300 s (expires_in_ms at create)",
			exp0 >= 110000 && exp0 <= 300000, cr.String(), fmt.Sprintf("expires_in_ms %d", exp0))
	} else {
		now := time.Now().UnixMilli()
		p.add("json.expires-ts", "expires_ts is a time in the future, in ms since the epoch (Synapse: 2 minutes)",
			exp0 > now && exp0 < now+24*3600*1000, cr.String(), fmt.Sprintf("expires_ts %d, now %d", exp0, now))
	}

	q.readWrite(sess, cr, exp0, tok0)
	q.badData(sess)
	del, _ := p.create("to delete")
	if del != "" {
		d := p.do("DELETE", del, nil, nil)
		g := p.do("GET", del, nil, nil)
		p.add("json.delete", "DELETE -> 200; then GET -> 404 M_NOT_FOUND",
			d.Status == 200 && g.Status == 404 && g.errcode() == "M_NOT_FOUND", joinObs(d, g), "want 200 then 404 M_NOT_FOUND")
	}
	o := p.do("GET", p.prefix+"/doesnotexist0000", nil, nil)
	p.add("json.unknown", "GET of an unknown session -> 404 M_NOT_FOUND",
		o.Status == 404 && o.errcode() == "M_NOT_FOUND", o.String(), "want 404 M_NOT_FOUND")
}

// readWrite checks reads, writes, stale writes, retries and (2026)
// discovery on session sess, created by cr with expiry exp0 and token tok0.
func (q *jsonProbe) readWrite(sess string, cr *observation, exp0 int64, tok0 string) {
	p, js := q.p, jsonContent
	o := p.do("GET", sess, nil, nil)
	gm, _ := o.jsonObject()
	exp1, _ := numField(gm, q.expiryField)
	p.add("json.get", fmt.Sprintf(`GET -> 200 {"data","sequence_token","%s"} with the payload and the create's token`, q.expiryField),
		o.Status == 200 && field(gm, "data") == "hello" && field(gm, "sequence_token") == tok0, o.String(), "want the payload and token")

	o = q.put(sess, tok0, "second")
	if o.Status == 405 && q.is2026 {
		p.txn = true
		first := o
		o = q.put(sess, tok0, "second")
		p.add("json.put-txn", "2026 (later revision): PUT {session} is refused (405) and PUT {session}/{txnId} is the write",
			o.Status == 200, joinObs(first, o), "neither PUT form wrote")
	}
	pm, _ := o.jsonObject()
	tok1 := field(pm, "sequence_token")
	p.add("json.put", `PUT {"sequence_token": current, "data"} -> 200 {"sequence_token": new}`,
		o.Status == 200 && tok1 != "" && tok1 != tok0, o.String(), "want 200 and a new token")
	g := p.do("GET", sess, nil, nil)
	gm2, _ := g.jsonObject()
	exp2, _ := numField(gm2, q.expiryField)
	p.add("json.get.after-put", "GET after the write returns the new payload and token",
		g.Status == 200 && field(gm2, "data") == "second" && field(gm2, "sequence_token") == tok1, g.String(), "want \"second\" and the new token")
	if !q.is2026 {
		p.add("json.expires-ts.fixed", "expires_ts is unchanged by reads and writes",
			exp1 == exp0 && exp2 == exp0, joinObs(cr, g), fmt.Sprintf("expires_ts %d, then %d, then %d", exp0, exp1, exp2))
	} else {
		p.add("json.expires-in.fixed", "writes do not extend the lifetime (expires_in_ms only counts down)",
			exp2 <= exp0 && exp1 <= exp0, joinObs(cr, g), fmt.Sprintf("expires_in_ms %d, then %d, then %d", exp0, exp1, exp2))
	}

	o = q.put(sess, tok0, "stale write")
	p.add("json.put.stale", fmt.Sprintf("PUT with a stale sequence_token and other data -> 409 %s", keys(q.conflictCodes)),
		o.Status == 409 && q.conflictCodes[o.errcode()], o.String(), "want 409 with the concurrent-write errcode")
	g = p.do("GET", sess, nil, nil)
	gm3, _ := g.jsonObject()
	p.add("json.put.stale.unchanged", "a refused stale PUT leaves payload and token as they were",
		field(gm3, "data") == "second" && field(gm3, "sequence_token") == tok1, g.String(), "the payload or token changed")

	if q.is2026 && p.txn {
		// Retry the accepted write of "second" under its transaction ID: the
		// recorded outcome comes back and nothing changes.
		b, _ := json.Marshal(map[string]any{"sequence_token": tok0, "data": "second"})
		o = p.do("PUT", sess+"/probe.1", js, b)
		om, _ := o.jsonObject()
		g := p.do("GET", sess, nil, nil)
		gm, _ := g.jsonObject()
		p.add("json.put.idempotent", "2026 (later revision): a PUT retried with the same transaction ID -> the recorded answer (200, the token it gave), no change",
			o.Status == 200 && field(om, "sequence_token") == tok1 && field(gm, "sequence_token") == tok1, joinObs(o, g),
			"want 200 with the first answer's token and no new write")
	}
	if q.is2026 {
		if !p.txn {
			o = q.put(sess, tok0, "second")
			om, _ := o.jsonObject()
			p.add("json.put.idempotent", "2026: PUT with a stale token and byte-identical data -> 200 with the current token, no change",
				o.Status == 200 && field(om, "sequence_token") == tok1, o.String(), "want 200 with the current token")
		}
		o = p.do("GET", p.prefix, nil, nil)
		dm, _ := o.jsonObject()
		_, isBool := dm["create_available"].(bool)
		p.add("json.discovery", `2026: GET {prefix} -> 200 {"create_available": bool}`,
			o.Status == 200 && isBool, o.String(), "want 200 with a boolean create_available")
		o = p.do("GET", sess, map[string]string{"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}, nil)
		p.add("json.navigation", "2026: a top-level browser navigation to a session (Sec-Fetch-*) -> 403 M_FORBIDDEN",
			o.Status == 403 && o.errcode() == "M_FORBIDDEN", o.String(), "want 403 M_FORBIDDEN")
	}

}

// badData checks token uniqueness and the refusal of malformed or
// oversized data on session sess.
func (q *jsonProbe) badData(sess string) {
	p, js := q.p, jsonContent
	// The sequence token changes on every successful write, identical data
	// included (the texts' rule; Synapse's 2025 content hash breaks it).
	g := p.do("GET", sess, nil, nil)
	gm4, _ := g.jsonObject()
	cur := field(gm4, "sequence_token")
	a := q.put(sess, cur, "same")
	am, _ := a.jsonObject()
	b := q.put(sess, field(am, "sequence_token"), "same")
	bm, _ := b.jsonObject()
	p.add("json.token-unique", "the sequence token changes on every successful write, identical data included",
		a.Status == 200 && b.Status == 200 && field(am, "sequence_token") != field(bm, "sequence_token"), joinObs(a, b),
		"two writes of the same data got the same token, or a write failed")
	cur = field(bm, "sequence_token")
	if cur == "" {
		cur = field(am, "sequence_token")
	}

	for _, bad := range []struct {
		name string
		v    any
		raw  string
	}{{"number", nil, `42`}, {"list", nil, `["a"]`}, {"object", nil, `{"a":"b"}`}, {"null", nil, `null`}} {
		body := []byte(`{"data":` + bad.raw + `}`)
		h := map[string]string{"Content-Type": "application/json"}
		if p.auth != "" {
			h["Authorization"] = p.auth
		}
		o := p.do("POST", p.prefix, h, body)
		p.add("json.create.data-"+bad.name, fmt.Sprintf("POST with data a %s -> 400 M_INVALID_PARAM", bad.name),
			o.Status == 400 && o.errcode() == "M_INVALID_PARAM", o.String(), "want 400 M_INVALID_PARAM")
		p.cleanup(o)
		pu := sess
		if p.txn {
			q.txns++
			pu = sess + "/probe." + strconv.Itoa(q.txns)
		}
		o = p.do("PUT", pu, js, []byte(`{"sequence_token":`+strconv.Quote(cur)+`,"data":`+bad.raw+`}`))
		p.add("json.put.data-"+bad.name, fmt.Sprintf("PUT with data a %s -> 400 M_INVALID_PARAM", bad.name),
			o.Status == 400 && o.errcode() == "M_INVALID_PARAM", o.String(), "want 400 M_INVALID_PARAM")
	}
	big := strings.Repeat("a", 4097)
	o, _ := p.createRaw(big)
	p.add("json.create.too-large", "POST with data of 4097 bytes -> 413 M_TOO_LARGE",
		o.Status == 413 && o.errcode() == "M_TOO_LARGE", o.String(), "want 413 M_TOO_LARGE")
	p.cleanup(o)
	o = q.put(sess, cur, big)
	p.add("json.put.too-large", "PUT with data of 4097 bytes -> 413 M_TOO_LARGE",
		o.Status == 413 && o.errcode() == "M_TOO_LARGE", o.String(), "want 413 M_TOO_LARGE")
	o = q.put(sess, cur, big[:4096])
	p.add("json.put.limit", "PUT with data of exactly 4096 bytes -> 200",
		o.Status == 200, o.String(), "want 200")

}

// createRaw posts {"data": data} with the creation credentials.
func (p *prober) createRaw(data string) (*observation, string) {
	u, o := p.create(data)
	return o, u
}

func keys(m map[string]bool) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, " or ")
}

// opaqueID checks the 2026 opaque identifier grammar.
func opaqueID(s string) bool {
	if len(s) == 0 || len(s) > 255 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '~' || c == '-') {
			return false
		}
	}
	return true
}

// lifetime reads how long a session has left from its create response, or
// 0 when the response does not say.
func (p *prober) lifetime(cr *observation) time.Duration {
	if p.fl == rendezvous.FlavourETag {
		t, err := http.ParseTime(cr.Header.Get("Expires"))
		if err != nil {
			return 0
		}
		return time.Until(t)
	}
	m, _ := cr.jsonObject()
	if p.fl == rendezvous.FlavourSequenceToken {
		if n, ok := m["expires_in_ms"].(json.Number); ok {
			v, _ := n.Int64()
			return time.Duration(v) * time.Millisecond
		}
		return 0
	}
	if n, ok := m["expires_ts"].(json.Number); ok {
		v, _ := n.Int64()
		return time.Until(time.UnixMilli(v))
	}
	return 0
}

// expiry waits until a session's announced expiry and checks it is gone.
func (p *prober) expiry() {
	const id, spec = "expiry", "a session is gone (404 M_NOT_FOUND) once its lifetime passed"
	if p.opts.WaitExpiry <= 0 {
		p.skip(id, spec, "not asked for (--wait-expiry D)")
		return
	}
	sess, cr := p.create("short-lived")
	if sess == "" {
		p.add(id, spec, false, cr.String(), "could not create")
		return
	}
	defer p.do("DELETE", sess, nil, nil)
	left := p.lifetime(cr)
	if left <= 0 {
		left = time.Second
	}
	if left > p.opts.WaitExpiry {
		p.skip(id, spec, fmt.Sprintf("the session lives %v more, beyond --wait-expiry %v", left.Round(time.Second), p.opts.WaitExpiry))
		return
	}
	// Synapse-like servers announce a whole-second Expires; allow for it.
	select {
	case <-time.After(left + 1100*time.Millisecond):
	case <-p.ctx.Done():
		p.skip(id, spec, "cancelled")
		return
	}
	o := p.do("GET", sess, nil, nil)
	p.add(id, spec, o.Status == 404 && o.errcode() == "M_NOT_FOUND", o.String(),
		fmt.Sprintf("still there %v after the announced expiry", 1100*time.Millisecond))
}

// hardCap fills the store past its hard cap and checks that the oldest
// session went.
func (p *prober) hardCap() {
	const id, spec = "hard-cap", "at the hard cap, a create evicts the oldest session at once"
	n := p.opts.HardCap
	if n <= 0 {
		p.skip(id, spec, "not asked for (--hard-cap N)")
		return
	}
	first, o := p.create("oldest")
	if first == "" {
		p.add(id, spec, false, o.String(), "could not create")
		return
	}
	made := []string{first}
	for i := 0; i < n; i++ {
		u, o := p.create("filler " + strconv.Itoa(i))
		if u == "" {
			p.add(id, spec, false, o.String(), fmt.Sprintf("create %d of %d failed", i+2, n+1))
			break
		}
		made = append(made, u)
	}
	g := p.do("GET", first, nil, nil)
	last := p.do("GET", made[len(made)-1], nil, nil)
	p.add(id, spec, g.Status == 404 && last.Status == 200, joinObs(g, last),
		fmt.Sprintf("after %d creates the oldest session answers %d", len(made), g.Status))
	for _, u := range made {
		p.do("DELETE", u, nil, nil)
	}
}

// Summary counts the results.
func Summary(cs []Check) (pass, fail, skip int) {
	for _, c := range cs {
		switch c.Result {
		case Pass:
			pass++
		case Fail:
			fail++
		default:
			skip++
		}
	}
	return
}
