package rendezvous

import (
	"strconv"
	"strings"

	"qrlab/model/wire"
)

// routeKind is which endpoint a path names.
type routeKind uint8

const (
	routeNone       routeKind = iota
	routeRoot                 // {prefix}: create (POST), discovery (GET)
	routeSession              // a session: {prefix}/{id}, or the etag session URL
	routeSessionTxn           // {prefix}/{id}/{txnId}: PUT with a transaction ID
)

// route is a parsed request path.
type route struct {
	kind     routeKind
	unstable bool // the path is under an unstable prefix
	id       string
	txn      string
}

// route maps a path to an endpoint. Paths are matched exactly: no trailing
// slash, no empty segment, no percent-decoding (IDs and tokens never need
// it).
func (s *Store) route(path string) route {
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	for _, p := range s.cfg.Prefixes {
		if path == p {
			return route{kind: routeRoot, unstable: isUnstable(p)}
		}
	}
	if s.cfg.Flavour == FlavourETag {
		sp := s.sessionPrefix
		if len(path) > len(sp)+1 && path[len(sp)] == '/' && path[:len(sp)] == sp {
			rest := path[len(sp)+1:]
			if strings.IndexByte(rest, '/') < 0 {
				return route{kind: routeSession, unstable: isUnstable(sp), id: rest}
			}
		}
		return route{}
	}
	for _, p := range s.cfg.Prefixes {
		if len(path) <= len(p)+1 || path[len(p)] != '/' || path[:len(p)] != p {
			continue
		}
		rest := path[len(p)+1:]
		slash := strings.IndexByte(rest, '/')
		if slash < 0 {
			return route{kind: routeSession, unstable: isUnstable(p), id: rest}
		}
		if s.cfg.Idempotency == IdempotencyTxnID && slash > 0 && slash < len(rest)-1 && strings.IndexByte(rest[slash+1:], '/') < 0 {
			return route{kind: routeSessionTxn, unstable: isUnstable(p), id: rest[:slash], txn: rest[slash+1:]}
		}
		return route{}
	}
	return route{}
}

// isUnstable reports whether a prefix is an unstable path.
func isUnstable(p string) bool { return strings.Contains(p, "/unstable/") }

// allowed lists the methods an endpoint serves, for 405 answers.
func (s *Store) allowed(rt route) string {
	switch rt.kind {
	case routeRoot:
		if s.cfg.Flavour.isJSON() && s.cfg.Discovery {
			return "GET, POST, OPTIONS"
		}
		return "POST, OPTIONS"
	case routeSessionTxn:
		return "PUT, OPTIONS"
	case routeSession:
		if s.cfg.Flavour.isJSON() && s.cfg.Idempotency == IdempotencyTxnID {
			return "GET, DELETE, OPTIONS"
		}
		return "GET, PUT, DELETE, OPTIONS"
	}
	return ""
}

// corsSets are the CORS header lines of each kind of response, computed
// once per store.
type corsSets struct {
	root, session, del, preflightRoot, preflightSession []Field
}

// Endpoint names the two kinds of rendezvous URL, for CORSHeaders.
type Endpoint uint8

const (
	// EndpointCreate is the create (and discovery) path.
	EndpointCreate Endpoint = iota
	// EndpointSession is a session's URL.
	EndpointSession
)

// The Client-Server API's standard CORS values.
const (
	corsMethods = "GET, POST, PUT, DELETE, OPTIONS"
	corsHeaders = "X-Requested-With, Content-Type, Authorization"
)

// CORSHeaders returns the CORS header lines the configuration's CORS style
// puts on responses from an endpoint (preflight: on the answer to OPTIONS).
// A server front end uses it for preflights the store never sees.
func CORSHeaders(cfg Config, ep Endpoint, preflight bool) Header {
	c := makeCORS(cfg)
	var f []Field
	switch {
	case ep == EndpointCreate && preflight:
		f = c.preflightRoot
	case ep == EndpointCreate:
		f = c.root
	case preflight:
		f = c.preflightSession
	default:
		f = c.session
	}
	return append(Header(nil), f...)
}

func makeCORS(cfg Config) corsSets {
	matrix := []Field{
		{Name: "Access-Control-Allow-Origin", Value: "*"},
		{Name: "Access-Control-Allow-Methods", Value: corsMethods},
		{Name: "Access-Control-Allow-Headers", Value: corsHeaders},
	}
	switch cfg.CORS {
	case CORSMatrix:
		return corsSets{root: matrix, session: matrix, del: matrix, preflightRoot: matrix, preflightSession: matrix}
	case CORS2024Text:
		root := append(append([]Field(nil), matrix...), Field{Name: "Access-Control-Expose-Headers", Value: "ETag"})
		sess := []Field{
			{Name: "Access-Control-Allow-Headers", Value: "If-Match,If-None-Match"},
			{Name: "Access-Control-Allow-Methods", Value: "GET, PUT, DELETE"},
			{Name: "Access-Control-Allow-Origin", Value: "*"},
			{Name: "Access-Control-Expose-Headers", Value: "ETag"},
		}
		return corsSets{root: root, session: sess, del: sess, preflightRoot: root, preflightSession: sess}
	case CORS2024Synapse:
		resp := []Field{
			{Name: "Access-Control-Allow-Origin", Value: "*"},
			{Name: "Access-Control-Expose-Headers", Value: "etag"},
		}
		pre := []Field{
			{Name: "Access-Control-Allow-Origin", Value: "*"},
			{Name: "Access-Control-Allow-Methods", Value: "GET, HEAD, POST, PUT, DELETE, OPTIONS"},
			{Name: "Access-Control-Allow-Headers", Value: "X-Requested-With, Content-Type, Authorization, Date"},
		}
		return corsSets{root: resp, session: resp, del: resp[:1], preflightRoot: pre, preflightSession: pre}
	}
	return corsSets{}
}

// corsFor picks the CORS lines for a response on a route.
func (s *Store) corsFor(rt route) []Field {
	if rt.kind == routeRoot {
		return s.cors.root
	}
	return s.cors.session
}

// headerCap is a comfortable capacity for a response's header lines.
const headerCap = 12

// options answers a CORS preflight.
func (s *Store) options(rt route) Response {
	f := s.cors.preflightSession
	if rt.kind == routeRoot {
		f = s.cors.preflightRoot
	}
	h := make(Header, 0, len(f)+1)
	h = append(h, f...)
	h = append(h, Field{Name: "Allow", Value: s.allowed(rt)})
	return Response{Status: 204, Header: h}
}

// unrecognized answers an unknown path (404) or method (405) as a Matrix
// homeserver does: M_UNRECOGNIZED.
func (s *Store) unrecognized(status int, rt route) Response {
	var extra []Field
	if status == 405 {
		extra = []Field{{Name: "Allow", Value: s.allowed(rt)}}
	}
	return s.errorResponse(status, "M_UNRECOGNIZED", "Unrecognized request", rt, extra)
}

// errorResponse builds a Matrix error: {"errcode": ..., "error": ...}.
func (s *Store) errorResponse(status int, errcode, msg string, rt route, extra []Field) Response {
	body := make([]byte, 0, 40+len(errcode)+len(msg))
	body = append(body, `{"errcode":`...)
	body = wire.AppendString(body, errcode)
	body = append(body, `,"error":`...)
	body = wire.AppendString(body, msg)
	body = append(body, '}')
	return s.jsonResponse(status, body, rt, extra)
}

// jsonResponse wraps a JSON body with the response's standard lines:
// Content-Type, Content-Length, the etag flavour's cache headers, CORS.
func (s *Store) jsonResponse(status int, body []byte, rt route, extra []Field) Response {
	h := make(Header, 0, headerCap+len(extra))
	h = append(h, Field{Name: "Content-Type", Value: "application/json"}, Field{Name: "Content-Length", Value: strconv.Itoa(len(body))})
	h = append(h, extra...)
	if s.cfg.Flavour == FlavourETag {
		h = append(h, Field{Name: "Cache-Control", Value: s.cfg.CacheControl}, Field{Name: "Pragma", Value: "no-cache"})
	}
	if rt.kind != routeNone {
		h = append(h, s.corsFor(rt)...)
	}
	return Response{Status: status, Header: h, Body: body}
}
