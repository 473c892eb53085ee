package fuzz

import (
	"testing"

	"qrlab/scenarios"
	"qrlab/sim"
)

// TestRetryReseals is the regression test of a finding of
// FuzzSimVariantKnobs: with flow.write_conflict "retry", the writer of a PUT
// whose answer was lost retried, met the conflict its own first write had
// caused (412 with an ETag, 409 in the 2025 API), re-read the mailbox and
// wrote the same payload again behind the peer's back; the peer read one
// copy, the other was overwritten unread, and the existing device sent the
// secrets to a new device that could not open them (strict-alternation).
// The re-read now recognises the device's own payload as a landed write.
// The recorded seeds, and a few hundred more on each network, must pass.
func TestRetryReseals(t *testing.T) {
	for _, tc := range []struct {
		network string
		seed    uint64
	}{{"4g", 516}, {"lossy-3g", 2}, {"flaky", 44}} {
		file := `{"name": "retry-reseals", "variant": "msc4108-2024", "network": "` + tc.network + `",
 "set": {"variant.flow.write_conflict": "retry"}, "runs": 1, "seed": 1}`
		sc, err := scenarios.Parse([]byte(file), "retry-reseals.json")
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := sc.Config()
		if err != nil {
			t.Fatal(err)
		}
		r, err := sim.NewRunner(cfg)
		if err != nil {
			t.Fatal(err)
		}
		seeds := []uint64{tc.seed}
		for s := uint64(1000); s < 1200; s++ {
			seeds = append(seeds, s)
		}
		for _, seed := range seeds {
			res, err := r.Run(seed)
			if err != nil {
				t.Fatal(err)
			}
			if res.Violation != nil {
				t.Fatalf("%s seed %d: %v", tc.network, seed, res.Violation)
			}
		}
	}
}
