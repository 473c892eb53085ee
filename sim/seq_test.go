package sim

import (
	"strings"
	"testing"
)

// TestSequence checks the steps drawn from a hand-made trace: a sealed
// message labels its rendezvous write, a poll that brought nothing is left
// out, a lost request is crossed (and never counted as served), a request
// served twice is a duplicate, a late answer, a transport error, injected
// events, a note without a peer and a fault across the diagram.
func TestSequence(t *testing.T) {
	rv := "PUT /_matrix/client/v1/rendezvous/abc"
	poll := "GET /_matrix/client/v1/rendezvous/abc"
	tok := "POST /oauth2/token"
	events := []Event{
		{At: 1, Kind: EvChannel, Actor: ActorExisting, Name: "sealed m.login.protocols"},
		{At: 2, Kind: EvSend, Actor: ActorExisting, Peer: ActorHomeserver, Name: rv},
		{At: 3, Kind: EvRecv, Actor: ActorHomeserver, Peer: ActorExisting, Name: rv, Status: 202},
		{At: 4, Kind: EvSend, Actor: ActorNew, Peer: ActorHomeserver, Name: poll},
		{At: 5, Kind: EvRecv, Actor: ActorHomeserver, Peer: ActorNew, Name: poll, Status: 304},
		{At: 6, Kind: EvSend, Actor: ActorNew, Peer: ActorOP, Name: tok},
		{At: 7, Kind: EvDrop, Actor: ActorNew, Peer: ActorOP, Name: tok, Detail: "lost on N-OP"},
		{At: 8, Kind: EvSend, Actor: ActorNew, Peer: ActorOP, Name: tok},
		{At: 9, Kind: EvRecv, Actor: ActorOP, Peer: ActorNew, Name: tok, Status: 400},
		{At: 10, Kind: EvRecv, Actor: ActorOP, Peer: ActorNew, Name: tok, Status: 400},
		{At: 11, Kind: EvRecv, Actor: ActorNew, Peer: ActorOP, Name: tok, Status: 400},
		{At: 12, Kind: EvDrop, Actor: ActorNew, Peer: ActorOP, Name: tok, Status: 400, Detail: "late or duplicate answer discarded"},
		{At: 13, Kind: EvRecv, Actor: ActorExisting, Peer: ActorHomeserver, Name: rv, Detail: "connection reset"},
		{At: 14, Kind: EvUser, Actor: ActorBrowser, Peer: ActorExisting, Name: "cannot open the verification URI"},
		{At: 15, Kind: EvUser, Actor: ActorBrowser, Name: "lands on https://evil.example/, not the provider"},
		{At: 16, Kind: EvFault, Actor: ActorNetwork, Name: "heal"},
	}
	got := Sequence(events)
	want := []struct {
		kind     StepKind
		from, to Actor
		rv       bool
		text     string
	}{
		{StepMessage, ActorExisting, ActorHomeserver, true, "PUT m.login.protocols"},
		{StepMessage, ActorNew, ActorOP, false, "POST /oauth2/token"},
		{StepLost, ActorNew, ActorOP, false, "lost POST /oauth2/token"},
		{StepMessage, ActorNew, ActorOP, false, "POST /oauth2/token"},
		{StepDuplicate, ActorNew, ActorOP, false, "duplicate POST /oauth2/token"},
		{StepReply, ActorOP, ActorNew, false, "400"},
		{StepLate, ActorOP, ActorNew, false, "late answer discarded (POST /oauth2/token)"},
		{StepTimeout, ActorHomeserver, ActorExisting, true, "connection reset PUT /rendezvous/{id}"},
		{StepInjected, ActorBrowser, ActorExisting, false, "cannot open the verification URI"},
		{StepNote, ActorBrowser, ActorBrowser, false, "lands on https://evil.example/, not the provider"},
		{StepNote, ActorNew, ActorBrowser, false, "fault heal"},
	}
	if len(got) != len(want) {
		t.Fatalf("%d steps, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.Kind != w.kind || g.From != w.from || g.To != w.to || g.Rendezvous != w.rv || g.Text != w.text {
			t.Errorf("step %d: %+v, want %+v", i, g, w)
		}
	}
	m := MermaidOf(got)
	for _, s := range []string{"E->>HS: PUT m.login.protocols", "N-xOP: lost POST", "N-)OP: duplicate POST", "OP--xN: late answer",
		"Browser->>E: cannot open", "Note over Browser: lands on", "Note over N,Browser: fault heal"} {
		if !strings.Contains(m, s) {
			t.Errorf("Mermaid lacks %q:\n%s", s, m)
		}
	}
}
