// Package peer speaks the secure channel as a JSON-lines reference peer
// (simrun channel): one op per input line, one event per output line, so
// that another implementation can test itself against the model's channel.
package peer

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"qrlab/lab"
	"qrlab/model/channel"
)

// Op is one JSON line of input.
type Op struct {
	Op        string  `json:"op"`
	PeerKey   string  `json:"peer_key,omitempty"`
	Plaintext *string `json:"plaintext,omitempty"`
	Payload   *string `json:"payload,omitempty"`
	AAD       string  `json:"aad,omitempty"`
	Session   string  `json:"session,omitempty"`
}

// Event is one JSON line of output.
type Event struct {
	Event     string  `json:"event"`
	Session   string  `json:"session,omitempty"`
	PublicKey string  `json:"public_key,omitempty"`
	Payload   *string `json:"payload,omitempty"`
	Plaintext *string `json:"plaintext,omitempty"`
	Code      string  `json:"code,omitempty"`
	Error     string  `json:"error,omitempty"`

	// Version 2's hello event: the protocol version, the constructions
	// the peer speaks and whether it takes additional data.
	Protocol      int      `json:"protocol,omitempty"`
	Constructions []string `json:"constructions,omitempty"`
	AAD           *bool    `json:"aad,omitempty"`
}

// Peer is one side of a channel, driven by ops.
type Peer struct {
	cfg     channel.Config
	rand    io.Reader
	role    channel.Role
	gen     *channel.Generator
	scanner *channel.Scanner
	ch      *channel.Channel
}

// New is a peer in role with its ephemeral key drawn from rand, and that
// key (for the ready event).
func New(cfg channel.Config, role channel.Role, rand io.Reader) (*Peer, channel.PublicKey, error) {
	p := &Peer{cfg: cfg, rand: rand, role: role}
	var err error
	var pub channel.PublicKey
	switch role {
	case channel.RoleGenerator:
		if p.gen, err = channel.NewGenerator(cfg, rand); err == nil {
			pub = p.gen.PublicKey()
		}
	case channel.RoleScanner:
		if p.scanner, err = channel.NewScanner(cfg, rand); err == nil {
			pub = p.scanner.PublicKey()
		}
	default:
		err = fmt.Errorf("unknown role %v", role)
	}
	if err != nil {
		return nil, pub, err
	}
	return p, pub, nil
}

func errorEvent(format string, args ...any) Event {
	return Event{Event: "error", Error: fmt.Sprintf(format, args...)}
}

// Handle runs one input line and returns the one event it produces.
func (p *Peer) Handle(line []byte) Event {
	var op Op
	if err := json.Unmarshal(line, &op); err != nil {
		return errorEvent("%s", inputError(err))
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
		return Event{Event: "send", Payload: &payload}
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
		return Event{Event: "received", Plaintext: &s}
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
		return Event{Event: "send", Payload: &payload}
	case "check_code":
		if p.ch == nil {
			return errorEvent("check_code: the channel is not established yet")
		}
		return Event{Event: "check_code", Code: p.ch.CheckCode().String()}
	case "":
		return errorEvent("missing op")
	}
	return errorEvent("unknown op %q (want establish, receive, send or check_code)", op.Op)
}

// inputError says what is wrong with an input line in the terms of its
// JSON, never the Go types it is read into.
func inputError(err error) string { return lab.JSONError("input", err) }

// trimPad drops base64 padding so padded and unpadded input both decode.
func trimPad(s string) string {
	for len(s) > 0 && s[len(s)-1] == '=' {
		s = s[:len(s)-1]
	}
	return s
}
