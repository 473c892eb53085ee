package reports

import (
	"strings"
	"testing"

	"qrlab/sim"
)

// TestCauseTable checks that a failure is reported under its root cause
// with both devices' endings, as mixed-clients fails: both devices end
// with rendezvous_expired, but the first fault is the 404 the new device
// got to its create POST (the record below is what the simulator writes
// for mixed-clients seed 1; scenarios' TestRootCauseMixedClients checks
// the simulator's side). Identifiers in paths are blanked.
func TestCauseTable(t *testing.T) {
	b := NewBuilder(nil)
	for seed := range uint64(3) {
		r := Record{Result: sim.Result{Seed: seed, Variant: "rust-sdk-pr6173", Agreement: "both-failure", TraceHash: "h",
			SignedInMillis: -1, SecretsMillis: -1, EndMillis: 120026,
			New:       sim.Ending{Outcome: "failure", Reason: "rendezvous_expired", At: 120026},
			Existing:  sim.Ending{Outcome: "failure", Reason: "rendezvous_expired", At: 120000},
			RootCause: "HTTP 404 to POST /_matrix/client/unstable/org.matrix.msc4108/rendezvous (N)"}}
		if seed == 2 {
			r.Existing = sim.Ending{Success: true, Outcome: "success", At: 5000}
			r.Agreement = "existing-only"
			r.RootCause = "timeout of GET /_matrix/client/v1/rendezvous/bf2b1b04-e6d5-434a-aab9-bae98e199a02 (N)"
		}
		if err := b.Add(&r); err != nil {
			t.Fatal(err)
		}
	}
	b.Finish()
	md, err := b.Markdown()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| all runs | `rendezvous_expired` | `rendezvous_expired` | no | `HTTP 404 to POST /_matrix/client/unstable/org.matrix.msc4108/rendezvous (N)` | 2 | 66.7% |",
		"| all runs | `rendezvous_expired` | `success` | yes | `timeout of GET /_matrix/client/v1/rendezvous/{id} (N)` | 1 | 33.3% |",
		"| all runs | 0 | – | – | – | 3 | 120.0 s | 120.0 s | 120.0 s |",
	} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report lacks\n%s\n%s", want, md)
		}
	}
}

// TestGenericPath checks which path segments are taken for identifiers.
func TestGenericPath(t *testing.T) {
	for in, want := range map[string]string{
		"HTTP 404 to GET /_matrix/client/v3/devices/INQPVZJWAZ (E)":                   "HTTP 404 to GET /_matrix/client/v3/devices/{id} (E)",
		"HTTP 400 to POST /oauth2/token (N)":                                          "HTTP 400 to POST /oauth2/token (N)",
		"HTTP 404 to GET /a/b/INQ9VZJWAZ (E)":                                         "HTTP 404 to GET /a/b/{id} (E)",
		"timeout of PUT /_matrix/client/v1/rendezvous/db954aaf-5ff7 x":                "timeout of PUT /_matrix/client/v1/rendezvous/{id} x",
		"HTTP 404 to POST /_matrix/client/unstable/org.matrix.msc4108/rendezvous (N)": "HTTP 404 to POST /_matrix/client/unstable/org.matrix.msc4108/rendezvous (N)",
	} {
		if got := genericPath(in); got != want {
			t.Errorf("genericPath(%q) = %q, want %q", in, got, want)
		}
	}
}
