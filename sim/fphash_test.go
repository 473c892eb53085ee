package sim

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"testing"
)

// TestFPHashAvalanche: flipping any one bit of an input (lengths 0 to 80
// bytes, so every tail length and several blocks) flips each of the 128
// output bits in about half the cases, and a zero byte appended is never
// the same input: the hash mixes every bit of the input and its length
// into both lanes.
func TestFPHashAvalanche(t *testing.T) {
	h := newFPHash(7)
	rng := rand.New(rand.NewPCG(5, 18))
	var flips [128]int
	trials := 0
	for n := 0; n <= 80; n++ {
		for range 4 {
			in := make([]byte, n)
			for i := range in {
				in[i] = byte(rng.Uint32())
			}
			base := h.sum(in)
			if h.sum(append(in[:n:n], 0)) == base {
				t.Fatalf("length %d: a zero byte appended hashes the same", n)
			}
			for bit := range n * 8 {
				in[bit/8] ^= 1 << (bit % 8)
				got := h.sum(in)
				in[bit/8] ^= 1 << (bit % 8)
				if got == base {
					t.Fatalf("length %d: flipping bit %d changed nothing", n, bit)
				}
				for lane := range 2 {
					d := got[lane] ^ base[lane]
					for d != 0 {
						flips[lane*64+bits.TrailingZeros64(d)]++
						d &= d - 1
					}
				}
				trials++
			}
		}
	}
	for i, f := range flips {
		if p := float64(f) / float64(trials); p < 0.47 || p > 0.53 {
			t.Fatalf("output bit %d flipped in %.3f of %d single-bit changes, not about half", i, p, trials)
		}
	}
}

// refSum is fpHash.sum as first written, block by block through the
// slice: sum must compute the same values.
func refSum(h *fpHash, p []byte) Fingerprint {
	n := uint64(len(p))
	s0, s1, s2, s3 := h.s[0], h.s[1], h.s[2], h.s[3]
	a := fold(h.s[4]^s0, s1^n)
	b := fold(h.s[5]^s2, s3^n)
	for len(p) >= 16 {
		x, y := binary.LittleEndian.Uint64(p), binary.LittleEndian.Uint64(p[8:])
		a = fold(x^s0, y^a)
		b = fold(x^s2, y^b)
		p = p[16:]
	}
	var t [16]byte
	copy(t[:], p)
	x, y := binary.LittleEndian.Uint64(t[:]), binary.LittleEndian.Uint64(t[8:])
	a = fold(fold(x^s0, y^a)^s1, n^s0)
	b = fold(fold(x^s2, y^b)^s3, n^s2)
	return Fingerprint{a, b}
}

// TestFPHashSameValues: the hash's unrolled loop gives the values of the
// block-by-block definition (refSum) at every length from 0 to 200 bytes
// (every tail and both loops' ends), on slices that start at every offset
// of a word (unaligned loads), and on the empty and nil slices: the
// fingerprints are the same as before the loop was unrolled.
func TestFPHashSameValues(t *testing.T) {
	h := newFPHash(18)
	rng := rand.New(rand.NewPCG(18, 5))
	buf := make([]byte, 208)
	for i := range buf {
		buf[i] = byte(rng.Uint32())
	}
	for off := range 8 {
		for n := 0; n <= 200; n++ {
			in := buf[off : off+n]
			if got, want := h.sum(in), refSum(&h, in); got != want {
				t.Fatalf("offset %d length %d: sum %x, block by block %x", off, n, got, want)
			}
		}
	}
	if h.sum(nil) != refSum(&h, nil) {
		t.Fatal("the nil slice hashes otherwise than block by block")
	}
}
