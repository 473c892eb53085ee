package rendezvous

import "strings"

// Answer parsers of the client codec (see client.go), and the request
// parsers a monitor uses to see what a client asked for. Payloads returned
// as []byte share the body's memory unless they held escapes: compare them,
// do not keep them.

// Created is a parsed answer to a create.
type Created struct {
	// URL is the session's URL (etag flavour; "" in the JSON flavours).
	URL string
	// ID is the session's ID (JSON flavours; "" in the etag flavour).
	ID string
	// Token is the session's first ETag or sequence token.
	Token string
}

// ParseCreate reads the answer to a create: 200 or 201; in the etag flavour
// a JSON body with an absolute "url" and an ETag header; in the JSON
// flavours a non-empty "id" and a "sequence_token" (which may be empty).
func (c Client) ParseCreate(resp *Response) (Created, error) {
	const op = "create"
	if err := statusErr(op, resp.Status, 200, 201); err != nil {
		return Created{}, err
	}
	if c.etag {
		var u jsonField
		if err := parseJSONObject(resp.Body, "url", "", &u, nil, true); err != nil {
			return Created{}, malformed(op, resp.Status, err)
		}
		if u.kind != jsonString || !strings.Contains(string(u.str), "://") {
			return Created{}, answerErr(op, resp.Status, `member "url" (an absolute URL)`, ErrAnswerMissing)
		}
		tok := resp.Header.Get("ETag")
		if tok == "" {
			return Created{}, answerErr(op, resp.Status, "header ETag", ErrAnswerMissing)
		}
		return Created{URL: string(u.str), Token: tok}, nil
	}
	var id, tok jsonField
	if err := parseJSONObject(resp.Body, "id", "sequence_token", &id, &tok, true); err != nil {
		return Created{}, malformed(op, resp.Status, err)
	}
	if id.kind != jsonString || len(id.str) == 0 {
		return Created{}, answerErr(op, resp.Status, `member "id"`, ErrAnswerMissing)
	}
	if tok.kind != jsonString {
		return Created{}, answerErr(op, resp.Status, `member "sequence_token"`, ErrAnswerMissing)
	}
	return Created{ID: string(id.str), Token: string(tok.str)}, nil
}

// ParseRead reads a 200 answer to a GET of a session: the payload and its
// token (the body and the ETag header; or the "data" and "sequence_token"
// members, both strings, either possibly empty). A 304 is ErrAnswerStatus:
// the caller that sent If-None-Match checks for it first.
func (c Client) ParseRead(resp *Response) (data []byte, token string, err error) {
	return c.ParseReadMemo(nil, resp)
}

// ParseReadMemo is ParseRead, with m (nil: none) remembering how the last
// answer it read began (readmemo.go).
func (c Client) ParseReadMemo(m *ReadMemo, resp *Response) (data []byte, token string, err error) {
	const op = "read"
	if err := statusErr(op, resp.Status, 200, 200); err != nil {
		return nil, "", err
	}
	if c.etag {
		t := resp.Header.Get("ETag")
		if t == "" {
			return nil, "", answerErr(op, resp.Status, "header ETag", ErrAnswerMissing)
		}
		return resp.Body, t, nil
	}
	var d, t jsonField
	if err := m.parse(resp.Body, "data", "sequence_token", &d, &t); err != nil {
		return nil, "", malformed(op, resp.Status, err)
	}
	if d.kind != jsonString {
		return nil, "", answerErr(op, resp.Status, `member "data"`, ErrAnswerMissing)
	}
	if t.kind != jsonString {
		return nil, "", answerErr(op, resp.Status, `member "sequence_token"`, ErrAnswerMissing)
	}
	return d.str, string(t.str), nil
}

// ParseWritten reads the answer to a PUT: 409 and 412 (either flavour's
// code) are ErrAnswerConflict; otherwise 200 or 202 with the new, non-empty
// token (ETag header, or "sequence_token" member).
func (c Client) ParseWritten(resp *Response) (token string, err error) {
	const op = "write"
	if resp.Status == 409 || resp.Status == 412 {
		return "", answerErr(op, resp.Status, "", ErrAnswerConflict)
	}
	if err := statusErr(op, resp.Status, 200, 202); err != nil {
		return "", err
	}
	if c.etag {
		if t := resp.Header.Get("ETag"); t != "" {
			return t, nil
		}
		return "", answerErr(op, resp.Status, "header ETag", ErrAnswerMissing)
	}
	var t jsonField
	if err := parseJSONObject(resp.Body, "sequence_token", "", &t, nil, true); err != nil {
		return "", malformed(op, resp.Status, err)
	}
	if t.kind != jsonString || len(t.str) == 0 {
		return "", answerErr(op, resp.Status, `member "sequence_token"`, ErrAnswerMissing)
	}
	return string(t.str), nil
}

// ParseDiscovery reads the answer to the MSC4388 discovery GET: 200 with a
// boolean "create_available".
func ParseDiscovery(resp *Response) (available bool, err error) {
	const op = "discover"
	if err := statusErr(op, resp.Status, 200, 200); err != nil {
		return false, err
	}
	var a jsonField
	if err := parseJSONObject(resp.Body, "create_available", "", &a, nil, true); err != nil {
		return false, malformed(op, resp.Status, err)
	}
	if a.kind != jsonBool {
		return false, answerErr(op, resp.Status, `member "create_available" (a boolean)`, ErrAnswerMissing)
	}
	return a.truth, nil
}

// Errcode returns the Matrix "errcode" of an error answer's body, if it has
// one.
func Errcode(body []byte) (string, bool) {
	var e jsonField
	if parseJSONObject(body, "errcode", "", &e, nil, true) != nil || e.kind != jsonString {
		return "", false
	}
	return string(e.str), true
}

// statusErr accepts status ok1 or ok2 and names the rest: 404 as
// ErrAnswerNotFound, anything else as ErrAnswerStatus.
func statusErr(op string, status, ok1, ok2 int) error {
	switch status {
	case ok1, ok2:
		return nil
	case 404:
		return answerErr(op, status, "", ErrAnswerNotFound)
	}
	return answerErr(op, status, "", ErrAnswerStatus)
}

// Requests as a monitor sees them.

// CreateData returns the payload a create request carries: the body (etag
// flavour) or its "data" member ("" when absent or not a string).
func (c Client) CreateData(req *Request) []byte {
	if c.etag {
		return req.Body
	}
	var d jsonField
	if parseJSONObject(req.Body, "data", "", &d, nil, true) != nil || d.kind != jsonString {
		return nil
	}
	return d.str
}

// WriteOf returns the payload of a PUT and the token it is conditioned on
// (If-Match; or the "data" and "sequence_token" members, "" when absent).
func (c Client) WriteOf(req *Request) (data, cond []byte) {
	if c.etag {
		return req.Body, []byte(req.Header.Get("If-Match"))
	}
	var d, t jsonField
	if parseJSONObject(req.Body, "data", "sequence_token", &d, &t, true) != nil {
		return nil, nil
	}
	if d.kind == jsonString {
		data = d.str
	}
	if t.kind == jsonString {
		cond = t.str
	}
	return data, cond
}
