package login_test

import (
	"testing"

	"qrlab/model/qr"
	"qrlab/model/variant"
)

// BenchmarkLogin measures one whole login, both machines and all three
// servers, per preset (the simulator's budget is about 1 ms per login per
// core).
func BenchmarkLogin(b *testing.B) {
	for _, name := range []string{"msc4108-2024", "msc4388"} {
		v := variant.MustLoad(name)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				w := newWorld(b, v, worldOpts{NIntent: qr.Reciprocate, Seed: uint64(i)}, user{})
				w.Quiet = true
				w.Run()
				if !w.N.Outcome().Success {
					b.Fatal(w.N.Outcome())
				}
			}
		})
	}
}
