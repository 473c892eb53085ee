package qr

import (
	"strconv"
	"strings"
)

// specialSchemes are the schemes a URL parser of the WHATWG URL standard
// treats as special (file aside): they need a host.
var specialSchemes = [...]string{"http", "https", "ws", "wss", "ftp"}

// CheckURL says why a URL parser of the WHATWG URL standard (the Rust url
// crate's Url::parse, which the Rust SDK runs on the QR code's URLs) would
// refuse s, or "" when it would not for any reason checked here: after the
// parser's own clean-up (leading and trailing C0 controls and spaces cut,
// tab, CR and LF removed), no scheme (a relative URL, with no base to
// resolve against); for http, https, ws, wss and ftp, an empty host, a
// host with a forbidden ASCII code point, or a port that is not a number up
// to 65535. It only refuses: it neither normalises nor checks hosts with
// non-ASCII or percent-encoded bytes (IDNA), IPv4 or IPv6 literals, or
// non-special schemes, which the parser may still refuse.
func CheckURL(s string) string {
	s = strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
	s = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, s)
	if s == "" {
		return "empty"
	}
	colon := strings.IndexByte(s, ':')
	if colon <= 0 || !isScheme(s[:colon]) {
		return "relative URL (no scheme)"
	}
	scheme := strings.ToLower(s[:colon])
	special := false
	for _, sp := range specialSchemes {
		special = special || scheme == sp
	}
	if !special {
		return ""
	}
	rest := strings.TrimLeft(s[colon+1:], `/\`)
	if i := strings.IndexAny(rest, `/\?#`); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.LastIndexByte(rest, '@'); i >= 0 {
		rest = rest[i+1:]
	}
	if strings.HasPrefix(rest, "[") {
		return "" // an IPv6 literal: not checked
	}
	host, port := rest, ""
	if i := strings.LastIndexByte(rest, ':'); i >= 0 {
		host, port = rest[:i], rest[i+1:]
	}
	if bad := checkPort(port); bad != "" {
		return bad
	}
	if host == "" {
		return "empty host"
	}
	if strings.Contains(host, "%") {
		return "" // percent-decoded before the host check: not checked
	}
	for i := 0; i < len(host); i++ {
		if c := host[i]; c < 0x80 && (c <= ' ' || c == 0x7f || strings.IndexByte(`#/:<>?@[\]^|`, c) >= 0) {
			return "host has the forbidden code point " + strconv.QuoteRune(rune(c))
		}
	}
	return ""
}

func isScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		letter := c >= 'a' && c <= 'z'
		if !letter && (i == 0 || !(s[i] >= '0' && s[i] <= '9' || s[i] == '+' || s[i] == '-' || s[i] == '.')) {
			return false
		}
	}
	return true
}

func checkPort(p string) string {
	n := 0
	for i := 0; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return "port " + strconv.Quote(p) + " is not a number"
		}
		if n = n*10 + int(p[i]-'0'); n > 65535 {
			return "port " + strconv.Quote(p) + " is over 65535"
		}
	}
	return ""
}

// CheckURLs applies CheckURL to the payload's URL: the rendezvous URL
// (Format2024) or the base URL (type-0x03 formats). It returns a
// *DecodeError of kind KindBadURL (offset unknown, -1) saying why.
func (p Payload) CheckURLs() error {
	field, u := "base_url", p.BaseURL
	if p.Format == Format2024 {
		field, u = "rendezvous_url", p.RendezvousURL
	}
	if why := CheckURL(u); why != "" {
		return &DecodeError{Format: p.Format, Field: field, Offset: -1, Kind: KindBadURL, detail: why}
	}
	return nil
}
