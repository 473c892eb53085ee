package wire

import "strings"

// Field is one header line.
type Field struct {
	Name  string
	Value string
}

// Header is a list of header lines in wire order. It is a slice rather than
// a map so that building and reading one costs no hashing and, for the two
// or three lines a message carries, next to no allocation. Names compare
// case-insensitively (ASCII), as HTTP says. Headers of responses may be
// shared between responses: treat them as read-only.
type Header []Field

// Content types the models read and write.
const (
	ContentTypeJSON = "application/json"
	ContentTypeForm = "application/x-www-form-urlencoded"
)

// headerJSON is the header of a plain JSON response.
var headerJSON = Header{{Name: "Content-Type", Value: ContentTypeJSON}}

// JSONHeader returns the header of a plain JSON response (Content-Type
// only). It is shared by every such response: never modify it.
func JSONHeader() Header { return headerJSON }

// NewHeader builds a header from name, value pairs, in order. A trailing
// name without a value is ignored.
func NewHeader(pairs ...string) Header {
	h := make(Header, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		h = append(h, Field{Name: pairs[i], Value: pairs[i+1]})
	}
	return h
}

// Get returns the value of the first line named name, or "".
func (h Header) Get(name string) string {
	v, _ := h.Lookup(name)
	return v
}

// Lookup returns the value of the first line named name and whether there
// is one.
func (h Header) Lookup(name string) (string, bool) {
	for i := range h {
		if EqualFold(h[i].Name, name) {
			return h[i].Value, true
		}
	}
	return "", false
}

// Count returns how many lines are named name.
func (h Header) Count(name string) int {
	n := 0
	for i := range h {
		if EqualFold(h[i].Name, name) {
			n++
		}
	}
	return n
}

// Values returns the values of every line named name, in order.
func (h Header) Values(name string) []string {
	var vs []string
	for i := range h {
		if EqualFold(h[i].Name, name) {
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
		if EqualFold(f.Name, name) {
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

// EqualFold compares two ASCII strings, such as header names,
// case-insensitively. Bytes outside A-Z and a-z compare exactly.
func EqualFold(a, b string) bool {
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

// Request is one HTTP request. Path is the request target as sent on the
// wire: the percent-encoded path and, after "?", the raw query.
type Request struct {
	// Method is the HTTP method, such as "POST".
	Method string
	// Path is the escaped path with the query, such as "/link?code=ABC123".
	Path string
	// Header holds the request's header lines.
	Header Header
	// Body is the raw request body. Handlers never keep a reference to it.
	Body []byte
}

// Response is one HTTP response. Header and Body may be shared with other
// responses (fixed error bodies, a metadata document) or with stored data:
// treat them as read-only.
type Response struct {
	// Status is the HTTP status code.
	Status int
	// Header holds the response's header lines.
	Header Header
	// Body is the raw response body.
	Body []byte
}

// PathOf returns the path and query of an absolute URL ("/" when it has
// none); a string without a scheme is returned as it is.
func PathOf(u string) string {
	i := strings.Index(u, "://")
	if i < 0 {
		return u
	}
	rest := u[i+3:]
	j := strings.IndexByte(rest, '/')
	if j < 0 {
		return "/"
	}
	return rest[j:]
}
