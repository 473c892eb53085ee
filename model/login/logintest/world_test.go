package logintest

import (
	"strings"
	"testing"

	"qrlab/internal/seeded"
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
