package logintest

import (
	"strings"
	"testing"

	"qrlab/internal/seeded"
	"qrlab/model/login"
	"qrlab/model/qr"
)

// TestWorldDeterministic: the same options and seed give the same log, bit
// for bit, and another seed another one (the keys differ).
func TestWorldDeterministic(t *testing.T) {
	logOf := func(seed uint64) string {
		w, err := Run("msc4388", Options{NIntent: qr.Login, Seed: seed}, User{})
		if err != nil {
			t.Fatal(err)
		}
		if !w.N.Outcome().Success || !w.E.Outcome().Success {
			t.Fatalf("N %s, E %s\n%s", w.N.Outcome(), w.E.Outcome(), w.Log())
		}
		return w.Log()
	}
	a, b, c := logOf(3), logOf(3), logOf(4)
	if a != b {
		t.Fatal("two runs of one seed logged differently")
	}
	if a == c {
		t.Fatal("two seeds logged the same login")
	}
}

// TestEnvOwnReader: with Options.Rand every component draws from the one
// reader handed in (as a run against real servers hands in crypto/rand),
// on another base URL and token, and the login still succeeds.
func TestEnvOwnReader(t *testing.T) {
	w, err := Run("msc4108-2024", Options{Rand: seeded.Stream(99), BaseURL: "https://hs.lab.example", Token: "another-token"}, User{})
	if err != nil {
		t.Fatal(err)
	}
	if !w.N.Outcome().Success || !w.E.Outcome().Success {
		t.Fatalf("N %s, E %s\n%s", w.N.Outcome(), w.E.Outcome(), w.Log())
	}
	if !strings.Contains(w.Log(), "rendezvous POST") {
		t.Fatalf("no session created\n%s", w.Log())
	}
}

// reactions collects what p does about f.
func reactions(p *Person, toN bool, f login.Effect) []Reaction {
	var r []Reaction
	p.React(toN, f, func(x Reaction) { r = append(r, x) })
	return r
}

// TestPersonReact: the user types the code S showed on G only once both
// screens came, in either order, and the wrong code when scripted to; a
// browser that opens gets the ack, then the consent.
func TestPersonReact(t *testing.T) {
	p := NewPerson(User{}, true)
	show := login.Effect{Kind: login.EffectShowCheckCode, Text: "42"}
	ask := login.Effect{Kind: login.EffectAskCheckCode}
	if r := reactions(&p, false, show); len(r) != 0 {
		t.Fatalf("typed before G asked: %+v", r)
	}
	r := reactions(&p, true, ask)
	if len(r) != 1 || !r[0].ToN || r[0].In.Kind != login.InputCheckCode || r[0].In.Text != "42" || r[0].After != 3000 {
		t.Fatalf("typing: %+v", r)
	}
	wrong := NewPerson(User{TypeWrongCode: true}, false)
	reactions(&wrong, false, ask)
	if r := reactions(&wrong, true, show); len(r) != 1 || r[0].ToN || r[0].In.Text != "43" {
		t.Fatalf("wrong code: %+v", r)
	}
	r = reactions(&p, false, login.Effect{Kind: login.EffectOpenBrowser})
	if len(r) != 3 || r[0].In.Kind != login.InputBrowserOpened || r[1].In.Kind != login.InputConsent || !r[1].In.OK || !r[2].Consent {
		t.Fatalf("browser: %+v", r)
	}
}
