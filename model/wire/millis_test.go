package wire

import (
	"encoding/json"
	"testing"
	"time"
)

// TestMillis checks the conversions every model relies on: whole seconds
// rounded down, a wall-clock round trip, and JSON as a plain integer.
func TestMillis(t *testing.T) {
	for _, tc := range []struct {
		m    Millis
		secs int64
	}{{0, 0}, {999, 0}, {Second, 1}, {Minute + 1999, 61}} {
		if got := tc.m.Seconds(); got != tc.secs {
			t.Errorf("%d.Seconds() = %d, want %d", tc.m, got, tc.secs)
		}
	}
	t0 := MillisOf(time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC))
	if t0 != 1795824000000 || MillisOf(t0.Time()) != t0 || t0.Time().Format(time.RFC3339) != "2026-11-28T00:00:00Z" {
		t.Errorf("wall-clock round trip: %d %v", t0, t0.Time())
	}
	b, err := json.Marshal(struct{ At Millis }{1500})
	if err != nil || string(b) != `{"At":1500}` {
		t.Errorf("JSON: %s %v", b, err)
	}
}
