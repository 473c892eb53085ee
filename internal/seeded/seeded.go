// Package seeded gives tests and tools deterministic random streams: the
// same seed, the same bytes, on every machine and every run. The model draws
// keys and identifiers from an io.Reader; a test hands it one of these
// instead of crypto/rand so that a failure reproduces bit for bit.
package seeded

import "math/rand/v2"

// Stream returns the ChaCha8 stream whose key holds seed's eight bytes,
// little-endian, followed by zeros.
func Stream(seed uint64) *rand.ChaCha8 {
	var key [32]byte
	for i := range 8 {
		key[i] = byte(seed >> (8 * i))
	}
	return rand.NewChaCha8(key)
}

// Key returns the ChaCha8 stream whose key is key's bytes followed by zeros,
// for tests whose seeds are short byte strings. More than 32 bytes is a
// programmer error and panics.
func Key(key ...byte) *rand.ChaCha8 {
	if len(key) > 32 {
		panic("seeded: a ChaCha8 key has 32 bytes")
	}
	var k [32]byte
	copy(k[:], key)
	return rand.NewChaCha8(k)
}
