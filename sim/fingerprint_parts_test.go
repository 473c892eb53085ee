package sim

import (
	"hash/maphash"
	"math/rand/v2"
	"testing"
)

// TestFingerprintPartsAgree: over random paths of several presets, the
// encoding FingerprintParts returns (parts recorded inside structs, maps
// and pending events) tells states apart exactly as the fingerprint does,
// and every recorded part lies within it; a map's entries' fields are
// recorded under the map's path (the provider's grants by device code).
func TestFingerprintPartsAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(18, 3))
	seed := maphash.MakeSeed()
	sawGrantField := false
	for _, sc := range snapCases[:4] {
		r := sc.runner(t)
		byFP := map[Fingerprint]uint64{}
		byEnc := map[uint64]Fingerprint{}
		for walk := range 3 {
			if err := sc.start(r, uint64(1+walk)); err != nil {
				t.Fatal(err)
			}
			for d := 0; d < 300; d++ {
				fp, _ := r.fullFingerprint()
				enc, parts := r.FingerprintParts(6)
				for path, rs := range parts {
					for _, x := range rs {
						if x[0] < 0 || x[1] > len(enc) || x[0] >= x[1] {
							t.Fatalf("%v: part %s at %v lies outside the encoding (%d bytes)", sc, path, x, len(enc))
						}
					}
				}
				sawGrantField = sawGrantField || parts["run.op.grants.DeviceCode"] != nil
				h := maphash.Bytes(seed, enc)
				if g, ok := byFP[fp]; ok && g != h {
					t.Fatalf("%v depth %d: one fingerprint, two encodings of FingerprintParts", sc, d)
				}
				if f, ok := byEnc[h]; ok && f != fp {
					t.Fatalf("%v depth %d: one encoding of FingerprintParts, two fingerprints", sc, d)
				}
				byFP[fp], byEnc[h] = h, fp
				cs := r.Enabled(nil)
				if len(cs) == 0 {
					break
				}
				if err := r.Take(cs[rng.IntN(len(cs))]); err != nil {
					t.Fatal(err)
				}
			}
		}
		if len(byFP) < 50 {
			t.Errorf("%v: %d states met: the walk did not go far", sc, len(byFP))
		}
	}
	if !sawGrantField {
		t.Error("no state recorded the fields of the provider's grants (run.op.grants.DeviceCode): map entries' parts are not recorded")
	}
}
