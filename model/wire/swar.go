package wire

import (
	"encoding/binary"
	"math/bits"
	"unsafe"
)

// Scanning a JSON string eight bytes at a time. The long strings of the
// protocol (base64 payloads, keys, signatures) hold no byte that needs any
// care, so testing a whole 64-bit word at once (SWAR) and looking at single
// bytes only around the word that holds one is several times fewer
// instructions than a test per byte.
//
// The word tests are the classic "has a byte below n" and "has a zero
// byte": (x - n*lsb) &^ x & msb is non-zero exactly when some byte of x is
// below n (n <= 0x80). A borrow only ever flows from a byte that is itself
// below n into the next, more significant byte, so the lowest set bit
// marks the first such byte: on a little-endian load, the first in memory.

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// escapeMask has the top bit of each byte of x set from the first byte
// that AppendString must escape ('"', '\\', a control character) on; it is
// zero when there is none. Bytes of 0x80 and above are not flagged.
func escapeMask(x uint64) uint64 {
	q := x ^ (lsb * '"')
	s := x ^ (lsb * '\\')
	return ((x-lsb*0x20)&^x | (q-lsb)&^q | (s-lsb)&^s) & msb
}

// notPlainMask is escapeMask, also flagging bytes of 0x80 and above: the
// bytes outside plainByte.
func notPlainMask(x uint64) uint64 { return escapeMask(x) | x&msb }

// SkipPlain returns the index of the first byte at or after i in b that is
// not printable ASCII other than '"' and '\\' (a quote, a backslash, a
// control character, or a byte of a multi-byte UTF-8 sequence), or len(b)
// when there is none.
func SkipPlain(b []byte, i int) int {
	for len(b)-i >= 8 {
		if m := notPlainMask(binary.LittleEndian.Uint64(b[i:])); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
		i += 8
	}
	for i < len(b) && plainByte[b[i]] != 0 {
		i++
	}
	return i
}

// skipUnescaped returns the index of the first byte at or after i in s
// that AppendString escapes, or len(s) when there is none.
func skipUnescaped(s string, i int) int {
	b := unsafe.Slice(unsafe.StringData(s), len(s)) // only read
	for len(b)-i >= 8 {
		if m := escapeMask(binary.LittleEndian.Uint64(b[i:])); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
		i += 8
	}
	for i < len(b) {
		if c := b[i]; c < 0x20 || c == '"' || c == '\\' {
			return i
		}
		i++
	}
	return i
}
