package qr_test

import (
	"testing"

	"qrlab/model/qr"
)

// benchVector returns the first vector of format f.
func benchVector(b *testing.B, f qr.Format) vector {
	for _, v := range vectors {
		if v.payload.Format == f {
			return v
		}
	}
	b.Fatalf("no vector of format %s", f)
	return vector{}
}

func BenchmarkDecode(b *testing.B) {
	for _, f := range qr.Formats() {
		v := benchVector(b, f)
		b.Run(string(f), func(b *testing.B) {
			b.SetBytes(int64(len(v.bytes)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := qr.Decode(v.bytes); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	// Errors after all three "MATRIX" type-0x03 readings have failed.
	for _, bc := range []struct{ name, hex string }{
		{"error-trailing-type03", `24 "` + specID + `" 0020 "` + specBase + `" 00`},
		{"error-trailing-bytes8", `24 "` + specID + `" 20 "` + specBase + `" 00`},
	} {
		bad := unhex(`"MATRIX" 03 00` + keyHex + bc.hex)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := qr.Decode(bad); err == nil {
					b.Fatal("accepted")
				}
			}
		})
	}
}

func BenchmarkMarshal(b *testing.B) {
	for _, f := range qr.Formats() {
		v := benchVector(b, f)
		b.Run(string(f), func(b *testing.B) {
			b.ReportAllocs()
			buf := make([]byte, 0, 256)
			for b.Loop() {
				if _, err := v.payload.AppendBinary(buf[:0]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
