package wire

import "time"

// Millis is a point in time or a duration, in milliseconds. Points are
// milliseconds of virtual time since a run's start, or since the Unix epoch
// when a caller wants real dates (the rendezvous store's Expires and
// Last-Modified headers and expires_ts). The models never read a clock:
// every call takes the time as an argument. One type for every model, so
// that a harness passes the same value to each server and machine.
type Millis int64

// Durations in Millis.
const (
	Millisecond Millis = 1
	Second      Millis = 1000
	Minute      Millis = 60 * Second
)

// Seconds returns m in whole seconds, rounded down, as the OAuth JSON fields
// (expires_in, interval) carry them.
func (m Millis) Seconds() int64 { return int64(m / Second) }

// MillisOf converts a wall-clock time the caller provides to Millis since
// the Unix epoch.
func MillisOf(t time.Time) Millis { return Millis(t.UnixMilli()) }

// Time converts Millis since the Unix epoch to a time.Time in UTC.
func (m Millis) Time() time.Time { return time.UnixMilli(int64(m)).UTC() }
