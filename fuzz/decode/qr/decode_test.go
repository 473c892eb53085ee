package qr

import (
	"bytes"
	"testing"

	"qrlab/model/qr"
)

// FuzzQRDecode: Decode never panics; what it accepts re-encodes to the same
// bytes and decodes the same way as its format alone; what it rejects comes
// with a *DecodeError pointing inside the input. Its generated seeds (every
// test vector, and malformed payloads of each error kind) are written by
// model/qr's TestFuzzCorpus, the captured ones by package fuzz's
// TestSeedCorpus.
func FuzzQRDecode(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := qr.Decode(b)
		if err != nil {
			// Decode returns bare *DecodeErrors; a type assertion is much
			// cheaper than errors.As on this hot path.
			de, ok := err.(*qr.DecodeError)
			if !ok || de.Kind == 0 || de.Offset < 0 || de.Offset > len(b) {
				t.Fatalf("Decode(%x): bad error %#v", b, err)
			}
			return
		}
		out, err := p.Marshal()
		if err != nil || !bytes.Equal(out, b) {
			t.Fatalf("Decode(%x) = %v, which encodes to %x, %v", b, p, out, err)
		}
		if q, err := qr.DecodeFormat(b, p.Format); err != nil || q != p {
			t.Fatalf("DecodeFormat(%x, %s) = %v, %v; Decode gave %v", b, p.Format, q, err, p)
		}
	})
}
