package sim

import (
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
