package sim

import (
	"strings"
	"testing"

	"qrlab/model/msg"
	"qrlab/model/qr"
	"qrlab/model/variant"
)

// causeUsers are users for whom one cause always happens: each cause the
// cause checker judges, alone.
func causeUsers() map[string]User {
	out := map[string]User{}
	for name, set := range map[string]func(*User){
		"cancel":         func(u *User) { u.CancelRate = 1 },
		"typo":           func(u *User) { u.TypoRate = 1 },
		"typo-any-digit": func(u *User) { u.TypoRate, u.TypoAnyDigit = 1, true },
		"deny":           func(u *User) { u.DenyRate = 1 },
		"browser-fails":  func(u *User) { u.BrowserFailRate = 1 },
		"reject-account": func(u *User) { u.RejectAccountRate = 1 },
		"refuse-consent": func(u *User) { u.RefuseRate, u.RefuseAt = 1, RefuseConsent },
		"refuse-code":    func(u *User) { u.RefuseRate, u.RefuseAt = 1, RefuseCheckCode },
		"refuse-browser": func(u *User) { u.RefuseRate, u.RefuseAt = 1, RefuseBrowserStep },
		"refuse-account": func(u *User) { u.RefuseRate, u.RefuseAt = 1, RefuseAccount },
		"refuse-any":     func(u *User) { u.RefuseRate, u.RefuseAt = 1, RefuseAny },
		"slow-consent": func(u *User) {
			// Consent after the device code expired: the provider
			// answers expired_token.
			u.Consent = Dist{Kind: DistConstant, Value: 3_600_000}
		},
	} {
		u := DefaultUser()
		set(&u)
		out[name] = u
	}
	return out
}

// TestCauseEndsWithItsReasonHonest: every honest preset, both intents,
// every cause at rate 1 on 4G: no cause-ends-with-its-reason violation (nor
// any other), and each cause does end a login somewhere (the checker has
// something to judge).
func TestCauseEndsWithItsReasonHonest(t *testing.T) {
	seeds := uint64(4)
	if testing.Short() {
		seeds = 2
	}
	net, _ := Profile("4g")
	for cause, u := range causeUsers() {
		ended := 0
		for _, p := range variant.Names() {
			for _, in := range []qr.Intent{qr.Login, qr.Reciprocate} {
				r := mustRunner(t, Config{Variant: variant.MustLoad(p), Intent: in, Network: net, User: u})
				for s := uint64(1); s <= seeds; s++ {
					res, err := r.Run(s)
					if err != nil {
						t.Fatal(err)
					}
					if v := res.Violation; v != nil {
						t.Fatalf("%s %s %v seed %d: %s: %s", cause, p, in, s, v.Invariant, v.Detail)
					}
					if !res.Success() {
						ended++
					}
				}
			}
		}
		if ended == 0 {
			t.Errorf("%s: no login failed: the cause never happened", cause)
		}
	}
}

// TestCauseCheckerJudges feeds the cause checker endings by hand: a
// browser failure must end E with the variant's reason and tell the peer
// so; a denial must end N declined. (A device that opened its peer's
// failure is TestFailureChecker's.)
func TestCauseCheckerJudges(t *testing.T) {
	r := newTestRunner(t, "msc4388")
	w := &run{}
	w.user.add(Act{At: 100, Kind: ActBrowserFailed, Device: ActorExisting})
	var c causeChecker
	want := string(msg.ReasonUserCancelled)
	if r.cfg.Variant.Flow.UnableToOpenReason {
		want = string(msg.ReasonUnableToOpenVerificationURI)
	}
	res := &Result{Existing: Ending{Outcome: "failure", Reason: "user_cancelled", At: 100}, New: Ending{Outcome: "failure", Reason: want, At: 300}}
	if want != "user_cancelled" {
		if d := c.complaint(r, w, res); !strings.Contains(d, "not with "+want) {
			t.Fatalf("E ended with the wrong reason on a browser failure: %q", d)
		}
	}
	res.Existing.Reason = want
	c.observeSeal(ActorExisting, []byte(`{"reason":"unexpected_message_received","type":"m.login.failure"}`), 100)
	if d := c.complaint(r, w, res); !strings.Contains(d, "told the peer") {
		t.Fatalf("E told the peer another reason: %q", d)
	}
	c.reset()
	c.observeSeal(ActorExisting, []byte(`{"reason":"`+want+`","type":"m.login.failure"}`), 100)
	if d := c.complaint(r, w, res); d != "" {
		t.Fatalf("a right ending: %q", d)
	}
	c.observeArrival("/oauth2/token", []byte(`{"error":"access_denied"}`), 50, w.op)
	res.New = Ending{Outcome: "failure", Reason: "http_error", At: 50}
	if d := c.complaint(r, w, res); !strings.Contains(d, "access_denied on N at 50 ms") {
		t.Fatalf("N ended http_error on a denial: %q", d)
	}
}

// TestRefuseKnobValidated: refuse_at names a step, refuse_rate is a
// probability.
func TestRefuseKnobValidated(t *testing.T) {
	for _, tc := range []struct {
		rate float64
		at   string
		want string
	}{
		{1, "captcha", `refuse_at "captcha" is none of consent, check-code, browser-step, account, any`},
		{1.5, RefuseConsent, "refuse_rate 1.5 is not a probability"},
	} {
		u := DefaultUser()
		u.RefuseRate, u.RefuseAt = tc.rate, tc.at
		if err := u.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%g %q: %v, want %q", tc.rate, tc.at, err, tc.want)
		}
	}
}

// TestProofOfPossessionNoFalseAlarm: with flow.proof_of_possession on, the
// new device sends its proof in place of m.login.success; the secrets
// checker takes the proof as that step, so honest logins break nothing.
func TestProofOfPossessionNoFalseAlarm(t *testing.T) {
	v := variant.MustLoad("msc4388-726e115")
	v.Flow.ProofOfPossession = variant.ProofEd25519Channel
	net, _ := Profile("4g")
	signed := 0
	for _, in := range []qr.Intent{qr.Login, qr.Reciprocate} {
		r := mustRunner(t, Config{Variant: v, Intent: in, Network: net})
		for s := uint64(1); s <= 10; s++ {
			if res := runClean(t, r, s, "proof of possession"); res.Success() {
				signed++
			}
		}
	}
	if signed < 15 {
		t.Fatalf("%d of 20 honest logins with the proof signed in", signed)
	}
}
