package rendezvous

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"qrlab/model/wire"
)

func TestPresetsValidate(t *testing.T) {
	names := PresetNames()
	if len(names) != 7 {
		t.Fatalf("%d presets: %v", len(names), names)
	}
	for _, n := range names {
		cfg, err := Preset(n)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Name != n {
			t.Errorf("preset %q is named %q", n, cfg.Name)
		}
		if err := cfg.Validate(); err != nil {
			t.Errorf("preset %q: %v", n, err)
		}
	}
	// A flavour name is also a preset name.
	for _, f := range []Flavour{FlavourETag, FlavourSequenceToken2025, FlavourSequenceToken} {
		cfg, err := Preset(f.String())
		if err != nil || cfg.Flavour != f {
			t.Errorf("Preset(%q): %v %v", f, cfg.Flavour, err)
		}
		if g, err := ParseFlavour(f.String()); err != nil || g != f {
			t.Errorf("ParseFlavour(%q): %v %v", f, g, err)
		}
	}
	if _, err := Preset("nope"); !errors.Is(err, ErrConfig) {
		t.Fatalf("unknown preset: %v", err)
	}
	if _, err := ParseFlavour("nope"); !errors.Is(err, ErrConfig) {
		t.Fatalf("unknown flavour: %v", err)
	}
}

func TestValidateRejects(t *testing.T) {
	cases := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"flavour", func(c *Config) { c.Flavour = 0 }, "Flavour"},
		{"no prefixes", func(c *Config) { c.Prefixes = nil }, "Prefixes"},
		{"relative prefix", func(c *Config) { c.Prefixes = []string{"rendezvous"} }, "prefix"},
		{"trailing slash", func(c *Config) { c.Prefixes = []string{"/r/"} }, "prefix"},
		{"empty prefix", func(c *Config) { c.Prefixes = []string{""} }, "prefix"},
		{"root prefix", func(c *Config) { c.Prefixes = []string{"/"} }, "prefix"},
		{"session prefix", func(c *Config) { c.SessionPrefix = "x" }, "prefix"},
		{"base URL", func(c *Config) { c.BaseURL = "example.org" }, "BaseURL"},
		{"max data", func(c *Config) { c.MaxDataBytes = 0 }, "MaxDataBytes"},
		{"max body", func(c *Config) { c.MaxBodyBytes = -1 }, "MaxBodyBytes"},
		{"ttl", func(c *Config) { c.TTL = 0 }, "TTL"},
		{"caps", func(c *Config) { c.SoftCap, c.HardCap = 10, 5 }, "HardCap"},
		{"negative cap", func(c *Config) { c.SoftCap = -1 }, "caps"},
		{"sweep", func(c *Config) { c.SweepInterval = 0 }, "SweepInterval"},
		{"enum", func(c *Config) { c.Token = 9 }, "enumerated"},
		{"idempotency", func(c *Config) { c.Idempotency = IdempotencySameData }, "Idempotency"},
		{"rate limit", func(c *Config) { c.RateLimit = RateLimit{Requests: 1} }, "RateLimit"},
		{"header value", func(c *Config) { c.CacheControl = "no-store\r\nX: y" }, "control"},
		{"txns", func(c *Config) { c.MaxRecordedTxns = -1 }, "MaxRecordedTxns"},
	}
	for _, tc := range cases {
		cfg := PresetETag()
		tc.edit(&cfg)
		err := cfg.Validate()
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v (want an ErrConfig naming %s)", tc.name, err, tc.want)
		}
		if _, err := New(cfg, 0, nil); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: New accepted it", tc.name)
		}
	}
	cfg := PresetSequenceToken2025()
	cfg.ConcurrentWriteErrcode = ""
	if err := cfg.Validate(); !errors.Is(err, ErrConfig) {
		t.Fatalf("empty errcode: %v", err)
	}
}

func TestNewCopiesPrefixes(t *testing.T) {
	cfg := PresetETag()
	s := newTestStore(t, cfg)
	cfg.Prefixes[0] = "/changed"
	if s.Config().Prefixes[0] != StablePrefix {
		t.Fatal("the store shares the caller's Prefixes slice")
	}
}

func TestHeader(t *testing.T) {
	h := hdr("Content-Type", "a", "X-Two", "1", "x-two", "2")
	if h.Get("content-type") != "a" || h.Get("CONTENT-TYPE") != "a" || h.Get("Content-Typ") != "" {
		t.Fatal("Get is not case-insensitive")
	}
	if h.Count("X-TWO") != 2 || strings.Join(h.Values("x-two"), ",") != "1,2" {
		t.Fatalf("Count/Values: %d %v", h.Count("X-TWO"), h.Values("x-two"))
	}
	h.Set("X-Two", "3")
	if h.Count("x-two") != 1 || h.Get("x-two") != "3" || len(h) != 2 {
		t.Fatalf("Set: %v", h)
	}
	h.Set("New", "v")
	if h.Get("new") != "v" {
		t.Fatal("Set of a new name")
	}
	if _, ok := h.Lookup("missing"); ok {
		t.Fatal("Lookup of a missing name")
	}
}

func TestEffectKindNames(t *testing.T) {
	seen := map[string]bool{}
	for k := EffectCreated; k <= EffectRateLimited; k++ {
		n := k.String()
		if n == "effect(?)" || seen[n] {
			t.Fatalf("kind %d named %q", k, n)
		}
		seen[n] = true
	}
	if EffectKind(0).String() != "effect(?)" || Flavour(9).String() != "flavour(9)" {
		t.Fatal("unknown names")
	}
}

func TestJSONReader(t *testing.T) {
	type want struct {
		err        error
		data, tok  jsonKind
		dataString string
	}
	cases := []struct {
		in string
		want
	}{
		{`{"data":"x"}`, want{nil, jsonString, jsonAbsent, "x"}},
		{` {"data" : "x" , "sequence_token":"1"} `, want{nil, jsonString, jsonString, "x"}},
		{`{"data":1}`, want{nil, jsonNumber, jsonAbsent, ""}},
		{`{"data":-0.5e+7}`, want{nil, jsonNumber, jsonAbsent, ""}},
		{`{"data":[1,{"a":[]}]}`, want{nil, jsonArray, jsonAbsent, ""}},
		{`{"data":{}}`, want{nil, jsonObject, jsonAbsent, ""}},
		{`{"data":null}`, want{nil, jsonNull, jsonAbsent, ""}},
		{`{"data":false}`, want{nil, jsonBool, jsonAbsent, ""}},
		{`{"d\u0061ta":"esc"}`, want{nil, jsonString, jsonAbsent, "esc"}},
		{`{"data":"\u00e9\ud83d\ude00"}`, want{nil, jsonString, jsonAbsent, "é😀"}},
		{`{"other":{"data":"nested"}}`, want{nil, jsonAbsent, jsonAbsent, ""}},
		{`[]`, want{errJSONNotObject, 0, 0, ""}},
		{`"x"`, want{errJSONNotObject, 0, 0, ""}},
		{``, want{errJSONSyntax, 0, 0, ""}},
		{`{`, want{errJSONSyntax, 0, 0, ""}},
		{`{"data":"x",}`, want{errJSONSyntax, 0, 0, ""}},
		{`{"data":"x"}}`, want{errJSONSyntax, 0, 0, ""}},
		{`{"data":01}`, want{errJSONSyntax, 0, 0, ""}},
		{`{"data":1.}`, want{errJSONSyntax, 0, 0, ""}},
		{`{"data":"\x"}`, want{errJSONSyntax, 0, 0, ""}},
		{`{"data":"\ud800"}`, want{errJSONSyntax, 0, 0, ""}},
		{`{"data":"\udc00"}`, want{errJSONSyntax, 0, 0, ""}},
		{`{"data":"\ud800\u0041"}`, want{errJSONSyntax, 0, 0, ""}},
		{"{\"data\":\"\x01\"}", want{errJSONSyntax, 0, 0, ""}},
		{"{\"data\":\"\xff\"}", want{errJSONSyntax, 0, 0, ""}},
		{`{"data":tru}`, want{errJSONSyntax, 0, 0, ""}},
		{`{'data':"x"}`, want{errJSONSyntax, 0, 0, ""}},
		{"\ufeff{}", want{errJSONSyntax, 0, 0, ""}},
		{strings.Repeat("[", 128) + strings.Repeat("]", 128), want{errJSONNotObject, 0, 0, ""}},
		{strings.Repeat("[", 129) + strings.Repeat("]", 129), want{errJSONDepth, 0, 0, ""}},
		{`{"a":` + strings.Repeat("[", 127) + strings.Repeat("]", 127) + `}`, want{nil, jsonAbsent, jsonAbsent, ""}},
		{`{"a":` + strings.Repeat("[", 128) + strings.Repeat("]", 128) + `}`, want{errJSONDepth, 0, 0, ""}},
	}
	for _, tc := range cases {
		var d, tok jsonField
		err := parseJSONObject([]byte(tc.in), "data", "sequence_token", &d, &tok, false)
		if err != tc.err {
			t.Errorf("%.40q: err %v, want %v", tc.in, err, tc.err)
			continue
		}
		if err != nil {
			continue
		}
		if d.kind != tc.data || tok.kind != tc.tok || string(d.str) != tc.dataString {
			t.Errorf("%.40q: data %d %q tok %d", tc.in, d.kind, d.str, tok.kind)
		}
		// Where the reader accepts, encoding/json must agree on the value.
		var m map[string]any
		if err := json.Unmarshal([]byte(tc.in), &m); err != nil {
			t.Errorf("%.40q: encoding/json refuses what the reader accepted: %v", tc.in, err)
		} else if s, ok := m["data"].(string); ok && s != string(d.str) {
			t.Errorf("%.40q: encoding/json reads %q", tc.in, s)
		}
	}
	var d jsonField
	if err := parseJSONObject([]byte(`{"data":"a","data":"b"}`), "data", "", &d, nil, true); err != errJSONDuplicate {
		t.Fatalf("duplicate: %v", err)
	}
	// A refused duplicate is refused before its value is read, so it wins
	// over a syntax error in that value.
	if err := parseJSONObject([]byte(`{"data":"a","data":}`), "data", "", &d, nil, true); err != errJSONDuplicate {
		t.Fatalf("duplicate before a bad value: %v", err)
	}
	// Without rejectDup the last occurrence wins, whatever its type.
	if err := parseJSONObject([]byte(`{"data":"a","data":2}`), "data", "", &d, nil, false); err != nil || d.kind != jsonNumber {
		t.Fatalf("last occurrence: %v %d", err, d.kind)
	}
	// A string without escapes aliases the body; one with escapes is a copy.
	body := []byte(`{"data":"plain","sequence_token":"t\u0031"}`)
	var tok jsonField
	if err := parseJSONObject(body, "data", "sequence_token", &d, &tok, false); err != nil {
		t.Fatal(err)
	}
	if d.owned || &d.str[0] != &body[9] || !tok.owned || string(tok.str) != "t1" {
		t.Fatalf("owned: data %v %q, token %v %q", d.owned, d.str, tok.owned, tok.str)
	}
}

func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"", "abc", "\"\\/\n\r\t\b\f\x00\x1f", "é😀\u2028", "\x7f"} {
		out := wire.AppendBytes(nil, []byte(s))
		var back string
		if err := json.Unmarshal(out, &back); err != nil || back != s {
			t.Errorf("%q → %s → %q %v", s, out, back, err)
		}
		out = wire.AppendString(nil, s)
		if err := json.Unmarshal(out, &back); err != nil || back != s {
			t.Errorf("AppendString %q → %s → %q %v", s, out, back, err)
		}
	}
}
