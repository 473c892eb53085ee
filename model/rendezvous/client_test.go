package rendezvous

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"qrlab/model/wire"
)

// codecSession drives a store of cfg through the client codec: requests
// built by Client, answers parsed by Client.
type codecSession struct {
	t     *testing.T
	c     Client
	s     *Store
	cfg   Config
	now   Millis
	path  string // the session's path
	token string
	txns  int
}

func (cs *codecSession) do(method, path string, h Header, body []byte) Response {
	cs.t.Helper()
	req := &Request{Method: method, Path: path, Header: h, Body: body, Auth: AuthValid}
	resp, _ := cs.s.Handle(cs.now, req)
	checkWellFormed(cs.t, cs.cfg, req, resp)
	return resp
}

func (cs *codecSession) put(token, data string) (string, error) {
	h, body := cs.c.Put(token, data)
	path := cs.path
	if cs.cfg.Flavour != FlavourETag && cs.cfg.Idempotency == IdempotencyTxnID {
		cs.txns++
		path = PutURL(path, "t"+strings.Repeat("x", cs.txns))
	}
	resp := cs.do("PUT", path, h, body)
	return cs.c.ParseWritten(&resp)
}

// TestClientCodecAgainstStore: for every preset, a session created, read,
// written, written stale, polled and deleted through the codec answers as
// the flavour says, and the codec reads every answer.
func TestClientCodecAgainstStore(t *testing.T) {
	for _, name := range PresetNames() {
		cfg, err := Preset(name)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(name, func(t *testing.T) {
			cs := &codecSession{t: t, c: NewClient(cfg.Flavour), s: newTestStore(t, cfg), cfg: cfg, now: t0}
			prefix := cfg.Prefixes[len(cfg.Prefixes)-1]
			if cfg.Flavour != FlavourETag && cfg.Discovery {
				resp := cs.do("GET", prefix, nil, nil)
				if ok, err := ParseDiscovery(&resp); err != nil || !ok {
					t.Fatalf("discovery: %v %v (%d %s)", ok, err, resp.Status, resp.Body)
				}
			}
			h, body := cs.c.Create("first")
			resp := cs.do("POST", prefix, h, body)
			cr, err := cs.c.ParseCreate(&resp)
			if err != nil {
				t.Fatalf("create: %v (%d %s)", err, resp.Status, resp.Body)
			}
			if cs.c.ETag() {
				cs.path = wire.PathOf(cr.URL)
			} else {
				cs.path = prefix + "/" + cr.ID
			}
			resp = cs.do("GET", cs.path, nil, nil)
			data, tok, err := cs.c.ParseRead(&resp)
			if err != nil || string(data) != "first" || tok != cr.Token {
				t.Fatalf("read: %q %q %v, want %q", data, tok, err, cr.Token)
			}
			next, err := cs.put(cr.Token, "second \"quoted\" \x01")
			if err != nil || next == "" || next == cr.Token {
				t.Fatalf("put: %q %v", next, err)
			}
			if _, err := cs.put(cr.Token, "stale"); !errors.Is(err, ErrAnswerConflict) {
				t.Fatalf("stale put: %v, want a conflict", err)
			}
			resp = cs.do("GET", cs.path, cs.c.Poll(next), nil)
			if cs.c.ETag() {
				if resp.Status != 304 {
					t.Fatalf("poll on the current ETag: %d", resp.Status)
				}
			} else if data, tok, err := cs.c.ParseRead(&resp); err != nil || string(data) != "second \"quoted\" \x01" || tok != next {
				t.Fatalf("poll: %q %q %v", data, tok, err)
			}
			cs.do("DELETE", cs.path, nil, nil)
			resp = cs.do("GET", cs.path, nil, nil)
			if _, _, err := cs.c.ParseRead(&resp); !errors.Is(err, ErrAnswerNotFound) {
				t.Fatalf("read after delete: %v", err)
			}
		})
	}
}

// TestClientParseErrors: each malformed answer is refused with the kind,
// operation and place of the fault.
func TestClientParseErrors(t *testing.T) {
	js, et := NewClient(FlavourSequenceToken), NewClient(FlavourETag)
	jsonResp := func(status int, body string) *Response { return &Response{Status: status, Body: []byte(body)} }
	cases := []struct {
		name  string
		parse func() error
		kind  error
		msg   string
	}{
		{"create 500", func() error { _, err := js.ParseCreate(jsonResp(500, `{}`)); return err },
			ErrAnswerStatus, "rendezvous create answer: status 500: unexpected status"},
		{"create no id", func() error { _, err := js.ParseCreate(jsonResp(200, `{"sequence_token":"1"}`)); return err },
			ErrAnswerMissing, `rendezvous create answer (status 200): member "id": missing`},
		{"create token not a string", func() error { _, err := js.ParseCreate(jsonResp(200, `{"id":"a","sequence_token":1}`)); return err },
			ErrAnswerMissing, `member "sequence_token"`},
		{"create duplicate key", func() error {
			_, err := js.ParseCreate(jsonResp(200, `{"id":"a","id":"b","sequence_token":"1"}`))
			return err
		},
			ErrAnswerMalformed, "duplicate key"},
		{"etag create relative url", func() error {
			_, err := et.ParseCreate(&Response{Status: 201, Header: Header{{Name: "ETag", Value: `"1"`}}, Body: []byte(`{"url":"/x"}`)})
			return err
		}, ErrAnswerMissing, `member "url" (an absolute URL)`},
		{"etag create no ETag", func() error { _, err := et.ParseCreate(jsonResp(201, `{"url":"https://h/x"}`)); return err },
			ErrAnswerMissing, "header ETag"},
		{"read trailing garbage", func() error {
			_, _, err := js.ParseRead(jsonResp(200, `{"data":"x","sequence_token":"1"} x`))
			return err
		},
			ErrAnswerMalformed, "invalid JSON"},
		{"read not an object", func() error { _, _, err := js.ParseRead(jsonResp(200, `["data"]`)); return err },
			ErrAnswerMalformed, "not an object"},
		{"read no data", func() error { _, _, err := js.ParseRead(jsonResp(200, `{"data":1,"sequence_token":"t"}`)); return err },
			ErrAnswerMissing, `member "data"`},
		{"read 404", func() error { _, _, err := js.ParseRead(jsonResp(404, `{"errcode":"M_NOT_FOUND"}`)); return err },
			ErrAnswerNotFound, "status 404"},
		{"etag read no ETag", func() error { _, _, err := et.ParseRead(&Response{Status: 200, Body: []byte("x")}); return err },
			ErrAnswerMissing, "header ETag"},
		{"write 412", func() error { _, err := et.ParseWritten(&Response{Status: 412}); return err },
			ErrAnswerConflict, "stale"},
		{"write 409", func() error { _, err := js.ParseWritten(jsonResp(409, `{}`)); return err },
			ErrAnswerConflict, "rendezvous write answer: status 409"},
		{"write empty token", func() error { _, err := js.ParseWritten(jsonResp(200, `{"sequence_token":""}`)); return err },
			ErrAnswerMissing, `member "sequence_token"`},
		{"discovery not a boolean", func() error { _, err := ParseDiscovery(jsonResp(200, `{"create_available":"yes"}`)); return err },
			ErrAnswerMissing, `member "create_available" (a boolean)`},
	}
	for _, c := range cases {
		err := c.parse()
		var ae *AnswerError
		if !errors.Is(err, c.kind) || !errors.As(err, &ae) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: got %v, want %v mentioning %q", c.name, err, c.kind, c.msg)
		}
	}
}

// TestClientReadsMembers: the members are read wherever they stand, with
// escapes decoded; other members, nested objects and whitespace are
// skipped.
func TestClientReadsMembers(t *testing.T) {
	js := NewClient(FlavourSequenceToken2025)
	cases := []struct {
		body      string
		data, tok string
		ok        bool
	}{
		{`{"data":"x","sequence_token":"7"}`, "x", "7", true},
		{` { "n": {"data":"no"}, "data" : "a\u0062\n", "list":[1,"x"], "sequence_token":"" } `, "ab\n", "", true},
		{`{"d\u0061ta":"esc","sequence_token":"k","expires_ts":1.5e3}`, "esc", "k", true},
		{`{"data":"x"`, "", "", false},
		{`{}`, "", "", false},
	}
	for _, c := range cases {
		d, tok, err := js.ParseRead(&Response{Status: 200, Body: []byte(c.body)})
		if (err == nil) != c.ok || string(d) != c.data || tok != c.tok {
			t.Errorf("%s: got %q %q %v", c.body, d, tok, err)
		}
	}
	d, cond := js.WriteOf(&Request{Body: []byte(`{"sequence_token":"s","data":"p\"q"}`)})
	if string(d) != "p\"q" || string(cond) != "s" {
		t.Errorf("WriteOf: %q %q", d, cond)
	}
	if d := js.CreateData(&Request{Body: []byte(`{"data":7}`)}); d != nil {
		t.Errorf("CreateData of a number: %q", d)
	}
	if code, ok := Errcode([]byte(`{"errcode":"M_FORBIDDEN","error":"no"}`)); !ok || code != "M_FORBIDDEN" {
		t.Errorf("Errcode: %q %v", code, ok)
	}
	if got := TxnOf("/_matrix/client/v1/rendezvous/abc/t.1?x", "abc"); got != "t.1" {
		t.Errorf("TxnOf: %q", got)
	}
	if got := TxnOf("/_matrix/client/v1/rendezvous/abc", "abc"); got != "" {
		t.Errorf("TxnOf without a transaction: %q", got)
	}
}

// TestClientBuildsWhatItReads: a payload with control characters, quotes
// and non-ASCII text survives every builder and the matching parser, and
// the JSON bodies are what encoding/json reads too.
func TestClientBuildsWhatItReads(t *testing.T) {
	data := "ab\x10\"\\c\u00e9"
	js := NewClient(FlavourSequenceToken)
	for _, body := range [][]byte{AppendReadBody(nil, data, "7"), func() []byte { _, b := js.Put("7", data); return b }(),
		func() []byte { _, b := js.PutEcho("7", data); return b }()} {
		d, tok := js.WriteOf(&Request{Body: body})
		var m map[string]string
		if err := json.Unmarshal(body, &m); err != nil || string(d) != data || string(tok) != "7" || m["data"] != data {
			t.Fatalf("%s: %q %q %v %v", body, d, tok, m, err)
		}
	}
	if cr, err := js.ParseCreate(&Response{Status: 200, Body: AppendCreatedBody(nil, data, "7", 120000)}); err != nil || cr.ID != data || cr.Token != "7" {
		t.Fatalf("created body: %+v %v", cr, err)
	}
	if tok, err := js.ParseWritten(&Response{Status: 200, Body: AppendWrittenBody(nil, data)}); err != nil || tok != data {
		t.Fatalf("written body: %q %v", tok, err)
	}
	resp := Response{Status: 200, Header: Header{{Name: "Content-Length", Value: "1"}}, Body: []byte("x")}
	for _, c := range []Client{js, NewClient(FlavourETag)} {
		r := resp
		c.SetRead(&r, data, `"9"`)
		d, tok, err := c.ParseRead(&r)
		if err != nil || string(d) != data || tok != `"9"` || r.Header.Get("Content-Length") != itoa(len(r.Body)) {
			t.Fatalf("etag=%v: %q %q %v %v", c.ETag(), d, tok, err, r.Header)
		}
	}
	if resp.Header.Get("Content-Length") != "1" {
		t.Fatal("SetRead changed the original header")
	}
}

func itoa(n int) string { return string(appendInt(nil, int64(n))) }

// FuzzClientParse: no answer makes a parser panic, and whatever the codec
// reads from a JSON body, encoding/json reads the same from it.
func FuzzClientParse(f *testing.F) {
	for _, s := range []string{`{"data":"x","sequence_token":"7"}`, `{"id":"a","sequence_token":"1","expires_in_ms":120000}`,
		`{"sequence_token":"\ud83d\ude00"}`, `{"create_available":true}`, `{"url":"https://h/x"}`, `[`, `{"data":"\ud800"}`} {
		f.Add([]byte(s))
	}
	js, et := NewClient(FlavourSequenceToken), NewClient(FlavourETag)
	f.Fuzz(func(t *testing.T, body []byte) {
		resp := &Response{Status: 200, Header: Header{{Name: "ETag", Value: `"e"`}}, Body: body}
		_, _ = et.ParseCreate(resp)
		_, _, _ = et.ParseRead(resp)
		_, _ = ParseDiscovery(resp)
		_, _ = Errcode(body)
		_, _ = js.WriteOf(&Request{Body: body})
		cr, cerr := js.ParseCreate(resp)
		d, tok, rerr := js.ParseRead(resp)
		wtok, werr := js.ParseWritten(resp)
		var m map[string]any
		jerr := json.Unmarshal(body, &m)
		str := func(k string) string { s, _ := m[k].(string); return s }
		if cerr == nil && (jerr != nil || str("id") != cr.ID || str("sequence_token") != cr.Token) {
			t.Fatalf("create %+v, encoding/json %v %v", cr, m, jerr)
		}
		if rerr == nil && (jerr != nil || str("data") != string(d) || str("sequence_token") != tok) {
			t.Fatalf("read %q %q, encoding/json %v %v", d, tok, m, jerr)
		}
		if werr == nil && (jerr != nil || str("sequence_token") != wtok) {
			t.Fatalf("write %q, encoding/json %v %v", wtok, m, jerr)
		}
	})
}
