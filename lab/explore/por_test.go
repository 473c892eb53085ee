package explore

import (
	"os"
	"slices"
	"testing"

	"qrlab/model/qr"
	"qrlab/model/variant"
	"qrlab/sim"
)

// dfsStates runs a depth-first exploration of o and returns its result
// and the set of states it visited.
func dfsStates(t *testing.T, o Options) (Result, map[sim.Fingerprint]int32) {
	t.Helper()
	o.Mode = "dfs"
	e := &explorer{o: o, cov: newCoverage()}
	if o.POR == PORSleep {
		e.por = newPOR()
	}
	if err := e.dfs(); err != nil {
		t.Fatal(err)
	}
	return e.result(), e.visited()
}

// TestPORSameStates: sleep sets leave out transitions, never states. On
// small spaces (the default preset in both intents without faults,
// complete; and with one loss and one duplicate, bounded in depth) the
// search with sleep sets visits exactly the states the plain search
// visits (so the same endings too), takes fewer transitions, and finds no
// violation either way. QRLAB_POR_LONG=1 adds the login intent without
// faults and the reciprocate intent with one loss or one duplicate (about
// half a minute).
func TestPORSameStates(t *testing.T) {
	cases := []Options{
		{Intent: qr.Reciprocate},
		{Intent: qr.Login, Loss: 1, Dup: 1, Depth: 18},
	}
	if os.Getenv("QRLAB_POR_LONG") != "" {
		cases = append(cases, Options{Intent: qr.Login}, Options{Intent: qr.Reciprocate, Loss: 1, Depth: 22},
			Options{Intent: qr.Reciprocate, Dup: 1, Depth: 22})
	}
	for _, o := range cases {
		o.Variant, o.VariantName, o.Seed = variant.MustLoad("msc4388"), "msc4388", 1
		plain, a := dfsStates(t, o)
		o.POR = PORSleep
		red, b := dfsStates(t, o)
		name := func() string { return o.Intent.String() }
		if plain.Violation != nil || red.Violation != nil {
			t.Fatalf("%s: violations %v, %v", name(), plain.Violation, red.Violation)
		}
		missed, extra := 0, 0
		for fp := range a {
			if _, ok := b[fp]; !ok {
				missed++
			}
		}
		for fp := range b {
			if _, ok := a[fp]; !ok {
				extra++
			}
		}
		if missed > 0 || extra > 0 || plain.States != red.States {
			t.Errorf("%s loss %d dup %d depth %d: %d states plain, %d with sleep sets: %d missed, %d not in the plain search",
				name(), o.Loss, o.Dup, o.Depth, plain.States, red.States, missed, extra)
		}
		if red.Transitions >= plain.Transitions || red.Slept == 0 {
			t.Errorf("%s loss %d dup %d depth %d: %d transitions plain, %d with sleep sets (%d asleep): no reduction", name(), o.Loss,
				o.Dup, o.Depth, plain.Transitions, red.Transitions, red.Slept)
		}
		t.Logf("%s loss %d dup %d depth %d: %d states; transitions %d plain, %d with sleep sets (%d asleep, %d states again)",
			name(), o.Loss, o.Dup, o.Depth, plain.States, plain.Transitions, red.Transitions, red.Slept, red.Again)
	}
}

// TestPORFindsSame: with sleep sets the explorer finds what it finds
// without: the catalogue mutants its tests and README find depth first
// (with and without adversaries, whose runs the relation leaves
// unreduced), and the write_conflict ending under one loss; each path
// replays in the simulator to the same violation or ending.
func TestPORFindsSame(t *testing.T) {
	type find struct {
		mutant string
		o      Options
	}
	finds := []find{
		{"shared-direction-key", Options{Intent: qr.Login}},
		{"static-nonce", Options{Intent: qr.Login}},
		{"secrets-before-success", Options{Intent: qr.Login}},
		{"secrets-before-device-check", Options{Intent: qr.Login}},
		{"ignore-etag", Options{Intent: qr.Reciprocate, Adversaries: []string{"shoulder-surfer"}}},
		{"", Options{Intent: qr.Login, Loss: 1, Reach: "write_conflict", MaxStates: 50_000}},
	}
	if !testing.Short() {
		finds = append(finds, find{"no-check-code", Options{Intent: qr.Login}},
			find{"no-aad-binding", Options{Intent: qr.Login, Adversaries: []string{"splicer"}}},
			find{"", Options{Intent: qr.Reciprocate, Loss: 1, Reach: "write_conflict", MaxStates: 50_000}})
	}
	for _, f := range finds {
		o := f.o
		o.Mode, o.Seed, o.VariantName = "dfs", 1, f.mutant
		if f.mutant == "" {
			o.Variant, o.VariantName = variant.MustLoad("msc4388"), "msc4388"
		} else {
			v, err := variant.LoadMutant(f.mutant)
			if err != nil {
				t.Fatal(err)
			}
			o.Variant = v
		}
		var want string
		for _, p := range []string{PORNone, PORSleep} {
			o.POR = p
			res, err := Explore(o)
			if err != nil {
				t.Fatal(err)
			}
			got := res.Reached
			if res.Violation != nil {
				got = res.Violation.Invariant
			}
			if got == "" {
				t.Fatalf("%s %s, por %s: nothing found in %d states (cut %q)", o.VariantName, o.Intent, p, res.States, res.Cut)
			}
			if p == PORNone {
				want = got
			} else if got != want {
				t.Errorf("%s %s: %q without reduction, %q with sleep sets", o.VariantName, o.Intent, want, got)
			}
			_, rr, err := Trace(o, res.Path)
			if err != nil {
				t.Fatal(err)
			}
			inv := reachInvariant
			if res.Violation != nil {
				inv = res.Violation.Invariant
			}
			if rr.Violation == nil || rr.Violation.Invariant != inv {
				t.Errorf("%s %s, por %s: replaying %s gave %v, want %s", o.VariantName, o.Intent, p, FormatPath(res.Path), rr.Violation, inv)
			}
		}
	}
}

// TestPOROptions: sleep sets are for depth-first search only, and an
// unknown reduction is refused.
func TestPOROptions(t *testing.T) {
	for _, o := range []Options{{POR: PORSleep}, {POR: PORSleep, Mode: "walk"}, {POR: "stubborn", Mode: "dfs"}, {POR: PORPersistent, Mode: "bfs"}, {POR: PORPersistent, Mode: "dfs", Subsume: true}, {POR: PORPersistent, Mode: "dfs", Time: TimeAbstract}} {
		o.Variant = variant.MustLoad("msc4388")
		if _, err := Explore(o); err == nil {
			t.Errorf("%+v: no error", o.POR)
		}
	}
}

// TestPathCount, with QRLAB_POR_MEASURE=1, measures what the visited set
// buys: it counts the paths from the initial state (every prefix of every
// run, which a search without state deduplication would visit) of the
// default preset in both intents, without faults and with one duplicate,
// by a depth-first walk over the state graph that adds up the counts of
// a state's successors (the graph has no cycle: the search checks for
// lassos).
func TestPathCount(t *testing.T) {
	if os.Getenv("QRLAB_POR_MEASURE") == "" {
		t.Skip("QRLAB_POR_MEASURE=1 counts the paths (minutes with a duplicate)")
	}
	for _, o := range []Options{{Intent: qr.Login}, {Intent: qr.Reciprocate}, {Intent: qr.Login, Dup: 1}, {Intent: qr.Reciprocate, Dup: 1}} {
		o.Variant, o.Seed = variant.MustLoad("msc4388"), 1
		r, err := o.Runner(false)
		if err != nil {
			t.Fatal(err)
		}
		memo := map[sim.Fingerprint]float64{}
		var path []Step
		var count func() float64
		count = func() float64 {
			if err := o.Replay(r, path); err != nil {
				t.Fatal(err)
			}
			fp, _ := r.Fingerprint()
			if n, ok := memo[fp]; ok {
				return n
			}
			choices := slices.Clone(r.Enabled(nil))
			n := 1.0
			for _, c := range choices {
				path = append(path, Step{Seq: c.Seq, Fault: c.Fault})
				n += count()
				path = path[:len(path)-1]
			}
			memo[fp] = n
			return n
		}
		n := count()
		t.Logf("msc4388 %s dup %d: %d states, %.4g paths (prefixes of runs)", o.Intent, o.Dup, len(memo), n)
	}
}
