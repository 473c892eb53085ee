package rendezvous

import (
	"bytes"

	"qrlab/model/wire"
)

// The JSON flavours: the 2025 interim API and the 2026 MSC4388 API.

func (s *Store) handleJSON(now Millis, req *Request, rt route, fx []Effect) (Response, []Effect) {
	switch rt.kind {
	case routeRoot:
		switch {
		case req.Method == "POST":
			return s.jsonCreate(now, req, rt, fx)
		case req.Method == "GET" && s.cfg.Discovery:
			return s.discovery(req, rt), fx
		}
	case routeSession:
		switch req.Method {
		case "GET":
			return s.jsonGet(now, req, rt, fx)
		case "PUT":
			if s.cfg.Idempotency != IdempotencyTxnID {
				return s.jsonPut(now, req, rt, fx)
			}
		case "DELETE":
			return s.jsonDelete(now, rt, fx)
		}
	case routeSessionTxn:
		if req.Method == "PUT" {
			return s.jsonPut(now, req, rt, fx)
		}
	}
	return s.unrecognized(405, rt), fx
}

// discovery answers GET {prefix}: whether this requester may create.
func (s *Store) discovery(req *Request, rt route) Response {
	if req.Auth == AuthInvalid && (s.cfg.Access == AccessAuthenticated || s.cfg.RejectInvalidToken) {
		return s.errorResponse(401, "M_UNKNOWN_TOKEN", "Invalid access token passed.", rt, nil)
	}
	ok := s.cfg.Access == AccessPublic || req.Auth == AuthValid
	if !ok && req.Auth == AuthNone && s.cfg.UnauthDiscovery == DiscoveryMissingToken {
		return s.errorResponse(401, "M_MISSING_TOKEN", "Missing access token.", rt, nil)
	}
	var body []byte
	if ok {
		body = []byte(`{"create_available":true}`)
	} else {
		body = []byte(`{"create_available":false}`)
	}
	return s.jsonResponse(200, body, rt, nil)
}

// invalidParam is the 400 the JSON flavours answer to a malformed body.
func (s *Store) invalidParam(msg string, rt route) Response {
	return s.errorResponse(400, "M_INVALID_PARAM", msg, rt, nil)
}

// readBody parses a JSON body for the keys k1 and k2 (k2 may be empty).
// On failure it returns the answer to send.
func (s *Store) readBody(req *Request, rt route, k1, k2 string, f1, f2 *jsonField) (Response, bool) {
	if len(req.Body) > s.cfg.maxBody() {
		return s.errorResponse(413, "M_TOO_LARGE", "Request body too large", rt, nil), false
	}
	if k2 == "" {
		f2 = nil
	}
	switch err := parseJSONObject(req.Body, k1, k2, f1, f2, s.cfg.RejectDuplicateKeys); err {
	case nil:
		return Response{}, true
	case errJSONNotObject:
		return s.invalidParam("Request body must be a JSON object", rt), false
	case errJSONDuplicate:
		return s.invalidParam("Duplicate key in JSON body", rt), false
	default:
		return s.invalidParam("Invalid JSON in request body", rt), false
	}
}

// owned returns a field's string as a slice the store may keep.
func owned(f *jsonField) []byte {
	if f.owned {
		return f.str
	}
	return append(make([]byte, 0, len(f.str)), f.str...)
}

func (s *Store) jsonCreate(now Millis, req *Request, rt route, fx []Effect) (Response, []Effect) {
	if resp, ok := s.checkCreator(req, rt); !ok {
		return resp, fx
	}
	// The hard cap is enforced before the body is read, so even a
	// malformed create at the cap evicts (as Synapse does).
	fx = s.hardCap(now, fx)
	var data jsonField
	if resp, ok := s.readBody(req, rt, "data", "", &data, nil); !ok {
		return resp, fx
	}
	if data.kind != jsonString {
		return s.invalidParam("'data' must be a string", rt), fx
	}
	if len(data.str) > s.cfg.MaxDataBytes {
		return s.errorResponse(413, "M_TOO_LARGE", "Payload too large", rt, nil), fx
	}
	p, err := s.create(now, owned(&data), rt.unstable)
	if err != nil {
		return s.errorResponse(500, "M_UNKNOWN", "Could not create a session", rt, nil), fx
	}
	body := make([]byte, 0, 96+len(p.id)+len(p.token))
	body = append(body, `{"id":`...)
	body = wire.AppendString(body, p.id)
	body = append(body, `,"sequence_token":`...)
	body = wire.AppendString(body, p.token)
	body = s.appendExpiry(body, p, now)
	body = append(body, '}')
	return s.jsonResponse(200, body, rt, nil), append(fx, Effect{Kind: EffectCreated, ID: p.id, Writes: p.writes, At: now})
}

// appendExpiry appends the flavour's expiry field.
func (s *Store) appendExpiry(body []byte, p *session, now Millis) []byte {
	if s.cfg.Flavour == FlavourSequenceToken2025 {
		body = append(body, `,"expires_ts":`...)
		return appendInt(body, int64(p.expires))
	}
	left := p.expires - now
	if left < 0 {
		left = 0
	}
	if p.expires == Never {
		left = Never // an untimed expiry (untimed.go): no time left to count
	}
	body = append(body, `,"expires_in_ms":`...)
	return appendInt(body, int64(left))
}

// fetchMetadataRefuses applies the Sec-Fetch-* screen to a GET.
func (s *Store) fetchMetadataRefuses(h Header) bool {
	switch s.cfg.FetchMetadata {
	case FetchMetadataNavigation:
		return h.Get("Sec-Fetch-Mode") == "navigate" || h.Get("Sec-Fetch-Dest") == "document"
	case FetchMetadataSynapse:
		if d, ok := h.Lookup("Sec-Fetch-Dest"); ok && d != "empty" {
			return true
		}
		return h.Get("Sec-Fetch-Mode") == "navigate" || h.Get("Sec-Fetch-User") == "?1" || h.Get("Sec-Fetch-Site") == "none"
	}
	return false
}

func (s *Store) jsonGet(now Millis, req *Request, rt route, fx []Effect) (Response, []Effect) {
	if s.fetchMetadataRefuses(req.Header) {
		return s.errorResponse(403, "M_FORBIDDEN", "Rendezvous content is not accessible via top-level navigation", rt, nil), fx
	}
	p := s.live(rt.id, now)
	if p == nil {
		return s.notFound(rt), fx
	}
	body := make([]byte, 0, 64+len(p.data)+len(p.data)/8+len(p.token))
	body = append(body, `{"data":`...)
	body = wire.AppendBytes(body, p.data)
	body = append(body, `,"sequence_token":`...)
	body = wire.AppendString(body, p.token)
	body = s.appendExpiry(body, p, now)
	body = append(body, '}')
	return s.jsonResponse(200, body, rt, nil), append(fx, Effect{Kind: EffectRead, ID: p.id, Writes: p.writes, At: now})
}

// validTxn checks a transaction ID against the configured grammar.
func (s *Store) validTxn(t string) bool {
	if len(t) == 0 || len(t) > 255 {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '.', c == '_':
		case c == '~' && s.cfg.TxnGrammar == TxnOpaqueID:
		case c == '=' && s.cfg.TxnGrammar == TxnSynapse:
		default:
			return false
		}
	}
	return true
}

// tokenResponse is the 200 answer to an accepted (or replayed) PUT.
func (s *Store) tokenResponse(token string, rt route) Response {
	body := make([]byte, 0, 24+len(token))
	body = append(body, `{"sequence_token":`...)
	body = wire.AppendString(body, token)
	body = append(body, '}')
	return s.jsonResponse(200, body, rt, nil)
}

// conflict is the 409 answer to a stale PUT.
func (s *Store) conflict(p *session, rt route) Response {
	code := s.cfg.ConcurrentWriteErrcode
	if s.useUnstable(rt.unstable) && s.cfg.UnstableConcurrentWriteErrcode != "" {
		code = s.cfg.UnstableConcurrentWriteErrcode
	}
	return s.errorResponse(409, code, "sequence_token does not match", rt, nil)
}

func (s *Store) jsonPut(now Millis, req *Request, rt route, fx []Effect) (Response, []Effect) {
	if rt.kind == routeSessionTxn && !s.validTxn(rt.txn) {
		return s.invalidParam("Invalid transaction ID", rt), fx
	}
	var tok, data jsonField
	if resp, ok := s.readBody(req, rt, "sequence_token", "data", &tok, &data); !ok {
		return resp, fx
	}
	if tok.kind != jsonString {
		return s.invalidParam("'sequence_token' must be a string", rt), fx
	}
	if data.kind != jsonString {
		return s.invalidParam("'data' must be a string", rt), fx
	}
	if len(data.str) > s.cfg.MaxDataBytes {
		return s.errorResponse(413, "M_TOO_LARGE", "Payload too large", rt, nil), fx
	}
	p := s.live(rt.id, now)
	if p == nil {
		return s.notFound(rt), fx
	}
	if rt.kind == routeSessionTxn {
		for i := range p.txns {
			if r := &p.txns[i]; r.txn == rt.txn {
				fx = append(fx, Effect{Kind: EffectReplayed, ID: p.id, Writes: p.writes, At: now})
				if r.accepted {
					return s.tokenResponse(r.token, rt), fx
				}
				return s.conflict(p, rt), fx
			}
		}
	}
	var resp Response
	switch {
	case string(tok.str) == p.token || s.cfg.IgnoreToken:
		s.update(p, now, owned(&data))
		resp = s.tokenResponse(p.token, rt)
		fx = append(fx, Effect{Kind: EffectWritten, ID: p.id, Writes: p.writes, At: now})
	case s.cfg.Idempotency == IdempotencySameData && bytes.Equal(data.str, p.data),
		s.cfg.Idempotency == IdempotencyPreviousToken && p.prevToken != "" && string(tok.str) == p.prevToken && bytes.Equal(data.str, p.data):
		resp = s.tokenResponse(p.token, rt)
		fx = append(fx, Effect{Kind: EffectReplayed, ID: p.id, Writes: p.writes, At: now})
	default:
		resp = s.conflict(p, rt)
		fx = append(fx, Effect{Kind: EffectConflict, ID: p.id, Writes: p.writes, At: now})
	}
	if rt.kind == routeSessionTxn {
		p.txns = append(p.txns, txnRecord{txn: rt.txn, accepted: resp.Status == 200, token: p.token})
		if m := s.cfg.MaxRecordedTxns; m > 0 && len(p.txns) > m {
			p.txns = append(p.txns[:0], p.txns[len(p.txns)-m:]...)
		}
	}
	return resp, fx
}

func (s *Store) jsonDelete(now Millis, rt route, fx []Effect) (Response, []Effect) {
	p := s.sessions[rt.id]
	if p == nil || (p.expires <= now && !s.cfg.DeleteExpired && !s.cfg.NoExpiry) {
		return s.notFound(rt), fx
	}
	s.unlink(p)
	fx = append(fx, Effect{Kind: EffectDeleted, ID: p.id, Writes: p.writes, At: now})
	if s.cfg.DeleteBody == DeleteBodyNone {
		h := make(Header, 0, headerCap)
		h = append(h, Field{Name: "Content-Length", Value: "0"})
		h = append(h, s.corsFor(rt)...)
		return Response{Status: 200, Header: h}, fx
	}
	return s.jsonResponse(200, []byte("{}"), rt, nil), fx
}
