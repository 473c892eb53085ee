package login_test

import (
	"regexp"
	"strings"
	"testing"

	. "qrlab/model/login"
	"qrlab/model/qr"
	"qrlab/model/rendezvous"
	"qrlab/model/variant"
)

// opaqueID is the opaque identifier grammar transaction IDs must follow.
var opaqueID = regexp.MustCompile(`^[A-Za-z0-9._~-]{1,255}$`)

// TestTxnPutLostAnswer loses the answer to the first PUT of the MSC4388
// revision with transaction IDs: the machine retries the same write under
// the same txnId, the server replays the recorded outcome, and the login
// goes on. Every other write gets a fresh txnId in the opaque identifier
// grammar.
func TestTxnPutLostAnswer(t *testing.T) {
	for _, intent := range []qr.Intent{qr.Login, qr.Reciprocate} {
		t.Run(intent.String(), func(t *testing.T) {
			var puts []string
			lost := false
			u := user{LoseResponse: func(r Request) bool {
				if r.Target != TargetRendezvous || r.Method != "PUT" {
					return false
				}
				puts = append(puts, r.Path)
				if !lost {
					lost = true
					return true
				}
				return false
			}}
			w := runPreset(t, "msc4388-txn", intent, worldOpts{Seed: 11}, u)
			succeeded(t, w)
			if len(puts) < 3 || puts[0] != puts[1] {
				t.Fatalf("the retry of the lost PUT did not reuse its txnId: %q", puts)
			}
			if !strings.Contains(w.Log(), "PUT "+puts[0]+" -> 200\n") {
				t.Fatalf("no 200 for the retried PUT\n%s", w.Log())
			}
			seen := map[string]bool{}
			for i, p := range puts {
				txn := p[strings.LastIndexByte(p, '/')+1:]
				if !opaqueID.MatchString(txn) {
					t.Fatalf("txnId %q is not an opaque identifier", txn)
				}
				if strings.Count(strings.TrimPrefix(p, rendezvous.StablePrefix+"/"), "/") != 1 {
					t.Fatalf("PUT %s is not {prefix}/{id}/{txnId}", p)
				}
				if seen[txn] && i != 1 {
					t.Fatalf("txnId %q reused by another write: %q", txn, puts)
				}
				seen[txn] = true
			}
		})
	}
}

// TestRendezvousDiscovery checks the MSC4388 discovery step: the creating
// device asks GET {prefix} first and ends with rendezvous_unavailable, never
// creating, when create_available is false or the server does not know the
// endpoint.
func TestRendezvousDiscovery(t *testing.T) {
	notAvailable := func(path string, body []byte) []byte {
		if path == rendezvous.StablePrefix {
			return []byte(`{"create_available":false}`)
		}
		return body
	}
	cases := []struct {
		name   string
		intent qr.Intent // N's: Login makes N the creator, Reciprocate E
		o      worldOpts
		u      user
		detail string
	}{
		{"create_available false, N creates", qr.Login, worldOpts{}, user{TamperRendezvous: notAvailable}, "create_available is false"},
		{"create_available false, E creates", qr.Reciprocate, worldOpts{}, user{TamperRendezvous: notAvailable}, "create_available is false"},
		{"API off: 404 M_UNRECOGNIZED", qr.Login, worldOpts{RVEdit: func(c *rendezvous.Config) { c.Access = rendezvous.AccessOff }}, user{},
			"status 404 M_UNRECOGNIZED"},
		{"API off: 404 M_UNRECOGNIZED, E creates", qr.Reciprocate, worldOpts{RVEdit: func(c *rendezvous.Config) { c.Access = rendezvous.AccessOff }}, user{},
			"status 404 M_UNRECOGNIZED"},
		// A server that can create but has no discovery route answers 405.
		{"no discovery route: 405", qr.Login, worldOpts{RVEdit: func(c *rendezvous.Config) { c.Discovery = false }}, user{},
			"status 405 M_UNRECOGNIZED"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.o.Seed = 13
			w := runPreset(t, "msc4388-txn", tc.intent, tc.o, tc.u)
			var g Outcome
			if tc.intent == qr.Login {
				g = w.N.Outcome()
			} else {
				g = w.E.Outcome()
			}
			if g.Reason != ReasonRendezvousUnavailable || g.Sent || !strings.Contains(g.Detail, tc.detail) {
				t.Fatalf("G ended %s (%q), want rendezvous_unavailable with %q\n%s", g, g.Detail, tc.detail, w.Log())
			}
			if strings.Contains(w.Log(), "rendezvous POST") {
				t.Fatalf("created a session despite discovery\n%s", w.Log())
			}
		})
	}
	// Without the knob, nobody asks.
	w := runPreset(t, "msc4388", qr.Login, worldOpts{Seed: 13}, user{})
	if strings.Contains(w.Log(), "rendezvous GET "+rendezvous.StablePrefix+" ") {
		t.Fatalf("discovery without the knob\n%s", w.Log())
	}
}

// TestAuthenticatedCreate: on a homeserver that lets only signed-in users
// create rendezvous sessions, the existing device creates with its own
// access token, and a new device showing the QR code is refused.
func TestAuthenticatedCreate(t *testing.T) {
	for _, preset := range []string{"msc4108-2024", "msc4388"} {
		auth := func(c *rendezvous.Config) { c.Access = rendezvous.AccessAuthenticated }
		w := newWorld(t, variant.MustLoad(preset), worldOpts{NIntent: qr.Reciprocate, RVEdit: auth}, user{})
		w.Run()
		if !w.N.Outcome().Success || !w.E.Outcome().Success {
			t.Fatalf("%s: E shows the code: N %s, E %s\n%s", preset, w.N.Outcome(), w.E.Outcome(), w.Log())
		}
		w = newWorld(t, variant.MustLoad(preset), worldOpts{NIntent: qr.Login, RVEdit: auth}, user{})
		w.Run()
		if w.N.Outcome().Success || w.N.State() != StateFailed {
			t.Fatalf("%s: N shows the code on an authenticated-only server: N %s", preset, w.N.Outcome())
		}
	}
}
