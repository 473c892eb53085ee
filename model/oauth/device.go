package oauth

import (
	"errors"
	"fmt"
	"strings"
)

// Scope errors, wrapped by ParseScope's errors.
var (
	// ErrScopeSyntax: an empty token, a doubled or edge space, or a
	// character outside the RFC 6749 §3.3 scope-token grammar.
	ErrScopeSyntax = errors.New("malformed scope")
	// ErrNoDeviceScope: no urn:matrix:client:device:<id> token.
	ErrNoDeviceScope = errors.New("no device scope")
	// ErrTwoDeviceScopes: more than one device token.
	ErrTwoDeviceScopes = errors.New("more than one device scope")
	// ErrNoAPIScope: no urn:matrix:client:api:* token (only refused when
	// the provider requires it).
	ErrNoAPIScope = errors.New("no client-server API scope")
)

// Scope is what a requested scope means for Matrix.
type Scope struct {
	// DeviceID is the device ID of the device scope token.
	DeviceID string
	// API says whether the client-server API scope was requested.
	API bool
	// Unstable says whether the MSC2967 unstable prefixes were used.
	Unstable bool
	// OpenID says whether "openid" was requested.
	OpenID bool
}

// ParseScope reads a space-separated scope (RFC 6749 §3.3) for the Matrix
// tokens: exactly one device token, and the API token if present. Unknown
// tokens are allowed. When unstable is false the MSC2967 unstable prefixes
// count as unknown tokens.
func ParseScope(scope string, unstable bool) (Scope, error) {
	var sc Scope
	devices := 0
	if scope == "" {
		return sc, fmt.Errorf("scope: %w", ErrNoDeviceScope)
	}
	rest := scope
	for {
		tok := rest
		i := strings.IndexByte(rest, ' ')
		if i >= 0 {
			tok, rest = rest[:i], rest[i+1:]
		}
		if tok == "" {
			return Scope{}, fmt.Errorf("scope %q: empty token: %w", scope, ErrScopeSyntax)
		}
		for j := 0; j < len(tok); j++ {
			if c := tok[j]; c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
				return Scope{}, fmt.Errorf("scope token %q: character %q: %w", tok, c, ErrScopeSyntax)
			}
		}
		switch {
		case tok == ScopeAPI:
			sc.API = true
		case unstable && tok == ScopeUnstableAPI:
			sc.API, sc.Unstable = true, true
		case tok == ScopeOpenID:
			sc.OpenID = true
		case strings.HasPrefix(tok, ScopeDevicePrefix):
			devices++
			sc.DeviceID = tok[len(ScopeDevicePrefix):]
		case unstable && strings.HasPrefix(tok, ScopeUnstableDevicePrefix):
			devices++
			sc.DeviceID, sc.Unstable = tok[len(ScopeUnstableDevicePrefix):], true
		}
		if i < 0 {
			break
		}
	}
	switch {
	case devices == 0:
		return Scope{}, fmt.Errorf("scope %q: %w", scope, ErrNoDeviceScope)
	case devices > 1:
		return Scope{}, fmt.Errorf("scope %q: %w", scope, ErrTwoDeviceScopes)
	case sc.DeviceID == "":
		return Scope{}, fmt.Errorf("scope %q: device token without a device ID: %w", scope, ErrNoDeviceScope)
	}
	return sc, nil
}

// checkContentType refuses a body that is not a form.
func checkFormContentType(req *Request) (Response, bool) {
	ct, ok := req.Header.Lookup("Content-Type")
	if !ok || !hasMediaType(ct, ContentTypeForm) {
		return oauthError(400, ErrorInvalidRequest, "Content-Type must be application/x-www-form-urlencoded."), false
	}
	return Response{}, true
}

// client finds the client a request names, or the error to answer.
func (s *Server) client(f *form, grantType string) (*Client, Response, bool) {
	id, ok := f.get("client_id")
	if !ok || len(id) == 0 {
		return nil, oauthError(401, ErrorInvalidClient, "Missing client_id."), false
	}
	c, known := s.clients[string(id)]
	if !known {
		if s.cfg.RequireRegisteredClient {
			return nil, oauthError(401, ErrorInvalidClient, "Unknown client_id."), false
		}
		c = &Client{ID: string(id), Static: true}
		s.clients[c.ID] = c
	}
	if !c.allows(grantType) {
		return nil, oauthError(s.cfg.UnauthorizedClientStatus, ErrorUnauthorizedClient, "The client did not register this grant type."), false
	}
	return c, Response{}, true
}

// deviceAuthorization answers a device authorization request (RFC 8628
// §3.1-3.2).
func (s *Server) deviceAuthorization(now Millis, req *Request, fx []Effect) (Response, []Effect) {
	if r, ok := checkFormContentType(req); !ok {
		return r, fx
	}
	var f form
	if err := f.parse(req.Body); err != nil {
		return oauthError(400, ErrorInvalidRequest, "Bad form body: "+err.Error()), fx
	}
	c, r, ok := s.client(&f, GrantTypeDeviceCode)
	if !ok {
		return r, fx
	}
	scopeBytes, _ := f.get("scope")
	scope := string(scopeBytes)
	sc, err := ParseScope(scope, s.cfg.AcceptUnstableScopes)
	if err != nil {
		return oauthError(400, ErrorInvalidScope, err.Error()), fx
	}
	if s.cfg.RequireAPIScope && !sc.API {
		return oauthError(400, ErrorInvalidScope, fmt.Errorf("scope %q: %w", scope, ErrNoAPIScope).Error()), fx
	}

	g := &Grant{
		ClientID:  c.ID,
		Scope:     scope,
		DeviceID:  sc.DeviceID,
		APIScope:  sc.API,
		State:     GrantPending,
		CreatedAt: now,
		ExpiresAt: now + s.cfg.ExpiresIn,
		Interval:  s.cfg.Interval,
	}
	if g.DeviceCode, err = s.freshDeviceCode(); err == nil {
		if g.UserCode, g.userKey, err = s.freshUserCode(now, &fx); err == nil {
			g.ID, err = s.freshGrantID()
		}
	}
	if err != nil {
		return oauthError(500, ErrorServerError, err.Error()), fx
	}
	s.grants[g.DeviceCode] = g
	s.byID[g.ID] = g
	s.byUser[g.userKey] = g
	s.order = append(s.order, g)
	fx = append(fx, Effect{Kind: EffectGrantCreated, Grant: g.ID, Device: g.DeviceID, Client: c.ID})

	b := make([]byte, 0, 160+len(g.DeviceCode)+2*len(g.UserCode)+2*len(s.verifyURI))
	b = append(b, `{"device_code":`...)
	b = AppendJSONString(b, g.DeviceCode)
	b = append(b, `,"user_code":`...)
	b = AppendJSONString(b, g.UserCode)
	b = append(b, `,"verification_uri":`...)
	b = AppendJSONString(b, s.verifyURI)
	if s.cfg.VerificationURIComplete {
		b = append(b, `,"verification_uri_complete":`...)
		b = AppendJSONString(b, s.verifyURIBase+QueryEscape(g.UserCode))
	}
	b = append(b, `,"expires_in":`...)
	b = appendInt(b, s.cfg.ExpiresIn.Seconds())
	b = append(b, `,"interval":`...)
	b = appendInt(b, s.cfg.Interval.Seconds())
	b = append(b, '}')
	return Response{Status: 200, Header: headerJSONNoStore, Body: b}, fx
}

// freshDeviceCode draws a device code no grant holds.
func (s *Server) freshDeviceCode() (string, error) {
	for range 8 {
		dc, err := s.randomString(s.cfg.DeviceCodeAlphabet, s.cfg.DeviceCodeLength)
		if err != nil {
			return "", err
		}
		if _, taken := s.grants[dc]; !taken {
			return dc, nil
		}
	}
	return "", errors.New("could not draw an unused device code")
}

// freshUserCode draws a user code that no pending grant holds (an expired
// holder is expired on the spot and loses its code).
func (s *Server) freshUserCode(now Millis, fx *[]Effect) (string, string, error) {
	for range 16 {
		uc, err := s.userCode()
		if err != nil {
			return "", "", err
		}
		key := s.userKey(uc)
		holder, taken := s.byUser[key]
		if taken && holder.EffectiveState(now) != GrantPending {
			*fx = s.expire(holder, *fx)
			delete(s.byUser, key)
			taken = false
		}
		if !taken {
			return uc, key, nil
		}
	}
	return "", "", errors.New("could not draw an unused user code")
}

// freshGrantID draws a consent-page ID no grant holds.
func (s *Server) freshGrantID() (string, error) {
	for range 8 {
		id, err := s.randomString(AlphabetAlnum, 16)
		if err != nil {
			return "", err
		}
		if _, taken := s.byID[id]; !taken {
			return id, nil
		}
	}
	return "", errors.New("could not draw an unused grant ID")
}
