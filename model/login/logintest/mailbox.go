package logintest

import (
	"fmt"
	"io"

	"qrlab/model/login"
	"qrlab/model/rendezvous"
)

// Mailbox is a hand-played device's handle on one session of a real
// rendezvous store, in the JSON flavours (sequence tokens): it creates the
// session, reads it and writes any payload into it, as a broken or hostile
// peer could. Every write is conditioned on the latest token it saw. Its
// requests and the reading of the answers are the client codec's
// (rendezvous.Client).
//
// NewMailbox opens a store of its own; to act on a session a machine made
// (or to splice between two sessions of one store), build the mailbox from
// the machine's store and the session's ID and path, and Read it first.
type Mailbox struct {
	Store *rendezvous.Store
	// Prefix is where Create POSTs (the configuration's first prefix).
	Prefix string
	// Token is the latest sequence token an answer carried.
	Token string
	// ID and Path name the session once Create made it.
	ID, Path string
	// Now is the virtual time of the mailbox's requests.
	Now login.Millis
}

// NewMailbox opens a store of rc, its session IDs drawn from rnd, and a
// mailbox on its first prefix.
func NewMailbox(rc rendezvous.Config, rnd io.Reader) (*Mailbox, error) {
	if len(rc.Prefixes) == 0 {
		return nil, fmt.Errorf("logintest: rendezvous config %q has no prefix", rc.Name)
	}
	store, err := rendezvous.New(rc, 0, rnd)
	if err != nil {
		return nil, err
	}
	return &Mailbox{Store: store, Prefix: rc.Prefixes[0]}, nil
}

// do sends one request to the session (to the prefix before Create).
func (m *Mailbox) do(method string, h rendezvous.Header, body []byte) *rendezvous.Response {
	path := m.Path
	if path == "" {
		path = m.Prefix
	}
	r, _ := m.Store.Handle(rendezvous.Millis(m.Now), &rendezvous.Request{Method: method, Path: path, Header: h, Body: body})
	return &r
}

// client is the codec of the mailbox's flavour.
func (m *Mailbox) client() rendezvous.Client { return rendezvous.NewClient(m.Store.Config().Flavour) }

// Create makes the session with an empty payload.
func (m *Mailbox) Create() error {
	c := m.client()
	h, body := c.Create("")
	created, err := c.ParseCreate(m.do("POST", h, body))
	if err != nil {
		return fmt.Errorf("logintest: %w", err)
	}
	m.ID, m.Path, m.Token = created.ID, m.Prefix+"/"+created.ID, created.Token
	return nil
}

// Read GETs the session: its status and payload ("" unless a 200 that
// parses), keeping the answer's token.
func (m *Mailbox) Read() (status int, data string) {
	c := m.client()
	r := m.do("GET", c.Poll(""), nil)
	d, tok, err := c.ParseRead(r)
	if err != nil {
		return r.Status, ""
	}
	m.Token = tok
	return r.Status, string(d)
}

// Write PUTs payload conditioned on Token and returns the status, keeping
// the new token when the write was accepted.
func (m *Mailbox) Write(payload string) int {
	c := m.client()
	h, body := c.Put(m.Token, payload)
	r := m.do("PUT", h, body)
	if tok, err := c.ParseWritten(r); err == nil {
		m.Token = tok
	}
	return r.Status
}

// Delete deletes the session and returns the status.
func (m *Mailbox) Delete() int { return m.do("DELETE", nil, nil).Status }
