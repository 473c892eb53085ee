package homeserver

import (
	"crypto/ecdh"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"qrlab/internal/seeded"
	"qrlab/model/wire"
)

// TestRoomKeysVersion checks the backup version endpoint: 404 before a
// backup exists, then the current version with the public key of the
// private key CreateBackup returned, as unpadded base64.
func TestRoomKeysVersion(t *testing.T) {
	hs, err := New(PresetSynapse2026(), nil)
	if err != nil {
		t.Fatal(err)
	}
	hs.AddDevice(0, aliceID, "DEV", "tok")
	get := func(tok string) Response {
		r, _ := hs.Handle(0, &Request{Method: "GET", Path: PathRoomKeysVersion, Header: wire.NewHeader("Authorization", "Bearer "+tok)})
		return r
	}
	if r := get("tok"); r.Status != 404 || !json.Valid(r.Body) {
		t.Fatalf("no backup: %d %s", r.Status, r.Body)
	}
	if r := get("nope"); r.Status != 401 {
		t.Fatalf("unknown token: %d", r.Status)
	}
	if r, _ := hs.Handle(0, &Request{Method: "PUT", Path: PathRoomKeysVersion}); r.Status != 405 {
		t.Fatalf("PUT: %d", r.Status)
	}
	for want := range []string{"1", "2"} {
		priv, version, err := hs.CreateBackup(aliceID, seeded.Stream(uint64(10+want)))
		if err != nil {
			t.Fatal(err)
		}
		if version != string(rune('1'+want)) {
			t.Fatalf("version %q, want %d", version, want+1)
		}
		r := get("tok")
		var body struct {
			Algorithm string `json:"algorithm"`
			AuthData  struct {
				PublicKey string `json:"public_key"`
			} `json:"auth_data"`
			Version string `json:"version"`
		}
		if r.Status != 200 || json.Unmarshal(r.Body, &body) != nil {
			t.Fatalf("backup: %d %s", r.Status, r.Body)
		}
		k, _ := ecdh.X25519().NewPrivateKey(priv[:])
		if body.Algorithm != BackupAlgorithm || body.Version != version ||
			body.AuthData.PublicKey != base64.RawStdEncoding.EncodeToString(k.PublicKey().Bytes()) {
			t.Fatalf("backup body %s", r.Body)
		}
	}
	hs.SetBackup(aliceID, "9", [32]byte{1})
	if r := get("tok"); r.Status != 200 || !strings.Contains(string(r.Body), `"version":"9"`) ||
		!strings.Contains(string(r.Body), `"public_key":"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"`) {
		t.Fatalf("SetBackup: %d %s", r.Status, r.Body)
	}
	if _, _, err := hs.CreateBackup(aliceID, strings.NewReader("short")); err == nil {
		t.Fatal("CreateBackup accepted a random stream that ran dry")
	}
}
