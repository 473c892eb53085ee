package login_test

import (
	"strings"
	"testing"

	. "qrlab/model/login"
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
		succeeded(t, honest)
		if !honest.Asked() {
			t.Fatalf("%v: honest G never asked for the code", intent)
		}
		w := runPreset(t, "msc4388", intent, worldOpts{VEdit: mutate(variant.MutNoCheckCode)}, user{})
		succeeded(t, w)
		g := w.E.Facts()
		if intent == qr.Login {
			g = w.N.Facts()
		}
		if w.Asked() || g.CodeConfirmed || !w.E.Facts().SecretsSealed {
			t.Fatalf("%v: mutant asked %v, confirmed %v, secrets sealed %v", intent, w.Asked(), g.CodeConfirmed, w.E.Facts().SecretsSealed)
		}
	}
}

// TestMutationSecretsBeforeDeviceCheck: E skips the device check, so a
// device ID already in use is not noticed and the secrets go out unchecked.
func TestMutationSecretsBeforeDeviceCheck(t *testing.T) {
	honest := runPreset(t, "msc4388", qr.Login, worldOpts{PreAddDevice: true}, user{})
	if o := honest.E.Outcome(); o.Success || o.Reason != ReasonDeviceAlreadyExists {
		t.Fatalf("honest: E %s, want device_already_exists", o)
	}
	w := runPreset(t, "msc4388", qr.Login, worldOpts{VEdit: mutate(variant.MutSecretsBeforeDeviceCheck)}, user{})
	succeeded(t, w)
	if f := w.E.Facts(); f.DeviceChecked || !f.SecretsSealed {
		t.Fatalf("mutant: device checked %v, secrets sealed %v", f.DeviceChecked, f.SecretsSealed)
	}
}

// TestMutationSecretsBeforeSuccess: E seals the secrets without waiting
// for m.login.success; the new device, still polling for its token, refuses
// them as out of place.
func TestMutationSecretsBeforeSuccess(t *testing.T) {
	w := runPreset(t, "msc4388", qr.Login, worldOpts{VEdit: mutate(variant.MutSecretsBeforeSuccess)}, user{})
	if f := w.E.Facts(); !f.SecretsSealed || f.SuccessReceived {
		t.Fatalf("mutant: secrets sealed %v, success received %v\n%s", f.SecretsSealed, f.SuccessReceived, w.Log())
	}
	if o := w.N.Outcome(); o.Success {
		t.Fatalf("mutant: N signed in although the secrets came early")
	}
}

// TestMutationAcceptUnexpectedMessages: the out-of-place m.login.success
// that ends the honest login is skipped; the device waits on until the
// session expires.
func TestMutationAcceptUnexpectedMessages(t *testing.T) {
	g := forge(true, StateDiscovering, `{"type":"m.login.success"}`)
	honest := runPreset(t, "msc4388", qr.Reciprocate, worldOpts{}, user{Forge: g})
	if o := honest.E.Outcome(); o.Reason != ReasonUnexpectedMessage {
		t.Fatalf("honest: E %s, want unexpected_message_received", o)
	}
	g = forge(true, StateDiscovering, `{"type":"m.login.success"}`)
	w := runPreset(t, "msc4388", qr.Reciprocate, worldOpts{VEdit: mutate(variant.MutAcceptUnexpectedMessages)}, user{Forge: g})
	if o := w.E.Outcome(); o.Reason == ReasonUnexpectedMessage || !strings.Contains(w.Log(), "m.login.success") {
		t.Fatalf("mutant: E %s\n%s", o, w.Log())
	}
}

// TestMutationNoAADBindingLogin: the whole login still works with the
// mutant's unbound AAD, both sides dropping the binding alike (the seal
// itself is checked by TestMutationNoAADBinding).
func TestMutationNoAADBindingLogin(t *testing.T) {
	succeeded(t, runPreset(t, "msc4388", qr.Login, worldOpts{VEdit: mutate(variant.MutNoAADBinding)}, user{}))
}

// TestMutationNoWhoamiCheck: whoami naming another account than the one
// the user expects ends the honest login; the mutant goes on.
func TestMutationNoWhoamiCheck(t *testing.T) {
	expect := func(c *NewDeviceConfig) { c.ExpectedUserID = "@someone-else:example.org" }
	honest := runPreset(t, "msc4388", qr.Login, worldOpts{NEdit: expect}, user{})
	if o := honest.N.Outcome(); o.Reason != ReasonWhoamiMismatch {
		t.Fatalf("honest: N %s, want whoami_mismatch", o)
	}
	w := runPreset(t, "msc4388", qr.Login, worldOpts{NEdit: expect, VEdit: mutate(variant.MutNoWhoamiCheck)}, user{})
	if o := w.N.Outcome(); o.Reason == ReasonWhoamiMismatch || !o.Success {
		t.Fatalf("mutant: N %s\n%s", o, w.Log())
	}
}
