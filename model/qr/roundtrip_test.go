package qr_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

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
	p.BaseURL = genText(t, "base_url")
	return p
}

// TestRoundTripProperty: decode(encode(p)) == p for every format, the bytes
// belong to no other format, and no proper prefix or extension of them
// decodes.
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
			for i := range b {
				if q, err := qr.Decode(b[:i]); err == nil {
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
