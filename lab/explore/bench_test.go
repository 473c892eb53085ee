package explore

import (
	"testing"
	"time"

	"qrlab/model/qr"
	"qrlab/model/variant"
	"qrlab/sim"
)

// The benchmarks of a transition and of an event run under the explorer's
// collector setting (SetCollector; GOGC in the environment overrides it),
// so that they measure what `simrun explore` costs.

// simBenchRunner is BenchmarkSimEvent's runner: the default preset on the
// explorer's network.
func simBenchRunner(b *testing.B) *sim.Runner {
	o := Options{Variant: variant.MustLoad("msc4388"), Intent: qr.Login, Seed: 1}
	r, err := o.Runner(false)
	if err != nil {
		b.Fatal(err)
	}
	return r
}

// benchLogins runs fifty whole logins (so that -benchtime 1x measures
// enough events) from the seed after *seed and returns their events.
func benchLogins(b *testing.B, r *sim.Runner, seed *uint64) int {
	events := 0
	for range 50 {
		*seed++
		res, err := r.Run(*seed)
		if err != nil || res.Violation != nil {
			b.Fatal(err, res.Violation)
		}
		events += res.Steps
	}
	return events
}

// benchExploreOptions is BenchmarkExploreTransition's exploration: depth
// first on the same preset, without faults, cut at 2,000 states.
var benchExploreOptions = Options{Variant: variant.MustLoad("msc4388"), Intent: qr.Login, Seed: 1, Mode: "dfs", MaxStates: 2000}

// benchExplore runs the exploration once and returns its transitions.
func benchExplore(b *testing.B) int {
	res, err := Explore(benchExploreOptions)
	if err != nil || res.Violation != nil {
		b.Fatal(err, res.Violation)
	}
	return res.Transitions
}

// BenchmarkSimEvent is the simulator's cost per event: whole logins of the
// default preset on the explorer's network, divided by their events.
func BenchmarkSimEvent(b *testing.B) {
	defer SetCollector()()
	r := simBenchRunner(b)
	events, seed := 0, uint64(0)
	for b.Loop() {
		events += benchLogins(b, r, &seed)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(events), "ns/event")
	b.ReportMetric(float64(events)/float64(b.N), "events/op")
}

// BenchmarkExploreTransition is the explorer's cost per transition on the
// same preset: a depth-first exploration without faults, divided by its
// transitions (restores, snapshots and fingerprints included).
func BenchmarkExploreTransition(b *testing.B) {
	defer SetCollector()()
	transitions := 0
	for b.Loop() {
		transitions += benchExplore(b)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(transitions), "ns/transition")
	b.ReportMetric(float64(transitions)/float64(b.N), "transitions/op")
}

// BenchmarkTransitionPerEvent is the two above in one run: an op is one
// exploration as BenchmarkExploreTransition's, then fifty logins as
// BenchmarkSimEvent's, so that both meet the same load on the machine and
// the same collector. It reports the process's CPU time (the collector's
// workers included) per transition and per event, and their ratio
// (transition/event). A collection runs in whichever half its heap goal
// is reached in, so each half pays about in proportion to what it
// allocates; one that starts near the end of a half is partly paid by
// the other.
func BenchmarkTransitionPerEvent(b *testing.B) {
	defer SetCollector()()
	r := simBenchRunner(b)
	var xCPU, sCPU time.Duration
	transitions, events, seed := 0, 0, uint64(0)
	for b.Loop() {
		t0 := cpuTime()
		transitions += benchExplore(b)
		t1 := cpuTime()
		events += benchLogins(b, r, &seed)
		t2 := cpuTime()
		xCPU, sCPU = xCPU+t1-t0, sCPU+t2-t1
	}
	perTransition := float64(xCPU.Nanoseconds()) / float64(transitions)
	perEvent := float64(sCPU.Nanoseconds()) / float64(events)
	b.ReportMetric(perTransition, "cpu-ns/transition")
	b.ReportMetric(perEvent, "cpu-ns/event")
	b.ReportMetric(perTransition/perEvent, "transition/event")
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
