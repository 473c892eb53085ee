package probefuzz

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"qrlab/model/rendezvous"
)

// Step is one abstract request of a sequence. It names sessions by slot
// (the order in which the sequence created them) and tokens by their place
// in a session's history, so the same step renders to the server's IDs and
// tokens and to the model's.
type Step struct {
	// Op is create, read, write, delete, discover (the 2026 discovery
	// GET), options (a CORS preflight) or garbage (bytes that are no valid
	// HTTP request, on a fresh connection).
	Op string `json:"op"`
	// Slot is the session (taken modulo the sessions created so far; an
	// unknown ID when none).
	Slot int `json:"slot,omitempty"`
	// Prefix picks the path prefix (the stable or the unstable path).
	Prefix int `json:"prefix,omitempty"`
	// Tok is the token a write or a conditional read carries.
	Tok string `json:"tok,omitempty"`
	// Cond: a read carries If-None-Match (etag flavour).
	Cond bool   `json:"cond,omitempty"`
	Data string `json:"data,omitempty"`
	// Txn is the transaction ID of a write (transaction-ID flavour): a
	// name, the same name on a retry.
	Txn string `json:"txn,omitempty"`
	// Muts change the rendered request.
	Muts []Mut `json:"muts,omitempty"`
	// Race is sent at the same time by a second client.
	Race *Step `json:"race,omitempty"`
	// Dup sends the same bytes twice, one after the other.
	Dup bool `json:"dup,omitempty"`
}

// Mut is one mutation of a rendered request.
type Mut struct {
	Kind string `json:"kind"`
	Arg  string `json:"arg,omitempty"`
}

// The token references of Step.Tok.
const (
	TokCurrent  = "current"  // the session's newest token
	TokPrevious = "previous" // the one before it
	TokFirst    = "first"    // the create's
	TokForeign  = "foreign"  // another session's newest
	TokForged   = "forged"   // one no session handed out
	TokEmpty    = "empty"
)

// gen generates sequences for one target.
type gen struct {
	r    *rand.Rand
	spec rendezvous.Config
	// unique makes every payload unique (a counter appended): with tokens
	// that hash the payload and the write's millisecond, whether two
	// writes of one payload share a token depends on the clock, which no
	// sequential model predicts.
	unique bool
	n      int
}

// datas are the payloads, from the ordinary to the limit.
var datas = []string{
	"", "a", "hello", `{"type":"m.login.protocols"}`, "é€😀", "\"quote\\back\nnl\ttab", "\x00nul\x01",
	"\u2028sep", strings.Repeat("a", 4096), strings.Repeat("a", 4097), strings.Repeat("a", 4095) + "é",
	"AAAA+/==", " leading and trailing ",
}

func (g *gen) data() string {
	d := datas[g.r.IntN(7)]
	if g.r.IntN(4) == 0 {
		d = datas[g.r.IntN(len(datas))]
	}
	if g.unique && len(d) < 4000 {
		g.n++
		d += fmt.Sprintf("#%d", g.n)
	}
	return d
}

func (g *gen) tok() string {
	switch n := g.r.IntN(20); {
	case n < 12:
		return TokCurrent
	case n < 15:
		return TokPrevious
	case n < 16:
		return TokFirst
	case n < 18:
		return TokForeign
	case n < 19:
		return TokForged
	}
	return TokEmpty
}

// sequence is one generated sequence of n steps: a create first, then any
// op, with mutations, races and duplicates.
func (g *gen) sequence(n int) []Step {
	steps := []Step{{Op: "create", Data: g.data()}}
	for len(steps) < n {
		st := g.step()
		switch g.r.IntN(10) {
		case 0:
			r := g.step()
			if r.Op != "garbage" && st.Op != "garbage" {
				st.Race = &r
			}
		case 1:
			// Two creates of one payload in one millisecond share a
			// time-hashed token or not, as the clock falls.
			st.Dup = st.Op != "garbage" && !(g.unique && st.Op == "create")
		}
		steps = append(steps, st)
	}
	return steps
}

func (g *gen) step() Step {
	st := Step{Slot: g.r.IntN(3), Prefix: g.r.IntN(2)}
	switch n := g.r.IntN(100); {
	case n < 12:
		st.Op = "create"
		st.Data = g.data()
	case n < 40:
		st.Op = "read"
		if g.spec.Flavour == rendezvous.FlavourETag && g.r.IntN(2) == 0 {
			st.Cond, st.Tok = true, g.tok()
		}
	case n < 75:
		st.Op = "write"
		st.Tok, st.Data = g.tok(), g.data()
		if g.spec.Idempotency == rendezvous.IdempotencyTxnID {
			st.Txn = []string{"t1", "t2", "t3", "t4", "a=b", "a~b", strings.Repeat("x", 256)}[g.r.IntN(7)]
		}
	case n < 85:
		st.Op = "delete"
	case n < 90:
		st.Op = "discover"
	case n < 95:
		st.Op = "options"
	default:
		st.Op = "garbage"
		st.Data = garbage[g.r.IntN(len(garbage))]
	}
	if st.Op != "garbage" && g.r.IntN(3) == 0 {
		for range 1 + g.r.IntN(2) {
			st.Muts = append(st.Muts, g.mut())
		}
	}
	return st
}

// garbage are requests the server must refuse as HTTP (never with a 5xx,
// never by hanging).
var garbage = []string{
	"GET /_matrix/client/v1/rendezvous HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
	"GET /_matrix/client/v1/rendezvous HTTP/1.1\r\n\r\n",
	"POST /_matrix/client/v1/rendezvous HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc",
	"POST /_matrix/client/v1/rendezvous HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
	"POST /_matrix/client/v1/rendezvous HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
	"G\x00T / HTTP/1.1\r\nHost: x\r\n\r\n",
	"GET " + strings.Repeat("/a", 40000) + " HTTP/1.1\r\nHost: x\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: x\r\nX: " + strings.Repeat("b", 70000) + "\r\n\r\n",
	"PUT /_matrix/client/v1/rendezvous/x HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nX:\x7f\r\n\r\na",
}

// mutKinds are the mutations, with the arguments each draws from.
var mutKinds = []struct {
	kind string
	args []string
}{
	{"method", []string{"GET", "PUT", "POST", "DELETE", "HEAD", "OPTIONS", "PATCH", "TRACE", "BREW", "get"}},
	{"content-type", []string{"", "text/plain", "text/plain; charset=utf-8", "TEXT/PLAIN", " text/plain ", "application/json",
		"application/json; charset=utf-8", "Application/JSON", "application/x-www-form-urlencoded", "text/plain, application/json"}},
	{"body", []string{"empty", "truncate", "trailing", "not-json", "array", "null", "number", "data-number", "data-null",
		"data-object", "no-data", "no-token", "token-number", "dup-key", "extra-member", "whitespace", "bom", "invalid-utf8",
		"escapes", "lone-surrogate", "huge", "nul"}},
	{"path", []string{"trailing-slash", "double-slash", "query", "percent", "upper", "extra-segment", "unknown-id",
		"dot-segment", "empty-id", "fragment-like", "encoded-slash"}},
	{"header", []string{"if-match-weak", "if-match-star", "if-match-list", "if-match-unquoted", "if-match-empty", "if-none-match-star",
		"if-none-match-weak", "two-if-match", "sec-fetch-navigate", "sec-fetch-document", "sec-fetch-image", "sec-fetch-user",
		"sec-fetch-site-none", "sec-fetch-cors", "auth-valid", "auth-bogus", "content-encoding-gzip", "expect-continue",
		"two-content-type"}},
	{"framing", []string{"chunked", "no-length"}},
}

func (g *gen) mut() Mut {
	m := mutKinds[g.r.IntN(len(mutKinds))]
	return Mut{Kind: m.kind, Arg: m.args[g.r.IntN(len(m.args))]}
}
