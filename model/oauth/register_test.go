package oauth

import (
	"reflect"
	"strings"
	"testing"

	"qrlab/internal/seeded"
	"qrlab/model/wire"
)

// TestRegistrationBodyPlain: RegistrationBody writes what encoding/json
// writes, for plain names and for names that need escaping.
func TestRegistrationBodyPlain(t *testing.T) {
	for _, n := range []string{"qrlab", "", "Element X (iOS)", `say "hi"`, `a\b`, "<b>&", "caf\u00e9", "tab\there", "\x7f", "\xff", "line\u2028sep"} {
		for _, u := range []string{"https://qrlab.example/", "https://x.example/?a=1&b=2", ""} {
			if got, want := RegistrationBody(n, u), registrationBodyJSON(n, u); string(got) != string(want) {
				t.Errorf("RegistrationBody(%q, %q) = %s, encoding/json writes %s", n, u, got, want)
			}
		}
	}
}

// registerBoth runs one registration body on two providers drawn from the
// same stream, by the plain path where it applies and by encoding/json
// alone, and fails unless the answers, effects and registered clients are
// the same. It reports whether the plain path read the body.
func registerBoth(t *testing.T, body []byte) bool {
	t.Helper()
	var srv [2]*Server
	for i := range srv {
		s, err := New(PresetMAS(), seeded.Stream(11))
		if err != nil {
			t.Fatal(err)
		}
		srv[i] = s
	}
	req := &Request{Method: "POST", Path: srv[0].basePath + PathRegistration, Body: body,
		Header: Header{{Name: "Content-Type", Value: ContentTypeJSON}}}
	r0, fx0 := srv[0].registerWith(90_500, req, nil, true)
	r1, fx1 := srv[1].registerWith(90_500, req, nil, false)
	if !reflect.DeepEqual(r0, r1) || !reflect.DeepEqual(fx0, fx1) || !reflect.DeepEqual(srv[0].clients, srv[1].clients) {
		t.Fatalf("body %q:\nplain path: %d %s %v\nencoding/json: %d %s %v", body, r0.Status, r0.Body, fx0, r1.Status, r1.Body, fx1)
	}
	var m clientMetadata
	return (&registrationReader{wire.Reader{B: body}}).read(&m)
}

// TestRegisterPlainAgrees: the registration answer is the same, byte for
// byte, with and without the plain path, for the body a Matrix client
// sends and for bodies the plain path must leave to encoding/json (keys in
// another case, unknown keys, null, escapes, lists of other things, text
// after the object, broken JSON).
func TestRegisterPlainAgrees(t *testing.T) {
	std := string(RegistrationBody("qrlab", "https://qrlab.example/"))
	if !registerBoth(t, []byte(std)) {
		t.Fatalf("the plain path declined the body a Matrix client sends: %s", std)
	}
	taken := []string{
		std,
		`{}`,
		` { "token_endpoint_auth_method" : "none" , "grant_types" : [ ] } `,
		`{"token_endpoint_auth_method":"none","grant_types":["a","b"],"redirect_uris":["https://x/cb"],"response_types":["code"],"client_name":"n","client_uri":"u","application_type":"web"}`,
		`{"token_endpoint_auth_method":"client_secret_basic"}`,
		`{"token_endpoint_auth_method":"none","grant_types":[""]}`,
	}
	for _, b := range taken {
		if !registerBoth(t, []byte(b)) {
			t.Errorf("the plain path declined %s", b)
		}
	}
	declined := []string{
		strings.Replace(std, `"client_name"`, `"Client_Name"`, 1),
		strings.Replace(std, `"client_name"`, `"colour":"red","client_name"`, 1),
		strings.Replace(std, `"client_name":"qrlab"`, `"client_name":null`, 1),
		strings.Replace(std, `"qrlab"`, `"qr\u006cab"`, 1),
		strings.Replace(std, `"qrlab"`, `"<qrlab>"`, 1),
		strings.Replace(std, `"qrlab"`, "\"caf\u00e9\"", 1),
		strings.Replace(std, `"response_types":[]`, `"response_types":[1]`, 1),
		strings.Replace(std, `"client_name":"qrlab"`, `"client_name":"a","client_name":"b"`, 1),
		std + ` {}`,
		std + `x`,
		std[:len(std)-1],
		`[]`,
		``,
		`{"token_endpoint_auth_method":"none","grant_types":null}`,
	}
	for _, b := range declined {
		if registerBoth(t, []byte(b)) {
			t.Errorf("the plain path took %s, which it should leave to encoding/json", b)
		}
	}
}

// FuzzRegister: for any body, the registration answer, effects and client
// are the same with and without the plain path. Seeds:
// testdata/fuzz/FuzzRegister.
func FuzzRegister(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) { registerBoth(t, b) })
}
