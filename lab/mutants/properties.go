package mutants

import (
	"fmt"
	"slices"

	"qrlab/internal/seeded"
	"qrlab/model/channel"
	"qrlab/model/login"
	"qrlab/model/login/logintest"
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

// handshake runs the channel handshake of v's construction.
func handshake(v variant.Variant, seed uint64) (g, s *channel.Channel, err error) {
	cc, err := v.ChannelConfig()
	if err != nil {
		return nil, nil, err
	}
	rnd := seeded.Stream(seed)
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
		g, err := channel.NewGenerator(cc, seeded.Stream(uint64(10+i)))
		if err != nil {
			return "", true, err
		}
		s, err := channel.NewScanner(cc, seeded.Stream(uint64(20+i)))
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

// generator starts a new device showing the QR code (login intent) alone
// on a real store of v's rendezvous configuration, and returns its driver,
// its QR payload, and a hand-played mailbox on the session it made (read
// once, so that its token is the session's).
func generator(v variant.Variant) (*logintest.Driver, qr.Payload, *logintest.Mailbox, error) {
	rc, err := v.RendezvousConfig()
	if err != nil {
		return nil, qr.Payload{}, nil, err
	}
	rc.BaseURL = logintest.BaseURL
	box, err := logintest.NewMailbox(rc, seeded.Stream(39))
	if err != nil {
		return nil, qr.Payload{}, nil, err
	}
	n, err := login.NewNewDevice(login.NewDeviceConfig{Variant: v, Intent: qr.Login, RendezvousBaseURL: logintest.BaseURL}, seeded.Stream(40))
	if err != nil {
		return nil, qr.Payload{}, nil, err
	}
	d := &logintest.Driver{M: n, Store: box.Store, Tick: 10}
	d.Feed(login.Input{Kind: login.InputStart})
	p, err := qr.Decode(d.QR)
	if err != nil {
		return nil, qr.Payload{}, nil, fmt.Errorf("the new device showed no QR code: %w", err)
	}
	box.ID, box.Path = p.RendezvousID, box.Prefix+"/"+p.RendezvousID
	if st, _ := box.Read(); st != 200 {
		return nil, qr.Payload{}, nil, fmt.Errorf("reading the new device's session answered %d", st)
	}
	return d, p, box, nil
}

// jsonFlavour: the login properties play the other side through a
// logintest.Mailbox, which speaks the sequence-token flavours with writes to
// the session's own URL, and find the session by the ID the QR code names.
func jsonFlavour(v variant.Variant) bool {
	rc, err := v.RendezvousConfig()
	return err == nil && rc.Flavour != rendezvous.FlavourETag && !v.Rendezvous.PutTxnID && v.QRFormat() != qr.Format2024
}

// propSpliceRejected: a LoginInitiate that the design's own scanner wrote
// in another rendezvous session of the same store (same G key, another
// session ID), copied into this one, must not open. Only for designs with
// the 2026 session binding. Both sessions hold the empty payload when the
// scanner reads, so under counter and content-hash tokens the two binding
// AADs differ in the session ID alone; a digest token differs too.
func propSpliceRejected(v variant.Variant) (string, bool, error) {
	if !v.Channel.AADBinding || !jsonFlavour(v) {
		return "", false, nil
	}
	g, p, box, err := generator(v)
	if err != nil {
		return "", true, err
	}
	// The other session, made by hand on the same store.
	other := &logintest.Mailbox{Store: box.Store, Prefix: box.Prefix, Now: g.Now}
	if err := other.Create(); err != nil {
		return "", true, err
	}
	p.RendezvousID = other.ID
	spliced, err := p.Marshal()
	if err != nil {
		return "", true, err
	}
	e, err := login.NewExistingDevice(login.ExistingDeviceConfig{Variant: v, Intent: qr.Login, BaseURL: logintest.BaseURL,
		ServerName: "matrix.example.org", AccessToken: "token"}, seeded.Stream(41))
	if err != nil {
		return "", true, err
	}
	s := &logintest.Driver{M: e, Store: box.Store, Token: "token", Now: g.Now, Tick: 10}
	s.Feed(login.Input{Kind: login.InputStart})
	s.Feed(login.Input{Kind: login.InputScanned, Data: spliced})
	other.Now, box.Now = s.Now, s.Now
	st, initiate := other.Read()
	if st != 200 || initiate == "" {
		return "", true, fmt.Errorf("the scanner wrote no LoginInitiate (read answered %d)", st)
	}
	if st := box.Write(initiate); st != 200 {
		return "", true, fmt.Errorf("copying the LoginInitiate answered %d", st)
	}
	g.FireAll()
	if slices.Contains(g.Opened, "LoginInitiate") {
		return "G opened a LoginInitiate written in another rendezvous session (no session binding)", true, nil
	}
	return "", true, nil
}

// propUnexpectedEnds: a well-formed message out of place (m.login.success
// while the new device waits for m.login.protocols) ends the login. The
// scanning side is played by hand through a mailbox on the session.
func propUnexpectedEnds(v variant.Variant) (string, bool, error) {
	if !jsonFlavour(v) {
		return "", false, nil
	}
	g, p, box, err := generator(v)
	if err != nil {
		return "", true, err
	}
	cc, err := v.ChannelConfig()
	if err != nil {
		return "", true, err
	}
	// aad is the binding of a payload written over token (none without
	// the 2026 binding).
	aad := func(token string) []byte {
		if !v.Channel.AADBinding || v.Mutations.Has(variant.MutNoAADBinding) {
			return nil
		}
		b, _ := channel.BindingAAD(v.AADLayout(), p.BaseURL, p.RendezvousID, token)
		return b
	}
	ch, init, err := channel.Initiate(cc, channel.PublicKey(p.Key), []byte(channel.LoginInitiate), aad(box.Token), seeded.Stream(42))
	if err != nil {
		return "", true, err
	}
	box.Now = g.Now
	if st := box.Write(init); st != 200 {
		return "", true, fmt.Errorf("writing LoginInitiate answered %d", st)
	}
	before := box.Token
	g.FireAll() // G opens LoginInitiate and writes LoginOk
	box.Now = g.Now
	_, ok := box.Read()
	if box.Token == before || g.Ended {
		return "", true, fmt.Errorf("the new device did not answer LoginInitiate (opened %v)", g.Opened)
	}
	if _, err := ch.Open(ok, aad(before)); err != nil {
		return "", true, fmt.Errorf("LoginOk: %v", err)
	}
	pt, err := msg.Encode(msg.Success{})
	if err != nil {
		return "", true, err
	}
	out, err := ch.Seal(pt, aad(box.Token))
	if err != nil {
		return "", true, err
	}
	if st := box.Write(out); st != 200 {
		return "", true, fmt.Errorf("writing the out-of-place message answered %d", st)
	}
	g.FireAll()
	if !slices.Contains(g.Opened, msg.TypeSuccess) {
		return "", true, fmt.Errorf("the new device never opened the out-of-place message (opened %v)", g.Opened)
	}
	if !g.Ended {
		return "the new device opened m.login.success while waiting for m.login.protocols and carried on", true, nil
	}
	return "", true, nil
}
