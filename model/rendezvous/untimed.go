package rendezvous

// Untimed expiries, for an explorer that over-approximates time: a
// session's expiry far ahead is taken out of the store's own clock checks
// (set to Never) and handed to the caller, which may later make it expire
// at any moment it chooses (ExpireNow). The answers the store already sent
// keep what they said; later answers that state the remaining time
// (expires_in_ms) count it from Never.

// Never is the expiry of a session whose expiry was made untimed: no clock
// reaches it.
const Never Millis = 1 << 62

// UntimeExpiries sets to Never the expiry of every session that expires
// more than bound after now, and appends each one's ID and former expiry
// to ids and dues. A store that never expires sessions changes nothing.
func (s *Store) UntimeExpiries(now, bound Millis, ids []string, dues []Millis) ([]string, []Millis) {
	if s.cfg.NoExpiry {
		return ids, dues
	}
	for p := s.head; p != nil; p = p.next {
		if p.expires != Never && p.expires-now > bound {
			ids, dues = append(ids, p.id), append(dues, p.expires)
			p.expires = Never
		}
	}
	return ids, dues
}

// ExpireNow makes session id, whose expiry UntimeExpiries took, expire at
// now; false when there is no such session (deleted or evicted since).
func (s *Store) ExpireNow(id string, now Millis) bool {
	p := s.sessions[id]
	if p == nil || p.expires != Never {
		return false
	}
	p.expires = now
	return true
}

// Untimed reports whether session id is there with its expiry untimed.
func (s *Store) Untimed(id string) bool {
	p := s.sessions[id]
	return p != nil && p.expires == Never
}
