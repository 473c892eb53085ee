package oauth

import (
	"slices"
	"strings"
)

// Untimed expiries, for an explorer that over-approximates time: a grant's
// expiry far ahead is taken out of the provider's own clock checks (set to
// Never) and handed to the caller, which may later make it expire at any
// moment it chooses (ExpireNow). Answers already sent keep what they said.

// Never is the expiry of a grant whose expiry was made untimed: no clock
// reaches it.
const Never Millis = 1 << 62

// UntimeExpiries sets to Never the expiry of every grant (in creation
// order) that can still expire and of every access token (in the order of
// the tokens) that expires more than bound after now, and appends each
// one's key (a grant's device code, "token:" and an access token) and
// former expiry to codes and dues.
func (s *Server) UntimeExpiries(now, bound Millis, codes []string, dues []Millis) ([]string, []Millis) {
	for _, g := range s.order {
		switch g.State {
		case GrantPending, GrantApproved, GrantDenied:
		default:
			continue
		}
		if g.ExpiresAt != Never && g.ExpiresAt-now > bound {
			codes, dues = append(codes, g.DeviceCode), append(dues, g.ExpiresAt)
			g.ExpiresAt = Never
		}
	}
	n := len(codes)
	for acc, t := range s.access {
		if t.info.ExpiresAt != Never && t.info.ExpiresAt-now > bound {
			codes, dues = append(codes, tokenKey+acc), append(dues, t.info.ExpiresAt)
		}
	}
	// In the order of the keys, not the map's.
	slices.SortFunc(codes[n:], strings.Compare)
	for i, k := range codes[n:] {
		t := s.access[strings.TrimPrefix(k, tokenKey)]
		dues[n+i] = t.info.ExpiresAt
		t.info.ExpiresAt = Never
	}
	return codes, dues
}

// tokenKey marks an access token's key among UntimeExpiries' keys.
const tokenKey = "token:"

// ExpireNow makes the grant of device code code, whose expiry
// UntimeExpiries took, expire at now (usable while now <= ExpiresAt, so it
// is expired from the next millisecond on); false when there is none.
func (s *Server) ExpireNow(code string, now Millis) bool {
	if acc, ok := strings.CutPrefix(code, tokenKey); ok {
		t := s.access[acc]
		if t == nil || t.info.ExpiresAt != Never {
			return false
		}
		t.info.ExpiresAt = now - 1
		return true
	}
	g := s.grants[code]
	if g == nil || g.ExpiresAt != Never {
		return false
	}
	g.ExpiresAt = now - 1
	return true
}

// Untimed reports whether the grant of device code code is there, can
// still expire, and has its expiry untimed.
func (s *Server) Untimed(code string) bool {
	if acc, ok := strings.CutPrefix(code, tokenKey); ok {
		t := s.access[acc]
		return t != nil && t.info.ExpiresAt == Never
	}
	g := s.grants[code]
	if g == nil || g.ExpiresAt != Never {
		return false
	}
	switch g.State {
	case GrantPending, GrantApproved, GrantDenied:
		return true
	}
	return false
}
