package sim

import (
	"fmt"
	"testing"

	"qrlab/model/qr"
	"qrlab/model/variant"
)

// TestMaliciousHomeserverHonestPresets: every lie against every honest
// preset, both intents: no invariant breaks (the devices refuse, or the
// lie changes nothing they rely on), and no login signs in on whoami's
// other device or account.
func TestMaliciousHomeserverHonestPresets(t *testing.T) {
	net, _ := Profile("wifi")
	for _, p := range variant.Names() {
		for _, in := range []qr.Intent{qr.Login, qr.Reciprocate} {
			r := mustRunner(t, Config{Variant: variant.MustLoad(p), Intent: in, Network: net, Adversaries: []string{"malicious-homeserver"}})
			for s := uint64(0); s < 2*numHSLies; s++ {
				res := runClean(t, r, s, fmt.Sprintf("malicious-homeserver %s %v", p, in))
				if lie := s % numHSLies; (lie == hsLieWhoamiDevice || lie == hsLieWhoamiUser) && res.New.Success && variant.MustLoad(p).Flow.Whoami {
					t.Errorf("%s %v seed %d: signed in although %s", p, in, s, hsLieNames[lie])
				}
			}
		}
	}
}

// TestMaliciousHomeserverCatchesNoWhoamiCheck: a new device that does not
// compare whoami's answer (the no-whoami-check mutant) signs in on the
// lie, and success-only-after-whoami says so from the wire.
func TestMaliciousHomeserverCatchesNoWhoamiCheck(t *testing.T) {
	v, err := variant.LoadMutant("no-whoami-check")
	if err != nil {
		t.Fatal(err)
	}
	net, _ := Profile("wifi")
	r := mustRunner(t, Config{Variant: v, Intent: qr.Login, Network: net, Adversaries: []string{"malicious-homeserver"}})
	res, err := r.Run(hsLieWhoamiDevice)
	if err != nil {
		t.Fatal(err)
	}
	if res.Violation == nil || res.Violation.Invariant != InvSuccessAfterWhoami {
		t.Fatalf("no-whoami-check under %q: violation %+v, want %s", hsLieNames[hsLieWhoamiDevice], res.Violation, InvSuccessAfterWhoami)
	}
}

// TestRemotePhishingMaliciousHomeserver: the homeserver approves the
// attacker's grant itself; an attentive victim, who does not read the
// check code out, gives the attacker nothing; a victim who does gives it
// the secrets, each such run named human-factor, none a violation.
func TestRemotePhishingMaliciousHomeserver(t *testing.T) {
	net, _ := Profile("wifi")
	for _, blind := range []bool{false, true} {
		u := DefaultUser()
		if blind {
			u.BlindConfirmRate = 1
		}
		r := mustRunner(t, Config{Variant: variant.MustLoad("msc4388-726e115"), Intent: qr.Login, Network: net, User: u,
			Adversaries: []string{"remote-phishing-malicious-homeserver"}})
		won := 0
		for s := uint64(1); s <= 12; s++ {
			res := runClean(t, r, s, "remote-phishing-malicious-homeserver")
			if res.AttackerWon != "" {
				won++
				if res.Exposure != "human-factor" {
					t.Errorf("blind %v seed %d: attacker won %s with exposure %q", blind, s, res.AttackerWon, res.Exposure)
				}
			}
		}
		if blind != (won > 0) {
			t.Errorf("blind %v: the attacker won %d of 12", blind, won)
		}
	}
}
