package qrdiff

import (
	"encoding/binary"
	"math/rand/v2"

	"qrlab/model/qr"
)

// shape is one layout's wire shape: prefix, type byte, intent bytes and the
// widths of its two length fields (0 for the 2024 layout's u16 URL and
// optional u16 server name).
type shape struct {
	prefix       string
	typ          byte
	login, recip byte
	idLen, urlW  int
}

// shapes are the layouts model/qr knows, with each prefix they may carry.
var shapes = []shape{
	{qr.PrefixMatrix, 0x02, 0x03, 0x04, 0, 0},
	{qr.PrefixMatrix, 0x03, 0x00, 0x01, 2, 2},
	{qr.PrefixMSC4388, 0x03, 0x00, 0x01, 2, 2},
	{qr.PrefixMSC4108, 0x03, 0x00, 0x01, 2, 2},
	{qr.PrefixMatrix, 0x03, 0x00, 0x01, 1, 2},
	{qr.PrefixMSC4388, 0x03, 0x00, 0x01, 1, 2},
	{qr.PrefixMatrix, 0x03, 0x00, 0x01, 1, 1},
}

// Dictionaries of field values: valid ones first, then hostile ones.
var (
	urls = []string{
		"https://rendezvous.lab.element.dev/e8da6355-550b-4a32-a193-1619d9830668",
		"https://matrix-client.matrix.org", "https://example.org/", "https://example.org",
		"https://EXAMPLE.org:443/a", "http://example.org:8008/_matrix/x", "https://example.org/a/../b",
		"https://exa mple.org", "example.org", "https://", "http://x", "https://[::1]:8448",
		"https://ex\u00e4mple.org/\u00e4", "https://example.org/?q=1#f", "mailto:a@b", "/relative",
		"https://example.org/%zz", "https://user:pw@example.org", "\x00", "https://example.org\t",
	}
	ids = []string{
		"e8da6355-550b-4a32-a193-1619d9830668", "abc", "A.b_c~d-e", "", "a/b", "a b", "\u00e4",
		"a\x00b", "%41", string(make([]byte, 256)),
	}
	servers = []string{"matrix.org", "example.org:8448", "", "EXAMPLE.ORG", "ex ample", "\u00e4.org", "[::1]"}
	bytesX  = []byte{0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x7f, 0x80, 0xc0, 0xff, '/', ':', 'a'}
)

// validExamples is one valid encoding per layout and intent, made with
// model/qr's encoder: the seeds every mutation starts from.
func validExamples() [][]byte {
	var out [][]byte
	key := qr.PublicKey{1, 2, 3}
	for _, f := range qr.Formats() {
		for _, in := range []qr.Intent{qr.Login, qr.Reciprocate} {
			p := qr.Payload{Format: f, Intent: in, Key: key}
			if f == qr.Format2024 {
				p.RendezvousURL = urls[0]
				if in == qr.Reciprocate {
					p.ServerName = servers[0]
				}
			} else {
				p.RendezvousID, p.BaseURL = ids[0], urls[1]
			}
			b, err := p.Marshal()
			if err != nil {
				panic("qrdiff: a valid example does not encode: " + err.Error())
			}
			out = append(out, b)
		}
	}
	return out
}

// build writes a payload of shape s field by field; lengths follow the
// strings unless off shifts one of them.
func build(r *rand.Rand, s shape) []byte {
	b := []byte(s.prefix)
	b = append(b, s.typ)
	recip := r.IntN(2) == 0
	if recip {
		b = append(b, s.recip)
	} else {
		b = append(b, s.login)
	}
	var key [32]byte
	for i := range key {
		key[i] = byte(r.Uint32())
	}
	b = append(b, key[:]...)
	if s.idLen == 0 {
		b = appendString(b, 2, pick(r, urls))
		if recip || r.IntN(8) == 0 {
			b = appendString(b, 2, pick(r, servers))
		}
		return b
	}
	b = appendString(b, s.idLen, pick(r, ids))
	return appendString(b, s.urlW, pick(r, urls))
}

// pick returns a valid value three times in four, else any.
func pick(r *rand.Rand, dict []string) string {
	if r.IntN(4) != 0 {
		return dict[r.IntN(2)]
	}
	return dict[r.IntN(len(dict))]
}

func appendString(b []byte, width int, s string) []byte {
	if width == 1 {
		b = append(b, byte(len(s)))
	} else {
		b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	}
	return append(b, s...)
}

// mutate applies one byte-level mutation to a copy of b.
func mutate(r *rand.Rand, b []byte) []byte {
	b = append([]byte(nil), b...)
	if len(b) == 0 {
		return append(b, bytesX[r.IntN(len(bytesX))])
	}
	i := r.IntN(len(b))
	switch r.IntN(9) {
	case 0: // flip a bit
		b[i] ^= 1 << r.IntN(8)
	case 1: // an interesting byte
		b[i] = bytesX[r.IntN(len(bytesX))]
	case 2: // insert a byte
		b = append(b[:i], append([]byte{bytesX[r.IntN(len(bytesX))]}, b[i:]...)...)
	case 3: // delete a byte
		b = append(b[:i], b[i+1:]...)
	case 4: // truncate
		b = b[:i]
	case 5: // trailing bytes
		for n := 1 + r.IntN(4); n > 0; n-- {
			b = append(b, bytesX[r.IntN(len(bytesX))])
		}
	case 6: // the type or intent byte (after any prefix)
		for _, p := range []string{qr.PrefixMSC4388, qr.PrefixMSC4108, qr.PrefixMatrix} {
			if len(b) >= len(p)+2 && string(b[:len(p)]) == p {
				b[len(p)+r.IntN(2)] = bytesX[r.IntN(8)]
				break
			}
		}
	case 7: // swap the prefix
		for _, p := range []string{qr.PrefixMSC4388, qr.PrefixMSC4108, qr.PrefixMatrix} {
			if len(b) >= len(p) && string(b[:len(p)]) == p {
				q := []string{qr.PrefixMatrix, qr.PrefixMSC4388, qr.PrefixMSC4108}[r.IntN(3)]
				b = append([]byte(q), b[len(p):]...)
				break
			}
		}
	case 8: // upper-case a letter
		if b[i] >= 'a' && b[i] <= 'z' {
			b[i] -= 'a' - 'A'
		}
	}
	return b
}

// generate makes one payload: a valid example or a built one, then zero to
// three mutations.
func generate(r *rand.Rand, examples [][]byte) []byte {
	var b []byte
	if r.IntN(3) == 0 {
		b = examples[r.IntN(len(examples))]
	} else {
		b = build(r, shapes[r.IntN(len(shapes))])
	}
	for n := r.IntN(4); n > 0; n-- {
		b = mutate(r, b)
	}
	return b
}
