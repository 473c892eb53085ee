package login_test

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"qrlab/internal/seeded"
	"qrlab/model/channel"
	. "qrlab/model/login"
	"qrlab/model/login/logintest"
	"qrlab/model/msg"
	"qrlab/model/qr"
	"qrlab/model/variant"
)

// TestExistingDeviceScripted replays the scripts under
// testdata/scripts/existing-device: each plays the new device's side by
// hand, message by message, against one ExistingDevice machine (which scans
// its QR code), and records E's answers: the happy start and each kind of
// bad input where E waits for m.login.protocol. Run with -update to rewrite
// the outputs after an intended change, then read the diff.
//
// Commands (each prints what E did in answer, one effect a line):
//
//	handshake                  N creates the session and shows the QR code; E scans;
//	                           LoginInitiate, LoginOk, m.login.protocols (N opens it)
//	homeserver <path> <status> E's homeserver requests to path get status
//	write <plaintext>          N seals plaintext and PUTs it (prints the status)
//	write-raw <payload>        N reads the session and PUTs payload as it is
//	delete                     N deletes the session (prints the status)
//	poll                       a second passes and E's poll timer fires
//	facts                      whether E sealed the secrets
func TestExistingDeviceScripted(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "scripts", "existing-device", "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts: %v", err)
	}
	for _, path := range files {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txt"), func(t *testing.T) {
			f := newFakeNew(t)
			logintest.RunScript(t, path, *update, f.do)
		})
	}
}

// fakeNew plays the new device by hand against one ExistingDevice machine.
type fakeNew struct {
	t   *testing.T
	v   variant.Variant
	box *logintest.Mailbox // the fake new device's side of the session
	d   *logintest.Driver  // E, answered from the same store
	hs  map[string]int     // E's homeserver requests: the status per path
	gen *channel.Generator
	ch  *channel.Channel
}

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
	f := &fakeNew{t: t, v: v, box: box, hs: map[string]int{}}
	f.d = &logintest.Driver{M: e, Store: box.Store, Answer: func(r Request) (Response, bool) {
		st, ok := f.hs[r.Path]
		return Response{Status: st, Body: []byte("{}")}, ok
	}}
	return f
}

// do runs one script command and returns what E did.
func (f *fakeNew) do(c logintest.Command) string {
	mark := len(f.d.Trace)
	var out string
	switch c.Name {
	case "handshake":
		f.handshake()
	case "homeserver":
		path, status, _ := strings.Cut(c.Arg, " ")
		st, err := strconv.Atoi(status)
		if err != nil {
			return "error: " + err.Error()
		}
		f.hs[path] = st
	case "write":
		f.box.Read()
		payload, err := f.ch.Seal([]byte(c.Arg), f.aad(f.box.Token))
		if err != nil {
			return "error: " + err.Error()
		}
		out = fmt.Sprintf("PUT %d", f.box.Write(payload))
	case "write-raw":
		f.box.Read()
		out = fmt.Sprintf("PUT %d", f.box.Write(c.Arg))
	case "delete":
		out = fmt.Sprintf("DELETE %d", f.box.Delete())
	case "poll":
		f.poll()
	case "facts":
		out = fmt.Sprintf("secrets sealed %v", f.d.M.Facts().SecretsSealed)
	default:
		return "error: unknown command " + c.Name
	}
	lines := append([]string{out}, f.d.Trace[mark:]...)
	if out == "" && len(lines) == 1 {
		return "ok"
	}
	return strings.Join(lines, "\n")
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

// handshake creates the session, lets E scan the QR code and runs the
// handshake and m.login.protocols, opening E's messages as N would.
func (f *fakeNew) handshake() {
	t, box := f.t, f.box
	// N: create the session and show the QR code.
	if err := box.Create(); err != nil {
		t.Fatal(err)
	}
	cc, _ := f.v.ChannelConfig()
	f.gen, _ = channel.NewGenerator(cc, seeded.Stream(11))
	code, _ := qr.Payload{Format: f.v.QRFormat(), Intent: qr.Login, Key: qr.PublicKey(f.gen.PublicKey()),
		RendezvousID: box.ID, BaseURL: logintest.BaseURL}.Marshal()
	createTok := box.Token
	// E: start, scan; it reads the session and writes LoginInitiate.
	f.step(Input{Kind: InputStart})
	f.step(Input{Kind: InputScanned, Data: code})
	// N: read LoginInitiate, answer LoginOk.
	_, data := box.Read()
	ch, pt, err := f.gen.Accept(data, f.aad(createTok), seeded.Stream(12))
	if err != nil || string(pt) != channel.LoginInitiate {
		t.Fatalf("accept: %v", err)
	}
	f.ch = ch
	ok, _ := f.ch.Seal([]byte(channel.LoginOk), f.aad(box.Token))
	if st := box.Write(ok); st != 200 {
		t.Fatalf("PUT LoginOk: %d", st)
	}
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
