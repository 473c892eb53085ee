package rendezvous

import "testing"

// TestAppendHeldMatchesSessions checks that AppendHeld reports what the
// store holds, as Sessions does with copies: one entry per session, oldest
// first, with its expiry and its current payload's size, expired sessions
// that no sweep removed included, and none after a delete.
func TestAppendHeldMatchesSessions(t *testing.T) {
	cfg := PresetSequenceToken()
	cfg.Seed = 7
	s := newTestStore(t, cfg)
	_, fx := s.Handle(t0, &Request{Method: "POST", Path: StablePrefix, Body: []byte(`{"data":"abc"}`)})
	first := fx[0].ID
	_, _ = s.Handle(t0+cfg.TTL/2, &Request{Method: "POST", Path: StablePrefix, Body: []byte(`{"data":""}`)})
	resp, _ := s.Handle(t0+cfg.TTL/2, &Request{Method: "PUT", Path: StablePrefix + "/" + first,
		Body: []byte(`{"sequence_token":"1","data":"hello, world"}`)})
	if resp.Status != 200 {
		t.Fatalf("PUT: status %d %s", resp.Status, resp.Body)
	}
	s.clock(t0 + cfg.TTL) // the first session has expired; no sweep ran
	check := func(when string) {
		t.Helper()
		held := s.AppendHeld(nil)
		sess := s.Sessions()
		if len(held) != len(sess) {
			t.Fatalf("%s: AppendHeld lists %d sessions, Sessions %d", when, len(held), len(sess))
		}
		for i, h := range held {
			if h.ID != sess[i].ID || h.Expires != sess[i].Expires || h.Size != len(sess[i].Data) {
				t.Errorf("%s: session %d: AppendHeld says %+v, Sessions %s, %d and %d bytes", when, i, h, sess[i].ID,
					sess[i].Expires, len(sess[i].Data))
			}
		}
	}
	check("after two creates and a write")
	if held := s.AppendHeld(nil); len(held) != 2 || held[0].Size != len("hello, world") || held[0].Expires != t0+cfg.TTL {
		t.Fatalf("held = %+v, want the first session first, holding the 12 bytes written, expiring at t0+TTL", held)
	}
	s.Sweep(t0 + cfg.TTL)
	check("after the sweep")
	if held := s.AppendHeld(nil); len(held) != 1 {
		t.Fatalf("after the sweep: %d sessions held, want 1 (the expired one removed)", len(held))
	}
}
