package rendezvous

import (
	"encoding/binary"
	"fmt"
	"io"
)

// seedStream is the deterministic byte stream used when New gets no random
// reader: SplitMix64 over (seed, counter). Same seed, same IDs.
type seedStream struct {
	state uint64
}

// Read fills p from the stream; it never fails.
func (s *seedStream) Read(p []byte) (int, error) {
	var w [8]byte
	for i := 0; i < len(p); i += 8 {
		s.state += 0x9e3779b97f4a7c15
		z := s.state
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		z ^= z >> 31
		binary.LittleEndian.PutUint64(w[:], z)
		copy(p[i:], w[:])
	}
	return len(p), nil
}

// crockford is the ULID alphabet.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// newID draws a session ID of the configured style. The random bytes come
// from the store's reader.
func (s *Store) newID(now Millis) (string, error) {
	switch s.cfg.IDs {
	case IDUUID:
		b := s.idbuf[:16]
		if _, err := io.ReadFull(s.rnd, b); err != nil {
			return "", fmt.Errorf("rendezvous: reading random bytes for a session ID: %w", err)
		}
		b[6] = b[6]&0x0f | 0x40
		b[8] = b[8]&0x3f | 0x80
		const hexdigits = "0123456789abcdef"
		var out [36]byte
		j := 0
		for i := 0; i < 16; i++ {
			if i == 4 || i == 6 || i == 8 || i == 10 {
				out[j] = '-'
				j++
			}
			out[j] = hexdigits[b[i]>>4]
			out[j+1] = hexdigits[b[i]&0x0f]
			j += 2
		}
		return string(out[:]), nil
	default:
		// ULID: 48-bit big-endian millisecond time, then 80 random bits,
		// 130 bits written as 26 Crockford base32 digits (the first digit
		// carries the top 3 bits).
		var raw [16]byte
		t := uint64(now)
		if now < 0 {
			t = 0
		}
		raw[0] = byte(t >> 40)
		raw[1] = byte(t >> 32)
		raw[2] = byte(t >> 24)
		raw[3] = byte(t >> 16)
		raw[4] = byte(t >> 8)
		raw[5] = byte(t)
		if _, err := io.ReadFull(s.rnd, raw[6:16]); err != nil {
			return "", fmt.Errorf("rendezvous: reading random bytes for a session ID: %w", err)
		}
		hi := binary.BigEndian.Uint64(raw[0:8])
		lo := binary.BigEndian.Uint64(raw[8:16])
		var out [26]byte
		for i := 25; i >= 0; i-- {
			out[i] = crockford[lo&31]
			lo = lo>>5 | hi<<59
			hi >>= 5
		}
		return string(out[:]), nil
	}
}
