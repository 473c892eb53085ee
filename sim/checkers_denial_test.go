package sim

import (
	"strings"
	"testing"

	"qrlab/model/variant"
)

// TestDenialComplaint: once the provider's refusal reached the new device,
// N must end with the design's word for it (declined, or user_cancelled
// when the design says so); an ending before the refusal, or no refusal,
// is not judged.
func TestDenialComplaint(t *testing.T) {
	end := func(reason string, at Millis) *Result {
		return &Result{New: Ending{Outcome: "failure " + reason, Reason: reason, At: at}}
	}
	cases := []struct {
		name     string
		deniedAt Millis
		denial   string
		res      *Result
		bad      bool
	}{
		{"no refusal", -1, variant.DenialDeclined, end("http_error", 10), false},
		{"declined", 5, variant.DenialDeclined, end("declined", 5), false},
		{"cancel dialect", 5, variant.DenialUserCancelled, end("user_cancelled", 5), false},
		{"wrong dialect", 5, variant.DenialUserCancelled, end("declined", 5), true},
		{"misreported", 5, variant.DenialDeclined, end("http_error", 5), true},
		{"ended before", 5, variant.DenialDeclined, end("timeout", 4), false},
		{"never ended", 5, variant.DenialDeclined, &Result{}, true},
		{"signed in anyway", 5, variant.DenialDeclined, &Result{New: Ending{Success: true, Outcome: "success", At: 9}}, true},
	}
	for _, c := range cases {
		got := denialComplaint(c.deniedAt, c.denial, c.res)
		if (got != "") != c.bad {
			t.Errorf("%s: complaint %q, want one: %v", c.name, got, c.bad)
		}
		if c.bad && !strings.Contains(got, "refusal") {
			t.Errorf("%s: complaint %q does not say what happened", c.name, got)
		}
	}
}
