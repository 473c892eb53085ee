package sim

import (
	"strings"
	"testing"

	"qrlab/model/channel"
	"qrlab/model/qr"
	"qrlab/model/rendezvous"
	"qrlab/model/variant"
)

// newTestRunner is a clean LAN run of preset that keeps its trace.
func newTestRunner(t *testing.T, preset string) *Runner {
	t.Helper()
	lan, _ := Profile("lan")
	return mustRunner(t, Config{Variant: variant.MustLoad(preset), Intent: qr.Login, Network: lan, KeepTrace: true})
}

// TestMonitorsCatch breaks one thing at a time in an otherwise clean run and
// checks that the invariant meant for it fires, by name.
func TestMonitorsCatch(t *testing.T) {
	cases := []struct {
		name, preset, want string
		hook               func(w *run, x *exchange, resp *rendezvous.Response)
	}{
		{"a GET answers an older payload", "msc4388", InvRendezvousLinearizable, func() func(*run, *exchange, *rendezvous.Response) {
			var first []byte
			return func(w *run, x *exchange, resp *rendezvous.Response) {
				if x.req.Method == "GET" && resp.Status == 200 {
					if first == nil {
						first = append([]byte(nil), resp.Body...)
					} else {
						resp.Body = first
					}
				}
			}
		}()},
		{"an ETag store hands out a token twice", "msc4108-2024", InvRendezvousLinearizable, func() func(*run, *exchange, *rendezvous.Response) {
			return func(w *run, x *exchange, resp *rendezvous.Response) {
				if x.req.Method == "PUT" && resp.Status == 202 {
					resp.Header.Set("ETag", `"same"`)
				}
				if x.req.Method == "POST" {
					resp.Header.Set("ETag", `"same"`)
				}
			}
		}()},
		{"a device writes a token in the clear", "msc4388", InvNoPlaintext, func(w *run, x *exchange, resp *rendezvous.Response) {
			if x.req.Method == "PUT" && x.client == ActorExisting {
				x.req.Body = append(append([]byte(nil), x.req.Body...), existingToken...)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newTestRunner(t, tc.preset)
			r.hook = tc.hook
			res, err := r.Run(3)
			if err != nil {
				t.Fatal(err)
			}
			if res.Violation == nil || res.Violation.Invariant != tc.want {
				t.Fatalf("want %s, got %+v\n%s", tc.want, res.Violation, dump(r))
			}
			if last := r.Trace().Events[len(r.Trace().Events)-1]; last.Kind != EvViolation || last.Name != tc.want {
				t.Fatalf("the trace does not end at the violation: %+v", last)
			}
		})
	}
}

// TestMonitorUnits drives the monitors that a working model never trips
// with the situations they exist for.
func TestMonitorUnits(t *testing.T) {
	r := newTestRunner(t, "msc4388")
	if _, err := r.Run(1); err != nil {
		t.Fatal(err)
	}
	w := r.r
	t.Run("channel-integrity: a payload the peer never wrote opens", func(t *testing.T) {
		w.res.Violation = nil
		w.mon.opened(w, ActorNew, channel.Opening{Payload: "Zm9yZ2Vk"})
		if w.res.Violation == nil || w.res.Violation.Invariant != InvChannelIntegrity {
			t.Fatalf("got %+v", w.res.Violation)
		}
	})
	t.Run("channel-integrity: the peer's real payload opens", func(t *testing.T) {
		w.res.Violation = nil
		data := w.mon.written[machineIndex(ActorExisting)][0]
		w.mon.openedUpTo[machineIndex(ActorNew)] = [numMachines]int{-1, -1, -1}
		w.mon.opened(w, ActorNew, channel.Opening{Payload: data})
		if w.res.Violation != nil {
			t.Fatalf("got %+v", w.res.Violation)
		}
		// The same payload a second time is a replay that opened.
		w.mon.opened(w, ActorNew, channel.Opening{Payload: data})
		if w.res.Violation == nil || w.res.Violation.Invariant != InvChannelIntegrity {
			t.Fatalf("a replay opened unnoticed: %+v", w.res.Violation)
		}
	})
	t.Run("strict-alternation: an unread overwrite followed by success", func(t *testing.T) {
		w.res.Violation = nil
		w.mon.boxes[0].unread = append(w.mon.boxes[0].unread, unreadWrite{data: "x", writer: ActorNew, by: ActorExisting, at: 1})
		r.finish(w)
		if w.res.Violation == nil || w.res.Violation.Invariant != InvStrictAlternation {
			t.Fatalf("got %+v", w.res.Violation)
		}
	})
	t.Run("secrets-only-after-confirmation and -to-confirmed-device: secrets sealed too early", func(t *testing.T) {
		// A run built but not started: no code confirmed, no channel.
		fresh := newTestRunner(t, "msc4388")
		wf := fresh.r
		*wf = run{seed: 1}
		if err := fresh.build(wf); err != nil {
			t.Fatal(err)
		}
		// The user's record is judged, not the devices: nothing typed yet.
		wf.user.add(Act{Kind: ActSawQR, Device: ActorNew})
		wf.mon.secretsSealed(wf, channel.PublicKey{})
		if wf.res.Violation == nil || wf.res.Violation.Invariant != InvSecretsAfterConfirmation {
			t.Fatalf("got %+v", wf.res.Violation)
		}
		if !strings.Contains(wf.res.Violation.Detail, "before the user typed the check code on G") {
			t.Fatalf("got %+v", wf.res.Violation)
		}
		// A code typed on G that is not the one S displayed.
		wf.res.Violation = nil
		wf.user.add(Act{Kind: ActSawCheckCode, Device: ActorExisting, Text: "42"})
		wf.user.add(Act{Kind: ActTypedCode, Device: ActorNew, Text: "24"})
		wf.mon.secretsSealed(wf, channel.PublicKey{})
		if wf.res.Violation == nil || !strings.Contains(wf.res.Violation.Detail, "typed 24 on G while S (E) displayed 42") {
			t.Fatalf("got %+v", wf.res.Violation)
		}
		// The right code, but no device check on the wire.
		wf.res.Violation = nil
		wf.user.add(Act{Kind: ActTypedCode, Device: ActorNew, Text: "42"})
		wf.mon.dev.newDevice = "NEWDEVICE"
		wf.mon.newKeys = append(wf.mon.newKeys, channel.PublicKey{7})
		wf.mon.secretsSealed(wf, channel.PublicKey{7})
		if wf.res.Violation == nil || !strings.Contains(wf.res.Violation.Detail, "without the device check") {
			t.Fatalf("got %+v", wf.res.Violation)
		}
		// With the early checks satisfied, the channel check still fires:
		// E has no channel with the new device.
		wf.res.Violation = nil
		wf.mon.violateSecretsPeer(wf, channel.PublicKey{1})
		if wf.res.Violation == nil || wf.res.Violation.Invariant != InvSecretsToConfirmedDevice {
			t.Fatalf("got %+v", wf.res.Violation)
		}
	})
	t.Run("termination: a run that cannot end", func(t *testing.T) {
		r := newTestRunner(t, "msc4388")
		r.cfg.MaxMillis = 5000 // the budget runs out before the login can end
		res, _ := r.Run(1)
		if res.Violation == nil || res.Violation.Invariant != InvTermination {
			t.Fatalf("got %+v", res.Violation)
		}
	})
}
