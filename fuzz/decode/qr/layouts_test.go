package qr

import (
	"bytes"
	"strings"
	"testing"
	"unsafe"

	"qrlab/model/qr"
)

// qrHeaders put fuzzed bytes behind a valid opening (prefix, type, intent,
// key) so that they reach the layout decisions; the last choice adds none.
var qrHeaders = [][]byte{
	qrHeader(qr.PrefixMatrix, 0x02, 0x03), qrHeader(qr.PrefixMatrix, 0x02, 0x04),
	qrHeader(qr.PrefixMatrix, 0x03, 0x00), qrHeader(qr.PrefixMatrix, 0x03, 0x01),
	qrHeader(qr.PrefixMSC4388, 0x03, 0x00), qrHeader(qr.PrefixMSC4108, 0x03, 0x01),
	nil,
}

var qrScratch []byte

// qrFormats is qr.Formats(), made once (the call builds a new slice).
var qrFormats = qr.Formats()

// qrOpening is the first bytes (prefix and type byte) of one format's
// payloads. A format cannot read bytes that open otherwise, so the layout
// check asks only the formats whose opening matches and spends no refusal
// (an allocated *DecodeError) on the others; FuzzQRDecode covers the
// refusals themselves.
type qrOpening struct {
	format qr.Format
	bytes  []byte
}

// qrOpenings lists every format's openings, found by encoding a small
// payload in each (and the 2025 unstable layout under both its prefixes).
var qrOpenings = func() []qrOpening {
	var out []qrOpening
	for _, f := range qr.Formats() {
		p := qr.Payload{Format: f, Intent: qr.Login, RendezvousID: "a", BaseURL: "u"}
		if f == qr.Format2024 {
			p = qr.Payload{Format: f, Intent: qr.Login, RendezvousURL: "u"}
		}
		prefixes := []string{""}
		if f == qr.Format2025Unstable {
			prefixes = append(prefixes, qr.PrefixMSC4108)
		}
		for _, pre := range prefixes {
			p.Prefix = pre
			b, err := p.Marshal()
			if err != nil {
				panic(err) // a fixed valid payload: a programmer error
			}
			i := bytes.IndexFunc(b, func(r rune) bool { return r < 0x20 })
			out = append(out, qrOpening{format: f, bytes: b[:i+1]})
		}
	}
	return out
}()

func qrHeader(prefix string, typ, intent byte) []byte {
	b := append([]byte(prefix), typ, intent)
	for i := range qr.KeySize {
		b = append(b, byte(i*7+1))
	}
	return b
}

// FuzzQRLayouts checks the QR formats against each other: the input's
// bytes (behind a header the first byte picks) decode in at most one
// format, and Decode finds that one. This is where a u8 and a u16 layout
// could both read one payload; the package documents why none can, and this
// target looks for a counterexample. FuzzQREncode checks the decoder against
// the encoder from the same inputs.
func FuzzQRLayouts(f *testing.F) {
	addQRSeeds(f)
	f.Fuzz(func(t *testing.T, mode byte, b []byte) {
		in := b
		if h := qrHeaders[int(mode)%len(qrHeaders)]; h != nil {
			// The scratch buffer spares an allocation per execution; a
			// fuzz function runs one input at a time in each process.
			qrScratch = append(append(qrScratch[:0], h...), b...)
			in = qrScratch
		}
		var got qr.Format
		for _, o := range qrOpenings {
			if !bytes.HasPrefix(in, o.bytes) {
				continue
			}
			fm := o.format
			p, err := qr.DecodeFormat(in, fm)
			if err != nil {
				continue
			}
			if got != "" {
				t.Fatalf("%x decodes as %s and as %s (%v)", in, got, fm, p)
			}
			got = fm
		}
		p, err := qr.Decode(in)
		if (err == nil) != (got != "") || err == nil && p.Format != got {
			t.Fatalf("Decode(%x) = %v, %v; the formats alone say %q", in, p, err, got)
		}
	})
}

// addQRSeeds adds the seeds FuzzQRLayouts and FuzzQREncode share: a mode
// byte and the bytes after the header it picks (for FuzzQREncode, the
// payload's fields).
func addQRSeeds(f *testing.F) {
	f.Add(byte(2), []byte("\x01a\x00\x13https://example.org"))
	f.Add(byte(3), []byte("\x01a\x01\x5f"+strings.Repeat("u", 351)))
	f.Add(byte(0x82), []byte("https://example.org/r/abc\x00example.org"))
	f.Add(byte(0x45), []byte("abcdef\x00https://matrix.example.org"))
}

// FuzzQREncode checks the decoder against the encoder: a payload built from
// the input's fields (format, intent and prefix from the first byte, key
// and strings from the rest) either is refused with an *EncodeError or
// decodes back to itself (the usual prefix spelled out reads back as the
// empty Prefix, the package's one canonicalisation, and encodes as the
// empty one does). Marshal refuses through the same check as Validate, so
// calling Validate too would double the cost of each execution to test
// that function against itself; model/qr's TestEncodeErrors compares their
// errors.
func FuzzQREncode(f *testing.F) {
	addQRSeeds(f)
	f.Fuzz(encodeDecode)
}

// encScratch is FuzzQREncode's output buffer, reused (one input at a time
// runs in each process).
var encScratch []byte

// view is b as a string without a copy. The fuzz input is not written to
// while the fuzz function runs, and nothing keeps the payload after it.
func view(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// encodeDecode builds a payload from the fuzz input and checks the
// encoder against the decoder.
func encodeDecode(t *testing.T, mode byte, b []byte) {
	fs := qrFormats
	p := qr.Payload{Format: fs[int(mode&0x3f)%len(fs)], Intent: qr.Login}
	if mode&0x80 != 0 {
		p.Intent = qr.Reciprocate
	}
	copy(p.Key[:], b)
	b = b[min(len(b), qr.KeySize):]
	first, second, _ := bytes.Cut(b, []byte{0})
	if p.Format == qr.Format2024 {
		p.RendezvousURL, p.ServerName = view(first), view(second)
	} else {
		p.RendezvousID, p.BaseURL = view(first), view(second)
	}
	usual := false
	if mode&0x40 != 0 {
		switch p.Format {
		case qr.Format2025Unstable:
			p.Prefix = qr.PrefixMSC4108
		case qr.Format2026Unstable:
			p.Prefix, usual = qr.PrefixMSC4388, true
		default:
			p.Prefix, usual = qr.PrefixMatrix, true
		}
	}
	out, err := p.AppendBinary(encScratch[:0])
	encScratch = out
	if err != nil {
		if _, ok := err.(*qr.EncodeError); !ok {
			t.Fatalf("%v: refusal %T %v is not an *EncodeError", p, err, err)
		}
		return
	}
	want := p
	if usual {
		want.Prefix = ""
	}
	back, err := qr.Decode(out)
	if err != nil || back != want {
		t.Fatalf("%v encodes to %x, which decodes as %v, %v", p, out, back, err)
	}
	// The usual prefix spelled out must encode as the empty one does.
	// (Without it, back is p and encodes as p did: nothing to check.)
	if !usual {
		return
	}
	if again, err := back.Marshal(); err != nil || !bytes.Equal(again, out) {
		t.Fatalf("%v: re-encoding gives %x, %v; first %x", back, again, err, out)
	}
}

// TestQRHeaders pins the header choice that adds no header: the captured
// payloads under testdata/fuzz/FuzzQRLayouts (written by package fuzz's
// TestSeedCorpus) use it.
func TestQRHeaders(t *testing.T) {
	if len(qrHeaders) != 7 || qrHeaders[6] != nil {
		t.Fatalf("qrHeaders has %d entries; the captured corpus expects the seventh to be none", len(qrHeaders))
	}
}

// TestQROpenings checks the openings: every format has one, and every
// payload of a format starts with one of its own.
func TestQROpenings(t *testing.T) {
	seen := map[qr.Format]bool{}
	for _, o := range qrOpenings {
		seen[o.format] = true
		if len(o.bytes) < 7 {
			t.Errorf("%s: opening %q", o.format, o.bytes)
		}
	}
	for _, f := range qr.Formats() {
		if !seen[f] {
			t.Errorf("%s has no opening", f)
		}
	}
}
