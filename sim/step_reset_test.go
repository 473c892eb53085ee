package sim

import (
	"strings"
	"testing"

	"qrlab/model/variant"
)

// TestSteppedReset: with a reset budget of one, a message can be reset
// once: its client hears a transport error at once (no timeout waited
// for), the budget is spent (no further reset is offered), and an
// attentive run without the budget offers none.
func TestSteppedReset(t *testing.T) {
	r, err := NewRunner(Config{Variant: variant.MustLoad("msc4388"), Network: stepNet(t), Transport: stepTransport, KeepTrace: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.StartStepped(1, Stepping{}); err != nil {
		t.Fatal(err)
	}
	var buf []Choice
	for range 40 {
		buf = r.Enabled(buf)
		for _, c := range buf {
			if c.Fault == FaultReset {
				t.Fatalf("reset offered without a budget: %s", c.Label)
			}
		}
		if len(buf) == 0 {
			break
		}
		if err := r.Take(buf[0]); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.StartStepped(1, Stepping{Resets: 1}); err != nil {
		t.Fatal(err)
	}
	c := walkTo(t, r, FaultReset)
	before := r.Now()
	if err := r.Take(c); err != nil {
		t.Fatal(err)
	}
	if r.Now() != before {
		t.Errorf("the reset moved the clock from %d to %d ms", before, r.Now())
	}
	found := false
	for _, e := range r.Trace().Events {
		found = found || (e.Kind == EvRecv && e.Detail == "transport error: "+resetDetail)
	}
	if !found {
		t.Error("no transport error reached the client")
	}
	for _, c := range r.Enabled(nil) {
		if c.Fault == FaultReset {
			t.Fatalf("a second reset offered with a budget of one: %s", c.Label)
		}
	}
	for _, m := range r.Enabled(nil) {
		if m.Message() {
			if err := r.Take(Choice{Seq: m.Seq, Fault: FaultReset}); err == nil || !strings.Contains(err.Error(), "reset budget 1 spent") {
				t.Errorf("a spent reset budget: %v", err)
			}
			break
		}
	}
	if err := r.StartStepped(1, Stepping{Resets: -1}); err == nil {
		t.Error("a negative reset budget was taken")
	}
}
