package login_test

import (
	"strings"
	"testing"

	. "qrlab/model/login"
	"qrlab/model/qr"
	"qrlab/model/variant"
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
