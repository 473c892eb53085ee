package qr_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"pgregory.net/rapid"

	"qrlab/model/qr"
)

var idRunes = []rune("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~-")

// genText draws a non-empty UTF-8 string: usually short and varied,
// sometimes as long as a u16 length allows.
func genText(t *rapid.T, label string) string {
	if rapid.IntRange(0, 19).Draw(t, label+"_long") == 0 {
		n := rapid.IntRange(256, 65535).Draw(t, label+"_len")
		return strings.Repeat("x", n)
	}
	return rapid.StringN(1, 100, 400).Draw(t, label)
}

// genPayload draws a valid payload of any format.
func genPayload(t *rapid.T) qr.Payload {
	p := qr.Payload{
		Format: rapid.SampledFrom(qr.Formats()).Draw(t, "format"),
		Intent: rapid.SampledFrom([]qr.Intent{qr.Login, qr.Reciprocate}).Draw(t, "intent"),
	}
	copy(p.Key[:], rapid.SliceOfN(rapid.Byte(), qr.KeySize, qr.KeySize).Draw(t, "key"))
	if p.Format == qr.Format2024 {
		p.RendezvousURL = genText(t, "url")
		if p.Intent == qr.Reciprocate {
			p.ServerName = genText(t, "server_name")
		}
		return p
	}
	if p.Format == qr.Format2025Unstable && rapid.Bool().Draw(t, "msc4108_prefix") {
		p.Prefix = qr.PrefixMSC4108
	}
	p.RendezvousID = rapid.StringOfN(rapid.RuneFrom(idRunes), 1, 255, 255).Draw(t, "id")
	if p.Format == qr.Format2026Bytes8 {
		// A one-byte length: at most 255 bytes, sometimes exactly 255.
		if rapid.IntRange(0, 9).Draw(t, "base_url_max") == 0 {
			p.BaseURL = strings.Repeat("é", 127) + "x"
		} else {
			p.BaseURL = rapid.StringN(1, 100, 255).Draw(t, "base_url")
		}
		return p
	}
	p.BaseURL = genText(t, "base_url")
	return p
}

// bytes8Prefix is the one proper prefix of a valid payload that is itself a
// valid payload (see the package documentation): a msc4388 (u8/u16)
// payload whose base URL has 256 bytes or more starts with a
// msc4388-bytes8 (u8/u8) payload, the high byte of the base URL length read
// as a one-byte length, when the bytes it takes are UTF-8. ok is false when
// p has no such prefix.
func bytes8Prefix(p qr.Payload) (q qr.Payload, n int, ok bool) {
	if p.Format != qr.Format2026 || len(p.BaseURL) < 256 {
		return q, 0, false
	}
	hi, lo := byte(len(p.BaseURL)>>8), byte(len(p.BaseURL))
	url := string(append([]byte{lo}, p.BaseURL[:hi-1]...))
	if !utf8.ValidString(url) {
		return q, 0, false
	}
	q = p
	q.Format, q.BaseURL = qr.Format2026Bytes8, url
	return q, len(qr.PrefixMatrix) + 2 + qr.KeySize + 1 + len(p.RendezvousID) + 1 + int(hi), true
}

// TestRoundTripProperty: decode(encode(p)) == p for every format, the bytes
// belong to no other format, and no proper prefix (but the one
// bytes8Prefix predicts) or one-byte extension of them decodes.
func TestRoundTripProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := genPayload(t)
		b, err := p.Marshal()
		if err != nil {
			t.Fatalf("Marshal(%v): %v", p, err)
		}
		got, err := qr.Decode(b)
		if err != nil || got != p {
			t.Fatalf("Decode = %v, %v; want %v", got, err, p)
		}
		if got, err := qr.DecodeFormat(b, p.Format); err != nil || got != p {
			t.Fatalf("DecodeFormat = %v, %v", got, err)
		}
		for _, f := range qr.Formats() {
			if f != p.Format {
				if q, err := qr.DecodeFormat(b, f); err == nil {
					t.Fatalf("%s bytes also decode as %v", p.Format, q)
				}
			}
		}
		s, err := p.EncodeString()
		if err != nil {
			t.Fatal(err)
		}
		if got, err := qr.DecodeString(s); err != nil || got != p {
			t.Fatalf("DecodeString = %v, %v", got, err)
		}
		if len(b) < 2000 {
			want, wantN, wantOK := bytes8Prefix(p)
			for i := range b {
				q, err := qr.Decode(b[:i])
				switch {
				case wantOK && i == wantN:
					if err != nil || q != want {
						t.Fatalf("the first %d of %d bytes decode as %v, %v; want %v", i, len(b), q, err, want)
					}
				case err == nil:
					t.Fatalf("the first %d of %d bytes decode as %v", i, len(b), q)
				}
			}
		}
		extra := rapid.Byte().Draw(t, "extra")
		if _, err := qr.Decode(append(bytes.Clone(b), extra)); !errors.Is(err, qr.KindTrailingBytes) {
			t.Fatalf("a trailing byte: got %v, want trailing bytes", err)
		}
	})
}

// TestEncodeDecodeProperty: any bytes that decode re-encode to themselves.
// Random bytes behind a valid header reach deep into the decoder.
func TestEncodeDecodeProperty(t *testing.T) {
	headers := [][]byte{
		unhex(`"MATRIX" 02 03` + keyHex), unhex(`"MATRIX" 02 04` + keyHex),
		unhex(`"MATRIX" 03 00` + keyHex), unhex(`"IO_ELEMENT_MSC4388" 03 01` + keyHex),
		unhex(`"IO_ELEMENT_MSC4108" 03 00` + keyHex),
		// A u8 ID already in place, so that random base URL lengths and
		// bytes after it reach both the u8/u16 and the u8/u8 reading.
		unhex(`"MATRIX" 03 01` + keyHex + `03 "a.b"`),
	}
	rapid.Check(t, func(t *rapid.T) {
		h := rapid.SampledFrom(headers).Draw(t, "header")
		tail := rapid.SliceOfN(rapid.Byte(), 0, 64).Draw(t, "tail")
		b := append(bytes.Clone(h), tail...)
		p, err := qr.Decode(b)
		if err != nil {
			var de *qr.DecodeError
			if !errors.As(err, &de) || de.Offset < 0 || de.Offset > len(b) {
				t.Fatalf("bad error %#v", err)
			}
			return
		}
		if again, err := p.Marshal(); err != nil || !bytes.Equal(again, b) {
			t.Fatalf("%x decoded to %v, which encodes to %x, %v", b, p, again, err)
		}
	})
}

// TestFramingDisjoint: bytes after the key that frame as u8/u8 never frame
// as u8/u16 or u16/u16, and the other way round, even with empty strings,
// long IDs and bytes outside the ID grammar (the package documentation has
// the arithmetic). Only u8/u16 and u16/u16 can frame the same bytes.
func TestFramingDisjoint(t *testing.T) {
	type lay struct{ id, url int }
	u8u16, u8u8, u16u16 := lay{1, 2}, lay{1, 1}, lay{2, 2}
	rapid.Check(t, func(t *rapid.T) {
		l := rapid.SampledFrom([]lay{u8u16, u8u8, u16u16}).Draw(t, "layout")
		field := func(n int, label string) []byte {
			max := 1<<(8*n) - 1
			if n == 2 && rapid.Bool().Draw(t, label+"_short") {
				max = 600 // where the two widths meet
			}
			s := rapid.SliceOfN(rapid.Byte(), 0, max).Draw(t, label)
			if n == 2 {
				return append([]byte{byte(len(s) >> 8), byte(len(s))}, s...)
			}
			return append([]byte{byte(len(s))}, s...)
		}
		b := append(field(l.id, "id"), field(l.url, "url")...)
		if !framesRaw(b, l.id, l.url) {
			t.Fatalf("%x does not frame as %v", b, l)
		}
		for _, m := range []lay{u8u16, u8u8, u16u16} {
			if m != l && (m == u8u8 || l == u8u8) && framesRaw(b, m.id, m.url) {
				t.Fatalf("%x frames as %v and as %v", b, l, m)
			}
		}
	})
}

// framesRaw reports whether b is exactly a string with an idLen-byte length
// and one with a urlLen-byte length, whatever their bytes.
func framesRaw(b []byte, idLen, urlLen int) bool {
	n := func(off, w int) int {
		if w == 1 {
			return int(b[off])
		}
		return int(b[off])<<8 | int(b[off+1])
	}
	if len(b) < idLen {
		return false
	}
	off := idLen + n(0, idLen)
	if len(b)-off < urlLen {
		return false
	}
	return len(b) == off+urlLen+n(off, urlLen)
}
