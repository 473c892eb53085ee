package login_test

import (
	"strings"
	"testing"

	"qrlab/model/homeserver"
	. "qrlab/model/login"
	"qrlab/model/oauth"
	"qrlab/model/qr"
	"qrlab/model/variant"
)

// TestFailurePaths reaches every failure reason of the texts (six in 2024,
// seven in 2026) and the local ones, with real servers and a scripted user,
// and checks what each device ends with.
func TestFailurePaths(t *testing.T) {
	mismatched := variant.MustLoad("msc4388")
	mismatched.Messages.Generation = variant.Generation2024
	mismatched.Messages.HomeserverField = variant.HomeserverURL
	mismatched.Flow.UnableToOpenReason = false
	cases := []endCase{
		{"consent denied: m.login.declined (Rust)", "msc4388", qr.Reciprocate, worldOpts{}, user{DenyConsent: true},
			"failure declined (sent)", "failure declined (peer)"},
		{"consent denied: user_cancelled (js-sdk)", "element-web", qr.Reciprocate, worldOpts{}, user{DenyConsent: true},
			"failure user_cancelled (sent)", "failure user_cancelled (peer)"},
		{"consent denied after the ack (after-confirm)", "element-x", qr.Reciprocate, worldOpts{}, user{DenyConsent: true},
			"failure declined (sent)", "failure declined (peer)"},
		{"browser step cancelled on E before the ack (after-confirm)", "element-x", qr.Reciprocate, worldOpts{}, user{CancelBrowserStep: true},
			"failure user_cancelled (peer)", "failure user_cancelled (sent)"},
		{"authorization_expired", "msc4388", qr.Login, worldOpts{OPEdit: func(c *oauth.Config) { c.ExpiresIn = 20 * oauth.Second }},
			user{NeverConsent: true}, "failure authorization_expired (sent)", "failure authorization_expired (peer)"},
		{"device_already_exists", "msc4388", qr.Reciprocate, worldOpts{PreAddDevice: true}, user{},
			"failure device_already_exists (peer)", "failure device_already_exists (sent)"},
		{"device_not_found", "msc4108-2024", qr.Login,
			worldOpts{HSEdit: func(c *homeserver.Config) { c.DeviceOnIssue, c.DeviceOnFirstUse = false, false }}, user{},
			"failure device_not_found (peer)", "failure device_not_found (sent)"},
		// Synapse 2024 creates a device on its token's first use: a new device
		// that calls whoami only after m.login.secrets never shows up in time.
		{"device_not_found: whoami after secrets on a first-use homeserver", "msc4108-2024", qr.Reciprocate,
			worldOpts{VEdit: func(v *variant.Variant) { v.Flow.Whoami = false }}, user{},
			"failure device_not_found (peer)", "failure device_not_found (sent)"},
		{"unexpected_message_received (generation mismatch)", "msc4388", qr.Login, worldOpts{NVariant: &mismatched}, user{},
			"failure unexpected_message_received (sent)", "failure unexpected_message_received (peer)"},
		{"unsupported_protocol", "msc4388", qr.Login,
			worldOpts{EEdit: func(c *ExistingDeviceConfig) { c.Protocols = []string{"m.qr.other"} }}, user{},
			"failure unsupported_protocol (sent)", "failure unsupported_protocol (peer)"},
		{"user_cancelled on N in its turn", "msc4388", qr.Login, worldOpts{}, user{CancelNAt: 6000},
			"failure user_cancelled (sent)", "failure user_cancelled (peer)"},
		{"user_cancelled on E in its turn", "element-x", qr.Reciprocate, worldOpts{}, user{ConfirmDelay: 60000, CancelEAt: 30000},
			"failure user_cancelled (peer)", "failure user_cancelled (sent)"},
		// A cancel out of turn overwrites the mailbox while the other side
		// holds the turn: its next PUT is refused and, with the abort knob,
		// it ends on the conflict without ever reading the cancel.
		{"user_cancelled on E out of turn: the peer hits a write conflict", "msc4388", qr.Login, worldOpts{}, user{CancelEAt: 6000},
			"failure write_conflict", "failure user_cancelled (sent)"},
		{"unable_to_open_verification_uri (2026)", "msc4388", qr.Reciprocate, worldOpts{}, user{BrowserFails: true},
			"failure unable_to_open_verification_uri (peer)", "failure unable_to_open_verification_uri (sent)"},
		{"browser fails in 2024: user_cancelled", "msc4108-2024-spec", qr.Reciprocate, worldOpts{}, user{BrowserFails: true},
			"failure user_cancelled (peer)", "failure user_cancelled (sent)"},
		{"account rejected after whoami", "msc4388", qr.Reciprocate, worldOpts{}, user{RejectAccount: true},
			"failure user_cancelled (sent)", "failure user_cancelled (peer)"},
		{"wrong check code on N (G)", "msc4388", qr.Login, worldOpts{}, user{TypeWrongCode: true},
			"failure check_code_mismatch", "failure rendezvous_expired"},
		{"wrong check code on E (G)", "msc4108-2024", qr.Reciprocate, worldOpts{}, user{TypeWrongCode: true},
			"failure rendezvous_expired", "failure check_code_mismatch"},
		{"unreadable QR code", "msc4388", qr.Reciprocate, worldOpts{}, user{CorruptQR: true},
			"failure invalid_qr", "failure rendezvous_expired"},
		// A local reason with the channel up has no wire form: nothing is
		// sent, the session is deleted and the peer ends on its next read.
		{"token endpoint error: http_error", "msc4388", qr.Reciprocate, worldOpts{},
			user{RewriteOP: failOn(oauth.PathToken, 500)}, "failure http_error", "failure rendezvous_expired"},
		{"device authorization error: http_error", "msc4388", qr.Login, worldOpts{},
			user{RewriteOP: failOn(oauth.PathDeviceAuthorization, 503)}, "failure http_error", "failure rendezvous_expired"},
		{"registration error: http_error", "msc4388", qr.Reciprocate, worldOpts{},
			user{RewriteOP: failOn(oauth.PathRegistration, 400)}, "failure http_error", "failure rendezvous_expired"},
		{"auth metadata error: discovery_failed", "msc4388", qr.Login, worldOpts{},
			user{RewriteHS: failOn(homeserver.PathAuthMetadata, 403)}, "failure discovery_failed", "failure rendezvous_expired"},
		{"auth issuer error: discovery_failed (2024)", "msc4108-2024", qr.Reciprocate, worldOpts{},
			user{RewriteHS: failOn("auth_issuer", 403)}, "failure discovery_failed", "failure rendezvous_expired"},
		{"auth metadata 5xx after every retry: http_error", "msc4388", qr.Login, worldOpts{},
			user{RewriteHS: failOn(homeserver.PathAuthMetadata, 500)}, "failure http_error", "failure rendezvous_expired"},
		{"whoami error: http_error", "msc4388", qr.Reciprocate, worldOpts{},
			user{RewriteHS: failOn(homeserver.PathWhoami, 500)}, "failure http_error", "failure rendezvous_expired"},
		{"tampered payload", "msc4108-2024", qr.Reciprocate, worldOpts{}, user{TamperRendezvous: func(_ string, b []byte) []byte {
			if len(b) > 20 {
				b = append([]byte(nil), b...)
				b[3] ^= 1
			}
			return b
		}}, "failure rendezvous_expired", "failure channel_integrity"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := tc.run(t)
			if w.E.Facts().SecretsSealed {
				t.Fatal("secrets sealed on a failure path")
			}
		})
	}
}

// endCase is one login and how each device must end.
type endCase struct {
	name   string
	preset string
	intent qr.Intent // N's
	o      worldOpts
	u      user
	wantN  string // the outcomes as Outcome.String renders them
	wantE  string
}

// run runs the login and fails the test unless both devices ended as
// wanted.
func (tc endCase) run(t *testing.T) *world {
	t.Helper()
	w := runPreset(t, tc.preset, tc.intent, tc.o, tc.u)
	gotN, gotE := w.N.Outcome().String(), w.E.Outcome().String()
	if gotN != tc.wantN || gotE != tc.wantE || !w.N.State().Terminal() || !w.E.State().Terminal() {
		t.Fatalf("N %q (want %q), E %q (want %q)\n%s", gotN, tc.wantN, gotE, tc.wantE, w.Log())
	}
	return w
}

// failOn answers every request whose path contains part with status.
func failOn(part string, status int) func(Request, Response) Response {
	return func(r Request, resp Response) Response {
		if strings.Contains(r.Path, part) {
			return Response{Status: status, Body: []byte(`{"errcode":"M_UNKNOWN","error":"injected"}`)}
		}
		return resp
	}
}
