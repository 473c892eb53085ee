package explore

import (
	"testing"

	"qrlab/model/qr"
	"qrlab/model/variant"
	"qrlab/sim"
)

// BenchmarkSimEvent is the simulator's cost per event: whole logins of the
// default preset on the explorer's network, divided by their events.
func BenchmarkSimEvent(b *testing.B) {
	o := Options{Variant: variant.MustLoad("msc4388"), Intent: qr.Login, Seed: 1}
	r, err := o.Runner(false)
	if err != nil {
		b.Fatal(err)
	}
	events, seed := 0, uint64(0)
	for b.Loop() {
		for range 50 { // fifty logins an op, so that -benchtime 1x measures enough events
			seed++
			res, err := r.Run(seed)
			if err != nil || res.Violation != nil {
				b.Fatal(err, res.Violation)
			}
			events += res.Steps
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(events), "ns/event")
	b.ReportMetric(float64(events)/float64(b.N), "events/op")
}

// BenchmarkExploreTransition is the explorer's cost per transition on the
// same preset: a depth-first exploration without faults, divided by its
// transitions (restores, snapshots and fingerprints included).
func BenchmarkExploreTransition(b *testing.B) {
	o := Options{Variant: variant.MustLoad("msc4388"), Intent: qr.Login, Seed: 1, Mode: "dfs", MaxStates: 2000}
	transitions := 0
	for b.Loop() {
		res, err := Explore(o)
		if err != nil || res.Violation != nil {
			b.Fatal(err, res.Violation)
		}
		transitions += res.Transitions
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(transitions), "ns/transition")
	b.ReportMetric(float64(transitions)/float64(b.N), "transitions/op")
}

// BenchmarkFingerprint is one state's fingerprint, mid-login, asked again
// and again: after the first, the parts' hashes are kept (as after a step
// that touched none of them), so it measures the rest's encoding and the
// hash.
func BenchmarkFingerprint(b *testing.B) {
	o := Options{Variant: variant.MustLoad("msc4388"), Intent: qr.Login, Seed: 1}
	r, err := o.Runner(false)
	if err != nil {
		b.Fatal(err)
	}
	if err := r.Start(1, 0, 0); err != nil {
		b.Fatal(err)
	}
	var buf []sim.Choice
	for range 60 {
		buf = r.Enabled(buf)
		if err := r.Take(buf[0]); err != nil {
			b.Fatal(err)
		}
	}
	n := 0
	for b.Loop() {
		_, n = r.Fingerprint()
	}
	b.ReportMetric(float64(n), "bytes")
}
