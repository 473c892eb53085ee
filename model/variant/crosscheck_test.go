package variant

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"

	"qrlab/model/qr"
)

// QR vectors as the sources print them (data, not prose): the examples of
// the MSC4108 text of June 2024 (87f8317) and of the MSC4388 text 726e115,
// and the test vectors of matrix-rust-sdk main (64b12e0b, u16 ID length) and
// of its pull request #6173 (0ae11bd2, u8 ID length), both in
// crates/matrix-sdk-crypto/src/types/qr_login/msc_4388.rs.
const (
	xcheckKey = "2IZoarIZe3gOMAqdSiFHSAcA15KfOasxueUUNwJI7Ws"
	xcheckID  = "e8da6355-550b-4a32-a193-1619d9830668"

	text2024Hex = "4D415452495802 03" +
		" d886686ab2197b780e300a9d4a2147480700d7929f39ab31b9e514370248ed6b 0047" +
		" 68747470733a2f2f72656e64657a766f75732e6c61622e656c656d656e742e6465762f" +
		"65386461363335352d353530622d346133322d613139332d313631396439383330363638"
	text2026Hex = "4D4154524958 03 00" +
		" d886686ab2197b780e300a9d4a2147480700d7929f39ab31b9e514370248ed6b 24" +
		" 65386461363335352D353530622D346133322D613139332D313631396439383330363638" +
		" 0020 68747470733A2F2F6D61747269782D636C69656E742E6d61747269782e6f7267"
	rustMainB64 = "SU9fRUxFTUVOVF9NU0M0Mzg4AwG0yzZ1QVpQ1jlnoxWX3d5jrWRFfELxjS2gN7pz9y+3PAAaMDFIWDlLMDBRMUg2S1BENDdFRzRHMVQzWEcAJGh0dHBzOi8vc3luYXBzZS1vaWRjLmxhYi5lbGVtZW50LmRldg"
	rustPRB64   = "SU9fRUxFTUVOVF9NU0M0Mzg4AwG0yzZ1QVpQ1jlnoxWX3d5jrWRFfELxjS2gN7pz9y+3PBowMUhYOUswMFExSDZLUEQ0N0VHNEcxVDNYRwAkaHR0cHM6Ly9zeW5hcHNlLW9pZGMubGFiLmVsZW1lbnQuZGV2"
)

// qrVector is a source's QR payload and what it says.
type qrVector struct {
	name    string
	payload []byte
	intent  qr.Intent
	id      string // rendezvous ID (type 0x03) or rendezvous URL (2024)
	baseURL string
}

func xhex(s string) []byte {
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		panic("bad vector hex: " + err.Error())
	}
	return b
}

func xb64(s string) []byte {
	b, err := base64.RawStdEncoding.DecodeString(s)
	if err != nil {
		panic("bad vector base64: " + err.Error())
	}
	return b
}

var (
	vText2024 = qrVector{"MSC4108 87f8317 example", xhex(text2024Hex), qr.Login, "https://rendezvous.lab.element.dev/" + xcheckID, ""}
	vText2026 = qrVector{"MSC4388 726e115 example", xhex(text2026Hex), qr.Login, xcheckID, "https://matrix-client.matrix.org"}
	vRustMain = qrVector{"Rust SDK main vector (u16 ID)", xb64(rustMainB64), qr.Reciprocate, "01HX9K00Q1H6KPD47EG4G1T3XG", "https://synapse-oidc.lab.element.dev"}
	vRustPR   = qrVector{"Rust SDK PR #6173 vector (u8 ID)", xb64(rustPRB64), qr.Reciprocate, "01HX9K00Q1H6KPD47EG4G1T3XG", "https://synapse-oidc.lab.element.dev"}
)

// presetQRClaims: for each built-in preset, the source vector its qr.format
// claims to read and write, and a vector of another layout it must refuse.
// A new preset needs an entry.
var presetQRClaims = map[string]struct{ reads, refuses *qrVector }{
	"msc4388-726e115":   {&vText2026, &vRustMain},
	"msc4388-mas":       {&vText2026, &vRustMain},
	"msc4388-vodozemac": {&vText2026, &vRustMain},
	"txn-put":           {&vText2026, &vRustMain},
	"synapse-1.157":     {&vText2026, &vRustMain},
	"rust-sdk-pr6173":   {&vRustPR, &vRustMain},
	"msc4108-2025":      {&vRustMain, &vRustPR},
	"msc4108-2024":      {&vText2024, &vText2026},
	"msc4108-87f8317":   {&vText2024, &vText2026},
	"rust-sdk-main":     {&vText2024, &vText2026},
	"js-sdk-develop":    {&vText2024, &vText2026},
}

// TestPresetQRMatchesItsSource drives every preset's QR layout through the
// vector of the source its provenance cites: the layout decodes it to what
// the source says, encodes it back byte for byte, and refuses the vector
// of the other ID-length layout, so a preset cannot drift from its
// citation unnoticed.
func TestPresetQRMatchesItsSource(t *testing.T) {
	for _, n := range Names() {
		c, ok := presetQRClaims[n]
		if !ok {
			t.Errorf("preset %s has no QR cross-check: add it to presetQRClaims", n)
			continue
		}
		v := MustLoad(n)
		f := v.QRFormat()
		p, err := qr.DecodeFormat(c.reads.payload, f)
		if err != nil {
			t.Errorf("%s (%s): %s does not decode: %v", n, f, c.reads.name, err)
			continue
		}
		id := p.RendezvousID
		if f == qr.Format2024 {
			id = p.RendezvousURL
		}
		if p.Intent != c.reads.intent || id != c.reads.id || p.BaseURL != c.reads.baseURL {
			t.Errorf("%s: %s decodes to intent %v, %q, %q; the source says %v, %q, %q",
				n, c.reads.name, p.Intent, id, p.BaseURL, c.reads.intent, c.reads.id, c.reads.baseURL)
		}
		if c.reads == &vText2024 || c.reads == &vText2026 {
			k, err := qr.ParsePublicKey(xcheckKey)
			if err != nil || p.Key != k {
				t.Errorf("%s: %s key differs from the text's %s", n, c.reads.name, xcheckKey)
			}
		}
		b, err := p.Marshal()
		if err != nil || !bytes.Equal(b, c.reads.payload) {
			t.Errorf("%s: %s does not re-encode byte for byte: %v\n got %x\nwant %x", n, c.reads.name, err, b, c.reads.payload)
		}
		if _, err := qr.DecodeFormat(c.refuses.payload, f); err == nil {
			t.Errorf("%s (%s) accepts %s, a layout its source does not read", n, f, c.refuses.name)
		}
	}
}
