package calibrate

import (
	"slices"
	"strings"
	"testing"

	"qrlab/model/variant"
	"qrlab/sim"
)

// TestResim: the simulator's side run again against a saved real side.
// With a "real" side that is itself the simulator's (rto recovery, the
// same seeds), Resim with rto reproduces it exactly (KS 0) and with
// rack-tlp moves it (8% loss, 200 ms); a bad loss recovery and a row
// without logins are refused.
func TestResim(t *testing.T) {
	opts := Options{N: 20, Seed: 1, LossRecovery: sim.RecoveryRTO}
	opts.defaults()
	p := Profile{Name: "loss8-200ms", LossPercent: 8, RTTMillis: 200}
	real, _, err := runSimSide(variant.MustLoad(opts.Variant), p, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	rows := []Row{{Profile: p, Real: real}}
	same, err := Resim(rows, Options{Seed: 1, LossRecovery: sim.RecoveryRTO})
	if err != nil {
		t.Fatal(err)
	}
	if s := same[0]; s.Sim.N != 20 || s.KSToken != 0 || !slices.Equal(s.Sim.Token, real.Token) {
		t.Fatalf("rto against itself: n %d, KS %.3f, tokens %v vs %v", s.Sim.N, s.KSToken, s.Sim.Token, real.Token)
	}
	moved, err := Resim(rows, Options{Seed: 1, LossRecovery: sim.RecoveryRACKTLP})
	if err != nil {
		t.Fatal(err)
	}
	if slices.Equal(moved[0].Sim.Token, real.Token) {
		t.Fatal("rack-tlp against rto at 8% loss: the same times, the recovery was not applied")
	}
	if _, err := Resim(rows, Options{LossRecovery: "fast"}); err == nil || !strings.Contains(err.Error(), `loss_recovery "fast"`) {
		t.Errorf("loss recovery %q: error %v", "fast", err)
	}
	if _, err := Resim([]Row{{Profile: p}}, Options{}); err == nil || !strings.Contains(err.Error(), "no logins") {
		t.Errorf("a row without logins: error %v", err)
	}
}

// TestOpeningKnobs: the options for how Linux opens a connection after a
// loss reach the simulated side: at 8% loss and 200 ms, with Go's flight
// sizes, 40 logins' times to token move when syn_timestamps and
// synack_timer are on.
func TestOpeningKnobs(t *testing.T) {
	p := Profile{Name: "loss8-200ms", LossPercent: 8, RTTMillis: 200}
	side := func(on bool) []float64 {
		opts := Options{N: 40, Seed: 1, GoTLSSizes: true, SynTimestamps: on, SynAckTimer: on, FinishedFlight: on}
		opts.defaults()
		s, _, err := runSimSide(variant.MustLoad(opts.Variant), p, opts, nil)
		if err != nil {
			t.Fatal(err)
		}
		return s.Token
	}
	if off, on := side(false), side(true); slices.Equal(off, on) {
		t.Fatal("the opening knobs changed no time to token in 40 logins at 8% loss")
	}
}
