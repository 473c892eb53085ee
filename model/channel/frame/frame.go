// Package frame is the wire framing of the secure channel's payloads: how
// package channel turns keys, nonces and ciphertexts into the strings it
// puts in the rendezvous mailbox, and back. It knows nothing of the
// cryptography (it imports no crypto package), so that a fuzz target of the
// decoders builds into a small, fast test binary.
//
// Every payload is base64 (standard alphabet, unpadded, non-canonical
// trailing bits refused) of these fields:
//
//	kind      ECIES framing          HPKE framing
//	Initiate  b64(ct) "|" b64(Sp)    b64(enc || ct)
//	Response  b64(ct)                b64(responseNonce || ct)
//	Message   b64(ct)                b64(ct)
//
// where ct is a ciphertext of at least TagSize bytes, Sp and enc are
// KeySize-byte public keys and responseNonce is NonceSize bytes. Initiate is
// S's LoginInitiate, Response is G's LoginOk and Message every later payload
// in either direction.
//
// Encoding is canonical (unpadded, no line breaks). Decoding reads each
// base64 field (the ECIES ciphertext and key are two fields, the ciphertext's
// padding goes before the '|') in one of two ways, named variants that the
// framing selects:
//
//   - lenient (ECIES, HPKE; the spec constructions): any number of trailing
//     '=' is accepted, and, as encoding/base64 does, CR and LF characters
//     inside a field are ignored. The texts say only that the encoding is
//     unpadded base64, so the model reads what it can.
//   - vodozemac (ECIESVodozemac, HPKEVodozemac): vodozemac's reading, its
//     STANDARD_NO_PAD engine with DecodePaddingMode::Indifferent (vodozemac
//     src/utilities/mod.rs, commit cfc4eeebdf0953314144a6b709449b0434019ca2,
//     base64 crate 0.22.1 src/engine/general_purpose/decode_suffix.rs). A
//     field may end in as many '=' as its last group lacks, or fewer: after
//     a final group of two characters one or two, after one of three one,
//     after a whole group none. Any other '=' and every CR or LF is refused.
//
// Those are the only freedoms: decoding a payload and encoding what it gave
// returns the input with each field's trailing '=' (and, lenient, every CR
// and LF) removed, and nothing else changed.
//
// Refusals are *Error values, which wrap ErrMalformed and say which field
// is at fault and at which byte of the payload string.
package frame

import (
	"encoding/base64"
	"strconv"
	"strings"
)

// Sizes of the fields.
const (
	// KeySize is the length of an X25519 public key (ECIES's Sp, HPKE's
	// enc).
	KeySize = 32
	// TagSize is the ChaCha20-Poly1305 tag length, the least a ciphertext
	// holds.
	TagSize = 16
	// NonceSize is the length of the HPKE response nonce that opens G's
	// LoginOk.
	NonceSize = 32
)

// Framing is how a construction frames its payloads: a layout (ECIES or
// HPKE) and a reading of base64 (lenient or vodozemac's; see the package
// documentation). ECIES is ecies-spec's, ECIESVodozemac ecies-vodozemac's,
// HPKE hpke-spec's and HPKEVodozemac hpke-vodozemac's. Other values are
// invalid: the Decode and Encode functions panic on them.
type Framing uint8

// The four framings.
const (
	ECIES Framing = iota
	HPKE
	ECIESVodozemac
	HPKEVodozemac
)

// String returns "ecies", "hpke", "ecies-vodozemac" or "hpke-vodozemac".
func (f Framing) String() string {
	switch f {
	case ECIES:
		return "ecies"
	case HPKE:
		return "hpke"
	case ECIESVodozemac:
		return "ecies-vodozemac"
	case HPKEVodozemac:
		return "hpke-vodozemac"
	}
	return "Framing(" + strconv.Itoa(int(f)) + ")"
}

// Layout returns the framing's layout, ECIES or HPKE, whatever its base64
// reading.
func (f Framing) Layout() Framing { return f &^ ECIESVodozemac }

// Vodozemac reports whether the framing reads base64 as vodozemac does.
func (f Framing) Vodozemac() bool { return f&ECIESVodozemac != 0 }

// Kind is a payload's place in the exchange. Values other than the three
// below are invalid: the Decode and Encode functions panic on them.
type Kind uint8

// The payload kinds.
const (
	// Initiate is S's first payload, LoginInitiate.
	Initiate Kind = iota
	// Response is G's first payload, LoginOk.
	Response
	// Message is any later payload, either way.
	Message
)

// String returns "initiate", "response" or "message".
func (k Kind) String() string {
	switch k {
	case Initiate:
		return "initiate"
	case Response:
		return "response"
	case Message:
		return "message"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Payload holds the fields of one payload. Key is set for Initiate only (S's
// public key Sp in ECIES, enc in HPKE), Nonce for an HPKE Response only;
// every kind has a Ciphertext. The fields a payload does not carry are nil.
type Payload struct {
	Key        []byte
	Nonce      []byte
	Ciphertext []byte
}

// b64 is the wire encoding: standard alphabet, unpadded, strict.
var b64 = base64.RawStdEncoding.Strict()

// trimPad drops trailing '=' padding.
func trimPad(s string) string {
	for len(s) > 0 && s[len(s)-1] == '=' {
		s = s[:len(s)-1]
	}
	return s
}

// unpad returns a field's text without its trailing '=' padding, and, in the
// vodozemac reading, the offset within it of the first character that
// reading refuses (a CR or LF, or an '=' beyond what the last group lacks),
// or -1. The lenient reading refuses nothing here.
func (f Framing) unpad(field string) (string, int) {
	text := trimPad(field)
	if !f.Vodozemac() {
		return text, -1
	}
	if i := strings.IndexAny(field, "\r\n"); i >= 0 {
		return text, i
	}
	pad := len(field) - len(text)
	switch len(text) % 4 {
	case 2:
		if pad <= 2 {
			return text, -1
		}
	case 3:
		if pad <= 1 {
			return text, -1
		}
	default:
		if pad == 0 {
			return text, -1
		}
	}
	return text, len(text)
}

func check(f Framing, k Kind) {
	if f > HPKEVodozemac {
		panic("frame: invalid Framing " + f.String())
	}
	if k > Message {
		panic("frame: invalid Kind " + k.String())
	}
}

// Decode parses a payload of kind k in framing f. It is DecodeInitiate,
// DecodeResponse or DecodeMessage.
func Decode(f Framing, k Kind, s string) (Payload, error) {
	check(f, k)
	switch k {
	case Initiate:
		return DecodeInitiate(f, s)
	case Response:
		return DecodeResponse(f, s)
	}
	return DecodeMessage(f, s)
}

// DecodeInitiate parses a LoginInitiate payload into Key and Ciphertext.
//
// In the ECIES framing it checks, in this order: that there is a '|' (the
// first one splits), that the text after it is base64 of KeySize bytes, that
// the text before it is base64 of at least TagSize bytes. In the HPKE
// framing: that the payload is base64 of at least KeySize+TagSize bytes, the
// first KeySize of them the key.
func DecodeInitiate(f Framing, s string) (Payload, error) {
	check(f, Initiate)
	if f.Layout() == HPKE {
		return decodeJoined(f, Initiate, s, KeySize)
	}
	i := strings.IndexByte(s, '|')
	if i < 0 {
		return Payload{}, &Error{Framing: f, Kind: Initiate, Field: FieldPayload, Problem: NoSeparator, Offset: len(s)}
	}
	ctText, ctBad := f.unpad(s[:i])
	keyText, keyBad := f.unpad(s[i+1:])
	if keyBad >= 0 {
		return Payload{}, &Error{Framing: f, Kind: Initiate, Field: FieldKey, Problem: BadBase64, Offset: i + 1 + keyBad, Start: i + 1}
	}
	// One buffer for both fields: the ciphertext first, the key after it.
	ctCap := b64.DecodedLen(len(ctText))
	buf := make([]byte, ctCap+b64.DecodedLen(len(keyText)))
	nk, err := b64.Decode(buf[ctCap:], []byte(keyText))
	if err != nil {
		return Payload{}, base64Error(f, Initiate, FieldKey, i+1, err)
	}
	if nk != KeySize {
		return Payload{}, &Error{Framing: f, Kind: Initiate, Field: FieldKey, Problem: BadLength, Offset: i + 1, Start: i + 1, Len: nk, Want: KeySize}
	}
	if ctBad >= 0 {
		return Payload{}, &Error{Framing: f, Kind: Initiate, Field: FieldCiphertext, Problem: BadBase64, Offset: ctBad}
	}
	nc, err := b64.Decode(buf[:ctCap], []byte(ctText))
	if err != nil {
		return Payload{}, base64Error(f, Initiate, FieldCiphertext, 0, err)
	}
	if nc < TagSize {
		return Payload{}, &Error{Framing: f, Kind: Initiate, Field: FieldCiphertext, Problem: BadLength, Len: nc, Want: TagSize}
	}
	return Payload{Key: buf[ctCap : ctCap+nk : ctCap+nk], Ciphertext: buf[:nc:nc]}, nil
}

// DecodeResponse parses a LoginOk payload: in the HPKE framing base64 of at
// least NonceSize+TagSize bytes, the first NonceSize of them the Nonce; in
// the ECIES framing a Message.
func DecodeResponse(f Framing, s string) (Payload, error) {
	check(f, Response)
	if f.Layout() == HPKE {
		return decodeJoined(f, Response, s, NonceSize)
	}
	return decodeJoined(f, Response, s, 0)
}

// DecodeMessage parses a later payload: base64 of a ciphertext of at least
// TagSize bytes, in both framings (f only labels errors).
func DecodeMessage(f Framing, s string) (Payload, error) {
	check(f, Message)
	return decodeJoined(f, Message, s, 0)
}

// decodeJoined decodes b64(prefix || ct) with a prefix of n bytes (the Key of
// an Initiate, the Nonce of a Response, or none).
func decodeJoined(f Framing, k Kind, s string, n int) (Payload, error) {
	text, bad := f.unpad(s)
	if bad >= 0 {
		return Payload{}, &Error{Framing: f, Kind: k, Field: wholeField(n), Problem: BadBase64, Offset: bad}
	}
	raw := make([]byte, b64.DecodedLen(len(text)))
	m, err := b64.Decode(raw, []byte(text))
	if err != nil {
		return Payload{}, base64Error(f, k, wholeField(n), 0, err)
	}
	if m < n+TagSize {
		return Payload{}, &Error{Framing: f, Kind: k, Field: wholeField(n), Problem: BadLength, Len: m, Want: n + TagSize}
	}
	var p Payload
	switch {
	case n == 0:
	case k == Initiate:
		p.Key = raw[:n:n]
	default:
		p.Nonce = raw[:n:n]
	}
	p.Ciphertext = raw[n:m:m]
	return p, nil
}

// wholeField names what a single-field payload holds: the ciphertext, or a
// prefix and the ciphertext.
func wholeField(prefix int) Field {
	if prefix == 0 {
		return FieldCiphertext
	}
	return FieldPayload
}

// base64Error reports a base64 refusal of the field whose text starts at
// byte start of the payload.
func base64Error(f Framing, k Kind, field Field, start int, err error) error {
	off := 0
	if c, ok := err.(base64.CorruptInputError); ok {
		off = int(c)
	}
	return &Error{Framing: f, Kind: k, Field: field, Problem: BadBase64, Offset: start + off, Start: start}
}

// Encode builds the canonical payload of kind k in framing f. It is
// EncodeInitiate, EncodeResponse or EncodeMessage.
func Encode(f Framing, k Kind, p Payload) (string, error) {
	check(f, k)
	switch k {
	case Initiate:
		return EncodeInitiate(f, p)
	case Response:
		return EncodeResponse(f, p)
	}
	return EncodeMessage(f, p)
}

// EncodeInitiate builds a LoginInitiate payload from Key and Ciphertext:
// b64(Ciphertext) "|" b64(Key) in the ECIES framing, b64(Key || Ciphertext)
// in the HPKE framing. It refuses a Key that is not KeySize bytes, a
// Ciphertext shorter than TagSize, and a Nonce.
func EncodeInitiate(f Framing, p Payload) (string, error) {
	check(f, Initiate)
	if err := checkLengths(f, Initiate, p, KeySize, 0); err != nil {
		return "", err
	}
	var sb strings.Builder
	if f.Layout() == HPKE {
		sb.Grow(b64.EncodedLen(len(p.Key) + len(p.Ciphertext)))
		writeB64(&sb, p.Key, p.Ciphertext)
		return sb.String(), nil
	}
	sb.Grow(b64.EncodedLen(len(p.Ciphertext)) + 1 + b64.EncodedLen(len(p.Key)))
	writeB64(&sb, p.Ciphertext, nil)
	sb.WriteByte('|')
	writeB64(&sb, p.Key, nil)
	return sb.String(), nil
}

// EncodeResponse builds a LoginOk payload: b64(Nonce || Ciphertext) in the
// HPKE framing, with a Nonce of NonceSize bytes; b64(Ciphertext) in the
// ECIES framing, with no Nonce. It refuses a Ciphertext shorter than TagSize
// and a Key.
func EncodeResponse(f Framing, p Payload) (string, error) {
	check(f, Response)
	nonce := 0
	if f.Layout() == HPKE {
		nonce = NonceSize
	}
	if err := checkLengths(f, Response, p, 0, nonce); err != nil {
		return "", err
	}
	var sb strings.Builder
	sb.Grow(b64.EncodedLen(len(p.Nonce) + len(p.Ciphertext)))
	writeB64(&sb, p.Nonce, p.Ciphertext)
	return sb.String(), nil
}

// EncodeMessage builds a later payload, b64(Ciphertext), in both framings.
// It refuses a Ciphertext shorter than TagSize, a Key and a Nonce.
func EncodeMessage(f Framing, p Payload) (string, error) {
	check(f, Message)
	if err := checkLengths(f, Message, p, 0, 0); err != nil {
		return "", err
	}
	var sb strings.Builder
	sb.Grow(b64.EncodedLen(len(p.Ciphertext)))
	writeB64(&sb, p.Ciphertext, nil)
	return sb.String(), nil
}

// checkLengths enforces the length rules on the fields to encode: a Key of
// exactly key bytes, a Nonce of exactly nonce bytes (0: the field must be
// empty), a Ciphertext of at least TagSize.
func checkLengths(f Framing, k Kind, p Payload, key, nonce int) error {
	switch {
	case len(p.Key) != key:
		return &Error{Framing: f, Kind: k, Field: FieldKey, Problem: BadLength, Offset: -1, Start: -1, Len: len(p.Key), Want: key}
	case len(p.Nonce) != nonce:
		return &Error{Framing: f, Kind: k, Field: FieldNonce, Problem: BadLength, Offset: -1, Start: -1, Len: len(p.Nonce), Want: nonce}
	case len(p.Ciphertext) < TagSize:
		return &Error{Framing: f, Kind: k, Field: FieldCiphertext, Problem: BadLength, Offset: -1, Start: -1, Len: len(p.Ciphertext), Want: TagSize}
	}
	return nil
}

// chunk is how many input bytes writeB64 encodes at a time (a multiple of
// 3, so that only the last chunk has a partial group).
const chunk = 384

// writeB64 writes the unpadded base64 of a || b to sb without joining a and
// b first: whole groups of a, then one group bridging a's tail and b's head,
// then the rest of b. It allocates nothing once sb has grown.
func writeB64(sb *strings.Builder, a, b []byte) {
	r := len(a) % 3
	writeGroups(sb, a[:len(a)-r])
	if r > 0 {
		var g [3]byte
		n := copy(g[:], a[len(a)-r:])
		n += copy(g[n:], b)
		writeGroups(sb, g[:n])
		b = b[n-r:]
	}
	writeGroups(sb, b)
}

// writeGroups writes the base64 of p to sb through a stack buffer.
func writeGroups(sb *strings.Builder, p []byte) {
	var buf [chunk / 3 * 4]byte
	for len(p) > 0 {
		n := min(len(p), chunk)
		b64.Encode(buf[:], p[:n])
		sb.Write(buf[:b64.EncodedLen(n)])
		p = p[n:]
	}
}
