package oauth

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzTokenEndpoint sends fuzzed form bodies to the token endpoint of a
// provider holding one approved and one pending grant. In a body, "@DC@" is
// replaced by the approved grant's device code, "@DC2@" by the pending
// one's and "@CID@" by the registered client ID, so that seeds reach past
// the lookups. Whatever the body: no panic, a JSON answer with a status the
// endpoint may give, never a server error, and a device code never
// exchanged twice (the body is sent twice).
func FuzzTokenEndpoint(f *testing.F) {
	f.Add([]byte("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code=@DC@&client_id=@CID@"), false)
	f.Add([]byte("grant_type=urn:ietf:params:oauth:grant-type:device_code&device_code=@DC2@&client_id=@CID@"), true)
	f.Add([]byte("grant_type=refresh_token&refresh_token=x&client_id=@CID@"), false)
	f.Fuzz(func(t *testing.T, body []byte, mas bool) {
		cfg := PresetRFC8628()
		if mas {
			cfg = PresetMAS()
		}
		// A static client and an approval set directly keep an execution
		// cheap; the transcripts cover registration and the pages.
		cfg.DynamicRegistration = false
		cfg.StaticClients = []string{"static-client"}
		h := newHarness(t, cfg, 1)
		_, approved := h.authorize(0, testScope("FUZZ1"))
		_, pending := h.authorize(0, testScope("FUZZ2"))
		g := h.srv.grants[approved.DeviceCode]
		g.State, g.UserID, g.DecidedAt = GrantApproved, alice.UserID, 1
		delete(h.srv.byUser, g.userKey)
		body = bytes.ReplaceAll(body, []byte("@DC@"), []byte(approved.DeviceCode))
		body = bytes.ReplaceAll(body, []byte("@DC2@"), []byte(pending.DeviceCode))
		body = bytes.ReplaceAll(body, []byte("@CID@"), []byte(h.clientID))

		var first Response
		for i := range 2 {
			r := h.do(Millis(2+i), "POST", PathToken, ContentTypeForm, body)
			switch r.Status {
			case 200, 400, 401, 403:
			default:
				t.Fatalf("status %d: %s", r.Status, r.Body)
			}
			if r.Header.Get("Content-Type") != ContentTypeJSON || r.Header.Get("Cache-Control") != "no-store" {
				t.Fatalf("headers %v", r.Header)
			}
			var out map[string]any
			if err := json.Unmarshal(r.Body, &out); err != nil {
				t.Fatalf("body %q: %v", r.Body, err)
			}
			if r.Status == 200 {
				if _, ok := out["access_token"].(string); !ok || out["token_type"] != "Bearer" {
					t.Fatalf("token response %s", r.Body)
				}
			} else if _, ok := out["error"].(string); !ok {
				t.Fatalf("error response %s", r.Body)
			}
			if i == 0 {
				first = r
			} else if first.Status == 200 && r.Status == 200 {
				t.Fatalf("the same body was exchanged twice: %s / %s", first.Body, r.Body)
			}
		}
		// Only the approved grant can ever be consumed.
		if g, _ := h.srv.Grant(pending.DeviceCode); g.State == GrantConsumed {
			t.Fatalf("a pending grant was consumed")
		}
	})
}
