package msg

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	fuzz "github.com/google/gofuzz"
)

// samples returns one message of every type (two where the generations
// differ) and its canonical encoding.
func samples(t testing.TB) []struct {
	name string
	m    Message
	want string
} {
	var master, self, user, backup [32]byte
	for i := range master {
		master[i], self[i], user[i], backup[i] = byte(i), byte(i+32), byte(i+64), byte(i+96)
	}
	cross := CrossSigningKeys{Master: master, SelfSigning: self, UserSigning: user}
	const crossJSON = `"cross_signing":{"master_key":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",` +
		`"self_signing_key":"ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8",` +
		`"user_signing_key":"QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8"}`
	return []struct {
		name string
		m    Message
		want string
	}{
		{"protocols 2024", Protocols{Protocols: []string{ProtocolDeviceAuthorizationGrant}, Server: "matrix.org", ServerKey: KeyHomeserver},
			`{"homeserver":"matrix.org","protocols":["device_authorization_grant"],"type":"m.login.protocols"}`},
		{"protocols 2026", Protocols{Protocols: []string{ProtocolDeviceAuthorizationGrant}, Server: "https://matrix-client.matrix.org"},
			`{"base_url":"https://matrix-client.matrix.org","protocols":["device_authorization_grant"],"type":"m.login.protocols"}`},
		{"protocols 2026 empty", Protocols{Server: "https://hs.example"},
			`{"base_url":"https://hs.example","protocols":[],"type":"m.login.protocols"}`},
		{"protocol", Protocol{Grant: DeviceAuthorizationGrant{VerificationURI: "https://id.example/link",
			VerificationURIComplete: "https://id.example/link?code=123456"}, DeviceID: "ABCDEFGH"},
			`{"device_authorization_grant":{"verification_uri":"https://id.example/link","verification_uri_complete":"https://id.example/link?code=123456"},` +
				`"device_id":"ABCDEFGH","protocol":"device_authorization_grant","type":"m.login.protocol"}`},
		{"protocol without complete URI", Protocol{Grant: DeviceAuthorizationGrant{VerificationURI: "https://id.example/link"}, DeviceID: "wjLpTLRqbqBzLs63aYaEv2Boi6cFEbbM/sSRQ2oAKk4"},
			`{"device_authorization_grant":{"verification_uri":"https://id.example/link"},` +
				`"device_id":"wjLpTLRqbqBzLs63aYaEv2Boi6cFEbbM/sSRQ2oAKk4","protocol":"device_authorization_grant","type":"m.login.protocol"}`},
		{"protocol_accepted", ProtocolAccepted{}, `{"type":"m.login.protocol_accepted"}`},
		{"success", Success{}, `{"type":"m.login.success"}`},
		{"declined", Declined{}, `{"type":"m.login.declined"}`},
		{"proof of possession", ProofOfPossession{DeviceID: "ABCDEFGH", Signature: sig64()},
			`{"device_id":"ABCDEFGH","signature":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+Pw","type":"io.qrlab.login.proof_of_possession"}`},
		{"failure 2024", Failure{Reason: ReasonDeviceAlreadyExists, Homeserver: "matrix.org"},
			`{"homeserver":"matrix.org","reason":"device_already_exists","type":"m.login.failure"}`},
		{"failure 2026", Failure{Reason: ReasonUnableToOpenVerificationURI},
			`{"reason":"unable_to_open_verification_uri","type":"m.login.failure"}`},
		{"secrets", Secrets{CrossSigning: cross}, `{` + crossJSON + `,"type":"m.login.secrets"}`},
		{"secrets with backup", Secrets{CrossSigning: cross, Backup: &Backup{Key: backup, Version: "7"}},
			`{"backup":{"algorithm":"m.megolm_backup.v1.curve25519-aes-sha2","backup_version":"7",` +
				`"key":"YGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6e3x9fn8"},` + crossJSON + `,"type":"m.login.secrets"}`},
		{"escapes", Failure{Reason: ReasonUserCancelled, Homeserver: "a\"b\\c\n\t\x01\x7f\u2028é😀"},
			`{"homeserver":"a\"b\\c\n\t\u0001` + "\x7f\u2028é😀" + `","reason":"user_cancelled","type":"m.login.failure"}`},
	}
}

func TestRoundTrip(t *testing.T) {
	for _, tc := range samples(t) {
		t.Run(tc.name, func(t *testing.T) {
			b, err := Encode(tc.m)
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			if string(b) != tc.want {
				t.Fatalf("Encode:\n got %s\nwant %s", b, tc.want)
			}
			if !json.Valid(b) {
				t.Fatalf("encoding/json calls it invalid: %s", b)
			}
			got, err := Decode(b, DisallowUnknownFields(), RequireUnpaddedBase64())
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(got, tc.m) {
				t.Fatalf("round trip:\n got %#v\nwant %#v", got, tc.m)
			}
			if got.Type() != tc.m.Type() {
				t.Fatalf("Type %q, want %q", got.Type(), tc.m.Type())
			}
			// By pointer, the same bytes.
			p := reflect.New(reflect.TypeOf(tc.m))
			p.Elem().Set(reflect.ValueOf(tc.m))
			pb, err := Encode(p.Interface().(Message))
			if err != nil || !bytes.Equal(pb, b) {
				t.Fatalf("Encode by pointer: %s, %v", pb, err)
			}
		})
	}
}

// TestEncodeRefuses checks that Encode writes nothing Decode would refuse.
func TestEncodeRefuses(t *testing.T) {
	tests := []struct {
		name string
		m    Message
		kind Kind
		path string
	}{
		{"nil message", nil, KindInvalid, ""},
		{"nil pointer", (*Secrets)(nil), KindInvalid, ""},
		{"nil protocols pointer", (*Protocols)(nil), KindInvalid, ""},
		{"unknown reason", Failure{Reason: "unsupported"}, KindUnknownReason, "reason"},
		{"empty reason", Failure{}, KindUnknownReason, "reason"},
		{"invalid UTF-8 device_id", Protocol{Grant: DeviceAuthorizationGrant{VerificationURI: "v"}, DeviceID: "\xff"}, KindInvalid, "device_id"},
		{"invalid UTF-8 protocol name", Protocols{Protocols: []string{"\xc0"}}, KindInvalid, "protocols"},
		{"invalid UTF-8 backup version", Secrets{Backup: &Backup{Version: "\xed\xa0\x80"}}, KindInvalid, "backup.backup_version"},
		{"bad server key", Protocols{ServerKey: 9}, KindInvalid, ""},
		{"foreign type", struct{ Success }{}, KindInvalid, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := Encode(tc.m)
			if err == nil {
				t.Fatalf("Encode wrote %s", b)
			}
			if !errors.Is(err, &Error{Kind: tc.kind, Path: tc.path}) {
				t.Fatalf("error %v, want %v at %q", err, tc.kind, tc.path)
			}
		})
	}
}

// TestEncodeDeterministic checks byte-identical output across calls.
func TestEncodeDeterministic(t *testing.T) {
	for _, tc := range samples(t) {
		first, _ := Encode(tc.m)
		for range 10 {
			if b, _ := Encode(tc.m); !bytes.Equal(b, first) {
				t.Fatalf("%s: %s then %s", tc.name, first, b)
			}
		}
	}
}

// fuzzer returns a gofuzz generator of well-typed, encodable messages:
// reasons from the list, server keys in range, empty lists as nil, strings
// valid UTF-8 and rich in characters JSON must escape.
func fuzzer(seed int64) *fuzz.Fuzzer {
	reasons := []Reason{ReasonAuthorizationExpired, ReasonDeviceAlreadyExists, ReasonDeviceNotFound,
		ReasonUnexpectedMessageReceived, ReasonUnsupportedProtocol, ReasonUserCancelled,
		ReasonUnableToOpenVerificationURI}
	pieces := []string{"", "a", "matrix.org", "https://id.example/link?code=1", "\"", "\\", "\n", "\x00", "\x1f",
		"\x7f", "é", "\u2028", "😀", "\ufffd", "/", "<>&", ProtocolDeviceAuthorizationGrant, "\t"}
	return fuzz.NewWithSeed(seed).NilChance(0.3).NumElements(0, 4).Funcs(
		func(s *string, c fuzz.Continue) {
			var b []byte
			for n := c.Intn(6); n > 0; n-- {
				if c.RandBool() {
					b = append(b, pieces[c.Intn(len(pieces))]...)
				} else {
					b = append(b, c.RandString()...)
				}
			}
			*s = string(b)
		},
		func(r *Reason, c fuzz.Continue) { *r = reasons[c.Intn(len(reasons))] },
		func(k *ServerKey, c fuzz.Continue) { *k = ServerKey(c.Intn(2)) },
		func(p *Protocols, c fuzz.Continue) {
			c.FuzzNoCustom(p)
			if len(p.Protocols) == 0 {
				p.Protocols = nil
			}
		},
	)
}

// sig64 is a signature of the bytes 0 to 63.
func sig64() (s [64]byte) {
	for i := range s {
		s[i] = byte(i)
	}
	return s
}

// randomMessage draws one message of a type chosen by i.
func randomMessage(f *fuzz.Fuzzer, i int) Message {
	switch i % 8 {
	case 6:
		var m ProofOfPossession
		f.Fuzz(&m)
		return m
	case 0:
		var m Protocols
		f.Fuzz(&m)
		return m
	case 1:
		var m Protocol
		f.Fuzz(&m)
		return m
	case 2:
		return ProtocolAccepted{}
	case 3:
		return Success{}
	case 4:
		return Declined{}
	case 5:
		var m Failure
		f.Fuzz(&m)
		return m
	}
	var m Secrets
	f.Fuzz(&m)
	return m
}

// TestRoundTripGofuzz encodes random well-typed messages and checks that
// each decodes back equal (under strict options and the generation its
// form belongs to) and re-encodes to the same bytes.
func TestRoundTripGofuzz(t *testing.T) {
	f := fuzzer(1)
	n := 5000
	if testing.Short() {
		n = 500
	}
	for i := range n {
		m := randomMessage(f, i)
		b, err := Encode(m)
		if err != nil {
			t.Fatalf("Encode(%#v): %v", m, err)
		}
		if !json.Valid(b) {
			t.Fatalf("encoding/json calls it invalid: %s", b)
		}
		got, err := Decode(b, DisallowUnknownFields(), RequireUnpaddedBase64())
		if err != nil {
			t.Fatalf("Decode(%s): %v", b, err)
		}
		if !reflect.DeepEqual(got, m) {
			t.Fatalf("round trip of %s:\n got %#v\nwant %#v", b, got, m)
		}
		again, err := Encode(got)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("re-encoding differs: %s then %s (%v)", b, again, err)
		}
		// What encoding/json reads must agree on every string we wrote.
		var generic map[string]any
		if err := json.Unmarshal(b, &generic); err != nil || generic["type"] != m.Type() {
			t.Fatalf("encoding/json reads %s as %v (%v)", b, generic, err)
		}
		if g := generationOf(m); g != GenAny {
			if _, err := Decode(b, WithGeneration(g)); err != nil {
				t.Fatalf("Decode(%s) as %v: %v", b, g, err)
			}
		}
	}
}

// generationOf names the generation a message's form is tied to, if any.
func generationOf(m Message) Generation {
	switch v := m.(type) {
	case Protocols:
		if v.ServerKey == KeyBaseURL {
			return Gen2026
		}
		if len(v.Protocols) > 0 {
			return Gen2024
		}
	case Failure:
		if v.Reason == ReasonUnableToOpenVerificationURI {
			return Gen2026
		}
	}
	return GenAny
}

func TestStrings(t *testing.T) {
	for g, want := range map[Generation]string{GenAny: "any", Gen2024: "2024", Gen2026: "2026", 9: "generation(?)"} {
		if g.String() != want {
			t.Errorf("Generation(%d) = %q", g, g.String())
		}
	}
	for k := KindNotJSON; k <= KindInvalid; k++ {
		if k.String() == "" || k.Error() != "msg: "+k.String() {
			t.Errorf("Kind %d renders as %q", k, k.Error())
		}
	}
	if KeyHomeserver.String() != "homeserver" || KeyBaseURL.String() != "base_url" {
		t.Error("ServerKey names")
	}
	e := &Error{Kind: KindBadKey, Type: TypeSecrets, Path: "backup.key", Detail: "too short", Err: errors.New("cause")}
	if got := e.Error(); got != "msg: m.login.secrets: backup.key: bad key: too short: cause" {
		t.Errorf("Error() = %q", got)
	}
	if errors.Unwrap(e) == nil || errors.Is(e, KindMissingField) || errors.Is(e, &Error{Kind: KindBadKey, Path: "cross_signing.master_key"}) {
		t.Error("Is/Unwrap")
	}
}
