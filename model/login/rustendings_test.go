package login_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"qrlab/model/homeserver"
	. "qrlab/model/login"
	"qrlab/model/oauth"
	"qrlab/model/qr"
	"qrlab/model/variant"
)

// outcomeAt finds when each device ended in a world's log.
var outcomeAt = regexp.MustCompile(`(?m)^\s*(\d+) ([NE]) outcome `)

// endTimes returns when N and E ended, in milliseconds of the world's clock.
func endTimes(t *testing.T, w *world) (n, e int) {
	t.Helper()
	at := map[string]int{}
	for _, m := range outcomeAt.FindAllStringSubmatch(w.Log(), -1) {
		at[m[2]], _ = strconv.Atoi(m[1])
	}
	if _, ok := at["N"]; !ok {
		t.Fatalf("no outcome of N in the log\n%s", w.Log())
	}
	return at["N"], at["E"]
}

// TestSessionDeleteKnob: flow.session_delete decides whether a device
// sends DELETE for the rendezvous session when its login ends. Both Rust
// SDK presets set "never": a whoami that fails ends the new device with
// nothing sent and nothing deleted, so the existing device, waiting for
// m.login.success, polls on until the server expires the session; a keys
// upload that fails (after the secrets, so E has already succeeded) and a
// success delete nothing either. "on-end" on the same presets deletes in
// all three, and E's wait ends at its next poll.
func TestSessionDeleteKnob(t *testing.T) {
	cases := []struct {
		name         string
		fail         string // path answered 400
		wantN, wantE string
	}{
		{"whoami fails", homeserver.PathWhoami, "failure http_error", expired},
		{"keys upload fails", homeserver.PathKeysUpload, "failure key_upload_failed", "success"},
		{"success", "", "success", "success"},
	}
	for _, preset := range []string{"rust-sdk-main", "rust-sdk-pr6173"} {
		if got := variant.MustLoad(preset).Flow.SessionDelete; got != variant.SessionDeleteNever {
			t.Fatalf("%s: flow.session_delete %q, want never", preset, got)
		}
		for _, c := range cases {
			for _, val := range []string{variant.SessionDeleteNever, variant.SessionDeleteOnEnd} {
				var u user
				if c.fail != "" {
					u.RewriteHS = failOn(c.fail, 400)
				}
				tc := endCase{name: preset + "/" + c.name + "/" + val, preset: preset, intent: qr.Reciprocate, u: u,
					o: worldOpts{VEdit: func(v *variant.Variant) { v.Flow.SessionDelete = val }}, wantN: c.wantN, wantE: c.wantE}
				w := tc.run(t)
				log := w.Log()
				if strings.Contains(log, "sealed m.login.failure") {
					t.Fatalf("%s: a device sent m.login.failure\n%s", tc.name, log)
				}
				if deleted := strings.Contains(log, "rendezvous DELETE "); deleted != (val == variant.SessionDeleteOnEnd) {
					t.Fatalf("%s: session deleted %v\n%s", tc.name, deleted, log)
				}
				if c.wantE != expired {
					continue
				}
				n, e := endTimes(t, w)
				switch {
				case val == variant.SessionDeleteOnEnd && e-n > 2000:
					t.Fatalf("%s: E ended %d ms after N, want within a poll", tc.name, e-n)
				case val == variant.SessionDeleteNever && e-n < 20_000:
					t.Fatalf("%s: E ended %d ms after N, want at the session's expiry", tc.name, e-n)
				}
			}
		}
	}
}

// devicesFailing answers 503 to the first k device polls after the
// device check (the first GET /devices/{id}), and passes the rest on.
func devicesFailing(k int) func(Request, Response) Response {
	seen := 0
	return func(r Request, resp Response) Response {
		if !strings.HasPrefix(r.Path, homeserver.PathDevicesPrefix) {
			return resp
		}
		seen++
		if seen == 1 || seen > k+1 {
			return resp
		}
		return Response{Status: 503, Body: []byte(`{"errcode":"M_UNKNOWN","error":"injected"}`)}
	}
}

// TestDeviceWaitKnob: flow.device_wait decides how the existing device
// waits for the new device after m.login.success. Under the Rust presets'
// "after-each-check" a device check that meets 503 stays in its policy's
// backoff (0.5, 1, 2 ... s) and the 10 s deadline is read only when it
// returns: six 503s (31.5 s of waits) and then the device's 200 still
// end in success, where "deadline" ends E at 10 s with device_not_found.
// When every check meets 503, the check returns only when its 15-minute
// retry budget is spent (843.5 s of waits); E then sends device_not_found
// on a session the server expired meanwhile, so its PUT is answered 404
// and the peer never reads it (E's outcome says sent: the model ends a
// device as its failure's PUT goes out), and the new device, waiting for
// the secrets, has ended at that expiry.
func TestDeviceWaitKnob(t *testing.T) {
	for _, preset := range []string{"rust-sdk-main", "rust-sdk-pr6173"} {
		if got := variant.MustLoad(preset).Flow.DeviceWait; got != variant.DeviceWaitAfterEachCheck {
			t.Fatalf("%s: flow.device_wait %q, want after-each-check", preset, got)
		}
		for _, c := range []struct {
			val          string
			failing      int
			wantN, wantE string
		}{
			{variant.DeviceWaitAfterEachCheck, 6, "success", "success"},
			{variant.DeviceWaitDeadline, 6, "failure device_not_found (peer)", "failure device_not_found (sent)"},
			{variant.DeviceWaitAfterEachCheck, 1000, expired, "failure device_not_found (sent)"},
			{variant.DeviceWaitDeadline, 1000, "failure device_not_found (peer)", "failure device_not_found (sent)"},
		} {
			tc := endCase{name: preset + "/" + c.val + "/" + strconv.Itoa(c.failing), preset: preset, intent: qr.Reciprocate,
				u:     user{RewriteHS: devicesFailing(c.failing)},
				o:     worldOpts{VEdit: func(v *variant.Variant) { v.Flow.DeviceWait = c.val }},
				wantN: c.wantN, wantE: c.wantE}
			w := tc.run(t)
			succ := successSentAt(t, w)
			_, e := endTimes(t, w)
			switch {
			case c.val == variant.DeviceWaitDeadline && (e-succ < 10_000 || e-succ > 12_000):
				t.Fatalf("%s: E ended %d ms after m.login.success, want at the 10 s deadline\n%s", tc.name, e-succ, w.Log())
			case c.val == variant.DeviceWaitAfterEachCheck && c.failing == 6 && e-succ < 31_500:
				t.Fatalf("%s: E ended %d ms after m.login.success, want after the 31.5 s of waits\n%s", tc.name, e-succ, w.Log())
			case c.val == variant.DeviceWaitAfterEachCheck && c.failing == 1000 && e-succ < 800_000:
				t.Fatalf("%s: E ended %d ms after m.login.success, want after the check's 15-minute budget", tc.name, e-succ)
			case c.val == variant.DeviceWaitAfterEachCheck && c.failing == 1000 && !failurePutRefused.MatchString(w.Log()):
				t.Fatalf("%s: E's m.login.failure was not refused with 404 on the expired session\n%s", tc.name, w.Log())
			}
		}
	}
}

// failurePutRefused finds E's m.login.failure PUT answered 404.
var failurePutRefused = regexp.MustCompile(`E sealed m\.login\.failure\n\s*\d+\s+rendezvous PUT \S+ -> 404`)

// sealedSuccess finds when N sealed m.login.success.
var sealedSuccess = regexp.MustCompile(`(?m)^\s*(\d+) N sealed m\.login\.success`)

func successSentAt(t *testing.T, w *world) int {
	t.Helper()
	m := sealedSuccess.FindStringSubmatch(w.Log())
	if m == nil {
		t.Fatalf("N never sealed m.login.success\n%s", w.Log())
	}
	at, _ := strconv.Atoi(m[1])
	return at
}

// onceFailing answers the first request whose path ends with suffix with
// 503 and passes the rest on.
func onceFailing(suffix string) func(Request, Response) Response {
	done := false
	return func(r Request, resp Response) Response {
		if done || !strings.HasSuffix(r.Path, suffix) {
			return resp
		}
		done = true
		return Response{Status: 503, Body: []byte(`{"errcode":"M_UNKNOWN","error":"injected"}`)}
	}
}

// TestRustRequestKinds: the Rust SDK presets give each request the policy
// of the SDK code that sends it. The rendezvous create and the auth
// metadata go through the client's RequestConfig (a 503 is retried), the
// registration and the device authorization through the OAuth HTTP client
// (sent once: a 503 ends the login, with nothing sent to the peer), and
// every one of them, the token poll included, has the reqwest client's
// 30 s timeout.
func TestRustRequestKinds(t *testing.T) {
	for _, preset := range []string{"rust-sdk-main", "rust-sdk-pr6173"} {
		tm := variant.MustLoad(preset).Timing
		for _, kind := range []string{variant.KindOther, variant.KindTokenPoll, variant.KindRendezvousCreate, variant.KindDiscovery} {
			if p := tm.Policy(kind); p.TimeoutMillis != 30000 {
				t.Errorf("%s: %q timeout %d ms, want 30000", preset, kind, p.TimeoutMillis)
			}
		}
		if p := tm.Policy(variant.KindOther); *p.Retries != 0 {
			t.Errorf("%s: %d retries of the OAuth client's requests, want 0", preset, *p.Retries)
		}
		for _, c := range []struct {
			name         string
			u            user
			wantN, wantE string
		}{
			{"create", user{RewriteRendezvous: onceFailing("/rendezvous")}, "success", "success"},
			{"auth metadata", user{RewriteHS: onceFailing(homeserver.PathAuthMetadata)}, "success", "success"},
			{"registration", user{RewriteOP: onceFailing(oauth.PathRegistration)}, "failure http_error", expired},
			{"device authorization", user{RewriteOP: onceFailing(oauth.PathDeviceAuthorization)}, "failure http_error", expired},
		} {
			tc := endCase{name: preset + "/" + c.name, preset: preset, intent: qr.Reciprocate, u: c.u, wantN: c.wantN, wantE: c.wantE}
			w := tc.run(t)
			if !strings.Contains(w.Log(), "-> 503") {
				t.Fatalf("%s: no 503 was served\n%s", tc.name, w.Log())
			}
			if strings.Contains(w.Log(), "sealed m.login.failure") {
				t.Fatalf("%s: a device sent m.login.failure\n%s", tc.name, w.Log())
			}
		}
	}
}
