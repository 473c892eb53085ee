package wire

import (
	"math/rand/v2"
	"testing"
)

// skipPlainBytewise and skipUnescapedBytewise are the one-byte-at-a-time
// definitions the word-at-a-time scans must agree with.
func skipPlainBytewise(b []byte, i int) int {
	for i < len(b) && plainByte[b[i]] != 0 {
		i++
	}
	return i
}

func skipUnescapedBytewise(s string, i int) int {
	for i < len(s) && s[i] >= 0x20 && s[i] != '"' && s[i] != '\\' {
		i++
	}
	return i
}

func checkScans(t *testing.T, b []byte) {
	t.Helper()
	for i := 0; i <= len(b); i++ {
		if got, want := SkipPlain(b, i), skipPlainBytewise(b, i); got != want {
			t.Fatalf("SkipPlain(%q, %d) = %d, want %d", b, i, got, want)
		}
		if got, want := skipUnescaped(string(b), i), skipUnescapedBytewise(string(b), i); got != want {
			t.Fatalf("skipUnescaped(%q, %d) = %d, want %d", b, i, got, want)
		}
	}
}

// TestScansAgree checks the word-at-a-time scans against the byte-at-a-time
// definitions: every byte value at every position of a word and of the tail
// after it, with plain bytes around it and with a second special byte after
// it (a borrow from the first must not hide or move it), and random
// buffers rich in the bytes that matter.
func TestScansAgree(t *testing.T) {
	for v := range 256 {
		for k := range 20 {
			b := []byte("abcdefghijklmnopqrstuvwx")[:20]
			b[k] = byte(v)
			checkScans(t, b)
			for k2 := k + 1; k2 < 20; k2++ {
				c := append([]byte(nil), b...)
				c[k2] = '"'
				checkScans(t, c)
				c[k2] = 0x1f
				checkScans(t, c)
			}
		}
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte{0, 0x1f, 0x20, 0x21, '"', 0x23, '[', '\\', ']', 0x7e, 0x7f, 0x80, 0x9f, 0xa0, 0xc3, 0xff, 'A', 'z', '0'}
	for range 20000 {
		b := make([]byte, rnd.IntN(40))
		for j := range b {
			if rnd.IntN(4) == 0 {
				b[j] = alphabet[rnd.IntN(len(alphabet))]
			} else {
				b[j] = byte('a' + rnd.IntN(26))
			}
		}
		checkScans(t, b)
	}
}

func FuzzScans(f *testing.F) {
	f.Add([]byte(`{"data":"QUJDREVGR0hJSktMTU5PUA","sequence_token":"abc\\"}`))
	f.Add([]byte("plain ascii \x7f then \xc3\xa9 and \x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 256 {
			b = b[:256]
		}
		checkScans(t, b)
	})
}
