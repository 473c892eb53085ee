package login_test

import (
	"strings"
	"testing"

	"qrlab/model/qr"
	"qrlab/model/variant"
)

// TestKnobsHappyPath signs in with knob values no preset uses, in both
// directions, and checks the new device ends signed in and cross-signed.
func TestKnobsHappyPath(t *testing.T) {
	cases := []struct {
		name   string
		preset string
		edit   func(*variant.Variant)
		check  func(log string) string // "" when the transcript is as expected
	}{
		{"ack before the browser", "msc4388", func(v *variant.Variant) { v.Flow.Ack = variant.AckBeforeBrowser }, func(log string) string {
			if strings.Index(log, "sealed m.login.protocol_accepted") > strings.Index(log, "E opens") {
				return "the browser opened before protocol_accepted was sealed"
			}
			return ""
		}},
		{"protocols do not wait for the code", "msc4388", func(v *variant.Variant) { v.Flow.ProtocolsWaitForCheckCode = false }, nil},
		{"no whoami before success (devices made at issue)", "msc4388", func(v *variant.Variant) {
			v.Flow.Whoami, v.Flow.ConfirmAccount = false, false
		}, nil},
		{"poll backoff", "msc4388", func(v *variant.Variant) {
			v.Timing.PollBackoffFactor, v.Timing.PollBackoffMaxMillis = 2, 4000
		}, nil},
		{"strict decoding", "msc4388", func(v *variant.Variant) { v.Messages.StrictDecode = true }, nil},
		{"retry accept", "msc4388-vodozemac", func(v *variant.Variant) { v.Channel.RetryAccept = true }, nil},
		{"AAD u8 layout", "msc4388", func(v *variant.Variant) { v.Channel.AADLayout = variant.LayoutBaseURL8 }, nil},
		{"00-99 codes with hpke-spec", "msc4388", func(v *variant.Variant) { v.Channel.Digits = "00-99" }, nil},
		{"ECIES nonce from 1", "msc4108-2024-spec", func(v *variant.Variant) { v.Channel.GeneratorNonceStart = 1 }, nil},
		{"retry on conflict (no conflict)", "msc4108-2025", func(v *variant.Variant) { v.Flow.WriteConflict = variant.ConflictRetry }, nil},
	}
	for _, tc := range cases {
		for _, intent := range []qr.Intent{qr.Login, qr.Reciprocate} {
			t.Run(tc.name+"/"+intent.String(), func(t *testing.T) {
				v := variant.MustLoad(tc.preset)
				tc.edit(&v)
				if err := v.Validate(); err != nil {
					t.Fatal(err)
				}
				w := newWorld(t, v, worldOpts{NIntent: intent, Seed: 21}, user{})
				w.Run()
				no := w.N.Outcome()
				if !no.Success || !w.E.Outcome().Success || !w.HS.CrossSigned(aliceID, no.DeviceID) {
					t.Fatalf("N %s, E %s\n%s", no, w.E.Outcome(), w.Log())
				}
				if tc.check != nil {
					if msg := tc.check(w.Log()); msg != "" {
						t.Fatalf("%s\n%s", msg, w.Log())
					}
				}
			})
		}
	}
}
