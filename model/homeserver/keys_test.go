package homeserver

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"qrlab/internal/seeded"
	"qrlab/model/wire"
	"qrlab/model/wire/canonicaljson"
)

const (
	aliceID   = "@alice:lab.example"
	malloryID = "@mallory:lab.example"
	newDevice = "NEWDEVICE"
	newToken  = "token-of-the-new-device"
)

// keysEnv is Alice with a cross-signing identity, her new device signed in
// with a local token, and Mallory with an identity of her own.
type keysEnv struct {
	hs      *Server
	alice   *Identity
	mallory *Identity
	dev     *DeviceKeys
	other   *SigningKey // a key nobody registered
}

func newKeysEnv(t testing.TB, strict bool) *keysEnv {
	t.Helper()
	cfg := PresetSynapse2026()
	cfg.StrictSignatures = strict
	hs, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	rnd := seeded.Stream(42)
	e := &keysEnv{hs: hs}
	if e.alice, err = NewIdentity(aliceID, rnd); err != nil {
		t.Fatal(err)
	}
	if e.mallory, err = NewIdentity(malloryID, rnd); err != nil {
		t.Fatal(err)
	}
	if e.dev, err = NewDeviceKeys(aliceID, newDevice, rnd); err != nil {
		t.Fatal(err)
	}
	if e.other, err = NewSigningKey(rnd); err != nil {
		t.Fatal(err)
	}
	for _, id := range []*Identity{e.alice, e.mallory} {
		if err := hs.AddIdentity(id); err != nil {
			t.Fatal(err)
		}
	}
	hs.AddDevice(0, aliceID, newDevice, newToken)
	return e
}

func (e *keysEnv) upload(body []byte) Response {
	r, _ := e.hs.Handle(1, &Request{
		Method: "POST", Path: PathKeysUpload,
		Header: wire.NewHeader("Authorization", "Bearer "+newToken, "Content-Type", "application/json"),
		Body:   body,
	})
	return r
}

// edit parses a signed device_keys object, changes it and re-encodes it
// without re-signing.
func edit(t testing.TB, doc []byte, change func(v *canonicaljson.Value)) []byte {
	t.Helper()
	v, err := canonicaljson.Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	change(&v)
	return canonicaljson.Append(nil, &v)
}

func errcodeOf(r Response) string {
	var e struct {
		Errcode string `json:"errcode"`
	}
	_ = json.Unmarshal(r.Body, &e)
	return e.Errcode
}

// keysUploadCase is one keys upload: its body, whether the server checks
// signatures leniently, and the answer and cross-signing it must give.
type keysUploadCase struct {
	name        string
	lenient     bool // StrictSignatures off
	body        func(t *testing.T, e *keysEnv) []byte
	status      int
	errcode     string
	crossSigned bool
}

// keysUploadSignatures: who signed the device keys, and how.
var keysUploadSignatures = []keysUploadCase{
	{
		name:        "self-signed and cross-signed by the user's self-signing key",
		body:        func(t *testing.T, e *keysEnv) []byte { return KeysUploadBody(e.dev.Signed(e.alice.SelfSigning)) },
		status:      200,
		crossSigned: true,
	},
	{
		name:   "self-signed only",
		body:   func(t *testing.T, e *keysEnv) []byte { return KeysUploadBody(e.dev.Signed(nil)) },
		status: 200,
	},
	{
		name: "wrong self-signature (made by another key)",
		body: func(t *testing.T, e *keysEnv) []byte {
			v := e.dev.Object()
			_ = Sign(&v, aliceID, e.dev.KeyID(), e.other)
			_ = Sign(&v, aliceID, e.alice.SelfSigning.KeyID(), e.alice.SelfSigning)
			return KeysUploadBody(canonicaljson.Append(nil, &v))
		},
		status: 400, errcode: ErrcodeInvalidSignature,
	},
	{
		name: "wrong cross-signature (another key under the self-signing key's ID)",
		body: func(t *testing.T, e *keysEnv) []byte {
			v := e.dev.Object()
			_ = Sign(&v, aliceID, e.dev.KeyID(), e.dev.Ed25519)
			_ = Sign(&v, aliceID, e.alice.SelfSigning.KeyID(), e.other)
			return KeysUploadBody(canonicaljson.Append(nil, &v))
		},
		status: 400, errcode: ErrcodeInvalidSignature,
	},
	{
		name:    "wrong cross-signature, lenient server: stored, but not cross-signed",
		lenient: true,
		body: func(t *testing.T, e *keysEnv) []byte {
			v := e.dev.Object()
			_ = Sign(&v, aliceID, e.dev.KeyID(), e.dev.Ed25519)
			_ = Sign(&v, aliceID, e.alice.SelfSigning.KeyID(), e.other)
			return KeysUploadBody(canonicaljson.Append(nil, &v))
		},
		status: 200,
	},
	{
		name: "signed by another user's self-signing key, filed under the uploader",
		body: func(t *testing.T, e *keysEnv) []byte {
			return KeysUploadBody(e.dev.Signed(e.mallory.SelfSigning))
		},
		status: 400, errcode: ErrcodeInvalidSignature,
	},
	{
		name: "signed by another user's self-signing key, filed under that user",
		body: func(t *testing.T, e *keysEnv) []byte {
			v := e.dev.Object()
			_ = Sign(&v, aliceID, e.dev.KeyID(), e.dev.Ed25519)
			_ = Sign(&v, malloryID, e.mallory.SelfSigning.KeyID(), e.mallory.SelfSigning)
			return KeysUploadBody(canonicaljson.Append(nil, &v))
		},
		status: 200, // other users' signatures are stored, and count for nothing
	},
	{
		name:    "signed by another user's key, lenient server",
		lenient: true,
		body: func(t *testing.T, e *keysEnv) []byte {
			return KeysUploadBody(e.dev.Signed(e.mallory.SelfSigning))
		},
		status: 200,
	},
}

// keysUploadTampering: the signed object changed after signing.
var keysUploadTampering = []keysUploadCase{
	{
		name: "Curve25519 key replaced after signing",
		body: func(t *testing.T, e *keysEnv) []byte {
			return KeysUploadBody(edit(t, e.dev.Signed(e.alice.SelfSigning), func(v *canonicaljson.Value) {
				ks, _ := v.Get("keys")
				ks.Set("curve25519:"+newDevice, canonicaljson.StringValue(Base64.EncodeToString(make([]byte, 32))))
			}))
		},
		status: 400, errcode: ErrcodeInvalidSignature,
	},
	{
		name: "Ed25519 key replaced after signing",
		body: func(t *testing.T, e *keysEnv) []byte {
			return KeysUploadBody(edit(t, e.dev.Signed(e.alice.SelfSigning), func(v *canonicaljson.Value) {
				ks, _ := v.Get("keys")
				ks.Set("ed25519:"+newDevice, canonicaljson.StringValue(e.other.PublicBase64()))
			}))
		},
		status: 400, errcode: ErrcodeInvalidSignature,
	},
	{
		name: "algorithms changed after signing",
		body: func(t *testing.T, e *keysEnv) []byte {
			return KeysUploadBody(edit(t, e.dev.Signed(e.alice.SelfSigning), func(v *canonicaljson.Value) {
				v.Set("algorithms", canonicaljson.Value{Kind: canonicaljson.Array})
			}))
		},
		status: 400, errcode: ErrcodeInvalidSignature,
	},
	{
		name: "unsigned data added after signing (not covered)",
		body: func(t *testing.T, e *keysEnv) []byte {
			return KeysUploadBody(edit(t, e.dev.Signed(e.alice.SelfSigning), func(v *canonicaljson.Value) {
				v.Set("unsigned", canonicaljson.Value{Kind: canonicaljson.Object, Obj: []canonicaljson.Member{{Key: "device_display_name", Value: canonicaljson.StringValue("Phone")}}})
			}))
		},
		status: 200, crossSigned: true,
	},
}

// keysUploadMalformed: the wrong IDs, no signatures, bad JSON, no device
// keys.
var keysUploadMalformed = []keysUploadCase{
	{
		name: "another user's device ID",
		body: func(t *testing.T, e *keysEnv) []byte {
			d, _ := NewDeviceKeys(aliceID, "OTHERDEVICE", seeded.Stream(5))
			return KeysUploadBody(d.Signed(e.alice.SelfSigning))
		},
		status: 400, errcode: ErrcodeInvalidParam,
	},
	{
		name: "another user ID",
		body: func(t *testing.T, e *keysEnv) []byte {
			d, _ := NewDeviceKeys(malloryID, newDevice, seeded.Stream(5))
			return KeysUploadBody(d.Signed(e.mallory.SelfSigning))
		},
		status: 400, errcode: ErrcodeInvalidParam,
	},
	{
		name: "no signatures",
		body: func(t *testing.T, e *keysEnv) []byte {
			v := e.dev.Object()
			return KeysUploadBody(canonicaljson.Append(nil, &v))
		},
		status: 400, errcode: ErrcodeMissingParam,
	},
	{
		name:   "not JSON",
		body:   func(t *testing.T, e *keysEnv) []byte { return []byte(`{"device_keys":`) },
		status: 400, errcode: ErrcodeNotJSON,
	},
	{
		name:   "device_keys not an object",
		body:   func(t *testing.T, e *keysEnv) []byte { return []byte(`{"device_keys":[]}`) },
		status: 400, errcode: ErrcodeBadJSON,
	},
	{
		name: "one-time keys only",
		body: func(t *testing.T, e *keysEnv) []byte {
			return []byte(`{"one_time_keys":{"signed_curve25519:AAAAAQ":{"key":"x"},"signed_curve25519:AAAAAg":{"key":"y"}}}`)
		},
		status: 200,
	},
}

func TestKeysUpload(t *testing.T) {
	for _, cases := range [][]keysUploadCase{keysUploadSignatures, keysUploadTampering, keysUploadMalformed} {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				e := newKeysEnv(t, !tc.lenient)
				r := e.upload(tc.body(t, e))
				if r.Status != tc.status || errcodeOf(r) != tc.errcode {
					t.Fatalf("got %d %s, want %d %s", r.Status, r.Body, tc.status, tc.errcode)
				}
				if got := e.hs.CrossSigned(aliceID, newDevice); got != tc.crossSigned {
					t.Errorf("cross-signed %v, want %v (%v)", got, tc.crossSigned, e.hs.VerifyDevice(aliceID, newDevice))
				}
				_, stored := e.hs.DeviceKeysJSON(aliceID, newDevice)
				if want := tc.status == 200 && tc.name != "one-time keys only"; stored != want {
					t.Errorf("device keys stored %v, want %v", stored, want)
				}
			})
		}
	}
}

// TestCrossSignedIsComputed shows that the predicate verifies the stored
// objects rather than trusting the upload's outcome: a lenient server
// stores a forged cross-signature, and the check names it.
func TestCrossSignedIsComputed(t *testing.T) {
	e := newKeysEnv(t, false)
	v := e.dev.Object()
	_ = Sign(&v, aliceID, e.dev.KeyID(), e.dev.Ed25519)
	_ = Sign(&v, aliceID, e.alice.SelfSigning.KeyID(), e.other)
	if r := e.upload(KeysUploadBody(canonicaljson.Append(nil, &v))); r.Status != 200 {
		t.Fatalf("lenient upload: %d %s", r.Status, r.Body)
	}
	err := e.hs.VerifyDevice(aliceID, newDevice)
	if !errors.Is(err, ErrBadSignature) || !strings.Contains(err.Error(), "cross-signature") {
		t.Errorf("VerifyDevice: %v", err)
	}
	// Re-uploading properly signed keys (same identity keys) fixes it.
	if r := e.upload(KeysUploadBody(e.dev.Signed(e.alice.SelfSigning))); r.Status != 200 {
		t.Fatalf("re-upload: %d %s", r.Status, r.Body)
	}
	if err := e.hs.VerifyDevice(aliceID, newDevice); err != nil {
		t.Errorf("after re-upload: %v", err)
	}
	// Different identity keys for the same device are refused.
	d2, _ := NewDeviceKeys(aliceID, newDevice, seeded.Stream(77))
	if r := e.upload(KeysUploadBody(d2.Signed(e.alice.SelfSigning))); r.Status != 400 || errcodeOf(r) != ErrcodeInvalidParam {
		t.Errorf("new identity keys: %d %s", r.Status, r.Body)
	}
	// Without a device, keys or identity the predicate says why.
	for _, tc := range []struct {
		user, device string
		err          error
	}{
		{"@nobody:lab.example", newDevice, ErrNoAccount},
		{aliceID, "NOSUCHDEVICE", ErrNoDevice},
	} {
		if err := e.hs.VerifyDevice(tc.user, tc.device); !errors.Is(err, tc.err) {
			t.Errorf("%s %s: %v", tc.user, tc.device, err)
		}
	}
	e.hs.AddDevice(2, aliceID, "KEYLESS", "")
	if err := e.hs.VerifyDevice(aliceID, "KEYLESS"); !errors.Is(err, ErrNoKeys) {
		t.Errorf("keyless: %v", err)
	}
}

func TestSetCrossSigningKeys(t *testing.T) {
	hs, _ := New(PresetSynapse2026(), nil)
	alice, _ := NewIdentity(aliceID, seeded.Stream(1))
	mallory, _ := NewIdentity(malloryID, seeded.Stream(2))
	cases := []struct {
		name              string
		master, ssk, usk  []byte
		ok                bool
		containsInMessage string
	}{
		{"genuine", alice.MasterKeyJSON(), alice.SelfSigningKeyJSON(), alice.UserSigningKeyJSON(), true, ""},
		{"self-signing key signed by another master", alice.MasterKeyJSON(), crossSigningKey(aliceID, UsageSelfSigning, alice.SelfSigning, mallory.Master), alice.UserSigningKeyJSON(), false, "self-signing"},
		{"unsigned self-signing key", alice.MasterKeyJSON(), crossSigningKey(aliceID, UsageSelfSigning, alice.SelfSigning, nil), alice.UserSigningKeyJSON(), false, "self-signing"},
		{"usage swapped", alice.MasterKeyJSON(), alice.UserSigningKeyJSON(), alice.SelfSigningKeyJSON(), false, "usage"},
		{"another user's master key", mallory.MasterKeyJSON(), alice.SelfSigningKeyJSON(), alice.UserSigningKeyJSON(), false, "user_id"},
	}
	for _, tc := range cases {
		err := hs.SetCrossSigningKeys(aliceID, tc.master, tc.ssk, tc.usk)
		if (err == nil) != tc.ok || (err != nil && !strings.Contains(err.Error(), tc.containsInMessage)) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

func TestKeysAreReproducible(t *testing.T) {
	a, _ := NewIdentity(aliceID, seeded.Stream(9))
	b, _ := NewIdentity(aliceID, seeded.Stream(9))
	if string(a.SelfSigningKeyJSON()) != string(b.SelfSigningKeyJSON()) {
		t.Errorf("same stream, different identities")
	}
	da, _ := NewDeviceKeys(aliceID, "D", seeded.Stream(9))
	db, _ := NewDeviceKeys(aliceID, "D", seeded.Stream(9))
	if string(da.Signed(a.SelfSigning)) != string(db.Signed(b.SelfSigning)) {
		t.Errorf("same stream, different device keys")
	}
	// The seed round-trips, as m.login.secrets carries it.
	k, err := SigningKeyFromSeed(a.SelfSigning.Seed())
	if err != nil || k.PublicBase64() != a.SelfSigning.PublicBase64() {
		t.Errorf("seed round trip: %v", err)
	}
	if _, err := SigningKeyFromSeed(make([]byte, 31)); !errors.Is(err, ErrBadKey) {
		t.Errorf("short seed: %v", err)
	}
	if _, err := NewSigningKey(strings.NewReader("short")); !errors.Is(err, wire.ErrRandom) {
		t.Errorf("short stream: %v", err)
	}
}

func TestOneTimeKeyCounts(t *testing.T) {
	e := newKeysEnv(t, true)
	r := e.upload([]byte(`{"one_time_keys":{"signed_curve25519:A":{"key":"x"},"curve25519:B":"y"}}`))
	if string(r.Body) != `{"one_time_key_counts":{"curve25519":1,"signed_curve25519":1}}` {
		t.Errorf("counts %s", r.Body)
	}
	r = e.upload([]byte(`{"one_time_keys":{"signed_curve25519:A":{"key":"x"},"signed_curve25519:C":{"key":"z"}}}`))
	if string(r.Body) != `{"one_time_key_counts":{"curve25519":1,"signed_curve25519":2}}` {
		t.Errorf("counts after a repeat %s", r.Body)
	}
	r = e.upload([]byte(`{}`))
	if r.Status != 200 {
		t.Errorf("empty upload: %d", r.Status)
	}
	if r = e.upload([]byte(`{"one_time_keys":{"nocolon":"x"}}`)); r.Status != 400 {
		t.Errorf("bad key ID: %d", r.Status)
	}
}
