package msgcodec

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	fuzz "github.com/google/gofuzz"

	"qrlab/model/msg"
)

// msgPieces are string fragments that stress the JSON writer and reader.
var msgPieces = []string{"", "a", "matrix.org", "https://id.example/link?code=1", "\"", "\\", "\n", "\x00", "\x1f",
	"\x7f", "é", "\u2028", "😀", "\ufffd", "/", "<>&", msg.ProtocolDeviceAuthorizationGrant, "\t", "https://hs.example"}

var msgReasons = []msg.Reason{msg.ReasonAuthorizationExpired, msg.ReasonDeviceAlreadyExists, msg.ReasonDeviceNotFound,
	msg.ReasonUnexpectedMessageReceived, msg.ReasonUnsupportedProtocol, msg.ReasonUserCancelled,
	msg.ReasonUnableToOpenVerificationURI}

// messageFuzzer is a gofuzz generator of well-typed m.login messages driven
// by the fuzz input: strings are valid UTF-8 built from msgPieces and the
// input, reasons and server keys are in range, an empty protocol list is
// nil (as Decode gives it back).
func messageFuzzer(data []byte) *fuzz.Fuzzer {
	return fuzz.NewFromGoFuzz(data).NilChance(0.3).NumElements(0, 4).Funcs(
		func(s *string, c fuzz.Continue) {
			var b []byte
			for n := c.Intn(5); n > 0; n-- {
				if c.RandBool() {
					b = append(b, msgPieces[c.Intn(len(msgPieces))]...)
				} else {
					b = append(b, c.RandString()...)
				}
			}
			*s = string(b)
		},
		func(r *msg.Reason, c fuzz.Continue) { *r = msgReasons[c.Intn(len(msgReasons))] },
		func(k *msg.ServerKey, c fuzz.Continue) { *k = msg.ServerKey(c.Intn(2)) },
		func(p *msg.Protocols, c fuzz.Continue) {
			c.FuzzNoCustom(p)
			if len(p.Protocols) == 0 {
				p.Protocols = nil
			}
		},
	)
}

// structuredMessage draws one message of the type the first byte names.
func structuredMessage(data []byte) msg.Message {
	if len(data) == 0 {
		return msg.Success{}
	}
	f := messageFuzzer(data[1:])
	switch data[0] % 7 {
	case 0:
		var m msg.Protocols
		f.Fuzz(&m)
		return m
	case 1:
		var m msg.Protocol
		f.Fuzz(&m)
		return m
	case 2:
		return msg.ProtocolAccepted{}
	case 3:
		return msg.Success{}
	case 4:
		return msg.Declined{}
	case 5:
		var m msg.Failure
		f.Fuzz(&m)
		return m
	}
	var m msg.Secrets
	f.Fuzz(&m)
	return m
}

// FuzzMessageStructured builds well-typed messages with gofuzz from the
// input and checks decode(encode(m)) == m under the strictest options,
// that the encoding is canonical (encode(decode(b)) == b), that
// encoding/json reads the same type, and that the generation the message's
// form belongs to accepts it. Random bytes rarely get past the JSON
// grammar; these reach every field's checks.
func FuzzMessageStructured(f *testing.F) {
	for i := range 7 {
		f.Add([]byte{byte(i), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m := structuredMessage(data)
		b, err := msg.Encode(m)
		if err != nil {
			t.Fatalf("Encode(%#v): %v", m, err)
		}
		got, err := msg.Decode(b, msg.DisallowUnknownFields(), msg.RequireUnpaddedBase64())
		if err != nil {
			t.Fatalf("Decode(%s): %v", b, err)
		}
		if !reflect.DeepEqual(got, m) {
			t.Fatalf("round trip of %s:\n got %#v\nwant %#v", b, got, m)
		}
		if again, err := msg.Encode(got); err != nil || !bytes.Equal(again, b) {
			t.Fatalf("not canonical: %s then %s (%v)", b, again, err)
		}
		var generic struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(b, &generic); err != nil || generic.Type != m.Type() {
			t.Fatalf("encoding/json reads %s as type %q (%v)", b, generic.Type, err)
		}
		if g := formGeneration(m); g != msg.GenAny {
			if _, err := msg.Decode(b, msg.WithGeneration(g)); err != nil {
				t.Fatalf("Decode(%s) as generation %v: %v", b, g, err)
			}
		}
	})
}

// formGeneration names the generation a message's form belongs to, if any.
func formGeneration(m msg.Message) msg.Generation {
	switch v := m.(type) {
	case msg.Protocols:
		if v.ServerKey == msg.KeyBaseURL {
			return msg.Gen2026
		}
		if len(v.Protocols) > 0 {
			return msg.Gen2024
		}
	case msg.Failure:
		if v.Reason == msg.ReasonUnableToOpenVerificationURI {
			return msg.Gen2026
		}
	}
	return msg.GenAny
}
