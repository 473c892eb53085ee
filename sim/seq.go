package sim

import (
	"fmt"
	"io"
	"strings"
)

// StepKind is how a sequence diagram draws one step.
type StepKind uint8

// The steps of a sequence diagram.
const (
	// StepMessage is a request or an act, an arrow From → To.
	StepMessage StepKind = iota + 1
	// StepReply is an answer, a dashed arrow From → To.
	StepReply
	// StepLost is a message the network lost: From → To, crossed.
	StepLost
	// StepTimeout is a client giving up on a request (From is the server,
	// To the client): crossed.
	StepTimeout
	// StepLate is a late or duplicate answer the client discarded:
	// dashed and crossed.
	StepLate
	// StepDuplicate is a duplicated request the server handled a second
	// time (From the client, To the server).
	StepDuplicate
	// StepInjected is an injected event (the browser cannot open the page,
	// the user cancels, refuses or gives up): From acts on To.
	StepInjected
	// StepNote is a note over From (through To when they differ).
	StepNote
)

// Step is one line of a sequence diagram: what WriteMermaid writes and
// what the reports draw as SVG. Rendezvous marks an exchange with the
// rendezvous API of the homeserver (a lane of its own in the SVG).
type Step struct {
	At         Millis
	Kind       StepKind
	From, To   Actor
	Rendezvous bool
	Text       string
}

// injected names the user and browser events a run injects (not a
// protocol message): the browser failing, the user cancelling, refusing
// or giving up.
func injected(name string) bool {
	return name == "cannot open the verification URI" || name == "gives up on the browser" ||
		strings.HasPrefix(name, "cancels") || strings.HasPrefix(name, "rejects")
}

// sequencer turns events into steps; it remembers what a later event
// needs (the message a device sealed, a rendezvous read that delivered,
// the requests sent and not yet served).
type sequencer struct {
	out     []Step
	sealed  map[Actor]string
	readOK  map[Actor]bool
	pending map[[2]string]int // client and request line → sent, not yet served or lost
}

// Sequence is the events of a run as the steps of a sequence diagram in
// the style of the MSC's diagrams: a rendezvous write is labelled with the
// message it carries and a read with the message it delivered; polls that
// brought nothing new are left out. Losses, timeouts and discarded answers
// are crossed, duplicated requests marked, injected events, outcomes and
// faults are notes or marked acts.
func Sequence(events []Event) []Step {
	s := sequencer{sealed: map[Actor]string{}, readOK: map[Actor]bool{}, pending: map[[2]string]int{}}
	for i := range events {
		s.event(&events[i])
	}
	return s.out
}

func (s *sequencer) add(e *Event, k StepKind, from, to Actor, rv bool, text string) {
	s.out = append(s.out, Step{At: e.At, Kind: k, From: from, To: to, Rendezvous: rv, Text: text})
}

func (s *sequencer) event(e *Event) {
	rv := strings.Contains(e.Name, "/rendezvous")
	get := strings.HasPrefix(e.Name, "GET ")
	switch e.Kind {
	case EvSend:
		s.pending[[2]string{e.Actor.String(), e.Name}]++
		switch {
		case rv && get:
		case rv && strings.HasPrefix(e.Name, "PUT ") && s.sealed[e.Actor] != "":
			s.add(e, StepMessage, e.Actor, e.Peer, rv, "PUT "+s.sealed[e.Actor])
			delete(s.sealed, e.Actor)
		default:
			s.add(e, StepMessage, e.Actor, e.Peer, rv, shortPath(e.Name))
		}
	case EvRecv:
		s.recv(e, rv, get)
	case EvDrop:
		if (e.Actor == ActorNew || e.Actor == ActorExisting || e.Actor == ActorBrowser) && strings.HasPrefix(e.Detail, "late") {
			s.add(e, StepLate, e.Peer, e.Actor, rv, "late answer discarded ("+shortPath(e.Name)+")")
			return
		}
		if k := [2]string{e.Actor.String(), e.Name}; s.pending[k] > 0 {
			s.pending[k]-- // a lost request is never served
		}
		s.add(e, StepLost, e.Actor, e.Peer, rv, "lost "+shortPath(e.Name))
	case EvChannel:
		if what, ok := strings.CutPrefix(e.Name, "sealed "); ok {
			s.sealed[e.Actor] = what
			return
		}
		what := strings.TrimPrefix(e.Name, "opened ")
		if s.readOK[e.Actor] {
			s.add(e, StepReply, ActorHomeserver, e.Actor, true, what)
			s.readOK[e.Actor] = false
		} else {
			s.add(e, StepNote, e.Actor, e.Actor, false, "opened "+what)
		}
	case EvUI, EvUser:
		k := StepMessage
		if e.Kind == EvUser && injected(e.Name) {
			k = StepInjected
		}
		if e.Peer == ActorNone {
			s.add(e, StepNote, e.Actor, e.Actor, false, e.Name)
		} else {
			s.add(e, k, e.Actor, e.Peer, false, e.Name)
		}
	case EvOutcome:
		s.add(e, StepNote, e.Actor, e.Actor, false, e.Name)
	case EvFault, EvViolation:
		s.add(e, StepNote, ActorNew, ActorBrowser, false, e.Kind.String()+" "+strings.TrimSpace(e.Name+" "+e.Detail))
	}
}

// recv is an answer: a server's (a duplicate when more were served than
// sent), or a client's (a timeout, a status worth showing, or a
// rendezvous read whose message the channel opens next).
func (s *sequencer) recv(e *Event, rv, get bool) {
	if e.Actor == ActorHomeserver || e.Actor == ActorOP {
		k := [2]string{e.Peer.String(), e.Name}
		if s.pending[k] > 0 {
			s.pending[k]--
		} else if !(rv && get) {
			s.add(e, StepDuplicate, e.Peer, e.Actor, rv, "duplicate "+shortPath(e.Name))
		}
		return // the answer arrow says the rest
	}
	switch {
	case e.Status == 0:
		what := "timeout"
		if e.Detail != "" && e.Detail != "timeout" {
			what = e.Detail // a transport error
		}
		s.add(e, StepTimeout, e.Peer, e.Actor, rv, what+" "+shortPath(e.Name))
	case rv && get:
		s.readOK[e.Actor] = e.Status == 200
	case rv && e.Status < 300:
	default:
		s.add(e, StepReply, e.Peer, e.Actor, rv, fmt.Sprint(e.Status))
	}
}

// mermaidArrows are the arrows of the step kinds.
var mermaidArrows = map[StepKind]string{StepMessage: "->>", StepReply: "-->>", StepLost: "-x", StepTimeout: "-x", StepLate: "--x",
	StepDuplicate: "-)", StepInjected: "->>"}

// WriteMermaid writes the kept events as a Mermaid sequenceDiagram (the
// steps of Sequence): the two devices, the homeserver (rendezvous and
// client-server API), the provider and the browser.
func WriteMermaid(w io.Writer, events []Event) error {
	_, err := io.WriteString(w, MermaidOf(Sequence(events)))
	return err
}

// MermaidOf writes steps as a Mermaid sequenceDiagram.
func MermaidOf(steps []Step) string {
	var b strings.Builder
	b.WriteString("sequenceDiagram\n")
	b.WriteString("    participant N as New device\n")
	b.WriteString("    participant HS as Homeserver\n")
	b.WriteString("    participant E as Existing device\n")
	b.WriteString("    participant OP as OAuth provider\n")
	b.WriteString("    participant Browser as Browser (on E)\n")
	b.WriteString("    actor User\n")
	for _, st := range steps {
		switch {
		case st.Kind == StepNote && st.From != st.To:
			fmt.Fprintf(&b, "    Note over %s,%s: %s\n", st.From, st.To, mermaidText(st.Text))
		case st.Kind == StepNote:
			fmt.Fprintf(&b, "    Note over %s: %s\n", st.From, mermaidText(st.Text))
		default:
			fmt.Fprintf(&b, "    %s%s%s: %s\n", st.From, mermaidArrows[st.Kind], st.To, mermaidText(st.Text))
		}
	}
	return b.String()
}
