package homeserver

import (
	"encoding/json"
	"testing"

	"qrlab/model/wire"
)

// TestKeysQuery: POST /keys/query lists a device's keys as uploaded, both
// after a self-signed upload and after the second upload that adds the
// self-signing key's signature (the order a proof of possession needs);
// it leaves out devices without keys and unknown users, refuses a body that
// is not {"device_keys": {user: [ids]}}, and wants an access token.
func TestKeysQuery(t *testing.T) {
	e := newKeysEnv(t, true)
	query := func(token, body string) Response {
		h := wire.NewHeader("Content-Type", "application/json")
		if token != "" {
			h = wire.NewHeader("Authorization", "Bearer "+token, "Content-Type", "application/json")
		}
		r, _ := e.hs.Handle(2, &Request{Method: "POST", Path: PathKeysQuery, Header: h, Body: []byte(body)})
		return r
	}
	ed := func(r Response) string {
		var got struct {
			DeviceKeys map[string]map[string]struct {
				Keys map[string]string `json:"keys"`
			} `json:"device_keys"`
		}
		if err := json.Unmarshal(r.Body, &got); err != nil {
			t.Fatalf("answer %s: %v", r.Body, err)
		}
		return got.DeviceKeys[aliceID][newDevice].Keys["ed25519:"+newDevice]
	}
	want := `{"device_keys":{"` + aliceID + `":["` + newDevice + `"]}}`
	if r := query(newToken, want); r.Status != 200 || ed(r) != "" {
		t.Fatalf("before any upload: %d %s", r.Status, r.Body)
	}
	for _, signed := range [][]byte{e.dev.Signed(nil), e.dev.Signed(e.alice.SelfSigning)} {
		if r := e.upload(KeysUploadBody(signed)); r.Status != 200 {
			t.Fatalf("upload: %d %s", r.Status, r.Body)
		}
		if r := query(newToken, want); r.Status != 200 || ed(r) != e.dev.Ed25519.PublicBase64() {
			t.Fatalf("after upload: %d %s", r.Status, r.Body)
		}
	}
	if r := query(newToken, `{"device_keys":{"@nobody:lab.example":[]}}`); r.Status != 200 || string(r.Body) != `{"device_keys":{},"failures":{}}` {
		t.Fatalf("unknown user: %d %s", r.Status, r.Body)
	}
	for _, bad := range []string{`[]`, `{}`, `{"device_keys":[]}`, `{"device_keys":{"` + aliceID + `":"X"}}`, `{"device_keys":{"` + aliceID + `":[1]}}`, `{`} {
		if r := query(newToken, bad); r.Status != 400 {
			t.Errorf("body %s: status %d %s, want 400", bad, r.Status, r.Body)
		}
	}
	if r := query("", want); r.Status != 401 {
		t.Errorf("no token: status %d, want 401", r.Status)
	}
	if r, _ := e.hs.Handle(2, &Request{Method: "GET", Path: PathKeysQuery}); r.Status != 405 {
		t.Errorf("GET: status %d, want 405", r.Status)
	}
}
