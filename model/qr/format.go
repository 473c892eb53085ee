package qr

import (
	"encoding/base64"
	"fmt"
	"strings"
)

// Format names one payload layout. The zero value is no format.
type Format string

// The layouts, named after the text that defines them (see the package
// documentation for the bytes).
const (
	// Format2024 is the MSC4108 text of June 2024: "MATRIX" 0x02, intents
	// 0x03/0x04, rendezvous URL, and a server name with intent reciprocate.
	Format2024 Format = "msc4108-2024"
	// Format2025 is the 2025 interim layout: "MATRIX" 0x03, intents
	// 0x00/0x01, u16 rendezvous ID length, base URL.
	Format2025 Format = "msc4388-2025"
	// Format2025Unstable is Format2025 under an unstable prefix:
	// "IO_ELEMENT_MSC4388" (wasm 18.9.0) or "IO_ELEMENT_MSC4108" (the 2025
	// text).
	Format2025Unstable Format = "msc4388-2025-unstable"
	// Format2026 is the MSC4388 text of 2026: as Format2025 but with a u8
	// rendezvous ID length.
	Format2026 Format = "msc4388"
	// Format2026Unstable is Format2026 under the "IO_ELEMENT_MSC4388"
	// prefix (the Rust SDK's layout).
	Format2026Unstable Format = "msc4388-unstable"
	// Format2026Bytes8 is a later revision of the MSC4388 text (at
	// matrix-org/matrix-spec-proposals 001ad154): as Format2026 but with a
	// u8 base URL length too, so a base URL has at most 255 bytes. No
	// source writes it under an unstable prefix.
	Format2026Bytes8 Format = "msc4388-bytes8"
)

// The prefixes that open a payload.
const (
	// PrefixMatrix is the stable prefix.
	PrefixMatrix = "MATRIX"
	// PrefixMSC4388 is the unstable prefix of MSC4388 and of wasm 18.9.0.
	PrefixMSC4388 = "IO_ELEMENT_MSC4388"
	// PrefixMSC4108 is the unstable prefix of the 2025 MSC4108 text.
	PrefixMSC4108 = "IO_ELEMENT_MSC4108"
)

// maxIDLen is the longest opaque identifier, and so the longest rendezvous
// ID, in bytes.
const maxIDLen = 255

// maxLen is the longest string an n-byte length can announce.
func maxLen(n int) int { return 1<<(8*n) - 1 }

// layout is everything the codec needs to know about one format.
type layout struct {
	format  Format
	prefix  string  // written when Payload.Prefix is empty
	alt     string  // a second prefix the format accepts, or ""
	typ     byte    // the byte after the prefix
	intents [3]byte // wire byte for Login and Reciprocate (index 0 unused)
	idLen   int     // 1 or 2 for the type-0x03 layouts; 0 for the 2024 layout
	urlLen  int     // bytes of the base URL length (type 0x03: 1 or 2)
}

// layouts in the order Formats lists them.
var layouts = [...]layout{
	{Format2024, PrefixMatrix, "", 0x02, [3]byte{0, 0x03, 0x04}, 0, 0},
	{Format2025, PrefixMatrix, "", 0x03, [3]byte{0, 0x00, 0x01}, 2, 2},
	{Format2025Unstable, PrefixMSC4388, PrefixMSC4108, 0x03, [3]byte{0, 0x00, 0x01}, 2, 2},
	{Format2026, PrefixMatrix, "", 0x03, [3]byte{0, 0x00, 0x01}, 1, 2},
	{Format2026Unstable, PrefixMSC4388, "", 0x03, [3]byte{0, 0x00, 0x01}, 1, 2},
	{Format2026Bytes8, PrefixMatrix, "", 0x03, [3]byte{0, 0x00, 0x01}, 1, 1},
}

// Indices into layouts.
const (
	l2024 = iota
	l2025
	l2025Unstable
	l2026
	l2026Unstable
	l2026Bytes8
)

func (f Format) layout() *layout {
	for i := range layouts {
		if layouts[i].format == f {
			return &layouts[i]
		}
	}
	return nil
}

// allows reports whether the layout may open with prefix p.
func (l *layout) allows(p string) bool { return p == l.prefix || (p != "" && p == l.alt) }

// intent maps a wire byte to an Intent, or 0.
func (l *layout) intent(b byte) Intent {
	switch b {
	case l.intents[Login]:
		return Login
	case l.intents[Reciprocate]:
		return Reciprocate
	}
	return 0
}

// Formats returns every format, oldest first.
func Formats() []Format {
	fs := make([]Format, len(layouts))
	for i := range layouts {
		fs[i] = layouts[i].format
	}
	return fs
}

// ParseFormat returns the format named s.
func ParseFormat(s string) (Format, error) {
	if f := Format(s); f.layout() != nil {
		return f, nil
	}
	return "", fmt.Errorf("qr: format %q (want one of %s): %w", s, formatList(), KindUnknownFormat)
}

// Valid reports whether f is one of the package's formats.
func (f Format) Valid() bool { return f.layout() != nil }

// String returns the format's name.
func (f Format) String() string { return string(f) }

func formatList() string {
	var b strings.Builder
	for i := range layouts {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(string(layouts[i].format))
	}
	return b.String()
}

// Intent says which device shows the QR code. The zero value is no intent,
// so a Payload built without one does not encode.
type Intent uint8

const (
	// Login: the new device shows the code and the existing device scans.
	Login Intent = 1
	// Reciprocate: the existing device shows the code and the new device
	// scans.
	Reciprocate Intent = 2
)

// Valid reports whether i is Login or Reciprocate.
func (i Intent) Valid() bool { return i == Login || i == Reciprocate }

// String returns "login", "reciprocate", or "Intent(n)" for anything else.
func (i Intent) String() string {
	switch i {
	case Login:
		return "login"
	case Reciprocate:
		return "reciprocate"
	}
	return fmt.Sprintf("Intent(%d)", uint8(i))
}

// ParseIntent returns the intent named s ("login" or "reciprocate").
func ParseIntent(s string) (Intent, error) {
	switch s {
	case "login":
		return Login, nil
	case "reciprocate":
		return Reciprocate, nil
	}
	return 0, fmt.Errorf("qr: intent %q (want login or reciprocate): %w", s, KindUnknownIntent)
}

// KeySize is the length of an X25519 public key in bytes.
const KeySize = 32

// PublicKey is the generating device's ephemeral X25519 public key.
type PublicKey [KeySize]byte

// String returns the key as unpadded standard base64.
func (k PublicKey) String() string { return base64.RawStdEncoding.EncodeToString(k[:]) }

// ParsePublicKey decodes a key from standard base64, padded or not.
func ParsePublicKey(s string) (PublicKey, error) {
	var k PublicKey
	b, err := decodeBase64(s)
	if err != nil {
		return k, fmt.Errorf("qr: public key: %w", err)
	}
	if len(b) != KeySize {
		return k, fmt.Errorf("qr: public key: %d bytes, want %d", len(b), KeySize)
	}
	copy(k[:], b)
	return k, nil
}

// decodeBase64 decodes standard base64 with or without padding, rejecting
// non-canonical trailing bits. A failure is a *DecodeError on field
// "base64" at the offending character.
func decodeBase64(s string) ([]byte, error) {
	enc := base64.RawStdEncoding.Strict()
	if strings.HasSuffix(s, "=") {
		enc = base64.StdEncoding.Strict()
	}
	b, err := enc.DecodeString(s)
	if err != nil {
		off := -1
		if c, ok := err.(base64.CorruptInputError); ok {
			off = int(c)
		}
		return nil, &DecodeError{Field: "base64", Offset: off, Kind: KindBadBase64, Err: err}
	}
	return b, nil
}
