package sim

import (
	"slices"
	"strings"
	"testing"

	"qrlab/model/qr"
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

// TestOutsideCauseLostReadAnswer: a payload counts as read when an answer
// carrying it reaches the other device, not when the store serves it. The
// run: N writes m.login.protocol; the store serves it to E's GET, whose
// answer the network loses; N's deadline fires before E's timeout (the time
// abstraction lets both fire at any moment, the deadline early and the
// timeout late) and N writes m.login.failure over the payload E never got;
// E's next GET opens payload 2 where it expects payload 1 and ends
// channel_integrity. That is the double write strict alternation forbids
// (a cause inside the protocol), so failure-has-an-outside-cause must not
// fire, and the monitor must count the payload as overwritten unread.
func TestOutsideCauseLostReadAnswer(t *testing.T) {
	sc := snapCase{variant: "msc4388", intent: qr.Login, loss: 1}
	r := sc.runner(t)
	if err := r.StartStepped(1, Stepping{Loss: 1, UntimedAbove: 60_000, FreeLostTimeouts: true}); err != nil {
		t.Fatal(err)
	}
	w := r.r
	// carriesN reports whether pending answer c carries N's payload to E.
	carriesN := func(c Choice) bool {
		if c.Kind != "answer" || c.Actor != ActorExisting || c.Fault != FaultLose || len(w.mon.boxes) == 0 {
			return false
		}
		b := &w.mon.boxes[0]
		i := slices.IndexFunc(r.q.ev, func(e event) bool { return e.seq == c.Seq })
		return b.writer == ActorNew && w.n.State().String() == "waiting-accepted" &&
			strings.Contains(string(r.resps[r.q.ev[i].aux].resp.Body), b.spec.Data)
	}
	phase := 0 // 0: until the answer is lost; 1: until N's deadline fires; 2: to the end
	for steps := 0; ; steps++ {
		cs := r.Enabled(nil)
		if len(cs) == 0 || steps > 2000 {
			break
		}
		pick := -1
		switch phase {
		case 0:
			if pick = slices.IndexFunc(cs, carriesN); pick >= 0 {
				phase = 1
			}
		case 1:
			if pick = slices.IndexFunc(cs, func(c Choice) bool { return c.Untimed && c.Kind == "timer" && c.Actor == ActorNew }); pick >= 0 {
				phase = 2
			}
		}
		if pick < 0 {
			pick = slices.IndexFunc(cs, func(c Choice) bool { return c.Fault == FaultNone && (phase == 2 || !c.Untimed) })
		}
		if pick < 0 {
			t.Fatalf("phase %d, step %d: nothing to take among %+v", phase, steps, cs)
		}
		if err := r.Take(cs[pick]); err != nil {
			t.Fatal(err)
		}
	}
	res := r.Finish()
	if phase != 2 || res.Existing.Reason != "channel_integrity" {
		t.Fatalf("the run did not reach the situation (phase %d): N %+v, E %+v, violation %+v", phase, res.New, res.Existing, res.Violation)
	}
	if res.Violation != nil {
		t.Errorf("violation %s (%s): the payload E never got counts as read", res.Violation.Invariant, res.Violation.Detail)
	}
	if lost, _ := w.mon.unreadOverwrites(); !lost {
		t.Errorf("N's m.login.protocol, overwritten after its only answer to E was lost, is not counted as overwritten unread")
	}
}
