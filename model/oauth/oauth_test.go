package oauth

import (
	"bytes"
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"qrlab/internal/seeded"
	"qrlab/model/wire"
)

func TestPresetsValidate(t *testing.T) {
	for _, name := range PresetNames() {
		cfg, err := Preset(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := cfg.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if cfg.Name != name {
			t.Errorf("preset %q is named %q", name, cfg.Name)
		}
	}
	if _, err := Preset("nope"); !errors.Is(err, ErrConfig) {
		t.Errorf("unknown preset: %v", err)
	}
}

func TestConfigValidateNamesField(t *testing.T) {
	cases := []struct {
		field string
		edit  func(*Config)
	}{
		{"Issuer", func(c *Config) { c.Issuer = "http://auth.example/" }},
		{"Issuer", func(c *Config) { c.Issuer = "https://auth.example/x" }},
		{"PollErrorStatus", func(c *Config) { c.PollErrorStatus = 200 }},
		{"Interval", func(c *Config) { c.Interval = 1500 }},
		{"ExpiresIn", func(c *Config) { c.ExpiresIn = 0 }},
		{"UserCodeAlphabet", func(c *Config) { c.UserCodeAlphabet = "AA" }},
		{"UserCodeAlphabet", func(c *Config) { c.UserCodeAlphabet = "A-B" }},
		{"UserCodeLength", func(c *Config) { c.UserCodeLength = 0 }},
		{"DeviceCodeAlphabet", func(c *Config) { c.DeviceCodeAlphabet = "ab/" }},
		{"DeviceCodeLength", func(c *Config) { c.DeviceCodeLength = 4 }},
		{"DeniedError", func(c *Config) { c.DeniedError = "" }},
		{"SlowDownStep", func(c *Config) { c.SlowDownStep = 0 }},
	}
	for _, tc := range cases {
		cfg := PresetRFC8628()
		tc.edit(&cfg)
		err := cfg.Validate()
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: got %v", tc.field, err)
		}
	}
}

func TestCodeShapes(t *testing.T) {
	cases := []struct {
		preset     string
		userCode   *regexp.Regexp
		deviceCode *regexp.Regexp
		token      *regexp.Regexp
		complete   bool
		expires    int64
	}{
		{"rfc8628", regexp.MustCompile(`^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$`), regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`), regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`), true, 1800},
		{"mas", regexp.MustCompile(`^[A-Z0-9]{6}$`), regexp.MustCompile(`^[A-Za-z0-9]{32}$`), regexp.MustCompile(`^mat_[A-Za-z0-9]{30}_[A-Za-z0-9]{6}$`), false, 1200},
		{"mas-2024", regexp.MustCompile(`^[A-Z0-9]{6}$`), regexp.MustCompile(`^[A-Za-z0-9]{32}$`), regexp.MustCompile(`^mat_[A-Za-z0-9]{30}_[A-Za-z0-9]{6}$`), true, 1200},
		{"msc4108-text", regexp.MustCompile(`^[0-9]{6}$`), regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`), regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`), true, 1800},
	}
	for _, tc := range cases {
		t.Run(tc.preset, func(t *testing.T) {
			cfg, _ := Preset(tc.preset)
			h := newHarness(t, cfg, 7)
			for i := range 50 {
				r, da := h.authorize(Millis(i), testScope("DEV"))
				if r.Status != 200 {
					t.Fatalf("authorize: %d %s", r.Status, r.Body)
				}
				if !tc.userCode.MatchString(da.UserCode) {
					t.Errorf("user code %q", da.UserCode)
				}
				if !tc.deviceCode.MatchString(da.DeviceCode) {
					t.Errorf("device code %q", da.DeviceCode)
				}
				if (da.VerificationURIComplete != "") != tc.complete {
					t.Errorf("verification_uri_complete %q", da.VerificationURIComplete)
				}
				if tc.complete && da.VerificationURIComplete != da.VerificationURI+"?code="+da.UserCode {
					t.Errorf("verification_uri_complete %q for %q", da.VerificationURIComplete, da.UserCode)
				}
				if da.ExpiresIn != tc.expires || da.Interval != 5 {
					t.Errorf("expires_in %d interval %d", da.ExpiresIn, da.Interval)
				}
				if r.Header.Get("Cache-Control") != "no-store" {
					t.Errorf("Cache-Control %q", r.Header.Get("Cache-Control"))
				}
			}
			// A token, for its shape.
			_, da := h.authorize(100, testScope("DEV"))
			p := h.openVerification(101, da, alice)
			h.decide(102, p, ActionConsent, alice)
			r := h.poll(103, da.DeviceCode)
			var tok struct {
				AccessToken string `json:"access_token"`
			}
			_ = json.Unmarshal(r.Body, &tok)
			if !tc.token.MatchString(tok.AccessToken) {
				t.Errorf("access token %q", tok.AccessToken)
			}
			if cfg.TokenFormat == TokenMAS && !CheckMASToken(tok.AccessToken) {
				t.Errorf("access token %q fails MAS's checksum", tok.AccessToken)
			}
		})
	}
}

func TestMASTokenChecksum(t *testing.T) {
	// A token whose checksum is computed independently: CRC-32 (IEEE) of
	// "mat_" + 30 chars, base-62 digits least significant first, padded.
	srv, _ := New(PresetMAS(), seeded.Stream(3))
	tok, err := srv.token("mat")
	if err != nil {
		t.Fatal(err)
	}
	if !CheckMASToken(tok) {
		t.Fatalf("%q does not check", tok)
	}
	bad := []byte(tok)
	bad[10] ^= 1
	if CheckMASToken(string(bad)) {
		t.Errorf("a flipped character still checks")
	}
	if got := string(appendMASBase62(nil, 0)); got != "000000" {
		t.Errorf("base62(0) = %q", got)
	}
	if got := string(appendMASBase62(nil, 62)); got != "000001" { // digits LSB first, then padded
		t.Errorf("base62(62) = %q", got)
	}
}

func TestUpperAlnumSamplingIsBiased(t *testing.T) {
	// MAS before 2026 upper-cased a [0-9A-Za-z] draw: each letter comes up
	// twice as often as each digit. 6000 characters make that plain.
	cfg := PresetMAS2024()
	cfg.UserCodeLength = 60
	srv, _ := New(cfg, seeded.Stream(11))
	digits, letters := 0, 0
	for range 100 {
		uc, err := srv.userCode()
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range uc {
			if c >= '0' && c <= '9' {
				digits++
			} else {
				letters++
			}
		}
	}
	perDigit, perLetter := float64(digits)/10, float64(letters)/26
	if r := perLetter / perDigit; r < 1.7 || r > 2.3 {
		t.Errorf("letter/digit frequency ratio %.2f, want about 2", r)
	}
}

func TestUserCodeMatching(t *testing.T) {
	cases := []struct {
		preset, issued, typed string
		match                 bool
	}{
		{"rfc8628", "WDJB-MJHT", "WDJB-MJHT", true},
		{"rfc8628", "WDJB-MJHT", "wdjbmjht", true},
		{"rfc8628", "WDJB-MJHT", " wdjb mjht ", true},
		{"rfc8628", "WDJB-MJHT", "WDJB-MJHX", false},
		{"mas", "A0B1C2", "a0b1c2", true}, // MAS main upper-cases what is typed
		{"mas", "A0B1C2", "AOBIC2", false},
		{"mas", "A0B1C2", "A0-B1-C2", false},
		{"crockford", "A0B1C2", "a0b1c2", true},
		{"crockford", "A0B1C2", "AOBIC2", true}, // O read as 0, I as 1
		{"crockford", "A0B1C2", "AOBLC2", true}, // L read as 1
		{"crockford", "A0B1C2", "A0-B1-C2", true},
		{"mas-2024", "A0B1C2", "a0b1c2", true},
		{"mas-2024", "A0B1C2", "AOBIC2", false},
		{"msc4108-text", "123456", "123456", true},
		{"msc4108-text", "123456", "12345", false},
	}
	for _, tc := range cases {
		cfg, _ := Preset(tc.preset)
		if tc.preset == "crockford" { // no preset uses the Crockford matcher
			cfg = PresetMAS()
			cfg.UserCodeAlphabet, cfg.UserCodeSampling, cfg.UserCodeMatch = AlphabetCrockford, SampleUniform, MatchCrockford
		}
		srv, _ := New(cfg, seeded.Stream(1))
		key := srv.userKey(tc.issued)
		found := false
		for _, c := range srv.candidates(tc.typed) {
			found = found || c == key
		}
		if found != tc.match {
			t.Errorf("%s: issued %q typed %q: match %v, want %v", tc.preset, tc.issued, tc.typed, found, tc.match)
		}
	}
}

func TestParseScope(t *testing.T) {
	cases := []struct {
		scope    string
		unstable bool
		device   string
		api      bool
		err      error
	}{
		{testScope("ABCDEFGH"), false, "ABCDEFGH", true, nil},
		{ScopeDevicePrefix + "ABC", false, "ABC", false, nil},
		{ScopeAPI + " " + ScopeDevicePrefix + "a+b/c=", false, "a+b/c=", true, nil}, // base64 device IDs of the Rust SDK
		{ScopeUnstableAPI + " " + ScopeUnstableDevicePrefix + "OLD", true, "OLD", true, nil},
		{ScopeUnstableAPI + " " + ScopeUnstableDevicePrefix + "OLD", false, "", false, ErrNoDeviceScope},
		{"openid " + ScopeAPI, false, "", false, ErrNoDeviceScope},
		{"", false, "", false, ErrNoDeviceScope},
		{ScopeDevicePrefix, false, "", false, ErrNoDeviceScope},
		{ScopeDevicePrefix + "A " + ScopeDevicePrefix + "B", false, "", false, ErrTwoDeviceScopes},
		{ScopeAPI + "  " + ScopeDevicePrefix + "A", false, "", false, ErrScopeSyntax},
		{ScopeDevicePrefix + "A\"B", false, "", false, ErrScopeSyntax},
		{ScopeDevicePrefix + "A ", false, "", false, ErrScopeSyntax},
	}
	for _, tc := range cases {
		sc, err := ParseScope(tc.scope, tc.unstable)
		if !errors.Is(err, tc.err) || (tc.err == nil && err != nil) {
			t.Errorf("%q: error %v, want %v", tc.scope, err, tc.err)
			continue
		}
		if err == nil && (sc.DeviceID != tc.device || sc.API != tc.api) {
			t.Errorf("%q: got %+v", tc.scope, sc)
		}
	}
}

func TestDeviceAuthorizationErrors(t *testing.T) {
	h := newHarness(t, PresetMAS(), 5)
	cases := []struct {
		name   string
		ct     string
		body   string
		status int
		errc   string
	}{
		{"missing device scope", ContentTypeForm, "client_id=" + h.clientID + "&scope=openid+" + QueryEscape(ScopeAPI), 400, ErrorInvalidScope},
		{"no scope", ContentTypeForm, "client_id=" + h.clientID, 400, ErrorInvalidScope},
		{"two devices", ContentTypeForm, "client_id=" + h.clientID + "&scope=" + QueryEscape(ScopeDevicePrefix+"A "+ScopeDevicePrefix+"B"), 400, ErrorInvalidScope},
		{"no client", ContentTypeForm, "scope=" + QueryEscape(testScope("A")), 401, ErrorInvalidClient},
		{"unknown client", ContentTypeForm, "client_id=nobody&scope=" + QueryEscape(testScope("A")), 401, ErrorInvalidClient},
		{"JSON body", ContentTypeJSON, `{"client_id":"x"}`, 400, ErrorInvalidRequest},
		{"duplicate parameter", ContentTypeForm, "client_id=" + h.clientID + "&client_id=" + h.clientID + "&scope=" + QueryEscape(testScope("A")), 400, ErrorInvalidRequest},
		{"bad escape", ContentTypeForm, "client_id=%zz", 400, ErrorInvalidRequest},
	}
	for _, tc := range cases {
		r := h.do(0, "POST", PathDeviceAuthorization, tc.ct, []byte(tc.body))
		if got := outcome(t, r); got != strconv.Itoa(tc.status)+" "+tc.errc {
			t.Errorf("%s: got %s, want %d %s", tc.name, got, tc.status, tc.errc)
		}
	}
	// A client registered without the device code grant.
	reg := h.do(0, "POST", PathRegistration, ContentTypeJSON, []byte(`{"token_endpoint_auth_method":"none","grant_types":["authorization_code"]}`))
	var out struct {
		ClientID string `json:"client_id"`
	}
	_ = json.Unmarshal(reg.Body, &out)
	r := h.do(0, "POST", PathDeviceAuthorization, ContentTypeForm, EncodeForm("client_id", out.ClientID, "scope", testScope("A")))
	if got := outcome(t, r); got != "401 unauthorized_client" {
		t.Errorf("client without the grant type: %s", got)
	}
	// With RequireAPIScope the API token is mandatory.
	cfg := PresetRFC8628()
	cfg.RequireAPIScope = true
	h2 := newHarness(t, cfg, 5)
	if r, _ := h2.authorize(0, ScopeDevicePrefix+"A"); outcome(t, r) != "400 invalid_scope" {
		t.Errorf("RequireAPIScope: %s", r.Body)
	}
}

func TestTokenEndpointErrors(t *testing.T) {
	h := newHarness(t, PresetRFC8628(), 9)
	_, da := h.authorize(0, testScope("DEV1"))
	other := h.register(0)
	cases := []struct {
		name string
		ct   string
		body []byte
		want string
	}{
		{"unknown code", ContentTypeForm, EncodeForm("grant_type", GrantTypeDeviceCode, "device_code", "nope", "client_id", h.clientID), "400 invalid_grant"},
		{"another client's code", ContentTypeForm, EncodeForm("grant_type", GrantTypeDeviceCode, "device_code", da.DeviceCode, "client_id", other), "400 invalid_grant"},
		{"no device code", ContentTypeForm, EncodeForm("grant_type", GrantTypeDeviceCode, "client_id", h.clientID), "400 invalid_request"},
		{"no grant type", ContentTypeForm, EncodeForm("device_code", da.DeviceCode, "client_id", h.clientID), "400 invalid_request"},
		{"authorization code grant", ContentTypeForm, EncodeForm("grant_type", "authorization_code", "code", "x", "client_id", h.clientID), "400 unsupported_grant_type"},
		{"no client", ContentTypeForm, EncodeForm("grant_type", GrantTypeDeviceCode, "device_code", da.DeviceCode), "401 invalid_client"},
		{"not a form", "text/plain", []byte("grant_type=x"), "400 invalid_request"},
		{"no content type", "", EncodeForm("grant_type", GrantTypeDeviceCode, "device_code", da.DeviceCode, "client_id", h.clientID), "400 invalid_request"},
	}
	for _, tc := range cases {
		if got := outcome(t, h.do(1, "POST", PathToken, tc.ct, tc.body)); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.name, got, tc.want)
		}
	}
	if r := h.do(1, "GET", PathToken, "", nil); r.Status != 405 || r.Header.Get("Allow") != "POST" {
		t.Errorf("GET token: %d %v", r.Status, r.Header)
	}
	// A Content-Type with parameters and another case is still a form.
	r := h.do(5000, "POST", PathToken, "Application/X-WWW-Form-Urlencoded; charset=UTF-8",
		EncodeForm("grant_type", GrantTypeDeviceCode, "device_code", da.DeviceCode, "client_id", h.clientID))
	if got := outcome(t, r); got != "400 authorization_pending" {
		t.Errorf("form with parameters: %s", got)
	}
	// The other client's poll did not count as a poll of this grant.
	if g, _ := h.srv.Grant(da.DeviceCode); g.Polls != 1 {
		t.Errorf("polls = %d, want 1", g.Polls)
	}
}

func TestMetadata(t *testing.T) {
	for _, name := range PresetNames() {
		cfg, _ := Preset(name)
		srv, _ := New(cfg, seeded.Stream(1))
		for _, p := range []string{PathOpenIDConfiguration, PathASMetadata} {
			r, _ := srv.Handle(0, &Request{Method: "GET", Path: "/" + p})
			if r.Status != 200 {
				t.Fatalf("%s %s: %d", name, p, r.Status)
			}
			var m map[string]any
			if err := json.Unmarshal(r.Body, &m); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			for _, f := range []string{"issuer", "authorization_endpoint", "token_endpoint", "revocation_endpoint",
				"device_authorization_endpoint", "response_types_supported", "grant_types_supported", "code_challenge_methods_supported"} {
				if _, ok := m[f]; !ok {
					t.Errorf("%s: metadata lacks %s", name, f)
				}
			}
			if m["issuer"] != cfg.Issuer {
				t.Errorf("%s: issuer %v", name, m["issuer"])
			}
			if _, ok := m["registration_endpoint"]; ok != cfg.DynamicRegistration {
				t.Errorf("%s: registration_endpoint present %v", name, ok)
			}
			gts, _ := m["grant_types_supported"].([]any)
			has := map[any]bool{}
			for _, g := range gts {
				has[g] = true
			}
			for _, g := range []string{GrantTypeDeviceCode, GrantTypeAuthorizationCode, GrantTypeRefreshToken} {
				if !has[g] {
					t.Errorf("%s: grant_types_supported lacks %s", name, g)
				}
			}
		}
	}
}

func TestRegistration(t *testing.T) {
	srv, _ := New(PresetMAS(), seeded.Stream(1))
	do := func(body string) Response {
		r, _ := srv.Handle(0, &Request{Method: "POST", Path: "/" + PathRegistration, Header: Header{{Name: "Content-Type", Value: ContentTypeJSON}}, Body: []byte(body)})
		return r
	}
	r := do(string(RegistrationBody("Element X", "https://element.io/")))
	if r.Status != 201 {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	var out map[string]any
	_ = json.Unmarshal(r.Body, &out)
	id, _ := out["client_id"].(string)
	c, ok := srv.Client(id)
	if !ok || c.Name != "Element X" || !c.allows(GrantTypeDeviceCode) || !c.allows(GrantTypeRefreshToken) {
		t.Errorf("client %+v", c)
	}
	for _, bad := range []string{`{"token_endpoint_auth_method":"client_secret_basic"}`, `{}`, `[1]`, `{"grant_types":"x","token_endpoint_auth_method":"none"}`, `{"token_endpoint_auth_method":"none"} x`} {
		if r := do(bad); r.Status != 400 || !bytes.Contains(r.Body, []byte(ErrorInvalidClientMetadata)) {
			t.Errorf("%s: %d %s", bad, r.Status, r.Body)
		}
	}
	cfg := PresetRFC8628()
	cfg.DynamicRegistration = false
	srv2, _ := New(cfg, seeded.Stream(1))
	if r, _ := srv2.Handle(0, &Request{Method: "POST", Path: "/" + PathRegistration}); r.Status != 404 {
		t.Errorf("registration off: %d", r.Status)
	}
}

func TestConsentPages(t *testing.T) {
	h := newHarness(t, PresetMAS(), 21)
	_, da := h.authorize(0, testScope("DEVX"))
	// Not logged in: sent to the login page, nothing decided.
	_, p := h.browse(1, "GET", pathOf(h.srv.URL(PathLink)), Session{}, nil)
	_, p = h.browse(1, "POST", p.FormAction, Session{}, EncodeForm("code", da.UserCode))
	if p.Kind != PageRedirect {
		t.Fatalf("link: %+v", p)
	}
	_, p = h.browse(1, "GET", pathOf(p.Location), Session{}, nil)
	if p.Kind != PageRedirect || p.Error != "login-required" || !strings.Contains(p.Location, "/login?next=") {
		t.Fatalf("consent while logged out: %+v", p)
	}
	// The attacker's account may approve: the token is bound to whoever
	// consented (the threat of signing the victim into the attacker's
	// account).
	mallory := Session{UserID: "@mallory:lab.example", Browser: "m"}
	consent := h.openVerification(2, da, mallory)
	if consent.Kind != PageConsent || consent.UserID != mallory.UserID {
		t.Fatalf("consent: %+v", consent)
	}
	// The HTML shows what the data says.
	resp, _ := h.browse(2, "GET", consent.FormAction, mallory, nil)
	for _, want := range []string{mallory.UserID, da.UserCode, "DEVX", `value="consent"`, `value="reject"`} {
		if !bytes.Contains(resp.Body, []byte(want)) {
			t.Errorf("consent HTML lacks %q:\n%s", want, resp.Body)
		}
	}
	if resp.Header.Get("Content-Type") != ContentTypeHTML {
		t.Errorf("content type %q", resp.Header.Get("Content-Type"))
	}
	if p := h.decide(3, consent, "maybe", mallory); p.Kind != PageError || p.Error != "bad-action" {
		t.Errorf("bad action: %+v", p)
	}
	h.decide(3, consent, ActionConsent, mallory)
	r := h.poll(4, da.DeviceCode)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.Unmarshal(r.Body, &tok)
	info, ok := h.srv.Introspect(4, tok.AccessToken)
	if !ok || !info.Active || info.UserID != mallory.UserID || info.DeviceID != "DEVX" || !info.APIScope {
		t.Errorf("introspection %+v", info)
	}
	if info, _ := h.srv.Introspect(4+h.srv.cfg.AccessTokenTTL+1, tok.AccessToken); info.Active || !info.Expired {
		t.Errorf("introspection after TTL %+v", info)
	}
	// Unknown consent IDs.
	if _, p := h.browse(5, "GET", "/"+PathConsent+"nothing", alice, nil); p.Kind != PageError || p.Error != "unknown" {
		t.Errorf("unknown grant: %+v", p)
	}
}

func TestPhishingProviderHidesDetails(t *testing.T) {
	h := newHarness(t, PresetPhishingOP(), 4)
	_, da := h.authorize(0, testScope("VICTIMDEV"))
	consent := h.openVerification(1, da, alice)
	if consent.Kind != PageConsent || consent.UserCode != "" || consent.DeviceID != "" {
		t.Fatalf("phishing consent page shows %+v", consent)
	}
	resp, _ := h.browse(1, "GET", consent.FormAction, alice, nil)
	if bytes.Contains(resp.Body, []byte(da.UserCode)) || bytes.Contains(resp.Body, []byte("VICTIMDEV")) {
		t.Errorf("phishing HTML shows the code or device:\n%s", resp.Body)
	}
}

func TestLinkAttemptLimit(t *testing.T) {
	h := newHarness(t, PresetMAS(), 8)
	_, da := h.authorize(0, testScope("D"))
	link := pathOf(h.srv.URL(PathLink))
	for i := range 10 {
		if _, p := h.browse(1, "POST", link, alice, EncodeForm("code", "ZZZZZZ")); p.Error != "invalid" {
			t.Fatalf("attempt %d: %+v", i, p)
		}
	}
	// The eleventh attempt is refused before the code is looked up, even a
	// right one.
	r, p := h.browse(1, "POST", link, alice, EncodeForm("code", da.UserCode))
	if p.Error != "rate-limited" || r.Status != 429 {
		t.Errorf("over the limit: %d %+v", r.Status, p)
	}
	// Another browser is not limited.
	if _, p := h.browse(1, "POST", link, Session{UserID: alice.UserID, Browser: "laptop"}, EncodeForm("code", da.UserCode)); p.Kind != PageRedirect {
		t.Errorf("other browser: %+v", p)
	}
}

func TestAutofillOffIgnoresQueryCode(t *testing.T) {
	h := newHarness(t, PresetMAS(), 8) // verification_uri_complete off
	_, da := h.authorize(0, testScope("D"))
	_, p := h.browse(1, "GET", pathOf(h.srv.URL(PathLink))+"?code="+da.UserCode, alice, nil)
	if p.Kind != PageEnterCode || p.Error != "" {
		t.Errorf("auto-fill off: %+v", p)
	}
}

func TestRefreshAndRevoke(t *testing.T) {
	h := newHarness(t, PresetMAS(), 12)
	_, da := h.authorize(0, testScope("D1"))
	h.decide(2, h.openVerification(1, da, alice), ActionConsent, alice)
	r := h.poll(3, da.DeviceCode)
	var tok struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	_ = json.Unmarshal(r.Body, &tok)
	if tok.RefreshToken == "" || !strings.HasPrefix(tok.RefreshToken, "mar_") {
		t.Fatalf("refresh token %q", tok.RefreshToken)
	}
	refresh := func(rt string) Response {
		return h.do(10, "POST", PathToken, ContentTypeForm, EncodeForm("grant_type", GrantTypeRefreshToken, "refresh_token", rt, "client_id", h.clientID))
	}
	r2 := refresh(tok.RefreshToken)
	if outcome(t, r2) != "200 token" {
		t.Fatalf("refresh: %s", r2.Body)
	}
	if info, _ := h.srv.Introspect(10, tok.AccessToken); info.Active {
		t.Errorf("old access token still active after refresh")
	}
	if got := outcome(t, refresh(tok.RefreshToken)); got != "400 invalid_grant" {
		t.Errorf("reused refresh token: %s", got)
	}
	var tok2 struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.Unmarshal(r2.Body, &tok2)
	if info, _ := h.srv.Introspect(10, tok2.AccessToken); !info.Active || info.DeviceID != "D1" {
		t.Errorf("new token %+v", info)
	}
	rv := h.do(11, "POST", PathRevocation, ContentTypeForm, EncodeForm("token", tok2.AccessToken, "client_id", h.clientID))
	if rv.Status != 200 {
		t.Errorf("revoke: %d", rv.Status)
	}
	if info, _ := h.srv.Introspect(11, tok2.AccessToken); info.Active || !info.Revoked {
		t.Errorf("revoked token %+v", info)
	}
	if n := h.srv.IssuanceCount(); n != 2 {
		t.Errorf("issuances %d, want 2", n)
	}
}

func TestSweepForgetsEndedGrants(t *testing.T) {
	h := newHarness(t, PresetRFC8628(), 3)
	_, a := h.authorize(0, testScope("A"))
	_, b := h.authorize(0, testScope("B"))
	h.decide(2, h.openVerification(1, a, alice), ActionConsent, alice)
	h.poll(3, a.DeviceCode)
	fx := h.srv.Sweep(h.srv.cfg.ExpiresIn+Minute+1, Minute)
	if len(fx) != 1 || fx[0].Kind != EffectExpired {
		t.Errorf("sweep effects %+v", fx)
	}
	if len(h.srv.Grants()) != 0 {
		t.Errorf("grants left: %d", len(h.srv.Grants()))
	}
	if got := outcome(t, h.poll(h.srv.cfg.ExpiresIn+Minute+2, b.DeviceCode)); got != "400 invalid_grant" {
		t.Errorf("forgotten code: %s", got)
	}
}

func TestDeterminism(t *testing.T) {
	run := func() []byte {
		h := newHarness(t, PresetRFC8628(), 99)
		var all []byte
		for i := range 5 {
			r, da := h.authorize(Millis(i)*Second, testScope("D"+strconv.Itoa(i)))
			all = append(all, r.Body...)
			p := h.openVerification(Millis(i)*Second+1, da, alice)
			h.decide(Millis(i)*Second+2, p, ActionConsent, alice)
			all = append(all, h.poll(Millis(i)*Second+3, da.DeviceCode).Body...)
		}
		return all
	}
	if a, b := run(), run(); !bytes.Equal(a, b) {
		t.Errorf("two runs differ")
	}
}

func TestFormParsing(t *testing.T) {
	f, err := ParseForm([]byte("a=1&b=x+y%21&&c&d="))
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range [][2]string{{"a", "1"}, {"b", "x y!"}, {"c", ""}, {"d", ""}} {
		if v, ok := f.Get(kv[0]); !ok || v != kv[1] {
			t.Errorf("%s = %q, %v", kv[0], v, ok)
		}
	}
	for _, bad := range []string{"a=%", "a=%4", "a=%g0", "a=1&a=2", "a=%ff"} {
		if _, err := ParseForm([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if f, err := ParseForm([]byte("x=1&&&&y")); err != nil || f.Len() != 2 {
		t.Errorf("empty pairs: %v, %d parameters", err, f.Len())
	}
	var many []string
	for i := range 17 {
		many = append(many, "p"+strconv.Itoa(i), "v")
	}
	if _, err := ParseForm(EncodeForm(many...)); !errors.Is(err, ErrTooManyParams) {
		t.Errorf("17 parameters: %v", err)
	}
	if got := string(EncodeForm("scope", "openid urn:matrix:client:api:*")); got != "scope=openid+urn%3Amatrix%3Aclient%3Aapi%3A%2A" {
		t.Errorf("EncodeForm: %s", got)
	}
	if s, err := PathUnescape("a%2Fb+c"); err != nil || s != "a/b+c" {
		t.Errorf("PathUnescape: %q %v", s, err)
	}
}

// constantReader is a broken random stream: the same byte forever.
type constantReader byte

func (c constantReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(c)
	}
	return len(p), nil
}

func TestBrokenRandomStream(t *testing.T) {
	// 0xff is refused by rejection sampling for most alphabets: the
	// provider must answer server_error rather than hang.
	srv, _ := New(PresetMAS(), constantReader(0xff))
	srv.clients["c"] = &Client{ID: "c", Static: true}
	r, _ := srv.Handle(0, &Request{Method: "POST", Path: "/" + PathDeviceAuthorization,
		Header: wire.NewHeader("Content-Type", ContentTypeForm), Body: EncodeForm("client_id", "c", "scope", testScope("D"))})
	if got := outcome(t, r); got != "500 server_error" {
		t.Errorf("constant 0xff stream: %s", got)
	}
	// A constant 0 stream yields codes, but the same ones every time: the
	// second grant cannot get a fresh device code.
	srv, _ = New(PresetMAS(), constantReader(0))
	srv.clients["c"] = &Client{ID: "c", Static: true}
	var outs []string
	for range 2 {
		r, _ := srv.Handle(0, &Request{Method: "POST", Path: "/" + PathDeviceAuthorization,
			Header: wire.NewHeader("Content-Type", ContentTypeForm), Body: EncodeForm("client_id", "c", "scope", testScope("D"))})
		outs = append(outs, strconv.Itoa(r.Status))
	}
	if outs[0] != "200" || outs[1] != "500" {
		t.Errorf("constant 0 stream: %v", outs)
	}
}

// TestPreparedProviders: providers made from one Prepared answer byte for
// byte as New's do, and share no state: a client registered and a grant
// started at one are unknown to the other.
func TestPreparedProviders(t *testing.T) {
	for _, name := range PresetNames() {
		cfg, err := Preset(name)
		if err != nil {
			t.Fatal(err)
		}
		p, err := Prepare(cfg)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var hs [3]*harness
		for i := range hs {
			srv, err := New(cfg, seeded.Stream(5))
			if i > 0 {
				srv, err = p.New(seeded.Stream(5))
			}
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			hs[i] = &harness{t: t, srv: srv}
		}
		hs[2].clientID = hs[2].register(0)
		var answers [2][]string
		for i, h := range hs[:2] {
			h.clientID = h.register(0)
			resp, da := h.authorize(10, testScope("DEV"))
			answers[i] = []string{h.clientID, string(resp.Body), string(h.poll(20, da.DeviceCode).Body), string(h.do(30, "GET", PathASMetadata, "", nil).Body)}
			if i == 1 {
				if got := hs[2].poll(20, da.DeviceCode); !strings.Contains(string(got.Body), ErrorInvalidGrant) {
					t.Errorf("%s: a grant of one prepared provider polled at another: %d %s", name, got.Status, got.Body)
				}
			}
		}
		if !slices.Equal(answers[0], answers[1]) {
			t.Errorf("%s: New and Prepared.New answer differently:\n%q\n%q", name, answers[0], answers[1])
		}
	}
	if _, err := Prepare(Config{}); !errors.Is(err, ErrConfig) {
		t.Errorf("Prepare of an empty configuration: %v", err)
	}
	if _, err := (&Prepared{}).New(nil); !errors.Is(err, ErrConfig) {
		t.Errorf("a nil random stream: %v", err)
	}
}
