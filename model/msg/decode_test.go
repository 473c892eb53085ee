package msg

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// Keys from the Rust SDK's m.login.secrets serialization test, so the
// samples here are the shapes a real client sends.
const (
	keyMaster = "rTtSv67XGS6k/rg6/yTG/m573cyFTPFRqluFhQY+hSw"
	keySelf   = "4jbPt7jh5D2iyM4U+3IDa+WthgJB87IQN1ATdkau+xk"
	keyUser   = "YkFKtkjcsTxF6UAzIIG/l6Nog/G2RigCRfWj3cjNWeM"
	keyBackup = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
)

// secretsJSON builds an m.login.secrets text with the given cross-signing
// body and optional extra top-level members.
func secretsJSON(cross, extra string) string {
	return `{"type":"m.login.secrets","cross_signing":` + cross + extra + `}`
}

func crossJSON(master, self, user string) string {
	return `{"master_key":"` + master + `","self_signing_key":"` + self + `","user_signing_key":"` + user + `"}`
}

func goodCross() string { return crossJSON(keyMaster, keySelf, keyUser) }

func backupJSON(alg, key, version string) string {
	return `,"backup":{"algorithm":"` + alg + `","key":"` + key + `","backup_version":"` + version + `"}`
}

// decodeErrorCase is an input Decode must reject, and the kind and path of
// the error it must give.
type decodeErrorCase struct {
	name string
	in   string
	opts []Option
	kind Kind
	path string
}

var (
	optStrict  = []Option{DisallowUnknownFields()}
	optGen2024 = []Option{WithGeneration(Gen2024)}
	optGen2026 = []Option{WithGeneration(Gen2026)}
	grantJSON  = `"device_authorization_grant":{"verification_uri":"https://id.example/link"}`
)

// decodeErrorsSyntax: not JSON, not an object, no known type.
var decodeErrorsSyntax = []decodeErrorCase{
	// Not JSON.
	{"empty input", "", nil, KindNotJSON, ""},
	{"only whitespace", " \n\t", nil, KindNotJSON, ""},
	{"bare word", "hello", nil, KindNotJSON, ""},
	{"truncated object", `{"type":"m.login.success"`, nil, KindNotJSON, ""},
	{"trailing data", `{"type":"m.login.success"} {}`, nil, KindNotJSON, ""},
	{"trailing comma", `{"type":"m.login.success",}`, nil, KindNotJSON, ""},
	{"single quotes", `{'type':'m.login.success'}`, nil, KindNotJSON, ""},
	{"unquoted key", `{type:"m.login.success"}`, nil, KindNotJSON, ""},
	{"leading zero", `{"type":"m.login.success","x":01}`, nil, KindNotJSON, ""},
	{"bad exponent", `{"type":"m.login.success","x":1e}`, nil, KindNotJSON, ""},
	{"bad literal", `{"type":"m.login.success","x":nul}`, nil, KindNotJSON, ""},
	{"invalid UTF-8", "{\"type\":\"m.login.success\",\"x\":\"\xff\"}", nil, KindNotJSON, ""},
	{"UTF-8 surrogate", "{\"type\":\"m.login.success\",\"x\":\"\xed\xa0\x80\"}", nil, KindNotJSON, ""},
	{"lone high surrogate", `{"type":"m.login.success","x":"\ud800"}`, nil, KindNotJSON, ""},
	{"lone low surrogate", `{"type":"m.login.success","x":"\udc00x"}`, nil, KindNotJSON, ""},
	{"bad escape", `{"type":"m.login.success","x":"\q"}`, nil, KindNotJSON, ""},
	{"raw newline in string", "{\"type\":\"m.login.success\",\"x\":\"a\nb\"}", nil, KindNotJSON, ""},
	{"byte order mark", "\xef\xbb\xbf{\"type\":\"m.login.success\"}", nil, KindNotJSON, ""},
	{"nested too deeply", `{"type":"m.login.success","x":` + strings.Repeat("[", 200) +
		strings.Repeat("]", 200) + `}`, nil, KindNotJSON, ""},

	// Not an object.
	{"array", `[{"type":"m.login.success"}]`, nil, KindNotObject, ""},
	{"string", `"m.login.success"`, nil, KindNotObject, ""},
	{"number", `42`, nil, KindNotObject, ""},
	{"null", `null`, nil, KindNotObject, ""},

	// Type.
	{"no type", `{}`, nil, KindMissingType, ""},
	{"type in other case", `{"Type":"m.login.success"}`, nil, KindMissingType, ""},
	{"type is a number", `{"type":1}`, nil, KindWrongType, "type"},
	{"type is null", `{"type":null}`, nil, KindWrongType, "type"},
	{"unknown type", `{"type":"m.login.finish"}`, nil, KindUnknownType, "type"},
	{"type with trailing space", `{"type":"m.login.success "}`, nil, KindUnknownType, "type"},
	{"2022 type", `{"type":"m.login.progress"}`, nil, KindUnknownType, "type"},
}

// decodeErrorsFields: missing, mistyped, duplicate and unknown fields.
var decodeErrorsFields = []decodeErrorCase{
	// Missing fields.
	{"protocols without protocols", `{"type":"m.login.protocols","base_url":"https://hs.example"}`,
		nil, KindMissingField, "protocols"},
	{"protocols without server", `{"type":"m.login.protocols","protocols":[]}`,
		nil, KindMissingField, "base_url"},
	{"protocols 2024 without homeserver", `{"type":"m.login.protocols","protocols":["x"]}`,
		optGen2024, KindMissingField, "homeserver"},
	{"protocol without protocol", `{"type":"m.login.protocol",` + grantJSON + `,"device_id":"D"}`,
		nil, KindMissingField, "protocol"},
	{"protocol without grant", `{"type":"m.login.protocol","protocol":"device_authorization_grant","device_id":"D"}`,
		nil, KindMissingField, "device_authorization_grant"},
	{"protocol without verification_uri", `{"type":"m.login.protocol","protocol":"device_authorization_grant",` +
		`"device_authorization_grant":{"verification_uri_complete":"https://x"},"device_id":"D"}`,
		nil, KindMissingField, "device_authorization_grant.verification_uri"},
	{"protocol without device_id", `{"type":"m.login.protocol","protocol":"device_authorization_grant",` + grantJSON + `}`,
		nil, KindMissingField, "device_id"},
	{"failure without reason", `{"type":"m.login.failure","homeserver":"matrix.org"}`,
		nil, KindMissingField, "reason"},
	{"secrets without cross_signing", `{"type":"m.login.secrets"}`, nil, KindMissingField, "cross_signing"},
	{"secrets without master_key", secretsJSON(`{"self_signing_key":"`+keySelf+`","user_signing_key":"`+keyUser+`"}`, ""),
		nil, KindMissingField, "cross_signing.master_key"},
	{"secrets without user_signing_key", secretsJSON(`{"master_key":"`+keyMaster+`","self_signing_key":"`+keySelf+`"}`, ""),
		nil, KindMissingField, "cross_signing.user_signing_key"},
	{"backup without key", secretsJSON(goodCross(), `,"backup":{"algorithm":"`+BackupAlgorithmMegolmV1+`","backup_version":"1"}`),
		nil, KindMissingField, "backup.key"},
	{"backup without version", secretsJSON(goodCross(), `,"backup":{"algorithm":"`+BackupAlgorithmMegolmV1+`","key":"`+keyBackup+`"}`),
		nil, KindMissingField, "backup.backup_version"},
	{"backup without algorithm", secretsJSON(goodCross(), `,"backup":{"key":"`+keyBackup+`","backup_version":"1"}`),
		nil, KindMissingField, "backup.algorithm"},

	// Mistyped fields.
	{"protocols is a string", `{"type":"m.login.protocols","protocols":"device_authorization_grant","base_url":"u"}`,
		nil, KindWrongType, "protocols"},
	{"protocols is null", `{"type":"m.login.protocols","protocols":null,"base_url":"u"}`,
		nil, KindWrongType, "protocols"},
	{"protocol entry is a number", `{"type":"m.login.protocols","protocols":["device_authorization_grant",7],"base_url":"u"}`,
		nil, KindWrongType, "protocols[1]"},
	{"base_url is a boolean", `{"type":"m.login.protocols","protocols":[],"base_url":true}`,
		nil, KindWrongType, "base_url"},
	{"homeserver is an object", `{"type":"m.login.protocols","protocols":["x"],"homeserver":{}}`,
		nil, KindWrongType, "homeserver"},
	{"device_id is a number", `{"type":"m.login.protocol","protocol":"device_authorization_grant",` + grantJSON + `,"device_id":12}`,
		nil, KindWrongType, "device_id"},
	{"device_id is null", `{"type":"m.login.protocol","protocol":"device_authorization_grant",` + grantJSON + `,"device_id":null}`,
		nil, KindWrongType, "device_id"},
	{"grant is a string", `{"type":"m.login.protocol","protocol":"device_authorization_grant","device_authorization_grant":"https://x","device_id":"D"}`,
		nil, KindWrongType, "device_authorization_grant"},
	{"verification_uri_complete is a number", `{"type":"m.login.protocol","protocol":"device_authorization_grant",` +
		`"device_authorization_grant":{"verification_uri":"https://x","verification_uri_complete":5},"device_id":"D"}`,
		nil, KindWrongType, "device_authorization_grant.verification_uri_complete"},
	{"protocol is an array", `{"type":"m.login.protocol","protocol":["device_authorization_grant"],` + grantJSON + `,"device_id":"D"}`,
		nil, KindWrongType, "protocol"},
	{"reason is null", `{"type":"m.login.failure","reason":null}`, nil, KindWrongType, "reason"},
	{"failure homeserver is a number", `{"type":"m.login.failure","reason":"user_cancelled","homeserver":1}`,
		nil, KindWrongType, "homeserver"},
	{"cross_signing is an array", secretsJSON(`[]`, ""), nil, KindWrongType, "cross_signing"},
	{"cross_signing is null", secretsJSON(`null`, ""), nil, KindWrongType, "cross_signing"},
	{"master_key is a number", secretsJSON(`{"master_key":1,"self_signing_key":"`+keySelf+`","user_signing_key":"`+keyUser+`"}`, ""),
		nil, KindWrongType, "cross_signing.master_key"},
	{"backup is a string", secretsJSON(goodCross(), `,"backup":"`+keyBackup+`"`), nil, KindWrongType, "backup"},
	{"backup_version is a number", secretsJSON(goodCross(), `,"backup":{"algorithm":"`+BackupAlgorithmMegolmV1+`","key":"`+keyBackup+`","backup_version":2}`),
		nil, KindWrongType, "backup.backup_version"},

	// Duplicates.
	{"type twice", `{"type":"m.login.success","type":"m.login.declined"}`, nil, KindDuplicateField, "type"},
	{"type twice, same value", `{"type":"m.login.success","type":"m.login.success"}`, nil, KindDuplicateField, "type"},
	{"reason twice", `{"type":"m.login.failure","reason":"user_cancelled","reason":"device_not_found"}`,
		nil, KindDuplicateField, "reason"},
	{"device_id twice", `{"type":"m.login.protocol","protocol":"device_authorization_grant",` + grantJSON + `,"device_id":"A","device_id":"B"}`,
		nil, KindDuplicateField, "device_id"},
	{"master_key twice", secretsJSON(`{"master_key":"`+keyMaster+`","master_key":"`+keyUser+`","self_signing_key":"`+keySelf+`","user_signing_key":"`+keyUser+`"}`, ""),
		nil, KindDuplicateField, "cross_signing.master_key"},
	{"verification_uri twice", `{"type":"m.login.protocol","protocol":"device_authorization_grant",` +
		`"device_authorization_grant":{"verification_uri":"https://a","verification_uri":"https://b"},"device_id":"D"}`,
		nil, KindDuplicateField, "device_authorization_grant.verification_uri"},
	{"duplicate under escaped key", `{"type":"m.login.success","\u0074ype":"m.login.success"}`,
		nil, KindDuplicateField, "type"},

	// Unknown fields, when strict.
	{"strict: extra top-level field", `{"type":"m.login.success","extra":1}`, optStrict, KindUnknownField, "extra"},
	{"strict: another type's field", `{"type":"m.login.success","reason":"user_cancelled"}`, optStrict, KindUnknownField, "reason"},
	{"strict: first unknown in document order", `{"reason":"x","type":"m.login.success","aaa":1}`, optStrict, KindUnknownField, "reason"},
	{"strict: extra field in grant", `{"type":"m.login.protocol","protocol":"device_authorization_grant",` +
		`"device_authorization_grant":{"verification_uri":"https://a","user_code":"123456"},"device_id":"D"}`,
		optStrict, KindUnknownField, "device_authorization_grant.user_code"},
	{"strict: extra field in backup", secretsJSON(goodCross(), `,"backup":{"algorithm":"`+BackupAlgorithmMegolmV1+`","key":"`+keyBackup+`","backup_version":"1","auth_data":{}}`),
		optStrict, KindUnknownField, "backup.auth_data"},
}

// decodeErrorsValues: enumerations, keys and generations.
var decodeErrorsValues = []decodeErrorCase{
	// Enumerations.
	{"wrong protocol", `{"type":"m.login.protocol","protocol":"authorization_code",` + grantJSON + `,"device_id":"D"}`,
		nil, KindWrongProtocol, "protocol"},
	{"protocol in other case", `{"type":"m.login.protocol","protocol":"Device_Authorization_Grant",` + grantJSON + `,"device_id":"D"}`,
		nil, KindWrongProtocol, "protocol"},
	{"reason from the 02f18e1 example", `{"type":"m.login.failure","reason":"unsupported","homeserver":"https://matrix-client.matrix.org"}`,
		nil, KindUnknownReason, "reason"},
	{"empty reason", `{"type":"m.login.failure","reason":""}`, nil, KindUnknownReason, "reason"},
	{"backup algorithm from the texts' example", secretsJSON(goodCross(), backupJSON("foobar", keyBackup, "1")),
		nil, KindUnknownAlgorithm, "backup.algorithm"},

	// Keys.
	{"key placeholder from the texts", secretsJSON(crossJSON("$base64_of_the_key", keySelf, keyUser), ""),
		nil, KindBadKey, "cross_signing.master_key"},
	{"key too short", secretsJSON(crossJSON(keyMaster[:42], keySelf, keyUser), ""), nil, KindBadKey, "cross_signing.master_key"},
	{"key too long", secretsJSON(crossJSON(keyMaster, keySelf+"AAAA", keyUser), ""), nil, KindBadKey, "cross_signing.self_signing_key"},
	{"key of 33 bytes", secretsJSON(crossJSON(keyMaster, keySelf, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), ""),
		nil, KindBadKey, "cross_signing.user_signing_key"},
	{"empty key", secretsJSON(crossJSON("", keySelf, keyUser), ""), nil, KindBadKey, "cross_signing.master_key"},
	{"URL-safe alphabet", secretsJSON(crossJSON(strings.NewReplacer("/", "_", "+", "-").Replace(keyMaster), keySelf, keyUser), ""),
		nil, KindBadKey, "cross_signing.master_key"},
	{"non-zero trailing bits", secretsJSON(crossJSON(keyMaster[:42]+"x", keySelf, keyUser), ""),
		nil, KindBadKey, "cross_signing.master_key"},
	{"escaped newline in key", secretsJSON(crossJSON(keyMaster[:42]+`\n`, keySelf, keyUser), ""),
		nil, KindBadKey, "cross_signing.master_key"},
	{"padded key when unpadded is required", secretsJSON(crossJSON(keyMaster+"=", keySelf, keyUser), ""),
		[]Option{RequireUnpaddedBase64()}, KindBadKey, "cross_signing.master_key"},
	{"double padding", secretsJSON(crossJSON(keyMaster+"==", keySelf, keyUser), ""),
		nil, KindBadKey, "cross_signing.master_key"},
	{"backup key too short", secretsJSON(goodCross(), backupJSON(BackupAlgorithmMegolmV1, "AAAA", "1")),
		nil, KindBadKey, "backup.key"},

	// Generations.
	{"2024 decoder, base_url", `{"type":"m.login.protocols","protocols":["device_authorization_grant"],"base_url":"https://hs.example"}`,
		optGen2024, KindWrongGeneration, "base_url"},
	{"2026 decoder, homeserver", `{"type":"m.login.protocols","protocols":["device_authorization_grant"],"homeserver":"matrix.org"}`,
		optGen2026, KindWrongGeneration, "homeserver"},
	{"2026 decoder, both keys", `{"type":"m.login.protocols","protocols":["device_authorization_grant"],"base_url":"https://hs.example","homeserver":"matrix.org"}`,
		optGen2026, KindWrongGeneration, "homeserver"},
	{"any decoder, both keys", `{"type":"m.login.protocols","protocols":["device_authorization_grant"],"base_url":"https://hs.example","homeserver":"matrix.org"}`,
		nil, KindWrongGeneration, "homeserver"},
	{"2024 decoder, empty protocols", `{"type":"m.login.protocols","protocols":[],"homeserver":"matrix.org"}`,
		optGen2024, KindWrongGeneration, "protocols"},
	{"2024 decoder, 2026 reason", `{"type":"m.login.failure","reason":"unable_to_open_verification_uri"}`,
		optGen2024, KindWrongGeneration, "reason"},
}

func TestDecodeErrors(t *testing.T) {
	for _, cases := range [][]decodeErrorCase{decodeErrorsSyntax, decodeErrorsFields, decodeErrorsValues} {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) { checkDecodeError(t, tc) })
		}
	}
}

// checkDecodeError: Decode rejects tc.in with an *Error of tc's kind (and
// no other) and path, named in the message, and returns no message.
func checkDecodeError(t *testing.T, tc decodeErrorCase) {
	m, err := Decode([]byte(tc.in), tc.opts...)
	if err == nil {
		t.Fatalf("Decode accepted it: %#v", m)
	}
	if m != nil {
		t.Errorf("Decode returned a message with its error: %#v", m)
	}
	if !errors.Is(err, tc.kind) {
		t.Fatalf("error %q is not %v", err, tc.kind)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %q is not an *Error", err)
	}
	if e.Path != tc.path {
		t.Errorf("path %q, want %q (error %q)", e.Path, tc.path, err)
	}
	if !errors.Is(err, &Error{Kind: tc.kind, Path: tc.path}) {
		t.Errorf("errors.Is with kind and path fails for %q", err)
	}
	for k := KindNotJSON; k <= KindInvalid; k++ {
		if k != tc.kind && errors.Is(err, k) {
			t.Errorf("error %q also matches %v", err, k)
		}
	}
	if !strings.HasPrefix(err.Error(), "msg: ") || (tc.path != "" && !strings.Contains(err.Error(), tc.path)) {
		t.Errorf("message %q does not name the field", err)
	}
}

func TestDecodeAccepts(t *testing.T) {
	master, self, user, backup := mustKey(t, keyMaster), mustKey(t, keySelf), mustKey(t, keyUser), mustKey(t, keyBackup)
	secrets := Secrets{CrossSigning: CrossSigningKeys{Master: SigningKey(master), SelfSigning: SigningKey(self), UserSigning: SigningKey(user)}}
	withBackup := secrets
	withBackup.Backup = &Backup{Key: BackupKey(backup), Version: "2"}
	tests := []struct {
		name string
		in   string
		opts []Option
		want Message
	}{
		// The examples of the texts.
		{"2024 text, m.login.protocols", `{
			"type": "m.login.protocols",
			"protocols": ["device_authorization_grant"],
			"homeserver": "matrix.org"
		}`, []Option{WithGeneration(Gen2024)},
			Protocols{Protocols: []string{ProtocolDeviceAuthorizationGrant}, Server: "matrix.org", ServerKey: KeyHomeserver}},
		{"2026 text, m.login.protocols", `{"type":"m.login.protocols","protocols":["device_authorization_grant"],"base_url":"https://matrix-client.matrix.org"}`,
			[]Option{WithGeneration(Gen2026)},
			Protocols{Protocols: []string{ProtocolDeviceAuthorizationGrant}, Server: "https://matrix-client.matrix.org"}},
		{"2026 text, no protocols", `{"type":"m.login.protocols","protocols":[],"base_url":"https://synapse-oidc.lab.element.dev"}`,
			[]Option{WithGeneration(Gen2026)}, Protocols{Server: "https://synapse-oidc.lab.element.dev"}},
		{"text, m.login.protocol", `{
			"type": "m.login.protocol",
			"protocol": "device_authorization_grant",
			"device_authorization_grant": {
				"verification_uri": "https://auth-oidc.lab.element.dev/link",
				"verification_uri_complete": "https://auth-oidc.lab.element.dev/link?code=123456"
			},
			"device_id": "ABCDEFGH"
		}`, []Option{DisallowUnknownFields()}, Protocol{
			Grant: DeviceAuthorizationGrant{
				VerificationURI:         "https://auth-oidc.lab.element.dev/link",
				VerificationURIComplete: "https://auth-oidc.lab.element.dev/link?code=123456",
			},
			DeviceID: "ABCDEFGH",
		}},
		{"text, m.login.protocol_accepted", `{"type":"m.login.protocol_accepted"}`, nil, ProtocolAccepted{}},
		{"text, m.login.success", `{"type": "m.login.success"}`, nil, Success{}},
		{"text, m.login.declined", `{"type":"m.login.declined"}`, nil, Declined{}},
		{"2024 text, m.login.failure", `{"type":"m.login.failure","reason":"unsupported_protocol","homeserver":"matrix.org"}`,
			[]Option{WithGeneration(Gen2024)}, Failure{Reason: ReasonUnsupportedProtocol, Homeserver: "matrix.org"}},
		{"2026 text, m.login.failure", `{"type":"m.login.failure","reason":"unable_to_open_verification_uri"}`,
			[]Option{WithGeneration(Gen2026)}, Failure{Reason: ReasonUnableToOpenVerificationURI}},
		{"Rust SDK test, m.login.secrets", secretsJSON(goodCross(), `,"backup":{"algorithm":"`+BackupAlgorithmMegolmV1+
			`","backup_version":"2","key":"`+keyBackup+`"}`), []Option{DisallowUnknownFields(), RequireUnpaddedBase64()}, withBackup},

		// Tolerance.
		{"unknown fields ignored", `{"type":"m.login.success","extra":{"deep":[1,2,{"x":null}]},"n":-1.5e+3}`, nil, Success{}},
		{"another type's field ignored", `{"type":"m.login.declined","reason":5}`, nil, Declined{}},
		{"unknown duplicate ignored", `{"type":"m.login.success","x":1,"x":2}`, nil, Success{}},
		{"type last", `{"reason":"device_not_found","type":"m.login.failure"}`, nil, Failure{Reason: ReasonDeviceNotFound}},
		{"escaped type", `{"type":"m.login.succ\u0065ss"}`, nil, Success{}},
		{"unknown protocol names kept", `{"type":"m.login.protocols","protocols":["authorization_code","device_authorization_grant"],"base_url":"u"}`,
			nil, Protocols{Protocols: []string{"authorization_code", ProtocolDeviceAuthorizationGrant}, Server: "u"}},
		{"null optional fields", `{"type":"m.login.protocol","protocol":"device_authorization_grant","device_authorization_grant":{"verification_uri":"v","verification_uri_complete":null},"device_id":"D"}`,
			nil, Protocol{Grant: DeviceAuthorizationGrant{VerificationURI: "v"}, DeviceID: "D"}},
		{"null failure homeserver", `{"type":"m.login.failure","reason":"user_cancelled","homeserver":null}`,
			nil, Failure{Reason: ReasonUserCancelled}},
		{"null backup", secretsJSON(goodCross(), `,"backup":null`), nil, secrets},
		{"padded keys", secretsJSON(crossJSON(keyMaster+"=", keySelf+"=", keyUser), backupJSON(BackupAlgorithmMegolmV1, keyBackup+"=", "2")),
			nil, withBackup},
		{"escaped key characters", secretsJSON(crossJSON(`\u0072`+keyMaster[1:], keySelf, keyUser), ""), nil, secrets},
		{"hostile strings carried", `{"type":"m.login.protocol","protocol":"device_authorization_grant","device_authorization_grant":{"verification_uri":"javascript:alert(1)"},"device_id":"\u0000\n\"é"}`,
			nil, Protocol{Grant: DeviceAuthorizationGrant{VerificationURI: "javascript:alert(1)"}, DeviceID: "\x00\n\"é"}},
		{"surrogate pair", `{"type":"m.login.failure","reason":"user_cancelled","homeserver":"\ud83d\ude00"}`,
			nil, Failure{Reason: ReasonUserCancelled, Homeserver: "😀"}},
		{"2024 decoder, six reasons", `{"type":"m.login.failure","reason":"authorization_expired"}`,
			[]Option{WithGeneration(Gen2024)}, Failure{Reason: ReasonAuthorizationExpired}},
		{"zero option ignored", `{"type":"m.login.success"}`, []Option{{}}, Success{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Decode([]byte(tc.in), tc.opts...)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got  %#v\nwant %#v", got, tc.want)
			}
		})
	}
}

// TestDuplicateTypeWithEscapes checks that a key spelled with escapes is
// the same key, so the duplicate cannot hide behind an escape.
func TestDuplicateTypeWithEscapes(t *testing.T) {
	_, err := Decode([]byte(`{"\u0074\u0079\u0070\u0065":"m.login.success","type":"m.login.declined"}`))
	if !errors.Is(err, KindDuplicateField) {
		t.Fatalf("got %v, want a duplicate", err)
	}
}

func mustKey(t *testing.T, s string) [32]byte {
	t.Helper()
	var k [32]byte
	if detail := decodeKey32([]byte(s), false, &k); detail != "" {
		t.Fatalf("key %q: %s", s, detail)
	}
	return k
}

// TestSyntaxAgreesWithEncodingJSON checks the reader against encoding/json
// on values that test the grammar's corners, placed where unknown fields
// are tolerated so that only syntax decides.
func TestSyntaxAgreesWithEncodingJSON(t *testing.T) {
	values := []string{
		`0`, `-0`, `-0.0e-0`, `1.5E+10`, `123456789012345678901234567890`, `1e5`,
		`-`, `01`, `1.`, `.5`, `+1`, `0x10`, `1e`, `1e+`, `1e5.5`, `--1`, `1.e3`,
		`true`, `false`, `null`, `tru`, `nulll`, `True`, `NaN`, `Infinity`,
		`""`, `"\/\b\f\n\r\t\"\\"`, `"\u00e9\uD83D\uDE00"`, `"\u00zz"`, `"\x"`, `"\u12"`, `"é"`,
		`[]`, `[1,2,[3,{}]]`, `[1,]`, `[,1]`, `[1 2]`, `[`, `]`,
		`{}`, `{"a":{"b":[null]}}`, `{"a":1,}`, `{"a" 1}`, `{,}`, `{"a":1 "b":2}`, `{1:2}`,
		" \t\r\n[ 1 , 2 ] ", "\f1", "\v1", `"a` + "\t" + `b"`,
	}
	for _, v := range values {
		in := `{"type":"m.login.success","x":` + v + `}`
		_, err := Decode([]byte(in))
		ours := err == nil
		if ours != json.Valid([]byte(in)) {
			t.Errorf("%q: Decode error %v, encoding/json valid %v", v, err, json.Valid([]byte(in)))
		}
		if err != nil && !errors.Is(err, KindNotJSON) {
			t.Errorf("%q: %v is not KindNotJSON", v, err)
		}
	}
}

// TestTables checks the constant lookup table the base64 decoder indexes by
// byte. (The reader's table is tested in package wire.)
func TestTables(t *testing.T) {
	if len(b64Values) != 256 {
		t.Fatalf("table length %d", len(b64Values))
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for c := range 256 {
		want := byte(0xff)
		if i := strings.IndexByte(alphabet, byte(c)); i >= 0 {
			want = byte(i)
		}
		if b64Values[c] != want {
			t.Errorf("b64Values[%#x] = %#x, want %#x", c, b64Values[c], want)
		}
	}
}
