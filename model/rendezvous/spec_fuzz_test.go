package rendezvous

import (
	"testing"

	"pgregory.net/rapid"
	"qrlab/internal/seeded"
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
		seeded.Stream(uint64(seed)).Read(b)
		f.Add(b)
	}
	f.Fuzz(rapid.MakeFuzz(func(rt *rapid.T) {
		cfg, _ := Preset(rapid.SampledFrom(PresetNames()).Draw(rt, "preset"))
		checkAgainstSpec(rt, smallConfig(cfg))
	}))
}
