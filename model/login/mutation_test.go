package login

import (
	"strings"
	"testing"

	"qrlab/model/qr"
	"qrlab/model/variant"
)

// mutate returns a vEdit that adds the named mutations.
func mutate(names ...string) func(*variant.Variant) {
	return func(v *variant.Variant) { v.Mutations = variant.NewMutations(names...) }
}

// TestMutationNoCheckCode: G never asks for the code and E still seals the
// secrets, while the facts say the code was never confirmed; the honest
// preset asks and confirms.
func TestMutationNoCheckCode(t *testing.T) {
	for _, intent := range []qr.Intent{qr.Login, qr.Reciprocate} {
		honest := runPreset(t, "msc4388", intent, worldOpts{}, user{})
		honest.succeeded(t)
		if !honest.asked {
			t.Fatalf("%v: honest G never asked for the code", intent)
		}
		w := runPreset(t, "msc4388", intent, worldOpts{vEdit: mutate(variant.MutNoCheckCode)}, user{})
		w.succeeded(t)
		g := w.e.Facts()
		if intent == qr.Login {
			g = w.n.Facts()
		}
		if w.asked || g.CodeConfirmed || !w.e.Facts().SecretsSealed {
			t.Fatalf("%v: mutant asked %v, confirmed %v, secrets sealed %v", intent, w.asked, g.CodeConfirmed, w.e.Facts().SecretsSealed)
		}
	}
}

// TestMutationSecretsBeforeDeviceCheck: E skips the device check, so a
// device ID already in use is not noticed and the secrets go out unchecked.
func TestMutationSecretsBeforeDeviceCheck(t *testing.T) {
	honest := runPreset(t, "msc4388", qr.Login, worldOpts{preAddDev: true}, user{})
	if o := honest.e.Outcome(); o.Success || o.Reason != ReasonDeviceAlreadyExists {
		t.Fatalf("honest: E %s, want device_already_exists", o)
	}
	w := runPreset(t, "msc4388", qr.Login, worldOpts{vEdit: mutate(variant.MutSecretsBeforeDeviceCheck)}, user{})
	w.succeeded(t)
	if f := w.e.Facts(); f.DeviceChecked || !f.SecretsSealed {
		t.Fatalf("mutant: device checked %v, secrets sealed %v", f.DeviceChecked, f.SecretsSealed)
	}
}

// TestMutationSecretsBeforeSuccess: E seals the secrets without waiting
// for m.login.success; the new device, still polling for its token, refuses
// them as out of place.
func TestMutationSecretsBeforeSuccess(t *testing.T) {
	w := runPreset(t, "msc4388", qr.Login, worldOpts{vEdit: mutate(variant.MutSecretsBeforeSuccess)}, user{})
	if f := w.e.Facts(); !f.SecretsSealed || f.SuccessReceived {
		t.Fatalf("mutant: secrets sealed %v, success received %v\n%s", f.SecretsSealed, f.SuccessReceived, w.log.String())
	}
	if o := w.n.Outcome(); o.Success {
		t.Fatalf("mutant: N signed in although the secrets came early")
	}
}

// TestMutationAcceptUnexpectedMessages: the out-of-place m.login.success
// that ends the honest login is skipped; the device waits on until the
// session expires.
func TestMutationAcceptUnexpectedMessages(t *testing.T) {
	forge := &forgery{byN: true, when: StateDiscovering, plaintext: `{"type":"m.login.success"}`}
	honest := runPreset(t, "msc4388", qr.Reciprocate, worldOpts{}, user{forge: forge})
	if o := honest.e.Outcome(); o.Reason != ReasonUnexpectedMessage {
		t.Fatalf("honest: E %s, want unexpected_message_received", o)
	}
	forge = &forgery{byN: true, when: StateDiscovering, plaintext: `{"type":"m.login.success"}`}
	w := runPreset(t, "msc4388", qr.Reciprocate, worldOpts{vEdit: mutate(variant.MutAcceptUnexpectedMessages)}, user{forge: forge})
	if o := w.e.Outcome(); o.Reason == ReasonUnexpectedMessage || !strings.Contains(w.log.String(), "m.login.success") {
		t.Fatalf("mutant: E %s\n%s", o, w.log.String())
	}
}

// TestMutationNoExpiry: the mutant sets no deadline; the honest device does.
func TestMutationNoExpiry(t *testing.T) {
	for _, muts := range [][]string{nil, {variant.MutNoExpiry}} {
		v := variant.MustLoad("msc4388")
		v.Mutations = variant.NewMutations(muts...)
		n, err := NewNewDevice(NewDeviceConfig{Variant: v, Intent: qr.Login, RendezvousBaseURL: "https://hs.example"}, stream(1))
		if err != nil {
			t.Fatal(err)
		}
		n.begin(0)
		n.setDeadline(1000, ReasonAuthorizationExpired, "test")
		if set := n.deadline != 0; set != (muts == nil) {
			t.Fatalf("mutations %v: deadline set %v", muts, set)
		}
	}
}

// TestMutationNoAADBinding: the mutant seals with no AAD where the honest
// msc4388 binds the session.
func TestMutationNoAADBinding(t *testing.T) {
	for _, muts := range [][]string{nil, {variant.MutNoAADBinding}} {
		v := variant.MustLoad("msc4388")
		v.Mutations = variant.NewMutations(muts...)
		n, err := NewNewDevice(NewDeviceConfig{Variant: v, Intent: qr.Login, RendezvousBaseURL: "https://hs.example"}, stream(1))
		if err != nil {
			t.Fatal(err)
		}
		n.rvBase, n.rvID = "https://hs.example", "ID"
		if bound := n.aad("tok") != nil; bound != (muts == nil) {
			t.Fatalf("mutations %v: AAD bound %v", muts, bound)
		}
	}
	// The whole login still works: both sides drop the binding alike.
	runPreset(t, "msc4388", qr.Login, worldOpts{vEdit: mutate(variant.MutNoAADBinding)}, user{}).succeeded(t)
}

// TestMutationNoWhoamiCheck: whoami naming another account than the one
// the user expects ends the honest login; the mutant goes on.
func TestMutationNoWhoamiCheck(t *testing.T) {
	expect := func(c *NewDeviceConfig) { c.ExpectedUserID = "@someone-else:example.org" }
	honest := runPreset(t, "msc4388", qr.Login, worldOpts{nEdit: expect}, user{})
	if o := honest.n.Outcome(); o.Reason != ReasonWhoamiMismatch {
		t.Fatalf("honest: N %s, want whoami_mismatch", o)
	}
	w := runPreset(t, "msc4388", qr.Login, worldOpts{nEdit: expect, vEdit: mutate(variant.MutNoWhoamiCheck)}, user{})
	if o := w.n.Outcome(); o.Reason == ReasonWhoamiMismatch || !o.Success {
		t.Fatalf("mutant: N %s\n%s", o, w.log.String())
	}
}
