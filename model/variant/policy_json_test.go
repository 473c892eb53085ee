package variant

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
)

// TestPolicyKnobsFromJSON: the backoff and token-error knobs come from the
// preset file as written (rust-sdk-pr6173's whoami policy and
// flow.token_error), and a file with a value out of range is refused with
// the file, the field and the valid range.
func TestPolicyKnobsFromJSON(t *testing.T) {
	b, err := os.ReadFile("presets/rust-sdk-pr6173.json")
	if err != nil {
		t.Fatal(err)
	}
	v, err := Parse(b, "rust-sdk-pr6173.json")
	if err != nil {
		t.Fatal(err)
	}
	p := v.Timing.Policy(KindWhoami)
	if p.TimeoutMillis != 30000 || *p.Retries != Unlimited || *p.TransportRetries != 0 || *p.TimeoutRetries != 0 ||
		p.BackoffMillis != 500 || p.BackoffFactor != 2 || p.BackoffMaxMillis != 60000 || p.RetryBudgetMillis != 900000 {
		t.Fatalf("whoami policy %+v, want the Rust SDK's RequestConfig default", p)
	}
	if v.Flow.TokenError != TokenErrorSilent {
		t.Fatalf("flow.token_error %q, want silent", v.Flow.TokenError)
	}
	for _, tc := range []struct{ from, to, field, want string }{
		{`"retry_budget_ms": 900000`, `"retry_budget_ms": 0`, "retries", "-1 (unlimited) only with a positive retry_budget_ms"},
		{`"backoff_factor": 2`, `"backoff_factor": 0.5`, "backoff_factor", "a number from 1 to 10"},
		{`"backoff_max_ms": 60000`, `"backoff_max_ms": 0`, "backoff_max_ms", "backoff_factor above 1"},
		{`"retry_budget_ms": 900000`, `"retry_budget_ms": -5`, "retry_budget_ms", "0 (no bound) or a positive"},
		{`"token_error": "silent"`, `"token_error": "shout"`, "flow.token_error", "delete-session, silent"},
	} {
		bad := bytes.Replace(b, []byte(tc.from), []byte(tc.to), 1)
		if bytes.Equal(bad, b) {
			t.Fatalf("%s not in the preset", tc.from)
		}
		_, err := Parse(bad, "mine.json")
		if !errors.Is(err, ErrVariant) || !strings.Contains(err.Error(), "mine.json") ||
			!strings.Contains(err.Error(), tc.field) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error naming mine.json, %s and %q", tc.to, err, tc.field, tc.want)
		}
	}
}
