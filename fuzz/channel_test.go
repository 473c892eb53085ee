package fuzz

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"qrlab/internal/seeded"
	"qrlab/model/channel"
	"qrlab/model/channel/frame"
)

// differentialPairs are the constructions that must agree but for one
// named difference: the ECIES pair only in the KDF (HKDF-SHA256 against
// HKDF-SHA512), the HPKE pair only in labels and the check-code context.
// Both pairs also differ where vodozemac departs from the texts' reading:
// base64 (package frame's lenient and vodozemac readings) and a
// LoginInitiate too short for a tag (vodozemac spends G's key on it); a
// corruption that falls there is skipped (see departs).
var differentialPairs = [][2]channel.Construction{
	{channel.ECIESSpec, channel.ECIESVodozemac},
	{channel.HPKESpec, channel.HPKEVodozemac},
}

// The stages a corrupted payload is delivered at.
const (
	stInitiate = iota // G accepting S's LoginInitiate
	stLoginOk         // S opening G's LoginOk
	stToG             // G opening S's next payload
	stToS             // S opening G's next payload
	numStages
)

var raw64 = base64.RawStdEncoding

// outcome is what one delivery did: its error class and plaintext.
type outcome struct {
	class string
	pt    string
}

func classify(err error, pt []byte) outcome {
	switch {
	case err == nil:
		return outcome{"ok", string(pt)}
	case errors.Is(err, channel.ErrMalformed):
		return outcome{class: "malformed"}
	case errors.Is(err, channel.ErrAuthentication):
		return outcome{class: "authentication"}
	case errors.Is(err, channel.ErrLowOrderKey):
		return outcome{class: "low-order-key"}
	case errors.Is(err, channel.ErrState):
		return outcome{class: "state"}
	}
	return outcome{class: "other: " + err.Error()}
}

// session is one construction's handshake, driven to a stage.
type session struct {
	gen     *channel.Generator
	g, s    *channel.Channel
	genuine string // the payload the stage expects
}

// drive runs c's handshake up to stage st.
func drive(c channel.Construction, st int) (*session, error) {
	cfg := channel.DefaultConfig(c)
	rnd := seeded.Key('q', 'r', 'l', 'a', 'b')
	gen, err := channel.NewGenerator(cfg, rnd)
	if err != nil {
		return nil, err
	}
	s, initiate, err := channel.Initiate(cfg, gen.PublicKey(), []byte(channel.LoginInitiate), nil, rnd)
	if err != nil {
		return nil, err
	}
	if st == stInitiate {
		return &session{gen: gen, s: s, genuine: initiate}, nil
	}
	g, _, err := gen.Accept(initiate, nil, rnd)
	if err != nil {
		return nil, err
	}
	ok, err := g.Seal([]byte(channel.LoginOk), nil)
	if err != nil {
		return nil, err
	}
	if st == stLoginOk {
		return &session{g: g, s: s, genuine: ok}, nil
	}
	if _, err := s.Open(ok, nil); err != nil {
		return nil, err
	}
	var next string
	if st == stToG {
		next, err = s.Seal([]byte(`{"type":"m.login.protocols"}`), nil)
	} else {
		next, err = g.Seal([]byte(`{"type":"m.login.protocol_accepted"}`), nil)
	}
	return &session{g: g, s: s, genuine: next}, err
}

// deliver hands a payload to the stage's receiver.
func (ss *session) deliver(st int, payload string) outcome {
	switch st {
	case stInitiate:
		_, pt, err := ss.gen.Accept(payload, nil, seeded.Key('q', 'r', 'l', 'a', 'b'))
		return classify(err, pt)
	case stLoginOk, stToS:
		pt, err := ss.s.Open(payload, nil)
		return classify(err, pt)
	default:
		pt, err := ss.g.Open(payload, nil)
		return classify(err, pt)
	}
}

// corrupt applies the input's edit program to a payload. Edits work on
// the decoded bytes of each "|"-separated part (so that the same edit
// means the same thing in two payloads of the same framing whose bytes
// differ) or on the text where the framing itself is the target.
func corrupt(payload string, prog []byte) string {
	parts := strings.Split(payload, "|")
	raw := make([][]byte, len(parts))
	for i, p := range parts {
		b, err := raw64.DecodeString(strings.TrimRight(p, "="))
		if err != nil {
			return payload // not ours to edit: no genuine payload is like this
		}
		raw[i] = b
	}
	suffix := ""
	sep := "|"
	for len(prog) >= 3 {
		op, a, v := prog[0], int(prog[1]), prog[2]
		prog = prog[3:]
		part := raw[int(op>>4)%len(raw)]
		switch op & 7 {
		case 0: // flip bits of one byte
			if len(part) > 0 && v != 0 {
				part[a%len(part)] ^= v
			}
		case 1: // cut the part short
			if len(part) > 0 {
				part = part[:a%len(part)]
			}
		case 2: // append a byte
			part = append(part, v)
		case 3: // drop a byte
			if len(part) > 0 {
				i := a % len(part)
				part = append(part[:i], part[i+1:]...)
			}
		case 4: // swap two bytes
			if len(part) > 0 {
				i, j := a%len(part), int(v)%len(part)
				part[i], part[j] = part[j], part[i]
			}
		case 5: // padding after the text
			suffix += strings.Repeat("=", 1+int(v%3))
		case 6: // a character outside base64, or none, as separator
			sep = string([]byte{"|.,! "[int(v)%5]})
		case 7: // a stray character at the end
			suffix += string([]byte{"A=|+/-_ \n"[int(v)%9]})
		}
		raw[int(op>>4)%len(raw)] = part
	}
	out := make([]string, len(raw))
	for i, b := range raw {
		out[i] = raw64.EncodeToString(b)
	}
	return strings.Join(out, sep) + suffix
}

// FuzzChannelDifferential runs a pair of constructions that must agree
// from the same randomness to the same stage, applies the same fuzzed
// corruption to each one's genuine payload, delivers it and then the
// genuine payload, and demands the same outcome in both each time: same
// error class, same plaintext. It also checks the framing: the pair's
// genuine payloads have the same shape, the public keys are equal, and
// the HPKE pair's LoginInitiate is byte for byte the same.
func FuzzChannelDifferential(f *testing.F) {
	for p := range differentialPairs {
		for st := range numStages {
			f.Add(byte(p), byte(st), []byte{})
			f.Add(byte(p), byte(st), []byte{0x00, 5, 1})
			f.Add(byte(p), byte(st), []byte{0x01, 10, 0})
			f.Add(byte(p), byte(st), []byte{0x10, 0, 0x80, 0x05, 0, 1})
			f.Add(byte(p), byte(st), []byte{0x06, 0, 1, 0x02, 0, 'x'})
		}
	}
	f.Fuzz(func(t *testing.T, pair, stage byte, prog []byte) {
		if len(prog) > 300 {
			return
		}
		cs := differentialPairs[int(pair)%len(differentialPairs)]
		st := int(stage) % numStages
		var got [2][2]outcome
		var sess [2]*session
		var unchanged [2]bool
		for i, c := range cs {
			ss, err := drive(c, st)
			if err != nil {
				t.Fatalf("%s: handshake to stage %d: %v", c, st, err)
			}
			sess[i] = ss
			bad := corrupt(ss.genuine, prog)
			if departs(c, st, bad) {
				return // where vodozemac departs from the texts
			}
			unchanged[i] = sameDecoded(bad, ss.genuine)
			got[i][0] = ss.deliver(st, bad)
			got[i][1] = ss.deliver(st, ss.genuine)
		}
		if unchanged[0] != unchanged[1] {
			// An edit that depends on the bytes (swapping two equal ones)
			// left one payload as it was and not the other: not the same
			// corruption, nothing to compare.
			return
		}
		a, b := sess[0].genuine, sess[1].genuine
		if shape(a) != shape(b) {
			t.Fatalf("stage %d: %s payload %q and %s payload %q differ in framing", st, cs[0], a, cs[1], b)
		}
		if cs[0].IsHPKE() && st == stInitiate && a != b {
			t.Fatalf("%s and %s LoginInitiate differ: %q / %q", cs[0], cs[1], a, b)
		}
		if st == stInitiate && sess[0].gen.PublicKey() != sess[1].gen.PublicKey() {
			t.Fatalf("%s and %s made different keys from one stream", cs[0], cs[1])
		}
		if got[0] != got[1] {
			t.Fatalf("stage %d, edits %x: %s gives %+v then %+v, %s gives %+v then %+v",
				st, prog, cs[0], got[0][0], got[0][1], cs[1], got[1][0], got[1][1])
		}
		if bad := corrupt(a, prog); got[0][0].class == "ok" && !sameDecoded(bad, a) {
			t.Fatalf("stage %d: the corrupted payload %q opened in %s: %+v", st, bad, cs[0], got[0][0])
		}
	})
}

// departs reports whether the framing of the pair's spec construction reads
// past the base64 of a payload that the vodozemac one refuses there
// (trailing '=' beyond the last group's padding, CR or LF), or whether the payload is a LoginInitiate with
// a well-formed key and a ciphertext shorter than the tag, which only the
// vodozemac constructions decrypt (and so spend G's key on).
func departs(c channel.Construction, st int, payload string) bool {
	kind := frame.Message
	switch st {
	case stInitiate:
		kind = frame.Initiate
	case stLoginOk:
		kind = frame.Response
	}
	lenient, strict := frame.ECIES, frame.ECIESVodozemac
	if c.IsHPKE() {
		lenient, strict = frame.HPKE, frame.HPKEVodozemac
	}
	_, errLenient := frame.Decode(lenient, kind, payload)
	_, errStrict := frame.Decode(strict, kind, payload)
	var e *frame.Error
	if st == stInitiate && errors.As(errLenient, &e) && e.Problem == frame.BadLength &&
		(e.Field == frame.FieldCiphertext || e.Field == frame.FieldPayload && e.Len >= frame.KeySize) {
		return true
	}
	if errStrict == nil {
		return false
	}
	// vodozemac refuses the text before decrypting (no nonce spent) where
	// the lenient reading got past the base64 (and may have spent one).
	var le, se *frame.Error
	if !errors.As(errStrict, &se) || se.Problem != frame.BadBase64 {
		return errLenient == nil
	}
	return errLenient == nil || errors.As(errLenient, &le) && le.Problem != frame.BadBase64
}

// sameDecoded reports whether two payloads carry the same bytes (trailing
// padding aside, which the channel accepts).
func sameDecoded(a, b string) bool {
	pa, pb := strings.Split(a, "|"), strings.Split(b, "|")
	if len(pa) != len(pb) {
		return false
	}
	for i := range pa {
		x, err1 := raw64.DecodeString(strings.TrimRight(pa[i], "="))
		y, err2 := raw64.DecodeString(strings.TrimRight(pb[i], "="))
		if err1 != nil || err2 != nil || !bytes.Equal(x, y) {
			return false
		}
	}
	return true
}

// shape is a payload's framing: the lengths of its parts.
func shape(p string) string {
	parts := strings.Split(p, "|")
	var b strings.Builder
	for i, s := range parts {
		if i > 0 {
			b.WriteByte('|')
		}
		b.WriteString(strings.Repeat("x", len(s)))
	}
	return b.String()
}
