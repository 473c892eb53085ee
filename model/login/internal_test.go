package login

import (
	"bytes"
	"encoding/hex"
	"testing"

	"qrlab/internal/seeded"
	"qrlab/model/homeserver"
	"qrlab/model/msg"
	"qrlab/model/qr"
	"qrlab/model/variant"
)

// The tests that look inside a machine. The tests that drive whole logins
// are in package login_test, since logintest imports this package.

// TestMutationNoExpiry: the mutant sets no deadline; the honest device does.
func TestMutationNoExpiry(t *testing.T) {
	for _, muts := range [][]string{nil, {variant.MutNoExpiry}} {
		v := variant.MustLoad("msc4388")
		v.Mutations = variant.NewMutations(muts...)
		n, err := NewNewDevice(NewDeviceConfig{Variant: v, Intent: qr.Login, RendezvousBaseURL: "https://hs.example"}, seeded.Stream(1))
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
		n, err := NewNewDevice(NewDeviceConfig{Variant: v, Intent: qr.Login, RendezvousBaseURL: "https://hs.example"}, seeded.Stream(1))
		if err != nil {
			t.Fatal(err)
		}
		n.rvBase, n.rvID = "https://hs.example", "ID"
		if bound := n.aad("tok") != nil; bound != (muts == nil) {
			t.Fatalf("mutations %v: AAD bound %v", muts, bound)
		}
	}
}

// TestBackupPublicKey: the backup key's public half, which the new device
// compares with auth_data, is X25519's (RFC 7748 section 6.1, Alice).
func TestBackupPublicKey(t *testing.T) {
	var bk msg.BackupKey
	hex.Decode(bk[:], []byte("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"))
	pub := backupPublicKey(bk)
	if got := hex.EncodeToString(pub[:]); got != "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a" {
		t.Fatalf("backup public key %s", got)
	}
}

// TestKnownSigningKeys: a seed equal to a known key's takes that key pair;
// any other seed (one byte off included) is derived from its own bytes, and
// a known key gives the same key pair deriving gives.
func TestKnownSigningKeys(t *testing.T) {
	known, err := homeserver.NewSigningKey(seeded.Stream(7))
	if err != nil {
		t.Fatal(err)
	}
	seed := known.Seed()
	n, err := NewNewDevice(NewDeviceConfig{Variant: variant.MustLoad("msc4388"), Intent: qr.Login, RendezvousBaseURL: "https://hs.example",
		KnownKeys: []*homeserver.SigningKey{known}}, seeded.Stream(1))
	if err != nil {
		t.Fatal(err)
	}
	if k, err := n.signingKey(seed); err != nil || k != known {
		t.Fatalf("known seed: got %v, %v; want the known key", k, err)
	}
	derived, err := homeserver.SigningKeyFromSeed(seed)
	if err != nil || !bytes.Equal(derived.Public(), known.Public()) {
		t.Fatalf("the known key's public key differs from its seed's: %v", err)
	}
	other := bytes.Clone(seed)
	other[31] ^= 1
	k, err := n.signingKey(other)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := homeserver.SigningKeyFromSeed(other)
	if k == known || !bytes.Equal(k.Public(), want.Public()) || bytes.Equal(k.Public(), known.Public()) {
		t.Fatalf("a seed one bit off: got public key %x, want %x", k.Public(), want.Public())
	}
	if _, err := n.signingKey(seed[:31]); err == nil {
		t.Fatal("a 31-byte seed was accepted")
	}
}
