// Package live puts the lab's pure models behind a real HTTP listener and
// drives real servers with the model's clients: the edge of the lab where
// wall clocks, sockets, goroutines and crypto/rand live.
//
// Server (simrun serve) is a net/http handler over one model/rendezvous
// store, one model/oauth provider and one model/homeserver, all built from a
// design variant. Every request is converted to the model's request type,
// handled under one mutex with the wall clock in milliseconds since the Unix
// epoch, and its response written back byte for byte. The models never see a
// goroutine.
//
// Probe (simrun probe) checks a real homeserver's rendezvous API against the
// behaviour list of the project's MSC4108 notes, section 2, and runs the
// model's two devices through a secure-channel handshake over it.
package live

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"qrlab/model/homeserver"
	"qrlab/model/oauth"
	"qrlab/model/rendezvous"
	"qrlab/model/variant"
	"qrlab/model/wire"
	"qrlab/sim"
)

// The test user of --auth authenticated (and of every homeserver endpoint
// that needs an access token): its access token is fixed and documented, so
// a client under test can create sessions and call whoami without a login.
const (
	// TestUserLocalpart is the localpart of the test user; its user ID is
	// @tester:<server name of the variant's homeserver preset>.
	TestUserLocalpart = "tester"
	// TestDeviceID is the test user's signed-in device.
	TestDeviceID = "SIMRUNTESTER"
	// TestAccessToken is the test user's access token.
	TestAccessToken = "simrun-test-token"
)

// OPPath is where the authorization server lives on the listener: its issuer
// is <base URL>/oauth/.
const OPPath = "/oauth/"

// DefaultMaxBodyBytes bounds every request body (rendezvous payloads are
// limited to 4096 bytes by the store itself; this bounds what is read at
// all).
const DefaultMaxBodyBytes = 64 << 10

// AuthMode is the rendezvous creation policy of --auth.
type AuthMode string

// The values of --auth.
const (
	AuthOff           AuthMode = "off"
	AuthPublic        AuthMode = "public"
	AuthAuthenticated AuthMode = "authenticated"
)

// ParseAuthMode reads a value of --auth.
func ParseAuthMode(s string) (AuthMode, error) {
	switch m := AuthMode(s); m {
	case AuthOff, AuthPublic, AuthAuthenticated:
		return m, nil
	}
	return "", fmt.Errorf("unknown auth mode %q (want off, public or authenticated)", s)
}

// Options configure a Server. The zero values keep the variant's settings.
type Options struct {
	// Variant is the design variant whose rendezvous, provider and
	// homeserver presets are served.
	Variant variant.Variant
	// TTL overrides the rendezvous session lifetime (0: the preset's).
	TTL time.Duration
	// SoftCap and HardCap override the store's caps (negative: the
	// preset's; 0: no cap).
	SoftCap, HardCap int
	// SweepInterval overrides how often the store's periodic sweep runs
	// (0: the preset's, 60 s).
	SweepInterval time.Duration
	// Auth is the creation policy ("": public).
	Auth AuthMode
	// MaxBodyBytes bounds request bodies (0: DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// Trace, when set, receives one JSON line per exchange and per sweep
	// effect, in the simulator's trace event shape.
	// Trace is written synchronously, under a lock: for a writer that may
	// be slow or closed (a pipe), use Log instead.
	Trace io.Writer
	// Log, when set, receives the same events without ever blocking a
	// request (see Log); it is used instead of Trace.
	Log *Log
	// ShutdownGrace is how long Serve waits for open requests once asked
	// to stop, before it closes their connections (0: 5 s).
	ShutdownGrace time.Duration
	// Now is the wall clock (nil: time.Now).
	Now func() time.Time
	// Rand supplies session IDs, codes, tokens and keys (nil: crypto/rand).
	Rand io.Reader
}

// Server serves the models over HTTP. Build it with New once the listener's
// address (and so the base URL) is known.
type Server struct {
	mu    sync.Mutex
	store *rendezvous.Store
	op    *oauth.Server
	hs    *homeserver.Server

	rcfg        rendezvous.Config
	base        string // http(s)://host:port, no trailing slash
	httpsOrigin []byte // the provider's issuer origin as the model insists on writing it
	origin      []byte // base, as clients reach it
	testUser    string
	testID      *homeserver.Identity
	maxBody     int64
	now         func() time.Time
	start       time.Time

	traceMu sync.Mutex
	trace   io.Writer
	enc     *json.Encoder
	log     *Log
	grace   time.Duration

	stop     chan struct{}
	stopOnce sync.Once
	done     chan struct{}
}

// RendezvousConfig builds the store configuration the server runs with: the
// variant's preset, served at the stable path and the flavour's unstable
// path, with the options' overrides. warn says why a value is outside what
// the texts allow (a TTL outside 120-300 s), or is empty.
func RendezvousConfig(opts Options, base string) (cfg rendezvous.Config, warn string, err error) {
	cfg, err = opts.Variant.RendezvousConfig()
	if err != nil {
		return cfg, "", err
	}
	cfg.BaseURL = base
	cfg.Prefixes = []string{rendezvous.StablePrefix, UnstablePrefix(cfg.Flavour)}
	if cfg.Flavour == rendezvous.FlavourETag {
		// The CORS lines the 2024 text lists (ETag exposed, the conditional
		// headers allowed), whatever the preset ships: browsers are among
		// the clients this server is for.
		cfg.CORS = rendezvous.CORS2024Text
	}
	if opts.TTL != 0 {
		if opts.TTL < time.Millisecond {
			return cfg, "", fmt.Errorf("rendezvous TTL %v must be at least 1ms", opts.TTL)
		}
		cfg.TTL = rendezvous.Millis(opts.TTL.Milliseconds())
		if cfg.TTL < rendezvous.MinTTL2026 || cfg.TTL > rendezvous.MaxTTL2026 {
			warn = fmt.Sprintf("rendezvous TTL %v is outside the MSC's 120-300 s", opts.TTL)
			cfg.AllowTTLOutOfRange = true
		}
	}
	if opts.SoftCap >= 0 {
		cfg.SoftCap = opts.SoftCap
	}
	if opts.HardCap >= 0 {
		cfg.HardCap = opts.HardCap
	}
	if opts.SweepInterval != 0 {
		if opts.SweepInterval < time.Millisecond {
			return cfg, "", fmt.Errorf("sweep interval %v must be at least 1ms", opts.SweepInterval)
		}
		cfg.SweepInterval = rendezvous.Millis(opts.SweepInterval.Milliseconds())
	}
	switch opts.Auth {
	case "", AuthPublic:
		cfg.Access = rendezvous.AccessPublic
	case AuthAuthenticated:
		cfg.Access = rendezvous.AccessAuthenticated
	case AuthOff:
		cfg.Access = rendezvous.AccessOff
	default:
		return cfg, "", fmt.Errorf("unknown auth mode %q (want off, public or authenticated)", opts.Auth)
	}
	if err := cfg.Validate(); err != nil {
		return cfg, "", err
	}
	return cfg, warn, nil
}

// UnstablePrefix is the unstable path of a flavour's rendezvous API.
func UnstablePrefix(f rendezvous.Flavour) string {
	switch f {
	case rendezvous.FlavourETag:
		return rendezvous.UnstablePrefix2024
	case rendezvous.FlavourSequenceToken2025:
		return rendezvous.UnstablePrefix2025
	}
	return rendezvous.UnstablePrefix2026
}

// FeatureFlag is the /versions unstable feature of a flavour.
func FeatureFlag(f rendezvous.Flavour) string {
	switch f {
	case rendezvous.FlavourETag:
		return homeserver.FeatureMSC4108
	case rendezvous.FlavourSequenceToken2025:
		return homeserver.FeatureMSC4108v2025
	}
	return homeserver.FeatureMSC4388
}

// New builds a server whose clients reach it at base (such as
// http://127.0.0.1:8008). warn is as for RendezvousConfig.
func New(opts Options, base string) (s *Server, warn string, err error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return nil, "", fmt.Errorf("base URL %q must be http(s)://host[:port]", base)
	}
	base = strings.TrimSuffix(base, "/")
	rcfg, warn, err := RendezvousConfig(opts, base)
	if err != nil {
		return nil, "", err
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	rnd := opts.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	start := now()
	store, err := rendezvous.New(rcfg, rendezvous.MillisOf(start), rnd)
	if err != nil {
		return nil, "", err
	}

	// The provider model insists on an https issuer; the listener may be
	// plain http on loopback, so the issuer is written with https and every
	// absolute URL the provider (or the homeserver's auth metadata) sends
	// is rewritten to the origin clients really use.
	ocfg, err := opts.Variant.OAuthConfig()
	if err != nil {
		return nil, "", err
	}
	httpsOrigin := "https://" + u.Host
	ocfg.Issuer = httpsOrigin + OPPath
	ocfg.StaticClients = append(ocfg.StaticClients, "simrun-probe")
	op, err := oauth.New(ocfg, rnd)
	if err != nil {
		return nil, "", err
	}
	hcfg, err := opts.Variant.HomeserverConfig()
	if err != nil {
		return nil, "", err
	}
	flag := FeatureFlag(rcfg.Flavour)
	features := []homeserver.Feature{}
	for _, f := range []string{homeserver.FeatureMSC4108, homeserver.FeatureMSC4108v2025, homeserver.FeatureMSC4388} {
		features = append(features, homeserver.Feature{Name: f, Enabled: f == flag && rcfg.Access != rendezvous.AccessOff})
	}
	hcfg.UnstableFeatures = features
	hs, err := homeserver.New(hcfg, op)
	if err != nil {
		return nil, "", err
	}
	testUser := hs.UserID(TestUserLocalpart)
	id, err := homeserver.NewIdentity(testUser, rnd)
	if err != nil {
		return nil, "", err
	}
	if err := hs.AddIdentity(id); err != nil {
		return nil, "", err
	}
	hs.AddDevice(oauth.Millis(start.UnixMilli()), testUser, TestDeviceID, TestAccessToken)

	s = &Server{
		store: store, op: op, hs: hs,
		rcfg:        rcfg,
		base:        base,
		httpsOrigin: []byte(httpsOrigin),
		origin:      []byte(u.Scheme + "://" + u.Host),
		testUser:    testUser,
		testID:      id,
		maxBody:     opts.MaxBodyBytes,
		now:         now,
		start:       start,
		trace:       opts.Trace,
		log:         opts.Log,
		grace:       opts.ShutdownGrace,
		stop:        make(chan struct{}),
		done:        make(chan struct{}),
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBodyBytes
	}
	if s.grace <= 0 {
		s.grace = 5 * time.Second
	}
	if s.trace != nil && s.log == nil {
		s.enc = json.NewEncoder(s.trace)
	}
	go s.sweeper()
	return s, warn, nil
}

// Close stops the periodic sweeps. The handler keeps answering. It does not
// close Options.Log, which the caller owns.
func (s *Server) Close() {
	s.stopOnce.Do(func() { close(s.stop) })
	<-s.done
}

// BaseURL returns the base URL clients use.
func (s *Server) BaseURL() string { return s.base }

// TestUserID returns the full user ID of the test user.
func (s *Server) TestUserID() string { return s.testUser }

// TestIdentity returns the test user's cross-signing identity (a device
// signed in as the test user hands its seeds over in a login).
func (s *Server) TestIdentity() *homeserver.Identity { return s.testID }

// RendezvousConfig returns the store configuration served.
func (s *Server) RendezvousConfig() rendezvous.Config { return s.rcfg }

// Issuer returns the provider's issuer as clients reach it.
func (s *Server) Issuer() string { return s.base + OPPath }

// sweeper runs the store's periodic sweep on the wall clock.
func (s *Server) sweeper() {
	defer close(s.done)
	every := time.Duration(s.rcfg.SweepInterval) * time.Millisecond
	if every > time.Second {
		every = time.Second // Tick itself runs a sweep only when one is due
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.tick()
		}
	}
}

// tick is one beat of the sweeper: the store runs its periodic sweep if one
// is due at the server's clock, and its effects are traced.
func (s *Server) tick() {
	s.mu.Lock()
	now := s.now()
	fx := s.store.Tick(rendezvous.MillisOf(now))
	s.mu.Unlock()
	for _, f := range fx {
		s.event(now, sim.JSONEvent{Kind: "state", Actor: "HS", Name: "rendezvous " + f.Kind.String(),
			Detail: fmt.Sprintf("session %s writes=%d", f.ID, f.Writes)})
	}
}

// event writes one trace line; t_ms counts from the server's start.
func (s *Server) event(at time.Time, e sim.JSONEvent) {
	if s.log != nil {
		e.At = at.Sub(s.start).Milliseconds()
		s.log.Event(e)
		return
	}
	if s.enc == nil {
		return
	}
	e.At = at.Sub(s.start).Milliseconds()
	s.traceMu.Lock()
	defer s.traceMu.Unlock()
	_ = s.enc.Encode(e)
}

// target is which model answers a path.
type target uint8

const (
	targetHomeserver target = iota
	targetRendezvous
	targetOP
)

func (s *Server) route(path string) target {
	if strings.HasPrefix(path, OPPath) {
		return targetOP
	}
	under := func(p string) bool {
		return path == p || (strings.HasPrefix(path, p) && path[len(p)] == '/')
	}
	for _, p := range s.rcfg.Prefixes {
		if under(p) {
			return targetRendezvous
		}
	}
	if s.rcfg.SessionPrefix != "" && under(s.rcfg.SessionPrefix) {
		return targetRendezvous
	}
	return targetHomeserver
}

// matrixCORS are the Client-Server API's CORS lines, put on every
// homeserver and provider response (the rendezvous store adds its own, in
// the style its configuration names).
var matrixCORS = [][2]string{
	{"Access-Control-Allow-Origin", "*"},
	{"Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS"},
	{"Access-Control-Allow-Headers", "X-Requested-With, Content-Type, Authorization"},
}

// ServeHTTP answers one request from the models.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := s.route(r.URL.Path)
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) && target == targetRendezvous && s.storeRefusesOver(len(body)) {
			// The store refuses a body this long wherever it reads one
			// and ignores it elsewhere: let it answer, as the model does,
			// with one byte past the limit standing for the rest.
			s.serveRendezvous(w, r, append(body, 0))
			return
		}
		status, code, msg := 400, "M_BAD_JSON", "Could not read the request body"
		if errors.As(err, &tooBig) {
			status, code, msg = 413, "M_TOO_LARGE", fmt.Sprintf("Request body over %d bytes", s.maxBody)
		}
		writeMatrixError(w, status, code, msg)
		s.event(s.now(), sim.JSONEvent{Kind: "recv", Actor: "HS", Name: r.Method + " " + r.URL.Path, Status: status,
			Detail: "from " + r.RemoteAddr + ": " + msg})
		return
	}
	if target == targetRendezvous {
		s.serveRendezvous(w, r, body)
		return
	}
	s.serveModel(w, r, body, target)
}

// storeRefusesOver reports whether the store refuses every body longer
// than n bytes that it reads: n reaches both its payload and its JSON body
// limits.
func (s *Server) storeRefusesOver(n int) bool {
	limit := s.rcfg.MaxBodyBytes
	if limit <= 0 {
		limit = 64 << 10
	}
	return n >= s.rcfg.MaxDataBytes && n >= limit
}

func writeMatrixError(w http.ResponseWriter, status int, code, msg string) {
	b, _ := json.Marshal(map[string]string{"errcode": code, "error": msg})
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	for _, f := range matrixCORS {
		h.Set(f[0], f[1])
	}
	w.WriteHeader(status)
	w.Write(b)
}

// requestTarget is the escaped path with the raw query, as the models take
// it.
func requestTarget(r *http.Request) string {
	p := r.URL.EscapedPath()
	if r.URL.RawQuery != "" {
		p += "?" + r.URL.RawQuery
	}
	return p
}

func (s *Server) serveRendezvous(w http.ResponseWriter, r *http.Request, body []byte) {
	h := make(rendezvous.Header, 0, len(r.Header)+1)
	for name, vs := range r.Header {
		for _, v := range vs {
			h = append(h, rendezvous.Field{Name: name, Value: v})
		}
	}
	// A declared length net/http kept out of the header map goes back in:
	// the store checks it against the body as the text asks. A request
	// that declared none gets none (net/http reads its length as 0), so
	// the store refuses it where the text requires the header.
	if _, ok := h.Lookup("Content-Length"); !ok && r.ContentLength > 0 && len(r.TransferEncoding) == 0 {
		h = append(h, rendezvous.Field{Name: "Content-Length", Value: strconv.FormatInt(r.ContentLength, 10)})
	}
	req := &rendezvous.Request{Method: r.Method, Path: requestTarget(r), Header: h, Body: body, Client: r.RemoteAddr}

	s.mu.Lock()
	now := s.now()
	req.Auth = s.authState(now, r)
	resp, fx := s.store.Handle(rendezvous.MillisOf(now), req)
	// The response body may share memory with the stored payload; copy it
	// before another request can change the store.
	resp.Body = append([]byte(nil), resp.Body...)
	s.mu.Unlock()

	for _, f := range resp.Header {
		w.Header().Add(f.Name, f.Value)
	}
	w.WriteHeader(resp.Status)
	if r.Method != "HEAD" {
		w.Write(resp.Body)
	}
	detail := "from " + r.RemoteAddr
	for _, f := range fx {
		detail += fmt.Sprintf("; %s %s writes=%d", f.Kind, f.ID, f.Writes)
	}
	s.event(now, sim.JSONEvent{Kind: "recv", Actor: "HS", Name: "rendezvous " + r.Method + " " + r.URL.Path,
		Status: resp.Status, Bytes: len(body), Detail: detail})
}

// authState finds out what the request's access token is worth by asking
// the homeserver model who it belongs to (the store never sees tokens).
// Called with s.mu held.
func (s *Server) authState(now time.Time, r *http.Request) rendezvous.AuthState {
	v := r.Header.Get("Authorization")
	if v == "" {
		return rendezvous.AuthNone
	}
	resp, _ := s.hs.Handle(oauth.Millis(now.UnixMilli()), &oauth.Request{Method: "GET", Path: homeserver.PathWhoami,
		Header: wire.NewHeader("Authorization", v)})
	switch {
	case resp.Status == 200:
		return rendezvous.AuthValid
	case bytes.Contains(resp.Body, []byte(homeserver.ErrcodeMissingToken)):
		return rendezvous.AuthNone
	}
	return rendezvous.AuthInvalid
}

func (s *Server) serveModel(w http.ResponseWriter, r *http.Request, body []byte, t target) {
	if r.Method == "OPTIONS" {
		for _, f := range matrixCORS {
			w.Header().Set(f[0], f[1])
		}
		w.WriteHeader(204)
		return
	}
	h := make(oauth.Header, 0, len(r.Header))
	for name, vs := range r.Header {
		for _, v := range vs {
			h = append(h, oauth.Field{Name: name, Value: v})
		}
	}
	req := &oauth.Request{Method: r.Method, Path: requestTarget(r), Header: h, Body: body}
	actor := "HS"

	s.mu.Lock()
	now := s.now()
	ms := oauth.Millis(now.UnixMilli())
	var resp oauth.Response
	var detail string
	if t == targetOP {
		actor = "OP"
		// The consent page needs a logged-in browser: every browser is the
		// test user's.
		var page oauth.Page
		var fx []oauth.Effect
		resp, page, fx = s.op.Browse(ms, req, oauth.Session{UserID: s.testUser, Browser: r.RemoteAddr})
		if page.Kind != oauth.PageNone {
			detail = "page " + page.Kind.String()
		}
		for _, f := range fx {
			detail += "; " + f.Kind.String()
		}
	} else {
		var fx []homeserver.Effect
		resp, fx = s.hs.Handle(ms, req)
		for _, f := range fx {
			detail += "; " + f.Kind.String() + " " + f.Device
		}
	}
	out := s.rewrite(resp.Body)
	hdr := make([][2]string, 0, len(resp.Header))
	for _, f := range resp.Header {
		hdr = append(hdr, [2]string{f.Name, string(s.rewrite([]byte(f.Value)))})
	}
	s.mu.Unlock()

	for _, f := range hdr {
		if strings.EqualFold(f[0], "Content-Length") {
			continue
		}
		w.Header().Add(f[0], f[1])
	}
	for _, f := range matrixCORS {
		if w.Header().Get(f[0]) == "" {
			w.Header().Set(f[0], f[1])
		}
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(resp.Status)
	if r.Method != "HEAD" {
		w.Write(out)
	}
	s.event(now, sim.JSONEvent{Kind: "recv", Actor: actor, Name: r.Method + " " + r.URL.Path, Status: resp.Status,
		Bytes: len(body), Detail: "from " + r.RemoteAddr + detail})
}

// rewrite replaces the provider's https issuer origin by the origin clients
// use, in a fresh slice (model bodies are shared and read-only).
func (s *Server) rewrite(b []byte) []byte {
	if bytes.Equal(s.httpsOrigin, s.origin) || !bytes.Contains(b, s.httpsOrigin) {
		return append([]byte(nil), b...)
	}
	return bytes.ReplaceAll(b, s.httpsOrigin, s.origin)
}

// IsLoopback reports whether a listen address binds loopback only.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// connStateHook, when set, sees Serve's connections change state (tests).
var connStateHook func(net.Conn, http.ConnState)

// Serve serves s over HTTP on ln, with bounded header, body and time
// limits, until ctx ends, then shuts down: it stops listening, waits up to
// Options.ShutdownGrace for open requests, and closes the connections still
// open after that. A stop asked for through ctx is not an error: Serve
// returns nil after it, and only the error that ended serving otherwise.
// note, when set, gets one line as the shutdown starts and one for
// connections closed without an answer.
func Serve(ctx context.Context, ln net.Listener, s *Server, note func(string)) error {
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ConnState:         connStateHook,
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	if note != nil {
		note("shutting down")
	}
	sctx, cancel := context.WithTimeout(context.Background(), s.grace)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		// The grace is over: close what is still open. The stop was asked
		// for, so this is no failure.
		hs.Close()
		if note != nil {
			note(fmt.Sprintf("closed the connections still open after %v", s.grace))
		}
	}
	return nil
}
