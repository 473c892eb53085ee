package login_test

import (
	"bytes"
	"strings"
	"testing"

	"qrlab/model/login"
	"qrlab/model/qr"
	"qrlab/model/variant"
)

// TestRogueStepRefused: a rogue step that names no step the device has, or
// has nothing to seal, is refused with an error that says which field.
func TestRogueStepRefused(t *testing.T) {
	v := variant.MustLoad("msc4388")
	for _, tc := range []struct {
		r    login.RogueStep
		want string
	}{
		{login.RogueStep{At: "handshake", Plaintext: []byte("x")}, `Rogue.At "handshake"`},
		{login.RogueStep{At: login.RogueAtSuccess}, "neither a plaintext nor RepeatProtocol"},
	} {
		_, err := login.NewNewDevice(login.NewDeviceConfig{Variant: v, Intent: qr.Reciprocate, RendezvousBaseURL: "https://hs.example",
			Rogue: tc.r}, bytes.NewReader(make([]byte, 4096)))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want one naming %q", tc.r, err, tc.want)
		}
	}
}
