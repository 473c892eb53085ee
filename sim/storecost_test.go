package sim

import (
	"testing"

	"qrlab/model/rendezvous"
	"qrlab/model/variant"
)

// TestCostMeter checks the store's cost on a session driven by hand: it
// counts from the create, its bytes change with a write, a session live at
// the end counts on until its expiry (and is left) unless its DELETE was
// sent, and a deleted one stops counting at the delete.
func TestCostMeter(t *testing.T) {
	cfg := rendezvous.PresetSequenceToken()
	cfg.Seed = 3
	for _, del := range []bool{false, true} {
		s, err := rendezvous.New(cfg, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		var m costMeter
		m.reset(false)
		_, fx := s.Handle(1000, &rendezvous.Request{Method: "POST", Path: rendezvous.StablePrefix, Body: []byte(`{"data":"abc"}`)})
		m.observe(1000, s)
		path := rendezvous.StablePrefix + "/" + fx[0].ID
		s.Handle(3000, &rendezvous.Request{Method: "PUT", Path: path, Body: []byte(`{"sequence_token":"1","data":"hello, world"}`)})
		m.observe(3000, s)
		if del {
			if resp, _ := s.Handle(5000, &rendezvous.Request{Method: "DELETE", Path: path}); resp.Status >= 300 {
				t.Fatalf("DELETE: %d %s", resp.Status, resp.Body)
			}
			m.observe(5000, s)
		}
		if !del {
			// A DELETE for another session changes nothing.
			m.deleting(rendezvous.StablePrefix + "/someone-else")
		}
		c := m.close(5000)
		ttl := int64(cfg.TTL)
		want := StoreCost{SessionMillis: ttl, ByteMillis: 3*2000 + 12*(1000+ttl-3000), PeakSessions: 1, PeakBytes: 12,
			Left: 1, LeftMillis: 1000 + ttl - 5000}
		if del {
			want = StoreCost{SessionMillis: 4000, ByteMillis: 3*2000 + 12*2000, PeakSessions: 1, PeakBytes: 12}
		}
		if c != want {
			t.Errorf("deleted %v: cost %+v, want %+v", del, c, want)
		}
		if !del {
			// The same session with its DELETE sent but not arrived when
			// the run stops: it counts to the run's end, and is not left.
			m.deletes = append(m.deletes, path)
			m.c = StoreCost{}
			m.held, m.at = s.AppendHeld(m.held[:0]), 3000
			c := m.close(5000)
			if c.SessionMillis != 2000 || c.Left != 0 || c.Deleting != 1 || c.LeftMillis != 0 {
				t.Errorf("a DELETE in flight at the end: cost %+v, want 2000 session-ms from the last observation, none left, one deleting", c)
			}
		}
	}
}

// TestStoreCostOfLogins checks the figures of real logins: every
// successful run used the store (a session, some bytes, some time), the
// integral is bounded by the peak over the run plus the TTL, no session is
// left behind (the new device deletes it once its keys are up), and the
// same seed gives the same cost.
func TestStoreCostOfLogins(t *testing.T) {
	for _, name := range []string{"msc4388-726e115", "msc4108-2024"} {
		n, err := Profile("lan")
		if err != nil {
			t.Fatal(err)
		}
		v := variant.MustLoad(name)
		r := mustRunner(t, Config{Variant: v, Network: n})
		for seed := uint64(1); seed <= 3; seed++ {
			res, err := r.Run(seed)
			if err != nil || !res.Success() || res.StoreCost == nil {
				t.Fatalf("%s seed %d: %v, success %v, cost %v", name, seed, err, res.Success(), res.StoreCost)
			}
			c := *res.StoreCost
			if c.PeakSessions < 1 || c.PeakBytes < 1 || c.SessionMillis < 1 || c.ByteMillis < 1 || c.Left != 0 {
				t.Errorf("%s seed %d: cost %+v: a login that used the store shows none, or left its session (the new device deletes it)", name, seed, c)
			}
			ttl := int64(r.rc.TTL)
			limit := int64(c.PeakSessions) * (int64(res.EndMillis) + ttl)
			if c.SessionMillis > limit || c.LeftMillis > int64(c.Left)*ttl {
				t.Errorf("%s seed %d: cost %+v beyond %d peak sessions over the run (%d ms) plus the TTL", name, seed, c, c.PeakSessions, res.EndMillis)
			}
			again, _ := r.Run(seed)
			if *again.StoreCost != c {
				t.Errorf("%s seed %d: cost %+v, then %+v on the same seed", name, seed, c, *again.StoreCost)
			}
			t.Logf("%s seed %d: end %d ms, cost %+v", name, seed, res.EndMillis, c)
		}
	}
}
