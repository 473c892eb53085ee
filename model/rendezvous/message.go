package rendezvous

// Field is one HTTP header line.
type Field struct {
	Name  string
	Value string
}

// Header is a list of header lines in wire order. It is a slice rather than
// a map so that building and reading one costs no hashing and, for the few
// lines a rendezvous message has, next to no allocation. Names compare
// case-insensitively (ASCII), as HTTP says.
type Header []Field

// Get returns the value of the first line named name, or "".
func (h Header) Get(name string) string {
	v, _ := h.Lookup(name)
	return v
}

// Lookup returns the value of the first line named name and whether there
// is one.
func (h Header) Lookup(name string) (string, bool) {
	for i := range h {
		if equalFold(h[i].Name, name) {
			return h[i].Value, true
		}
	}
	return "", false
}

// Count returns how many lines are named name.
func (h Header) Count(name string) int {
	n := 0
	for i := range h {
		if equalFold(h[i].Name, name) {
			n++
		}
	}
	return n
}

// Values returns the values of every line named name, in order.
func (h Header) Values(name string) []string {
	var vs []string
	for i := range h {
		if equalFold(h[i].Name, name) {
			vs = append(vs, h[i].Value)
		}
	}
	return vs
}

// Add appends a line.
func (h *Header) Add(name, value string) { *h = append(*h, Field{name, value}) }

// Set replaces every line named name with one line (appended at the end if
// there was none).
func (h *Header) Set(name, value string) {
	out := (*h)[:0]
	set := false
	for _, f := range *h {
		if equalFold(f.Name, name) {
			if set {
				continue
			}
			f.Value = value
			set = true
		}
		out = append(out, f)
	}
	if !set {
		out = append(out, Field{name, value})
	}
	*h = out
}

// equalFold compares two header names ASCII case-insensitively.
func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x == y {
			continue
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

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
// the stored payload: treat it as read-only.
type Response struct {
	// Status is the HTTP status code.
	Status int
	// Header holds the response's header lines, Content-Type and
	// Content-Length included when there is a body.
	Header Header
	// Body is the raw response body.
	Body []byte
}

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
