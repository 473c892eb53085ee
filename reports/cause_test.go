package reports

import (
	"slices"
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
		"timeout of GET /link?code=PGWM-NXDW&x (Browser)":                             "timeout of GET /link?code={id}&x (Browser)",
		"HTTP 404 to GET /a/b/INQ9VZJWAZ (E)":                                         "HTTP 404 to GET /a/b/{id} (E)",
		"timeout of PUT /_matrix/client/v1/rendezvous/db954aaf-5ff7 x":                "timeout of PUT /_matrix/client/v1/rendezvous/{id} x",
		"HTTP 404 to POST /_matrix/client/unstable/org.matrix.msc4108/rendezvous (N)": "HTTP 404 to POST /_matrix/client/unstable/org.matrix.msc4108/rendezvous (N)",
	} {
		if got := genericPath(in); got != want {
			t.Errorf("genericPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCauseTally checks the grouping of causes whose numbers vary: only
// standalone numbers are holes (not a version, a hex byte or a preset
// name's digits), numbers the runs share stay, those that differ read
// "…", the example is the lowest run's verbatim cause, and the order of
// the runs does not matter.
func TestCauseTally(t *testing.T) {
	shape, nums := causeShape(`invalid_qr: qr: rendezvous_id at offset 52: length 9316 runs past end (63 bytes left) (msc4388-726e115, v1, 0x03, 1.157) (N)`)
	if want := []string{"52", "9316", "63"}; !slices.Equal(nums, want) || strings.Count(shape, numHole) != 3 {
		t.Fatalf("causeShape: %q %q, want the numbers %q only", shape, nums, want)
	}
	causes := []string{
		"invalid_qr: length 9316 at offset 52 (N)",
		"invalid_qr: length 12 at offset 52 (N)",
		"invalid_qr: length 7 at offset 52 (N)",
	}
	var a, b CauseTally
	for i, c := range causes {
		a.Add(c, "verbatim "+c, uint64(10+i))
	}
	for i := len(causes) - 1; i >= 0; i-- {
		b.Add(causes[i], "verbatim "+causes[i], uint64(10+i))
	}
	for _, tl := range []*CauseTally{&a, &b} {
		if tl.N != 3 || tl.Text() != "invalid_qr: length … at offset 52 (N)" || tl.Example() != "verbatim "+causes[0] {
			t.Errorf("tally: %d runs, %q, example %q", tl.N, tl.Text(), tl.Example())
		}
	}
	var one CauseTally
	one.Add("HTTP 404 to POST /x (N)", "", 1)
	if one.Text() != "HTTP 404 to POST /x (N)" {
		t.Errorf("a single run's numbers are its own: %q", one.Text())
	}
}
