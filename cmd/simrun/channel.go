package main

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"

	"qrlab/model/channel"
)

// peerOp is one JSON line of input to `simrun channel`.
type peerOp struct {
	Op        string  `json:"op"`
	PeerKey   string  `json:"peer_key,omitempty"`
	Plaintext *string `json:"plaintext,omitempty"`
	Payload   *string `json:"payload,omitempty"`
	AAD       string  `json:"aad,omitempty"`
}

// peerEvent is one JSON line of output.
type peerEvent struct {
	Event     string  `json:"event"`
	PublicKey string  `json:"public_key,omitempty"`
	Payload   *string `json:"payload,omitempty"`
	Plaintext *string `json:"plaintext,omitempty"`
	Code      string  `json:"code,omitempty"`
	Error     string  `json:"error,omitempty"`
}

const channelUsage = `usage: simrun channel --construction C --role generator|scanner [--digits 00-99|10-99] [--seed N]

Speaks the secure channel as a JSON-lines peer: one JSON object per input line
on stdin, one per output line on stdout. On start it prints
  {"event":"ready","public_key":"<b64>"}
Ops (each may carry "aad":"<b64>", additional data for that seal or open):
  {"op":"establish","peer_key":"<b64>","plaintext":"..."}  scanner only -> {"event":"send","payload":"..."}
  {"op":"receive","payload":"..."}                        -> {"event":"received","plaintext":"..."}
  {"op":"send","plaintext":"..."}                         -> {"event":"send","payload":"..."}
  {"op":"check_code"}                                     -> {"event":"check_code","code":"NN"}
Any failure prints {"event":"error","error":"..."} and the peer keeps serving.
End of input ends the peer with exit status 0.
Constructions: ecies-spec, ecies-vodozemac, hpke-spec, hpke-vodozemac.
Randomness comes from the system unless --seed is given (then it is a
deterministic stream, for reproducible transcripts).
Flags:
`

// peer is the state of one `simrun channel` process.
type peer struct {
	cfg     channel.Config
	rand    io.Reader
	role    channel.Role
	gen     *channel.Generator
	scanner *channel.Scanner
	ch      *channel.Channel
}

func runChannel(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("simrun channel", channelUsage, stderr, nil)
	construction := fs.String("construction", "", "secure channel construction (required)")
	role := fs.String("role", "", "generator (shows the QR) or scanner (required)")
	digits := fs.String("digits", "", "check-code rendering, 00-99 or 10-99 (default: the construction's own)")
	seed := fs.Uint64("seed", 0, "draw randomness from a deterministic stream with this seed (0: system randomness)")
	if code := parseNoArgs(fs, args, stderr); code >= 0 {
		return code
	}
	c, err := channel.ParseConstruction(*construction)
	if err != nil {
		fmt.Fprintf(stderr, "simrun channel: --construction: %v\n", err)
		return 2
	}
	cfg := channel.DefaultConfig(c)
	if *digits != "" {
		if cfg.Digits, err = channel.ParseDigits(*digits); err != nil {
			fmt.Fprintf(stderr, "simrun channel: --digits: %v\n", err)
			return 2
		}
	}
	p := &peer{cfg: cfg, rand: rand.Reader}
	if *seed != 0 {
		var s [32]byte
		for i := range 8 {
			s[i] = byte(*seed >> (8 * i))
		}
		p.rand = mrand.NewChaCha8(s)
	}
	var pub channel.PublicKey
	switch *role {
	case "generator":
		p.role = channel.RoleGenerator
		if p.gen, err = channel.NewGenerator(cfg, p.rand); err == nil {
			pub = p.gen.PublicKey()
		}
	case "scanner":
		p.role = channel.RoleScanner
		if p.scanner, err = channel.NewScanner(cfg, p.rand); err == nil {
			pub = p.scanner.PublicKey()
		}
	default:
		fmt.Fprintf(stderr, "simrun channel: --role: want generator or scanner, got %q\n", *role)
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "simrun channel: %v\n", err)
		return 1
	}
	out := bufio.NewWriter(stdout)
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	emit := func(e peerEvent) error {
		if err := enc.Encode(e); err != nil {
			return err
		}
		return out.Flush()
	}
	if err := emit(peerEvent{Event: "ready", PublicKey: pub.String()}); err != nil {
		fmt.Fprintf(stderr, "simrun channel: %v\n", err)
		return 1
	}
	in := bufio.NewScanner(stdin)
	in.Buffer(make([]byte, 64*1024), 16<<20)
	line := 0
	for in.Scan() {
		line++
		ev := p.handle(in.Bytes())
		if err := emit(ev); err != nil {
			fmt.Fprintf(stderr, "simrun channel: writing reply to line %d: %v\n", line, err)
			return 1
		}
	}
	if err := in.Err(); err != nil {
		fmt.Fprintf(stderr, "simrun channel: reading line %d: %v\n", line+1, err)
		return 2
	}
	return 0
}

func errorEvent(format string, args ...any) peerEvent {
	return peerEvent{Event: "error", Error: fmt.Sprintf(format, args...)}
}

// handle runs one input line and returns the one event it produces.
func (p *peer) handle(line []byte) peerEvent {
	var op peerOp
	if err := json.Unmarshal(line, &op); err != nil {
		return errorEvent("input is not a JSON object: %v", err)
	}
	var aad []byte
	if op.AAD != "" {
		var err error
		if aad, err = base64.RawStdEncoding.DecodeString(trimPad(op.AAD)); err != nil {
			return errorEvent("aad: not base64: %v", err)
		}
	}
	switch op.Op {
	case "establish":
		if p.role != channel.RoleScanner {
			return errorEvent("establish: only the scanner establishes; this peer is the generator")
		}
		if op.Plaintext == nil {
			return errorEvent("establish: missing plaintext")
		}
		gp, err := channel.ParsePublicKey(op.PeerKey)
		if err != nil {
			return errorEvent("establish: peer_key: %v", err)
		}
		ch, payload, err := p.scanner.Initiate(gp, []byte(*op.Plaintext), aad)
		if err != nil {
			return errorEvent("establish: %v", err)
		}
		p.ch = ch
		return peerEvent{Event: "send", Payload: &payload}
	case "receive":
		if op.Payload == nil {
			return errorEvent("receive: missing payload")
		}
		var pt []byte
		var err error
		switch {
		case p.ch != nil:
			pt, err = p.ch.Open(*op.Payload, aad)
		case p.role == channel.RoleGenerator:
			p.ch, pt, err = p.gen.Accept(*op.Payload, aad, p.rand)
		default:
			err = errors.New("the scanner must establish before it can receive")
		}
		if err != nil {
			return errorEvent("receive: %v", err)
		}
		s := string(pt)
		return peerEvent{Event: "received", Plaintext: &s}
	case "send":
		if op.Plaintext == nil {
			return errorEvent("send: missing plaintext")
		}
		if p.ch == nil {
			return errorEvent("send: the channel is not established yet")
		}
		payload, err := p.ch.Seal([]byte(*op.Plaintext), aad)
		if err != nil {
			return errorEvent("send: %v", err)
		}
		return peerEvent{Event: "send", Payload: &payload}
	case "check_code":
		if p.ch == nil {
			return errorEvent("check_code: the channel is not established yet")
		}
		return peerEvent{Event: "check_code", Code: p.ch.CheckCode().String()}
	case "":
		return errorEvent("missing op")
	}
	return errorEvent("unknown op %q (want establish, receive, send or check_code)", op.Op)
}

// trimPad drops base64 padding so padded and unpadded input both decode.
func trimPad(s string) string {
	for len(s) > 0 && s[len(s)-1] == '=' {
		s = s[:len(s)-1]
	}
	return s
}
