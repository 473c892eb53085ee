package homeserver

import (
	"bytes"
	"crypto/ed25519"
	"testing"
)

// TestVerifyMemo: a memo answers as ed25519.Verify does, for a good
// signature and for a bad signature, key or message, the first time (computed)
// and the second (looked up); inputs that differ in one byte are different
// entries; a full memo starts again empty and still answers right.
func TestVerifyMemo(t *testing.T) {
	k, other, msg := memoInputs(t)
	sig := k.Sign(msg)
	badSig := append([]byte(nil), sig...)
	badSig[5] ^= 1
	badMsg := append([]byte(nil), msg...)
	badMsg[3] ^= 1
	cases := []struct {
		name     string
		pub      ed25519.PublicKey
		msg, sig []byte
	}{
		{"good", k.Public(), msg, sig},
		{"bad signature", k.Public(), msg, badSig},
		{"bad message", k.Public(), badMsg, sig},
		{"other key", other.Public(), msg, sig},
	}
	m := NewVerifyMemo()
	for round := range 2 {
		for _, c := range cases {
			want := ed25519.Verify(c.pub, c.msg, c.sig)
			if got := m.verify(c.pub, c.msg, c.sig); got != want {
				t.Fatalf("round %d, %s: memo says %v, ed25519.Verify %v", round, c.name, got, want)
			}
		}
	}
	if len(m.m) != len(cases) {
		t.Fatalf("%d entries for %d different inputs", len(m.m), len(cases))
	}
	for i := range memoMax {
		m.m[string(rune(i))] = true
	}
	// Known inputs are looked up; a new one empties the full memo first.
	osig := other.Sign(msg)
	if !m.verify(k.Public(), msg, sig) || !m.verify(other.Public(), msg, osig) || len(m.m) != 1 {
		t.Fatalf("after filling: %d entries, or a wrong answer", len(m.m))
	}
	if !m.verify(k.Public(), msg, sig) || m.verify(k.Public(), msg, badSig) || len(m.m) != 3 {
		t.Fatalf("after emptying: %d entries, or a wrong answer", len(m.m))
	}
	var none *VerifyMemo
	if !none.verify(k.Public(), msg, sig) || none.verify(k.Public(), msg, badSig) {
		t.Fatal("no memo: wrong answer")
	}
}

// TestSignMemo: a memo signs as ed25519.Sign does, the first time
// (computed) and the second (looked up), for two keys and two messages
// that differ in one byte, each its own entry; the signature it hands out
// is the caller's own (writing it changes no later answer); a full memo
// starts again empty and still signs right; no memo signs too; and device
// keys signed through a memo are the same bytes as without.
func TestSignMemo(t *testing.T) {
	k, other, msg := memoInputs(t)
	msg2 := append([]byte(nil), msg...)
	msg2[3] ^= 1
	cases := []struct {
		key *SigningKey
		msg []byte
	}{{k, msg}, {k, msg2}, {other, msg}, {other, msg2}}
	m := NewSignMemo()
	for round := range 2 {
		for i, c := range cases {
			want := ed25519.Sign(c.key.priv, c.msg)
			got := m.Sign(c.key, c.msg)
			if !bytes.Equal(got, want) {
				t.Fatalf("round %d, case %d: memo signs %x, ed25519.Sign %x", round, i, got, want)
			}
			got[0] ^= 0xff // the caller's own: the memo must not hand it out again
		}
	}
	if len(m.m) != len(cases) {
		t.Fatalf("%d entries for %d different inputs", len(m.m), len(cases))
	}
	for i := range memoMax - len(m.m) {
		m.m[string(rune(i))+"x"] = nil
	}
	if got := m.Sign(k, msg); !bytes.Equal(got, ed25519.Sign(k.priv, msg)) || len(m.m) != memoMax {
		t.Fatalf("a known input in a full memo: %d entries, or a wrong signature", len(m.m))
	}
	if got := m.Sign(k, []byte("new")); !bytes.Equal(got, ed25519.Sign(k.priv, []byte("new"))) || len(m.m) != 1 {
		t.Fatalf("a new input in a full memo: %d entries (want it emptied first), or a wrong signature", len(m.m))
	}
	var none *SignMemo
	if !bytes.Equal(none.Sign(k, msg), ed25519.Sign(k.priv, msg)) {
		t.Fatal("no memo: wrong signature")
	}
	dk := &DeviceKeys{UserID: "@a:b", DeviceID: "D", Ed25519: k, Curve25519: bytes.Repeat([]byte{9}, 32)}
	want := dk.Signed(other)
	for range 2 {
		if got := dk.SignedMemo(other, m); !bytes.Equal(got, want) {
			t.Fatalf("signed through a memo:\n%s\nwithout:\n%s", got, want)
		}
	}
	if err := VerifyJSON(want, "@a:b", other.KeyID(), other.Public()); err != nil {
		t.Fatalf("the self-signing signature does not verify: %v", err)
	}
}

// memoInputs are the memo tests' two signing keys (from seeds of 7s and
// 8s) and a device-keys-like message.
func memoInputs(t *testing.T) (k, other *SigningKey, msg []byte) {
	t.Helper()
	var err error
	if k, err = SigningKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize)); err != nil {
		t.Fatal(err)
	}
	if other, err = SigningKeyFromSeed(bytes.Repeat([]byte{8}, ed25519.SeedSize)); err != nil {
		t.Fatal(err)
	}
	return k, other, []byte(`{"device_id":"D","user_id":"@a:b"}`)
}
