package rendezvous

import "qrlab/model/wire"

// The header types are package wire's, shared with the oauth provider and
// the homeserver.
type (
	// Field is one HTTP header line.
	Field = wire.Field
	// Header is a list of header lines in wire order; see wire.Header.
	Header = wire.Header
)

// AuthState is what the homeserver found out about the request's access
// token before handing it to the store; the store never sees tokens.
type AuthState uint8

const (
	// AuthNone: the request carried no access token.
	AuthNone AuthState = iota
	// AuthValid: the request carried a valid access token.
	AuthValid
	// AuthInvalid: the request carried a token that is unknown or expired.
	AuthInvalid
)

// Request is one HTTP request to the store.
type Request struct {
	// Method is the HTTP method, such as "POST".
	Method string
	// Path is the URL path (anything from "?" on is ignored).
	Path string
	// Header holds the request's header lines.
	Header Header
	// Body is the raw request body. The store copies what it keeps.
	Body []byte
	// Auth says whether the request carried a valid access token.
	Auth AuthState
	// Client is the rate-limit key (for example the remote address); only
	// read when Config.RateLimit is on.
	Client string
}

// Response is one HTTP response from the store. Body may share memory with
// the stored payload: treat it as read-only. Its Header includes
// Content-Type and Content-Length when there is a body.
type Response = wire.Response

// EffectKind names something that happened inside the store.
type EffectKind uint8

// The effects a trace or monitor is told about.
const (
	// EffectCreated: a session was created (Writes is its first counter).
	EffectCreated EffectKind = iota + 1
	// EffectWritten: a PUT replaced the payload.
	EffectWritten
	// EffectRead: a GET returned the payload (200).
	EffectRead
	// EffectNotModified: a conditional GET answered 304.
	EffectNotModified
	// EffectDeleted: a DELETE removed the session.
	EffectDeleted
	// EffectExpired: a sweep (or an eviction) removed an expired session.
	EffectExpired
	// EffectEvictedSoftCap: a sweep removed a live session to get down to
	// the soft cap.
	EffectEvictedSoftCap
	// EffectEvictedHardCap: a create found the hard cap reached and removed
	// a live session at once.
	EffectEvictedHardCap
	// EffectConflict: a stale write was refused.
	EffectConflict
	// EffectReplayed: a retried PUT was answered without a change (identical
	// data, or a recorded transaction ID).
	EffectReplayed
	// EffectRateLimited: a request was refused with 429.
	EffectRateLimited
)

// String returns the effect's name as it appears in traces.
func (k EffectKind) String() string {
	switch k {
	case EffectCreated:
		return "created"
	case EffectWritten:
		return "written"
	case EffectRead:
		return "read"
	case EffectNotModified:
		return "not-modified"
	case EffectDeleted:
		return "deleted"
	case EffectExpired:
		return "expired"
	case EffectEvictedSoftCap:
		return "evicted-soft-cap"
	case EffectEvictedHardCap:
		return "evicted-hard-cap"
	case EffectConflict:
		return "conflict"
	case EffectReplayed:
		return "replayed"
	case EffectRateLimited:
		return "rate-limited"
	}
	return "effect(?)"
}

// Effect is one thing that happened, for traces and invariant monitors.
type Effect struct {
	// Kind is what happened.
	Kind EffectKind
	// ID is the session (empty for EffectRateLimited).
	ID string
	// Writes is the session's write counter after the event (Config.
	// FirstSequence at creation, plus one per successful write).
	Writes uint64
	// At is the time the store used.
	At Millis
}
