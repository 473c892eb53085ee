package fuzz

import (
	"testing"

	"qrlab/model/variant"
	"qrlab/scenarios"
	"qrlab/sim"

	"pgregory.net/rapid"
)

// FuzzSimRun decodes the input into a fault schedule, a user, attackers and
// a seed (decodeSchedule) and runs that one login: no invariant may break
// but for a documented human-factor loss, and the seed must replay to the
// same trace.
//
// Its seeds (simSeeds) are the corpus files under testdata/fuzz/FuzzSimRun.
func FuzzSimRun(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		s := decodeSchedule(data)
		c, err := s.scenario()
		if err != nil {
			t.Fatalf("schedule %s: %v", s.describe(), err)
		}
		checkRun(t, c)
	})
}

// simSeeds are hand-written schedules: each preset plain, a partition of
// every link, a lossy custom link, a careless user, every adversary, swarm.
func simSeeds() [][]byte {
	var out [][]byte
	nv := len(variant.Names())
	for i := range nv {
		out = append(out, []byte{byte(i), 0, 2})
	}
	out = append(out,
		// msc4388 on 4g, every link cut from about 4.7 s to 9.6 s.
		[]byte{presetIndex("msc4388-726e115"), 0, 2, 1, 0, 0x0a, 0x00, 0x2a, 0x00},
		// reciprocate, backup, lossy custom link, two partitions.
		[]byte{presetIndex("msc4108-2024"), 0x13, 3, 120, 100, 10, 200, 200, 20, 40, 2, 3, 0x10, 0x00, 0x20, 0x00, 0x04, 0x40, 0x00, 0x30, 0x00},
		// a careless user: typos, denial, browser failure, cancel.
		[]byte{presetIndex("rust-sdk-pr6173"), 0, 2, 0, 0x1f, 60, 30, 20, 10, 40},
		// swarm mode with a slow user.
		[]byte{presetIndex("txn-put"), 0x08, 3, 0, 0x40, 200},
	)
	adv := sim.AdversaryNames()
	for i := range adv {
		// one adversary each, a blind user for the ones that need one.
		out = append(out, []byte{presetIndex("msc4388-726e115"), byte(i & 1), 2, 0, 0x20, 255, byte(1 | i<<2), 0, 0, 0, byte(i)})
	}
	return out
}

func presetIndex(name string) byte {
	for i, n := range variant.Names() {
		if n == name {
			return byte(i)
		}
	}
	panic("presetIndex: no preset " + name)
}

// TestSimSchedules is the rapid state-machine test of the simulator: the
// actions build a fault schedule and a user (partitions, link figures,
// user mistakes, attackers) over a random variant and intent, and the run
// that follows must keep every invariant. On failure rapid shrinks the
// schedule to a minimal one and the message carries the scenario file and
// the simrun replay command of that minimal run.
func TestSimSchedules(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		names := variant.Names()
		s := schedule{
			variant:     rapid.SampledFrom(names).Draw(rt, "variant"),
			reciprocate: rapid.Bool().Draw(rt, "reciprocate"),
			backup:      rapid.Bool().Draw(rt, "backup"),
			profile:     rapid.SampledFrom(sim.ProfileNames()).Draw(rt, "profile"),
			user:        sim.DefaultUser(),
			seed:        rapid.Uint64Range(0, 1<<20).Draw(rt, "seed"),
		}
		prob := func(name string, max float64) float64 {
			return float64(rapid.IntRange(0, 100).Draw(rt, name)) / 100 * max
		}
		rt.Repeat(map[string]func(*rapid.T){
			"partition": func(rt *rapid.T) {
				if len(s.partitions) >= maxPartitions {
					rt.Skip("enough partitions")
				}
				links := []string{rapid.SampledFrom(append([]string{"all"}, linkNames...)).Draw(rt, "link")}
				from := rapid.Int64Range(0, partitionWindow).Draw(rt, "from")
				length := rapid.Int64Range(1, maxPartitionMs).Draw(rt, "length")
				s.partitions = append(s.partitions, sim.Partition{Links: links, FromMillis: from, ToMillis: from + length})
			},
			"link": func(rt *rapid.T) {
				l := sim.Link{
					Latency: sim.Dist{Kind: sim.DistLogNormal, Median: float64(rapid.IntRange(1, maxLatencyMedian).Draw(rt, "median")),
						Sigma: 0.05 + prob("sigma", 0.95), Cap: latencyCap},
					LossUp: prob("loss_up", maxLoss), LossDown: prob("loss_down", maxLoss),
					Duplicate: prob("duplicate", maxDuplicate), Reorder: prob("reorder", maxReorder),
				}
				s.link = &l
			},
			"typo":          func(rt *rapid.T) { s.user.TypoRate = prob("typo_rate", 1) },
			"deny":          func(rt *rapid.T) { s.user.DenyRate = prob("deny_rate", 1) },
			"browser-fails": func(rt *rapid.T) { s.user.BrowserFailRate = prob("browser_fail_rate", 1) },
			"reject":        func(rt *rapid.T) { s.user.RejectAccountRate = prob("reject_account_rate", 1) },
			"cancel":        func(rt *rapid.T) { s.user.CancelRate = prob("cancel_rate", 1) },
			"blind":         func(rt *rapid.T) { s.user.BlindConfirmRate = prob("blind_confirm_rate", 1) },
			"slow-user": func(rt *rapid.T) {
				// Every think time up to eightfold the default's: set, not
				// compounded, so repeating the action keeps it in range.
				k := 1 + prob("slowness", 7)
				def := sim.DefaultUser()
				for _, p := range []struct{ d, base *sim.Dist }{{&s.user.Scan, &def.Scan}, {&s.user.TypeCode, &def.TypeCode},
					{&s.user.Consent, &def.Consent}, {&s.user.Confirm, &def.Confirm}} {
					p.d.Median = p.base.Median * k
				}
			},
			"adversary": func(rt *rapid.T) {
				if len(s.adversaries) >= 2 {
					rt.Skip("enough adversaries")
				}
				a := rapid.SampledFrom(sim.AdversaryNames()).Draw(rt, "adversary")
				for _, b := range s.adversaries {
					if a == b {
						rt.Skip("already there")
					}
				}
				s.adversaries = append(s.adversaries, a)
			},
			"mix-clients": func(rt *rapid.T) { s.newVariant = rapid.SampledFrom(names).Draw(rt, "new_variant") },
			"swarm":       func(rt *rapid.T) { s.swarm = true },
		})
		c, err := s.scenario()
		if err != nil {
			rt.Fatalf("schedule %s: %v", s.describe(), err)
		}
		checkRun(rt, c)
	})
}

// TestReplayFileReproduces checks what the failure messages promise: the
// scenario file a case writes, parsed as simrun replay parses it, runs to
// the same trace as the case itself.
func TestReplayFileReproduces(t *testing.T) {
	for _, data := range simSeeds()[:6] {
		sch := decodeSchedule(data)
		c, err := sch.scenario()
		if err != nil {
			t.Fatal(err)
		}
		want := checkRun(t, c)
		sc, err := scenarios.Parse(c.file(), "replay.json")
		if err != nil {
			t.Fatalf("%s: the written scenario does not parse: %v\n%s", sch.describe(), err, c.file())
		}
		cfg, err := sc.Config()
		if err != nil {
			t.Fatal(err)
		}
		r, err := sim.NewRunner(cfg)
		if err != nil {
			t.Fatal(err)
		}
		got, err := r.Run(sc.Seed)
		if err != nil || got.TraceHash != want.TraceHash || sc.Seed != c.seed {
			t.Fatalf("%s: replayed seed %d gives trace %s, the case %s (%v)", sch.describe(), sc.Seed, got.TraceHash, want.TraceHash, err)
		}
	}
}
