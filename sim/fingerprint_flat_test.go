package sim

import (
	"math/rand/v2"
	"testing"
)

// encodedStepwise is r's fingerprint worked out from nothing with plans
// whose steps go each through enc (stepwiseOps), and the bytes encoded; the
// runner's own plans are put back after.
func encodedStepwise(r *Runner) (Fingerprint, int) {
	saved := r.ps
	r.ps = plans{exact: saved.exact, abs: saved.abs, above: saved.above}
	r.restOps = nil
	stepwiseOps = true
	defer func() {
		stepwiseOps = false
		r.ps = saved
		r.restOps = nil
		r.fpc.valid = 0
	}()
	return r.fullFingerprint()
}

// TestFlatOpsSameEncoding: over random paths of several presets, in exact
// time and under the time abstraction, the fingerprint and the bytes it
// encodes are the same whether the encoder follows its flat steps (nested
// structs spliced in, strings, pointers and byte slices by kind: flatOps)
// or goes through enc field by field as the plans' steps say: the flat
// steps leave nothing out, add nothing, and keep the order.
func TestFlatOpsSameEncoding(t *testing.T) {
	rng := rand.New(rand.NewPCG(18, 7))
	for _, abstract := range []bool{false, true} {
		for _, sc := range snapCases[:4] {
			r := sc.runner(t)
			for walk := range 2 {
				start := sc.start
				if abstract {
					start = sc.startAbstract
				}
				if err := start(r, uint64(1+walk)); err != nil {
					t.Fatal(err)
				}
				for d := 0; d < 150; d++ {
					flat, n := r.fullFingerprint()
					step, m := encodedStepwise(r)
					if flat != step || n != m {
						t.Fatalf("%v abstract %v seed %d depth %d: flat steps give %x (%d bytes), field by field %x (%d bytes)",
							sc, abstract, walk+1, d, flat, n, step, m)
					}
					cs := r.Enabled(nil)
					if len(cs) == 0 {
						break
					}
					if err := r.Take(cs[rng.IntN(len(cs))]); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
	}
}
