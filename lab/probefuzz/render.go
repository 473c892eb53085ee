package probefuzz

import (
	"fmt"
	"net/url"
	"strings"

	"qrlab/model/rendezvous"
	"qrlab/model/wire"
)

// side is what one party (the server under test, or the model) handed out
// so far in a sequence: its sessions in creation order.
type side struct {
	cfg   rendezvous.Config // paths and flavour requests are rendered for
	codec rendezvous.Client
	slots []*slot
}

type slot struct {
	id   string
	path string // the session's path (the etag flavour's from its URL)
	toks []string
	gone bool
}

func newSide(cfg rendezvous.Config) *side {
	return &side{cfg: cfg, codec: rendezvous.NewClient(cfg.Flavour)}
}

// unknownID is a well-formed ID no session has.
const unknownID = "01ARZ3NDEKTSV4RRFFQ69G5FAV"

func (s *side) slot(i int) (*slot, int) {
	if len(s.slots) == 0 {
		return nil, -1
	}
	i %= len(s.slots)
	return s.slots[i], i
}

func (s *side) prefix(i int) string { return s.cfg.Prefixes[i%len(s.cfg.Prefixes)] }

// sessionPath is the path of the step's session.
func (s *side) sessionPath(st *Step) string {
	if sl, _ := s.slot(st.Slot); sl != nil {
		if s.cfg.Flavour != rendezvous.FlavourETag {
			return s.prefix(st.Prefix) + "/" + sl.id
		}
		return sl.path
	}
	if s.cfg.Flavour == rendezvous.FlavourETag {
		sp := s.cfg.SessionPrefix
		if sp == "" {
			sp = s.prefix(st.Prefix)
		}
		return sp + "/" + unknownID
	}
	return s.prefix(st.Prefix) + "/" + unknownID
}

func (s *side) forged() string {
	if s.cfg.Flavour == rendezvous.FlavourETag {
		return `"f0rged"`
	}
	return "f0rged"
}

// token resolves a token reference.
func (s *side) token(st *Step) string {
	sl, i := s.slot(st.Slot)
	if sl == nil || st.Tok == TokForged {
		return s.forged()
	}
	last := sl.toks[len(sl.toks)-1]
	switch st.Tok {
	case TokPrevious:
		if len(sl.toks) > 1 {
			return sl.toks[len(sl.toks)-2]
		}
	case TokFirst:
		return sl.toks[0]
	case TokForeign:
		if len(s.slots) > 1 {
			o := s.slots[(i+1)%len(s.slots)]
			return o.toks[len(o.toks)-1]
		}
		return s.forged()
	case TokEmpty:
		return ""
	}
	return last
}

// render turns a step into the request this side sends.
func (s *side) render(st *Step) *Request {
	r := &Request{}
	switch st.Op {
	case "garbage":
		return &Request{Raw: []byte(st.Data)}
	case "create":
		h, body := s.codec.Create(st.Data)
		r.Method, r.Target, r.Body = "POST", s.prefix(st.Prefix), body
		r.Header = fields(h)
	case "read":
		r.Method, r.Target = "GET", s.sessionPath(st)
		if st.Cond {
			r.Header = [][2]string{{"If-None-Match", s.token(st)}}
		}
	case "write":
		h, body := s.codec.Put(s.token(st), st.Data)
		r.Method, r.Target, r.Body = "PUT", s.sessionPath(st), body
		if st.Txn != "" {
			r.Target = rendezvous.PutURL(r.Target, st.Txn)
		}
		r.Header = fields(h)
	case "delete":
		r.Method, r.Target = "DELETE", s.sessionPath(st)
	case "discover":
		r.Method, r.Target = "GET", s.prefix(st.Prefix)
	case "options":
		r.Method, r.Target = "OPTIONS", s.sessionPath(st)
		if st.Slot%2 == 0 {
			r.Target = s.prefix(st.Prefix)
		}
		r.Header = [][2]string{{"Origin", "https://app.example"}, {"Access-Control-Request-Method", "PUT"}}
	}
	for _, m := range st.Muts {
		s.mutate(r, st, m)
	}
	return r
}

// fields converts a model header to request lines, leaving out
// Content-Length (the writer adds the true one).
func fields(h rendezvous.Header) [][2]string {
	var out [][2]string
	for _, f := range h {
		if !wire.EqualFold(f.Name, "Content-Length") {
			out = append(out, [2]string{f.Name, f.Value})
		}
	}
	return out
}

func setHeader(r *Request, name, value string) {
	out := r.Header[:0:0]
	for _, f := range r.Header {
		if !strings.EqualFold(f[0], name) {
			out = append(out, f)
		}
	}
	if value != "" {
		out = append(out, [2]string{name, value})
	}
	r.Header = out
}

func (s *side) mutate(r *Request, st *Step, m Mut) {
	switch m.Kind {
	case "method":
		r.Method = m.Arg
	case "content-type":
		setHeader(r, "Content-Type", m.Arg)
	case "body":
		r.Body = s.mutateBody(r.Body, st, m.Arg)
	case "path":
		r.Target = mutatePath(r.Target, m.Arg)
	case "header":
		r.Header = append(r.Header, s.headerLines(st, m.Arg)...)
	case "framing":
		r.Chunked = m.Arg == "chunked"
		r.NoLength = m.Arg == "no-length"
		if r.NoLength {
			r.Body = nil
		}
	}
}

var headerMuts = map[string][][2]string{
	"if-match-star":         {{"If-Match", "*"}},
	"if-match-empty":        {{"If-Match", ""}},
	"if-none-match-star":    {{"If-None-Match", "*"}},
	"sec-fetch-navigate":    {{"Sec-Fetch-Mode", "navigate"}},
	"sec-fetch-document":    {{"Sec-Fetch-Dest", "document"}},
	"sec-fetch-image":       {{"Sec-Fetch-Dest", "image"}},
	"sec-fetch-user":        {{"Sec-Fetch-User", "?1"}},
	"sec-fetch-site-none":   {{"Sec-Fetch-Site", "none"}},
	"sec-fetch-cors":        {{"Sec-Fetch-Dest", "empty"}, {"Sec-Fetch-Mode", "cors"}, {"Sec-Fetch-Site", "cross-site"}},
	"auth-bogus":            {{"Authorization", "Bearer no-such-token"}},
	"content-encoding-gzip": {{"Content-Encoding", "gzip"}},
	"two-content-type":      {{"Content-Type", "text/plain"}},
}

func (s *side) headerLines(st *Step, arg string) [][2]string {
	tok := s.token(st)
	switch arg {
	case "if-match-weak":
		return [][2]string{{"If-Match", "W/" + tok}}
	case "if-match-list":
		return [][2]string{{"If-Match", s.forged() + ", " + tok}}
	case "if-match-unquoted":
		return [][2]string{{"If-Match", strings.Trim(tok, `"`)}}
	case "two-if-match":
		return [][2]string{{"If-Match", s.forged()}, {"If-Match", tok}}
	case "if-none-match-weak":
		return [][2]string{{"If-None-Match", "W/" + tok}}
	case "auth-valid":
		return [][2]string{{"Authorization", "Bearer " + accessToken}}
	}
	return headerMuts[arg]
}

// accessToken is the access token simrun serve's test user has.
const accessToken = "simrun-test-token"

func mutatePath(p, arg string) string {
	i := strings.LastIndexByte(p, '/')
	dir, last := p[:i], p[i+1:]
	switch arg {
	case "trailing-slash":
		return p + "/"
	case "double-slash":
		return dir + "//" + last
	case "query":
		return p + "?x=1&access_token=" + accessToken
	case "percent":
		if last != "" {
			return dir + "/" + fmt.Sprintf("%%%02X", last[0]) + last[1:]
		}
	case "upper":
		return dir + "/" + strings.ToUpper(last)
	case "extra-segment":
		return p + "/extra/more"
	case "unknown-id":
		return dir + "/" + unknownID
	case "dot-segment":
		return dir + "/./" + last
	case "empty-id":
		return dir + "/"
	case "fragment-like":
		return p + "%23frag"
	case "encoded-slash":
		return dir + "%2F" + url.PathEscape(last)
	}
	return p
}
