package homeserver

import (
	"bytes"
	"crypto/ecdh"
	"io"
	"math/rand/v2"
	"testing"
)

// TestDeviceCurve25519MatchesECDH checks that a device's Curve25519 public
// key is the one crypto/ecdh computes from the same private key, for a
// hundred seeded draws (including the clamping of the private key's bits).
func TestDeviceCurve25519MatchesECDH(t *testing.T) {
	for seed := range uint64(100) {
		src := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)})
		var buf [64]byte
		if _, err := io.ReadFull(src, buf[:]); err != nil {
			t.Fatal(err)
		}
		dk, err := NewDeviceKeys("@a:x", "D", bytes.NewReader(buf[:]))
		if err != nil {
			t.Fatal(err)
		}
		priv, err := ecdh.X25519().NewPrivateKey(buf[32:])
		if err != nil {
			t.Fatal(err)
		}
		if want := priv.PublicKey().Bytes(); !bytes.Equal(dk.Curve25519, want) {
			t.Fatalf("seed %d: curve25519 public key %x, crypto/ecdh says %x", seed, dk.Curve25519, want)
		}
	}
}
