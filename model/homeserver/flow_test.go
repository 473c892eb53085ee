package homeserver

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"qrlab/internal/seeded"
	"qrlab/model/oauth"
	"qrlab/model/wire"
)

// world is a provider and a homeserver that trusts it, with Alice's
// existing device (E) signed in and holding her cross-signing identity.
type world struct {
	t        testing.TB
	op       *oauth.Server
	hs       *Server
	clientID string
	alice    *Identity
	fx       []Effect
}

const existingToken = "token-of-the-existing-device"

func newWorld(t testing.TB, opCfg oauth.Config, hsCfg Config) *world {
	t.Helper()
	op, err := oauth.New(opCfg, seeded.Stream(1))
	if err != nil {
		t.Fatal(err)
	}
	hs, err := New(hsCfg, op)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, op: op, hs: hs}
	if w.alice, err = NewIdentity(aliceID, seeded.Stream(2)); err != nil {
		t.Fatal(err)
	}
	if err := hs.AddIdentity(w.alice); err != nil {
		t.Fatal(err)
	}
	hs.AddDevice(0, aliceID, "EXISTING", existingToken)
	r, _ := op.Handle(0, &oauth.Request{Method: "POST", Path: "/" + oauth.PathRegistration,
		Header: wire.NewHeader("Content-Type", oauth.ContentTypeJSON), Body: oauth.RegistrationBody("qrlab", "https://qrlab.example/")})
	var reg struct {
		ClientID string `json:"client_id"`
	}
	if err := json.Unmarshal(r.Body, &reg); err != nil || reg.ClientID == "" {
		t.Fatalf("registration: %d %s", r.Status, r.Body)
	}
	w.clientID = reg.ClientID
	return w
}

// grant runs the device grant for deviceID, consented by user at the
// provider, and returns the access token issued at now.
func (w *world) grant(now oauth.Millis, user, deviceID, scope string) string {
	w.t.Helper()
	do := func(path string, body []byte) oauth.Response {
		r, _ := w.op.Handle(now, &oauth.Request{Method: "POST", Path: path,
			Header: wire.NewHeader("Content-Type", oauth.ContentTypeForm), Body: body})
		return r
	}
	r := do("/"+oauth.PathDeviceAuthorization, oauth.EncodeForm("client_id", w.clientID, "scope", scope))
	var da struct {
		DeviceCode string `json:"device_code"`
		UserCode   string `json:"user_code"`
	}
	if err := json.Unmarshal(r.Body, &da); err != nil || r.Status != 200 {
		w.t.Fatalf("device authorization: %d %s", r.Status, r.Body)
	}
	sess := oauth.Session{UserID: user, Browser: user}
	_, page, _ := w.op.Browse(now, &oauth.Request{Method: "POST", Path: "/" + oauth.PathLink,
		Header: wire.NewHeader("Content-Type", oauth.ContentTypeForm), Body: oauth.EncodeForm("code", da.UserCode)}, sess)
	consentPath := "/" + oauth.PathConsent + page.GrantID
	_, page, _ = w.op.Browse(now, &oauth.Request{Method: "POST", Path: consentPath,
		Header: wire.NewHeader("Content-Type", oauth.ContentTypeForm), Body: oauth.EncodeForm("action", oauth.ActionConsent)}, sess)
	if page.Kind != oauth.PageApproved {
		w.t.Fatalf("consent: %+v", page)
	}
	r = do("/"+oauth.PathToken, oauth.EncodeForm("grant_type", oauth.GrantTypeDeviceCode, "device_code", da.DeviceCode, "client_id", w.clientID))
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(r.Body, &tok); err != nil || r.Status != 200 {
		w.t.Fatalf("token: %d %s", r.Status, r.Body)
	}
	return tok.AccessToken
}

func (w *world) get(now oauth.Millis, path, token string) Response {
	req := &Request{Method: "GET", Path: path}
	if token != "" {
		req.Header = wire.NewHeader("Authorization", "Bearer "+token)
	}
	r, fx := w.hs.HandleAppend(now, req, w.fx)
	w.fx = fx
	return r
}

func summary(r Response) string {
	if r.Status == 200 {
		return "200"
	}
	return fmt.Sprintf("%d %s", r.Status, errcodeOf(r))
}

func scopeFor(deviceID string) string {
	return "openid " + oauth.ScopeAPI + " " + oauth.ScopeDevicePrefix + deviceID
}

// TestDeviceListLearnsNewDevice is a transcript of the existing device
// polling GET /devices/{id} while the new device gets its token (at 10 s)
// and first uses it (whoami at 12 s), for each way the homeserver learns of
// devices.
func TestDeviceListLearnsNewDevice(t *testing.T) {
	const grantAt, whoamiAt = 10 * oauth.Second, 12 * oauth.Second
	type probe struct {
		at   oauth.Millis
		want string // answer to E's GET /devices/NEWDEV
	}
	cases := []struct {
		name   string
		edit   func(*Config)
		probes []probe
	}{
		{"on issue (MAS), no delay", func(c *Config) { c.DeviceOnFirstUse = false }, []probe{
			{grantAt - 1, "404 M_NOT_FOUND"}, {grantAt, "200"}, {grantAt + 1, "200"},
		}},
		{"on issue, 3 s delay", func(c *Config) { c.DeviceOnFirstUse = false; c.IssueDelay = 3 * oauth.Second }, []probe{
			{grantAt, "404 M_NOT_FOUND"}, {grantAt + 2999, "404 M_NOT_FOUND"}, {grantAt + 3000, "200"},
		}},
		{"on first use (Synapse), no delay", func(c *Config) { c.DeviceOnIssue = false }, []probe{
			{grantAt, "404 M_NOT_FOUND"}, {whoamiAt - 1, "404 M_NOT_FOUND"}, {whoamiAt, "200"},
		}},
		{"on first use, 500 ms delay", func(c *Config) { c.DeviceOnIssue = false; c.FirstUseDelay = 500 }, []probe{
			{whoamiAt, "404 M_NOT_FOUND"}, {whoamiAt + 499, "404 M_NOT_FOUND"}, {whoamiAt + 500, "200"},
		}},
		{"both, issue delayed beyond first use", func(c *Config) { c.IssueDelay = 10 * oauth.Second }, []probe{
			{grantAt + 1, "404 M_NOT_FOUND"}, {whoamiAt, "200"},
		}},
		{"neither: the device never shows", func(c *Config) { c.DeviceOnIssue, c.DeviceOnFirstUse = false, false }, []probe{
			{whoamiAt, "404 M_NOT_FOUND"}, {whoamiAt + 60*oauth.Second, "404 M_NOT_FOUND"},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := PresetSynapse2025()
			tc.edit(&cfg)
			w := newWorld(t, oauth.PresetMAS(), cfg)
			var log strings.Builder
			token := ""
			probes := tc.probes
			for _, now := range []oauth.Millis{0, grantAt - 1, grantAt, grantAt + 1, grantAt + 499, grantAt + 2999, grantAt + 3000,
				whoamiAt - 1, whoamiAt, whoamiAt + 499, whoamiAt + 500, whoamiAt + 60*oauth.Second} {
				if now == grantAt {
					token = w.grant(now, aliceID, "NEWDEV", scopeFor("NEWDEV"))
					fmt.Fprintf(&log, "t=%6d N  token issued\n", now)
				}
				if now == whoamiAt {
					r := w.get(now, PathWhoami, token)
					fmt.Fprintf(&log, "t=%6d N  GET whoami -> %s %s\n", now, summary(r), r.Body)
					if r.Status != 200 || !strings.Contains(string(r.Body), `"device_id":"NEWDEV"`) {
						t.Fatalf("whoami: %d %s", r.Status, r.Body)
					}
				}
				for _, p := range probes {
					if p.at != now {
						continue
					}
					got := summary(w.get(now, PathDevicesPrefix+"NEWDEV", existingToken))
					fmt.Fprintf(&log, "t=%6d E  GET /devices/NEWDEV -> %s\n", now, got)
					if got != p.want {
						t.Fatalf("at %d ms: got %s, want %s\n%s", now, got, p.want, log.String())
					}
					if exists := w.hs.DeviceExists(now, aliceID, "NEWDEV"); exists != (p.want == "200") {
						t.Fatalf("DeviceExists at %d = %v", now, exists)
					}
				}
			}
			t.Logf("\n%s", log.String())
		})
	}
}

func TestAuthentication(t *testing.T) {
	w := newWorld(t, oauth.PresetMAS(), PresetSynapse2026())
	token := w.grant(0, aliceID, "NEWDEV", scopeFor("NEWDEV"))
	ttl := w.op.Config().AccessTokenTTL
	cases := []struct {
		name   string
		at     oauth.Millis
		header string
		query  string
		want   string
		body   string
	}{
		{"provider token", 1, "Bearer " + token, "", "200", `{"user_id":"@alice:lab.example","device_id":"NEWDEV","is_guest":false}`},
		{"scheme in another case", 1, "bearer " + token, "", "200", ""},
		{"query parameter", 1, "", "?access_token=" + oauth.QueryEscape(token), "200", ""},
		{"local token", 1, "Bearer " + existingToken, "", "200", `{"user_id":"@alice:lab.example","device_id":"EXISTING","is_guest":false}`},
		{"no token", 1, "", "", "401 M_MISSING_TOKEN", ""},
		{"not bearer", 1, "Basic abc", "", "401 M_MISSING_TOKEN", ""},
		{"unknown token", 1, "Bearer nope", "", "401 M_UNKNOWN_TOKEN", ""},
		{"token at the end of its life", ttl, "Bearer " + token, "", "200", ""},
		{"expired token", ttl + 1, "Bearer " + token, "", "401 M_UNKNOWN_TOKEN", `"soft_logout":true`},
	}
	for _, tc := range cases {
		req := &Request{Method: "GET", Path: PathWhoami + tc.query}
		if tc.header != "" {
			req.Header = wire.NewHeader("Authorization", tc.header)
		}
		r, _ := w.hs.Handle(tc.at, req)
		if got := summary(r); got != tc.want || !strings.Contains(string(r.Body), tc.body) {
			t.Errorf("%s: %s %s", tc.name, got, r.Body)
		}
	}
	// A token without the client-server API scope is refused.
	noAPI := w.grant(ttl+2, aliceID, "NOAPI", oauth.ScopeDevicePrefix+"NOAPI")
	if got := summary(w.get(ttl+3, PathWhoami, noAPI)); got != "401 M_UNKNOWN_TOKEN" {
		t.Errorf("token without API scope: %s", got)
	}
}

// TestAttackerAccount: when the attacker's account consents at the
// provider, the new device is signed in to the attacker's account, whoami
// says so, and the victim's existing device never sees the device appear.
func TestAttackerAccount(t *testing.T) {
	w := newWorld(t, oauth.PresetMAS(), PresetSynapse2026())
	token := w.grant(0, malloryID, "NEWDEV", scopeFor("NEWDEV"))
	r := w.get(1, PathWhoami, token)
	if !strings.Contains(string(r.Body), malloryID) {
		t.Errorf("whoami: %s", r.Body)
	}
	if got := summary(w.get(1, PathDevicesPrefix+"NEWDEV", existingToken)); got != "404 M_NOT_FOUND" {
		t.Errorf("victim's device list: %s", got)
	}
	if !w.hs.DeviceExists(1, malloryID, "NEWDEV") {
		t.Errorf("the device is not in the attacker's list")
	}
}

func TestDiscoveryEndpoints(t *testing.T) {
	op, _ := oauth.New(oauth.PresetMAS(), seeded.Stream(1))
	cases := []struct {
		preset   string
		path     string
		want     string
		contains string
	}{
		{"synapse-2024", PathVersions, "200", `"org.matrix.msc4108":true`},
		{"synapse-2024", PathAuthMetadata, "404 M_UNRECOGNIZED", ""},
		{"synapse-2024", PathAuthIssuerUnstable, "200", `{"issuer":"https://auth.lab.example/"}`},
		{"synapse-2025", PathVersions, "200", `"io.element.msc4108":true`},
		{"synapse-2025", PathAuthMetadata, "200", `"device_authorization_endpoint":"https://auth.lab.example/oauth2/device"`},
		{"synapse-2025", PathAuthMetadataUnstable, "200", `"issuer":"https://auth.lab.example/"`},
		{"synapse-2025", PathAuthIssuer, "200", `"issuer"`},
		{"synapse-2026", PathVersions, "200", `"io.element.msc4388":true`},
		{"synapse-2026", PathAuthIssuer, "404 M_UNRECOGNIZED", ""},
		{"synapse-2026", "/_matrix/client/v3/nothing", "404 M_UNRECOGNIZED", ""},
	}
	for _, tc := range cases {
		cfg, _ := Preset(tc.preset)
		hs, err := New(cfg, op)
		if err != nil {
			t.Fatal(err)
		}
		r, _ := hs.Handle(0, &Request{Method: "GET", Path: tc.path})
		if got := summary(r); got != tc.want || !strings.Contains(string(r.Body), tc.contains) {
			t.Errorf("%s %s: %s %s", tc.preset, tc.path, got, r.Body)
		}
		if r.Status == 200 && !json.Valid(r.Body) {
			t.Errorf("%s %s: invalid JSON %s", tc.preset, tc.path, r.Body)
		}
	}
	hs, _ := New(PresetSynapse2026(), op)
	if r, _ := hs.Handle(0, &Request{Method: "POST", Path: PathVersions}); r.Status != 405 {
		t.Errorf("POST versions: %d", r.Status)
	}
}

// TestEndToEnd: the new device signs in through the provider, uploads its
// device keys signed with the self-signing key it received, and ends up
// cross-signed; its device ID is the Rust SDK's kind (base64 with '/' and
// '+', percent-encoded in the path).
func TestEndToEnd(t *testing.T) {
	w := newWorld(t, oauth.PresetMAS(), PresetSynapse2026())
	deviceID := "n3w+Dev/ICE"
	if got := summary(w.get(0, PathDevicesPrefix+oauth.PathEscape(deviceID), existingToken)); got != "404 M_NOT_FOUND" {
		t.Fatalf("before: %s", got)
	}
	token := w.grant(1000, aliceID, deviceID, scopeFor(deviceID))
	if got := summary(w.get(1000, PathDevicesPrefix+oauth.PathEscape(deviceID), existingToken)); got != "200" {
		t.Fatalf("after the token: %s", got)
	}
	// m.login.secrets carries the private self-signing key as its seed.
	ssk, err := SigningKeyFromSeed(w.alice.SelfSigning.Seed())
	if err != nil {
		t.Fatal(err)
	}
	dev, _ := NewDeviceKeys(aliceID, deviceID, seeded.Stream(3))
	r, fx := w.hs.Handle(2000, &Request{Method: "POST", Path: PathKeysUpload,
		Header: wire.NewHeader("Authorization", "Bearer "+token), Body: KeysUploadBody(dev.Signed(ssk))})
	if r.Status != 200 {
		t.Fatalf("keys/upload: %d %s", r.Status, r.Body)
	}
	if len(fx) == 0 || fx[len(fx)-1].Kind != EffectKeysUploaded {
		t.Errorf("effects %+v", fx)
	}
	if err := w.hs.VerifyDevice(aliceID, deviceID); err != nil {
		t.Errorf("not cross-signed: %v", err)
	}
	if w.hs.CrossSigned(aliceID, "EXISTING") {
		t.Errorf("the existing device never uploaded keys")
	}
}

// TestDeviceIDCollision: a new device that asks for the ID of an existing
// device. The existing device's check (GET /devices/{id}) answers 200, which
// is its cue to send device_already_exists; if the flow went on anyway, the
// provider would bind the token to the existing device's ID, and the
// homeserver refuses the newcomer's different identity keys.
func TestDeviceIDCollision(t *testing.T) {
	w := newWorld(t, oauth.PresetMAS(), PresetSynapse2026())
	old, _ := NewDeviceKeys(aliceID, "EXISTING", seeded.Stream(10))
	r, _ := w.hs.Handle(0, &Request{Method: "POST", Path: PathKeysUpload,
		Header: wire.NewHeader("Authorization", "Bearer "+existingToken), Body: KeysUploadBody(old.Signed(w.alice.SelfSigning))})
	if r.Status != 200 {
		t.Fatalf("existing device's keys: %d %s", r.Status, r.Body)
	}
	if got := summary(w.get(1, PathDevicesPrefix+"EXISTING", existingToken)); got != "200" {
		t.Fatalf("the existing device's check: %s", got)
	}
	token := w.grant(2, aliceID, "EXISTING", scopeFor("EXISTING"))
	if r := w.get(3, PathWhoami, token); !strings.Contains(string(r.Body), `"device_id":"EXISTING"`) {
		t.Fatalf("whoami: %s", r.Body)
	}
	intruder, _ := NewDeviceKeys(aliceID, "EXISTING", seeded.Stream(11))
	r, _ = w.hs.Handle(4, &Request{Method: "POST", Path: PathKeysUpload,
		Header: wire.NewHeader("Authorization", "Bearer "+token), Body: KeysUploadBody(intruder.Signed(w.alice.SelfSigning))})
	if r.Status != 400 || errcodeOf(r) != ErrcodeInvalidParam {
		t.Errorf("the intruder's keys: %d %s", r.Status, r.Body)
	}
	if err := w.hs.VerifyDevice(aliceID, "EXISTING"); err != nil {
		t.Errorf("the existing device lost its keys: %v", err)
	}
}
