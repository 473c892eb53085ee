package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"

	"qrlab/lab/peer"
)

// jsonPeer drives one runChannel in a goroutine over pipes.
type jsonPeer struct {
	in   io.WriteCloser
	out  *bufio.Scanner
	done chan int
}

func startPeer(t *testing.T, args ...string) (*jsonPeer, peer.Event) {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	p := &jsonPeer{in: inW, out: bufio.NewScanner(outR), done: make(chan int, 1)}
	p.out.Buffer(nil, 16<<20)
	var stderr bytes.Buffer
	go func() {
		code := runChannel(args, inR, outW, &stderr)
		outW.Close()
		p.done <- code
	}()
	ready := p.read(t)
	if ready.Event != "ready" || ready.PublicKey == "" {
		t.Fatalf("first line %+v, want a ready event with a key (stderr %s)", ready, stderr.String())
	}
	return p, ready
}

func (p *jsonPeer) read(t *testing.T) peer.Event {
	t.Helper()
	if !p.out.Scan() {
		t.Fatalf("peer closed its output: %v", p.out.Err())
	}
	var e peer.Event
	if err := json.Unmarshal(p.out.Bytes(), &e); err != nil {
		t.Fatalf("peer wrote %q: %v", p.out.Text(), err)
	}
	return e
}

func (p *jsonPeer) do(t *testing.T, op map[string]string) peer.Event {
	t.Helper()
	b, _ := json.Marshal(op)
	if _, err := p.in.Write(append(b, '\n')); err != nil {
		t.Fatal(err)
	}
	return p.read(t)
}

func (p *jsonPeer) close(t *testing.T) {
	t.Helper()
	p.in.Close()
	if code := <-p.done; code != 0 {
		t.Fatalf("peer exited %d at end of input, want 0", code)
	}
}

func TestChannelPeersTalk(t *testing.T) {
	for _, c := range []string{"ecies-spec", "ecies-vodozemac", "hpke-spec", "hpke-vodozemac"} {
		t.Run(c, func(t *testing.T) {
			g, gReady := startPeer(t, "--construction", c, "--role", "generator")
			s, sReady := startPeer(t, "--construction", c, "--role", "scanner")
			aad := ""
			if strings.HasPrefix(c, "hpke") {
				aad = "AAECAw" // the peers must agree on it, whatever it is
			}
			ev := s.do(t, map[string]string{"op": "establish", "peer_key": gReady.PublicKey, "plaintext": "MATRIX_QR_CODE_LOGIN_INITIATE", "aad": aad})
			if ev.Event != "send" {
				t.Fatalf("establish: %+v", ev)
			}
			if !strings.Contains(*ev.Payload, sReady.PublicKey) && !strings.HasPrefix(c, "hpke") {
				t.Errorf("ECIES LoginInitiate %q does not carry the announced scanner key %s", *ev.Payload, sReady.PublicKey)
			}
			ev = g.do(t, map[string]string{"op": "receive", "payload": *ev.Payload, "aad": aad})
			if ev.Event != "received" || *ev.Plaintext != "MATRIX_QR_CODE_LOGIN_INITIATE" {
				t.Fatalf("generator receive: %+v", ev)
			}
			for i, m := range []string{"MATRIX_QR_CODE_LOGIN_OK", `{"type":"m.login.protocol"}`, "", "ünï ✓"} {
				from, to := g, s
				if i%2 == 1 {
					from, to = s, g
				}
				ev = from.do(t, map[string]string{"op": "send", "plaintext": m, "aad": aad})
				if ev.Event != "send" {
					t.Fatalf("send %d: %+v", i, ev)
				}
				ev = to.do(t, map[string]string{"op": "receive", "payload": *ev.Payload, "aad": aad})
				if ev.Event != "received" || *ev.Plaintext != m {
					t.Fatalf("receive %d: %+v", i, ev)
				}
			}
			gc := g.do(t, map[string]string{"op": "check_code"})
			sc := s.do(t, map[string]string{"op": "check_code"})
			if gc.Code == "" || gc.Code != sc.Code || len(gc.Code) != 2 {
				t.Fatalf("check codes %q / %q", gc.Code, sc.Code)
			}
			// A tampered payload is an error event, and the peer keeps serving.
			ev = g.do(t, map[string]string{"op": "send", "plaintext": "x", "aad": aad})
			bad := "A" + (*ev.Payload)[1:]
			if bad == *ev.Payload {
				bad = "B" + (*ev.Payload)[1:]
			}
			if ev = s.do(t, map[string]string{"op": "receive", "payload": bad, "aad": aad}); ev.Event != "error" {
				t.Fatalf("tampered payload: %+v", ev)
			}
			if ev = s.do(t, map[string]string{"op": "check_code"}); ev.Event != "check_code" {
				t.Fatalf("peer stopped serving after an error: %+v", ev)
			}
			g.close(t)
			s.close(t)
		})
	}
}

func TestChannelPeerErrors(t *testing.T) {
	g, _ := startPeer(t, "--construction", "ecies-vodozemac", "--role", "generator")
	for _, line := range []string{
		`not json`,
		`{"op":"fly"}`,
		`{}`,
		`{"op":"establish","peer_key":"x","plaintext":"p"}`,
		`{"op":"send","plaintext":"p"}`,
		`{"op":"check_code"}`,
		`{"op":"receive"}`,
		`{"op":"receive","payload":"!!!"}`,
		`{"op":"receive","payload":"abc|def"}`,
		`{"op":"send","plaintext":"p","aad":"***"}`,
	} {
		if _, err := fmt.Fprintln(g.in, line); err != nil {
			t.Fatal(err)
		}
		if ev := g.read(t); ev.Event != "error" || ev.Error == "" {
			t.Errorf("%s: got %+v, want an error event", line, ev)
		}
	}
	g.close(t)

	s, _ := startPeer(t, "--construction", "hpke-spec", "--role", "scanner")
	for _, line := range []string{
		`{"op":"establish","peer_key":"AAAA","plaintext":"p"}`,
		`{"op":"establish","peer_key":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","plaintext":"p"}`,
		`{"op":"receive","payload":"AAAA"}`,
	} {
		fmt.Fprintln(s.in, line)
		if ev := s.read(t); ev.Event != "error" {
			t.Errorf("%s: got %+v, want an error event", line, ev)
		}
	}
	s.close(t)
}

func TestChannelUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"--role", "generator"},
		{"--construction", "ecies", "--role", "generator"},
		{"--construction", "ecies-spec", "--role", "both"},
		{"--construction", "ecies-spec", "--role", "scanner", "--digits", "1-9"},
		{"--construction", "ecies-spec", "--role", "scanner", "--bogus"},
		{"--construction", "ecies-spec", "--role", "scanner", "extra"},
	} {
		var out, errb bytes.Buffer
		if code := runChannel(args, strings.NewReader(""), &out, &errb); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
		if errb.Len() == 0 {
			t.Errorf("%v: no message on stderr", args)
		}
	}
	var out, errb bytes.Buffer
	if code := runChannel([]string{"--help"}, strings.NewReader(""), &out, &errb); code != 0 {
		t.Errorf("--help: exit %d", code)
	}
}

func TestChannelSeedIsDeterministic(t *testing.T) {
	run := func() string {
		var out, errb bytes.Buffer
		in := strings.NewReader(`{"op":"establish","peer_key":"2IZoarIZe3gOMAqdSiFHSAcA15KfOasxueUUNwJI7Ws","plaintext":"MATRIX_QR_CODE_LOGIN_INITIATE"}` + "\n")
		if code := runChannel([]string{"--construction", "hpke-vodozemac", "--role", "scanner", "--seed", "7"}, in, &out, &errb); code != 0 {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
		return out.String()
	}
	if a, b := run(), run(); a != b {
		t.Fatalf("same seed, different transcripts:\n%s\n%s", a, b)
	}
}
