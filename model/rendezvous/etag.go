package rendezvous

import (
	"strconv"
	"strings"

	"qrlab/model/wire"
)

// The etag flavour: the 2024 MSC4108 API.

func (s *Store) handleETag(now Millis, req *Request, rt route, fx []Effect) (Response, []Effect) {
	switch rt.kind {
	case routeRoot:
		if req.Method == "POST" {
			return s.etagCreate(now, req, rt, fx)
		}
	case routeSession:
		switch req.Method {
		case "GET":
			return s.etagGet(now, req, rt, fx)
		case "PUT":
			return s.etagPut(now, req, rt, fx)
		case "DELETE":
			return s.etagDelete(now, rt, fx)
		}
	}
	return s.unrecognized(405, rt), fx
}

// checkCreator applies the creation policy; ok false comes with the refusal.
func (s *Store) checkCreator(req *Request, rt route) (Response, bool) {
	switch {
	case req.Auth == AuthInvalid && (s.cfg.Access == AccessAuthenticated || s.cfg.RejectInvalidToken):
		return s.errorResponse(401, "M_UNKNOWN_TOKEN", "Invalid access token passed.", rt, nil), false
	case s.cfg.Access == AccessAuthenticated && req.Auth != AuthValid:
		if s.cfg.UnauthCreate == RefuseForbidden {
			return s.errorResponse(403, "M_FORBIDDEN", "Creating a rendezvous session requires authentication", rt, nil), false
		}
		return s.errorResponse(401, "M_MISSING_TOKEN", "Missing access token.", rt, nil), false
	}
	return Response{}, true
}

// checkTextBody applies the etag flavour's request checks to a POST or PUT:
// Content-Length (present when required, well-formed, matching the body,
// not over the limit) and Content-Type (text/plain, per the rule).
func (s *Store) checkTextBody(req *Request, rt route) (Response, bool) {
	n := req.Header.Count("Content-Length")
	switch {
	case n == 0 && s.cfg.RequireContentLength:
		return s.errorResponse(400, "M_MISSING_PARAM", "Missing required header: Content-Length", rt, nil), false
	case n > 1:
		return s.errorResponse(400, "M_INVALID_PARAM", "Invalid header: Content-Length", rt, nil), false
	case n == 1:
		declared, ok := parseContentLength(req.Header.Get("Content-Length"))
		if !ok {
			return s.errorResponse(400, "M_INVALID_PARAM", "Invalid header: Content-Length", rt, nil), false
		}
		if declared > uint64(s.cfg.MaxDataBytes) {
			return s.errorResponse(413, "M_TOO_LARGE", "Payload too large", rt, nil), false
		}
		if declared != uint64(len(req.Body)) {
			return s.errorResponse(400, "M_INVALID_PARAM", "Request body does not match Content-Length", rt, nil), false
		}
	}
	if len(req.Body) > s.cfg.MaxDataBytes {
		return s.errorResponse(413, "M_TOO_LARGE", "Payload too large", rt, nil), false
	}
	switch req.Header.Count("Content-Type") {
	case 0:
		return s.errorResponse(400, "M_MISSING_PARAM", "Missing required header: Content-Type", rt, nil), false
	case 1:
	default:
		return s.errorResponse(400, "M_INVALID_PARAM", "Invalid header: Content-Type", rt, nil), false
	}
	if !textPlain(req.Header.Get("Content-Type"), s.cfg.ContentType) {
		return s.errorResponse(400, "M_INVALID_PARAM", "Content-Type must be text/plain", rt, nil), false
	}
	return Response{}, true
}

// parseContentLength reads a Content-Length value: decimal digits only.
func parseContentLength(v string) (uint64, bool) {
	v = strings.TrimSpace(v)
	if v == "" || len(v) > 18 {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, false
		}
		n = n*10 + uint64(v[i]-'0')
	}
	return n, true
}

// textPlain checks a Content-Type value against the rule.
func textPlain(v string, rule ContentTypeRule) bool {
	switch rule {
	case ContentTypeExact:
		return v == "text/plain"
	case ContentTypeMediaType:
		return wire.EqualFold(strings.TrimSpace(v), "text/plain")
	default:
		mt := v
		if i := strings.IndexByte(mt, ';'); i >= 0 {
			mt = mt[:i]
		}
		return wire.EqualFold(strings.TrimSpace(mt), "text/plain")
	}
}

// sessionHeaders appends the common headers of a response about a session.
func (s *Store) sessionHeaders(h Header, p *session, rt route) Header {
	h = append(h,
		Field{Name: "ETag", Value: p.token},
		Field{Name: "Expires", Value: p.expiresHTTP},
		Field{Name: "Last-Modified", Value: p.modifiedHTTP},
		Field{Name: "Cache-Control", Value: s.cfg.CacheControl},
		Field{Name: "Pragma", Value: "no-cache"},
	)
	return append(h, s.corsFor(rt)...)
}

func (s *Store) etagCreate(now Millis, req *Request, rt route, fx []Effect) (Response, []Effect) {
	if resp, ok := s.checkCreator(req, rt); !ok {
		return resp, fx
	}
	if s.cfg.DelegateTo != "" {
		h := make(Header, 0, headerCap)
		h = append(h, Field{Name: "Location", Value: s.cfg.DelegateTo}, Field{Name: "Content-Length", Value: "0"},
			Field{Name: "Cache-Control", Value: s.cfg.CacheControl}, Field{Name: "Pragma", Value: "no-cache"})
		h = append(h, s.cors.root...)
		return Response{Status: 307, Header: h}, fx
	}
	if resp, ok := s.checkTextBody(req, rt); !ok {
		return resp, fx
	}
	fx = s.hardCap(now, fx)
	p, err := s.create(now, append([]byte(nil), req.Body...), rt.unstable)
	if err != nil {
		return s.errorResponse(500, "M_UNKNOWN", "Could not create a session", rt, nil), fx
	}
	body := make([]byte, 0, 12+len(s.urlBase)+len(p.id))
	body = append(body, `{"url":`...)
	body = wire.AppendString(body, s.urlBase)
	body = append(body[:len(body)-1], p.id...) // IDs are [0-9A-Za-z-]
	body = append(body, '"', '}')
	h := make(Header, 0, headerCap+2)
	h = append(h, Field{Name: "Content-Type", Value: "application/json"}, Field{Name: "Content-Length", Value: strconv.Itoa(len(body))})
	h = s.sessionHeaders(h, p, rt)
	return Response{Status: 201, Header: h, Body: body}, append(fx, Effect{Kind: EffectCreated, ID: p.id, Writes: p.writes, At: now})
}

func (s *Store) etagGet(now Millis, req *Request, rt route, fx []Effect) (Response, []Effect) {
	inm := req.Header.Count("If-None-Match") > 0
	if inm && !s.conditionalValid(req.Header, "If-None-Match") {
		return s.errorResponse(400, "M_INVALID_PARAM", "Invalid header: If-None-Match", rt, nil), fx
	}
	p := s.live(rt.id, now)
	if p == nil {
		return s.notFound(rt), fx
	}
	if inm && s.noneMatchFails(req.Header, p.token) {
		h := make(Header, 0, headerCap)
		h = s.sessionHeaders(h, p, rt)
		return Response{Status: 304, Header: h}, append(fx, Effect{Kind: EffectNotModified, ID: p.id, Writes: p.writes, At: now})
	}
	h := make(Header, 0, headerCap+2)
	h = append(h, Field{Name: "Content-Type", Value: "text/plain"}, Field{Name: "Content-Length", Value: strconv.Itoa(len(p.data))})
	h = s.sessionHeaders(h, p, rt)
	return Response{Status: 200, Header: h, Body: p.data}, append(fx, Effect{Kind: EffectRead, ID: p.id, Writes: p.writes, At: now})
}

func (s *Store) etagPut(now Millis, req *Request, rt route, fx []Effect) (Response, []Effect) {
	if resp, ok := s.checkTextBody(req, rt); !ok {
		return resp, fx
	}
	if req.Header.Count("If-Match") == 0 {
		return s.errorResponse(400, "M_MISSING_PARAM", "Missing required header: If-Match", rt, nil), fx
	}
	if !s.conditionalValid(req.Header, "If-Match") {
		return s.errorResponse(400, "M_INVALID_PARAM", "Invalid header: If-Match", rt, nil), fx
	}
	p := s.live(rt.id, now)
	if p == nil {
		return s.notFound(rt), fx
	}
	if !s.cfg.IgnoreToken && !s.matchPasses(req.Header, p.token) {
		return s.concurrentWrite(p, rt), append(fx, Effect{Kind: EffectConflict, ID: p.id, Writes: p.writes, At: now})
	}
	s.update(p, now, append([]byte(nil), req.Body...))
	h := make(Header, 0, headerCap)
	h = append(h, Field{Name: "Content-Length", Value: "0"})
	h = s.sessionHeaders(h, p, rt)
	return Response{Status: 202, Header: h}, append(fx, Effect{Kind: EffectWritten, ID: p.id, Writes: p.writes, At: now})
}

// concurrentWrite answers a stale If-Match: 412 with the session's headers.
func (s *Store) concurrentWrite(p *session, rt route) Response {
	code := s.cfg.ConcurrentWriteErrcode
	body := make([]byte, 0, 110)
	if s.useUnstable(rt.unstable || p.unstable) {
		body = append(body, `{"errcode":"M_UNKNOWN","org.matrix.msc4108.errcode":`...)
	} else {
		body = append(body, `{"errcode":`...)
	}
	body = wire.AppendString(body, code)
	body = append(body, `,"error":"ETag does not match"}`...)
	h := make(Header, 0, headerCap+2)
	h = append(h, Field{Name: "Content-Type", Value: "application/json"}, Field{Name: "Content-Length", Value: strconv.Itoa(len(body))})
	h = s.sessionHeaders(h, p, rt)
	return Response{Status: 412, Header: h, Body: body}
}

func (s *Store) etagDelete(now Millis, rt route, fx []Effect) (Response, []Effect) {
	p := s.sessions[rt.id]
	if p == nil || (p.expires <= now && !s.cfg.DeleteExpired && !s.cfg.NoExpiry) {
		return s.notFound(rt), fx
	}
	s.unlink(p)
	h := make(Header, 0, headerCap)
	h = append(h, Field{Name: "Cache-Control", Value: s.cfg.CacheControl}, Field{Name: "Pragma", Value: "no-cache"})
	h = append(h, s.cors.del...)
	return Response{Status: 204, Header: h}, append(fx, Effect{Kind: EffectDeleted, ID: p.id, Writes: p.writes, At: now})
}

// notFound answers an unknown, expired or deleted session.
func (s *Store) notFound(rt route) Response {
	return s.errorResponse(404, "M_NOT_FOUND", "Not found", rt, nil)
}

// Entity tags (RFC 9110 section 8.8.3).

// etagChar reports whether c may appear inside an opaque tag.
func etagChar(c byte) bool { return c == 0x21 || (c >= 0x23 && c <= 0x7e) || c >= 0x80 }

// conditionalValid checks the If-Match or If-None-Match lines under the
// rule.
func (s *Store) conditionalValid(h Header, name string) bool {
	if s.cfg.Conditionals == ConditionalStrict {
		if h.Count(name) != 1 {
			return false
		}
		_, ok := strictTag(h.Get(name))
		return ok
	}
	seen := false
	for _, f := range h {
		if !wire.EqualFold(f.Name, name) {
			continue
		}
		if !forEachTag(f.Value, func(string, bool) bool { seen = true; return true }) {
			return false
		}
	}
	return seen
}

// strictTag parses exactly one strong quoted tag (surrounding whitespace
// allowed) and returns it with its quotes.
func strictTag(v string) (string, bool) {
	v = strings.Trim(v, " \t")
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return "", false
	}
	for i := 1; i < len(v)-1; i++ {
		if !etagChar(v[i]) {
			return "", false
		}
	}
	return v, true
}

// forEachTag walks an RFC 9110 list of entity tags or "*", calling fn with
// each tag (with quotes; "*" for the wildcard) and whether it is weak. It
// returns false on a syntax error. fn returning false stops the walk early
// (still reporting success).
func forEachTag(v string, fn func(tag string, weak bool) bool) bool {
	t := strings.Trim(v, " \t")
	if t == "*" {
		fn("*", false)
		return true
	}
	i := 0
	seen := false
	for {
		for i < len(v) && (v[i] == ' ' || v[i] == '\t' || v[i] == ',') {
			i++
		}
		if i >= len(v) {
			return seen
		}
		weak := false
		if strings.HasPrefix(v[i:], "W/") {
			weak = true
			i += 2
		}
		if i >= len(v) || v[i] != '"' {
			return false
		}
		j := i + 1
		for j < len(v) && v[j] != '"' {
			if !etagChar(v[j]) {
				return false
			}
			j++
		}
		if j >= len(v) {
			return false
		}
		seen = true
		if !fn(v[i:j+1], weak) {
			return true
		}
		i = j + 1
		for i < len(v) && (v[i] == ' ' || v[i] == '\t') {
			i++
		}
		if i < len(v) && v[i] != ',' {
			return false
		}
	}
}

// matchPasses evaluates If-Match (strong comparison) against the current tag.
func (s *Store) matchPasses(h Header, current string) bool {
	if s.cfg.Conditionals == ConditionalStrict {
		t, _ := strictTag(h.Get("If-Match"))
		return t == current
	}
	return anyTag(h, "If-Match", func(tag string, weak bool) bool { return tag == "*" || (!weak && tag == current) })
}

// noneMatchFails evaluates If-None-Match (weak comparison): true means the
// client's copy is current (304).
func (s *Store) noneMatchFails(h Header, current string) bool {
	if s.cfg.Conditionals == ConditionalStrict {
		t, _ := strictTag(h.Get("If-None-Match"))
		return t == current
	}
	return anyTag(h, "If-None-Match", func(tag string, _ bool) bool { return tag == "*" || tag == current })
}

// anyTag reports whether any tag on the named lines satisfies pred.
func anyTag(h Header, name string, pred func(tag string, weak bool) bool) bool {
	hit := false
	for _, f := range h {
		if !wire.EqualFold(f.Name, name) {
			continue
		}
		forEachTag(f.Value, func(tag string, weak bool) bool {
			if pred(tag, weak) {
				hit = true
				return false
			}
			return true
		})
		if hit {
			return true
		}
	}
	return false
}
