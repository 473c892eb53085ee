package calibrate

import (
	"math/rand/v2"
	"time"
)

// Think is the user's think times in milliseconds, the same on the real
// stack and in the simulator: each is uniform between its value and its
// value plus JitterMillis (sim.User with uniform distributions). The jitter
// spreads the phases of the devices' one-second polls, so that the
// comparison is not decided by where a fixed schedule happens to put a
// request just before or just after a poll. BrowserRetryMillis and
// BrowserRetries are the browser's patience.
type Think struct {
	Scan, TypeCode, Consent, Confirm, BrowserOpen int64
	JitterMillis                                  int64
	// BrowserRetryMillis is how long a page may take before the user
	// reloads it; BrowserRetries how many reloads before giving up.
	BrowserRetryMillis int64
	BrowserRetries     int
}

// FastUser is a quick, faultless user: the login's time is then the
// protocol's and the network's, not the person's.
func FastUser() Think {
	return Think{Scan: 300, TypeCode: 300, Consent: 300, Confirm: 300, BrowserOpen: 100, JitterMillis: 1000,
		BrowserRetryMillis: 15000, BrowserRetries: 3}
}

// draw is one think time of base milliseconds.
func (t Think) draw(base int64) time.Duration {
	d := base
	if t.JitterMillis > 0 {
		d += rand.Int64N(t.JitterMillis + 1)
	}
	return time.Duration(d) * time.Millisecond
}
