package seeded

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// TestStreamKey checks that Stream keys ChaCha8 with the seed's bytes,
// little-endian, so that every test that built its stream by hand draws the
// same bytes from it.
func TestStreamKey(t *testing.T) {
	for _, seed := range []uint64{0, 1, 255, 256, 0x1234, 1 << 40, ^uint64(0)} {
		var key [32]byte
		for i := range 8 {
			key[i] = byte(seed >> (8 * i))
		}
		want, got := make([]byte, 64), make([]byte, 64)
		rand.NewChaCha8(key).Read(want)
		Stream(seed).Read(got)
		if !bytes.Equal(got, want) {
			t.Fatalf("seed %#x: stream differs from ChaCha8 keyed little-endian", seed)
		}
	}
}

// TestKey checks that Key pads the bytes with zeros, and that two seeds give
// two streams.
func TestKey(t *testing.T) {
	want, got := make([]byte, 64), make([]byte, 64)
	rand.NewChaCha8([32]byte{'q', 'r', 'l', 'a', 'b'}).Read(want)
	Key('q', 'r', 'l', 'a', 'b').Read(got)
	if !bytes.Equal(got, want) {
		t.Fatal("Key('q','r','l','a','b') differs from the zero-padded key")
	}
	a, b := make([]byte, 16), make([]byte, 16)
	Key(1).Read(a)
	Key(2).Read(b)
	if bytes.Equal(a, b) {
		t.Fatal("two keys gave the same stream")
	}
}
