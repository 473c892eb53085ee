package rendezvous

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"qrlab/model/wire"
)

// session is one rendezvous session. Sessions form a doubly linked list in
// creation order; with one TTL for all and a clock that never goes back,
// that is also expiry order, so sweeps and evictions pop from the head.
type session struct {
	id     string
	data   []byte // never mutated once stored: responses may share it
	writes uint64
	token  string // quoted ETag (etag flavour) or sequence token
	// prevToken is the token before the last write ("" until one), for
	// IdempotencyPreviousToken.
	prevToken string
	created   Millis
	expires   Millis
	modified  Millis
	// expiresHTTP and modifiedHTTP are the etag flavour's HTTP dates,
	// formatted once per change rather than once per response.
	expiresHTTP  string
	modifiedHTTP string
	unstable     bool // created on an unstable path
	txns         []txnRecord
	prev, next   *session
}

// txnRecord is the recorded outcome of one PUT transaction ID.
type txnRecord struct {
	txn      string
	accepted bool
	token    string
}

// rateWindow counts one client's requests in the current window.
type rateWindow struct {
	window int64
	count  int
}

// Store is the rendezvous session store: every session, the clock it last
// saw and the sweep schedule. It is not safe for concurrent use; the
// simulator drives it from one goroutine, and a server wraps it in a mutex.
type Store struct {
	cfg      Config
	rnd      io.Reader
	seed     seedStream
	sessions map[string]*session
	head     *session
	tail     *session
	count    int
	now      Millis
	next     Millis // next sweep due
	idbuf    [16]byte
	limiter  map[string]*rateWindow

	sessionPrefix string
	urlBase       string // etag: BaseURL + SessionPrefix + "/"
	cors          corsSets
}

// New makes an empty store. start is the current time: the first periodic
// sweep is due at start + SweepInterval. rnd supplies the random bytes of
// session IDs; when it is nil they are derived from cfg.Seed, so the same
// seed gives the same IDs.
func New(cfg Config, start Millis, rnd io.Reader) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.Prefixes = append([]string(nil), cfg.Prefixes...)
	s := &Store{
		cfg:      cfg,
		rnd:      rnd,
		sessions: make(map[string]*session),
		now:      start,
		next:     start + cfg.SweepInterval,
	}
	if rnd == nil {
		s.seed = seedStream{state: cfg.Seed}
		s.rnd = &s.seed
	}
	s.sessionPrefix = cfg.sessionPrefix()
	s.urlBase = strings.TrimRight(cfg.BaseURL, "/") + s.sessionPrefix + "/"
	s.cors = makeCORS(cfg)
	return s, nil
}

// Config returns the store's configuration.
func (s *Store) Config() Config { return s.cfg }

// Len returns how many sessions the store holds, expired ones that no sweep
// has removed yet included (they count against the caps).
func (s *Store) Len() int { return s.count }

// Now returns the latest time the store has seen.
func (s *Store) Now() Millis { return s.now }

// NextSweep returns when Tick will next run a sweep.
func (s *Store) NextSweep() Millis { return s.next }

// SessionInfo describes one session for tests, monitors and traces.
type SessionInfo struct {
	ID      string
	Data    []byte
	Writes  uint64
	Token   string
	Created Millis
	Expires Millis
	Expired bool
}

// Sessions lists the sessions in creation order (oldest first), as of the
// store's latest time.
func (s *Store) Sessions() []SessionInfo {
	out := make([]SessionInfo, 0, s.count)
	for p := s.head; p != nil; p = p.next {
		out = append(out, SessionInfo{
			ID: p.id, Data: append([]byte(nil), p.data...), Writes: p.writes, Token: p.token,
			Created: p.created, Expires: p.expires, Expired: p.expires <= s.now,
		})
	}
	return out
}

// Held is one session as its storage cost sees it: its ID, when it
// expires and the size of its payload in bytes.
type Held struct {
	ID      string
	Expires Millis
	Size    int
}

// AppendHeld appends every session the store holds to dst, oldest first
// (expired ones that no sweep has removed yet included: Expires tells
// them apart), copying no payload, and returns the extended slice.
func (s *Store) AppendHeld(dst []Held) []Held {
	for p := s.head; p != nil; p = p.next {
		dst = append(dst, Held{ID: p.id, Expires: p.expires, Size: len(p.data)})
	}
	return dst
}

// clock takes the caller's time and keeps the store's clock from going
// back: a time earlier than one already seen is read as that one.
func (s *Store) clock(now Millis) Millis {
	if now > s.now {
		s.now = now
	}
	return s.now
}

// Handle answers one request at time now (a time earlier than one the store
// has already seen is read as that one). The returned effects are a new
// slice (nil when nothing happened).
func (s *Store) Handle(now Millis, req *Request) (Response, []Effect) {
	return s.HandleAppend(now, req, nil)
}

// HandleAppend is Handle appending its effects to fx, so a caller that
// reuses one effects buffer allocates nothing for them.
func (s *Store) HandleAppend(now Millis, req *Request, fx []Effect) (Response, []Effect) {
	now = s.clock(now)
	if req == nil {
		req = &Request{}
	}
	rt := s.route(req.Path)
	if rt.kind == routeNone {
		return s.unrecognized(404, rt), fx
	}
	if req.Method == "OPTIONS" {
		return s.options(rt), fx
	}
	if s.cfg.Access == AccessOff {
		if s.cfg.Off == OffForbidden {
			return s.errorResponse(403, "M_FORBIDDEN", "The rendezvous API is disabled", rt, nil), fx
		}
		return s.unrecognized(404, rt), fx
	}
	if s.cfg.RateLimit.Requests > 0 {
		if resp, limited := s.rateLimit(now, req, rt); limited {
			return resp, append(fx, Effect{Kind: EffectRateLimited, At: now})
		}
	}
	if s.cfg.Flavour == FlavourETag {
		return s.handleETag(now, req, rt, fx)
	}
	return s.handleJSON(now, req, rt, fx)
}

// Sweep removes expired sessions and then the oldest live ones down to the
// soft cap, as the homeserver's periodic eviction does. The effects are a
// new slice.
func (s *Store) Sweep(now Millis) []Effect { return s.SweepAppend(now, nil) }

// SweepAppend is Sweep appending to fx.
func (s *Store) SweepAppend(now Millis, fx []Effect) []Effect {
	now = s.clock(now)
	fx = s.dropExpired(now, fx)
	if s.cfg.SoftCap > 0 {
		for s.count > s.cfg.SoftCap {
			fx = s.evictHead(now, EffectEvictedSoftCap, fx)
		}
	}
	for k, w := range s.limiter {
		if s.cfg.RateLimit.Window > 0 && w.window < int64(now/s.cfg.RateLimit.Window) {
			delete(s.limiter, k)
		}
	}
	return fx
}

// Tick runs a sweep if one is due at now (every SweepInterval from the
// store's start; sweeps missed by a jump in time collapse into one, as a
// looping timer does) and returns its effects.
func (s *Store) Tick(now Millis) []Effect { return s.TickAppend(now, nil) }

// TickAppend is Tick appending to fx.
func (s *Store) TickAppend(now Millis, fx []Effect) []Effect {
	now = s.clock(now)
	if now < s.next {
		return fx
	}
	iv := s.cfg.SweepInterval
	s.next += ((now-s.next)/iv + 1) * iv
	return s.SweepAppend(now, fx)
}

// dropExpired removes every expired session.
func (s *Store) dropExpired(now Millis, fx []Effect) []Effect {
	for !s.cfg.NoExpiry && s.head != nil && s.head.expires <= now {
		fx = s.evictHead(now, EffectExpired, fx)
	}
	return fx
}

// evictHead removes the oldest session with the given effect.
func (s *Store) evictHead(now Millis, kind EffectKind, fx []Effect) []Effect {
	p := s.head
	s.unlink(p)
	return append(fx, Effect{Kind: kind, ID: p.id, Writes: p.writes, At: now})
}

// unlink removes a session from the list and the index.
func (s *Store) unlink(p *session) {
	if p.prev != nil {
		p.prev.next = p.next
	} else {
		s.head = p.next
	}
	if p.next != nil {
		p.next.prev = p.prev
	} else {
		s.tail = p.prev
	}
	p.prev, p.next = nil, nil
	delete(s.sessions, p.id)
	s.count--
}

// hardCap makes room before a create, if the hard cap is reached.
func (s *Store) hardCap(now Millis, fx []Effect) []Effect {
	if s.cfg.HardCap <= 0 || s.count < s.cfg.HardCap {
		return fx
	}
	fx = s.dropExpired(now, fx)
	target := s.cfg.HardCap - 1
	if s.cfg.HardCapMode == HardCapTrimToSoftCap && s.cfg.SoftCap > 0 {
		target = s.cfg.SoftCap
	}
	for s.count > target {
		fx = s.evictHead(now, EffectEvictedHardCap, fx)
	}
	return fx
}

// live returns the session with this ID if it exists and has not expired.
func (s *Store) live(id string, now Millis) *session {
	p := s.sessions[id]
	if p == nil || (p.expires <= now && !s.cfg.NoExpiry) {
		return nil
	}
	return p
}

// create makes and indexes a new session holding data (which the store now
// owns).
func (s *Store) create(now Millis, data []byte, unstable bool) (*session, error) {
	var id string
	for try := 0; ; try++ {
		var err error
		id, err = s.newID(now)
		if err != nil {
			return nil, err
		}
		if _, taken := s.sessions[id]; !taken {
			break
		}
		if try == 3 {
			return nil, fmt.Errorf("rendezvous: the random source gave a session ID already in use four times")
		}
	}
	p := &session{
		id:       id,
		data:     data,
		writes:   s.cfg.FirstSequence,
		created:  now,
		expires:  now + s.cfg.TTL,
		modified: now,
		unstable: unstable,
	}
	p.token = s.makeToken(p)
	if s.cfg.Flavour == FlavourETag {
		p.expiresHTTP = httpDate(p.expires)
		p.modifiedHTTP = httpDate(now)
	}
	s.sessions[id] = p
	if s.tail == nil {
		s.head, s.tail = p, p
	} else {
		p.prev = s.tail
		s.tail.next = p
		s.tail = p
	}
	s.count++
	return p, nil
}

// update stores a new payload (owned by the store from now on).
func (s *Store) update(p *session, now Millis, data []byte) {
	p.data = data
	p.writes++
	p.modified = now
	p.prevToken = p.token
	p.token = s.makeToken(p)
	if s.cfg.Flavour == FlavourETag {
		p.modifiedHTTP = httpDate(now)
	}
}

// makeToken computes the session's current ETag or sequence token.
func (s *Store) makeToken(p *session) string {
	var buf [72]byte
	b := buf[:0]
	quote := s.cfg.Flavour == FlavourETag || s.cfg.QuoteSequenceToken
	if quote {
		b = append(b, '"')
	}
	switch s.cfg.Token {
	case TokenCounter:
		b = strconv.AppendUint(b, p.writes, 10)
	case TokenDigest:
		h := sha256.New()
		h.Write([]byte(p.id))
		var w [9]byte
		binary.BigEndian.PutUint64(w[1:], p.writes)
		h.Write(w[:])
		h.Write(p.data)
		var sum [sha256.Size]byte
		h.Sum(sum[:0])
		n := len(b)
		b = b[:n+base64.RawURLEncoding.EncodedLen(16)]
		base64.RawURLEncoding.Encode(b[n:], sum[:16])
	case TokenContentHash:
		sum := sha256.Sum256(p.data)
		n := len(b)
		b = b[:n+base64.RawURLEncoding.EncodedLen(len(sum))]
		base64.RawURLEncoding.Encode(b[n:], sum[:])
	case TokenContentTimeHash:
		h := sha256.New()
		h.Write(p.data)
		var ms [16]byte
		binary.BigEndian.PutUint64(ms[8:], uint64(p.modified))
		h.Write(ms[:])
		var sum [sha256.Size]byte
		h.Sum(sum[:0])
		n := len(b)
		b = b[:n+base64.RawURLEncoding.EncodedLen(len(sum))]
		base64.RawURLEncoding.Encode(b[n:], sum[:])
	}
	if quote {
		b = append(b, '"')
	}
	return string(b)
}

// httpDate formats a time as an HTTP date (RFC 9110 IMF-fixdate).
func httpDate(t Millis) string {
	var buf [32]byte
	return string(time.UnixMilli(int64(t)).UTC().AppendFormat(buf[:0], "Mon, 02 Jan 2006 15:04:05 GMT"))
}

// useUnstable says whether a new errcode goes out in its unstable form.
func (s *Store) useUnstable(pathUnstable bool) bool {
	switch s.cfg.Errcodes {
	case ErrcodesStable:
		return false
	case ErrcodesUnstable:
		return true
	}
	return pathUnstable
}

// rateLimit counts the request and answers 429 when over the limit.
func (s *Store) rateLimit(now Millis, req *Request, rt route) (Response, bool) {
	if s.limiter == nil {
		s.limiter = make(map[string]*rateWindow)
	}
	win := int64(now / s.cfg.RateLimit.Window)
	w := s.limiter[req.Client]
	if w == nil {
		w = &rateWindow{window: win}
		s.limiter[req.Client] = w
	}
	if w.window != win {
		w.window, w.count = win, 0
	}
	if w.count < s.cfg.RateLimit.Requests {
		w.count++
		return Response{}, false
	}
	retry := Millis(win+1)*s.cfg.RateLimit.Window - now
	body := make([]byte, 0, 96)
	body = append(body, `{"errcode":`...)
	body = wire.AppendString(body, s.cfg.RateLimitErrcode)
	body = append(body, `,"error":"Too many requests","retry_after_ms":`...)
	body = appendInt(body, int64(retry))
	body = append(body, '}')
	return s.jsonResponse(429, body, rt, nil), true
}
