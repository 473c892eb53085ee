package login_test

import (
	"testing"

	. "qrlab/model/login"
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
				w := newWorld(t, v, worldOpts{NIntent: intent, Seed: 7, Backup: true}, user{})
				w.Run()
				no, eo := succeeded(t, w)
				if no.UserID != aliceID || no.DeviceID != eo.DeviceID {
					t.Fatalf("N signed in as %s/%s, E saw %s", no.UserID, no.DeviceID, eo.DeviceID)
				}
				if err := w.HS.VerifyDevice(aliceID, no.DeviceID); err != nil || !w.HS.CrossSigned(aliceID, no.DeviceID) {
					t.Fatalf("device %s not cross-signed: %v\n%s", no.DeviceID, err, w.Log())
				}
				if b := w.N.Facts().Backup; b != BackupConnected {
					t.Fatalf("backup %s, want connected\n%s", b, w.Log())
				}
				if w.EarlySecrets() {
					t.Fatal("secrets sealed before the check code was confirmed")
				}
				if testing.Verbose() {
					t.Logf("\n%s", w.Log())
				}
			})
		}
	}
}
