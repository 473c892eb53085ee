package sim

import (
	"strings"

	"qrlab/model/rendezvous"
)

// StoreCost is what one run cost the rendezvous server, read from the
// simulated store's own state after every request it answered (never from
// what a device says it did). A session counts from its creation until it
// expires or is deleted; one still live when the run ends counts on until
// its expiry, since nothing else removes it (a store that never expires
// sessions counts to the run's end only), unless an honest device had
// sent its DELETE: the simulator stops once both devices are done, before
// a DELETE sent at the very end arrives, so that session counts to the
// run's end (a DELETE the network lost counts the same way).
type StoreCost struct {
	// SessionMillis is the integral of the live sessions over time
	// (sessions × milliseconds); ByteMillis that of the payload bytes
	// they hold (bytes × milliseconds).
	SessionMillis int64 `json:"session_ms"`
	ByteMillis    int64 `json:"byte_ms"`
	// PeakSessions and PeakBytes are the most live sessions, and the most
	// payload bytes they held, at any one time.
	PeakSessions int `json:"peak_sessions"`
	PeakBytes    int `json:"peak_bytes"`
	// Left is the sessions still live when the run ended that no honest
	// device had sent a DELETE for; LeftMillis the part of SessionMillis
	// they add after that. Deleting is the live sessions whose DELETE had
	// been sent.
	Left       int   `json:"left_sessions"`
	LeftMillis int64 `json:"left_session_ms"`
	Deleting   int   `json:"deleting_sessions,omitempty"`
}

// costMeter integrates the store's holdings between observations: what
// the store holds does not change between two requests, but a session
// may expire in between.
type costMeter struct {
	held     []rendezvous.Held
	at       Millis
	noExpiry bool
	c        StoreCost
	deletes  []string // paths an honest device sent a DELETE to
}

func (m *costMeter) reset(noExpiry bool) {
	m.held, m.at, m.noExpiry, m.c, m.deletes = m.held[:0], 0, noExpiry, StoreCost{}, m.deletes[:0]
}

// deleting notes a DELETE an honest device sent to path.
func (m *costMeter) deleting(path string) { m.deletes = append(m.deletes, path) }

// deleted reports whether a DELETE was sent for the session with this ID.
func (m *costMeter) deleted(id string) bool {
	for _, p := range m.deletes {
		if strings.HasSuffix(p, "/"+id) {
			return true
		}
	}
	return false
}

// until is when h stops counting, given that time runs to now.
func (m *costMeter) until(h rendezvous.Held, now Millis) Millis {
	if m.noExpiry {
		return now
	}
	return min(now, h.Expires)
}

// advance counts the last observed holdings up to now.
func (m *costMeter) advance(now Millis) {
	for _, h := range m.held {
		if d := int64(m.until(h, now) - m.at); d > 0 {
			m.c.SessionMillis += d
			m.c.ByteMillis += d * int64(h.Size)
		}
	}
	m.at = max(m.at, now)
}

// observe reads the store's holdings at now, after it answered a request.
func (m *costMeter) observe(now Millis, s *rendezvous.Store) {
	m.advance(now)
	m.held = s.AppendHeld(m.held[:0])
	live, bytes := 0, 0
	for _, h := range m.held {
		if m.noExpiry || h.Expires > now {
			live++
			bytes += h.Size
		}
	}
	m.c.PeakSessions = max(m.c.PeakSessions, live)
	m.c.PeakBytes = max(m.c.PeakBytes, bytes)
}

// close ends the count at the run's end: sessions still live count on
// until they expire.
func (m *costMeter) close(end Millis) StoreCost {
	m.advance(end)
	for _, h := range m.held {
		if !m.noExpiry && h.Expires <= end {
			continue
		}
		if m.deleted(h.ID) {
			m.c.Deleting++
			continue
		}
		m.c.Left++
		if m.noExpiry {
			continue
		}
		d := int64(h.Expires - end)
		m.c.LeftMillis += d
		m.c.SessionMillis += d
		m.c.ByteMillis += d * int64(h.Size)
	}
	return m.c
}
