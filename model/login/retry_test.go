package login_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	. "qrlab/model/login"
	"qrlab/model/oauth"
	"qrlab/model/qr"
	"qrlab/model/variant"
	"qrlab/model/wire"
)

// TestLostPutAnswer loses the answer to the first PUT that carries
// m.login.protocol: the write happened, the writer does not know. The 2026
// idempotent PUT makes the retry harmless; the 2024 ETag API refuses it as
// stale, and the abort knob ends the login on a write conflict.
func TestLostPutAnswer(t *testing.T) {
	cases := []struct {
		preset string
		wantN  string
		wantE  string
	}{
		{"msc4388", "success", "success"},
		{"msc4108-2024", "failure write_conflict", "failure rendezvous_expired"},
	}
	for _, tc := range cases {
		t.Run(tc.preset, func(t *testing.T) {
			lost := false
			w := newWorld(t, variant.MustLoad(tc.preset), worldOpts{NIntent: qr.Reciprocate, Seed: 3}, user{
				LoseResponse: func(r Request) bool {
					if !lost && r.Method == "PUT" && r.Target == TargetRendezvous && len(r.Body) > 300 {
						lost = true
						return true
					}
					return false
				}})
			w.Run()
			if !lost {
				t.Fatal("no PUT answer was lost")
			}
			if got := w.N.Outcome().String(); got != tc.wantN {
				t.Fatalf("N %s, want %s\n%s", got, tc.wantN, w.Log())
			}
			if got := w.E.Outcome().String(); got != tc.wantE {
				t.Fatalf("E %s, want %s\n%s", got, tc.wantE, w.Log())
			}
		})
	}
}

// TestSlowDown answers the first token poll with slow_down and checks the
// next poll's delay: the interval plus 5 s when obeyed, unchanged when
// ignored.
func TestSlowDown(t *testing.T) {
	for _, tc := range []struct {
		knob string
		gap  int
	}{{variant.SlowDownObey, 10000}, {variant.SlowDownIgnore, 5000}} {
		t.Run(tc.knob, func(t *testing.T) {
			v := variant.MustLoad("msc4388")
			v.OAuth.SlowDown = tc.knob
			first := true
			w := newWorld(t, v, worldOpts{NIntent: qr.Reciprocate, Seed: 4}, user{ConsentDelay: 30000,
				RewriteOP: func(r Request, resp Response) Response {
					if first && strings.HasSuffix(r.Path, oauth.PathToken) {
						first = false
						return Response{Status: 400, Header: wire.JSONHeader(), Body: []byte(`{"error":"slow_down"}`)}
					}
					return resp
				}})
			w.Run()
			if !w.N.Outcome().Success {
				t.Fatalf("N %s\n%s", w.N.Outcome(), w.Log())
			}
			re := regexp.MustCompile(`(?m)^\s*(\d+)\s+op POST /oauth2/token`)
			m := re.FindAllStringSubmatch(w.Log(), -1)
			if len(m) < 2 {
				t.Fatalf("fewer than two polls\n%s", w.Log())
			}
			a, _ := strconv.Atoi(m[0][1])
			b, _ := strconv.Atoi(m[1][1])
			if b-a != tc.gap {
				t.Fatalf("second poll %d ms after the first, want %d", b-a, tc.gap)
			}
		})
	}
}

// TestWriteConflictKnob cancels on E out of turn, so that N's next PUT
// is refused as stale, and shows what each write_conflict knob makes of it.
func TestWriteConflictKnob(t *testing.T) {
	cases := []struct {
		knob  string
		wantN string
	}{
		// Abort: N ends on the conflict and never reads the cancel.
		{variant.ConflictAbort, "failure write_conflict"},
		// Ignore (js-sdk): N's message is lost, N polls and reads the cancel.
		{variant.ConflictIgnore, "failure user_cancelled (peer)"},
		// Retry: N re-reads the mailbox, finds the peer's message (the
		// cancel) instead of writing over it, and reads it.
		{variant.ConflictRetry, "failure user_cancelled (peer)"},
	}
	for _, tc := range cases {
		t.Run(tc.knob, func(t *testing.T) {
			v := variant.MustLoad("msc4388")
			v.Flow.WriteConflict = tc.knob
			w := newWorld(t, v, worldOpts{NIntent: qr.Login, Seed: 5}, user{CancelEAt: 6000})
			w.Run()
			if got := w.N.Outcome().String(); got != tc.wantN {
				t.Fatalf("N %s, want %s\n%s", got, tc.wantN, w.Log())
			}
			if got := w.E.Outcome().String(); got != "failure user_cancelled (sent)" {
				t.Fatalf("E %s", got)
			}
		})
	}
}

// TestRetryLandedWrite: with write_conflict "retry", a PUT whose answer was
// lost is retried and refused (its own first write moved the token); the
// re-read finds the device's own payload, so it counts as sent and is not
// written again: the run makes exactly one PUT more than the same run with
// nothing lost (the refused retry), and the login goes on.
func TestRetryLandedWrite(t *testing.T) {
	v := variant.MustLoad("msc4108-2024")
	v.Flow.WriteConflict = variant.ConflictRetry
	puts := func(lose bool) int {
		lost := false
		w := newWorld(t, v, worldOpts{NIntent: qr.Login, Seed: 3}, user{LoseResponse: func(r Request) bool {
			if lose && !lost && r.Method == "PUT" && r.Target == TargetRendezvous {
				lost = true
				return true
			}
			return false
		}})
		w.Run()
		if !w.N.Outcome().Success || !w.E.Outcome().Success {
			t.Fatalf("lose=%v: N %s, E %s\n%s", lose, w.N.Outcome(), w.E.Outcome(), w.Log())
		}
		return strings.Count(w.Log(), "rendezvous PUT")
	}
	if clean, lossy := puts(false), puts(true); lossy != clean+1 {
		t.Fatalf("%d PUTs with a lost answer, %d without: the landed write was written again", lossy, clean)
	}
}
