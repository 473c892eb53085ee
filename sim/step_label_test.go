package sim

import (
	"math/rand/v2"
	"testing"
)

// TestLabelChoicesOff: without labels, Enabled lists the same choices (the
// same events, faults, times, kinds and actors) with the labels empty, at
// every state of random paths over the snapshot cases (careless users'
// decisions and resets included).
func TestLabelChoicesOff(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, sc := range snapCases {
		r := sc.runner(t)
		if err := sc.start(r, 1); err != nil {
			t.Fatal(err)
		}
		for d := 0; d < 300; d++ {
			r.LabelChoices(true)
			with := r.Enabled(nil)
			r.LabelChoices(false)
			without := r.Enabled(nil)
			if len(with) != len(without) {
				t.Fatalf("%v depth %d: %d choices with labels, %d without", sc, d, len(with), len(without))
			}
			for i := range with {
				want := with[i]
				want.Label = ""
				if without[i] != want || with[i].Label == "" {
					t.Fatalf("%v depth %d: choice %d is %+v without labels, %+v with", sc, d, i, without[i], with[i])
				}
			}
			if len(with) == 0 {
				break
			}
			if err := r.Take(with[rng.IntN(len(with))]); err != nil {
				t.Fatal(err)
			}
		}
	}
}
