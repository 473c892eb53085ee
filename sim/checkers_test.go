package sim

import (
	"strings"
	"testing"

	"qrlab/model/channel"
	"qrlab/model/oauth"
	"qrlab/model/qr"
	"qrlab/model/rendezvous"
)

// TestUserRecordOfAnHonestLogin: the record holds what the person saw and
// did, in order: the QR on G, the code on S, the same code typed on G, an
// approval on the consent page naming its grant.
func TestUserRecordOfAnHonestLogin(t *testing.T) {
	for _, intent := range []qr.Intent{qr.Login, qr.Reciprocate} {
		r := newTestRunner(t, "msc4388")
		r.cfg.Intent = intent
		res, err := r.Run(1)
		if err != nil || res.Violation != nil || !res.Success() {
			t.Fatalf("%v: honest login: %v %+v", intent, err, res)
		}
		u := r.User()
		g, s := ActorNew, ActorExisting
		if intent == qr.Reciprocate {
			g, s = s, g
		}
		if a := u.last(ActSawQR, ActorNone); a == nil || a.Device != g {
			t.Fatalf("%v: QR act %+v, want shown on %s", intent, a, g)
		}
		shown, typed := u.last(ActSawCheckCode, s), u.last(ActTypedCode, g)
		if shown == nil || typed == nil || shown.Text != typed.Text || typed.At < shown.At {
			t.Fatalf("%v: shown %+v, typed %+v: want the code S showed typed on G after", intent, shown, typed)
		}
		c := u.last(ActConsent, ActorNone)
		if c == nil || !c.OK || c.Grant == "" || !userApproved(u, c.Grant) {
			t.Fatalf("%v: consent act %+v, want an approval naming its grant", intent, c)
		}
	}
}

// TestOutsideCheckers feeds each checker what it observes and checks it
// complains exactly when the rule is broken.
func TestOutsideCheckers(t *testing.T) {
	t.Run("token-only-for-approved-grant", func(t *testing.T) {
		var c grantChecker
		var u UserRecord
		tok := oauth.Effect{Kind: oauth.EffectTokenIssued, Grant: "g1", User: AliceID, Device: "D"}
		if d := c.observe(&tok, &u); !strings.Contains(d, "never approved") {
			t.Fatalf("a token without the user's approval: %q", d)
		}
		u.add(Act{Kind: ActConsent, Grant: "g1", OK: true})
		if d := c.observe(&tok, &u); !strings.Contains(d, "never logged as approved") {
			t.Fatalf("a token the provider never logged as approved: %q", d)
		}
		c.observe(&oauth.Effect{Kind: oauth.EffectApproved, Grant: "g1"}, &u)
		if d := c.observe(&tok, &u); d != "" {
			t.Fatalf("an approved grant's token: %q", d)
		}
		u.add(Act{Kind: ActConsent, Grant: "g1", OK: false})
		if d := c.observe(&tok, &u); d == "" {
			t.Fatal("a token after the user's last word was a refusal went unnoticed")
		}
		mallory := oauth.Effect{Kind: oauth.EffectTokenIssued, Grant: "g2", User: MalloryID}
		if d := c.observe(&mallory, &u); d != "" {
			t.Fatalf("the attacker's own account is not the user's: %q", d)
		}
	})
	t.Run("nonce-unique", func(t *testing.T) {
		var c nonceChecker
		c.reset()
		s := channel.Sealing{Key: channel.KeyFingerprint{1}, Nonce: [channel.NonceSize]byte{2}}
		if prev := c.observe(ActorNew, &s); prev != ActorNone {
			t.Fatal("a first use was reported")
		}
		other := s
		other.Nonce[0] = 3
		if prev := c.observe(ActorExisting, &other); prev != ActorNone {
			t.Fatal("another nonce under the same key was reported")
		}
		if prev := c.observe(ActorExisting, &s); prev != ActorNew {
			t.Fatalf("a reuse across devices: got %s, want %s", prev, ActorNew)
		}
	})
	t.Run("success-only-after-whoami", func(t *testing.T) {
		r := newTestRunner(t, "msc4388")
		w := r.r
		*w = run{seed: 1}
		if err := r.build(w); err != nil {
			t.Fatal(err)
		}
		w.mon.successAfterWhoami(w)
		if v := w.res.Violation; v == nil || v.Invariant != InvSuccessAfterWhoami || !strings.Contains(v.Detail, "before") {
			t.Fatalf("success without whoami: %+v", v)
		}
		w.res.Violation = nil
		w.mon.dev.newDevice = "NEWDEVICE"
		w.mon.dev.observeHS(1, ActorNew, "GET", "/_matrix/client/v3/account/whoami", 200, []byte(`{"user_id":"`+AliceID+`","device_id":"OTHER"}`))
		w.mon.successAfterWhoami(w)
		if v := w.res.Violation; v == nil || !strings.Contains(v.Detail, `"OTHER"`) {
			t.Fatalf("whoami for another device: %+v", v)
		}
		w.res.Violation = nil
		w.mon.dev.observeHS(2, ActorNew, "GET", "/_matrix/client/v3/account/whoami", 200, []byte(`{"user_id":"`+MalloryID+`","device_id":"NEWDEVICE"}`))
		w.mon.successAfterWhoami(w)
		if v := w.res.Violation; v == nil || v.Invariant != InvExpectedAccount {
			t.Fatalf("whoami for another account: %+v", v)
		}
		w.res.Violation = nil
		w.mon.dev.observeHS(3, ActorNew, "GET", "/_matrix/client/v3/account/whoami", 200, []byte(`{"user_id":"`+AliceID+`","device_id":"NEWDEVICE"}`))
		w.mon.successAfterWhoami(w)
		if w.res.Violation != nil {
			t.Fatalf("the right whoami: %+v", w.res.Violation)
		}
	})
	t.Run("device check on the wire", func(t *testing.T) {
		var c deviceChecker
		c.observeHS(10, ActorExisting, "GET", "/_matrix/client/v3/devices/ABC%2FD", 404, nil)
		c.observeHS(11, ActorNew, "GET", "/_matrix/client/v3/devices/XYZ", 404, nil)
		if !c.checkedBefore("ABC/D", 10) || c.checkedBefore("ABC/D", 9) || c.checkedBefore("XYZ", 20) {
			t.Fatalf("404s seen: %+v", c.checked404)
		}
	})
}

// TestGoneSessionNeverServed: a session the store logged as deleted, or
// whose DELETE it answered with success, is never served again.
func TestGoneSessionNeverServed(t *testing.T) {
	for _, how := range []string{"store's log", "wire"} {
		r := newTestRunner(t, "msc4388")
		w := r.r
		*w = run{seed: 1}
		if err := r.build(w); err != nil {
			t.Fatal(err)
		}
		m := &w.mon
		m.boxes = append(m.boxes, mailbox{id: "s1", token: "t1", writer: ActorNew})
		path := "/_matrix/client/v1/rendezvous/s1"
		del := rendezvous.Request{Method: "DELETE", Path: path}
		var fx []rendezvous.Effect
		if how == "store's log" {
			fx = []rendezvous.Effect{{Kind: rendezvous.EffectDeleted, ID: "s1"}}
		}
		m.rendezvous(w, ActorExisting, false, &del, &rendezvous.Response{Status: 204}, fx)
		if w.res.Violation != nil {
			t.Fatalf("%s: the delete itself: %+v", how, w.res.Violation)
		}
		get := rendezvous.Request{Method: "GET", Path: path}
		m.rendezvous(w, ActorNew, false, &get, &rendezvous.Response{Status: 200}, []rendezvous.Effect{{Kind: rendezvous.EffectRead, ID: "s1"}})
		if v := w.res.Violation; v == nil || v.Invariant != InvRendezvousLinearizable || !strings.Contains(v.Detail, "after it was deleted") {
			t.Fatalf("%s: a read of a deleted session: %+v", how, v)
		}
	}
}

// TestCauseEndsWithItsReason: a device the user cancelled on before it
// ended must end then with user_cancelled; one that had ended is not
// judged.
func TestCauseEndsWithItsReason(t *testing.T) {
	var u UserRecord
	u.add(Act{At: 500, Kind: ActCancel, Device: ActorNew})
	ok := Result{New: Ending{Outcome: "failure", Reason: "user_cancelled", At: 500}}
	if d := causeComplaint(&u, &ok); d != "" {
		t.Fatalf("a cancel honoured: %q", d)
	}
	for name, res := range map[string]Result{
		"ignored":      {},
		"late":         {New: Ending{Outcome: "failure", Reason: "user_cancelled", At: 900}},
		"wrong reason": {New: Ending{Outcome: "failure", Reason: "timeout", At: 500}},
		"a success":    {New: Ending{Success: true, Outcome: "success", At: 500}},
	} {
		if d := causeComplaint(&u, &res); !strings.Contains(d, "cancelled on N at 500 ms") {
			t.Errorf("%s: got %q", name, d)
		}
	}
	before := Result{New: Ending{Outcome: "failure", Reason: "timeout", At: 400}}
	if d := causeComplaint(&u, &before); d != "" {
		t.Fatalf("a device that had ended already: %q", d)
	}
}
