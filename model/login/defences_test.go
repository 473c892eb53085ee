package login_test

import (
	"fmt"
	"strings"
	"testing"

	"qrlab/internal/seeded"
	"qrlab/model/homeserver"
	. "qrlab/model/login"
	"qrlab/model/login/logintest"
	"qrlab/model/qr"
	"qrlab/model/variant"
	"qrlab/model/wire"
)

// TestOpenVerificationURI runs a login whose new device sends the
// verification URI of the case, under each open_verification_uri rule, and
// checks the existing device opens it exactly when the rule allows, and
// otherwise ends with unable_to_open_verification_uri before opening
// anything. With the knob ignored, every URI would be opened.
func TestOpenVerificationURI(t *testing.T) {
	cases := []struct {
		rule, uri string
		open      bool
	}{
		{variant.OpenAnyURI, "intent://link#Intent;scheme=evil;end", true},
		{variant.OpenAnyURI, "http://phish.example/link", true},
		{variant.OpenHTTPS, "intent://link#Intent;scheme=evil;end", false},
		{variant.OpenHTTPS, "http://phish.example/link", false},
		{variant.OpenHTTPS, "https://phish.example/link", true},
		{variant.OpenHTTPS, "", true}, // the provider's own URI
		{variant.OpenHTTPSSameHost, "https://phish.example/link", false},
		{variant.OpenHTTPSSameHost, "https://user@phish.example/link", false},
		{variant.OpenHTTPSSameHost, "", true},
	}
	for _, tc := range cases {
		t.Run(tc.rule+"/"+tc.uri, func(t *testing.T) {
			o := worldOpts{NIntent: qr.Reciprocate, Seed: 5,
				VEdit: func(v *variant.Variant) { v.Flow.OpenVerificationURI = tc.rule }}
			if tc.uri != "" {
				o.NEdit = func(c *NewDeviceConfig) { c.ForceVerificationURI = tc.uri }
			}
			w := newWorld(t, variant.MustLoad("msc4388-726e115"), o, user{})
			w.Run()
			log := w.Log()
			opened := strings.Contains(log, "E opens ")
			if opened != tc.open {
				t.Fatalf("opened %v, want %v\n%s", opened, tc.open, log)
			}
			e := w.E.Outcome()
			if !tc.open && (e.Success || e.Reason != ReasonUnableToOpenVerification) {
				t.Fatalf("E %s, want unable_to_open_verification_uri\n%s", e, log)
			}
			if tc.open && tc.uri == "" {
				succeeded(t, w)
			}
		})
	}
}

// TestProofOfPossession runs logins with flow.proof_of_possession in both
// directions: an honest new device signs in (its device keys published
// before the proof, cross-signed after the secrets), and a new device that
// signs with a key the homeserver does not list for its device ID gets no
// secrets: the existing device ends with proof_of_possession_failed and
// sends device_not_found. With the knob off the same peer gets the
// secrets (the device check alone cannot tell), so a model that ignored
// the knob fails the second half.
func TestProofOfPossession(t *testing.T) {
	for _, intent := range []qr.Intent{qr.Login, qr.Reciprocate} {
		for _, preset := range []string{"msc4388-726e115", "msc4108-87f8317"} {
			pop := func(v *variant.Variant) {
				v.Flow.ProofOfPossession = variant.ProofEd25519Channel
				v.Flow.Whoami = true
			}
			t.Run(preset+"/"+intent.String()+"/honest", func(t *testing.T) {
				w := runPreset(t, preset, intent, worldOpts{Seed: 9, VEdit: pop}, user{})
				n, _ := succeeded(t, w)
				if !w.HS.CrossSigned(aliceID, n.DeviceID) || !strings.Contains(w.Log(), "proof_of_possession") {
					t.Fatalf("not cross-signed, or no proof sent\n%s", w.Log())
				}
			})
			for _, on := range []bool{false, true} {
				t.Run(preset+"/"+intent.String()+"/wrong-key/"+map[bool]string{false: "off", true: "on"}[on], func(t *testing.T) {
					o := worldOpts{Seed: 9, NIntent: intent}
					if on {
						o.VEdit = pop
					}
					w := newWorld(t, variant.MustLoad(preset), o, user{})
					SignProofWith(w.N, 7)
					w.Run()
					e := w.E.Outcome()
					if !on {
						if !e.Success || w.E.Facts().SecretsSealed != true {
							t.Fatalf("knob off: E %s, want the secrets sent\n%s", e, w.Log())
						}
						return
					}
					if e.Success || e.Reason != ReasonProofOfPossession || w.E.Facts().SecretsSealed {
						t.Fatalf("E %s, want proof_of_possession_failed and no secrets\n%s", e, w.Log())
					}
				})
			}
		}
	}
}

// TestProofOfPossessionDeviceIDConfusion plays MSC4108 5706fd4's device ID
// confusion: the attacker's new device claims device ID D, which the
// existing device finds free (404); while the attacker waits for a token it
// never gets, the victim's genuine device D signs in elsewhere and
// publishes its keys, and the attacker sends m.login.success (or, with the
// proof on, a proof signed with its own key). With the proof off, the
// existing device sees D online and hands the secrets to the attacker; with
// it on, the key the homeserver lists for D does not verify the proof and
// no secrets go out.
func TestProofOfPossessionDeviceIDConfusion(t *testing.T) {
	const d, genuineToken = "GENUINEDEV", "token-of-the-genuine-device"
	for _, on := range []bool{false, true} {
		t.Run(map[bool]string{false: "proof off", true: "proof on"}[on], func(t *testing.T) {
			var w *world
			o := worldOpts{NIntent: qr.Reciprocate, Seed: 3, NEdit: func(c *NewDeviceConfig) { c.ForceDeviceID = d }}
			if on {
				o.VEdit = func(v *variant.Variant) { v.Flow.ProofOfPossession = variant.ProofEd25519Channel }
			}
			g := forge(true, StatePollingToken, `{"type":"m.login.success"}`)
			put := g.Put
			g.Put = func(m logintest.Machine, now Millis, pt string) ([]Effect, error) {
				// The genuine device D comes online and publishes its keys.
				w.HS.AddDevice(now, aliceID, d, genuineToken)
				dk, err := homeserver.NewDeviceKeys(aliceID, d, seeded.Stream(77))
				if err != nil {
					return nil, err
				}
				r, _ := w.HS.Handle(now, &homeserver.Request{Method: "POST", Path: homeserver.PathKeysUpload,
					Header: wire.NewHeader("Authorization", "Bearer "+genuineToken, "Content-Type", wire.ContentTypeJSON),
					Body:   homeserver.KeysUploadBody(dk.Signed(nil))})
				if r.Status != 200 {
					return nil, fmt.Errorf("genuine upload: %d %s", r.Status, r.Body)
				}
				if on {
					attacker, err := homeserver.NewSigningKey(seeded.Stream(78))
					if err != nil {
						return nil, err
					}
					pt = ProofPlaintext(w.N, d, attacker)
				}
				return put(m, now, pt)
			}
			w = newWorld(t, variant.MustLoad("msc4388-726e115"), o, user{Forge: g})
			w.Run()
			e := w.E.Outcome()
			if !strings.Contains(w.Log(), "N forges") {
				t.Fatalf("the forgery never happened\n%s", w.Log())
			}
			if !on && (!e.Success || !w.E.Facts().SecretsSealed) {
				t.Fatalf("proof off: E %s, want the secrets handed to the attacker\n%s", e, w.Log())
			}
			if on && (e.Success || e.Reason != ReasonProofOfPossession || w.E.Facts().SecretsSealed) {
				t.Fatalf("proof on: E %s, want proof_of_possession_failed and no secrets\n%s", e, w.Log())
			}
		})
	}
}
