package logintest

import (
	"encoding/json"
	"fmt"
	"io"

	"qrlab/model/login"
	"qrlab/model/rendezvous"
)

// Mailbox is a hand-played device's handle on one session of a real
// rendezvous store, in the JSON flavours (sequence tokens): it creates the
// session, reads it and writes any payload into it, as a broken or hostile
// peer could. Every write is conditioned on the latest token it saw.
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

// do sends one request to the session (to the prefix before Create) and
// keeps the answer's sequence token; it returns the status and the data.
func (m *Mailbox) do(method, body string) (int, string) {
	path := m.Path
	if path == "" {
		path = m.Prefix
	}
	var h rendezvous.Header
	h.Add("Content-Type", "application/json")
	r, _ := m.Store.Handle(rendezvous.Millis(m.Now), &rendezvous.Request{Method: method, Path: path, Header: h, Body: []byte(body)})
	var b struct {
		Token any `json:"sequence_token"`
		Data  any `json:"data"`
	}
	_ = json.Unmarshal(r.Body, &b) // an error answer has neither field
	if tok, ok := b.Token.(string); ok && tok != "" {
		m.Token = tok
	}
	data, _ := b.Data.(string)
	return r.Status, data
}

// Create makes the session with an empty payload.
func (m *Mailbox) Create() error {
	if st, _ := m.do("POST", `{"data":""}`); st != 200 {
		return fmt.Errorf("logintest: create answered %d", st)
	}
	for _, s := range m.Store.Sessions() {
		m.ID = s.ID
	}
	m.Path = m.Prefix + "/" + m.ID
	return nil
}

// Read GETs the session: its status and payload.
func (m *Mailbox) Read() (status int, data string) { return m.do("GET", "") }

// Write PUTs payload conditioned on Token and returns the status.
func (m *Mailbox) Write(payload string) int {
	body, _ := json.Marshal(struct {
		Token string `json:"sequence_token"`
		Data  string `json:"data"`
	}{m.Token, payload})
	st, _ := m.do("PUT", string(body))
	return st
}

// Delete deletes the session and returns the status.
func (m *Mailbox) Delete() int {
	st, _ := m.do("DELETE", "")
	return st
}
