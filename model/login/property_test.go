package login_test

import (
	"testing"

	"pgregory.net/rapid"
	"qrlab/model/qr"
	"qrlab/model/variant"
)

// TestPropertyStaleAndDuplicatedReads runs the happy path while the
// rendezvous answers some reads with the previous payload (a stale replica)
// and delivers some answers twice. The machines must still both succeed,
// never seal secrets before the check code was confirmed on G, and never
// enter a state twice.
func TestPropertyStaleAndDuplicatedReads(t *testing.T) {
	names := []string{"msc4108-2024", "msc4388", "msc4108-2025", "element-web"}
	rapid.Check(t, func(rt *rapid.T) {
		name := rapid.SampledFrom(names).Draw(rt, "preset")
		intent := rapid.SampledFrom([]qr.Intent{qr.Login, qr.Reciprocate}).Draw(rt, "intent")
		seed := rapid.Uint64Range(0, 1<<16).Draw(rt, "seed")
		w := newWorld(rt, variant.MustLoad(name), worldOpts{NIntent: intent, Seed: seed}, user{})
		w.Chaos = func() (stale, dup bool) {
			return rapid.Float64Range(0, 1).Draw(rt, "stale") < 0.3, rapid.Float64Range(0, 1).Draw(rt, "dup") < 0.2
		}
		w.Run()
		if !w.N.Outcome().Success || !w.E.Outcome().Success {
			rt.Fatalf("N %s, E %s\n%s", w.N.Outcome(), w.E.Outcome(), w.Log())
		}
		if w.EarlySecrets() {
			rt.Fatal("secrets sealed before the check code was confirmed")
		}
		if w.Revisited() != "" {
			rt.Fatalf("state entered twice: %s\n%s", w.Revisited(), w.Log())
		}
	})
}

// TestPropertyBadInput runs the fuzz driver on drawn byte strings, so that
// every plain test run also checks that bad input (malformed payloads, wrong
// message types, wrong statuses, stale IDs, random user actions) never
// panics, never lets secrets out early and always ends.
func TestPropertyBadInput(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		data := rapid.SliceOfN(rapid.Byte(), 3, 200).Draw(rt, "data")
		fuzzDriver(rt, data, rapid.Bool().Draw(rt, "new device"))
	})
}
