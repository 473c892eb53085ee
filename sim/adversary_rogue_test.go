package sim

import (
	"fmt"
	"testing"

	"qrlab/model/qr"
	"qrlab/model/variant"
)

// TestRoguePeerModes: every rogue mode against every honest preset, both
// intents, every case (one per seed): no invariant breaks, no login
// succeeds, and the existing device opens the injected payload in some run
// (so unexpected-message-ends had something to judge).
func TestRoguePeerModes(t *testing.T) {
	net, _ := Profile("wifi")
	for _, mode := range []string{"repeat", "malformed", "out-of-place"} {
		cases, err := rogueCases(mode)
		if err != nil {
			t.Fatal(err)
		}
		judged := 0
		for _, p := range variant.Names() {
			for _, in := range []qr.Intent{qr.Login, qr.Reciprocate} {
				r := mustRunner(t, Config{Variant: variant.MustLoad(p), Intent: in, Network: net, Adversaries: []string{"rogue-" + mode}})
				for s := uint64(0); s < uint64(2*len(cases)); s++ {
					res := runClean(t, r, s, fmt.Sprintf("rogue-%s %s %v", mode, p, in))
					if res.Success() {
						t.Fatalf("rogue-%s %s %v seed %d: signed in despite the rogue payload", mode, p, in, s)
					}
					if r.r.mon.rogue.openedAt >= 0 || r.r.mon.order.outOf != "" {
						judged++
					}
				}
			}
		}
		if judged == 0 {
			t.Errorf("rogue-%s: the existing device never opened the rogue payload", mode)
		}
	}
}

// TestRoguePeerCatchesLenientReader: a reader that skips unexpected
// messages (the accept-unexpected-messages mutant) is caught by each mode.
func TestRoguePeerCatchesLenientReader(t *testing.T) {
	v, err := variant.LoadMutant("accept-unexpected-messages")
	if err != nil {
		t.Fatal(err)
	}
	net, _ := Profile("wifi")
	for _, mode := range []string{"repeat", "malformed", "out-of-place"} {
		caught := false
		for _, in := range []qr.Intent{qr.Login, qr.Reciprocate} {
			r := mustRunner(t, Config{Variant: v, Intent: in, Network: net, Adversaries: []string{"rogue-" + mode}})
			for s := uint64(0); s < 8 && !caught; s++ {
				res, err := r.Run(s)
				if err != nil {
					t.Fatal(err)
				}
				caught = res.Violation != nil && res.Violation.Invariant == InvUnexpectedEnds
			}
		}
		if !caught {
			t.Errorf("rogue-%s: the lenient reader went uncaught", mode)
		}
	}
}
