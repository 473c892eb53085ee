package qr

import (
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Payload is one QR code's content. Which string fields it carries depends
// on the format: RendezvousURL (and with Reciprocate, ServerName) for
// Format2024; RendezvousID and BaseURL for the type-0x03 formats. The
// others stay empty.
type Payload struct {
	// Format is the layout.
	Format Format
	// Prefix is the payload's opening bytes when the format allows more
	// than one; empty means the format's usual prefix. Decoding sets it only
	// for Format2025Unstable read with PrefixMSC4108.
	Prefix string
	// Intent says which device shows the code.
	Intent Intent
	// Key is the generating device's ephemeral public key.
	Key PublicKey
	// RendezvousURL is the absolute URL of the rendezvous session
	// (Format2024).
	RendezvousURL string
	// ServerName is the homeserver's server name (Format2024 with
	// Reciprocate only).
	ServerName string
	// RendezvousID is the rendezvous session's ID, an opaque identifier
	// (type-0x03 formats).
	RendezvousID string
	// BaseURL is the homeserver's client-server base URL (type-0x03
	// formats; at most 255 bytes in Format2026Bytes8).
	BaseURL string
}

// Validate reports whether p can be encoded, returning the same
// *EncodeError that Marshal would.
func (p Payload) Validate() error {
	_, _, err := p.check()
	return err
}

// check validates p and returns its layout and the prefix to write.
func (p Payload) check() (*layout, string, error) {
	l := p.Format.layout()
	if l == nil {
		return nil, "", &EncodeError{Format: p.Format, Field: "format", Kind: KindUnknownFormat, value: string(p.Format)}
	}
	eerr := func(field string, kind Kind) *EncodeError {
		return &EncodeError{Format: p.Format, Field: field, Kind: kind}
	}
	prefix := l.prefix
	if p.Prefix != "" {
		if !l.allows(p.Prefix) {
			e := eerr("prefix", KindBadPrefix)
			e.value = p.Prefix
			return nil, "", e
		}
		prefix = p.Prefix
	}
	if !p.Intent.Valid() {
		e := eerr("intent", KindUnknownIntent)
		e.value = p.Intent.String()
		return nil, "", e
	}
	if l.idLen == 0 {
		switch {
		case p.RendezvousID != "":
			return nil, "", eerr("rendezvous_id", KindUnexpectedField)
		case p.BaseURL != "":
			return nil, "", eerr("base_url", KindUnexpectedField)
		case p.Intent == Login && p.ServerName != "":
			return nil, "", eerr("server_name", KindUnexpectedField)
		}
		if err := checkString(p.Format, "rendezvous_url", p.RendezvousURL, 0xffff); err != nil {
			return nil, "", err
		}
		if p.Intent == Reciprocate {
			if err := checkString(p.Format, "server_name", p.ServerName, 0xffff); err != nil {
				return nil, "", err
			}
		}
		return l, prefix, nil
	}
	switch {
	case p.RendezvousURL != "":
		return nil, "", eerr("rendezvous_url", KindUnexpectedField)
	case p.ServerName != "":
		return nil, "", eerr("server_name", KindUnexpectedField)
	}
	if err := checkString(p.Format, "rendezvous_id", p.RendezvousID, maxIDLen); err != nil {
		return nil, "", err
	}
	if i := badIDByte(p.RendezvousID); i >= 0 {
		e := eerr("rendezvous_id", KindInvalidID)
		e.Value, e.Index = int(p.RendezvousID[i]), i
		return nil, "", e
	}
	if err := checkString(p.Format, "base_url", p.BaseURL, maxLen(l.urlLen)); err != nil {
		return nil, "", err
	}
	return l, prefix, nil
}

// checkString checks that s is non-empty, at most max bytes and UTF-8.
func checkString(f Format, field, s string, max int) error {
	switch {
	case s == "":
		return &EncodeError{Format: f, Field: field, Kind: KindEmpty}
	case len(s) > max:
		return &EncodeError{Format: f, Field: field, Kind: KindTooLong, Value: len(s), Max: max}
	case !utf8.ValidString(s):
		return &EncodeError{Format: f, Field: field, Kind: KindInvalidUTF8, Index: firstInvalidUTF8(s)}
	}
	return nil
}

// AppendBinary appends p's encoding to b (encoding.BinaryAppender).
func (p Payload) AppendBinary(b []byte) ([]byte, error) {
	l, prefix, err := p.check()
	if err != nil {
		return b, err
	}
	n := len(prefix) + 2 + KeySize
	if l.idLen == 0 {
		n += 2 + len(p.RendezvousURL)
		if p.Intent == Reciprocate {
			n += 2 + len(p.ServerName)
		}
	} else {
		n += l.idLen + len(p.RendezvousID) + l.urlLen + len(p.BaseURL)
	}
	if cap(b)-len(b) < n {
		b = append(make([]byte, 0, len(b)+n), b...)
	}
	b = append(b, prefix...)
	b = append(b, l.typ, l.intents[p.Intent])
	b = append(b, p.Key[:]...)
	if l.idLen == 0 {
		b = appendU16String(b, p.RendezvousURL)
		if p.Intent == Reciprocate {
			b = appendU16String(b, p.ServerName)
		}
		return b, nil
	}
	b = appendString(b, l.idLen, p.RendezvousID)
	return appendString(b, l.urlLen, p.BaseURL), nil
}

// appendString appends s with an n-byte (1 or 2) big-endian length.
func appendString(b []byte, n int, s string) []byte {
	if n == 2 {
		b = append(b, byte(len(s)>>8))
	}
	b = append(b, byte(len(s)))
	return append(b, s...)
}

func appendU16String(b []byte, s string) []byte { return appendString(b, 2, s) }

// Marshal returns p's encoding, or an *EncodeError if p is not valid for
// its format.
func (p Payload) Marshal() ([]byte, error) { return p.AppendBinary(nil) }

// EncodeString returns p's encoding as unpadded standard base64.
func (p Payload) EncodeString() (string, error) {
	b, err := p.Marshal()
	if err != nil {
		return "", err
	}
	return base64.RawStdEncoding.EncodeToString(b), nil
}

// String describes p for logs and test failures, valid or not.
func (p Payload) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s key=%s", p.Format, p.Intent, p.Key)
	if p.Prefix != "" {
		fmt.Fprintf(&b, " prefix=%q", p.Prefix)
	}
	for _, f := range [...]struct{ name, v string }{
		{"rendezvous_url", p.RendezvousURL}, {"server_name", p.ServerName},
		{"rendezvous_id", p.RendezvousID}, {"base_url", p.BaseURL},
	} {
		if f.v != "" {
			fmt.Fprintf(&b, " %s=%q", f.name, f.v)
		}
	}
	return b.String()
}

// idBytes[c] is true for the bytes of the opaque identifier grammar,
// [A-Za-z0-9._~-].
var idBytes = func() (t [256]bool) {
	for c := 'A'; c <= 'Z'; c++ {
		t[c], t[c+'a'-'A'] = true, true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range "._~-" {
		t[c] = true
	}
	return t
}()

// badIDByte returns the index of the first byte of s outside the grammar,
// or -1.
func badIDByte[S string | []byte](s S) int {
	for i := 0; i < len(s); i++ {
		if !idBytes[s[i]] {
			return i
		}
	}
	return -1
}

// firstInvalidUTF8 returns the index of the first byte of s that does not
// start a valid UTF-8 sequence, or -1.
func firstInvalidUTF8[S string | []byte](s S) int {
	for i := 0; i < len(s); {
		// Eight ASCII bytes at a time: one comparison instead of eight,
		// which matters most under go test -fuzz (it hooks every one).
		if i+8 <= len(s) && (s[i]|s[i+1]|s[i+2]|s[i+3]|s[i+4]|s[i+5]|s[i+6]|s[i+7])&0x80 == 0 {
			i += 8
			continue
		}
		if s[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(string(s[i:min(i+utf8.UTFMax, len(s))]))
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return -1
}
