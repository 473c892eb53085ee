package frame

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

var ref = base64.RawStdEncoding

// seq returns n bytes counting up from start.
func seq(start byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = start + byte(i)*7
	}
	return b
}

// reference builds a payload the way the package documentation states it,
// with encoding/base64 alone.
func reference(f Framing, k Kind, p Payload) string {
	switch {
	case k == Initiate && f.Layout() == ECIES:
		return ref.EncodeToString(p.Ciphertext) + "|" + ref.EncodeToString(p.Key)
	case k == Initiate:
		return ref.EncodeToString(append(append([]byte(nil), p.Key...), p.Ciphertext...))
	case k == Response && f.Layout() == HPKE:
		return ref.EncodeToString(append(append([]byte(nil), p.Nonce...), p.Ciphertext...))
	}
	return ref.EncodeToString(p.Ciphertext)
}

// fields returns a valid Payload of kind k in framing f with a ciphertext
// of n bytes.
func fields(f Framing, k Kind, n int) Payload {
	p := Payload{Ciphertext: seq(100, n)}
	switch {
	case k == Initiate:
		p.Key = seq(1, KeySize)
	case k == Response && f.Layout() == HPKE:
		p.Nonce = seq(50, NonceSize)
	}
	return p
}

func samePayload(a, b Payload) bool {
	return bytes.Equal(a.Key, b.Key) && bytes.Equal(a.Nonce, b.Nonce) && bytes.Equal(a.Ciphertext, b.Ciphertext)
}

var (
	framings = []Framing{ECIES, HPKE, ECIESVodozemac, HPKEVodozemac}
	kinds    = []Kind{Initiate, Response, Message}
)

func TestRoundTrip(t *testing.T) {
	for _, f := range framings {
		for _, k := range kinds {
			for n := TagSize; n < TagSize+70; n++ {
				p := fields(f, k, n)
				s, err := Encode(f, k, p)
				if err != nil {
					t.Fatalf("%s %s ct %d: Encode: %v", f, k, n, err)
				}
				if want := reference(f, k, p); s != want {
					t.Fatalf("%s %s ct %d: Encode = %q, want %q", f, k, n, s, want)
				}
				q, err := Decode(f, k, s)
				if err != nil || !samePayload(p, q) {
					t.Fatalf("%s %s ct %d: Decode(%q) = %+v, %v; want %+v", f, k, n, s, q, err, p)
				}
				if again, err := Encode(f, k, q); err != nil || again != s {
					t.Fatalf("%s %s ct %d: re-encode = %q, %v; want %q", f, k, n, again, err, s)
				}
			}
		}
	}
}

// TestPerKindFunctions checks that the generic Decode and Encode are the
// per-kind functions.
func TestPerKindFunctions(t *testing.T) {
	for _, f := range framings {
		p := fields(f, Initiate, 20)
		a, _ := EncodeInitiate(f, p)
		b, _ := Encode(f, Initiate, p)
		if a != b {
			t.Errorf("%s: EncodeInitiate %q, Encode %q", f, a, b)
		}
		if q, err := DecodeInitiate(f, a); err != nil || !samePayload(p, q) {
			t.Errorf("%s: DecodeInitiate: %+v, %v", f, q, err)
		}
		p = fields(f, Response, 20)
		a, _ = EncodeResponse(f, p)
		if q, err := DecodeResponse(f, a); err != nil || !samePayload(p, q) {
			t.Errorf("%s: DecodeResponse: %+v, %v", f, q, err)
		}
		p = fields(f, Message, 20)
		a, _ = EncodeMessage(f, p)
		if q, err := DecodeMessage(f, a); err != nil || !samePayload(p, q) {
			t.Errorf("%s: DecodeMessage: %+v, %v", f, q, err)
		}
	}
	// ECIES frames LoginOk as a message; HPKE prefixes the nonce.
	ct := seq(9, 30)
	m, _ := EncodeMessage(ECIES, Payload{Ciphertext: ct})
	r, _ := EncodeResponse(ECIES, Payload{Ciphertext: ct})
	if m != r {
		t.Errorf("ECIES response %q differs from message %q", r, m)
	}
}

// TestCanonicalisation: in the lenient reading, padding at the end of each
// field and CR/LF inside it are accepted and dropped; the encoding has
// neither.
func TestCanonicalisation(t *testing.T) {
	for _, f := range []Framing{ECIES, HPKE} {
		for _, k := range kinds {
			for n := TagSize; n < TagSize+3; n++ {
				p := fields(f, k, n)
				canon, _ := Encode(f, k, p)
				var variants []string
				for _, pad := range []string{"=", "==", "==="} {
					if f == ECIES && k == Initiate {
						ct, key, _ := strings.Cut(canon, "|")
						variants = append(variants, ct+pad+"|"+key, ct+"|"+key+pad, ct+pad+"|"+key+pad)
					} else {
						variants = append(variants, canon+pad)
					}
				}
				variants = append(variants, canon[:4]+"\r\n"+canon[4:], "\n"+canon[:9]+"\n"+canon[9:]+"\r")
				for _, v := range variants {
					q, err := Decode(f, k, v)
					if err != nil || !samePayload(p, q) {
						t.Fatalf("%s %s: Decode(%q) = %+v, %v; want %+v", f, k, v, q, err, p)
					}
					if s, _ := Encode(f, k, q); s != canon {
						t.Fatalf("%s %s: %q re-encodes to %q, want %q", f, k, v, s, canon)
					}
				}
			}
		}
	}
}

// a is n characters of base64 zeros.
func a(n int) string { return strings.Repeat("A", n) }

func TestDecodeRefusals(t *testing.T) {
	key := a(43) // 32 bytes
	ct := a(22)  // 16 bytes
	tests := []struct {
		name    string
		f       Framing
		k       Kind
		s       string
		field   Field
		problem Problem
		offset  int
		start   int
		n, want int
	}{
		{"ecies empty", ECIES, Initiate, "", FieldPayload, NoSeparator, 0, 0, 0, 0},
		{"ecies no separator", ECIES, Initiate, ct + key, FieldPayload, NoSeparator, 65, 0, 0, 0},
		{"ecies separator only", ECIES, Initiate, "|", FieldKey, BadLength, 1, 1, 0, 32},
		{"ecies key short", ECIES, Initiate, ct + "|" + a(42), FieldKey, BadLength, 23, 23, 31, 32},
		{"ecies key long", ECIES, Initiate, ct + "|" + a(44), FieldKey, BadLength, 23, 23, 33, 32},
		{"ecies key bad char", ECIES, Initiate, ct + "|" + a(40) + "!AA", FieldKey, BadBase64, 63, 23, 0, 0},
		{"ecies key second separator", ECIES, Initiate, ct + "|" + key + "|", FieldKey, BadBase64, 66, 23, 0, 0},
		{"ecies key trailing bits", ECIES, Initiate, ct + "|" + a(42) + "B", FieldKey, BadBase64, 65, 23, 0, 0},
		{"ecies key padding inside", ECIES, Initiate, ct + "|" + a(2) + "=" + a(41), FieldKey, BadBase64, 25, 23, 0, 0},
		{"ecies key checked first", ECIES, Initiate, "!|!", FieldKey, BadBase64, 2, 2, 0, 0},
		{"ecies ciphertext bad char", ECIES, Initiate, a(20) + "!|" + key, FieldCiphertext, BadBase64, 20, 0, 0, 0},
		{"ecies ciphertext short", ECIES, Initiate, a(20) + "|" + key, FieldCiphertext, BadLength, 0, 0, 15, 16},
		{"ecies ciphertext empty", ECIES, Initiate, "|" + key, FieldCiphertext, BadLength, 0, 0, 0, 16},
		{"ecies ciphertext ragged", ECIES, Initiate, a(21) + "|" + key, FieldCiphertext, BadBase64, 20, 0, 0, 0},
		{"hpke initiate empty", HPKE, Initiate, "", FieldPayload, BadLength, 0, 0, 0, 48},
		{"hpke initiate short", HPKE, Initiate, a(63), FieldPayload, BadLength, 0, 0, 47, 48},
		{"hpke initiate separator", HPKE, Initiate, ct + "|" + key, FieldPayload, BadBase64, 22, 0, 0, 0},
		{"hpke initiate trailing bits", HPKE, Initiate, a(64) + "AB", FieldPayload, BadBase64, 64, 0, 0, 0},
		{"hpke response short", HPKE, Response, a(63) + "==", FieldPayload, BadLength, 0, 0, 47, 48},
		{"hpke response bad char", HPKE, Response, a(70) + "-", FieldPayload, BadBase64, 70, 0, 0, 0},
		{"ecies response short", ECIES, Response, a(20), FieldCiphertext, BadLength, 0, 0, 15, 16},
		{"ecies response bad char", ECIES, Response, a(30) + "_", FieldCiphertext, BadBase64, 30, 0, 0, 0},
		{"message empty", ECIES, Message, "", FieldCiphertext, BadLength, 0, 0, 0, 16},
		{"message short", HPKE, Message, a(20), FieldCiphertext, BadLength, 0, 0, 15, 16},
		{"message bad char", ECIES, Message, "AAAA!AAA", FieldCiphertext, BadBase64, 4, 0, 0, 0},
		{"message one char", HPKE, Message, "A", FieldCiphertext, BadBase64, 0, 0, 0, 0},
		{"message padding only", ECIES, Message, "====", FieldCiphertext, BadLength, 0, 0, 0, 16},
		{"message padding before newline", ECIES, Message, a(24) + "==\n", FieldCiphertext, BadBase64, 24, 0, 0, 0},
	}
	for _, tc := range tests {
		p, err := Decode(tc.f, tc.k, tc.s)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%s: Decode(%q) = %+v, %v; want an *Error", tc.name, tc.s, p, err)
			continue
		}
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v does not wrap ErrMalformed", tc.name, err)
		}
		if p.Key != nil || p.Nonce != nil || p.Ciphertext != nil {
			t.Errorf("%s: refusal came with fields %+v", tc.name, p)
		}
		got := [...]int{int(e.Field), int(e.Problem), e.Offset, e.Start, e.Len, e.Want}
		want := [...]int{int(tc.field), int(tc.problem), tc.offset, tc.start, tc.n, tc.want}
		if got != want || e.Framing != tc.f || e.Kind != tc.k {
			t.Errorf("%s: Decode(%q): %v\n got  %s %s field %s problem %s offset %d start %d len %d want %d\n want %s %s field %s problem %s offset %d start %d len %d want %d",
				tc.name, tc.s, err, e.Framing, e.Kind, e.Field, e.Problem, e.Offset, e.Start, e.Len, e.Want,
				tc.f, tc.k, tc.field, tc.problem, tc.offset, tc.start, tc.n, tc.want)
		}
		if e.Offset < 0 || e.Offset > len(tc.s) {
			t.Errorf("%s: offset %d outside the %d-byte payload", tc.name, e.Offset, len(tc.s))
		}
		if e.Problem == BadBase64 {
			// The offset within the field is encoding/base64's own.
			text := tc.s[e.Start:]
			if i := strings.IndexByte(text, '|'); i >= 0 && e.Field == FieldCiphertext {
				text = text[:i]
			}
			_, berr := ref.Strict().DecodeString(strings.TrimRight(text, "="))
			if ce, ok := berr.(base64.CorruptInputError); !ok || int(ce) != e.Offset-e.Start {
				t.Errorf("%s: offset %d-%d, encoding/base64 says %v", tc.name, e.Offset, e.Start, berr)
			}
		}
	}
}

func TestEncodeRefusals(t *testing.T) {
	tests := []struct {
		name    string
		f       Framing
		k       Kind
		p       Payload
		field   Field
		n, want int
	}{
		{"ecies initiate no key", ECIES, Initiate, Payload{Ciphertext: seq(0, 16)}, FieldKey, 0, 32},
		{"hpke initiate long key", HPKE, Initiate, Payload{Key: seq(0, 33), Ciphertext: seq(0, 16)}, FieldKey, 33, 32},
		{"initiate with nonce", ECIES, Initiate, Payload{Key: seq(0, 32), Nonce: seq(0, 32), Ciphertext: seq(0, 16)}, FieldNonce, 32, 0},
		{"initiate short ciphertext", HPKE, Initiate, Payload{Key: seq(0, 32), Ciphertext: seq(0, 15)}, FieldCiphertext, 15, 16},
		{"hpke response no nonce", HPKE, Response, Payload{Ciphertext: seq(0, 16)}, FieldNonce, 0, 32},
		{"hpke response short nonce", HPKE, Response, Payload{Nonce: seq(0, 31), Ciphertext: seq(0, 16)}, FieldNonce, 31, 32},
		{"ecies response with nonce", ECIES, Response, Payload{Nonce: seq(0, 32), Ciphertext: seq(0, 16)}, FieldNonce, 32, 0},
		{"response with key", HPKE, Response, Payload{Key: seq(0, 32), Nonce: seq(0, 32), Ciphertext: seq(0, 16)}, FieldKey, 32, 0},
		{"message with key", ECIES, Message, Payload{Key: seq(0, 1), Ciphertext: seq(0, 16)}, FieldKey, 1, 0},
		{"message with nonce", HPKE, Message, Payload{Nonce: seq(0, 1), Ciphertext: seq(0, 16)}, FieldNonce, 1, 0},
		{"message empty", HPKE, Message, Payload{}, FieldCiphertext, 0, 16},
	}
	for _, tc := range tests {
		s, err := Encode(tc.f, tc.k, tc.p)
		var e *Error
		if !errors.As(err, &e) || !errors.Is(err, ErrMalformed) || s != "" {
			t.Errorf("%s: Encode = %q, %v; want an *Error wrapping ErrMalformed", tc.name, s, err)
			continue
		}
		if e.Field != tc.field || e.Problem != BadLength || e.Len != tc.n || e.Want != tc.want || e.Offset != -1 {
			t.Errorf("%s: %v: field %s problem %s len %d want %d offset %d", tc.name, err, e.Field, e.Problem, e.Len, e.Want, e.Offset)
		}
	}
}

func TestErrorText(t *testing.T) {
	tests := []struct {
		f    Framing
		k    Kind
		s    string
		want string
	}{
		{ECIES, Initiate, "AAAA", "frame: ecies initiate: malformed payload: no '|' between ciphertext and key (none up to byte 4)"},
		{ECIES, Initiate, a(22) + "|" + a(42), "frame: ecies initiate: malformed payload: key at byte 23: 31 bytes, want 32"},
		{ECIES, Initiate, a(22) + "|" + a(41) + "*A", "frame: ecies initiate: malformed payload: key not base64: bad character or ending at byte 64"},
		{ECIES, Initiate, a(20) + "|" + a(43), "frame: ecies initiate: malformed payload: ciphertext at byte 0: 15 bytes, need at least 16"},
		{HPKE, Initiate, a(63), "frame: hpke initiate: malformed payload: payload at byte 0: 47 bytes, need at least 48 (a 32-byte key and a 16-byte tag)"},
		{HPKE, Response, a(4), "frame: hpke response: malformed payload: payload at byte 0: 3 bytes, need at least 48 (a 32-byte response nonce and a 16-byte tag)"},
		{HPKE, Message, a(4), "frame: hpke message: malformed payload: ciphertext at byte 0: 3 bytes, need at least 16"},
	}
	for _, tc := range tests {
		if _, err := Decode(tc.f, tc.k, tc.s); err == nil || err.Error() != tc.want {
			t.Errorf("Decode(%s, %s, %q): %v\nwant %s", tc.f, tc.k, tc.s, err, tc.want)
		}
	}
	_, err := Encode(HPKE, Response, Payload{Nonce: seq(0, 3), Ciphertext: seq(0, 16)})
	if want := "frame: encode hpke response: malformed payload: nonce: 3 bytes, want 32"; err == nil || err.Error() != want {
		t.Errorf("Encode: %v\nwant %s", err, want)
	}
}

// TestDecodeAllocates: decoding a payload makes one allocation, the buffer
// the fields share, and encoding makes one, the string.
func TestAllocations(t *testing.T) {
	for _, f := range framings {
		for _, k := range kinds {
			p := fields(f, k, 200)
			s, _ := Encode(f, k, p)
			if n := testing.AllocsPerRun(50, func() { Decode(f, k, s) }); n != 1 {
				t.Errorf("%s %s: Decode made %v allocations, want 1", f, k, n)
			}
			if n := testing.AllocsPerRun(50, func() { Encode(f, k, p) }); n != 1 {
				t.Errorf("%s %s: Encode made %v allocations, want 1", f, k, n)
			}
		}
	}
}

// TestDecodedFieldsAreCapped: appending to one decoded field never
// overwrites another.
func TestDecodedFieldsAreCapped(t *testing.T) {
	for _, f := range framings {
		for _, k := range kinds {
			p := fields(f, k, 20)
			s, _ := Encode(f, k, p)
			q, _ := Decode(f, k, s)
			for _, b := range [][]byte{q.Key, q.Nonce, q.Ciphertext} {
				if cap(b) != len(b) {
					t.Errorf("%s %s: field of length %d has capacity %d", f, k, len(b), cap(b))
				}
			}
		}
	}
}

func TestInvalidValuesPanic(t *testing.T) {
	for _, call := range []func(){
		func() { Decode(Framing(4), Message, "") },
		func() { Decode(ECIES, Kind(3), "") },
		func() { Encode(Framing(9), Initiate, Payload{}) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("invalid framing or kind accepted")
				}
			}()
			call()
		}()
	}
}

func TestStrings(t *testing.T) {
	got := []string{ECIES.String(), HPKE.String(), ECIESVodozemac.String(), HPKEVodozemac.String(), Framing(7).String(), Initiate.String(), Response.String(),
		Message.String(), Kind(5).String(), FieldPayload.String(), FieldNonce.String(), BadLength.String()}
	want := []string{"ecies", "hpke", "ecies-vodozemac", "hpke-vodozemac", "Framing(7)", "initiate", "response", "message", "Kind(5)", "payload", "nonce", "bad length"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestVodozemacBase64 pins the two readings of base64 on byte-level vectors.
// The vodozemac reading (ECIESVodozemac, HPKEVodozemac) takes a field's
// padding only up to what its last group lacks (a two-character group one or
// two '=', a three-character group one, a whole group none) and refuses CR
// and LF, at the byte given; the lenient reading (ECIES, HPKE) takes every
// one of these payloads, dropping the '=', CR and LF.
func TestVodozemacBase64(t *testing.T) {
	key := a(43) // 32 bytes: a three-character last group
	tests := []struct {
		name   string
		k      Kind
		hpke   bool // the HPKE layout, else the ECIES one
		s      string
		field  Field
		offset int // of the refusal in the vodozemac reading; -1: accepted
		start  int
	}{
		{"two-char group bare", Message, false, a(22), FieldCiphertext, -1, 0},
		{"two-char group one pad", Message, false, a(22) + "=", FieldCiphertext, -1, 0},
		{"two-char group two pads", Message, false, a(22) + "==", FieldCiphertext, -1, 0},
		{"two-char group three pads", Message, false, a(22) + "===", FieldCiphertext, 22, 0},
		{"three-char group one pad", Message, false, a(23) + "=", FieldCiphertext, -1, 0},
		{"three-char group two pads", Message, false, a(23) + "==", FieldCiphertext, 23, 0},
		{"whole group one pad", Message, false, a(24) + "=", FieldCiphertext, 24, 0},
		{"whole group four pads", Message, false, a(24) + "====", FieldCiphertext, 24, 0},
		{"CRLF inside", Message, false, a(4) + "\r\n" + a(18), FieldCiphertext, 4, 0},
		{"LF at the end", Message, false, a(22) + "\n", FieldCiphertext, 22, 0},
		{"LF before padding", Message, false, a(22) + "\n==", FieldCiphertext, 22, 0},
		{"ecies response CR", Response, false, "\r" + a(22), FieldCiphertext, 0, 0},
		{"ecies initiate both padded", Initiate, false, a(22) + "==|" + key + "=", FieldKey, -1, 0},
		{"ecies initiate key two pads", Initiate, false, a(22) + "|" + key + "==", FieldKey, 66, 23},
		{"ecies initiate key LF", Initiate, false, a(22) + "|" + a(10) + "\n" + a(33), FieldKey, 33, 23},
		{"ecies initiate ciphertext three pads", Initiate, false, a(22) + "===|" + key, FieldCiphertext, 22, 0},
		{"ecies initiate ciphertext CR", Initiate, false, a(10) + "\r" + a(12) + "|" + key, FieldCiphertext, 10, 0},
		{"hpke initiate whole group pad", Initiate, true, a(64) + "=", FieldPayload, 64, 0},
		{"hpke initiate two pads", Initiate, true, a(66) + "==", FieldPayload, -1, 0},
		{"hpke initiate CRLF", Initiate, true, a(66) + "\r\n", FieldPayload, 66, 0},
		{"hpke response three pads", Response, true, a(66) + "===", FieldPayload, 66, 0},
		{"hpke message one pad", Message, true, a(23) + "=", FieldCiphertext, -1, 0},
	}
	for _, tc := range tests {
		lenient, strict := ECIES, ECIESVodozemac
		if tc.hpke {
			lenient, strict = HPKE, HPKEVodozemac
		}
		want, err := Decode(lenient, tc.k, tc.s)
		if err != nil {
			t.Errorf("%s: lenient Decode(%q): %v, want it accepted", tc.name, tc.s, err)
			continue
		}
		got, err := Decode(strict, tc.k, tc.s)
		if tc.offset < 0 {
			if err != nil || !samePayload(got, want) {
				t.Errorf("%s: vodozemac Decode(%q) = %+v, %v; want %+v", tc.name, tc.s, got, err, want)
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) || !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: vodozemac Decode(%q) = %+v, %v; want a refusal", tc.name, tc.s, got, err)
			continue
		}
		if e.Framing != strict || e.Kind != tc.k || e.Field != tc.field || e.Problem != BadBase64 || e.Offset != tc.offset || e.Start != tc.start {
			t.Errorf("%s: vodozemac Decode(%q): %v: %s %s field %s problem %s offset %d start %d; want field %s bad base64 offset %d start %d",
				tc.name, tc.s, err, e.Framing, e.Kind, e.Field, e.Problem, e.Offset, e.Start, tc.field, tc.offset, tc.start)
		}
	}
}
