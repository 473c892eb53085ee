package oauth

import (
	"fmt"

	"qrlab/model/wire"
)

// tokenEndpoint answers a token request: the device code grant (RFC 8628
// §3.4-3.5) and the refresh token grant (RFC 6749 §6).
func (s *Server) tokenEndpoint(now Millis, req *Request, fx []Effect) (Response, []Effect) {
	if r, ok := checkFormContentType(req); !ok {
		return r, fx
	}
	var f form
	if err := f.parse(req.Body); err != nil {
		return oauthError(400, ErrorInvalidRequest, "Bad form body: "+err.Error()), fx
	}
	gt, ok := f.get("grant_type")
	if !ok || len(gt) == 0 {
		return oauthError(400, ErrorInvalidRequest, "Missing grant_type."), fx
	}
	switch string(gt) {
	case GrantTypeDeviceCode:
		return s.pollDevice(now, &f, fx)
	case GrantTypeRefreshToken:
		return s.refreshGrant(now, &f, fx)
	}
	return oauthError(400, ErrorUnsupportedGrantType, "This provider models the device code and refresh token grants only."), fx
}

// pollError is one of the four polling errors, with its fixed body.
func (s *Server) pollError(code string) Response {
	return Response{Status: s.cfg.PollErrorStatus, Header: headerJSONNoStore, Body: s.pollBodies[code]}
}

// pollDevice answers one poll of the device code grant. The checks run in
// MAS's order: client, known code, same client, lifetime, then state. So a
// code past its lifetime answers expired_token whatever else became of it
// (even consumed), and a consumed code within it answers invalid_grant.
func (s *Server) pollDevice(now Millis, f *form, fx []Effect) (Response, []Effect) {
	c, r, ok := s.client(f, GrantTypeDeviceCode)
	if !ok {
		return r, fx
	}
	dc, ok := f.get("device_code")
	if !ok || len(dc) == 0 {
		return oauthError(400, ErrorInvalidRequest, "Missing device_code."), fx
	}
	g := s.grants[string(dc)]
	if g == nil {
		fx = append(fx, Effect{Kind: EffectUnknownCode, Client: c.ID})
		return oauthError(400, ErrorInvalidGrant, "Unknown device code."), fx
	}
	if g.ClientID != c.ID {
		return oauthError(400, ErrorInvalidGrant, "The device code was issued to another client."), fx
	}
	g.Polls++
	prev, polled := g.LastPoll, g.Polls > 1
	g.LastPoll = now
	if now > g.ExpiresAt {
		fx = s.expire(g, fx)
		fx = append(fx, Effect{Kind: EffectExpiredPoll, Grant: g.ID, Device: g.DeviceID, Client: c.ID})
		return s.pollError(ErrorExpiredToken), fx
	}
	switch g.State {
	case GrantPending:
		if s.cfg.SlowDown {
			since, judged := now-prev, polled
			if !polled && s.cfg.FirstPollCountsFromIssue {
				since, judged = now-g.CreatedAt, true
			}
			if judged && since < g.Interval {
				g.Interval += s.cfg.SlowDownStep
				g.SlowDowns++
				fx = append(fx, Effect{Kind: EffectSlowDown, Grant: g.ID, Device: g.DeviceID, Client: c.ID})
				return s.pollError(ErrorSlowDown), fx
			}
		}
		fx = append(fx, Effect{Kind: EffectPending, Grant: g.ID, Device: g.DeviceID, Client: c.ID})
		return s.pollError(ErrorAuthorizationPending), fx
	case GrantDenied:
		fx = append(fx, Effect{Kind: EffectDeniedPoll, Grant: g.ID, User: g.UserID, Device: g.DeviceID, Client: c.ID})
		return s.pollError(s.cfg.DeniedError), fx
	case GrantExpired:
		fx = append(fx, Effect{Kind: EffectExpiredPoll, Grant: g.ID, Device: g.DeviceID, Client: c.ID})
		return s.pollError(ErrorExpiredToken), fx
	case GrantConsumed:
		fx = append(fx, Effect{Kind: EffectCodeReused, Grant: g.ID, User: g.UserID, Device: g.DeviceID, Client: c.ID})
		return oauthError(400, ErrorInvalidGrant, "The device code was already exchanged."), fx
	}
	// Approved: exchange the code for tokens, once.
	t, err := s.issue(now, c, g.UserID, g.DeviceID, g.Scope, g.APIScope, false)
	if err != nil {
		return oauthError(500, ErrorServerError, err.Error()), fx
	}
	g.State = GrantConsumed
	g.AccessToken = t.access
	fx = append(fx, Effect{Kind: EffectTokenIssued, Grant: g.ID, User: g.UserID, Device: g.DeviceID, Client: c.ID})
	return s.tokenResponse(t), fx
}

// issue mints an access token (and maybe a refresh token) and records the
// issuance.
func (s *Server) issue(now Millis, c *Client, user, device, scope string, api, refreshed bool) (*token, error) {
	acc, err := s.freshToken("mat")
	if err != nil {
		return nil, err
	}
	t := &token{access: acc, info: TokenInfo{
		UserID: user, DeviceID: device, ClientID: c.ID, Scope: scope, APIScope: api,
		IssuedAt: now, ExpiresAt: now + s.cfg.AccessTokenTTL,
	}}
	wantRefresh := s.cfg.Refresh == RefreshAlways ||
		s.cfg.Refresh == RefreshIfClientGrant && c.allows(GrantTypeRefreshToken)
	if wantRefresh {
		if t.refresh, err = s.freshToken("mar"); err != nil {
			return nil, err
		}
		s.refresh[t.refresh] = t
	}
	s.access[acc] = t
	s.issued = append(s.issued, Issuance{At: now, UserID: user, DeviceID: device, AccessToken: acc, Refreshed: refreshed})
	return t, nil
}

// freshToken draws a token no other token equals.
func (s *Server) freshToken(prefix string) (string, error) {
	for range 8 {
		tok, err := s.token(prefix)
		if err != nil {
			return "", err
		}
		_, a := s.access[tok]
		_, r := s.refresh[tok]
		if !a && !r {
			return tok, nil
		}
	}
	return "", fmt.Errorf("%w: could not draw an unused token", wire.ErrRandom)
}

// tokenResponse is the successful token response (RFC 6749 §5.1).
func (s *Server) tokenResponse(t *token) Response {
	b := make([]byte, 0, 112+len(t.access)+len(t.refresh)+len(t.info.Scope))
	b = append(b, `{"access_token":`...)
	b = AppendJSONString(b, t.access)
	b = append(b, `,"token_type":"Bearer","expires_in":`...)
	b = appendInt(b, s.cfg.AccessTokenTTL.Seconds())
	if t.refresh != "" {
		b = append(b, `,"refresh_token":`...)
		b = AppendJSONString(b, t.refresh)
	}
	if t.info.Scope != "" {
		b = append(b, `,"scope":`...)
		b = AppendJSONString(b, t.info.Scope)
	}
	b = append(b, '}')
	return Response{Status: 200, Header: headerJSONNoStore, Body: b}
}

// refreshGrant exchanges a refresh token for a new pair; the old refresh
// token is used up and the old access token revoked, as MAS does.
func (s *Server) refreshGrant(now Millis, f *form, fx []Effect) (Response, []Effect) {
	c, r, ok := s.client(f, GrantTypeRefreshToken)
	if !ok {
		return r, fx
	}
	rt, ok := f.get("refresh_token")
	if !ok || len(rt) == 0 {
		return oauthError(400, ErrorInvalidRequest, "Missing refresh_token."), fx
	}
	old := s.refresh[string(rt)]
	if old == nil || old.refreshUsed || old.info.Revoked || old.info.ClientID != c.ID {
		return oauthError(400, ErrorInvalidGrant, "Unknown, used or revoked refresh token."), fx
	}
	t, err := s.issue(now, c, old.info.UserID, old.info.DeviceID, old.info.Scope, old.info.APIScope, true)
	if err != nil {
		return oauthError(500, ErrorServerError, err.Error()), fx
	}
	old.refreshUsed = true
	old.info.Revoked = true
	fx = append(fx, Effect{Kind: EffectRefreshed, User: t.info.UserID, Device: t.info.DeviceID, Client: c.ID})
	return s.tokenResponse(t), fx
}

// revoke answers a revocation request (RFC 7009): the session of the named
// token ends, both its tokens stop working, and the answer is 200 whether or
// not the token was known.
func (s *Server) revoke(req *Request, fx []Effect) (Response, []Effect) {
	if r, ok := checkFormContentType(req); !ok {
		return r, fx
	}
	var f form
	if err := f.parse(req.Body); err != nil {
		return oauthError(400, ErrorInvalidRequest, "Bad form body: "+err.Error()), fx
	}
	tok, ok := f.get("token")
	if !ok || len(tok) == 0 {
		return oauthError(400, ErrorInvalidRequest, "Missing token."), fx
	}
	id, _ := f.get("client_id")
	t := s.access[string(tok)]
	if t == nil {
		t = s.refresh[string(tok)]
	}
	if t != nil && t.info.ClientID == string(id) && !t.info.Revoked {
		t.info.Revoked = true
		t.refreshUsed = true
		fx = append(fx, Effect{Kind: EffectRevoked, User: t.info.UserID, Device: t.info.DeviceID, Client: t.info.ClientID})
	}
	return Response{Status: 200, Header: headerJSONNoStore, Body: []byte("{}")}, fx
}
