package rendezvous

import (
	"math/rand/v2"
	"testing"

	"pgregory.net/rapid"
)

// FuzzStoreMatchesSpec is TestStoreMatchesSpec as a native fuzz target
// (rapid.MakeFuzz): the fuzzer's bytes feed rapid's draws, so coverage
// guides the sequences of creates, reads, fresh, stale and retried writes,
// deletes, clock steps, sweeps and ticks that go to a Store and to the
// sequential Spec; every answer, every eviction and the final contents must
// agree. The preset is drawn too.
func FuzzStoreMatchesSpec(f *testing.F) {
	// rapid reads its draws from the input and skips an input that runs
	// out, so the seeds are four kilobytes of a fixed stream each.
	for seed := range byte(4) {
		b := make([]byte, 4096)
		rand.NewChaCha8([32]byte{seed}).Read(b)
		f.Add(b)
	}
	f.Fuzz(rapid.MakeFuzz(func(rt *rapid.T) {
		cfg, _ := Preset(rapid.SampledFrom(PresetNames()).Draw(rt, "preset"))
		cfg = smallConfig(cfg)
		cfg.HardCapMode = rapid.SampledFrom([]HardCapMode{HardCapTrimToSoftCap, HardCapEvictOldest}).Draw(rt, "hard cap mode")
		cfg.Token = rapid.SampledFrom([]TokenStyle{TokenCounter, TokenDigest, TokenContentHash}).Draw(rt, "token style")
		cfg.DeleteExpired = rapid.Bool().Draw(rt, "delete expired")
		cfg.FirstSequence = uint64(rapid.IntRange(0, 1).Draw(rt, "first sequence"))
		m := newMachine(rt, cfg)
		rt.Repeat(map[string]func(*rapid.T){
			"create":       m.create,
			"get":          m.get,
			"getIfChanged": m.getIfChanged,
			"putFresh":     m.putFresh,
			"putStale":     m.putStale,
			"putRetry":     m.putRetry,
			"delete":       m.del,
			"advance":      m.advance,
			"sweep":        m.sweep,
			"tick":         m.tick,
			"":             m.check,
		})
	}))
}
