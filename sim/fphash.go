package sim

import (
	"encoding/binary"
	"math/bits"
	"unsafe"
)

// fpHash is the fingerprint's hash: two 64-bit lanes, each a chain of
// 128-bit multiplications of the input's 64-bit words mixed with the
// lane's secrets and the chain so far, folded (high half xor low half),
// under a key that is an input of the run (Stepping.FingerprintKey, by
// default drawn from the run's seed). Nothing in it is drawn per process:
// the same run with the same key has the same fingerprints in every
// process. The step per 16 bytes is wyhash's (wangyi-fudan/wyhash,
// wyhash.h at f58bb2ad: _wymix, and the loop
// seed=_wymix(_wyr8(p)^secret[1],_wyr8(p+8)^seed)); the secrets, the two
// lanes and the tail are this file's own, and it has not been through
// SMHasher. wyhash.h names the construction's known weakness: a word
// equal to the secret it is mixed with zeroes the product and loses the
// chain ("blind multiplication", probability 2^-63 there).
//
// It is not a cryptographic hash. The explorer's omission estimate assumes
// that it behaves as a uniformly random function on the state encodings,
// as SPIN's and TLC's estimates assume of their hashes; the encodings are
// the model's states, not inputs chosen against the key.
type fpHash struct {
	// s are the secrets of lane 0 (s[0], s[1]) and lane 1 (s[2], s[3]),
	// and the lanes' seeds (s[4], s[5]).
	s [6]uint64
}

// newFPHash derives the hash's secrets from key (splitmix64 steps, each
// forced odd so that no secret is zero).
func newFPHash(key uint64) fpHash {
	var h fpHash
	x := key
	for i := range h.s {
		x += 0x9e3779b97f4a7c15
		z := x
		z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
		z = (z ^ z>>27) * 0x94d049bb133111eb
		h.s[i] = (z ^ z>>31) | 1
	}
	return h
}

// fold multiplies a and b to 128 bits and folds the halves together.
func fold(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// sum hashes p to 128 bits, the two lanes in one pass. The words are
// loaded without bounds checks and two blocks a round, which computes the
// chain fphash_test.go's refSum computes block by block (the same values):
// the hash is an encoder's largest single cost, over every byte encoded.
func (h *fpHash) sum(p []byte) Fingerprint {
	n := uint64(len(p))
	s0, s1, s2, s3 := h.s[0], h.s[1], h.s[2], h.s[3]
	a := fold(h.s[4]^s0, s1^n)
	b := fold(h.s[5]^s2, s3^n)
	q := unsafe.Pointer(unsafe.SliceData(p))
	for ; n >= 32; n -= 32 {
		x, y := *(*uint64)(q), *(*uint64)(unsafe.Add(q, 8))
		a = fold(x^s0, y^a)
		b = fold(x^s2, y^b)
		x, y = *(*uint64)(unsafe.Add(q, 16)), *(*uint64)(unsafe.Add(q, 24))
		a = fold(x^s0, y^a)
		b = fold(x^s2, y^b)
		q = unsafe.Add(q, 32)
	}
	if n >= 16 {
		x, y := *(*uint64)(q), *(*uint64)(unsafe.Add(q, 8))
		a = fold(x^s0, y^a)
		b = fold(x^s2, y^b)
		q = unsafe.Add(q, 16)
		n -= 16
	}
	// The last 0 to 15 bytes, zero-padded; the length above tells padding
	// from zeros.
	var t [16]byte
	copy(t[:], unsafe.Slice((*byte)(q), n))
	x, y := binary.LittleEndian.Uint64(t[:]), binary.LittleEndian.Uint64(t[8:])
	ln := uint64(len(p))
	a = fold(fold(x^s0, y^a)^s1, ln^s0)
	b = fold(fold(x^s2, y^b)^s3, ln^s2)
	return Fingerprint{a, b}
}
