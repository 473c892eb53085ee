package sim

import (
	"fmt"
	"testing"

	"qrlab/model/qr"
	"qrlab/model/variant"
)

// TestCameraHonestPresets: every case of the camera against every honest
// preset, both intents: no violation (each refusal clean, with its
// reason), no login signs in, and the adversary acts in every run.
func TestCameraHonestPresets(t *testing.T) {
	net, _ := Profile("wifi")
	for _, p := range variant.Names() {
		for _, in := range []qr.Intent{qr.Login, qr.Reciprocate} {
			r := mustRunner(t, Config{Variant: variant.MustLoad(p), Intent: in, Network: net, Adversaries: []string{"camera"}})
			for s := uint64(0); s < 2*numCameraCases; s++ {
				res := runClean(t, r, s, fmt.Sprintf("camera %s %v", p, in))
				if res.Success() || res.AdversaryActs == 0 {
					t.Errorf("camera %s %v seed %d (%s): signed in %v, acts %d", p, in, s, cameraCaseNames[s%numCameraCases], res.Success(), res.AdversaryActs)
				}
			}
		}
	}
}

// TestCameraMisreadsDoNotDecode: the truncated and unknown-intent scans of
// every preset's QR code do not decode as that design's code (so the
// scanner must end with invalid_qr).
func TestCameraMisreadsDoNotDecode(t *testing.T) {
	for _, p := range variant.Names() {
		v := variant.MustLoad(p)
		r := mustRunner(t, Config{Variant: v, Intent: qr.Reciprocate, Adversaries: []string{"camera"}})
		for _, kind := range []uint64{camTruncated, camUnknownIntent} {
			if _, err := r.Run(kind); err != nil {
				t.Fatal(err)
			}
			if res := r.r.res; res.Existing.Reason != "invalid_qr" && res.New.Reason != "invalid_qr" {
				t.Errorf("%s: %s: no device ended invalid_qr (N %q, E %q)", p, cameraCaseNames[kind], res.New.Reason, res.Existing.Reason)
			}
		}
	}
}
