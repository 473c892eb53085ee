package sim

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"strconv"
	"strings"
)

// EventKind names a trace event.
type EventKind uint8

// The trace events.
const (
	// EvSend: a client put a request on a link (Name: method and path).
	EvSend EventKind = iota + 1
	// EvRecv: a server handled a request (Status), or a client got the
	// answer (Status, 0 for a timeout).
	EvRecv
	// EvDrop: the network lost a message, or a client discarded a late or
	// duplicate answer (Detail says which).
	EvDrop
	// EvState: a machine changed state (Name: "from -> to").
	EvState
	// EvTimer: a machine's timer fired.
	EvTimer
	// EvUser: the user did something (Name says what).
	EvUser
	// EvChannel: a machine sealed or opened a message (Name: its type).
	EvChannel
	// EvUI: a machine showed or asked something (Name says what).
	EvUI
	// EvOutcome: a machine ended (Name: the outcome).
	EvOutcome
	// EvFault: the network changed (a partition began or ended, the
	// network healed).
	EvFault
	// EvViolation: an invariant monitor stopped the run.
	EvViolation
)

var eventNames = [...]string{"", "send", "recv", "drop", "state", "timer", "user", "channel", "ui", "outcome",
	"fault", "violation"}

// String names the kind.
func (k EventKind) String() string {
	if int(k) < len(eventNames) && k != 0 {
		return eventNames[k]
	}
	return "event(" + strconv.Itoa(int(k)) + ")"
}

// Actor is a participant of a run.
type Actor uint8

// The actors.
const (
	ActorNone Actor = iota
	// ActorNew is the new device (N).
	ActorNew
	// ActorExisting is the existing device (E).
	ActorExisting
	// ActorBrowser is the browser the existing device opens at the provider.
	ActorBrowser
	// ActorHomeserver hosts the rendezvous store and the client-server API.
	ActorHomeserver
	// ActorOP is the OAuth provider.
	ActorOP
	// ActorUser is the person holding both devices.
	ActorUser
	// ActorNetwork is the virtual network.
	ActorNetwork
	// ActorAttacker is an adversary or its device.
	ActorAttacker
	// ActorAttackerBrowser is the attacker's own browser.
	ActorAttackerBrowser
)

var actorNames = [...]string{"-", "N", "E", "Browser", "HS", "OP", "User", "Net", "Attacker", "AttackerBrowser"}

// String is the actor's short name, as traces and diagrams show it.
func (a Actor) String() string {
	if int(a) < len(actorNames) {
		return actorNames[a]
	}
	return "actor(" + strconv.Itoa(int(a)) + ")"
}

// Event is one step of a run. Strings are shared with the model (paths,
// state and message names), so an event costs no formatting unless it is
// exported.
type Event struct {
	At     Millis
	Kind   EventKind
	Actor  Actor
	Peer   Actor
	Name   string
	Status int
	// Bytes is the size of a request or response body.
	Bytes int
	// Body is the body of a rendezvous exchange (hashed into the trace; not
	// exported).
	Body   []byte
	Detail string
}

// Trace collects a run's events and hashes them as they come, so that two
// runs can be compared by one value. Keeping the events themselves is
// optional (Keep); the hash is always computed.
type Trace struct {
	Keep   bool
	Events []Event
	// h is nil when the runner hashes no trace (Runner.HashTrace).
	h      hash.Hash
	buf    []byte
	n      int
	causes causes   // the first fault that mattered, for Result.RootCause
	obs    observer // phases and request kinds, for Result
}

func (t *Trace) reset(keep, hashed bool) {
	t.Keep = keep
	t.Events = t.Events[:0]
	switch {
	case !hashed:
		t.h = nil
	case t.h == nil:
		t.h = sha256.New()
	default:
		t.h.Reset()
	}
	t.buf = t.buf[:0]
	t.n = 0
	t.causes.reset()
	t.obs.reset()
}

// add records an event.
func (t *Trace) add(e Event) {
	t.n++
	t.causes.see(&e)
	t.obs.see(&e)
	if t.h == nil {
		if t.Keep {
			e.Body = nil
			t.Events = append(t.Events, e)
		}
		return
	}
	b := t.buf
	b = binary.LittleEndian.AppendUint64(b, uint64(e.At))
	b = append(b, byte(e.Kind), byte(e.Actor), byte(e.Peer))
	b = binary.LittleEndian.AppendUint32(b, uint32(e.Status))
	b = binary.LittleEndian.AppendUint32(b, uint32(e.Bytes))
	b = appendStr(b, e.Name)
	b = appendStr(b, e.Detail)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(e.Body)))
	b = append(b, e.Body...)
	if len(b) >= 32<<10 {
		t.h.Write(b)
		b = b[:0]
	}
	t.buf = b
	if t.Keep {
		e.Body = nil
		t.Events = append(t.Events, e)
	}
}

func appendStr(b []byte, s string) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// Len is the number of events recorded (kept or not).
func (t *Trace) Len() int { return t.n }

// Hash is the SHA-256 of every event so far, in hex ("" when the runner
// hashes no trace).
func (t *Trace) Hash() string {
	if t.h == nil {
		return ""
	}
	if len(t.buf) > 0 {
		t.h.Write(t.buf)
		t.buf = t.buf[:0]
	}
	var sum [32]byte
	return hex.EncodeToString(t.h.Sum(sum[:0]))
}

// JSONEvent is one line of a JSON Lines trace (WriteJSONL): the exported
// form of an Event. simrun serve writes its exchanges in the same shape.
type JSONEvent struct {
	Run    int    `json:"run"`
	At     int64  `json:"t_ms"`
	Kind   string `json:"kind"`
	Actor  string `json:"actor"`
	Peer   string `json:"peer,omitempty"`
	Name   string `json:"name,omitempty"`
	Status int    `json:"status,omitempty"`
	Bytes  int    `json:"bytes,omitempty"`
	Detail string `json:"detail,omitempty"`
}

// WriteJSONL writes the kept events as JSON Lines, one object per event,
// tagged with the run number.
func WriteJSONL(w io.Writer, run int, events []Event) error {
	enc := json.NewEncoder(w)
	for _, e := range events {
		je := JSONEvent{Run: run, At: int64(e.At), Kind: e.Kind.String(), Actor: e.Actor.String(), Name: e.Name,
			Status: e.Status, Bytes: e.Bytes, Detail: e.Detail}
		if e.Peer != ActorNone {
			je.Peer = e.Peer.String()
		}
		if err := enc.Encode(je); err != nil {
			return err
		}
	}
	return nil
}

// shortPath drops the client-server API prefixes and long IDs from a
// request line, as the MSC's diagrams do.
func shortPath(s string) string {
	for _, p := range []string{"/_matrix/client/v1", "/_matrix/client/v3", "/_matrix/client/unstable/org.matrix.msc4108",
		"/_matrix/client/unstable/io.element.msc4108", "/_matrix/client/unstable/io.element.msc4388",
		"/_matrix/client/unstable/org.matrix.msc2965", "/_synapse/client"} {
		s = strings.Replace(s, p, "", 1)
	}
	if i := strings.Index(s, "/rendezvous/"); i >= 0 {
		s = s[:i] + "/rendezvous/{id}"
	}
	return s
}

var mermaidEscaper = strings.NewReplacer(";", ",", "#", "", "\n", " ")

// mermaidText makes a label safe for a Mermaid message line.
func mermaidText(s string) string {
	s = mermaidEscaper.Replace(s)
	if len(s) > 90 {
		s = s[:87] + "..."
	}
	return s
}

// WriteText writes the kept events one per line, for people and test
// failures: time, actor, kind, then what happened.
func WriteText(w io.Writer, events []Event) error {
	var b strings.Builder
	for _, e := range events {
		fmt.Fprintf(&b, "%8d %-7s %-9s", e.At, e.Actor, e.Kind)
		if e.Peer != ActorNone {
			fmt.Fprintf(&b, " ->%s", e.Peer)
		}
		b.WriteString(" " + e.Name)
		if e.Status != 0 {
			fmt.Fprintf(&b, " [%d]", e.Status)
		}
		if e.Detail != "" {
			b.WriteString(" (" + e.Detail + ")")
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}
