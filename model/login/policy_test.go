package login_test

import (
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"qrlab/model/homeserver"
	. "qrlab/model/login"
	"qrlab/model/oauth"
	"qrlab/model/qr"
	"qrlab/model/variant"
)

// policy returns msc4388 with one request kind's policy set.
func policy(kind string, p variant.RequestPolicy) variant.Variant {
	return policyOn("msc4388", kind, p)
}

// policyOn returns the preset with one request kind's policy set.
func policyOn(preset, kind string, p variant.RequestPolicy) variant.Variant {
	v := variant.MustLoad(preset)
	v.Timing.Policies = map[string]variant.RequestPolicy{kind: p}
	return v
}

func intp(n int) *int { return &n }

// failOnce returns a response filter that replaces the answer to the first
// request match accepts with status (0: the answer is lost in transit).
func failOnce(match func(Request) bool, status int) (func(Request, Response) Response, *bool) {
	done := new(bool)
	return func(r Request, resp Response) Response {
		if !*done && match(r) {
			*done = true
			return Response{Status: status}
		}
		return resp
	}, done
}

// isPoll matches a rendezvous GET: the first one of a login is the
// creating device's first poll.
func isPoll(r Request) bool { return r.Target == TargetRendezvous && r.Method == "GET" }

func isPut(r Request) bool { return r.Target == TargetRendezvous && r.Method == "PUT" }

// runPolicy runs a login in which the first request match accepts is
// answered with status (0: lost), and returns N's and E's outcomes and the log.
func runPolicy(t *testing.T, v variant.Variant, match func(Request) bool, status int) (string, string, string) {
	t.Helper()
	rw, done := failOnce(match, status)
	u := user{RewriteRendezvous: rw}
	if status == 0 {
		u = user{LoseResponse: func(r Request) bool { return rw(r, Response{Status: 1}).Status == 0 }}
	}
	w := newWorld(t, v, worldOpts{NIntent: qr.Reciprocate, Seed: 3}, u)
	w.Run()
	if !*done {
		t.Fatalf("no request matched\n%s", w.Log())
	}
	return w.N.Outcome().String(), w.E.Outcome().String(), w.Log()
}

// TestPolicyTimeout: a kind's timeout_ms is the Timeout of its requests;
// other kinds keep http_timeout_ms.
func TestPolicyTimeout(t *testing.T) {
	v := policy(variant.KindRendezvousPoll, variant.RequestPolicy{TimeoutMillis: 1234})
	polls, puts := map[Millis]int{}, map[Millis]int{}
	w := newWorld(t, v, worldOpts{NIntent: qr.Reciprocate, Seed: 3}, user{LoseResponse: func(r Request) bool {
		if isPoll(r) {
			polls[r.Timeout]++
		} else if isPut(r) {
			puts[r.Timeout]++
		}
		return false
	}})
	w.Run()
	// The new device's one read of the session (not a poll) keeps the default.
	if len(polls) != 2 || polls[1234] < 2 {
		t.Fatalf("GET timeouts %v, want polls at 1234", polls)
	}
	if len(puts) != 1 || puts[Millis(v.Timing.HTTPTimeoutMillis)] == 0 {
		t.Fatalf("PUT timeouts %v, want all %d", puts, v.Timing.HTTPTimeoutMillis)
	}
}

// TestPolicyRetries: msc4388 retries a PUT whose answer was lost and signs
// in; with the write's retries at 0 the same loss ends N's login.
func TestPolicyRetries(t *testing.T) {
	n, _, log := runPolicy(t, variant.MustLoad("msc4388"), isPut, 0)
	if n != "success" {
		t.Fatalf("default: N %s\n%s", n, log)
	}
	n, _, log = runPolicy(t, policy(variant.KindRendezvousWrite, variant.RequestPolicy{Retries: intp(0)}), isPut, 0)
	if !strings.HasPrefix(n, "failure timeout") {
		t.Fatalf("retries 0: N %s, want failure timeout\n%s", n, log)
	}
}

// TestPolicyBackoff: the retried PUT goes backoff_ms after the lost one.
func TestPolicyBackoff(t *testing.T) {
	_, _, log := runPolicy(t, policy(variant.KindRendezvousWrite, variant.RequestPolicy{BackoffMillis: 1700}), isPut, 0)
	m := regexp.MustCompile(`(?m)^\s*(\d+)\s+rendezvous PUT .*\n\s*\d+\s+\(answer lost\)`).FindStringSubmatch(log)
	if m == nil {
		t.Fatalf("no lost PUT\n%s", log)
	}
	a, _ := strconv.Atoi(m[1])
	if !regexp.MustCompile(`(?m)^\s*` + strconv.Itoa(a+1700) + `\s+rendezvous PUT `).MatchString(log) {
		t.Fatalf("no PUT 1700 ms after the lost one at %d\n%s", a, log)
	}
}

// TestPolicyPollErrors: a poll answered 503 (http_error) or lost
// (transport_error) ends the login when fatal, and is followed by the next
// poll with "poll-again".
func TestPolicyPollErrors(t *testing.T) {
	for _, tc := range []struct {
		status int
		p      variant.RequestPolicy
		want   string
	}{
		{503, variant.RequestPolicy{Retries: intp(0)}, "failure http_error"},
		{503, variant.RequestPolicy{Retries: intp(0), HTTPError: variant.ErrorPollAgain}, "success"},
		{0, variant.RequestPolicy{Retries: intp(0)}, "failure timeout"},
		{0, variant.RequestPolicy{Retries: intp(0), TransportError: variant.ErrorPollAgain}, "success"},
	} {
		n, e, log := runPolicy(t, policy(variant.KindRendezvousPoll, tc.p), isPoll, tc.status)
		if got := n + "/" + e; !strings.Contains(got, tc.want) {
			t.Fatalf("status %d, %+v: N %s, E %s, want %s\n%s", tc.status, tc.p, n, e, tc.want, log)
		}
	}
}

// TestPolicyWriteIgnore: a PUT that landed but was answered 503 ends the
// login when fatal; with "ignore" it counts as written and the login goes on
// (on the 2024 stack: with msc4388's token-bound AAD the device that never
// learnt the new token cannot open the next message).
func TestPolicyWriteIgnore(t *testing.T) {
	policy := func(kind string, p variant.RequestPolicy) variant.Variant { return policyOn("msc4108-2024", kind, p) }
	n, _, log := runPolicy(t, policy(variant.KindRendezvousWrite, variant.RequestPolicy{Retries: intp(0)}), isPut, 503)
	if !strings.HasPrefix(n, "failure http_error") {
		t.Fatalf("fatal: N %s\n%s", n, log)
	}
	n, e, log := runPolicy(t, policy(variant.KindRendezvousWrite, variant.RequestPolicy{Retries: intp(0), HTTPError: variant.ErrorIgnore}), isPut, 503)
	if n != "success" || e != "success" {
		t.Fatalf("ignore: N %s, E %s\n%s", n, e, log)
	}
}

// TestPolicyTokenBackoff: a lost token-poll answer ends the login by
// default; with "backoff" the next poll comes after twice the interval
// (capped at backoff_max_ms) and the login signs in.
func TestPolicyTokenBackoff(t *testing.T) {
	isToken := func(r Request) bool { return strings.HasSuffix(r.Path, oauth.PathToken) }
	for _, tc := range []struct {
		max  int64
		gap  int
		want string
	}{{0, 0, "failure timeout"}, {10000, 10000, "success"}, {7000, 7000, "success"}} {
		p := variant.RequestPolicy{Retries: intp(0)}
		if tc.max > 0 {
			p.TransportError, p.BackoffMaxMillis = variant.ErrorBackoff, tc.max
		}
		v := policy(variant.KindTokenPoll, p)
		lost := false
		w := newWorld(t, v, worldOpts{NIntent: qr.Reciprocate, Seed: 4}, user{ConsentDelay: 30000,
			LoseResponse: func(r Request) bool {
				if !lost && isToken(r) {
					lost = true
					return true
				}
				return false
			}})
		w.Run()
		if got := w.N.Outcome().String(); !strings.HasPrefix(got, tc.want) {
			t.Fatalf("max %d: N %s, want %s\n%s", tc.max, got, tc.want, w.Log())
		}
		if tc.gap == 0 {
			continue
		}
		m := regexp.MustCompile(`(?m)^\s*(\d+)\s+op POST /oauth2/token`).FindAllStringSubmatch(w.Log(), -1)
		if len(m) < 2 {
			t.Fatalf("fewer than two polls\n%s", w.Log())
		}
		a, _ := strconv.Atoi(m[0][1])
		b, _ := strconv.Atoi(m[1][1])
		if b-a != tc.gap {
			t.Fatalf("max %d: second poll %d ms after the first, want %d", tc.max, b-a, tc.gap)
		}
	}
}

// TestPolicyRefused: a policy for an unknown kind, an error handling its
// kind cannot have, or a backoff without its cap is refused, naming the field.
func TestPolicyRefused(t *testing.T) {
	for _, tc := range []struct {
		kind  string
		p     variant.RequestPolicy
		field string
	}{
		{"pings", variant.RequestPolicy{}, `timing.policies["pings"]`},
		{variant.KindWhoami, variant.RequestPolicy{HTTPError: variant.ErrorPollAgain}, "http_error"},
		{variant.KindRendezvousPoll, variant.RequestPolicy{TransportError: variant.ErrorBackoff}, "transport_error"},
		{variant.KindTokenPoll, variant.RequestPolicy{TransportError: variant.ErrorBackoff}, "backoff_max_ms"},
		{variant.KindDevices, variant.RequestPolicy{Retries: intp(101)}, "retries"},
		{variant.KindDevices, variant.RequestPolicy{Retries: intp(-2), RetryBudgetMillis: 1000}, "retries"},
		{variant.KindDevices, variant.RequestPolicy{TransportRetries: intp(-1)}, "transport_retries"},
		{variant.KindDevices, variant.RequestPolicy{TimeoutRetries: intp(101)}, "timeout_retries"},
		{variant.KindDevices, variant.RequestPolicy{RetryBudgetMillis: -1}, "retry_budget_ms"},
		{variant.KindDevices, variant.RequestPolicy{BackoffFactor: 0.5}, "backoff_factor"},
		{variant.KindDevices, variant.RequestPolicy{BackoffFactor: 11, BackoffMaxMillis: 1000}, "backoff_factor"},
		{variant.KindDevices, variant.RequestPolicy{BackoffFactor: 2}, "backoff_max_ms"},
		{variant.KindDevices, variant.RequestPolicy{BackoffMaxMillis: 1000}, "backoff_max_ms"},
		{variant.KindKeysUpload, variant.RequestPolicy{TimeoutMillis: -2}, "timeout_ms"},
	} {
		v := policy(tc.kind, tc.p)
		err := v.Validate()
		if !errors.Is(err, variant.ErrVariant) || !strings.Contains(err.Error(), tc.field) {
			t.Fatalf("%s %+v: %v, want an error naming %s", tc.kind, tc.p, err, tc.field)
		}
	}
}

// TestPolicyTransportRetries: transport_retries applies to a try whose
// connection failed, not to one that timed out: with it at 0 a PUT whose
// connection broke ends N's login, while a PUT that timed out is still
// retried as retries says.
func TestPolicyTransportRetries(t *testing.T) {
	v := policy(variant.KindRendezvousWrite, variant.RequestPolicy{TransportRetries: intp(0)})
	for _, tc := range []struct {
		fail Failure
		want string
	}{{FailureTransport, "failure timeout"}, {FailureTimeout, "success"}, {FailureUnknown, "success"}} {
		done := false
		rw := func(r Request, resp Response) Response {
			if !done && isPut(r) {
				done = true
				return Response{Failure: tc.fail}
			}
			return resp
		}
		w := newWorld(t, v, worldOpts{NIntent: qr.Reciprocate, Seed: 3}, user{RewriteRendezvous: rw})
		w.Run()
		if n := w.N.Outcome().String(); !done || !strings.HasPrefix(n, tc.want) {
			t.Errorf("failure %d: N %s, want %s\n%s", tc.fail, n, tc.want, w.Log())
		}
	}
}

// TestPolicyTimeoutRetries: timeout_retries applies to a try the client's
// own timeout ended, not to one whose connection failed; with both at 0 and
// retries at 2 (the Rust SDK's default RequestConfig: 429 and 5xx retried,
// any reqwest error not) a timed-out or broken PUT ends N's login and a 503
// is retried.
func TestPolicyTimeoutRetries(t *testing.T) {
	v := policy(variant.KindRendezvousWrite, variant.RequestPolicy{Retries: intp(2), TimeoutRetries: intp(0)})
	for _, tc := range []struct {
		fail   Failure
		status int
		want   string
	}{{FailureTimeout, 0, "failure timeout"}, {FailureTransport, 0, "success"}, {FailureUnknown, 0, "success"}, {0, 503, "success"}} {
		done := false
		rw := func(r Request, resp Response) Response {
			if !done && isPut(r) {
				done = true
				return Response{Status: tc.status, Failure: tc.fail}
			}
			return resp
		}
		w := newWorld(t, v, worldOpts{NIntent: qr.Reciprocate, Seed: 3}, user{RewriteRendezvous: rw})
		w.Run()
		if n := w.N.Outcome().String(); !done || !strings.HasPrefix(n, tc.want) {
			t.Errorf("failure %d status %d: N %s, want %s\n%s", tc.fail, tc.status, n, tc.want, w.Log())
		}
	}
	both := policy(variant.KindRendezvousWrite, variant.RequestPolicy{Retries: intp(2), TimeoutRetries: intp(0), TransportRetries: intp(0)})
	for _, fail := range []Failure{FailureTimeout, FailureTransport} {
		done := false
		rw := func(r Request, resp Response) Response {
			if !done && isPut(r) {
				done = true
				return Response{Failure: fail}
			}
			return resp
		}
		w := newWorld(t, both, worldOpts{NIntent: qr.Reciprocate, Seed: 3}, user{RewriteRendezvous: rw})
		w.Run()
		if n := w.N.Outcome().String(); !strings.HasPrefix(n, "failure timeout") {
			t.Errorf("both at 0, failure %d: N %s, want failure timeout", fail, n)
		}
	}
}

// TestPolicyBackoffSchedule: backoff_factor, backoff_max_ms and
// retry_budget_ms give the Rust SDK's schedule (http_client/native.rs over
// backon's ExponentialBuilder): a device check answered 502 every time is
// retried after 0.5, 1, 2 ... 32 s, then every 60 s while the sum of the
// waits stays within 15 min, 20 retries (63.5 s + 13 × 60 s = 843.5 s; one
// more would make 903.5 s).
func TestPolicyBackoffSchedule(t *testing.T) {
	v := variant.MustLoad("element-x")
	w := newWorld(t, v, worldOpts{NIntent: qr.Reciprocate, Seed: 3},
		user{RewriteHS: failOn(homeserver.PathDevicesPrefix, 502)})
	w.Run()
	m := regexp.MustCompile(`(?m)^\s*(\d+)\s+homeserver GET `+regexp.QuoteMeta(homeserver.PathDevicesPrefix)).FindAllStringSubmatch(w.Log(), -1)
	var waits []int
	for i := 1; i < len(m); i++ {
		a, _ := strconv.Atoi(m[i-1][1])
		b, _ := strconv.Atoi(m[i][1])
		waits = append(waits, b-a)
	}
	want := []int{500, 1000, 2000, 4000, 8000, 16000, 32000}
	for range 13 {
		want = append(want, 60000)
	}
	if !slices.Equal(waits, want) {
		t.Fatalf("waits between device checks %v, want %v\n%s", waits, want, w.Log())
	}
	// The same policy with a budget of 3.5 s stops after 0.5 + 1 + 2 s.
	p := v.Timing.Policy(variant.KindDevices)
	p.RetryBudgetMillis = 3500
	v.Timing.Policies[variant.KindDevices] = p
	w = newWorld(t, v, worldOpts{NIntent: qr.Reciprocate, Seed: 3},
		user{RewriteHS: failOn(homeserver.PathDevicesPrefix, 502)})
	w.Run()
	if n := strings.Count(w.Log(), "homeserver GET "+homeserver.PathDevicesPrefix); n != 4 {
		t.Fatalf("budget 3500 ms: %d device checks, want 4\n%s", n, w.Log())
	}
}

// TestPolicyUnlimitedSpareOtherCounts: retries -1 retries a 503 until the
// budget, while transport_retries and timeout_retries 0 still end the login
// on the first timeout or broken connection (the Rust SDK retries no reqwest
// error without a retry limit).
func TestPolicyUnlimitedSpareOtherCounts(t *testing.T) {
	v := policy(variant.KindRendezvousWrite, variant.RequestPolicy{Retries: intp(variant.Unlimited),
		TransportRetries: intp(0), TimeoutRetries: intp(0), BackoffMillis: 100, RetryBudgetMillis: 250})
	for _, tc := range []struct {
		times  int
		fail   Failure
		status int
		want   string
	}{
		{2, 0, 503, "success"},            // 2 retries, 200 ms of waits
		{3, 0, 503, "failure http_error"}, // a third would make 300 ms
		{1, FailureTimeout, 0, "failure timeout"},
		{1, FailureTransport, 0, "failure timeout"},
	} {
		n := 0
		rw := func(r Request, resp Response) Response {
			if n < tc.times && isPut(r) {
				n++
				return Response{Status: tc.status, Failure: tc.fail}
			}
			return resp
		}
		w := newWorld(t, v, worldOpts{NIntent: qr.Reciprocate, Seed: 3}, user{RewriteRendezvous: rw})
		w.Run()
		if got := w.N.Outcome().String(); !strings.HasPrefix(got, tc.want) {
			t.Errorf("%d× failure %d status %d: N %s, want %s\n%s", tc.times, tc.fail, tc.status, got, tc.want, w.Log())
		}
	}
}
