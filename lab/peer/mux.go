package peer

import (
	"encoding/json"
	"io"

	"qrlab/model/channel"
)

// ProtocolVersion is the version of the JSON-lines protocol this package
// speaks (PROTOCOL.md). Version 1 is one session per process; version 2
// adds hello, named sessions (new, close) and the session field.
const ProtocolVersion = 2

// Mux is a version-2 peer: the default session of version 1 (nil when the
// process has none) and any number of named sessions, each with its own
// role and key, made by the op "new" with randomness from rand.
type Mux struct {
	cfg      channel.Config
	rand     io.Reader
	def      *Peer
	sessions map[string]*Peer
}

// NewMux is a version-2 peer for cfg whose default session is def (nil
// for none) and whose named sessions draw their keys from rand.
func NewMux(cfg channel.Config, def *Peer, rand io.Reader) *Mux {
	return &Mux{cfg: cfg, rand: rand, def: def, sessions: map[string]*Peer{}}
}

// Sessions is the number of open named sessions.
func (m *Mux) Sessions() int { return len(m.sessions) }

// muxOp is the part of an op the Mux reads itself.
type muxOp struct {
	Op      string `json:"op"`
	Session string `json:"session"`
	Role    string `json:"role"`
}

// Handle runs one input line and returns the one event it produces; an
// event about a named session carries its name.
func (m *Mux) Handle(line []byte) Event {
	var op muxOp
	if err := json.Unmarshal(line, &op); err != nil {
		return errorEvent("input is not a JSON object: %v", err)
	}
	ev := m.handle(op, line)
	ev.Session = op.Session
	return ev
}

func (m *Mux) handle(op muxOp, line []byte) Event {
	switch op.Op {
	case "hello":
		return Event{Event: "hello", Protocol: ProtocolVersion,
			Constructions: []string{string(m.cfg.Construction)}, AAD: boolPtr(true)}
	case "new":
		if op.Session == "" {
			return errorEvent("new: missing session")
		}
		if _, ok := m.sessions[op.Session]; ok {
			return errorEvent("new: session %q already exists", op.Session)
		}
		var role channel.Role
		switch op.Role {
		case "generator":
			role = channel.RoleGenerator
		case "scanner":
			role = channel.RoleScanner
		default:
			return errorEvent("new: role: want generator or scanner, got %q", op.Role)
		}
		p, pub, err := New(m.cfg, role, m.rand)
		if err != nil {
			return errorEvent("new: %v", err)
		}
		m.sessions[op.Session] = p
		return Event{Event: "ready", PublicKey: pub.String()}
	case "close":
		if _, ok := m.sessions[op.Session]; !ok {
			return errorEvent("close: no session %q", op.Session)
		}
		delete(m.sessions, op.Session)
		return Event{Event: "closed"}
	}
	if op.Session == "" {
		if m.def == nil {
			return errorEvent("%s: missing session (this peer has no default session)", op.Op)
		}
		return m.def.Handle(line)
	}
	p, ok := m.sessions[op.Session]
	if !ok {
		return errorEvent("%s: no session %q", op.Op, op.Session)
	}
	return p.Handle(line)
}

func boolPtr(b bool) *bool { return &b }
