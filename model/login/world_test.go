package login_test

import (
	"fmt"

	. "qrlab/model/login"
	"qrlab/model/login/logintest"
	"qrlab/model/qr"
	"qrlab/model/variant"
)

// The tests of this package drive logins with logintest; these short
// names keep their tables readable.
type (
	world     = logintest.World
	worldOpts = logintest.Options
	user      = logintest.User
)

const aliceID = logintest.AliceID

// tb is what the helpers need of testing.TB and rapid.T.
type tb interface {
	Helper()
	Fatal(args ...any)
}

// forge returns a forgery: the device (N if byN), on entering state when,
// puts plaintext sealed with its own channel in the mailbox.
func forge(byN bool, when State, plaintext string) *logintest.Forgery {
	return &logintest.Forgery{ByN: byN, When: when, Plaintext: plaintext,
		Put: func(m logintest.Machine, now Millis, pt string) ([]Effect, error) { return ForgePut(m, now, pt) }}
}

// newWorld builds a world for v, failing the test on error.
func newWorld(t tb, v variant.Variant, o worldOpts, u user) *world {
	t.Helper()
	w, err := logintest.NewWorld(v, o, u)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// runPreset runs one login of preset, edited by o.VEdit, with N's intent,
// and returns the world once both devices ended (or the step cap).
func runPreset(t tb, preset string, intent qr.Intent, o worldOpts, u user) *world {
	t.Helper()
	o.NIntent = intent
	w := newWorld(t, variant.MustLoad(preset), o, u)
	w.Run()
	if err := w.Err(); err != nil {
		t.Fatal(err)
	}
	return w
}

// succeeded fails the test unless both devices ended signed in, and returns
// their outcomes.
func succeeded(t tb, w *world) (n, e Outcome) {
	t.Helper()
	n, e = w.N.Outcome(), w.E.Outcome()
	if !n.Success || !e.Success {
		t.Fatal(fmt.Sprintf("N %s, E %s\n%s", n, e, w.Log()))
	}
	return n, e
}
