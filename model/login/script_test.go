package login

import (
	"strings"
	"testing"

	"qrlab/model/channel"
	"qrlab/model/homeserver"
	"qrlab/model/msg"
	"qrlab/model/qr"
	"qrlab/model/rendezvous"
	"qrlab/model/variant"
	"qrlab/model/wire"
	"qrlab/model/wire/canonicaljson"
)

// fakeNew plays the new device by hand against one ExistingDevice machine
// (which scans its QR code), so that a script can put any payload in the
// mailbox: a transcript of one machine with the exact effects it answers.
type fakeNew struct {
	t     *testing.T
	v     variant.Variant
	store *rendezvous.Store
	e     *ExistingDevice
	now   Millis
	path  string
	id    string
	token string
	gen   *channel.Generator
	ch    *channel.Channel
	timer uint64
	trace []string
}

func (f *fakeNew) aad(tok string) []byte {
	b, err := channel.BindingAAD(f.v.AADLayout(), baseURL, f.id, tok)
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

func (f *fakeNew) rv(method string, body string) (int, string) {
	var h rendezvous.Header
	h.Add("Content-Type", "application/json")
	r, _ := f.store.Handle(rendezvous.Millis(f.now), &rendezvous.Request{Method: method, Path: f.path, Header: h, Body: []byte(body)})
	obj, _ := canonicaljson.Parse(r.Body)
	tok, _ := str(&obj, "sequence_token")
	if tok != "" {
		f.token = tok
	}
	data, _ := str(&obj, "data")
	return r.Status, data
}

// step feeds E one input, serves its rendezvous requests at once (homeserver
// requests get the answers in hs), and records a compact trace.
func (f *fakeNew) step(in Input, hs map[string]int) {
	fx := append([]Effect(nil), f.e.Step(f.now, in)...)
	for _, x := range fx {
		switch x.Kind {
		case EffectRequest:
			f.trace = append(f.trace, x.Request.Method+" "+x.Request.Target.String())
		case EffectSetTimer:
			f.timer = x.Timer
		case EffectChannel:
			d := "opened "
			if x.Sealed {
				d = "sealed "
			}
			f.trace = append(f.trace, d+x.MsgType)
		case EffectState:
			f.trace = append(f.trace, "-> "+x.To.String())
		case EffectOutcome:
			f.trace = append(f.trace, "outcome "+x.Outcome.String())
		case EffectShowCheckCode, EffectOpenBrowser:
			f.trace = append(f.trace, x.Kind.String())
		}
	}
	// Then answer the requests, in order.
	for _, x := range fx {
		if x.Kind != EffectRequest || x.Request.Method == "DELETE" {
			continue
		}
		if x.Request.Target == TargetRendezvous {
			var h rendezvous.Header
			for _, l := range x.Request.Header {
				h.Add(l.Name, l.Value)
			}
			r, _ := f.store.Handle(rendezvous.Millis(f.now), &rendezvous.Request{Method: x.Request.Method, Path: x.Request.Path, Header: h, Body: x.Request.Body})
			var oh Header
			for _, l := range r.Header {
				oh.Add(l.Name, l.Value)
			}
			f.step(Input{Kind: InputResponse, ID: x.Request.ID, Response: Response{Status: r.Status, Header: oh, Body: r.Body}}, hs)
		} else if st, ok := hs[x.Request.Path]; ok {
			f.step(Input{Kind: InputResponse, ID: x.Request.ID, Response: Response{Status: st, Body: []byte("{}")}}, hs)
		}
	}
}

// poll lets E's poll timer fire.
func (f *fakeNew) poll(hs map[string]int) {
	f.now += 1000
	f.step(Input{Kind: InputTimer, ID: f.timer}, hs)
}

// write seals plaintext as the fake new device and puts it in the mailbox.
func (f *fakeNew) write(plaintext string) {
	f.rv("GET", "")
	payload, err := f.ch.Seal([]byte(plaintext), f.aad(f.token))
	if err != nil {
		f.t.Fatal(err)
	}
	f.rvPut(payload)
}

func (f *fakeNew) rvPut(payload string) {
	b := wire.AppendString([]byte(`{"sequence_token":`), f.token)
	b = append(b, `,"data":`...)
	b = wire.AppendString(b, payload)
	b = append(b, '}')
	if st, _ := f.rv("PUT", string(b)); st != 200 {
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
		{"garbage payload", func(f *fakeNew) { f.rv("GET", ""); f.rvPut("bm90IGEgY2lwaGVydGV4dA") }, nil,
			"GET rendezvous | DELETE rendezvous | -> failed | outcome failure channel_integrity"},
		{"session deleted", func(f *fakeNew) { f.rv("DELETE", "") }, nil,
			"GET rendezvous | -> failed | outcome failure rendezvous_expired"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := variant.MustLoad("msc4388")
			rc, _ := v.RendezvousConfig()
			store, _ := rendezvous.New(rc, 0, stream(9))
			e, err := NewExistingDevice(ExistingDeviceConfig{Variant: v, Intent: qr.Login, BaseURL: baseURL,
				ServerName: "lab.example", AccessToken: eToken}, stream(10))
			if err != nil {
				t.Fatal(err)
			}
			f := &fakeNew{t: t, v: v, store: store, e: e, path: rc.Prefixes[0]}
			// N: create the session and show the QR code.
			if st, _ := f.rv("POST", `{"data":""}`); st != 200 {
				t.Fatalf("create: %d", st)
			}
			for _, s := range store.Sessions() {
				f.id = s.ID
			}
			f.path += "/" + f.id
			cc, _ := v.ChannelConfig()
			f.gen, _ = channel.NewGenerator(cc, stream(11))
			code, _ := qr.Payload{Format: v.QRFormat(), Intent: qr.Login, Key: qr.PublicKey(f.gen.PublicKey()),
				RendezvousID: f.id, BaseURL: baseURL}.Marshal()
			createTok := f.token
			// E: start, scan; it reads the session and writes LoginInitiate.
			f.step(Input{Kind: InputStart}, nil)
			f.step(Input{Kind: InputScanned, Data: code}, nil)
			// N: read LoginInitiate, answer LoginOk.
			_, data := f.rv("GET", "")
			var pt []byte
			if f.ch, pt, err = f.gen.Accept(data, f.aad(createTok), stream(12)); err != nil || string(pt) != channel.LoginInitiate {
				t.Fatalf("accept: %v", err)
			}
			ok, _ := f.ch.Seal([]byte(channel.LoginOk), f.aad(f.token))
			f.rvPut(ok)
			// E: reads LoginOk, shows the code, sends m.login.protocols.
			f.poll(nil)
			// N: reads m.login.protocols.
			_, data = f.rv("GET", "")
			p, err := f.ch.Open(data, f.aad(f.tokenBeforeLastRead(t)))
			if err != nil {
				t.Fatalf("open protocols: %v", err)
			}
			if m, err := msg.Decode(p); err != nil || m.Type() != msg.TypeProtocols {
				t.Fatalf("protocols: %v %v", m, err)
			}
			head := strings.Join(f.trace, " | ")
			wantHead := "-> waiting-scan | -> reading-session | GET rendezvous | sealed LoginInitiate | PUT rendezvous | -> sending-initiate | -> waiting-ok | GET rendezvous | opened LoginOk | show-check-code | sealed m.login.protocols | PUT rendezvous | -> sending-protocols | -> waiting-protocol"
			if head != wantHead {
				t.Fatalf("handshake transcript:\n got: %s\nwant: %s", head, wantHead)
			}
			f.trace = f.trace[:0]
			tc.third(f)
			f.poll(tc.hs)
			got := strings.Join(f.trace, " | ")
			if !strings.HasSuffix(got, tc.want) {
				t.Fatalf("transcript:\n got: %s\nwant suffix: %s", got, tc.want)
			}
			if e.Facts().SecretsSealed {
				t.Fatal("secrets sealed")
			}
		})
	}
}

// tokenBeforeLastRead is the token E's PUT of m.login.protocols was
// conditioned on, the AAD token its Seal used: with counter tokens, the
// store's current token minus one write.
func (f *fakeNew) tokenBeforeLastRead(t *testing.T) string {
	var n int
	for _, c := range f.token {
		if c < '0' || c > '9' {
			t.Fatalf("token %q is not a counter", f.token)
		}
		n = n*10 + int(c-'0')
	}
	return itoa(n - 1)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}
