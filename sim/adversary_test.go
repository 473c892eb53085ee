package sim

import (
	"fmt"
	"strings"
	"testing"

	"qrlab/model/qr"
	"qrlab/model/variant"
)

// advRuns runs seeds of preset with the adversaries and user edits, and
// fails on any violation.
func advRuns(t *testing.T, preset string, intent qr.Intent, advs []string, edit func(*User), seeds int) []Result {
	t.Helper()
	u := DefaultUser()
	if edit != nil {
		edit(&u)
	}
	net, _ := Profile("wifi")
	cfg := Config{Variant: variant.MustLoad(preset), Intent: intent, Network: net, User: u, Adversaries: advs}
	r := mustRunner(t, cfg)
	var out []Result
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		out = append(out, runClean(t, r, seed, fmt.Sprintf("%s %v", preset, advs)))
	}
	return out
}

func count(rs []Result, f func(*Result) bool) int {
	n := 0
	for i := range rs {
		if f(&rs[i]) {
			n++
		}
	}
	return n
}

// TestAdversariesHonestPresets: every adversary against the honest 2024 and
// 2026 presets in both directions, an attentive user: no invariant breaks,
// each adversary visibly acts, and an attacker wins only where the run
// names the exposure (physical access, a threat nothing prevents).
func TestAdversariesHonestPresets(t *testing.T) {
	for _, name := range AdversaryNames() {
		for _, preset := range []string{"msc4108-2024", "msc4388"} {
			for _, intent := range []qr.Intent{qr.Login, qr.Reciprocate} {
				rs := advRuns(t, preset, intent, []string{name}, nil, 12)
				acted := count(rs, func(r *Result) bool { return r.AdversaryActs > 0 || r.AdversaryBytes > 0 })
				unexplained := count(rs, func(r *Result) bool { return r.AttackerWon != "" && r.Exposure == "" })
				if name == "account-confusion" && intent == qr.Reciprocate {
					acted = 1 // it acts only when the new device shows the code
				}
				if name == "splicer" && !variant.MustLoad(preset).Channel.AADBinding {
					acted = 1 // it acts only against designs that claim the binding
				}
				if acted == 0 || unexplained > 0 {
					t.Errorf("%s vs %s/%s: acted in %d runs, won %d times with no exposure to explain it", name, preset, intent, acted, unexplained)
				}
			}
		}
	}
}

// TestAdversaryEffects pins what each adversary does to honest logins.
func TestAdversaryEffects(t *testing.T) {
	reason := func(rs []Result, r string) int {
		return count(rs, func(x *Result) bool { return x.New.Reason == r || x.Existing.Reason == r })
	}
	t.Run("eavesdropper reads ciphertext only", func(t *testing.T) {
		rs := advRuns(t, "msc4388", qr.Login, []string{"eavesdropper"}, nil, 10)
		if count(rs, func(r *Result) bool { return r.Success() }) < 8 {
			t.Fatal("a passive eavesdropper should not stop logins")
		}
	})
	t.Run("malicious rendezvous: altered payloads never open", func(t *testing.T) {
		rs := advRuns(t, "msc4388", qr.Login, []string{"malicious-rendezvous"}, nil, 30)
		if reason(rs, "channel_integrity") == 0 {
			t.Fatal("no altered payload was refused")
		}
	})
	t.Run("replayer: recorded payloads never open", func(t *testing.T) {
		rs := advRuns(t, "msc4108-2024", qr.Reciprocate, []string{"replayer"}, nil, 20)
		if reason(rs, "channel_integrity") == 0 {
			t.Fatal("no replayed payload was refused")
		}
	})
	t.Run("deleter ends logins", func(t *testing.T) {
		rs := advRuns(t, "msc4388", qr.Login, []string{"deleter"}, nil, 20)
		if reason(rs, "rendezvous_expired") == 0 {
			t.Fatal("deleting the session ended no login")
		}
	})
	t.Run("flooder pushes honest sessions out", func(t *testing.T) {
		rs := advRuns(t, "msc4108-2025", qr.Login, []string{"flooder"}, nil, 5)
		if count(rs, func(r *Result) bool { return r.Success() }) == len(rs) {
			t.Fatal("flooding the store past its caps hurt no login")
		}
	})
	// With a user who types whatever code they see, the shoulder-surfer wins
	// sometimes: counted as human factor, never as a violation.
	slowBlind := func(u *User) { u.BlindConfirmRate = 1; u.Scan = Constant(60000) }
	t.Run("shoulder-surfer and a blind user: secrets to the attacker, human factor", func(t *testing.T) {
		rs := advRuns(t, "msc4388", qr.Reciprocate, []string{"shoulder-surfer"}, slowBlind, 10)
		if count(rs, func(r *Result) bool { return r.AttackerWon == "secrets" && r.HumanFactor }) == 0 {
			t.Fatal("the blind user never gave the attacker the secrets")
		}
	})
	t.Run("account confusion: whoami confirmation saves a blind user", func(t *testing.T) {
		rs := advRuns(t, "msc4388", qr.Login, []string{"shoulder-surfer"}, slowBlind, 10)
		if reason(rs, "whoami_mismatch") == 0 || count(rs, func(r *Result) bool { return r.AttackerWon != "" }) > 0 {
			t.Fatal("whoami confirmation did not stop account confusion")
		}
		rs = advRuns(t, "msc4108-2024", qr.Login, []string{"shoulder-surfer"}, slowBlind, 10)
		if count(rs, func(r *Result) bool { return r.AttackerWon == "victim-signed-into-attacker-account" && r.HumanFactor }) == 0 {
			t.Fatal("without whoami the victim's device was never signed in to the attacker's account")
		}
	})
}

// TestAdversaryOutcomes pins what the threats of the texts come to against
// the 2026 design with an attentive user.
func TestAdversaryOutcomes(t *testing.T) {
	cases := []struct {
		adv      string
		intent   qr.Intent
		won, exp string // the attacker's usual win and its exposure ("" none)
		reason   string // a reason some honest device ends with
	}{
		{"remote-phishing", qr.Login, "", "", ""},
		{"session-spawning", qr.Login, "secrets", "physical-access", ""},
		{"malicious-verification-uri", qr.Reciprocate, "victim-browser-on-attacker-page", "not-prevented", ""},
		{"device-id-confusion", qr.Login, "", "", "device_already_exists"},
		{"phishing-op", qr.Login, "account-access", "not-prevented", ""},
		{"account-confusion", qr.Login, "", "", ""},
	}
	for _, tc := range cases {
		rs := advRuns(t, "msc4388", tc.intent, []string{tc.adv}, nil, 10)
		won := count(rs, func(r *Result) bool { return tc.won != "" && r.AttackerWon == tc.won && r.Exposure == tc.exp })
		any := count(rs, func(r *Result) bool { return r.AttackerWon != "" })
		if (tc.won == "" && any > 0) || (tc.won != "" && won < 5) {
			t.Errorf("%s: attacker won %d of 10 as %q/%q, %d in all", tc.adv, won, tc.won, tc.exp, any)
		}
		if tc.reason != "" && count(rs, func(r *Result) bool { return r.New.Reason == tc.reason || r.Existing.Reason == tc.reason }) == 0 {
			t.Errorf("%s: no run ended with %s", tc.adv, tc.reason)
		}
	}
}

// TestAdversaryBadNames: unknown or repeated adversaries are refused with
// the known names.
func TestAdversaryBadNames(t *testing.T) {
	for _, advs := range [][]string{{"ninja"}, {"deleter", "deleter"}} {
		_, err := NewRunner(Config{Variant: variant.MustLoad("msc4388"), Adversaries: advs})
		if err == nil || (advs[0] == "ninja" && !strings.Contains(err.Error(), "eavesdropper")) {
			t.Fatalf("%v: %v", advs, err)
		}
	}
}

// TestSplicerAndRoguePeerCatchTheirMutants: the splicer's moved payload
// opens only without the AAD binding (channel-integrity), and the rogue
// peer's premature m.login.success is skipped only by a lenient existing
// device (unexpected-message-ends); the honest base ends the login instead.
func TestSplicerAndRoguePeerCatchTheirMutants(t *testing.T) {
	for _, c := range []struct{ adv, mutant, inv, reason string }{
		{"splicer", "no-aad-binding", InvChannelIntegrity, "channel_integrity"},
		{"rogue-peer", "accept-unexpected-messages", InvUnexpectedEnds, "unexpected_message_received"},
	} {
		for _, intent := range []qr.Intent{qr.Login, qr.Reciprocate} {
			net, _ := Profile("wifi")
			mv, err := variant.LoadMutant(c.mutant)
			if err != nil {
				t.Fatal(err)
			}
			r := mustRunner(t, Config{Variant: mv, Intent: intent, Network: net, User: DefaultUser(), Adversaries: []string{c.adv}})
			caught := 0
			for seed := uint64(1); seed <= 10; seed++ {
				res, err := r.Run(seed)
				if err != nil {
					t.Fatal(err)
				}
				if res.Violation != nil && res.Violation.Invariant == c.inv {
					caught++
				}
			}
			if caught == 0 {
				t.Errorf("%s/%s: %s never broke %s in 10 seeds", c.mutant, intent, c.adv, c.inv)
			}
			rs := advRuns(t, "msc4388-726e115", intent, []string{c.adv}, nil, 10)
			ended := count(rs, func(x *Result) bool { return x.New.Reason == c.reason || x.Existing.Reason == c.reason })
			if ended < 5 {
				t.Errorf("honest/%s vs %s: only %d of 10 logins ended with %s", intent, c.adv, ended, c.reason)
			}
		}
	}
}

// TestTypoAnyDigit: with typo_any_digit some mistyped codes differ from
// the shown one in the first digit (never with the knob off), and no login
// with a mistyped code succeeds.
func TestTypoAnyDigit(t *testing.T) {
	firstOff := func(anyDigit bool) int {
		u := DefaultUser()
		u.TypoRate, u.TypoAnyDigit = 1, anyDigit
		net, _ := Profile("wifi")
		r := mustRunner(t, Config{Variant: variant.MustLoad("msc4388-726e115"), Intent: qr.Login, Network: net, User: u, KeepTrace: true})
		n := 0
		for seed := uint64(1); seed <= 20; seed++ {
			res := runClean(t, r, seed, "typo")
			if res.Success() {
				t.Fatalf("typo_any_digit=%v seed %d: a login with a mistyped code succeeded", anyDigit, seed)
			}
			shown, typed := "", ""
			for _, e := range r.Trace().Events {
				if c, ok := strings.CutPrefix(e.Name, "shows check code "); ok {
					shown = c
				}
				if c, ok := strings.CutPrefix(e.Name, "types check code "); ok {
					typed = c
				}
			}
			if len(shown) != 2 || len(typed) != 2 || shown == typed {
				t.Fatalf("typo_any_digit=%v seed %d: shown %q, typed %q", anyDigit, seed, shown, typed)
			}
			if shown[0] != typed[0] {
				n++
			}
		}
		return n
	}
	if n := firstOff(false); n != 0 {
		t.Errorf("without typo_any_digit, %d typos hit the first digit", n)
	}
	if n := firstOff(true); n == 0 {
		t.Error("with typo_any_digit, no typo hit the first digit in 20 runs")
	}
}
