package qr_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"qrlab/model/qr"
)

func TestVectors(t *testing.T) {
	for _, v := range vectors {
		t.Run(v.name, func(t *testing.T) {
			got, err := qr.Decode(v.bytes)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got != v.payload {
				t.Errorf("Decode:\n got %v\nwant %v", got, v.payload)
			}
			got, err = qr.DecodeFormat(v.bytes, v.payload.Format)
			if err != nil || got != v.payload {
				t.Errorf("DecodeFormat(%s) = %v, %v", v.payload.Format, got, err)
			}
			enc, err := v.payload.Marshal()
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if !bytes.Equal(enc, v.bytes) {
				t.Errorf("Marshal:\n got %x\nwant %x", enc, v.bytes)
			}
			s, err := v.payload.EncodeString()
			if err != nil || s != base64.RawStdEncoding.EncodeToString(v.bytes) {
				t.Errorf("EncodeString = %q, %v", s, err)
			}
			for _, text := range []string{s, base64.StdEncoding.EncodeToString(v.bytes)} {
				if got, err := qr.DecodeString(text); err != nil || got != v.payload {
					t.Errorf("DecodeString(%q) = %v, %v", text, got, err)
				}
			}
			// No other format reads these bytes.
			for _, f := range qr.Formats() {
				if f == v.payload.Format {
					continue
				}
				if p, err := qr.DecodeFormat(v.bytes, f); err == nil {
					t.Errorf("DecodeFormat(%s) accepted it as %v", f, p)
				}
			}
		})
	}
}

// TestRustSDKVector pins the SDK vector's text form and fields one by one,
// as the spec states them.
func TestRustSDKVector(t *testing.T) {
	p, err := qr.DecodeString(sdkB64)
	if err != nil {
		t.Fatal(err)
	}
	if p.Format != qr.Format2026Unstable || p.Intent != qr.Reciprocate || p.Key.String() != sdkKeyB64 ||
		p.RendezvousID != sdkID || p.BaseURL != sdkBase || p.Prefix != "" {
		t.Errorf("got %v", p)
	}
	if s, err := p.EncodeString(); err != nil || s != sdkB64 {
		t.Errorf("EncodeString = %q, %v; want the vector back", s, err)
	}
}

func TestPrefixSpelledOut(t *testing.T) {
	// The one canonicalisation: a format's usual prefix spelled out encodes
	// like an empty Prefix and decodes to an empty Prefix.
	for _, v := range vectors {
		if v.payload.Prefix != "" {
			continue
		}
		p := v.payload
		p.Prefix = qr.PrefixMatrix
		if strings.HasPrefix(string(v.bytes), qr.PrefixMSC4388) {
			p.Prefix = qr.PrefixMSC4388
		}
		b, err := p.Marshal()
		if err != nil || !bytes.Equal(b, v.bytes) {
			t.Errorf("%s: Marshal with Prefix %q = %x, %v", v.name, p.Prefix, b, err)
		}
	}
}

// key0 is a key for hand-built payloads; keyHex its bytes.
var keyHex = strings.Repeat("ab", 32)

const (
	hdr2024L = `"MATRIX" 02 03`
	hdr2024R = `"MATRIX" 02 04`
)

// decodeErrorCase is a payload Decode (or DecodeFormat, when format is
// set) must reject, and the error it must give.
type decodeErrorCase struct {
	name   string
	in     []byte
	format qr.Format // DecodeFormat when set
	kind   qr.Kind
	field  string
	offset int
	msg    string // exact Error() when set
}

// u quotes s for unhex; url71 is the spec's 71-byte rendezvous URL quoted.
func u(s string) string { return `"` + s + `"` }

var url71 = u(specURL)

// decodeErrorsHeader: the prefix, type, intent and key every format starts
// with.
var decodeErrorsHeader = []decodeErrorCase{
	{name: "empty", in: nil, kind: qr.KindTruncated, field: "prefix", offset: 0,
		msg: "qr: prefix at offset 0: truncated: needs 6 bytes, 0 left"},
	{name: "prefix cut short", in: unhex(`"MATR"`), kind: qr.KindTruncated, field: "prefix"},
	{name: "unstable prefix cut short", in: unhex(`"IO_ELEMENT_MSC43"`), kind: qr.KindTruncated, field: "prefix"},
	{name: "wrong prefix", in: unhex(`"MATRIY" 02 03` + keyHex), kind: qr.KindBadPrefix, field: "prefix",
		msg: `qr: prefix at offset 0: unknown prefix "MATRIY\x02\x03\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab" (want "MATRIX", "IO_ELEMENT_MSC4388" or "IO_ELEMENT_MSC4108")`},
	{name: "lower-case prefix", in: unhex(`"matrix" 02 03`), kind: qr.KindBadPrefix, field: "prefix"},
	{name: "verification QR is not login", in: unhex(`"MATRIX" 02 00` + keyHex), kind: qr.KindUnknownIntent, field: "intent", offset: 7},
	{name: "no type", in: unhex(`"MATRIX"`), kind: qr.KindTruncated, field: "type", offset: 6},
	{name: "unknown type", in: unhex(`"MATRIX" 05 00`), kind: qr.KindUnknownType, field: "type", offset: 6,
		msg: "qr: type at offset 6: unknown type 0x05"},
	{name: "unstable prefix with type 02", in: unhex(`"IO_ELEMENT_MSC4388" 02 03` + keyHex),
		kind: qr.KindUnknownType, field: "type", offset: 18},
	{name: "no intent", in: unhex(`"MATRIX" 02`), kind: qr.KindTruncated, field: "intent", offset: 7},
	{name: "unknown intent", in: unhex(`"MATRIX" 02 09` + keyHex), kind: qr.KindUnknownIntent, field: "intent", offset: 7,
		msg: "qr: intent at offset 7: unknown intent 0x09"},
	{name: "2024 intent byte under type 03", in: unhex(`"MATRIX" 03 03` + keyHex), kind: qr.KindUnknownIntent, field: "intent", offset: 7},
	{name: "type-03 intent under 2024", in: unhex(`"MATRIX" 02 01` + keyHex), kind: qr.KindUnknownIntent, field: "intent", offset: 7},
	{name: "truncated key", in: unhex(`"MATRIX" 02 03 00112233445566778899`), kind: qr.KindTruncated, field: "public_key", offset: 8,
		msg: "qr: public_key at offset 8: truncated: needs 32 bytes, 10 left"},
	{name: "truncated key, unstable", in: unhex(`"IO_ELEMENT_MSC4388" 03 01` + keyHex[:62]), kind: qr.KindTruncated, field: "public_key", offset: 20},
}

// decodeErrors2024: the 2024 format's URL and server name.
var decodeErrors2024 = []decodeErrorCase{
	{name: "2024 no URL length", in: unhex(hdr2024L + keyHex), kind: qr.KindTruncated, field: "rendezvous_url", offset: 40},
	{name: "2024 half a URL length", in: unhex(hdr2024L + keyHex + "00"), kind: qr.KindTruncated, field: "rendezvous_url", offset: 40},
	{name: "2024 URL past end", in: unhex(hdr2024L + keyHex + "0047" + u(specURL[:60])), kind: qr.KindLengthPastEnd,
		field: "rendezvous_url", offset: 40, msg: "qr: rendezvous_url at offset 40: length 71 runs past end (60 bytes left)"},
	{name: "2024 empty URL", in: unhex(hdr2024L + keyHex + "0000"), kind: qr.KindEmpty, field: "rendezvous_url", offset: 40},
	{name: "2024 URL bad UTF-8", in: unhex(hdr2024L + keyHex + `0003 "a" ff "b"`), kind: qr.KindInvalidUTF8, field: "rendezvous_url", offset: 43,
		msg: "qr: rendezvous_url at offset 43: invalid UTF-8"},
	{name: "2024 URL surrogate", in: unhex(hdr2024L + keyHex + `0003 eda080`), kind: qr.KindInvalidUTF8, field: "rendezvous_url", offset: 42},
	{name: "2024 login with server name", in: unhex(hdr2024L + keyHex + "0047" + url71 + `000a "matrix.org"`),
		kind: qr.KindTrailingBytes, field: "payload", offset: 113, msg: "qr: payload at offset 113: 12 trailing bytes"},
	{name: "2024 reciprocate without server name", in: unhex(hdr2024R + keyHex + "0047" + url71),
		kind: qr.KindMissingServerName, field: "server_name", offset: 113,
		msg: "qr: server_name at offset 113: missing (intent reciprocate needs a server name)"},
	{name: "2024 reciprocate half a server name length", in: unhex(hdr2024R + keyHex + "0047" + url71 + "00"),
		kind: qr.KindTruncated, field: "server_name", offset: 113},
	{name: "2024 server name past end", in: unhex(hdr2024R + keyHex + "0047" + url71 + `000b "matrix.org"`),
		kind: qr.KindLengthPastEnd, field: "server_name", offset: 113},
	{name: "2024 empty server name", in: unhex(hdr2024R + keyHex + "0047" + url71 + `0000`),
		kind: qr.KindEmpty, field: "server_name", offset: 113},
	{name: "2024 server name bad UTF-8", in: unhex(hdr2024R + keyHex + "0047" + url71 + `0002 c328`),
		kind: qr.KindInvalidUTF8, field: "server_name", offset: 115},
	{name: "2024 byte after server name", in: unhex(hdr2024R + keyHex + "0047" + url71 + `000a "matrix.org" 00`),
		kind: qr.KindTrailingBytes, field: "payload", offset: 125},
}

// decodeErrorsType03: the type-03 formats' rendezvous ID and base URL.
var decodeErrorsType03 = []decodeErrorCase{
	{name: "type 03 no ID length", in: unhex(`"MATRIX" 03 00` + keyHex), kind: qr.KindTruncated, field: "rendezvous_id", offset: 40},
	{name: "msc4388 ID past end", in: unhex(`"MATRIX" 03 00` + keyHex + `05 "abc"`), format: qr.Format2026,
		kind: qr.KindLengthPastEnd, field: "rendezvous_id", offset: 40, msg: "qr: rendezvous_id at offset 40: length 5 runs past end (3 bytes left)"},
	{name: "msc4388 ID bad byte", in: unhex(`"MATRIX" 03 00` + keyHex + `24 "e8da6/55-550b-4a32-a193-1619d9830668" 0020 "` + specBase + `"`),
		kind: qr.KindInvalidID, field: "rendezvous_id", offset: 46,
		msg: "qr: rendezvous_id at offset 46: byte 0x2f is outside the opaque identifier grammar [A-Za-z0-9._~-] (read as msc4388)"},
	{name: "msc4388 ID non-ASCII", in: unhex(`"MATRIX" 03 01` + keyHex + `02 c3a9 0001 "x"`), format: qr.Format2026,
		kind: qr.KindInvalidID, field: "rendezvous_id", offset: 41},
	{name: "msc4388 empty ID", in: unhex(`"MATRIX" 03 00` + keyHex + `00 0001 "x"`), format: qr.Format2026,
		kind: qr.KindEmpty, field: "rendezvous_id", offset: 40},
	{name: "msc4388 trailing byte", in: unhex(`"MATRIX" 03 00` + keyHex + `24 "` + specID + `" 0020 "` + specBase + `" 00`),
		kind: qr.KindTrailingBytes, field: "payload", offset: 111, msg: "qr: payload at offset 111: 1 trailing bytes (read as msc4388)"},
	{name: "msc4388 base URL past end", in: unhex(`"MATRIX" 03 00` + keyHex + `24 "` + specID + `" 0021 "` + specBase + `"`),
		kind: qr.KindLengthPastEnd, field: "base_url", offset: 77},
	{name: "msc4388 no base URL", in: unhex(`"MATRIX" 03 00` + keyHex + `24 "` + specID + `"`),
		kind: qr.KindTruncated, field: "base_url", offset: 77},
	{name: "msc4388 empty base URL", in: unhex(`"MATRIX" 03 00` + keyHex + `24 "` + specID + `" 0000`),
		kind: qr.KindEmpty, field: "base_url", offset: 77},
	{name: "msc4388 base URL bad UTF-8", in: unhex(`"MATRIX" 03 00` + keyHex + `24 "` + specID + `" 0002 "h" 80`),
		kind: qr.KindInvalidUTF8, field: "base_url", offset: 80},
	{name: "msc4388-2025 base URL bad UTF-8", in: unhex(`"MATRIX" 03 00` + keyHex + `0024 "` + specID + `" 0002 "h" 80`),
		kind: qr.KindInvalidUTF8, field: "base_url", offset: 81,
		msg: "qr: base_url at offset 81: invalid UTF-8 (read as msc4388-2025)"},
	{name: "msc4388-2025 ID over 255 bytes", in: unhex(`"MATRIX" 03 00` + keyHex + `012c "` + strings.Repeat("a", 300) + `" 0001 "x"`),
		kind: qr.KindTooLong, field: "rendezvous_id", offset: 297,
		msg: "qr: rendezvous_id at offset 297: length 300 is over the 255-byte limit of an opaque identifier (read as msc4388-2025)"},
	{name: "msc4388-2025 empty ID", in: unhex(`"MATRIX" 03 00` + keyHex + `0000 0001 "x"`), format: qr.Format2025,
		kind: qr.KindEmpty, field: "rendezvous_id", offset: 40},
	{name: "msc4388-2025 half an ID length", in: unhex(`"MATRIX" 03 00` + keyHex + `00`), format: qr.Format2025,
		kind: qr.KindTruncated, field: "rendezvous_id", offset: 40},
	{name: "msc4388-bytes8 trailing byte", in: unhex(`"MATRIX" 03 01` + keyHex + `24 "` + specID + `" 20 "` + specBase + `" 00`),
		kind: qr.KindTrailingBytes, field: "payload", offset: 110, msg: "qr: payload at offset 110: 1 trailing bytes (read as msc4388-bytes8)"},
	{name: "msc4388-bytes8 base URL past end", in: unhex(`"MATRIX" 03 01` + keyHex + `24 "` + specID + `" 21 "` + specBase + `"`),
		format: qr.Format2026Bytes8, kind: qr.KindLengthPastEnd, field: "base_url", offset: 77,
		msg: "qr: base_url at offset 77: length 33 runs past end (32 bytes left)"},
	{name: "msc4388-bytes8 base URL past end, detected: the tie goes to msc4388",
		in:   unhex(`"MATRIX" 03 01` + keyHex + `24 "` + specID + `" 21 "` + specBase + `"`),
		kind: qr.KindLengthPastEnd, field: "base_url", offset: 77,
		msg: "qr: base_url at offset 77: length 8552 runs past end (31 bytes left) (read as msc4388)"},
	{name: "msc4388-bytes8 empty base URL", in: unhex(`"MATRIX" 03 01` + keyHex + `24 "` + specID + `" 00`),
		format: qr.Format2026Bytes8, kind: qr.KindEmpty, field: "base_url", offset: 77},
	{name: "msc4388-bytes8 base URL bad UTF-8", in: unhex(`"MATRIX" 03 01` + keyHex + `24 "` + specID + `" 02 "h" c0`),
		kind: qr.KindInvalidUTF8, field: "base_url", offset: 79, msg: "qr: base_url at offset 79: invalid UTF-8 (read as msc4388-bytes8)"},
	{name: "msc4388-bytes8 no base URL length", in: unhex(`"MATRIX" 03 01` + keyHex + `24 "` + specID + `"`), format: qr.Format2026Bytes8,
		kind: qr.KindTruncated, field: "base_url", offset: 77, msg: "qr: base_url at offset 77: truncated: needs 1 bytes, 0 left"},
	{name: "msc4388-bytes8 ID bad byte", in: unhex(`"MATRIX" 03 00` + keyHex + `02 "a/" 01 "u"`), format: qr.Format2026Bytes8,
		kind: qr.KindInvalidID, field: "rendezvous_id", offset: 42},
	{name: "msc4388-bytes8 under IO_ELEMENT_MSC4388 is not a format", in: unhex(`"IO_ELEMENT_MSC4388" 03 00` + keyHex + `24 "` + specID + `" 20 "` + specBase + `"`),
		kind: qr.KindLengthPastEnd, field: "base_url", offset: 89, msg: "qr: base_url at offset 89: length 8296 runs past end (31 bytes left) (read as msc4388-unstable)"},
	{name: "IO_ELEMENT_MSC4108 is read with u16 only", in: unhex(`"IO_ELEMENT_MSC4108" 03 00` + keyHex + `24 "` + specID + `" 0020 "` + specBase + `"`),
		kind: qr.KindLengthPastEnd, field: "rendezvous_id", offset: 52},
}

// decodeErrorsWrongFormat: DecodeFormat with bytes that are fine but not
// of the format asked for.
var decodeErrorsWrongFormat = []decodeErrorCase{
	{name: "2024 bytes as msc4388", in: vectors[0].bytes, format: qr.Format2026,
		kind: qr.KindUnknownType, field: "type", offset: 6, msg: "qr: type at offset 6: unknown type 0x02 (msc4388 has 0x03)"},
	{name: "msc4388 bytes as msc4108-2024", in: vectors[2].bytes, format: qr.Format2024,
		kind: qr.KindUnknownType, field: "type", offset: 6},
	{name: "unstable bytes as msc4388", in: vectors[4].bytes, format: qr.Format2026,
		kind: qr.KindBadPrefix, field: "prefix",
		msg: `qr: prefix at offset 0: unknown prefix "IO_ELEMENT_MSC4388" (msc4388 starts with "MATRIX")`},
	{name: "stable bytes as msc4388-2025-unstable", in: vectors[6].bytes, format: qr.Format2025Unstable,
		kind: qr.KindBadPrefix, field: "prefix"},
	{name: "IO_ELEMENT_MSC4108 as msc4388-unstable", in: vectors[9].bytes, format: qr.Format2026Unstable,
		kind: qr.KindBadPrefix, field: "prefix"},
	{name: "msc4388 bytes as msc4388-2025", in: vectors[2].bytes, format: qr.Format2025,
		kind: qr.KindLengthPastEnd, field: "rendezvous_id", offset: 40,
		msg: "qr: rendezvous_id at offset 40: length 9317 runs past end (69 bytes left)"},
	{name: "msc4388-2025 bytes as msc4388", in: vectors[6].bytes, format: qr.Format2026,
		kind: qr.KindEmpty, field: "rendezvous_id", offset: 40},
	{name: "msc4388 bytes as msc4388-bytes8", in: vectors[2].bytes, format: qr.Format2026Bytes8,
		kind: qr.KindEmpty, field: "base_url", offset: 77, msg: "qr: base_url at offset 77: empty (length 0)"},
	{name: "msc4388-bytes8 bytes as msc4388", in: vectors[10].bytes, format: qr.Format2026,
		kind: qr.KindLengthPastEnd, field: "base_url", offset: 77, msg: "qr: base_url at offset 77: length 8296 runs past end (31 bytes left)"},
	{name: "msc4388-bytes8 bytes as msc4388-2025", in: vectors[11].bytes, format: qr.Format2025,
		kind: qr.KindLengthPastEnd, field: "rendezvous_id", offset: 40},
	{name: "msc4388-bytes8 bytes as msc4388-unstable", in: vectors[10].bytes, format: qr.Format2026Unstable,
		kind: qr.KindBadPrefix, field: "prefix"},
	{name: "cut-short unstable prefix as msc4388-2025-unstable", in: unhex(`"IO_ELEMENT_MSC41"`), format: qr.Format2025Unstable,
		kind: qr.KindTruncated, field: "prefix"},
}

func TestDecodeErrors(t *testing.T) {
	for _, cases := range [][]decodeErrorCase{decodeErrorsHeader, decodeErrors2024, decodeErrorsType03, decodeErrorsWrongFormat} {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) { checkDecodeError(t, tc) })
		}
	}
}

// checkDecodeError: the decode fails with a *DecodeError of tc's kind,
// field and offset (and message, when tc has one), and no payload.
func checkDecodeError(t *testing.T, tc decodeErrorCase) {
	var err error
	var p qr.Payload
	if tc.format != "" {
		p, err = qr.DecodeFormat(tc.in, tc.format)
	} else {
		p, err = qr.Decode(tc.in)
	}
	if err == nil {
		t.Fatalf("accepted as %v", p)
	}
	var de *qr.DecodeError
	if !errors.As(err, &de) {
		t.Fatalf("error %v (%T) is not a *DecodeError", err, err)
	}
	if !errors.Is(err, tc.kind) || de.Field != tc.field || de.Offset != tc.offset {
		t.Errorf("got %s/%s at %d (%v), want %s/%s at %d", de.Kind, de.Field, de.Offset, err, tc.kind, tc.field, tc.offset)
	}
	if tc.msg != "" && err.Error() != tc.msg {
		t.Errorf("message\n got %s\nwant %s", err, tc.msg)
	}
	if p != (qr.Payload{}) {
		t.Errorf("a failed decode returned %v", p)
	}
}

func TestDecodeFormatUnknown(t *testing.T) {
	_, err := qr.DecodeFormat(vectors[0].bytes, "msc9999")
	if !errors.Is(err, qr.KindUnknownFormat) {
		t.Errorf("got %v, want KindUnknownFormat", err)
	}
}

func TestDecodeStringErrors(t *testing.T) {
	good := base64.RawStdEncoding.EncodeToString(vectors[0].bytes)
	for _, tc := range []struct {
		name   string
		in     string
		offset int
	}{
		{"URL-safe alphabet", strings.NewReplacer("+", "-", "/", "_").Replace(sdkB64), strings.IndexAny(sdkB64, "+/")},
		{"bad character", good[:10] + "*" + good[11:], 10},
		{"non-canonical trailing bits", good[:len(good)-1] + "B", len(good) - 1},
		{"padding past a whole group", good + "==", len(good) + 1},
		{"too much padding", "TUFUUklY===", 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := qr.DecodeString(tc.in)
			var de *qr.DecodeError
			if !errors.As(err, &de) || de.Kind != qr.KindBadBase64 || de.Field != "base64" {
				t.Fatalf("got %v, want a base64 DecodeError", err)
			}
			if de.Offset != tc.offset {
				t.Errorf("offset %d, want %d (%v)", de.Offset, tc.offset, err)
			}
			if de.Unwrap() == nil {
				t.Errorf("no underlying error")
			}
		})
	}
	if _, err := qr.DecodeString(""); !errors.Is(err, qr.KindTruncated) {
		t.Errorf("empty text: got %v, want a truncated prefix", err)
	}
	if _, err := qr.DecodeStringFormat(sdkB64, qr.Format2025Unstable); !errors.Is(err, qr.KindLengthPastEnd) {
		t.Errorf("the SDK vector as msc4388-2025-unstable: got %v", err)
	}
}

func TestEncodeErrors(t *testing.T) {
	k := mustKey(specKeyB64)
	p24 := qr.Payload{Format: qr.Format2024, Intent: qr.Reciprocate, Key: k, RendezvousURL: specURL, ServerName: "matrix.org"}
	p26 := qr.Payload{Format: qr.Format2026, Intent: qr.Login, Key: k, RendezvousID: specID, BaseURL: specBase}
	with := func(p qr.Payload, f func(*qr.Payload)) qr.Payload { f(&p); return p }
	for _, tc := range []struct {
		name  string
		p     qr.Payload
		kind  qr.Kind
		field string
		msg   string
	}{
		{"no format", qr.Payload{Intent: qr.Login}, qr.KindUnknownFormat, "format", ""},
		{"unknown format", with(p26, func(p *qr.Payload) { p.Format = "msc4388-2027" }), qr.KindUnknownFormat, "format",
			`qr: encode: format: unknown format "msc4388-2027" (want one of msc4108-2024, msc4388-2025, msc4388-2025-unstable, msc4388, msc4388-unstable, msc4388-bytes8)`},
		{"no intent", with(p26, func(p *qr.Payload) { p.Intent = 0 }), qr.KindUnknownIntent, "intent",
			"qr: encode msc4388: intent: Intent(0) is neither login nor reciprocate"},
		{"intent 3", with(p26, func(p *qr.Payload) { p.Intent = 3 }), qr.KindUnknownIntent, "intent", ""},
		{"IO_ELEMENT_MSC4108 on msc4388-unstable", with(p26, func(p *qr.Payload) {
			p.Format, p.Prefix = qr.Format2026Unstable, qr.PrefixMSC4108
		}), qr.KindBadPrefix, "prefix", `qr: encode msc4388-unstable: prefix: prefix "IO_ELEMENT_MSC4108" is not one of msc4388-unstable's`},
		{"unstable prefix on msc4108-2024", with(p24, func(p *qr.Payload) { p.Prefix = qr.PrefixMSC4388 }), qr.KindBadPrefix, "prefix", ""},
		{"2024 no URL", with(p24, func(p *qr.Payload) { p.RendezvousURL = "" }), qr.KindEmpty, "rendezvous_url",
			"qr: encode msc4108-2024: rendezvous_url: required, but empty"},
		{"2024 URL too long", with(p24, func(p *qr.Payload) { p.RendezvousURL = strings.Repeat("u", 65536) }), qr.KindTooLong, "rendezvous_url",
			"qr: encode msc4108-2024: rendezvous_url: 65536 bytes, at most 65535 fit"},
		{"2024 URL bad UTF-8", with(p24, func(p *qr.Payload) { p.RendezvousURL = "https://\xffx" }), qr.KindInvalidUTF8, "rendezvous_url",
			"qr: encode msc4108-2024: rendezvous_url: invalid UTF-8 at index 8"},
		{"2024 reciprocate no server name", with(p24, func(p *qr.Payload) { p.ServerName = "" }), qr.KindEmpty, "server_name", ""},
		{"2024 login with server name", with(p24, func(p *qr.Payload) { p.Intent = qr.Login }), qr.KindUnexpectedField, "server_name",
			"qr: encode msc4108-2024: server_name: only goes with intent reciprocate"},
		{"2024 server name too long", with(p24, func(p *qr.Payload) { p.ServerName = strings.Repeat("s", 70000) }), qr.KindTooLong, "server_name", ""},
		{"2024 server name bad UTF-8", with(p24, func(p *qr.Payload) { p.ServerName = "\xc3" }), qr.KindInvalidUTF8, "server_name", ""},
		{"2024 with ID", with(p24, func(p *qr.Payload) { p.RendezvousID = "x" }), qr.KindUnexpectedField, "rendezvous_id",
			"qr: encode msc4108-2024: rendezvous_id: not carried by msc4108-2024"},
		{"2024 with base URL", with(p24, func(p *qr.Payload) { p.BaseURL = "x" }), qr.KindUnexpectedField, "base_url", ""},
		{"type 03 with URL", with(p26, func(p *qr.Payload) { p.RendezvousURL = specURL }), qr.KindUnexpectedField, "rendezvous_url", ""},
		{"type 03 with server name", with(p26, func(p *qr.Payload) { p.ServerName = "matrix.org" }), qr.KindUnexpectedField, "server_name", ""},
		{"no ID", with(p26, func(p *qr.Payload) { p.RendezvousID = "" }), qr.KindEmpty, "rendezvous_id", ""},
		{"u8 ID of 256 bytes", with(p26, func(p *qr.Payload) { p.RendezvousID = strings.Repeat("i", 256) }), qr.KindTooLong, "rendezvous_id",
			"qr: encode msc4388: rendezvous_id: 256 bytes, at most 255 fit"},
		{"u16 ID of 256 bytes", with(p26, func(p *qr.Payload) {
			p.Format, p.RendezvousID = qr.Format2025, strings.Repeat("i", 256)
		}), qr.KindTooLong, "rendezvous_id", ""},
		{"ID with a slash", with(p26, func(p *qr.Payload) { p.RendezvousID = "../x" }), qr.KindInvalidID, "rendezvous_id",
			"qr: encode msc4388: rendezvous_id: byte 0x2f at index 2 is outside the opaque identifier grammar [A-Za-z0-9._~-]"},
		{"ID with a space", with(p26, func(p *qr.Payload) { p.Format, p.RendezvousID = qr.Format2025Unstable, "a b" }), qr.KindInvalidID, "rendezvous_id", ""},
		{"no base URL", with(p26, func(p *qr.Payload) { p.BaseURL = "" }), qr.KindEmpty, "base_url", ""},
		{"base URL too long", with(p26, func(p *qr.Payload) { p.BaseURL = strings.Repeat("b", 65536) }), qr.KindTooLong, "base_url", ""},
		{"bytes8 base URL of 256 bytes", with(p26, func(p *qr.Payload) {
			p.Format, p.BaseURL = qr.Format2026Bytes8, "https://"+strings.Repeat("b", 248)
		}), qr.KindTooLong, "base_url", "qr: encode msc4388-bytes8: base_url: 256 bytes, at most 255 fit"},
		{"bytes8 ID of 256 bytes", with(p26, func(p *qr.Payload) {
			p.Format, p.RendezvousID = qr.Format2026Bytes8, strings.Repeat("i", 256)
		}), qr.KindTooLong, "rendezvous_id", "qr: encode msc4388-bytes8: rendezvous_id: 256 bytes, at most 255 fit"},
		{"bytes8 empty base URL", with(p26, func(p *qr.Payload) { p.Format, p.BaseURL = qr.Format2026Bytes8, "" }), qr.KindEmpty, "base_url", ""},
		{"bytes8 with URL", with(p26, func(p *qr.Payload) { p.Format, p.RendezvousURL = qr.Format2026Bytes8, specURL }), qr.KindUnexpectedField, "rendezvous_url", ""},
		{"bytes8 with unstable prefix", with(p26, func(p *qr.Payload) { p.Format, p.Prefix = qr.Format2026Bytes8, qr.PrefixMSC4388 }), qr.KindBadPrefix, "prefix",
			`qr: encode msc4388-bytes8: prefix: prefix "IO_ELEMENT_MSC4388" is not one of msc4388-bytes8's`},
		{"base URL bad UTF-8", with(p26, func(p *qr.Payload) { p.BaseURL = "https://\xed\xa0\x80" }), qr.KindInvalidUTF8, "base_url", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.p.Marshal()
			if err == nil {
				t.Fatalf("encoded %v as %x", tc.p, b)
			}
			var ee *qr.EncodeError
			if !errors.As(err, &ee) {
				t.Fatalf("error %v (%T) is not an *EncodeError", err, err)
			}
			if !errors.Is(err, tc.kind) || ee.Field != tc.field {
				t.Errorf("got %s/%s (%v), want %s/%s", ee.Kind, ee.Field, err, tc.kind, tc.field)
			}
			if tc.msg != "" && err.Error() != tc.msg {
				t.Errorf("message\n got %s\nwant %s", err, tc.msg)
			}
			if v := tc.p.Validate(); v == nil || v.Error() != err.Error() {
				t.Errorf("Validate = %v, Marshal said %v", v, err)
			}
			if _, serr := tc.p.EncodeString(); serr == nil {
				t.Errorf("EncodeString accepted it")
			}
		})
	}
}

func TestLimits(t *testing.T) {
	k := mustKey(specKeyB64)
	long := strings.Repeat("é", 65534/2) + "x" // 65535 bytes, multi-byte UTF-8
	id255 := strings.Repeat("A.~_-9", 42) + "zzz"
	for _, p := range []qr.Payload{
		{Format: qr.Format2024, Intent: qr.Reciprocate, Key: k, RendezvousURL: long, ServerName: long},
		{Format: qr.Format2026, Intent: qr.Login, Key: k, RendezvousID: id255, BaseURL: long},
		{Format: qr.Format2025, Intent: qr.Reciprocate, Key: k, RendezvousID: id255, BaseURL: long},
		{Format: qr.Format2026Unstable, Intent: qr.Reciprocate, Key: k, RendezvousID: "0", BaseURL: "/"},
		{Format: qr.Format2026Bytes8, Intent: qr.Reciprocate, Key: k, RendezvousID: id255, BaseURL: long[:254] + "x"},
		{Format: qr.Format2026Bytes8, Intent: qr.Login, Key: k, RendezvousID: "~", BaseURL: "/"},
	} {
		if len(long) != 65535 || len(id255) != 255 {
			t.Fatalf("test strings are %d and %d bytes", len(long), len(id255))
		}
		b, err := p.Marshal()
		if err != nil {
			t.Errorf("%s: Marshal: %v", p.Format, err)
			continue
		}
		if got, err := qr.Decode(b); err != nil || got != p {
			t.Errorf("%s: Decode: %v", p.Format, err)
		}
	}
}

// frames reports whether b, from off, is an ID with an idLen-byte length and
// a base URL with a urlLen-byte length that end exactly at the end, both
// UTF-8: the check of a decoder that looks at framing only (empty and long
// IDs allowed).
func frames(b []byte, off, idLen, urlLen int) bool {
	length := func(n int) int {
		l := int(b[off])
		if n == 2 {
			l = l<<8 | int(b[off+1])
		}
		return l
	}
	if len(b)-off < idLen {
		return false
	}
	l := length(idLen)
	off += idLen
	if len(b)-off < l+urlLen || !utf8.Valid(b[off:off+l]) {
		return false
	}
	off += l
	u := length(urlLen)
	off += urlLen
	return len(b)-off == u && utf8.Valid(b[off:])
}

// TestAmbiguousFraming: payloads that frame as both the u8/u16 and the
// u16/u16 layout (and so not as u8/u8, which frames nothing the others do).
// The ID rules leave exactly one valid reading.
func TestAmbiguousFraming(t *testing.T) {
	for _, tc := range []struct {
		name    string
		after   string // hex after the key
		want    qr.Format
		other   qr.Format
		otherIs qr.Kind
	}{
		{
			// u16: ID "a", base URL of 351 bytes. u8: empty ID, base URL of
			// 0x0161 = 353 bytes (01 5f and the 351).
			name: "u16 wins: the u8 reading has an empty ID", after: `0001 "a" 015f "` + strings.Repeat("u", 351) + `"`,
			want: qr.Format2025, other: qr.Format2026, otherIs: qr.KindEmpty,
		},
		{
			// u8: ID "a", base URL of 0x0162 = 354 bytes. u16: ID of
			// 0x0161 = 353 bytes (01 62 and 351 more), then 0001 and "x".
			name: "u8 wins: the u16 reading has a 353-byte ID", after: `01 "a" 0162 "` + strings.Repeat("u", 351) + `" 0001 "x"`,
			want: qr.Format2026, other: qr.Format2025, otherIs: qr.KindInvalidID,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := unhex(`"MATRIX" 03 01` + keyHex + tc.after)
			if !frames(b, 40, 1, 2) || !frames(b, 40, 2, 2) {
				t.Fatalf("the payload does not frame both ways (u8 %v, u16 %v)", frames(b, 40, 1, 2), frames(b, 40, 2, 2))
			}
			if frames(b, 40, 1, 1) {
				t.Errorf("the payload frames as u8/u8 too")
			}
			p, err := qr.Decode(b)
			if err != nil || p.Format != tc.want {
				t.Fatalf("Decode = %v, %v; want format %s", p, err, tc.want)
			}
			if again, err := p.Marshal(); err != nil || !bytes.Equal(again, b) {
				t.Errorf("re-encoding: %v", err)
			}
			if _, err := qr.DecodeFormat(b, tc.other); !errors.Is(err, tc.otherIs) {
				t.Errorf("DecodeFormat(%s) = %v, want %s", tc.other, err, tc.otherIs)
			}
		})
	}
}

// TestBaseURLWidths: the u8/u16 (msc4388) and u8/u8 (msc4388-bytes8)
// layouts share the ID, so only the base URL length tells them apart, and
// it always does: the same fields make bytes that frame one way only.
func TestBaseURLWidths(t *testing.T) {
	u8u16 := unhex(`"MATRIX" 03 00` + keyHex + `24 "` + specID + `" 0020 "` + specBase + `"`)
	u8u8 := unhex(`"MATRIX" 03 00` + keyHex + `24 "` + specID + `" 20 "` + specBase + `"`)
	for _, tc := range []struct {
		name        string
		b           []byte
		want, other qr.Format
		otherIs     qr.Kind
	}{
		// 00 20 read with a one-byte length: an empty base URL.
		{"00 20 <32 bytes>", u8u16, qr.Format2026, qr.Format2026Bytes8, qr.KindEmpty},
		// 20 68 ("h") read with a two-byte length: 8296 bytes, past the end.
		{"20 <32 bytes>", u8u8, qr.Format2026Bytes8, qr.Format2026, qr.KindLengthPastEnd},
	} {
		t.Run(tc.name, func(t *testing.T) {
			own := [2]int{1, 1}
			if tc.want == qr.Format2026 {
				own = [2]int{1, 2}
			}
			for _, l := range [][2]int{{1, 2}, {1, 1}, {2, 2}} {
				if got, want := frames(tc.b, 40, l[0], l[1]), l == own; got != want {
					t.Errorf("frames as %d/%d: %v, want %v", l[0], l[1], got, want)
				}
			}
			p, err := qr.Decode(tc.b)
			if err != nil || p.Format != tc.want || p.BaseURL != specBase || p.RendezvousID != specID {
				t.Fatalf("Decode = %v, %v; want %s", p, err, tc.want)
			}
			if _, err := qr.DecodeFormat(tc.b, tc.other); !errors.Is(err, tc.otherIs) {
				t.Errorf("DecodeFormat(%s) = %v, want %s", tc.other, err, tc.otherIs)
			}
		})
	}
}

// TestBytes8Prefix: a msc4388 payload whose base URL has 256 bytes or more
// begins with a valid msc4388-bytes8 payload, so a scan cut short there (or
// a u8/u8 scanner that tolerated trailing bytes) reads a wrong base URL.
// Both payloads are complete in their own layouts: no decoder can tell.
func TestBytes8Prefix(t *testing.T) {
	base := "https://" + strings.Repeat("x", 352) // 360 bytes: length 01 68
	p := qr.Payload{Format: qr.Format2026, Intent: qr.Reciprocate, Key: mustKey(specKeyB64), RendezvousID: "a", BaseURL: base}
	b, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b[40:44], unhex(`01 "a" 01 68`)) {
		t.Fatalf("bytes after the key start %x", b[40:44])
	}
	if got, err := qr.Decode(b); err != nil || got != p {
		t.Fatalf("Decode = %v, %v", got, err)
	}
	want := p
	want.Format, want.BaseURL = qr.Format2026Bytes8, "h"
	if got, err := qr.Decode(b[:44]); err != nil || got != want {
		t.Errorf("the first 44 bytes: Decode = %v, %v; want %v", got, err, want)
	}
	if _, err := qr.DecodeFormat(b, qr.Format2026Bytes8); !errors.Is(err, qr.KindTrailingBytes) {
		t.Errorf("the whole payload as msc4388-bytes8: %v, want trailing bytes", err)
	}
	// A base URL under 256 bytes has a 00 high byte: an empty u8 base URL.
	short := p
	short.BaseURL = base[:255]
	b, _ = short.Marshal()
	for i := range b {
		if q, err := qr.Decode(b[:i]); err == nil {
			t.Errorf("the first %d bytes decode as %v", i, q)
		}
	}
}

func TestParse(t *testing.T) {
	for _, f := range qr.Formats() {
		if g, err := qr.ParseFormat(string(f)); err != nil || g != f || !f.Valid() {
			t.Errorf("ParseFormat(%q) = %q, %v", f, g, err)
		}
	}
	if len(qr.Formats()) != 6 {
		t.Errorf("Formats() = %v", qr.Formats())
	}
	if _, err := qr.ParseFormat("MSC4388"); !errors.Is(err, qr.KindUnknownFormat) {
		t.Errorf("ParseFormat is case-sensitive; got %v", err)
	}
	for _, i := range []qr.Intent{qr.Login, qr.Reciprocate} {
		if j, err := qr.ParseIntent(i.String()); err != nil || j != i {
			t.Errorf("ParseIntent(%q) = %v, %v", i, j, err)
		}
	}
	if _, err := qr.ParseIntent("show"); !errors.Is(err, qr.KindUnknownIntent) {
		t.Errorf("ParseIntent(show) = %v", err)
	}
	if s := qr.Intent(7).String(); s != "Intent(7)" {
		t.Errorf("Intent(7).String() = %q", s)
	}
	for _, s := range []string{specKeyB64, specKeyB64 + "="} {
		if k, err := qr.ParsePublicKey(s); err != nil || k.String() != specKeyB64 {
			t.Errorf("ParsePublicKey(%q) = %v, %v", s, k, err)
		}
	}
	for _, s := range []string{"", "AAAA", specKeyB64 + "AAAA", specKeyB64[:42] + "*"} {
		if _, err := qr.ParsePublicKey(s); err == nil {
			t.Errorf("ParsePublicKey(%q) accepted it", s)
		}
	}
}

func TestKindIs(t *testing.T) {
	_, err := qr.Decode(unhex(`"MATRIX" 02 09`))
	if !errors.Is(err, qr.KindUnknownIntent) || errors.Is(err, qr.KindUnknownType) {
		t.Errorf("errors.Is does not follow the Kind: %v", err)
	}
	if qr.KindTrailingBytes.Error() != "trailing bytes" || qr.Kind(200).Error() != "qr.Kind(200)" {
		t.Errorf("Kind texts: %q, %q", qr.KindTrailingBytes, qr.Kind(200))
	}
}

func TestPayloadString(t *testing.T) {
	got := vectors[9].payload.String()
	want := `msc4388-2025-unstable reciprocate key=` + specKeyB64 + ` prefix="IO_ELEMENT_MSC4108" rendezvous_id="` + specID + `" base_url="` + specBase + `"`
	if got != want {
		t.Errorf("String()\n got %s\nwant %s", got, want)
	}
}

// TestDecodeAllocs: decoding allocates once, for the strings.
func TestDecodeAllocs(t *testing.T) {
	for _, v := range vectors {
		if n := testing.AllocsPerRun(100, func() { _, _ = qr.Decode(v.bytes) }); n > 1 {
			t.Errorf("%s: %v allocations, want 1", v.name, n)
		}
	}
}
