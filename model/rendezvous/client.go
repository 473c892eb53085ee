package rendezvous

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"qrlab/model/wire"
)

// The client codec: the one place where a rendezvous request is written by a
// client and where a rendezvous answer is parsed. The login machines, the
// simulator's monitors and adversaries, and test doubles of the mailbox all
// go through it, so a new flavour or a changed answer is one edit here.
//
// The codec is per flavour: the etag flavour (2024 MSC4108) carries the
// payload as a text/plain body and the token in the ETag, If-Match and
// If-None-Match headers; the JSON flavours (the 2025 interim API and the
// 2026 MSC4388 text, with or without transaction IDs) carry both in JSON
// members. Bodies are read with this package's strict JSON reader (json.go):
// no tree is built and a string without escapes is not copied.

// ContentTypeJSON and ContentTypeText are the media types of the bodies.
const (
	ContentTypeJSON = "application/json"
	ContentTypeText = "text/plain"
)

// The kinds of error an AnswerError wraps (test them with errors.Is).
var (
	// ErrAnswerStatus: the status is not the one the operation succeeds with.
	ErrAnswerStatus = errors.New("unexpected status")
	// ErrAnswerNotFound: 404, the session is gone (expired, deleted,
	// evicted or never existed).
	ErrAnswerNotFound = errors.New("session not found")
	// ErrAnswerConflict: a write was refused as stale (409 or 412).
	ErrAnswerConflict = errors.New("write refused as stale")
	// ErrAnswerMalformed: the body is not the JSON document the flavour
	// answers.
	ErrAnswerMalformed = errors.New("malformed body")
	// ErrAnswerMissing: a member or header the answer must carry is absent,
	// of the wrong type or empty.
	ErrAnswerMissing = errors.New("missing")
)

// AnswerError says what was wrong with a rendezvous answer and where.
type AnswerError struct {
	// Op is the operation answered: "create", "read", "write" or
	// "discover".
	Op string
	// Status is the answer's HTTP status.
	Status int
	// Where names the part at fault: `member "sequence_token"`, "header
	// ETag", "body" ("" for the status).
	Where string
	// Err is one of the ErrAnswer kinds, possibly wrapping the JSON
	// reader's error.
	Err error
}

func (e *AnswerError) Error() string {
	if e.Where == "" {
		return fmt.Sprintf("rendezvous %s answer: status %d: %v", e.Op, e.Status, e.Err)
	}
	return fmt.Sprintf("rendezvous %s answer (status %d): %s: %v", e.Op, e.Status, e.Where, e.Err)
}

// Unwrap returns the kind of error.
func (e *AnswerError) Unwrap() error { return e.Err }

func answerErr(op string, status int, where string, err error) *AnswerError {
	return &AnswerError{Op: op, Status: status, Where: where, Err: err}
}

// malformed wraps a JSON reader error as ErrAnswerMalformed.
func malformed(op string, status int, err error) *AnswerError {
	return answerErr(op, status, "body", fmt.Errorf("%w: %v", ErrAnswerMalformed, err))
}

// Client is the client side of one flavour of the rendezvous API. The zero
// value is a JSON-flavour client.
type Client struct {
	etag bool
}

// NewClient returns the codec of flavour f.
func NewClient(f Flavour) Client { return Client{etag: f == FlavourETag} }

// ETag reports whether the client speaks the etag flavour.
func (c Client) ETag() bool { return c.etag }

// Requests.

// Create returns the header and body of a POST creating a session that
// holds data (an etag create of no data has no body). The caller adds any
// Authorization line.
func (c Client) Create(data string) (Header, []byte) {
	if c.etag {
		var body []byte
		if data != "" {
			body = []byte(data)
		}
		return Header{{Name: "Content-Type", Value: ContentTypeText}, {Name: "Content-Length", Value: strconv.Itoa(len(data))}}, body
	}
	b := make([]byte, 0, len(`{"data":""}`)+len(data))
	b = append(b, `{"data":`...)
	b = wire.AppendString(b, data)
	return Header{{Name: "Content-Type", Value: ContentTypeJSON}}, append(b, '}')
}

// Poll returns the header of a GET that asks for a payload newer than the
// one under token (If-None-Match in the etag flavour; none in the JSON
// flavours, whose GET is unconditional, or without a token).
func (c Client) Poll(token string) Header {
	if c.etag && token != "" {
		return Header{{Name: "If-None-Match", Value: token}}
	}
	return nil
}

// Put returns the header and body of a PUT that writes data over the
// payload the client saw under token.
func (c Client) Put(token, data string) (Header, []byte) {
	if c.etag {
		return c.textPut(token, data)
	}
	b := make([]byte, 0, 40+len(token)+len(data))
	b = append(b, `{"sequence_token":`...)
	b = wire.AppendString(b, token)
	b = append(b, `,"data":`...)
	b = wire.AppendString(b, data)
	return Header{{Name: "Content-Type", Value: ContentTypeJSON}}, append(b, '}')
}

// PutEcho is Put with the JSON members in the order of a read answer (data
// first): what a tool that writes back the document it read sends. The store
// reads both orders alike.
func (c Client) PutEcho(token, data string) (Header, []byte) {
	if c.etag {
		return c.textPut(token, data)
	}
	return Header{{Name: "Content-Type", Value: ContentTypeJSON}}, AppendReadBody(nil, data, token)
}

func (c Client) textPut(token, data string) (Header, []byte) {
	return Header{{Name: "Content-Type", Value: ContentTypeText}, {Name: "If-Match", Value: token},
		{Name: "Content-Length", Value: strconv.Itoa(len(data))}}, []byte(data)
}

// PutURL is the URL a PUT goes to: the session's, or with a transaction ID
// (IdempotencyTxnID) the session's followed by "/" and txn.
func PutURL(session, txn string) string {
	if txn == "" {
		return session
	}
	return session + "/" + txn
}

// TxnOf returns the transaction ID of a PUT to session id: the path segment
// after "/{id}/", or "" when the path has none.
func TxnOf(path, id string) string {
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	i := strings.Index(path, "/"+id+"/")
	if id == "" || i < 0 {
		return ""
	}
	return path[i+len(id)+2:]
}

// AppendReadBody appends the JSON flavours' read answer document
// {"data":...,"sequence_token":...} without an expiry member, for test
// doubles and forged answers.
func AppendReadBody(dst []byte, data, token string) []byte {
	dst = append(dst, `{"data":`...)
	dst = wire.AppendString(dst, data)
	dst = append(dst, `,"sequence_token":`...)
	dst = wire.AppendString(dst, token)
	return append(dst, '}')
}

// AppendCreatedBody appends the JSON flavours' create answer document
// {"id":...,"sequence_token":...,"expires_in_ms":...}, for test doubles.
func AppendCreatedBody(dst []byte, id, token string, expiresInMs int64) []byte {
	dst = append(dst, `{"id":`...)
	dst = wire.AppendString(dst, id)
	dst = append(dst, `,"sequence_token":`...)
	dst = wire.AppendString(dst, token)
	dst = append(dst, `,"expires_in_ms":`...)
	dst = strconv.AppendInt(dst, expiresInMs, 10)
	return append(dst, '}')
}

// AppendWrittenBody appends the JSON flavours' answer to an accepted PUT,
// {"sequence_token":...}, for test doubles.
func AppendWrittenBody(dst []byte, token string) []byte {
	dst = append(dst, `{"sequence_token":`...)
	dst = wire.AppendString(dst, token)
	return append(dst, '}')
}

// SetRead rewrites a 200 answer to a GET so that it carries data under
// token, keeping its other header lines (the header is copied, never
// changed in place).
func (c Client) SetRead(resp *Response, data, token string) {
	h := append(Header(nil), resp.Header...)
	if c.etag {
		resp.Body = []byte(data)
		h.Set("ETag", token)
	} else {
		resp.Body = AppendReadBody(nil, data, token)
	}
	h.Set("Content-Length", strconv.Itoa(len(resp.Body)))
	resp.Header = h
}
