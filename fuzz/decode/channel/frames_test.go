package channel

import (
	"bytes"
	"strings"
	"testing"

	"qrlab/model/channel/frame"
)

// FuzzChannelFrames checks the channel framing, for the framing and payload
// kind its first two arguments pick (cons as in model/channel's
// FuzzChannelOpen: 0-1 ECIES, 2-3 HPKE, higher bits cut fields; stage 0
// LoginInitiate, 1 LoginOk, 2 a later payload, bit 7 adds a field the kind
// does not carry), so that model/channel's FuzzChannelOpen seeds read the
// same here:
//
//   - Decode never panics; a refusal is a *frame.Error wrapping
//     frame.ErrMalformed whose offset lies within the payload;
//   - an accepted payload re-encodes to itself minus each field's trailing
//     '=' and any CR or LF (the documented canonicalisation), and that
//     decodes to the same fields;
//   - fields cut from the payload's bytes encode exactly when they keep
//     the length rules (refusals are frame.BadLength), and what encodes
//     decodes back to them.
func FuzzChannelFrames(f *testing.F) {
	f.Fuzz(func(t *testing.T, cons, stage uint8, payload string) {
		fr := frame.Framing(cons >> 1 & 1)
		kind := frame.Kind(stage & 0x7f % 3)

		p, err := frame.Decode(fr, kind, payload)
		if err != nil {
			// A type assertion and a comparison are much cheaper than
			// errors.As and errors.Is on this hot path.
			e, ok := err.(*frame.Error)
			if !ok || e.Unwrap() != frame.ErrMalformed || e.Problem == 0 || e.Offset < 0 || e.Offset > len(payload) ||
				e.Framing != fr || e.Kind != kind {
				t.Fatalf("Decode(%s, %s, %q): bad refusal %#v", fr, kind, payload, err)
			}
		} else {
			out, err := frame.Encode(fr, kind, p)
			if err != nil || !canonical(out, payload, fr == frame.ECIES && kind == frame.Initiate) {
				t.Fatalf("Decode(%s, %s, %q) = %+v, which encodes to %q, %v", fr, kind, payload, p, out, err)
			}
			if q, err := frame.Decode(fr, kind, out); err != nil || !same(p, q) {
				t.Fatalf("Decode(%s, %s, %q) = %+v, %v; Decode(%q) gave %+v", fr, kind, out, q, err, payload, p)
			}
		}

		// Fields cut from the payload's bytes. The conversion does not copy
		// (nothing writes to b or keeps it: keep b and x out of the Fatalf
		// calls, or it will).
		b := []byte(payload)
		k := min((frame.KeySize+int(cons>>2))&63, len(b))
		x := frame.Payload{Ciphertext: b[k:]}
		switch {
		case kind == frame.Initiate:
			x.Key = b[:k]
		case kind == frame.Response && fr == frame.HPKE:
			x.Nonce = b[:k]
		case stage&0x80 != 0:
			x.Key = b[:k]
		}
		s, err := frame.Encode(fr, kind, x)
		if err != nil {
			e, ok := err.(*frame.Error)
			if !ok || e.Unwrap() != frame.ErrMalformed || e.Problem != frame.BadLength || e.Offset != -1 || lawful(fr, kind, x) {
				t.Fatalf("Encode(%s, %s, fields cut at %d from %q): bad refusal %#v", fr, kind, k, payload, err)
			}
			return
		}
		if !lawful(fr, kind, x) {
			t.Fatalf("Encode(%s, %s, fields cut at %d from %q) = %q, want a refusal", fr, kind, k, payload, s)
		}
		if y, err := frame.Decode(fr, kind, s); err != nil || !same(x, y) {
			t.Fatalf("Encode(%s, %s, fields cut at %d from %q) = %q, which decodes to %+v, %v", fr, kind, k, payload, s, y, err)
		}
	})
}

// lawful states the length rules independently of package frame: an
// Initiate has a key of KeySize, an HPKE Response a nonce of NonceSize,
// every payload a ciphertext of at least TagSize, and no other field.
func lawful(fr frame.Framing, kind frame.Kind, x frame.Payload) bool {
	key, nonce := 0, 0
	if kind == frame.Initiate {
		key = frame.KeySize
	}
	if kind == frame.Response && fr == frame.HPKE {
		nonce = frame.NonceSize
	}
	return len(x.Key) == key && len(x.Nonce) == nonce && len(x.Ciphertext) >= frame.TagSize
}

func same(a, b frame.Payload) bool {
	return bytes.Equal(a.Key, b.Key) && bytes.Equal(a.Nonce, b.Nonce) && bytes.Equal(a.Ciphertext, b.Ciphertext)
}

// canonical reports whether out is in minus the trailing '=' of each field
// and every CR and LF; split says the payload has two fields around its
// first '|'.
func canonical(out, in string, split bool) bool {
	if split {
		o1, o2, ok1 := strings.Cut(out, "|")
		i1, i2, ok2 := strings.Cut(in, "|")
		return ok1 && ok2 && canonical(o1, i1, false) && canonical(o2, i2, false)
	}
	for len(in) > 0 && in[len(in)-1] == '=' {
		in = in[:len(in)-1]
	}
	j := 0
	for i := 0; i < len(in); i++ {
		c := in[i]
		if c == '\r' || c == '\n' {
			continue
		}
		if j >= len(out) || out[j] != c {
			return false
		}
		j++
	}
	return j == len(out)
}
