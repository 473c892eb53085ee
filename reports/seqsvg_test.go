package reports

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"

	"qrlab/sim"
)

// seqSteps is one step of every kind, on every lane a login uses.
func seqSteps() []sim.Step {
	return []sim.Step{
		{At: 0, Kind: sim.StepMessage, From: sim.ActorNew, To: sim.ActorHomeserver, Rendezvous: true, Text: "POST /rendezvous"},
		{At: 90, Kind: sim.StepNote, From: sim.ActorNew, To: sim.ActorNew, Text: "shows the QR code"},
		{At: 1234, Kind: sim.StepLost, From: sim.ActorExisting, To: sim.ActorHomeserver, Rendezvous: true, Text: "lost PUT /rendezvous/{id}"},
		{At: 2000, Kind: sim.StepReply, From: sim.ActorHomeserver, To: sim.ActorExisting, Text: "404"},
		{At: 2100, Kind: sim.StepDuplicate, From: sim.ActorNew, To: sim.ActorOP, Text: "duplicate POST /oauth2/token"},
		{At: 2200, Kind: sim.StepTimeout, From: sim.ActorOP, To: sim.ActorNew, Text: "timeout POST /oauth2/token"},
		{At: 2300, Kind: sim.StepLate, From: sim.ActorOP, To: sim.ActorNew, Text: "late answer discarded (POST /oauth2/token)"},
		{At: 2400, Kind: sim.StepInjected, From: sim.ActorBrowser, To: sim.ActorExisting, Text: "cannot open the verification URI"},
		{At: 2500, Kind: sim.StepMessage, From: sim.ActorUser, To: sim.ActorBrowser, Text: strings.Repeat("a very long label <&> ", 30)},
		{At: 2600, Kind: sim.StepNote, From: sim.ActorNew, To: sim.ActorBrowser, Text: "fault heal"},
	}
}

// TestSequenceSVG checks the drawing: well-formed XML, the same bytes for
// the same steps, a lifeline per lane used (rendezvous apart from the
// homeserver), times in seconds, lost and discarded messages crossed, the
// injected event marked, a cut label carrying its whole text as a title,
// and the note on the steps left out.
func TestSequenceSVG(t *testing.T) {
	steps := seqSteps()
	a, b := SequenceSVG("A run", steps, 7), SequenceSVG("A run", steps, 7)
	if !bytes.Equal(a, b) {
		t.Fatal("two drawings of the same steps differ")
	}
	d := xml.NewDecoder(bytes.NewReader(a))
	for {
		_, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, a)
		}
	}
	s := string(a)
	for _, want := range []string{"<title>A run</title>", ">New device<", ">Rendezvous<", ">Homeserver<", ">Existing device<",
		">OAuth provider<", ">Browser (on E)<", ">User<", ">1.234<", ">lost PUT /rendezvous/{id}<", "injected: cannot open the verification URI",
		"<title>" + "a very long label &lt;&amp;&gt; a very", "…</text>", ">fault heal<", "7 more steps", "duplicated request"} {
		if !strings.Contains(s, want) {
			t.Errorf("drawing lacks %q", want)
		}
	}
	if n := strings.Count(s, `l8 8m0 -8l-8 8" stroke="#D55E00"`); n != 3+3 { // lost, timeout, late; and the key's three
		t.Errorf("%d crosses, want 6", n)
	}
	if strings.Contains(s, ">Attacker<") || strings.Contains(s, " id=") {
		t.Errorf("an unused lane, or an id that could clash inline:\n%s", s)
	}
}

// TestSequenceSVGNotesOnly draws diagrams with no arrow (nothing, a
// fault alone, only steps left out) without failing.
func TestSequenceSVGNotesOnly(t *testing.T) {
	for _, c := range []struct {
		steps []sim.Step
		more  int
	}{{nil, 0}, {nil, 3}, {[]sim.Step{{Kind: sim.StepNote, From: sim.ActorNew, To: sim.ActorBrowser, Text: "fault heal"}}, 0}} {
		if s := string(SequenceSVG("x", c.steps, c.more)); !strings.Contains(s, ">New device<") || !strings.HasSuffix(s, "</svg>\n") {
			t.Errorf("%+v: %s", c, s)
		}
	}
}
