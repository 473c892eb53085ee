package sim

import (
	"strings"
	"testing"

	"qrlab/model/variant"
)

// TestOutsideCause: with no adversary, one design on both devices and no
// payload lost unread, an ending in channel_integrity,
// unexpected_message_received or invalid_qr on either device is a
// violation; an adversary, a second design or a payload overwritten
// unread explains it; other failures (a user's cancel, a timeout) and
// successes are never judged.
func TestOutsideCause(t *testing.T) {
	plain := newTestRunner(t, "msc4388-726e115")
	fail := func(reason string) *Result {
		return &Result{New: Ending{Outcome: "failure " + reason, Reason: reason, At: 40}, Existing: Ending{Outcome: "failure user_cancelled", Reason: "user_cancelled", At: 30}}
	}
	for _, reason := range []string{"channel_integrity", "unexpected_message_received", "invalid_qr"} {
		if d := plain.outsideCauseComplaint(fail(reason), false); !strings.Contains(d, "N ended "+reason) {
			t.Errorf("%s with no cause: %q", reason, d)
		}
		if d := plain.outsideCauseComplaint(fail(reason), true); d != "" {
			t.Errorf("%s after a payload lost unread: %q", reason, d)
		}
	}
	for _, reason := range []string{"user_cancelled", "timeout", "check_code_mismatch"} {
		if d := plain.outsideCauseComplaint(fail(reason), false); d != "" {
			t.Errorf("%s judged: %q", reason, d)
		}
	}
	cfg := plain.Config()
	cfg.Adversaries = []string{"camera"}
	if d := mustRunner(t, cfg).outsideCauseComplaint(fail("invalid_qr"), false); d != "" {
		t.Errorf("the camera is a cause: %q", d)
	}
	cfg = plain.Config()
	nv := variant.MustLoad("js-sdk-develop")
	cfg.NewVariant = &nv
	if d := mustRunner(t, cfg).outsideCauseComplaint(fail("channel_integrity"), false); d != "" {
		t.Errorf("two designs are a cause: %q", d)
	}
}
