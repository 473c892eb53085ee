package login_test

import (
	"strconv"
	"strings"
	"testing"

	"qrlab/internal/seeded"
	"qrlab/model/channel"
	"qrlab/model/homeserver"
	. "qrlab/model/login"
	"qrlab/model/login/logintest"
	"qrlab/model/msg"
	"qrlab/model/qr"
	"qrlab/model/variant"
)

// fakeNew plays the new device by hand against one ExistingDevice machine
// (which scans its QR code), so that a script can put any payload in the
// mailbox: a transcript of one machine with the exact effects it answers.
type fakeNew struct {
	t   *testing.T
	v   variant.Variant
	box *logintest.Mailbox // the fake new device's side of the session
	d   *logintest.Driver  // E, answered from the same store
	hs  map[string]int     // E's homeserver requests: the status per path
	gen *channel.Generator
	ch  *channel.Channel
}

func (f *fakeNew) aad(tok string) []byte {
	b, err := channel.BindingAAD(f.v.AADLayout(), logintest.BaseURL, f.box.ID, tok)
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

// step feeds E one input at the mailbox's time.
func (f *fakeNew) step(in Input) {
	f.d.Now = f.box.Now
	f.d.Feed(in)
}

// poll lets E's poll timer fire a second later.
func (f *fakeNew) poll() {
	f.box.Now += 1000
	f.d.Now = f.box.Now
	f.d.Poll(0)
}

// write seals plaintext as the fake new device and puts it in the mailbox.
func (f *fakeNew) write(plaintext string) {
	f.box.Read()
	payload, err := f.ch.Seal([]byte(plaintext), f.aad(f.box.Token))
	if err != nil {
		f.t.Fatal(err)
	}
	f.put(payload)
}

func (f *fakeNew) put(payload string) {
	if st := f.box.Write(payload); st != 200 {
		f.t.Fatalf("fake PUT: %d", st)
	}
}

// TestExistingDeviceScripted scripts the new device's side message by
// message and checks E's answers, for the happy start and for each kind of
// bad input at the point where E waits for m.login.protocol.
func TestExistingDeviceScripted(t *testing.T) {
	cases := []struct {
		name  string
		third func(f *fakeNew) // what the new device puts in the mailbox instead of m.login.protocol
		hs    map[string]int
		want  string // the end of E's trace
	}{
		{"m.login.protocol, device free", func(f *fakeNew) {
			f.write(`{"type":"m.login.protocol","protocol":"device_authorization_grant","device_id":"ABC","device_authorization_grant":{"verification_uri":"https://auth.lab.example/link"}}`)
		}, map[string]int{homeserver.PathDevicesPrefix + "ABC": 404},
			"opened m.login.protocol | -> checking-device | GET homeserver | open-browser | -> opening-browser"},
		{"m.login.protocol, device taken", func(f *fakeNew) {
			f.write(`{"type":"m.login.protocol","protocol":"device_authorization_grant","device_id":"ABC","device_authorization_grant":{"verification_uri":"https://auth.lab.example/link"}}`)
		}, map[string]int{homeserver.PathDevicesPrefix + "ABC": 200},
			"GET homeserver | sealed m.login.failure | PUT rendezvous | -> failed | outcome failure device_already_exists (sent)"},
		{"device check answers 403", func(f *fakeNew) {
			f.write(`{"type":"m.login.protocol","protocol":"device_authorization_grant","device_id":"ABC","device_authorization_grant":{"verification_uri":"https://auth.lab.example/link"}}`)
		}, map[string]int{homeserver.PathDevicesPrefix + "ABC": 403},
			"GET homeserver | DELETE rendezvous | -> failed | outcome failure http_error"},
		{"wrong message type", func(f *fakeNew) { f.write(`{"type":"m.login.success"}`) }, nil,
			"opened m.login.success | sealed m.login.failure | PUT rendezvous | -> failed | outcome failure unexpected_message_received (sent)"},
		{"not JSON", func(f *fakeNew) { f.write(`hello`) }, nil,
			"opened undecodable | sealed m.login.failure | PUT rendezvous | -> failed | outcome failure unexpected_message_received (sent)"},
		{"unknown protocol", func(f *fakeNew) {
			f.write(`{"type":"m.login.protocol","protocol":"carrier_pigeon","device_id":"ABC"}`)
		}, nil, "opened undecodable | sealed m.login.failure | PUT rendezvous | -> failed | outcome failure unsupported_protocol (sent)"},
		{"failure from the peer", func(f *fakeNew) { f.write(`{"type":"m.login.failure","reason":"user_cancelled"}`) }, nil,
			"opened m.login.failure | DELETE rendezvous | -> failed | outcome failure user_cancelled (peer)"},
		{"garbage payload", func(f *fakeNew) { f.box.Read(); f.put("bm90IGEgY2lwaGVydGV4dA") }, nil,
			"GET rendezvous | DELETE rendezvous | -> failed | outcome failure channel_integrity"},
		{"session deleted", func(f *fakeNew) { f.box.Delete() }, nil,
			"GET rendezvous | -> failed | outcome failure rendezvous_expired"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeNew(t)
			f.hs = tc.hs
			tc.third(f)
			f.poll()
			got := strings.Join(f.d.Trace, " | ")
			if !strings.HasSuffix(got, tc.want) {
				t.Fatalf("transcript:\n got: %s\nwant suffix: %s", got, tc.want)
			}
			if f.d.M.Facts().SecretsSealed {
				t.Fatal("secrets sealed")
			}
		})
	}
}

// newFakeNew creates the session, lets E scan the QR code and runs the
// handshake and m.login.protocols by hand, checking E's transcript; it
// returns with E waiting for m.login.protocol and its trace emptied.
func newFakeNew(t *testing.T) *fakeNew {
	v := variant.MustLoad("msc4388")
	rc, _ := v.RendezvousConfig()
	box, err := logintest.NewMailbox(rc, seeded.Stream(9))
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewExistingDevice(ExistingDeviceConfig{Variant: v, Intent: qr.Login, BaseURL: logintest.BaseURL,
		ServerName: "lab.example", AccessToken: logintest.ExistingToken}, seeded.Stream(10))
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeNew{t: t, v: v, box: box}
	f.d = &logintest.Driver{M: e, Store: box.Store, Answer: func(r Request) (Response, bool) {
		st, ok := f.hs[r.Path]
		return Response{Status: st, Body: []byte("{}")}, ok
	}}
	// N: create the session and show the QR code.
	if err := box.Create(); err != nil {
		t.Fatal(err)
	}
	cc, _ := v.ChannelConfig()
	f.gen, _ = channel.NewGenerator(cc, seeded.Stream(11))
	code, _ := qr.Payload{Format: v.QRFormat(), Intent: qr.Login, Key: qr.PublicKey(f.gen.PublicKey()),
		RendezvousID: box.ID, BaseURL: logintest.BaseURL}.Marshal()
	createTok := box.Token
	// E: start, scan; it reads the session and writes LoginInitiate.
	f.step(Input{Kind: InputStart})
	f.step(Input{Kind: InputScanned, Data: code})
	// N: read LoginInitiate, answer LoginOk.
	_, data := box.Read()
	var pt []byte
	if f.ch, pt, err = f.gen.Accept(data, f.aad(createTok), seeded.Stream(12)); err != nil || string(pt) != channel.LoginInitiate {
		t.Fatalf("accept: %v", err)
	}
	ok, _ := f.ch.Seal([]byte(channel.LoginOk), f.aad(box.Token))
	f.put(ok)
	// E: reads LoginOk, shows the code, sends m.login.protocols.
	f.poll()
	// N: reads m.login.protocols.
	_, data = box.Read()
	p, err := f.ch.Open(data, f.aad(tokenBefore(t, box.Token)))
	if err != nil {
		t.Fatalf("open protocols: %v", err)
	}
	if m, err := msg.Decode(p); err != nil || m.Type() != msg.TypeProtocols {
		t.Fatalf("protocols: %v %v", m, err)
	}
	head := strings.Join(f.d.Trace, " | ")
	wantHead := "-> waiting-scan | -> reading-session | GET rendezvous | sealed LoginInitiate | PUT rendezvous | -> sending-initiate | -> waiting-ok | GET rendezvous | opened LoginOk | show-check-code | sealed m.login.protocols | PUT rendezvous | -> sending-protocols | -> waiting-protocol"
	if head != wantHead {
		t.Fatalf("handshake transcript:\n got: %s\nwant: %s", head, wantHead)
	}
	f.d.Trace = f.d.Trace[:0]
	return f
}

// tokenBefore is the token E's PUT of m.login.protocols was conditioned
// on, the AAD token its Seal used: with counter tokens, the store's current
// token tok minus one write.
func tokenBefore(t *testing.T, tok string) string {
	n, err := strconv.Atoi(tok)
	if err != nil || n < 1 || strconv.Itoa(n) != tok {
		t.Fatalf("token %q is not a counter", tok)
	}
	return strconv.Itoa(n - 1)
}
