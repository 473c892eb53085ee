package qr

import (
	"math/rand/v2"
	"testing"
	"unicode/utf8"
)

// TestFirstInvalidUTF8 holds the eight-bytes-at-a-time scan to the plain
// definition: the first index at which utf8.ValidString stops holding for
// the rest, one rune at a time.
func TestFirstInvalidUTF8(t *testing.T) {
	want := func(s string) int {
		for i := 0; i < len(s); {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				return i
			}
			i += n
		}
		return -1
	}
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "b", "é", "😀", "\xff", "\xc3", "\x80", "\xed\xa0\x80", "/", "\x00"}
	for range 20000 {
		var b []byte
		for range rng.IntN(40) {
			b = append(b, alphabet[rng.IntN(len(alphabet))]...)
		}
		s := string(b)
		if got, w := firstInvalidUTF8(s), want(s); got != w {
			t.Fatalf("firstInvalidUTF8(%q) = %d, want %d", s, got, w)
		}
		if got, w := firstInvalidUTF8(b), want(s); got != w {
			t.Fatalf("firstInvalidUTF8([]byte %q) = %d, want %d", s, got, w)
		}
	}
}
