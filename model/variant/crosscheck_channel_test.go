package variant

import (
	"bytes"
	"encoding/base64"
	"testing"

	"qrlab/model/channel"
	"qrlab/model/channel/frame"
)

// Channel vectors as vodozemac main prints them (commit cfc4eeebdf09, 2026-08-06,
// the commit the provenance catalogue cites as vodozemac-main-ecies and
// vodozemac-main-hpke): the framing vectors of src/ecies/messages.rs and
// src/hpke/messages.rs (the same key and message in both) and the digit
// vectors of src/hpke/check_code.rs, whose CheckCode and DigitMode
// src/ecies/mod.rs re-exports.
//
// There are no seal or open vectors to drive: at that commit vodozemac tests
// ECIES and HPKE only with freshly drawn keys (round trips and snapshots of
// Debug output, which hide the keys), and neither MSC4108 (87f8317,
// 5706fd4) nor MSC4388 (726e115) prints a ciphertext with the keys that
// made it; so the key schedules are checked by the lab's own tests and its
// interop runs, not here.
const (
	vzPublicKey     = "9yA/CX8pJKF02Prd75ZyBQHg3fGTVVGDNl86q1z17Us"
	vzECIESInitiate = "3On7QFJyLQMAErua9K/yIOcJALvuMYax1AW0iWgf64AwtSMZXwAA012Q|" + vzPublicKey
	vzHPKEInitiate  = "9yA/CX8pJKF02Prd75ZyBQHg3fGTVVGDNl86q1z17Uvc6ftAUnItAwASu5r0r/Ig5wkAu+4xhrHUBbSJaB/rgDC1IxlfAADTXZA"
	vzHPKEResponse  = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAADc6ftAUnItAwASu5r0r/Ig5wkAu+4xhrHUBbSJaB/rgDC1IxlfAADTXZA"
	vzMessage       = "ZmtSLdzMcyjC5eV6L8xBI6amsq7gDNbCjz1W5OjX4Z8W"
)

// vzDigits are check_code.rs's vectors: two check-code bytes and the
// number DigitMode::AllowLeadingZero (00-99) and NoLeadingZero (10-99)
// make of them.
var vzDigits = []struct {
	b                       [2]byte
	allowLeading, noLeading int
}{
	{[2]byte{0x00, 0x00}, 0, 10},
	{[2]byte{0x09, 0x09}, 99, -1}, // check_code.rs gives this pair for AllowLeadingZero only
	{[2]byte{0x08, 0x09}, -1, 99}, // and this one for NoLeadingZero only
	{[2]byte{0xff, 0xff}, 55, 45},
}

// TestPresetChannelMatchesItsSource drives every preset's channel framing
// (ECIES or HPKE, by its construction) and check-code digits through
// vodozemac's vectors: each payload decodes to what vodozemac says (the
// key, the all-zero response nonce) and encodes back byte for byte, and the
// digits mode renders the bytes as vodozemac's mode of the same name does.
func TestPresetChannelMatchesItsSource(t *testing.T) {
	for _, n := range Names() {
		v := MustLoad(n)
		c, err := channel.ParseConstruction(v.Channel.Construction)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		f, initiate := frame.ECIES, vzECIESInitiate
		if c.IsHPKE() {
			f, initiate = frame.HPKE, vzHPKEInitiate
		}
		vectors := []struct {
			kind frame.Kind
			s    string
		}{{frame.Initiate, initiate}, {frame.Message, vzMessage}}
		if f == frame.HPKE {
			vectors = append(vectors, struct {
				kind frame.Kind
				s    string
			}{frame.Response, vzHPKEResponse})
		}
		for _, x := range vectors {
			p, err := frame.Decode(f, x.kind, x.s)
			if err != nil {
				t.Errorf("%s (%s framing): vodozemac's %s does not decode: %v", n, f, x.kind, err)
				continue
			}
			if x.kind == frame.Initiate && base64.RawStdEncoding.EncodeToString(p.Key) != vzPublicKey {
				t.Errorf("%s: %s key %x, vodozemac says %s", n, x.kind, p.Key, vzPublicKey)
			}
			if x.kind == frame.Response && !bytes.Equal(p.Nonce, make([]byte, frame.NonceSize)) {
				t.Errorf("%s: response nonce %x, vodozemac says 32 zero bytes", n, p.Nonce)
			}
			if back, err := frame.Encode(f, x.kind, p); err != nil || back != x.s {
				t.Errorf("%s: %s does not re-encode byte for byte (%v):\n got %s\nwant %s", n, x.kind, err, back, x.s)
			}
		}
		d, err := channel.ParseDigits(v.Channel.Digits)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		for _, x := range vzDigits {
			want := x.allowLeading
			if d == channel.Digits10To99 {
				want = x.noLeading
			}
			if want < 0 {
				continue
			}
			if got := channel.NewCheckCode(x.b, d).Value(); got != want {
				t.Errorf("%s (digits %s): bytes %x make %d, vodozemac's mode makes %d", n, v.Channel.Digits, x.b, got, want)
			}
		}
	}
}
