package sim

import (
	"math/rand/v2"
	"testing"

	"qrlab/model/qr"
)

// checkParts fails unless r's fingerprint, with the part hashes it kept,
// equals the one worked out from nothing; the kept hashes stay as they
// were (those kept with the exchanges and answers are worked out afresh),
// so that the walk goes on checking what the steps touched.
func checkParts(t *testing.T, r *Runner, sc snapCase, seed uint64, depth int) {
	t.Helper()
	kept, _ := r.Fingerprint()
	cache := r.fpc
	full, _ := r.fullFingerprint()
	r.fpc = cache
	if kept != full {
		var stale []string
		r.fpc.valid = 0
		for i := range numKept {
			if h, _, _ := r.keptHash(i, 0); h != cache.h[i] {
				stale = append(stale, keptName(i))
			}
		}
		r.fpc = cache
		if len(stale) == 0 {
			stale = append(stale, "none of the kept hashes: the hashes kept with the exchanges or answers")
		}
		t.Fatalf("%v seed %d depth %d: the fingerprint with kept part hashes differs from the full one (stale: %v)", sc, seed, depth, stale)
	}
}

// TestPartHashesMatchFull: over random paths of several presets, intents,
// adversaries, fault budgets, careless users and resets, with snapshots
// restored along the way, the fingerprint that keeps the hashes of the
// parts a step did not touch equals the fingerprint worked out from
// nothing at every state: no step changes a part without touching it.
func TestPartHashesMatchFull(t *testing.T) {
	walkCheckingParts(t, rand.New(rand.NewPCG(11, 18)), snapCases, 4, 400, snapCase.start)
}

// TestPartHashesMatchFullAdversaries is TestPartHashesMatchFull for the
// adversaries whose steps change the monitors' checkers from outside the
// monitors' own taps (the camera's misreads, a rogue peer's expected
// payload), and the malicious ones that answer in a server's place.
func TestPartHashesMatchFullAdversaries(t *testing.T) {
	cases := []snapCase{
		{"msc4388", qr.Login, []string{"camera"}, 1, 0, 0, false},
		{"msc4388", qr.Reciprocate, []string{"camera"}, 0, 1, 0, false},
		{"msc4388", qr.Login, []string{"rogue-peer"}, 1, 0, 0, false},
		{"msc4388", qr.Reciprocate, []string{"rogue-out-of-place"}, 0, 1, 0, false},
		{"msc4108-2024", qr.Login, []string{"splicer"}, 1, 0, 0, false},
		{"msc4388", qr.Login, []string{"malicious-homeserver"}, 1, 0, 0, false},
	}
	walkCheckingParts(t, rand.New(rand.NewPCG(11, 19)), cases, 6, 400, snapCase.start)
}

// walkCheckingParts takes walks random paths of up to depth steps in each
// of cases, begun by start, restoring a random earlier snapshot where a
// path ends, and checks at every state that the fingerprint with kept part
// hashes equals the full one (checkParts).
func walkCheckingParts(t *testing.T, rng *rand.Rand, cases []snapCase, walks, depth int, start func(snapCase, *Runner, uint64) error) {
	t.Helper()
	for _, sc := range cases {
		r := sc.runner(t)
		for walk := range walks {
			seed := uint64(1 + walk%3)
			if err := start(sc, r, seed); err != nil {
				t.Fatal(err)
			}
			var snaps []*Snapshot
			for d := 0; d < depth; d++ {
				checkParts(t, r, sc, seed, d)
				if rng.IntN(6) == 0 {
					s, err := r.Snapshot()
					if err != nil {
						t.Fatal(err)
					}
					snaps = append(snaps, s)
				}
				cs := r.Enabled(nil)
				if len(cs) == 0 {
					if len(snaps) == 0 {
						break
					}
					// Back to an earlier state, and on from there.
					if err := r.Restore(snaps[rng.IntN(len(snaps))]); err != nil {
						t.Fatal(err)
					}
					checkParts(t, r, sc, seed, d)
					if cs = r.Enabled(nil); len(cs) == 0 {
						break
					}
				}
				if err := r.Take(cs[rng.IntN(len(cs))]); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

// TestFingerprintKey: the fingerprint's hash is keyed by an input, not
// drawn per process: two runners given the same key agree on every state
// of the same path, and another key gives other values.
func TestFingerprintKey(t *testing.T) {
	sc := snapCases[0]
	a, b, c := sc.runner(t), sc.runner(t), sc.runner(t)
	for i, r := range []*Runner{a, b, c} {
		key := uint64(42)
		if i == 2 {
			key = 43
		}
		if err := r.StartStepped(1, Stepping{Loss: 1, FingerprintKey: key}); err != nil {
			t.Fatal(err)
		}
	}
	for step := 0; ; step++ {
		fa, _ := a.Fingerprint()
		fb, _ := b.Fingerprint()
		fc, _ := c.Fingerprint()
		if fa != fb {
			t.Fatalf("step %d: the same key gave %x and %x", step, fa, fb)
		}
		if fa == fc {
			t.Fatalf("step %d: keys 42 and 43 gave the same fingerprint %x", step, fa)
		}
		cs := a.Enabled(nil)
		if len(cs) == 0 || step == 40 {
			break
		}
		for _, r := range []*Runner{a, b, c} {
			if err := r.Take(cs[len(cs)-1]); err != nil {
				t.Fatal(err)
			}
		}
	}
}
