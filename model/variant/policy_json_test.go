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
	if v.Flow.TokenError != TokenErrorSilent || v.Flow.SessionDelete != SessionDeleteNever || v.Flow.DeviceWait != DeviceWaitAfterEachCheck {
		t.Fatalf("flow.token_error %q, session_delete %q, device_wait %q; want silent, never, after-each-check",
			v.Flow.TokenError, v.Flow.SessionDelete, v.Flow.DeviceWait)
	}
	for _, tc := range []struct{ from, to, field, want string }{
		{`"retry_budget_ms": 900000`, `"retry_budget_ms": 0`, "retries", "-1 (unlimited) only with a positive retry_budget_ms"},
		{`"backoff_factor": 2`, `"backoff_factor": 0.5`, "backoff_factor", "a number from 1 to 10"},
		{`"backoff_max_ms": 60000`, `"backoff_max_ms": 0`, "backoff_max_ms", "backoff_factor above 1"},
		{`"retry_budget_ms": 900000`, `"retry_budget_ms": -5`, "retry_budget_ms", "0 (no bound) or a positive"},
		{`"token_error": "silent"`, `"token_error": "shout"`, "flow.token_error", "delete-session, silent"},
		{`"session_delete": "never"`, `"session_delete": "sometimes"`, "flow.session_delete", "on-end, never"},
		{`"device_wait": "after-each-check"`, `"device_wait": "forever"`, "flow.device_wait", "deadline, after-each-check"},
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

// TestLoadCopiesPolicies: a preset handed out by Load has its own policy
// map, so setting a kind's policy on it leaves the next Load unchanged.
func TestLoadCopiesPolicies(t *testing.T) {
	v := MustLoad("rust-sdk-pr6173")
	p := v.Timing.Policy(KindDevices)
	p.RetryBudgetMillis = 3500
	v.Timing.Policies[KindDevices] = p
	if got := MustLoad("rust-sdk-pr6173").Timing.Policy(KindDevices).RetryBudgetMillis; got != 900000 {
		t.Fatalf("devices retry_budget_ms %d after a caller changed its copy, want 900000", got)
	}
}
