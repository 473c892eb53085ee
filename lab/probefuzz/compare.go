package probefuzz

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"

	"qrlab/model/rendezvous"
	"qrlab/model/wire"
)

// skipHeaders are lines the transport owns.
var skipHeaders = []string{"Date", "Content-Length", "Connection", "Keep-Alive", "Transfer-Encoding"}

// compare checks the server's answer to one request against the model's,
// then learns the sessions and tokens both handed out.
func (rn *run) compare(i int, st *Step, slot int, req *Request, srv, mdl *Answer) *Disagreement {
	bad := func(what, format string, args ...any) *Disagreement {
		return &Disagreement{Step: i, What: what, Detail: fmt.Sprintf(format, args...), Server: srv, Model: mdl}
	}
	if !rn.rendezvousPath(req.Target) {
		// Another endpoint of the server answers: only its health counts.
		return nil
	}
	if srv.Status != mdl.Status {
		return bad("status", "server %d, model %d", srv.Status, mdl.Status)
	}
	op := effective(st, req)
	slotIdx := rn.slotOf(op, slot)
	if d := rn.compareHeaders(slotIdx, srv, mdl); d != "" {
		what, detail, _ := strings.Cut(d, ": ")
		return bad(what, "%s", detail)
	}
	if req.Method != "HEAD" {
		if d := rn.compareBody(slotIdx, srv, mdl); d != "" {
			what, detail, _ := strings.Cut(d, ": ")
			return bad(what, "%s", detail)
		}
	}
	if mdl.Status/100 != 2 || op == "" {
		return nil
	}
	if d := rn.learn(op, slot, srv, mdl); d != "" {
		what, detail, _ := strings.Cut(d, ": ")
		return bad(what, "%s", detail)
	}
	return nil
}

// rendezvousPath reports whether a request target is under one of the
// rendezvous paths (the prefixes, the etag session prefix): the paths the
// store answers. Targets are compared as sent, undecoded.
func (rn *run) rendezvousPath(target string) bool {
	if i := strings.IndexByte(target, '?'); i >= 0 {
		target = target[:i]
	}
	paths := rn.cfg.Prefixes
	if rn.cfg.SessionPrefix != "" {
		paths = append(slices.Clone(paths), rn.cfg.SessionPrefix)
	}
	for _, p := range paths {
		if target == p || strings.HasPrefix(target, p+"/") {
			return true
		}
	}
	return false
}

func (rn *run) compareHeaders(slotIdx int, srv, mdl *Answer) string {
	var names []string
	for _, f := range mdl.Header {
		n := http.CanonicalHeaderKey(f[0])
		if !slices.Contains(names, n) && !slices.Contains(skipHeaders, n) {
			names = append(names, n)
		}
	}
	for _, n := range names {
		sv, mv := srv.Values(n), mdl.Values(n)
		switch n {
		case "Etag":
			if len(sv) != 1 || slotIdx < 0 {
				return fmt.Sprintf("header ETag: server %q, model %q", sv, mv)
			}
			if d := rn.pair(slotIdx, sv[0], mv[0]); d != "" {
				return "token: " + d
			}
		case "Expires", "Last-Modified":
			if len(sv) != 1 {
				return fmt.Sprintf("header %s: server %q, model %q", n, sv, mv)
			}
			ts, e1 := http.ParseTime(sv[0])
			tm, e2 := http.ParseTime(mv[0])
			if e1 != nil || e2 != nil || abs(ts.UnixMilli()-tm.UnixMilli()) > rn.tol+1000 {
				return fmt.Sprintf("header %s: server %q, model %q", n, sv[0], mv[0])
			}
		default:
			if !slices.Equal(sv, mv) {
				return fmt.Sprintf("header %s: server %q, model %q", n, sv, mv)
			}
		}
	}
	return ""
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

func decodeJSON(b []byte) (map[string]any, bool) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	if d.Decode(&m) != nil || d.More() {
		return nil, false
	}
	return m, true
}

func (rn *run) compareBody(slotIdx int, srv, mdl *Answer) string {
	mm, ok := decodeJSON(mdl.Body)
	if !ok {
		if !bytes.Equal(srv.Body, mdl.Body) {
			return fmt.Sprintf("body: server %s, model %s", quote(string(srv.Body)), quote(string(mdl.Body)))
		}
		return ""
	}
	sm, ok := decodeJSON(srv.Body)
	if !ok {
		return fmt.Sprintf("body: not a JSON object: %s (model %s)", quote(string(srv.Body)), quote(string(mdl.Body)))
	}
	for k := range sm {
		if _, ok := mm[k]; !ok {
			return fmt.Sprintf("member %q: the server sends it, the model does not: %s", k, quote(string(srv.Body)))
		}
	}
	for k, mv := range mm {
		sv, ok := sm[k]
		if !ok {
			return fmt.Sprintf("member %q: missing (model %v)", k, mv)
		}
		switch k {
		case "error", "id", "url":
			// Free text; IDs and URLs are checked as the client codec
			// reads them (learn).
		case "sequence_token":
			s, ok1 := sv.(string)
			m, ok2 := mv.(string)
			if !ok1 || !ok2 || slotIdx < 0 {
				return fmt.Sprintf("member %q: server %v, model %v", k, sv, mv)
			}
			if d := rn.pair(slotIdx, s, m); d != "" {
				return "token: " + d
			}
		case "expires_in_ms", "expires_ts":
			s, e1 := toInt(sv)
			m, e2 := toInt(mv)
			if !e1 || !e2 || abs(s-m) > rn.tol {
				return fmt.Sprintf("expiry: member %q: server %v, model %v (tolerance %d ms)", k, sv, mv, rn.tol)
			}
		default:
			if !reflect.DeepEqual(sv, mv) {
				return fmt.Sprintf("member %q: server %v, model %v", k, sv, mv)
			}
		}
	}
	return ""
}

func toInt(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := n.Int64()
	return i, err == nil
}

// learn reads an accepted answer with the client codec, as a client would,
// and records the sessions and tokens it hands out.
func (rn *run) learn(op string, i int, srv, mdl *Answer) string {
	sr, mr := asResponse(srv), asResponse(mdl)
	switch op {
	case "create":
		cm, err := rn.mdl.codec.ParseCreate(mr)
		if err != nil {
			return ""
		}
		cs, err := rn.srv.codec.ParseCreate(sr)
		if err != nil {
			return "codec: " + err.Error()
		}
		ss, ms := rn.srv.newSlot(cs), rn.mdl.newSlot(cm)
		if ss.id == "" {
			return "id: the session URL " + quote(cs.URL) + " ends in no ID"
		}
		for _, o := range rn.srv.slots[:len(rn.srv.slots)-1] {
			if o.id == ss.id {
				return "id: the server hands out session ID " + quote(ss.id) + " twice"
			}
		}
		if cs.URL != "" && strings.TrimSuffix(cs.URL, ss.id) != strings.TrimSuffix(cm.URL, ms.id) {
			return "member url: server " + quote(cs.URL) + ", model " + quote(cm.URL)
		}
		if d := rn.pair(len(rn.mdl.slots)-1, cs.Token, cm.Token); d != "" {
			return "token: " + d
		}
	case "read", "write":
		var ts, tm string
		var err error
		if op == "read" {
			var ds, dm []byte
			if dm, tm, err = rn.mdl.codec.ParseRead(mr); err != nil {
				return ""
			}
			if ds, ts, err = rn.srv.codec.ParseRead(sr); err != nil {
				return "codec: " + err.Error()
			}
			if !bytes.Equal(ds, dm) {
				return "data: server " + quote(string(ds)) + ", model " + quote(string(dm))
			}
		} else {
			if tm, err = rn.mdl.codec.ParseWritten(mr); err != nil {
				return ""
			}
			if ts, err = rn.srv.codec.ParseWritten(sr); err != nil {
				return "codec: " + err.Error()
			}
		}
		if i < 0 {
			return ""
		}
		if d := rn.pair(i, ts, tm); d != "" {
			return "token: " + d
		}
		rn.srv.addToken(i, ts)
		rn.mdl.addToken(i, tm)
	case "delete":
		if i >= 0 {
			rn.srv.slots[i].gone, rn.mdl.slots[i].gone = true, true
		}
	case "discover":
		am, err := rendezvous.ParseDiscovery(mr)
		if err != nil {
			return ""
		}
		as, err := rendezvous.ParseDiscovery(sr)
		if err != nil {
			return "codec: " + err.Error()
		}
		if as != am {
			return fmt.Sprintf("member create_available: server %v, model %v", as, am)
		}
	}
	return ""
}

func asResponse(a *Answer) *rendezvous.Response {
	r := &rendezvous.Response{Status: a.Status, Body: a.Body}
	for _, f := range a.Header {
		r.Header = append(r.Header, rendezvous.Field{Name: f[0], Value: f[1]})
	}
	return r
}

func (s *side) newSlot(c rendezvous.Created) *slot {
	sl := &slot{id: c.ID, toks: []string{c.Token}}
	if c.URL != "" {
		p := wire.PathOf(c.URL)
		sl.path = p
		sl.id = p[strings.LastIndexByte(p, '/')+1:]
	} else {
		sl.path = s.prefix(0) + "/" + c.ID
	}
	s.slots = append(s.slots, sl)
	return sl
}

func (s *side) addToken(i int, t string) {
	sl := s.slots[i]
	if sl.toks[len(sl.toks)-1] != t {
		sl.toks = append(sl.toks, t)
	}
}
