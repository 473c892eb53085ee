package calibrate

// Think is the user's constant think times in milliseconds, the same on
// the real stack and in the simulator (sim.User with constant
// distributions), and the browser's patience.
type Think struct {
	Scan, TypeCode, Consent, Confirm, BrowserOpen int64
	// BrowserRetryMillis is how long a page may take before the user
	// reloads it; BrowserRetries how many reloads before giving up.
	BrowserRetryMillis int64
	BrowserRetries     int
}

// FastUser is a quick, faultless user: the login's time is then the
// protocol's and the network's, not the person's.
func FastUser() Think {
	return Think{Scan: 300, TypeCode: 300, Consent: 300, Confirm: 300, BrowserOpen: 100, BrowserRetryMillis: 15000, BrowserRetries: 3}
}
