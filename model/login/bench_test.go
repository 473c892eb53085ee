package login

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
				w := newWorld(b, v, worldOpts{nIntent: qr.Reciprocate, seed: uint64(i)}, user{})
				w.quiet = true
				w.run()
				if !w.n.Outcome().Success {
					b.Fatal(w.n.Outcome())
				}
			}
		})
	}
}
