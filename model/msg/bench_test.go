package msg

import (
	"encoding/base64"
	"encoding/json"
	"testing"
)

// BenchmarkDecode decodes the canonical sample of each message type.
func BenchmarkDecode(b *testing.B) {
	for _, tc := range samples(b) {
		in, err := Encode(tc.m)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				if _, err := Decode(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("malformed", func(b *testing.B) {
		in := []byte(`{"type":"m.login.secrets","cross_signing":{"master_key":"$base64_of_the_key"}}`)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Decode(in); err == nil {
				b.Fatal("accepted")
			}
		}
	})
}

// BenchmarkDecodeEncodingJSON is the yardstick: encoding/json into a
// struct of the secrets' shape, plus the same base64 work, without any of
// Decode's checks (case-folded keys, last duplicate wins, no type dispatch).
func BenchmarkDecodeEncodingJSON(b *testing.B) {
	var in []byte
	for _, tc := range samples(b) {
		if tc.name == "secrets with backup" {
			in, _ = Encode(tc.m)
		}
	}
	type shape struct {
		Type         string `json:"type"`
		CrossSigning *struct {
			MasterKey      string `json:"master_key"`
			SelfSigningKey string `json:"self_signing_key"`
			UserSigningKey string `json:"user_signing_key"`
		} `json:"cross_signing"`
		Backup *struct {
			Algorithm     string `json:"algorithm"`
			Key           string `json:"key"`
			BackupVersion string `json:"backup_version"`
		} `json:"backup"`
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	var k [33]byte
	for b.Loop() {
		var s shape
		if err := json.Unmarshal(in, &s); err != nil {
			b.Fatal(err)
		}
		for _, key := range []string{s.CrossSigning.MasterKey, s.CrossSigning.SelfSigningKey,
			s.CrossSigning.UserSigningKey, s.Backup.Key} {
			if _, err := base64.RawStdEncoding.Decode(k[:], []byte(key)); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkEncode encodes the sample of each message type.
func BenchmarkEncode(b *testing.B) {
	for _, tc := range samples(b) {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Encode(tc.m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
