package msg

import (
	"errors"
	"testing"
)

// TestDecodeProofOfPossessionErrors: the lab's proof message refuses a
// signature that is not unpadded base64 of exactly 64 bytes, and a missing
// device_id, naming the field.
func TestDecodeProofOfPossessionErrors(t *testing.T) {
	const typ = `"type":"io.qrlab.login.proof_of_possession"`
	tests := []struct {
		name, in string
		kind     Kind
		path     string
	}{
		{"signature too short", `{` + typ + `,"device_id":"D","signature":"AAAA"}`, KindBadKey, "signature"},
		{"signature not base64", `{` + typ + `,"device_id":"D","signature":"%%%"}`, KindBadKey, "signature"},
		{"signature padded", `{` + typ + `,"device_id":"D","signature":"` + sig64B64 + `=="}`, KindBadKey, "signature"},
		{"signature not a string", `{` + typ + `,"device_id":"D","signature":1}`, KindWrongType, "signature"},
		{"no signature", `{` + typ + `,"device_id":"D"}`, KindMissingField, "signature"},
		{"no device_id", `{` + typ + `,"signature":"` + sig64B64 + `"}`, KindMissingField, "device_id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Decode([]byte(tc.in))
			var e *Error
			if !errors.As(err, &e) || e.Kind != tc.kind || e.Path != tc.path {
				t.Fatalf("Decode = %#v, %v; want kind %v at %q", m, err, tc.kind, tc.path)
			}
		})
	}
	m, err := Decode([]byte(`{` + typ + `,"device_id":"D","signature":"` + sig64B64 + `"}`))
	if err != nil || m != (ProofOfPossession{DeviceID: "D", Signature: sig64()}) {
		t.Fatalf("valid proof: %#v, %v", m, err)
	}
}

// sig64B64 is sig64() as unpadded base64.
const sig64B64 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+Pw"
