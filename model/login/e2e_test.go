package login

import (
	"testing"

	"qrlab/model/qr"
	"qrlab/model/variant"
)

// TestEndToEnd signs a new device in for every preset and both QR
// directions, and checks it ends signed in and cross-signed by the
// homeserver's own signature predicate, and connected to Alice's key backup.
func TestEndToEnd(t *testing.T) {
	for _, name := range variant.Names() {
		for _, intent := range []qr.Intent{qr.Login, qr.Reciprocate} {
			t.Run(name+"/"+intent.String(), func(t *testing.T) {
				v := variant.MustLoad(name)
				w := newWorld(t, v, worldOpts{nIntent: intent, seed: 7, backup: true}, user{})
				w.run()
				no, eo := w.succeeded(t)
				if no.UserID != aliceID || no.DeviceID != eo.DeviceID {
					t.Fatalf("N signed in as %s/%s, E saw %s", no.UserID, no.DeviceID, eo.DeviceID)
				}
				if err := w.hs.VerifyDevice(aliceID, no.DeviceID); err != nil || !w.hs.CrossSigned(aliceID, no.DeviceID) {
					t.Fatalf("device %s not cross-signed: %v\n%s", no.DeviceID, err, w.log.String())
				}
				if b := w.n.Facts().Backup; b != BackupConnected {
					t.Fatalf("backup %s, want connected\n%s", b, w.log.String())
				}
				if w.earlySecrets {
					t.Fatal("secrets sealed before the check code was confirmed")
				}
				if testing.Verbose() {
					t.Logf("\n%s", w.log.String())
				}
			})
		}
	}
}
