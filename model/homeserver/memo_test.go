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
	k, err := SigningKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	if err != nil {
		t.Fatal(err)
	}
	other, err := SigningKeyFromSeed(bytes.Repeat([]byte{8}, ed25519.SeedSize))
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte(`{"device_id":"D","user_id":"@a:b"}`)
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
