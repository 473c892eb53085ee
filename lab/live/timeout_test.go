package live

import (
	"strings"
	"testing"
	"time"

	"qrlab/model/login"
)

// TestClientTimeout: a request's timeout reaches net/http as the simulator
// reads it: a policy's value as it is, NoTimeout (-1) as none (Client.Timeout
// 0), zero as the simulator's 30 s default; any other negative value is
// refused, naming it and the valid range.
func TestClientTimeout(t *testing.T) {
	for _, tc := range []struct {
		in   login.Millis
		want time.Duration
	}{
		{login.NoTimeout, 0},
		{0, 30 * time.Second},
		{1234, 1234 * time.Millisecond},
		{924_600, 924600 * time.Millisecond},
	} {
		got, err := ClientTimeout(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ClientTimeout(%d) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	_, err := ClientTimeout(-2)
	if err == nil || !strings.Contains(err.Error(), "-2 ms") || !strings.Contains(err.Error(), "-1 (none)") {
		t.Fatalf("ClientTimeout(-2): %v, want an error naming -2 and the valid values", err)
	}
}
