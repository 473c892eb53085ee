package oauth

import (
	"fmt"
	"io"
	"net/url"
	"strings"

	"qrlab/model/wire"
)

// GrantState is where a device authorization grant stands. Every grant is
// in exactly one state; the transitions are
//
//	pending  -> approved  (the user allowed it on the consent page)
//	pending  -> denied    (the user refused it)
//	approved -> consumed  (a poll exchanged the device code for tokens)
//	pending, approved, denied -> expired (a request saw it past its lifetime)
//
// Consumed and expired are final. Expiry is recorded when a request (a poll,
// the link page, the consent page, a sweep) first sees the grant past its
// lifetime; EffectiveState tells the state at any time without changing it.
type GrantState uint8

// The grant states.
const (
	GrantPending GrantState = iota + 1
	GrantApproved
	GrantDenied
	GrantExpired
	GrantConsumed
)

// String names the state as traces print it.
func (s GrantState) String() string {
	switch s {
	case GrantPending:
		return "pending"
	case GrantApproved:
		return "approved"
	case GrantDenied:
		return "denied"
	case GrantExpired:
		return "expired"
	case GrantConsumed:
		return "consumed"
	}
	return "state(?)"
}

// Grant is one device authorization grant: the codes, the request it
// answers, and what became of it.
type Grant struct {
	// ID names the grant in the consent page's URL.
	ID string
	// DeviceCode is the secret the polling device holds.
	DeviceCode string
	// UserCode is the code the user confirms, as issued (hyphens included).
	UserCode string
	// ClientID is the client that asked.
	ClientID string
	// Scope is the requested scope, as sent.
	Scope string
	// DeviceID is the Matrix device ID named by the device scope.
	DeviceID string
	// APIScope says whether the scope grants the client-server API.
	APIScope bool
	// State is the recorded state.
	State GrantState
	// CreatedAt and ExpiresAt bound the grant's life: usable while
	// now <= ExpiresAt.
	CreatedAt, ExpiresAt Millis
	// Interval is the polling interval the device must now keep: the
	// announced one plus SlowDownStep for every slow_down sent.
	Interval Millis
	// Polls counts token requests for this device code; LastPoll is the
	// time of the latest one (valid when Polls > 0).
	Polls    int
	LastPoll Millis
	// SlowDowns counts slow_down answers.
	SlowDowns int
	// UserID is the account that approved or denied; DecidedAt is when.
	UserID    string
	DecidedAt Millis
	// AccessToken is the token issued when the grant was consumed.
	AccessToken string

	userKey string // index key of UserCode
}

// EffectiveState is the grant's state at now, counting expiry that no
// request has recorded yet.
func (g *Grant) EffectiveState(now Millis) GrantState {
	if now > g.ExpiresAt && (g.State == GrantPending || g.State == GrantApproved || g.State == GrantDenied) {
		return GrantExpired
	}
	return g.State
}

// Client is a client the provider knows: registered dynamically, or static.
type Client struct {
	// ID is the client_id.
	ID string
	// Name and URI are the registered client_name and client_uri.
	Name, URI string
	// GrantTypes are the grant types it registered (all, for static
	// clients).
	GrantTypes []string
	// Static marks a client of Config.StaticClients or one accepted
	// without registration.
	Static bool
}

func (c *Client) allows(gt string) bool {
	if c.Static {
		return true
	}
	for _, g := range c.GrantTypes {
		if g == gt {
			return true
		}
	}
	return false
}

// TokenInfo is what introspection tells about an access token.
type TokenInfo struct {
	// Active: the token exists, is not revoked and has not expired.
	Active bool
	// Expired and Revoked say why a known token is not active.
	Expired, Revoked bool
	// UserID and DeviceID are what the token is bound to.
	UserID, DeviceID string
	// ClientID is the client it was issued to.
	ClientID string
	// Scope is the granted scope.
	Scope string
	// APIScope says whether the scope grants the client-server API.
	APIScope bool
	// IssuedAt and ExpiresAt bound its life.
	IssuedAt, ExpiresAt Millis
}

// Issuance records one access token handed out, in order, so that a
// homeserver can learn of new devices the moment tokens are issued (as MAS
// provisions them).
type Issuance struct {
	// At is when the token was issued.
	At Millis
	// UserID and DeviceID are what it is bound to.
	UserID, DeviceID string
	// AccessToken is the token.
	AccessToken string
	// Refreshed marks a token from the refresh_token grant.
	Refreshed bool
}

// token is one access/refresh token pair.
type token struct {
	info        TokenInfo
	access      string
	refresh     string
	refreshUsed bool
}

// EffectKind names something that happened in the provider.
type EffectKind uint8

// The effects traces and invariant monitors are told about.
const (
	// EffectGrantCreated: a device authorization request was granted codes.
	EffectGrantCreated EffectKind = iota + 1
	// EffectPending: a poll was answered authorization_pending.
	EffectPending
	// EffectSlowDown: a poll was answered slow_down.
	EffectSlowDown
	// EffectApproved: the user allowed the grant.
	EffectApproved
	// EffectDenied: the user refused the grant.
	EffectDenied
	// EffectExpired: a grant was first seen past its lifetime.
	EffectExpired
	// EffectDeniedPoll: a poll was answered with the refusal error.
	EffectDeniedPoll
	// EffectExpiredPoll: a poll was answered expired_token.
	EffectExpiredPoll
	// EffectTokenIssued: a poll exchanged an approved grant for tokens.
	EffectTokenIssued
	// EffectCodeReused: a poll presented a consumed device code.
	EffectCodeReused
	// EffectUnknownCode: a poll presented a device code never issued.
	EffectUnknownCode
	// EffectRefreshed: a refresh token was exchanged.
	EffectRefreshed
	// EffectRevoked: a token was revoked.
	EffectRevoked
	// EffectClientRegistered: a client registered.
	EffectClientRegistered
	// EffectCodeMatched: a user code typed on the link page found a grant.
	EffectCodeMatched
	// EffectCodeRejected: a user code typed on the link page found none.
	EffectCodeRejected
	// EffectRateLimited: the link page refused a code over the limit.
	EffectRateLimited
)

var effectNames = [...]string{
	EffectGrantCreated:     "grant-created",
	EffectPending:          "pending",
	EffectSlowDown:         "slow-down",
	EffectApproved:         "approved",
	EffectDenied:           "denied",
	EffectExpired:          "expired",
	EffectDeniedPoll:       "denied-poll",
	EffectExpiredPoll:      "expired-poll",
	EffectTokenIssued:      "token-issued",
	EffectCodeReused:       "code-reused",
	EffectUnknownCode:      "unknown-code",
	EffectRefreshed:        "refreshed",
	EffectRevoked:          "revoked",
	EffectClientRegistered: "client-registered",
	EffectCodeMatched:      "code-matched",
	EffectCodeRejected:     "code-rejected",
	EffectRateLimited:      "rate-limited",
}

// String returns the effect's name as traces print it.
func (k EffectKind) String() string {
	if int(k) < len(effectNames) && effectNames[k] != "" {
		return effectNames[k]
	}
	return "effect(?)"
}

// Effect is one thing that happened, for traces and monitors.
type Effect struct {
	// Kind is what happened.
	Kind EffectKind
	// Grant is the grant's ID (empty when there is none).
	Grant string
	// User is the account involved (the approver, the token's user).
	User string
	// Device is the Matrix device ID involved.
	Device string
	// Client is the client involved.
	Client string
}

// Session is the browser side of a page request: which account is logged in
// at the provider in that browser (empty: nobody) and which browser it is
// (the key of the link page's attempt limit).
type Session struct {
	UserID  string
	Browser string
}

// Server is the authorization server: its grants, clients and tokens. It is
// a plain value driven by one goroutine; a real server wraps it in a mutex.
type Server struct {
	cfg     Config
	rand    sampler
	scratch []byte
	now     Millis

	issuer   string // without the trailing "/"
	basePath string // path of the issuer, ending in "/"

	grants  map[string]*Grant // by device code
	byID    map[string]*Grant
	byUser  map[string]*Grant // pending grants by user-code key
	order   []*Grant          // creation order
	clients map[string]*Client
	access  map[string]*token
	refresh map[string]*token
	issued  []Issuance
	tries   map[string]int // link-page attempts per browser

	metadata      []byte
	pollBodies    map[string][]byte
	verifyURI     string
	verifyURIBase string // verification URI followed by "?code="
}

// New makes a provider with no grants. rnd supplies every random byte (codes,
// tokens, client and grant IDs); the same configuration, stream and
// requests give the same responses, byte for byte.
func New(cfg Config, rnd io.Reader) (*Server, error) {
	p, err := Prepare(cfg)
	if err != nil {
		return nil, err
	}
	return p.New(rnd)
}

// Prepared is a checked configuration with what follows from it alone (its
// URLs, the metadata document, the token endpoint's error bodies), worked
// out once for the many providers made from it. It is never changed after
// Prepare.
type Prepared struct {
	cfg                      Config
	issuer, basePath         string
	verifyURI, verifyURIBase string
	metadata                 []byte
	pollCodes                []string
	pollBodies               [][]byte
}

// Prepare checks cfg and works out what every provider made from it shares.
func Prepare(cfg Config) (*Prepared, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.StaticClients = append([]string(nil), cfg.StaticClients...)
	u, _ := url.Parse(cfg.Issuer) // checked by Validate
	s := &Server{cfg: cfg, issuer: strings.TrimSuffix(cfg.Issuer, "/"), basePath: u.Path}
	s.verifyURI = s.URL(PathLink)
	s.verifyURIBase = s.verifyURI + "?code="
	p := &Prepared{cfg: cfg, issuer: s.issuer, basePath: s.basePath, verifyURI: s.verifyURI, verifyURIBase: s.verifyURIBase,
		metadata: s.buildMetadata()}
	for _, code := range []string{ErrorAuthorizationPending, ErrorSlowDown, cfg.DeniedError, ErrorExpiredToken} {
		p.pollCodes = append(p.pollCodes, code)
		p.pollBodies = append(p.pollBodies, errorBody(code, describe(code)))
	}
	return p, nil
}

// New makes a provider with no grants from the prepared configuration, as
// the package's New does.
func (p *Prepared) New(rnd io.Reader) (*Server, error) {
	if rnd == nil {
		return nil, fmt.Errorf("%w: the random stream is nil", ErrConfig)
	}
	s := &Server{
		cfg:           p.cfg,
		rand:          sampler{rnd: rnd},
		issuer:        p.issuer,
		basePath:      p.basePath,
		grants:        make(map[string]*Grant),
		byID:          make(map[string]*Grant),
		byUser:        make(map[string]*Grant),
		clients:       make(map[string]*Client),
		access:        make(map[string]*token),
		refresh:       make(map[string]*token),
		tries:         make(map[string]int),
		metadata:      p.metadata,
		pollBodies:    make(map[string][]byte, len(p.pollCodes)),
		verifyURI:     p.verifyURI,
		verifyURIBase: p.verifyURIBase,
	}
	for _, id := range p.cfg.StaticClients {
		s.clients[id] = &Client{ID: id, Static: true}
	}
	for i, code := range p.pollCodes {
		s.pollBodies[code] = p.pollBodies[i]
	}
	return s, nil
}

// Config returns the configuration the provider runs with.
func (s *Server) Config() Config { return s.cfg }

// URL returns the absolute URL of an endpoint path relative to the issuer
// (one of the Path constants).
func (s *Server) URL(rel string) string { return s.issuer + "/" + rel }

// Issuer returns the issuer identifier, as configured (with its trailing
// "/").
func (s *Server) Issuer() string { return s.cfg.Issuer }

// Metadata returns the authorization server metadata document (RFC 8414),
// the body a homeserver serves at /_matrix/client/v1/auth_metadata. It is
// shared: never modify it.
func (s *Server) Metadata() []byte { return s.metadata }

// Grant returns a copy of the grant with this device code.
func (s *Server) Grant(deviceCode string) (Grant, bool) {
	g, ok := s.grants[deviceCode]
	if !ok {
		return Grant{}, false
	}
	return *g, true
}

// GrantByID returns a copy of the grant with this consent-page ID.
func (s *Server) GrantByID(id string) (Grant, bool) {
	g, ok := s.byID[id]
	if !ok {
		return Grant{}, false
	}
	return *g, true
}

// Grants returns copies of every grant still held, in creation order.
func (s *Server) Grants() []Grant {
	out := make([]Grant, len(s.order))
	for i, g := range s.order {
		out[i] = *g
	}
	return out
}

// Client returns a copy of a known client.
func (s *Server) Client(id string) (Client, bool) {
	c, ok := s.clients[id]
	if !ok {
		return Client{}, false
	}
	cp := *c
	cp.GrantTypes = append([]string(nil), c.GrantTypes...)
	return cp, true
}

// Issuances returns the token issuances from index from on (0: all), in
// order. A homeserver keeps the count it has seen and asks for the rest.
// The slice is shared: never modify it.
func (s *Server) Issuances(from int) []Issuance {
	if from < 0 || from >= len(s.issued) {
		return nil
	}
	return s.issued[from:]
}

// IssuanceCount returns how many tokens were issued so far.
func (s *Server) IssuanceCount() int { return len(s.issued) }

// Introspect tells what an access token is worth at now (RFC 7662 in
// spirit): the homeserver's view of a token it was handed.
func (s *Server) Introspect(now Millis, accessToken string) (TokenInfo, bool) {
	t, ok := s.access[accessToken]
	if !ok {
		return TokenInfo{}, false
	}
	info := t.info
	info.Expired = now > info.ExpiresAt
	info.Active = !info.Revoked && !info.Expired
	return info, true
}

// Sweep forgets grants that ended (expired, consumed or denied) before
// now - keep, so that a long simulation does not grow without bound. A
// forgotten device code is then unknown (invalid_grant).
func (s *Server) Sweep(now Millis, keep Millis) []Effect {
	now = s.clock(now)
	var fx []Effect
	out := s.order[:0]
	for _, g := range s.order {
		st := g.EffectiveState(now)
		if st != g.State {
			fx = s.expire(g, fx)
		}
		if st != GrantPending && st != GrantApproved && g.ExpiresAt < now-keep {
			delete(s.grants, g.DeviceCode)
			delete(s.byID, g.ID)
			if s.byUser[g.userKey] == g {
				delete(s.byUser, g.userKey)
			}
			continue
		}
		out = append(out, g)
	}
	for i := len(out); i < len(s.order); i++ {
		s.order[i] = nil
	}
	s.order = out
	return fx
}

// clock keeps time from going back: a request stamped before the latest one
// is taken to happen at the latest one's time.
func (s *Server) clock(now Millis) Millis {
	if now < s.now {
		return s.now
	}
	s.now = now
	return now
}

// expire records that g is past its lifetime.
func (s *Server) expire(g *Grant, fx []Effect) []Effect {
	if g.State != GrantPending && g.State != GrantApproved && g.State != GrantDenied {
		return fx
	}
	g.State = GrantExpired
	if s.byUser[g.userKey] == g {
		delete(s.byUser, g.userKey)
	}
	return append(fx, Effect{Kind: EffectExpired, Grant: g.ID, Device: g.DeviceID, Client: g.ClientID})
}

// Handle answers one request of a machine client (the new device): metadata,
// registration, device authorization, token, revocation. Browser pages work
// too, as seen by a browser where nobody is logged in.
func (s *Server) Handle(now Millis, req *Request) (Response, []Effect) {
	resp, _, fx := s.BrowseAppend(now, req, Session{}, nil)
	return resp, fx
}

// HandleAppend is Handle appending its effects to fx, so that a caller that
// reuses one effects buffer allocates nothing for them.
func (s *Server) HandleAppend(now Millis, req *Request, fx []Effect) (Response, []Effect) {
	resp, _, fx := s.BrowseAppend(now, req, Session{}, fx)
	return resp, fx
}

// Browse answers one request from a browser with session sess, and also
// returns what a page shows as structured data (PageNone for non-page
// endpoints), so a simulated user can read it without parsing HTML.
func (s *Server) Browse(now Millis, req *Request, sess Session) (Response, Page, []Effect) {
	return s.BrowseAppend(now, req, sess, nil)
}

// BrowseAppend is Browse appending its effects to fx.
func (s *Server) BrowseAppend(now Millis, req *Request, sess Session, fx []Effect) (Response, Page, []Effect) {
	now = s.clock(now)
	path, query := SplitPath(req.Path)
	if !strings.HasPrefix(path, s.basePath) {
		return notFound(), Page{}, fx
	}
	rel := path[len(s.basePath):]
	switch rel {
	case PathToken:
		if req.Method != "POST" {
			return methodNotAllowed("POST"), Page{}, fx
		}
		r, fx := s.tokenEndpoint(now, req, fx)
		return r, Page{}, fx
	case PathDeviceAuthorization:
		if req.Method != "POST" {
			return methodNotAllowed("POST"), Page{}, fx
		}
		r, fx := s.deviceAuthorization(now, req, fx)
		return r, Page{}, fx
	case PathOpenIDConfiguration, PathASMetadata:
		if req.Method != "GET" && req.Method != "HEAD" {
			return methodNotAllowed("GET"), Page{}, fx
		}
		return Response{Status: 200, Header: wire.JSONHeader(), Body: s.metadata}, Page{}, fx
	case PathRegistration:
		if !s.cfg.DynamicRegistration {
			return notFound(), Page{}, fx
		}
		if req.Method != "POST" {
			return methodNotAllowed("POST"), Page{}, fx
		}
		r, fx := s.register(now, req, fx)
		return r, Page{}, fx
	case PathRevocation:
		if req.Method != "POST" {
			return methodNotAllowed("POST"), Page{}, fx
		}
		r, fx := s.revoke(req, fx)
		return r, Page{}, fx
	case PathAuthorization:
		// Advertised (Matrix clients insist on the authorization code
		// grant's metadata) but not modelled.
		return s.errorPage(400, "The authorization code grant is not modelled by this provider."), Page{Kind: PageError, Error: "not-modelled"}, fx
	case PathLink:
		switch req.Method {
		case "GET", "HEAD":
			return s.linkPage(now, req, query, sess, fx)
		case "POST":
			return s.linkPage(now, req, "", sess, fx)
		}
		return methodNotAllowed("GET, POST"), Page{}, fx
	}
	if id, ok := strings.CutPrefix(rel, PathConsent); ok && id != "" && !strings.Contains(id, "/") {
		switch req.Method {
		case "GET", "HEAD":
			return s.consentPage(now, id, sess, fx)
		case "POST":
			return s.consentDecision(now, req, id, sess, fx)
		}
		return methodNotAllowed("GET, POST"), Page{}, fx
	}
	return notFound(), Page{}, fx
}

// errorBody is an OAuth error response body.
func errorBody(code, description string) []byte {
	b := make([]byte, 0, 48+len(code)+len(description))
	b = append(b, `{"error":`...)
	b = AppendJSONString(b, code)
	if description != "" {
		b = append(b, `,"error_description":`...)
		b = AppendJSONString(b, description)
	}
	return append(b, '}')
}

// describe is the fixed description of the polling errors.
func describe(code string) string {
	switch code {
	case ErrorAuthorizationPending:
		return "The user has not yet approved the request."
	case ErrorSlowDown:
		return "Polling too fast: wait longer between requests."
	case ErrorAccessDenied, ErrorAuthorizationDeclined:
		return "The user refused the request."
	case ErrorExpiredToken:
		return "The device code has expired."
	}
	return ""
}

// oauthError is an error response of the token-style endpoints.
func oauthError(status int, code, description string) Response {
	return Response{Status: status, Header: headerJSONNoStore, Body: errorBody(code, description)}
}

func notFound() Response {
	return oauthError(404, "not_found", "No such endpoint.")
}

func methodNotAllowed(allow string) Response {
	return Response{
		Status: 405,
		Header: wire.NewHeader("Content-Type", ContentTypeJSON, "Allow", allow),
		Body:   errorBody(ErrorInvalidRequest, "Method not allowed; use "+allow+"."),
	}
}
