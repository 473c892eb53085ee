package peer

import (
	"encoding/json"
	"strings"
	"testing"

	"qrlab/internal/seeded"
	"qrlab/model/channel"
)

func op(t *testing.T, p *Peer, o map[string]string) Event {
	t.Helper()
	b, _ := json.Marshal(o)
	return p.Handle(b)
}

// TestPeersTalk: two peers of every construction establish a channel
// through ops, agree on the check code, carry a message each way, and
// answer a bad op with an error event.
func TestPeersTalk(t *testing.T) {
	for _, name := range []string{"ecies-spec", "ecies-vodozemac", "hpke-spec", "hpke-vodozemac"} {
		t.Run(name, func(t *testing.T) {
			c, err := channel.ParseConstruction(name)
			if err != nil {
				t.Fatal(err)
			}
			cfg := channel.DefaultConfig(c)
			g, gpub, err := New(cfg, channel.RoleGenerator, seeded.Key(1))
			if err != nil {
				t.Fatal(err)
			}
			s, _, err := New(cfg, channel.RoleScanner, seeded.Key(2))
			if err != nil {
				t.Fatal(err)
			}
			e := op(t, s, map[string]string{"op": "establish", "peer_key": gpub.String(), "plaintext": "MATRIX_QR_CODE_LOGIN_INITIATE"})
			if e.Event != "send" || e.Payload == nil {
				t.Fatalf("establish: %+v", e)
			}
			if r := op(t, g, map[string]string{"op": "receive", "payload": *e.Payload}); r.Event != "received" || *r.Plaintext != "MATRIX_QR_CODE_LOGIN_INITIATE" {
				t.Fatalf("receive initiate: %+v", r)
			}
			ok := op(t, g, map[string]string{"op": "send", "plaintext": "MATRIX_QR_CODE_LOGIN_OK"})
			if r := op(t, s, map[string]string{"op": "receive", "payload": *ok.Payload}); r.Event != "received" {
				t.Fatalf("receive ok: %+v", r)
			}
			gc, sc := op(t, g, map[string]string{"op": "check_code"}), op(t, s, map[string]string{"op": "check_code"})
			if gc.Code == "" || gc.Code != sc.Code {
				t.Fatalf("check codes %q and %q", gc.Code, sc.Code)
			}
			if r := op(t, g, map[string]string{"op": "establish"}); r.Event != "error" {
				t.Fatalf("the generator established: %+v", r)
			}
			if r := g.Handle([]byte("not json")); r.Event != "error" {
				t.Fatalf("bad line: %+v", r)
			}
		})
	}
}

// TestInputErrors: a line that is not an op gets an error event in the
// terms of its JSON (the field and the kind of value it takes), naming no
// Go type.
func TestInputErrors(t *testing.T) {
	p, _, err := New(channel.DefaultConfig(channel.HPKESpec), channel.RoleGenerator, seeded.Key(1))
	if err != nil {
		t.Fatal(err)
	}
	for line, want := range map[string]string{
		`{"op":5}`:                     `field "op" must be a string, not a number`,
		`{"op":"send","plaintext":{}}`: `field "plaintext" must be a string, not an object`,
		`[1]`:                          `input must be a JSON object, not an array`,
		`"s"`:                          `input must be a JSON object, not a string`,
		`nope`:                         `input is not JSON: invalid character`,
	} {
		ev := p.Handle([]byte(line))
		if ev.Event != "error" || !strings.HasPrefix(ev.Error, want) {
			t.Errorf("%s: %+v, want an error starting %q", line, ev, want)
		}
		for _, goWord := range []string{"Go ", "peer.", "struct", "Op."} {
			if strings.Contains(ev.Error, goWord) {
				t.Errorf("%s: error %q names a Go type (%q)", line, ev.Error, goWord)
			}
		}
	}
}
