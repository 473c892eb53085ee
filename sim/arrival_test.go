package sim

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"qrlab/model/homeserver"
	"qrlab/model/login"
	"qrlab/model/oauth"
	"qrlab/model/qr"
)

// stepFirst takes, until the run stops, the first choice pick accepts at
// each state, else the first without a fault; it returns the steps taken.
func stepFirst(t *testing.T, r *Runner, pick func(c Choice) bool) int {
	t.Helper()
	steps := 0
	for ; steps < 3000; steps++ {
		cs := r.Enabled(nil)
		if len(cs) == 0 {
			return steps
		}
		i := -1
		if pick != nil {
			i = slices.IndexFunc(cs, pick)
		}
		if i < 0 {
			i = slices.IndexFunc(cs, func(c Choice) bool { return c.Fault == FaultNone })
		}
		if i < 0 {
			t.Fatalf("step %d: nothing to take among %+v", steps, cs)
		}
		if err := r.Take(cs[i]); err != nil {
			t.Fatal(err)
		}
	}
	t.Fatalf("the run did not stop in %d steps", steps)
	return steps
}

// TestCauseGrantDuplicatedRequest: the new device's device authorization
// request is duplicated and both copies are served, so the provider
// creates two grants; the first answer reaches the device and the second is
// discarded. The user approves the grant whose code the device shows, and
// the login succeeds after both grants' lifetime (shortened here to 13 s so
// that the success comes after it). The cause checker must take the grant
// whose answer arrived as the device's, not the one the provider created
// last: with the latter, "the device code expired" (nobody approved the
// second grant) was judged against a device that never held it.
func TestCauseGrantDuplicatedRequest(t *testing.T) {
	sc := snapCase{variant: "msc4388", intent: qr.Login, dup: 1}
	r := sc.runner(t)
	r.oc.ExpiresIn = 13 * oauth.Second
	r.ocPrep = nil
	if err := sc.start(r, 1); err != nil {
		t.Fatal(err)
	}
	stepFirst(t, r, func(c Choice) bool {
		return c.Fault == FaultDuplicate && c.Kind == "request" && strings.Contains(c.Label, oauth.PathDeviceAuthorization)
	})
	res := r.Finish()
	w := r.r
	gs := w.op.Grants()
	if len(gs) != 2 || gs[0].State != oauth.GrantConsumed || gs[1].State != oauth.GrantPending || !res.New.Success ||
		res.New.At < gs[1].CreatedAt+r.oc.ExpiresIn || !userApproved(&w.user, gs[0].ID) {
		t.Fatalf("the run did not reach the situation: grants %+v, N %+v", gs, res.New)
	}
	if res.Violation != nil {
		t.Errorf("violation %s (%s): the grant whose answer was discarded is taken as the device's", res.Violation.Invariant, res.Violation.Detail)
	}
	if c := &w.mon.cause; c.grant != gs[0].ID || c.grantAt != gs[0].CreatedAt {
		t.Errorf("the cause checker follows grant %s created at %d ms, not the device's %s", c.grant, c.grantAt, gs[0].ID)
	}
}

// TestDeviceCheckerLostAnswer: the homeserver's answer to the existing
// device's device check (404) and to the new device's whoami, lost on the
// way back, told the device nothing, so the device checker must not count
// them (it used to count them when the homeserver served them, which would
// let a device that went on without the answer pass the checks on the
// secrets and m.login.success). Right after each loss the record is empty;
// the run then goes on to its end (the device asks again) with no
// violation.
func TestDeviceCheckerLostAnswer(t *testing.T) {
	for _, tc := range []struct {
		name   string
		who    Actor
		path   string
		record func(d *deviceChecker) bool
	}{
		{"device check", ActorExisting, "/devices/", func(d *deviceChecker) bool { return len(d.checked404) > 0 }},
		{"whoami", ActorNew, homeserver.PathWhoami, func(d *deviceChecker) bool { return d.whoamiSeen }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := snapCase{variant: "msc4388", intent: qr.Login, loss: 1}
			r := sc.runner(t)
			if err := sc.start(r, 1); err != nil {
				t.Fatal(err)
			}
			w := r.r
			lost, checked := false, false
			stepFirst(t, r, func(c Choice) bool {
				if lost && !checked {
					// The step after the loss: nothing reached the device.
					checked = true
					if tc.record(&w.mon.dev) {
						t.Errorf("the %s answer was lost, yet the device checker counts it as heard: %+v", tc.name, w.mon.dev)
					}
				}
				if !lost && c.Fault == FaultLose && c.Kind == "answer" && c.Actor == tc.who && strings.Contains(c.Label, tc.path) {
					lost = true
					return true
				}
				return false
			})
			res := r.Finish()
			if !lost || !checked {
				t.Fatalf("the %s answer was never lost", tc.name)
			}
			if res.Violation != nil {
				t.Errorf("violation %s: %s", res.Violation.Invariant, res.Violation.Detail)
			}
			if !tc.record(&w.mon.dev) {
				t.Errorf("the %s asked again, but no answer of it is counted: %+v (N %+v, E %+v)", tc.name, w.mon.dev, res.New, res.Existing)
			}
		})
	}
}

// TestNoPlaintextLostRequest: no-plaintext-on-wire judges what a device
// puts on the wire, so a rendezvous request is searched as it is sent, not
// when the store serves it. The situation: the existing device's last
// write (m.login.secrets) is lost, and the device never sends it again (it
// shows success; the new device ends rendezvous_expired). To make that
// write carry "a secret", 24 bytes of its payload, taken from the same run
// without the loss, are added to the secrets no payload may carry. Searched
// at the store, the lost request was never seen and the run passed.
func TestNoPlaintextLostRequest(t *testing.T) {
	sc := snapCase{variant: "msc4388", intent: qr.Login, loss: 1}
	r := sc.runner(t)
	if err := sc.start(r, 1); err != nil {
		t.Fatal(err)
	}
	stepFirst(t, r, nil)
	var last []byte
	for i := range r.ex {
		if x := &r.ex[i]; x.client == ActorExisting && x.req.Target == login.TargetRendezvous && x.req.Method == "PUT" {
			last = x.req.Body
		}
	}
	j := bytes.Index(last, []byte(`"data":"`)) + len(`"data":"`)
	if j < len(`"data":"`) || len(last) < j+24 {
		t.Fatalf("no payload in E's last write %q", last)
	}
	needle := slices.Clone(last[j : j+24])
	if err := sc.start(r, 1); err != nil {
		t.Fatal(err)
	}
	w := r.r
	w.mon.touch(monNeedle)
	w.mon.needle = append(w.mon.needle, needle)
	stepFirst(t, r, func(c Choice) bool {
		if c.Fault != FaultLose || c.Kind != "request" {
			return false
		}
		i := slices.IndexFunc(r.q.ev, func(e event) bool { return e.seq == c.Seq })
		return bytes.Contains(r.ex[r.q.ev[i].id].req.Body, needle)
	})
	res := r.Finish()
	if res.Violation == nil || res.Violation.Invariant != InvNoPlaintext {
		t.Fatalf("a write carrying a secret, lost on its way, passed: violation %+v (N %+v, E %+v)", res.Violation, res.New, res.Existing)
	}
}
