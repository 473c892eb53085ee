package homeserver

import (
	"testing"

	"qrlab/model/oauth"
	"qrlab/model/wire"
	"qrlab/model/wire/canonicaljson"
)

// TestFuzzFixtureCrossSigns makes sure the fuzz seeds reach the accepting
// path: the genuine body is accepted and cross-signed.
func TestFuzzFixtureCrossSigns(t *testing.T) {
	fx := fixture()
	hs, _ := New(PresetSynapse2026(), nil)
	if err := hs.AddIdentity(fx.alice); err != nil {
		t.Fatal(err)
	}
	hs.AddDevice(0, aliceID, newDevice, newToken)
	r, _ := hs.Handle(1, &Request{Method: "POST", Path: PathKeysUpload,
		Header: wire.NewHeader("Authorization", "Bearer "+newToken), Body: KeysUploadBody(fx.signed)})
	if r.Status != 200 || !hs.CrossSigned(aliceID, newDevice) {
		t.Fatalf("%d %s: %v", r.Status, r.Body, hs.VerifyDevice(aliceID, newDevice))
	}
}

// BenchmarkWhoamiProviderToken is an authenticated request with a token the
// provider issued (introspection included).
func BenchmarkWhoamiProviderToken(b *testing.B) {
	w := newWorld(b, oauth.PresetMAS(), PresetSynapse2026())
	token := w.grant(0, aliceID, "NEWDEV", scopeFor("NEWDEV"))
	req := &Request{Method: "GET", Path: PathWhoami, Header: wire.NewHeader("Authorization", "Bearer "+token)}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if r, _ := w.hs.Handle(1, req); r.Status != 200 {
			b.Fatal(r.Status)
		}
	}
}

// BenchmarkGetDevice is the existing device's poll of GET /devices/{id}.
func BenchmarkGetDevice(b *testing.B) {
	w := newWorld(b, oauth.PresetMAS(), PresetSynapse2026())
	req := &Request{Method: "GET", Path: PathDevicesPrefix + "NEWDEV", Header: wire.NewHeader("Authorization", "Bearer "+existingToken)}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if r, _ := w.hs.Handle(1, req); r.Status != 404 {
			b.Fatal(r.Status)
		}
	}
}

// BenchmarkKeysUpload is one keys/upload with self- and cross-signature
// (two Ed25519 verifications).
func BenchmarkKeysUpload(b *testing.B) {
	fx := fixture()
	hs, _ := New(PresetSynapse2026(), nil)
	if err := hs.AddIdentity(fx.alice); err != nil {
		b.Fatal(err)
	}
	hs.AddDevice(0, aliceID, newDevice, newToken)
	req := &Request{Method: "POST", Path: PathKeysUpload,
		Header: wire.NewHeader("Authorization", "Bearer "+newToken), Body: KeysUploadBody(fx.signed)}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if r, _ := hs.Handle(1, req); r.Status != 200 {
			b.Fatal(r.Status)
		}
	}
}

// BenchmarkVerifyDevice is the cross-signing predicate (three Ed25519
// verifications over canonical JSON).
func BenchmarkVerifyDevice(b *testing.B) {
	fx := fixture()
	hs, _ := New(PresetSynapse2026(), nil)
	_ = hs.AddIdentity(fx.alice)
	hs.AddDevice(0, aliceID, newDevice, newToken)
	hs.Handle(1, &Request{Method: "POST", Path: PathKeysUpload,
		Header: wire.NewHeader("Authorization", "Bearer "+newToken), Body: KeysUploadBody(fx.signed)})
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if !hs.CrossSigned(aliceID, newDevice) {
			b.Fatal("not cross-signed")
		}
	}
}

// BenchmarkCanonical re-encodes a signed device_keys object.
func BenchmarkCanonical(b *testing.B) {
	doc := fixture().signed
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for range b.N {
		if _, err := canonicaljson.Reencode(doc); err != nil {
			b.Fatal(err)
		}
	}
}
