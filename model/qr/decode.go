package qr

import "unicode/utf8"

// Decode reads a payload in whichever format it is, telling the u8 and u16
// type-0x03 layouts apart as the package documentation describes. It
// returns a *DecodeError for anything Marshal would not have produced.
func Decode(b []byte) (Payload, error) { return decode(b, nil) }

// DecodeFormat reads a payload in format f only, as a scanner that knows
// just that layout would.
func DecodeFormat(b []byte, f Format) (Payload, error) {
	l := f.layout()
	if l == nil {
		_, err := ParseFormat(string(f))
		return Payload{}, err
	}
	return decode(b, l)
}

// DecodeString decodes the base64 text form (standard alphabet, padded or
// not) and then the payload, as Decode.
func DecodeString(s string) (Payload, error) {
	b, err := decodeBase64(s)
	if err != nil {
		return Payload{}, err
	}
	return decode(b, nil)
}

// DecodeStringFormat is DecodeString for format f only.
func DecodeStringFormat(s string, f Format) (Payload, error) {
	b, err := decodeBase64(s)
	if err != nil {
		return Payload{}, err
	}
	return DecodeFormat(b, f)
}

// autoOrder is the order Decode tries the layouts that fit a prefix and
// type. For type 0x03: u8/u16 (msc4388), then u8/u8 (msc4388-bytes8), then
// u16/u16 (msc4388-2025). The first fully valid reading wins (no payload
// has two; see the package documentation), and between failures that got
// equally far the earlier layout's is reported.
var autoOrder = [...]int{l2024, l2026, l2026Bytes8, l2026Unstable, l2025, l2025Unstable}

// maxCands is the most layouts one prefix and type leave to try.
const maxCands = 3

// prefixes a payload may start with.
var prefixes = [...]string{PrefixMatrix, PrefixMSC4388, PrefixMSC4108}

// fail is a decode error before it is boxed into a *DecodeError, so that a
// layout tried and dropped costs no allocation. kind 0 means success.
type fail struct {
	kind  Kind
	field string
	off   int
	value int
	left  int
}

func (f *fail) box(format Format, guessed bool) *DecodeError {
	return &DecodeError{Format: format, Field: f.field, Offset: f.off, Kind: f.kind,
		Value: f.value, Left: f.left, guessed: guessed}
}

// span is a string field's position in the payload.
type span struct{ start, end int }

// fields are the two strings after the key: URL and server name (2024,
// server name empty with Login) or rendezvous ID and base URL (type 0x03).
type fields struct{ a, b span }

func decode(b []byte, only *layout) (Payload, error) {
	var prefix string
	for _, p := range prefixes {
		if len(b) >= len(p) && string(b[:len(p)]) == p {
			prefix = p
			break
		}
	}
	if prefix == "" || (only != nil && !only.allows(prefix)) {
		return Payload{}, prefixError(b, only)
	}
	var format Format
	if only != nil {
		format = only.format
	}

	n := len(prefix)
	if len(b) <= n {
		f := fail{KindTruncated, "type", n, 1, 0}
		return Payload{}, f.box(format, false)
	}
	typ := b[n]
	var cands [maxCands]*layout
	nc := 0
	if only != nil {
		if only.typ == typ {
			cands[0], nc = only, 1
		}
	} else {
		for _, i := range autoOrder {
			if l := &layouts[i]; l.typ == typ && l.allows(prefix) {
				cands[nc] = l
				nc++
			}
		}
	}
	if nc == 0 {
		f := fail{KindUnknownType, "type", n, int(typ), 0}
		return Payload{}, f.box(format, false)
	}
	if nc == 1 {
		format = cands[0].format
	}

	if len(b) <= n+1 {
		f := fail{KindTruncated, "intent", n + 1, 1, 0}
		return Payload{}, f.box(format, false)
	}
	intent := cands[0].intent(b[n+1]) // the candidates share intent bytes
	if intent == 0 {
		f := fail{KindUnknownIntent, "intent", n + 1, int(b[n+1]), 0}
		return Payload{}, f.box(format, false)
	}
	off := n + 2
	if left := len(b) - off; left < KeySize {
		f := fail{KindTruncated, "public_key", off, KeySize, left}
		return Payload{}, f.box(format, false)
	}
	off += KeySize

	var fs [maxCands]fields
	var fails [maxCands]fail
	pick := -1
	for i := 0; i < nc; i++ {
		if cands[i].idLen == 0 {
			fs[i], fails[i] = read2024(b, off, intent)
		} else {
			fs[i], fails[i] = readType3(b, off, cands[i].idLen, cands[i].urlLen)
		}
		if fails[i].kind == 0 {
			pick = i
			break
		}
	}
	if pick < 0 {
		// The reading that got furthest; the earliest of those on a tie.
		i := 0
		for j := 1; j < nc; j++ {
			if fails[j].off > fails[i].off {
				i = j
			}
		}
		return Payload{}, fails[i].box(cands[i].format, nc > 1)
	}

	l := cands[pick]
	p := Payload{Format: l.format, Intent: intent}
	if prefix != l.prefix {
		p.Prefix = prefix
	}
	copy(p.Key[:], b[n+2:])
	// Both strings come out of one allocation (the two length bytes
	// between them ride along).
	a, c := fs[pick].a, fs[pick].b
	if c.end == 0 { // 2024 login: no server name
		p.RendezvousURL = string(b[a.start:a.end])
		return p, nil
	}
	both := string(b[a.start:c.end])
	first, second := both[:a.end-a.start], both[c.start-a.start:]
	if l.idLen == 0 {
		p.RendezvousURL, p.ServerName = first, second
	} else {
		p.RendezvousID, p.BaseURL = first, second
	}
	return p, nil
}

// prefixError explains why b does not open with a prefix (of only's format,
// if only is set): it stops inside one, or it is another.
func prefixError(b []byte, only *layout) *DecodeError {
	e := &DecodeError{Field: "prefix", Kind: KindBadPrefix}
	want := prefixes[:]
	if only != nil {
		e.Format = only.format
		want = []string{only.prefix, only.alt}
	}
	for _, p := range want {
		if p != "" && len(b) < len(p) && string(b) == p[:len(b)] {
			e.Kind, e.Value, e.Left = KindTruncated, len(p), len(b)
			return e
		}
	}
	e.prefixN = uint8(copy(e.prefix[:], b))
	return e
}

// readString reads a string with an n-byte length at off.
func readString(b []byte, off, n int, field string) (span, fail) {
	left := len(b) - off
	if left < n {
		return span{}, fail{KindTruncated, field, off, n, left}
	}
	l := int(b[off])
	if n == 2 {
		l = l<<8 | int(b[off+1])
	}
	left -= n
	switch {
	case l > left:
		return span{}, fail{KindLengthPastEnd, field, off, l, left}
	case l == 0:
		return span{}, fail{KindEmpty, field, off, 0, left}
	}
	return span{off + n, off + n + l}, fail{}
}

// readUTF8 reads a string with an n-byte length at off and checks its
// UTF-8.
func readUTF8(b []byte, off, n int, field string) (span, fail) {
	s, f := readString(b, off, n, field)
	if f.kind == 0 && !utf8.Valid(b[s.start:s.end]) {
		i := s.start + firstInvalidUTF8(b[s.start:s.end])
		f = fail{KindInvalidUTF8, field, i, int(b[i]), 0}
	}
	return s, f
}

// trailing fails if anything follows off.
func trailing(b []byte, off int) fail {
	if off < len(b) {
		return fail{KindTrailingBytes, "payload", off, len(b) - off, 0}
	}
	return fail{}
}

// read2024 reads the fields after the key in the 2024 layout.
func read2024(b []byte, off int, intent Intent) (fields, fail) {
	var fs fields
	var f fail
	if fs.a, f = readUTF8(b, off, 2, "rendezvous_url"); f.kind != 0 {
		return fs, f
	}
	off = fs.a.end
	if intent == Reciprocate {
		if off == len(b) {
			return fs, fail{KindMissingServerName, "server_name", off, 0, 0}
		}
		if fs.b, f = readUTF8(b, off, 2, "server_name"); f.kind != 0 {
			return fs, f
		}
		off = fs.b.end
	}
	return fs, trailing(b, off)
}

// readType3 reads the fields after the key in a type-0x03 layout whose ID
// length takes idLen bytes and base URL length urlLen bytes.
func readType3(b []byte, off, idLen, urlLen int) (fields, fail) {
	var fs fields
	var f fail
	if fs.a, f = readString(b, off, idLen, "rendezvous_id"); f.kind != 0 {
		return fs, f
	}
	// The grammar is checked over the first 255 bytes, then the length: a
	// u16 ID that is too long fails at its 256th byte, which puts the
	// failure past any the u8 reading of the same bytes could have.
	id := b[fs.a.start:fs.a.end]
	if i := badIDByte(id[:min(len(id), maxIDLen)]); i >= 0 {
		i += fs.a.start
		return fs, fail{KindInvalidID, "rendezvous_id", i, int(b[i]), 0}
	}
	if len(id) > maxIDLen {
		return fs, fail{KindTooLong, "rendezvous_id", fs.a.start + maxIDLen, len(id), 0}
	}
	if fs.b, f = readUTF8(b, fs.a.end, urlLen, "base_url"); f.kind != 0 {
		return fs, f
	}
	return fs, trailing(b, fs.b.end)
}
