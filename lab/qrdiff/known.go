package qrdiff

import "strings"

// Known is a departure of another decoder from the model that is
// understood: where it comes from and why it is not a new finding.
type Known struct {
	Name   string `json:"name"`
	Source string `json:"source"`
	Why    string `json:"why"`
}

type knownRule struct {
	Known
	match func(f *Finding) bool
}

// rustSDK is the source of the decoder in the pinned wasm package, read at
// the commit named; the adapter's answers for wasm 18.9.0 agree with it on
// every class below.
const rustSDK = "matrix-org/matrix-rust-sdk crates/matrix-sdk-crypto/src/types/qr_login/"

const rustCommit = " at commit 64b12e0b808969c284c94f0ea239f37d6746d6e2"

// knownRules is the table of known departures of the wasm decoder
// (@matrix-org/matrix-sdk-crypto-wasm 18.9.0 through qrdiff.mjs). Each was
// found by simrun fuzz-qr and explained by reading the source named.
var knownRules = []knownRule{
	{
		Known: Known{
			Name: "wasm-ignores-trailing-bytes",
			Source: rustSDK + "msc_4108.rs and msc_4388.rs QrCodeData::from_bytes (read through a Cursor, never check that it " +
				"reached the end)" + rustCommit + "; model/qr doc.go (no trailing-bytes tolerance)",
			Why: "the wasm reads the fields and ignores whatever follows them; the model refuses bytes after the last field",
		},
		match: func(f *Finding) bool {
			if !strings.HasPrefix(f.Class, "model refuses (payload: trailing bytes), peer reads ") {
				return false
			}
			// The peer's reading must be the model's reading of a prefix,
			// up to the URL normalisation of wasm-parses-urls.
			for k := len(f.Payload) - 1; k > 0; k-- {
				if m := ModelDecode(f.Payload[:k]); m.OK {
					c := classify(m, f.Peer)
					return c == "" || urlFieldsOnly(c)
				}
			}
			return false
		},
	},
	{
		Known: Known{
			Name: "wasm-parses-urls",
			Source: rustSDK + "msc_4108.rs:159 and msc_4388.rs:144 (Url::parse of the rendezvous URL and the base URL)" + rustCommit +
				"; model/qr doc.go (\"URLs are not parsed: the codec checks only the bytes\") and url.go (CheckURL: what it leaves unchecked)",
			Why: "the wasm parses both URLs: it refuses what the URL parser rejects beyond the model's qr.url_check " +
				"(hosts after IDNA or percent-decoding, IPv4 and IPv6 literals, non-special schemes) " +
				"and returns the others normalised (lower-case scheme and host, default port dropped, \"/\" path); " +
				"the model keeps the bytes as they are",
		},
		match: func(f *Finding) bool {
			return strings.Contains(f.Class, "peer refuses: One of the URLs in the QR code data could not be parsed") ||
				urlFieldsOnly(f.Class)
		},
	},
	{
		Known: Known{
			Name: "wasm-knows-two-layouts",
			Source: rustSDK + "mod.rs QrCodeData::from_bytes (\"MATRIX\" goes to msc_4108, anything else to msc_4388), " +
				"msc_4108.rs (VERSION 0x02 only), msc_4388.rs (PREFIX IO_ELEMENT_MSC4388, TYPE 0x03, u16 ID length)" + rustCommit,
			Why: "the wasm decodes msc4108-2024 and msc4388-2025-unstable under IO_ELEMENT_MSC4388 only; the model also " +
				"reads the stable and later layouts (msc4388-2025, msc4388, msc4388-unstable, msc4388-bytes8) and the " +
				"2025 text's IO_ELEMENT_MSC4108 prefix, which the wasm refuses",
		},
		match: func(f *Finding) bool {
			return f.Model.OK && !f.Peer.OK && f.Model.Fields.Format != "msc4108-2024" && f.Model.Fields.Format != "msc4388-2025-unstable"
		},
	},
	{
		Known: Known{
			Name:   "model-id-grammar",
			Source: rustSDK + "msc_4388.rs:136 (the rendezvous ID is any UTF-8, empty too)" + rustCommit + "; model/qr doc.go (opaque identifier, 1 to 255 bytes of [A-Za-z0-9._~-])",
			Why:    "the model refuses a rendezvous ID outside the opaque-identifier grammar or empty; the wasm takes any UTF-8 string",
		},
		match: func(f *Finding) bool {
			return strings.HasPrefix(f.Class, "model refuses (rendezvous_id: ") && f.Peer.OK
		},
	},
	{
		Known: Known{
			Name:   "model-server-name-nonempty",
			Source: rustSDK + "msc_4108.rs:166-171 (the server name is any UTF-8, empty too)" + rustCommit + "; model/qr doc.go (every length-prefixed string is non-empty)",
			Why:    "the model refuses an empty server name in a reciprocate payload; the wasm reads it as \"\"",
		},
		match: func(f *Finding) bool {
			return strings.HasPrefix(f.Class, "model refuses (server_name: empty field), peer reads")
		},
	},
}

// match returns the known departure f is, or nil.
func match(f *Finding) *Known {
	for i := range knownRules {
		if knownRules[i].match(f) {
			return &knownRules[i].Known
		}
	}
	return nil
}

// urlFieldsOnly reports whether class is two readings that differ in one
// URL field only.
func urlFieldsOnly(class string) bool {
	return strings.HasSuffix(class, "fields differ: rendezvous_url") || strings.HasSuffix(class, "fields differ: base_url")
}
