package mutants

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"

	"qrlab/model/channel"
	"qrlab/model/login"
	"qrlab/model/msg"
	"qrlab/model/qr"
	"qrlab/model/rendezvous"
	"qrlab/model/variant"
)

// A property is an in-process check of one design, run once (it is
// deterministic): it returns "" when the property holds, or what broke it,
// and ok false when it does not apply to the design.
type property struct {
	name  string
	check func(v variant.Variant) (broken string, ok bool, err error)
}

func properties() []property {
	return []property{
		{"channel-nonce-unique", propNonceUnique},
		{"channel-replay-rejected", propReplayRejected},
		{"channel-reflection-rejected", propReflectionRejected},
		{"ephemeral-keys-fresh", propKeysFresh},
		{"login-splice-rejected", propSpliceRejected},
		{"login-unexpected-message-ends", propUnexpectedEnds},
	}
}

func propertyByName(name string) property {
	for _, p := range properties() {
		if p.name == name {
			return p
		}
	}
	panic("mutants: no property " + name) // programmer error
}

// stream is a deterministic random source for the properties.
func stream(seed uint64) *rand.ChaCha8 {
	var s [32]byte
	s[0], s[1] = byte(seed), byte(seed>>8)
	return rand.NewChaCha8(s)
}

// handshake runs the channel handshake of v's construction.
func handshake(v variant.Variant, seed uint64) (g, s *channel.Channel, err error) {
	cc, err := v.ChannelConfig()
	if err != nil {
		return nil, nil, err
	}
	rnd := stream(seed)
	gen, err := channel.NewGenerator(cc, rnd)
	if err != nil {
		return nil, nil, err
	}
	s, init, err := channel.Initiate(cc, gen.PublicKey(), []byte(channel.LoginInitiate), nil, rnd)
	if err != nil {
		return nil, nil, err
	}
	g, _, err = gen.Accept(init, nil, rnd)
	if err != nil {
		return nil, nil, err
	}
	ok, err := g.Seal([]byte(channel.LoginOk), nil)
	if err != nil {
		return nil, nil, err
	}
	if _, err := s.Open(ok, nil); err != nil {
		return nil, nil, err
	}
	return g, s, nil
}

// propNonceUnique: sealing the same plaintext twice in one direction gives
// two ciphertexts (a nonce is never used twice under one key).
func propNonceUnique(v variant.Variant) (string, bool, error) {
	g, s, err := handshake(v, 1)
	if err != nil {
		return "", true, err
	}
	for _, c := range []*channel.Channel{s, g} {
		a, err1 := c.Seal([]byte(`{"type":"m.login.success"}`), nil)
		b, err2 := c.Seal([]byte(`{"type":"m.login.success"}`), nil)
		if err1 != nil || err2 != nil {
			return "", true, fmt.Errorf("seal: %v %v", err1, err2)
		}
		if a == b {
			return fmt.Sprintf("%s sealed the same plaintext twice into the same ciphertext (nonce reused)", c.Role()), true, nil
		}
	}
	return "", true, nil
}

// propReplayRejected: a payload opens once; the same payload again fails.
func propReplayRejected(v variant.Variant) (string, bool, error) {
	g, s, err := handshake(v, 2)
	if err != nil {
		return "", true, err
	}
	p, err := s.Seal([]byte(`{"type":"m.login.protocols"}`), nil)
	if err != nil {
		return "", true, err
	}
	if _, err := g.Open(p, nil); err != nil {
		return "", true, fmt.Errorf("first open: %v", err)
	}
	if _, err := g.Open(p, nil); err == nil {
		return "G opened the same payload twice (replay accepted)", true, nil
	}
	return "", true, nil
}

// propReflectionRejected: a device cannot open a payload it sealed itself.
func propReflectionRejected(v variant.Variant) (string, bool, error) {
	g, s, err := handshake(v, 3)
	if err != nil {
		return "", true, err
	}
	for _, c := range []*channel.Channel{s, g} {
		p, err := c.Seal([]byte(`{"type":"m.login.success"}`), nil)
		if err != nil {
			return "", true, err
		}
		if _, err := c.Open(p, nil); err == nil {
			return fmt.Sprintf("%s opened its own payload reflected back (one key both ways)", c.Role()), true, nil
		}
	}
	return "", true, nil
}

// propKeysFresh: two sessions drawing different randomness get different
// ephemeral keys on both sides.
func propKeysFresh(v variant.Variant) (string, bool, error) {
	cc, err := v.ChannelConfig()
	if err != nil {
		return "", true, err
	}
	var gk, sk [2]channel.PublicKey
	for i := range 2 {
		g, err := channel.NewGenerator(cc, stream(uint64(10+i)))
		if err != nil {
			return "", true, err
		}
		s, err := channel.NewScanner(cc, stream(uint64(20+i)))
		if err != nil {
			return "", true, err
		}
		gk[i], sk[i] = g.PublicKey(), s.PublicKey()
	}
	switch {
	case gk[0] == gk[1]:
		return "two sessions' generators drew the same ephemeral key", true, nil
	case sk[0] == sk[1]:
		return "two sessions' scanners drew the same ephemeral key", true, nil
	}
	return "", true, nil
}

// mailbox is a minimal honest JSON rendezvous session for driving one
// machine in the login properties.
type mailbox struct {
	id, data, token string
	n               int
}

func (m *mailbox) answer(v variant.Variant, req login.Request) login.Response {
	js := func(status int, body string) login.Response {
		return login.Response{Status: status, Body: []byte(body)}
	}
	session := strings.Contains(req.Path, "/"+m.id)
	switch {
	case req.Method == "GET" && !session:
		return js(200, `{"create_available":true}`)
	case req.Method == "POST":
		return js(200, fmt.Sprintf(`{"id":%q,"sequence_token":%q,"expires_in_ms":120000}`, m.id, m.token))
	case req.Method == "GET":
		return js(200, fmt.Sprintf(`{"data":%q,"sequence_token":%q}`, m.data, m.token))
	case req.Method == "PUT":
		var b struct {
			Token string `json:"sequence_token"`
			Data  string `json:"data"`
		}
		if err := json.Unmarshal(req.Body, &b); err != nil || b.Token != m.token {
			return js(409, `{"errcode":"M_CONCURRENT_WRITE"}`)
		}
		m.write(b.Data)
		return js(200, fmt.Sprintf(`{"sequence_token":%q}`, m.token))
	case req.Method == "DELETE":
		return js(200, `{}`)
	}
	return js(404, `{"errcode":"M_NOT_FOUND"}`)
}

func (m *mailbox) write(data string) {
	m.n++
	m.data, m.token = data, fmt.Sprintf("tok%d", m.n)
}

// driver steps one machine against a mailbox, answering its rendezvous
// requests at once and firing its poll timers on demand.
type driver struct {
	v      variant.Variant
	step   func(login.Millis, login.Input) []login.Effect
	box    *mailbox
	now    login.Millis
	timers []uint64
	qr     []byte
	opened []string
	ended  bool
	// other is a request for another target, left unanswered.
	other bool
}

func (d *driver) feed(in login.Input) {
	queue := []login.Input{in}
	for len(queue) > 0 {
		in := queue[0]
		queue = queue[1:]
		d.now += 10
		for _, f := range d.step(d.now, in) {
			switch f.Kind {
			case login.EffectRequest:
				if f.Request.Target != login.TargetRendezvous {
					d.other = true
					continue
				}
				if f.Request.Method == "DELETE" {
					continue
				}
				queue = append(queue, login.Input{Kind: login.InputResponse, ID: f.Request.ID, Response: d.box.answer(d.v, f.Request)})
			case login.EffectSetTimer:
				d.timers = append(d.timers, f.Timer)
			case login.EffectShowQR:
				d.qr = f.Data
			case login.EffectChannel:
				if !f.Sealed {
					d.opened = append(d.opened, f.MsgType)
				}
			case login.EffectOutcome:
				d.ended = true
			}
		}
	}
}

// poll fires the timers set so far (the poll among them).
func (d *driver) poll() {
	ts := d.timers
	d.timers = nil
	for _, t := range ts {
		d.feed(login.Input{Kind: login.InputTimer, ID: t})
	}
}

// generator starts a new device showing the QR code (login intent) on a
// mailbox with session ID id.
func generator(v variant.Variant, id string) (*driver, error) {
	n, err := login.NewNewDevice(login.NewDeviceConfig{Variant: v, Intent: qr.Login, RendezvousBaseURL: rendezvous.DefaultBaseURL}, stream(40))
	if err != nil {
		return nil, err
	}
	d := &driver{v: v, step: n.Step, box: &mailbox{id: id, token: "tok0"}}
	d.feed(login.Input{Kind: login.InputStart})
	if d.qr == nil {
		return nil, fmt.Errorf("the new device showed no QR code")
	}
	return d, nil
}

func jsonFlavour(v variant.Variant) bool {
	rc, err := v.RendezvousConfig()
	return err == nil && rc.Flavour != rendezvous.FlavourETag && !v.Rendezvous.PutTxnID && v.QRFormat() != qr.Format2024
}

// propSpliceRejected: a LoginInitiate that the design's own scanner wrote
// in another rendezvous session (same G key, same sequence token, another
// session ID), copied into this one, must not open. Only for designs with
// the 2026 session binding.
func propSpliceRejected(v variant.Variant) (string, bool, error) {
	if !v.Channel.AADBinding || !jsonFlavour(v) {
		return "", false, nil
	}
	g, err := generator(v, "SESSIONA")
	if err != nil {
		return "", true, err
	}
	p, err := qr.Decode(g.qr)
	if err != nil {
		return "", true, err
	}
	p.RendezvousID = "SESSIONB"
	other, err := p.Marshal()
	if err != nil {
		return "", true, err
	}
	e, err := login.NewExistingDevice(login.ExistingDeviceConfig{Variant: v, Intent: qr.Login, BaseURL: rendezvous.DefaultBaseURL,
		ServerName: "matrix.example.org", AccessToken: "token"}, stream(41))
	if err != nil {
		return "", true, err
	}
	s := &driver{v: v, step: e.Step, box: &mailbox{id: "SESSIONB", token: g.box.token}}
	s.feed(login.Input{Kind: login.InputStart})
	s.feed(login.Input{Kind: login.InputScanned, Data: other})
	if s.box.n != 1 {
		return "", true, fmt.Errorf("the scanner wrote no LoginInitiate")
	}
	g.box.write(s.box.data)
	g.poll()
	for _, o := range g.opened {
		if o == "LoginInitiate" {
			return "G opened a LoginInitiate written in another rendezvous session (no session binding)", true, nil
		}
	}
	return "", true, nil
}

// propUnexpectedEnds: a well-formed message out of place (m.login.success
// while the new device waits for m.login.protocols) ends the login.
func propUnexpectedEnds(v variant.Variant) (string, bool, error) {
	if !jsonFlavour(v) {
		return "", false, nil
	}
	g, err := generator(v, "SESSIONA")
	if err != nil {
		return "", true, err
	}
	p, err := qr.Decode(g.qr)
	if err != nil {
		return "", true, err
	}
	cc, err := v.ChannelConfig()
	if err != nil {
		return "", true, err
	}
	aad := func() []byte {
		if !v.Channel.AADBinding || v.Mutations.Has(variant.MutNoAADBinding) {
			return nil
		}
		b, _ := channel.BindingAAD(v.AADLayout(), p.BaseURL, p.RendezvousID, g.box.token)
		return b
	}
	ch, init, err := channel.Initiate(cc, channel.PublicKey(p.Key), []byte(channel.LoginInitiate), aad(), stream(42))
	if err != nil {
		return "", true, err
	}
	g.box.write(init)
	before := g.box.token
	g.poll() // G opens LoginInitiate and writes LoginOk
	if g.box.token == before || g.ended {
		return "", true, fmt.Errorf("the new device did not answer LoginInitiate (opened %v)", g.opened)
	}
	sealAAD := aad()
	var openAAD []byte
	if sealAAD != nil {
		openAAD, _ = channel.BindingAAD(v.AADLayout(), p.BaseURL, p.RendezvousID, before)
	}
	if _, err := ch.Open(g.box.data, openAAD); err != nil {
		return "", true, fmt.Errorf("LoginOk: %v", err)
	}
	pt, err := msg.Encode(msg.Success{})
	if err != nil {
		return "", true, err
	}
	out, err := ch.Seal(pt, sealAAD)
	if err != nil {
		return "", true, err
	}
	g.box.write(out)
	g.poll()
	opened := false
	for _, o := range g.opened {
		opened = opened || o == msg.TypeSuccess
	}
	if !opened {
		return "", true, fmt.Errorf("the new device never opened the out-of-place message (opened %v)", g.opened)
	}
	if !g.ended {
		return "the new device opened m.login.success while waiting for m.login.protocols and carried on", true, nil
	}
	return "", true, nil
}
