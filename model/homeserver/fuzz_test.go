package homeserver

import (
	"bytes"
	"encoding/json"
	"sync"
	"testing"

	"qrlab/internal/seeded"
	"qrlab/model/wire"
	"qrlab/model/wire/canonicaljson"
)

// fuzzFixture is what every fuzz input starts from: Alice's identity and her
// new device's genuine keys, made once.
type fuzzFixture struct {
	alice      *Identity
	dev        *DeviceKeys
	signed     []byte // device_keys, self-signed and cross-signed
	selfSigned []byte // device_keys, self-signed only
	genuine    []byte // the signing bytes of the genuine object
	keys       *account
}

var fixture = sync.OnceValue(func() *fuzzFixture {
	rnd := seeded.Stream(42)
	alice, err := NewIdentity(aliceID, rnd)
	if err != nil {
		panic(err) // a fixed in-memory stream cannot fail
	}
	dev, err := NewDeviceKeys(aliceID, newDevice, rnd)
	if err != nil {
		panic(err)
	}
	obj := dev.Object()
	genuine, _ := SigningBytes(&obj)
	// Alice's checked cross-signing keys, installed directly into each
	// fresh server so that an execution spends no time re-checking them.
	hs, _ := New(PresetSynapse2026(), nil)
	if err := hs.AddIdentity(alice); err != nil {
		panic(err)
	}
	return &fuzzFixture{alice: alice, dev: dev, signed: dev.Signed(alice.SelfSigning), selfSigned: dev.Signed(nil), genuine: genuine, keys: hs.accounts[aliceID]}
})

// FuzzKeysUpload sends fuzzed JSON bodies to POST /keys/upload from Alice's
// new device. In a body, "@SIGNED@" is replaced by the genuine device_keys
// object (self-signed and cross-signed) and "@SELF@" by the self-signed
// one, so that mutations start from real signatures. Whatever the body: no
// panic, a JSON answer of 200 or 400, nothing stored on 400, stored keys
// always carry a valid self-signature (and, strict, only valid signatures
// by Alice), and the device is cross-signed only if what is stored is
// exactly what Alice's self-signing key signed.
func FuzzKeysUpload(f *testing.F) {
	f.Add([]byte(`{"device_keys":@SIGNED@}`), true)
	f.Add([]byte(`{"device_keys":@SELF@,"one_time_keys":{"signed_curve25519:AAAAAQ":{"key":"abc"}}}`), false)
	f.Add([]byte(`{}`), true)
	fx := fixture()
	f.Fuzz(func(t *testing.T, body []byte, strict bool) {
		body = bytes.ReplaceAll(body, []byte("@SIGNED@"), fx.signed)
		body = bytes.ReplaceAll(body, []byte("@SELF@"), fx.selfSigned)
		cfg := PresetSynapse2026()
		cfg.StrictSignatures = strict
		hs, err := New(cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		a := hs.account(aliceID)
		a.master, a.ssk, a.usk = fx.keys.master, fx.keys.ssk, fx.keys.usk
		hs.AddDevice(0, aliceID, newDevice, newToken)
		r, _ := hs.Handle(1, &Request{Method: "POST", Path: PathKeysUpload,
			Header: wire.NewHeader("Authorization", "Bearer "+newToken), Body: body})
		if r.Status != 200 && r.Status != 400 {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
		if !json.Valid(r.Body) {
			t.Fatalf("invalid JSON answer %q", r.Body)
		}
		stored, ok := hs.DeviceKeysJSON(aliceID, newDevice)
		if r.Status == 400 && ok {
			t.Fatalf("a refused upload stored keys")
		}
		if !ok {
			if hs.CrossSigned(aliceID, newDevice) {
				t.Fatalf("cross-signed without keys")
			}
			return
		}
		v, err := canonicaljson.Parse(stored)
		if err != nil {
			t.Fatalf("stored keys do not parse: %v", err)
		}
		pub, err := deviceSigningKey(&v, newDevice)
		if err != nil {
			t.Fatalf("stored keys: %v", err)
		}
		if err := Verify(&v, aliceID, "ed25519:"+newDevice, pub); err != nil {
			t.Fatalf("stored keys without a valid self-signature: %v", err)
		}
		if strict {
			sigs, _ := v.Get("signatures")
			own, _ := sigs.Get(aliceID)
			for _, m := range own.Obj {
				key := pub
				if m.Key == fx.alice.SelfSigning.KeyID() {
					key = fx.alice.SelfSigning.Public()
				} else if m.Key == fx.alice.Master.KeyID() {
					key = fx.alice.Master.Public()
				}
				if err := Verify(&v, aliceID, m.Key, key); err != nil {
					t.Fatalf("strict server stored a bad signature %s: %v", m.Key, err)
				}
			}
		}
		if hs.CrossSigned(aliceID, newDevice) {
			got, _ := SigningBytes(&v)
			if !bytes.Equal(got, fx.genuine) {
				t.Fatalf("cross-signed, but the stored object differs from what was signed:\n%s\n%s", got, fx.genuine)
			}
		}
	})
}
