package login_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"qrlab/model/homeserver"
	. "qrlab/model/login"
	"qrlab/model/login/logintest"
	"qrlab/model/oauth"
	"qrlab/model/qr"
	"qrlab/model/variant"
	"qrlab/model/wire"
)

// The knobs for shipped behaviours the texts do not have (the Rust SDK's,
// set in the element-x preset): each test runs the same login with the
// knob at every value and checks how each device ends.

// knobRow is one value of a knob and how each device must end with it.
type knobRow struct {
	value        string
	wantN, wantE string
}

// runKnob runs tc once per row, with set applying the row's value to both
// devices' variants (N's too when tc.o.NVariant is set); check, when not
// nil, looks at each world afterwards.
func runKnob(t *testing.T, tc endCase, set func(*variant.Variant, string), rows []knobRow, check func(*testing.T, *world)) {
	t.Helper()
	for _, r := range rows {
		t.Run(tc.name+"/"+r.value, func(t *testing.T) {
			c := tc
			c.name, c.wantN, c.wantE = tc.name+"/"+r.value, r.wantN, r.wantE
			c.o.VEdit = func(v *variant.Variant) { set(v, r.value) }
			if tc.o.NVariant != nil {
				nv := *tc.o.NVariant
				set(&nv, r.value)
				c.o.NVariant = &nv
			}
			w := c.run(t)
			if r.wantE != "success" && w.E.Facts().SecretsSealed {
				t.Fatal("secrets sealed on a failure path")
			}
			if check != nil {
				check(t, w)
			}
		})
	}
}

const (
	unexpectedSent  = "failure unexpected_message_received (sent)"
	unexpectedPeer  = "failure unexpected_message_received (peer)"
	unexpectedLocal = "failure unexpected_message_received"
	expired         = "failure rendezvous_expired"
)

// TestUnexpectedMessageKnob: flow.unexpected_message decides who answers an
// undecodable or out-of-place message. A forgery puts the message in the
// mailbox where the peer holds the turn; the generation mismatch is a real
// peer whose m.login.protocols the new device cannot decode.
func TestUnexpectedMessageKnob(t *testing.T) {
	set := func(v *variant.Variant, val string) { v.Flow.UnexpectedMessage = val }
	success := `{"type":"m.login.success"}`
	byN := func(pt string) *logintest.Forgery { return forge(true, StateDiscovering, pt) }
	byE := func(pt string) *logintest.Forgery { return forge(false, StateCheckingDevice, pt) }
	// E answers in the texts only; N stays silent on E's answer-less end.
	eAnswers := []knobRow{
		{variant.UnexpectedSend, unexpectedPeer, unexpectedSent},
		{variant.UnexpectedNewDeviceOnly, expired, unexpectedLocal},
		{variant.UnexpectedSilent, expired, unexpectedLocal},
	}
	mismatched := variant.MustLoad("msc4388")
	mismatched.Messages.Generation = variant.Generation2024
	mismatched.Messages.HomeserverField = variant.HomeserverURL
	mismatched.Flow.UnableToOpenReason = false
	cases := []struct {
		tc   endCase
		rows []knobRow
	}{
		{endCase{name: "E gets m.login.success instead of m.login.protocol", preset: "msc4388", intent: qr.Reciprocate,
			u: user{Forge: byN(success)}}, eAnswers},
		{endCase{name: "E cannot decode a message", preset: "msc4388", intent: qr.Login,
			u: user{Forge: byN("hello")}}, eAnswers},
		{endCase{name: "N gets m.login.success instead of m.login.protocol_accepted", preset: "msc4388", intent: qr.Login,
			u: user{Forge: byE(success)}}, []knobRow{
			{variant.UnexpectedSend, unexpectedSent, unexpectedPeer},
			{variant.UnexpectedNewDeviceOnly, unexpectedSent, unexpectedPeer},
			{variant.UnexpectedSilent, unexpectedLocal, expired},
		}},
		{endCase{name: "N cannot decode a message", preset: "msc4108-2024", intent: qr.Reciprocate,
			u: user{Forge: byE("{")}}, []knobRow{
			{variant.UnexpectedSend, unexpectedSent, unexpectedPeer},
			{variant.UnexpectedNewDeviceOnly, unexpectedLocal, expired},
			{variant.UnexpectedSilent, unexpectedLocal, expired},
		}},
		{endCase{name: "N cannot decode m.login.protocols of another generation", preset: "msc4388", intent: qr.Login,
			o: worldOpts{NVariant: &mismatched}}, []knobRow{
			{variant.UnexpectedSend, unexpectedSent, unexpectedPeer},
			{variant.UnexpectedNewDeviceOnly, unexpectedLocal, expired},
			{variant.UnexpectedSilent, unexpectedLocal, expired},
		}},
	}
	for _, c := range cases {
		runKnob(t, c.tc, set, c.rows, nil)
	}
	// The element-x preset is the Rust SDK: E silent, N answering.
	endCase{name: "element-x: E silent", preset: "element-x", intent: qr.Reciprocate,
		u: user{Forge: byN(success)}, wantN: expired, wantE: unexpectedLocal}.run(t)
	endCase{name: "element-x: N answers", preset: "element-x", intent: qr.Login,
		u: user{Forge: byE(success)}, wantN: unexpectedSent, wantE: unexpectedPeer}.run(t)
}

// TestDeviceCheckErrorKnob: flow.device_check_error decides what E makes of
// a device check that answers neither 404 nor 200 after the retries.
func TestDeviceCheckErrorKnob(t *testing.T) {
	set := func(v *variant.Variant, val string) { v.Flow.DeviceCheckError = val }
	devices := func(r Request) bool { return strings.HasPrefix(r.Path, homeserver.PathDevicesPrefix) }
	taken := knobRow{variant.DeviceCheckAlreadyExists, "failure device_already_exists (peer)", "failure device_already_exists (sent)"}
	cases := []struct {
		tc       endCase
		rows     []knobRow
		requests int // device checks the homeserver saw (0: not counted)
	}{
		{endCase{name: "500 after every retry", preset: "msc4388", intent: qr.Reciprocate,
			u: user{RewriteHS: failOn(homeserver.PathDevicesPrefix, 500)}},
			[]knobRow{{variant.DeviceCheckHTTPError, expired, "failure http_error"}, taken}, 3},
		{endCase{name: "answer lost after every retry", preset: "msc4388", intent: qr.Login,
			u: user{LoseResponse: devices}},
			[]knobRow{{variant.DeviceCheckHTTPError, expired, "failure timeout"}, taken}, 3},
		{endCase{name: "403", preset: "msc4108-2024", intent: qr.Reciprocate,
			u: user{RewriteHS: failOn(homeserver.PathDevicesPrefix, 403)}},
			[]knobRow{{variant.DeviceCheckHTTPError, expired, "failure http_error"}, taken}, 1},
		{endCase{name: "404: no error, no difference", preset: "msc4388", intent: qr.Login},
			[]knobRow{{variant.DeviceCheckHTTPError, "success", "success"}, {variant.DeviceCheckAlreadyExists, "success", "success"}}, 0},
	}
	for _, c := range cases {
		runKnob(t, c.tc, set, c.rows, func(t *testing.T, w *world) {
			if n := strings.Count(w.Log(), "homeserver GET "+homeserver.PathDevicesPrefix); c.requests > 0 && n != c.requests {
				t.Fatalf("%d device requests, want %d\n%s", n, c.requests, w.Log())
			}
		})
	}
	// The element-x preset is the Rust SDK. A 403 is not retried (a 502
	// would be, for up to 15 min: TestPolicyBackoffSchedule).
	endCase{name: "element-x", preset: "element-x", intent: qr.Reciprocate,
		u: user{RewriteHS: failOn(homeserver.PathDevicesPrefix, 403)}, wantN: taken.wantN, wantE: taken.wantE}.run(t)
}

// TestHomeserverAcceptKnob: messages.homeserver_accept decides whether a
// device reads a server name where it expects the homeserver. The js-sdk
// (element-web) names it by server name in m.login.protocols; a Rust new
// device of the 2024 generation parses a URL and cannot decode it.
func TestHomeserverAcceptKnob(t *testing.T) {
	set := func(v *variant.Variant, val string) { v.Messages.HomeserverAccept = val }
	rust2024 := variant.MustLoad("msc4108-2024")
	rustSilent := rust2024
	rustSilent.Flow.UnexpectedMessage = variant.UnexpectedNewDeviceOnly
	failure := func(hs string) *logintest.Forgery {
		return forge(false, StateCheckingDevice, `{"type":"m.login.failure","reason":"user_cancelled","homeserver":"`+hs+`"}`)
	}
	cases := []struct {
		tc   endCase
		rows []knobRow
	}{
		{endCase{name: "server name from element-web", preset: "element-web", intent: qr.Login, o: worldOpts{NVariant: &rust2024}},
			[]knobRow{{variant.AcceptAny, "success", "success"}, {variant.AcceptURL, unexpectedSent, unexpectedPeer}}},
		{endCase{name: "server name from element-web, N silent", preset: "element-web", intent: qr.Login, o: worldOpts{NVariant: &rustSilent}},
			[]knobRow{{variant.AcceptAny, "success", "success"}, {variant.AcceptURL, unexpectedLocal, expired}}},
		{endCase{name: "URL from msc4108-2024", preset: "msc4108-2024", intent: qr.Login},
			[]knobRow{{variant.AcceptAny, "success", "success"}, {variant.AcceptURL, "success", "success"}}},
		{endCase{name: "m.login.failure naming a server", preset: "msc4388", intent: qr.Login, u: user{Forge: failure("lab.example")}},
			[]knobRow{{variant.AcceptAny, "failure user_cancelled (peer)", expired}, {variant.AcceptURL, unexpectedSent, unexpectedPeer}}},
		{endCase{name: "m.login.failure naming a URL", preset: "msc4388", intent: qr.Login, u: user{Forge: failure("https://lab.example")}},
			[]knobRow{{variant.AcceptAny, "failure user_cancelled (peer)", expired}, {variant.AcceptURL, "failure user_cancelled (peer)", expired}}},
	}
	for _, c := range cases {
		runKnob(t, c.tc, set, c.rows, nil)
	}
}

// TestTokenErrorKnob: flow.token_error decides what the new device does
// when the token endpoint answers invalid_grant (the provider spent the
// code): "delete-session" ends with http_error and deletes the session, so
// E's next read ends with rendezvous_expired within a poll; "silent" (the
// Rust SDK) sends nothing and leaves the session, so E polls on until the
// session expires. Neither sends m.login.failure.
func TestTokenErrorKnob(t *testing.T) {
	invalidGrant := func(r Request, resp Response) Response {
		if strings.HasSuffix(r.Path, oauth.PathToken) {
			return Response{Status: 400, Header: wire.JSONHeader(), Body: []byte(`{"error":"invalid_grant"}`)}
		}
		return resp
	}
	outcomeAt := regexp.MustCompile(`(?m)^\s*(\d+) ([NE]) outcome `)
	gap := map[string]int{}
	for _, val := range []string{variant.TokenErrorDeleteSession, variant.TokenErrorSilent} {
		tc := endCase{name: "invalid_grant/" + val, preset: "msc4388", intent: qr.Reciprocate, u: user{RewriteOP: invalidGrant},
			o: worldOpts{VEdit: func(v *variant.Variant) { v.Flow.TokenError = val }}, wantN: "failure http_error", wantE: expired}
		w := tc.run(t)
		log := w.Log()
		if strings.Contains(log, "sealed m.login.failure") {
			t.Fatalf("%s: a device sent m.login.failure\n%s", val, log)
		}
		if deleted := strings.Contains(log, "rendezvous DELETE "); deleted != (val == variant.TokenErrorDeleteSession) {
			t.Fatalf("%s: session deleted %v\n%s", val, deleted, log)
		}
		at := map[string]int{}
		for _, m := range outcomeAt.FindAllStringSubmatch(log, -1) {
			at[m[2]], _ = strconv.Atoi(m[1])
		}
		gap[val] = at["E"] - at["N"]
	}
	if d, s := gap[variant.TokenErrorDeleteSession], gap[variant.TokenErrorSilent]; d > 2000 || s <= 10*d {
		t.Fatalf("E ended %d ms after N with delete-session, %d ms with silent; want within a poll, and much later", d, s)
	}
}
