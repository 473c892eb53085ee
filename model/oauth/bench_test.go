package oauth

import (
	"strconv"
	"testing"
)

// BenchmarkPollPending is the request a simulator sends most: a poll of a
// grant nobody approved yet.
func BenchmarkPollPending(b *testing.B) {
	for _, name := range []string{"rfc8628", "mas"} {
		b.Run(name, func(b *testing.B) {
			cfg, _ := Preset(name)
			cfg.ExpiresIn = 1 << 30 * Second
			h := newHarness(b, cfg, 1)
			_, da := h.authorize(0, testScope("BENCH"))
			req := &Request{
				Method: "POST",
				Path:   "/" + PathToken,
				Header: Header{{Name: "Content-Type", Value: ContentTypeForm}},
				Body:   EncodeForm("grant_type", GrantTypeDeviceCode, "device_code", da.DeviceCode, "client_id", h.clientID),
			}
			fx := make([]Effect, 0, 4)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				var r Response
				r, fx = h.srv.HandleAppend(Millis(i+1)*cfg.Interval, req, fx[:0])
				if r.Status == 200 {
					b.Fatal("token issued")
				}
			}
		})
	}
}

// BenchmarkDeviceAuthorization is one device authorization request.
func BenchmarkDeviceAuthorization(b *testing.B) {
	for _, name := range []string{"rfc8628", "mas"} {
		b.Run(name, func(b *testing.B) {
			cfg, _ := Preset(name)
			h := newHarness(b, cfg, 1)
			req := &Request{
				Method: "POST",
				Path:   "/" + PathDeviceAuthorization,
				Header: Header{{Name: "Content-Type", Value: ContentTypeForm}},
				Body:   EncodeForm("client_id", h.clientID, "scope", testScope("BENCHDEVICE")),
			}
			fx := make([]Effect, 0, 4)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				var r Response
				r, fx = h.srv.HandleAppend(Millis(i), req, fx[:0])
				if r.Status != 200 {
					b.Fatalf("%d %s", r.Status, r.Body)
				}
			}
		})
	}
}

// BenchmarkWholeGrant is a whole device grant: authorization, a pending
// poll, the link page, the consent page, Allow, and the token.
func BenchmarkWholeGrant(b *testing.B) {
	for _, name := range []string{"rfc8628", "mas"} {
		b.Run(name, func(b *testing.B) {
			cfg, _ := Preset(name)
			cfg.LinkAttemptLimit = 0 // one browser makes every attempt
			h := newHarness(b, cfg, 1)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				t0 := Millis(i) * Minute
				h.fx = h.fx[:0]
				_, da := h.authorize(t0, testScope("D"+strconv.Itoa(i)))
				h.poll(t0+5*Second, da.DeviceCode)
				p := h.openVerification(t0+6*Second, da, alice)
				h.decide(t0+7*Second, p, ActionConsent, alice)
				if r := h.poll(t0+10*Second, da.DeviceCode); r.Status != 200 {
					b.Fatalf("%d %s", r.Status, r.Body)
				}
			}
		})
	}
}
