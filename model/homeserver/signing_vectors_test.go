package homeserver

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
)

// signingVectors are the JSON signing test vectors of the Matrix
// specification's appendix.
type signingVectors struct {
	Signing struct {
		Seed    string `json:"seed"`
		Signer  string `json:"signer"`
		KeyID   string `json:"key_id"`
		Vectors []struct {
			Input     string `json:"input"`
			Signature string `json:"signature"`
		} `json:"vectors"`
	} `json:"signing"`
}

func loadSigningVectors(t *testing.T) signingVectors {
	t.Helper()
	raw, err := os.ReadFile("testdata/spec_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v signingVectors
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestSigningSpecVectors checks Ed25519 signatures over canonical JSON
// against the appendix's test vectors.
func TestSigningSpecVectors(t *testing.T) {
	v := loadSigningVectors(t)
	seed, err := DecodeBase64(v.Signing.Seed)
	if err != nil {
		t.Fatal(err)
	}
	key, err := SigningKeyFromSeed(seed)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range v.Signing.Vectors {
		signed, err := SignJSON([]byte(tc.Input), v.Signing.Signer, v.Signing.KeyID, key)
		if err != nil {
			t.Fatal(err)
		}
		var out struct {
			Signatures map[string]map[string]string `json:"signatures"`
		}
		if err := json.Unmarshal(signed, &out); err != nil {
			t.Fatal(err)
		}
		if got := out.Signatures[v.Signing.Signer][v.Signing.KeyID]; got != tc.Signature {
			t.Errorf("%s: signature %s, want %s", tc.Input, got, tc.Signature)
		}
		if err := VerifyJSON(signed, v.Signing.Signer, v.Signing.KeyID, key.Public()); err != nil {
			t.Errorf("%s: %v", signed, err)
		}
		// unsigned and other signatures are not covered: adding them keeps
		// the signature valid.
		withExtra := strings.Replace(string(signed), `{`, `{"unsigned":{"age_ts":922834800000},`, 1)
		withExtra = strings.Replace(withExtra, `"signatures":{`, `"signatures":{"other.example":{"ed25519:9":"AAAA"},`, 1)
		if err := VerifyJSON([]byte(withExtra), v.Signing.Signer, v.Signing.KeyID, key.Public()); err != nil {
			t.Errorf("with unsigned data: %v", err)
		}
		// Any change to a covered member breaks it.
		tampered := strings.Replace(string(signed), `"signatures"`, `"extra":1,"signatures"`, 1)
		if err := VerifyJSON([]byte(tampered), v.Signing.Signer, v.Signing.KeyID, key.Public()); !errors.Is(err, ErrBadSignature) {
			t.Errorf("tampered: %v", err)
		}
	}
}
