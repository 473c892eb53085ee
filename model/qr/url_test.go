package qr

import (
	"errors"
	"strings"
	"testing"
)

// CheckURL refuses what a WHATWG URL parser refuses for the reasons it
// checks, and lets through what such a parser accepts (including URLs it
// would normalise, and the cases it leaves unchecked).
func TestCheckURL(t *testing.T) {
	for _, c := range []struct {
		url  string
		want string // "" accepted, else a substring of the reason
	}{
		{"https://rendezvous.example.org/abc", ""},
		{"HTTPS://Example.ORG:443", ""},
		{" https://example.org\t/x\n ", ""},
		{`https:\\example.org`, ""},
		{"http:example.org", ""},
		{"https://user:pw@example.org:8448/x?y#z", ""},
		{"https://[::1]:8008/", ""},
		{"https://bücher.example/", ""},
		{"https://a%41.example/", ""},
		{"x:", ""},
		{"matrix:r/room", ""},
		{"\x00", "empty"},
		{"", "empty"},
		{"/_matrix/client", "relative"},
		{"example.org/x", "relative"},
		{"1http://x", "relative"},
		{"https://", "empty host"},
		{"https:///x", ""}, // slashes skipped: host x
		{"https://:80/", "empty host"},
		{"https://example.org:99999/", "over 65535"},
		{"https://example.org:8a/", "not a number"},
		{"https://exa mple.org/", "forbidden"},
		{"https://exa<mple.org/", "forbidden"},
		{"https://ex\x00ample.org/", "forbidden"},
	} {
		got := CheckURL(c.url)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("CheckURL(%q) = %q, want %q", c.url, got, c.want)
		}
	}
}

// CheckURLs checks the URL of the payload's format and says which field.
func TestCheckURLs(t *testing.T) {
	p := Payload{Format: Format2024, RendezvousURL: "\x00"}
	err := p.CheckURLs()
	var de *DecodeError
	if !errors.As(err, &de) || de.Field != "rendezvous_url" || !errors.Is(err, KindBadURL) {
		t.Fatalf("2024 payload with URL \\x00: %v", err)
	}
	if !strings.Contains(err.Error(), "rendezvous_url: a URL parser would refuse it: empty") {
		t.Errorf("message %q", err)
	}
	p = Payload{Format: Format2026, RendezvousID: "abc", BaseURL: "https://"}
	if err := p.CheckURLs(); !errors.Is(err, KindBadURL) || !strings.Contains(err.Error(), "base_url") {
		t.Errorf("base URL https://: %v", err)
	}
	p.BaseURL = "https://example.org"
	if err := p.CheckURLs(); err != nil {
		t.Errorf("good base URL: %v", err)
	}
}
