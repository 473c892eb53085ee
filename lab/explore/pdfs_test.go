package explore

import (
	"encoding/binary"
	"maps"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"testing"
	"time"

	"qrlab/model/qr"
	"qrlab/model/variant"
	"qrlab/sim"
)

// exploreDFS runs a depth-first exploration of o on o.Workers workers as
// Explore does, and returns its result and the states it visited.
func exploreDFS(t *testing.T, o Options) (Result, map[sim.Fingerprint]int32) {
	t.Helper()
	o.Mode = "dfs"
	e := &explorer{o: o, start: time.Now(), cov: newCoverage()}
	var err error
	if o.Workers > 1 {
		if why := e.serialReason(); why != "" {
			t.Fatalf("%d workers fall back to one: %s", o.Workers, why)
		}
		err = e.parallelDFS()
	} else {
		e.workersRan = 1
		err = e.dfs()
	}
	if err != nil {
		t.Fatal(err)
	}
	return e.result(), e.visited()
}

// TestParallelDFSSameStates: depth first on 1, 2 and 3 workers (3: more
// than the cores, so workers wait and take work often) visits the same
// set of distinct states on complete explorations, and gives the same
// endings, coverage and verdict (none). Without a depth bound every
// state's choices are taken once, so the transitions are the same too;
// under a depth bound (states met again shallower are explored again, in
// an order that depends on the workers) only the states are. With a
// snapshot bound of one byte every state is reached by replaying its
// path. QRLAB_PDFS_LONG=1 adds msc4388 reciprocate with one duplicate
// (42,442 states), msc4388 login and rust-sdk-main reciprocate.
func TestParallelDFSSameStates(t *testing.T) {
	m := variant.MustLoad("msc4388")
	careless := Options{Intent: qr.Reciprocate, User: UserCareless}
	cases := []struct {
		name string
		o    Options
	}{
		{"reciprocate", Options{Intent: qr.Reciprocate}},
		{"reciprocate careless", careless},
		{"reciprocate resets 1 depth 40", Options{Intent: qr.Reciprocate, Resets: 1, Depth: 40}},
		{"login loss 1 dup 1 depth 24", Options{Intent: qr.Login, Loss: 1, Dup: 1, Depth: 24}},
		{"reciprocate replayed", Options{Intent: qr.Reciprocate, SnapshotBytes: 1}},
	}
	if os.Getenv("QRLAB_PDFS_LONG") != "" {
		cases = append(cases, struct {
			name string
			o    Options
		}{"reciprocate dup 1", Options{Intent: qr.Reciprocate, Dup: 1}}, struct {
			name string
			o    Options
		}{"login", Options{Intent: qr.Login}}, struct {
			name string
			o    Options
		}{"rust-sdk-main reciprocate", Options{Variant: variant.MustLoad("rust-sdk-main"), Intent: qr.Reciprocate}})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var ref Result
			var refStates map[sim.Fingerprint]int32
			for _, w := range []int{1, 2, 3} {
				o := c.o
				if o.Variant.Name == "" {
					o.Variant = m
				}
				o.Seed, o.Workers = 1, w
				res, states := exploreDFS(t, o)
				if res.Violation != nil {
					t.Fatalf("workers %d: violation %v", w, res.Violation)
				}
				if res.Workers != w {
					t.Errorf("workers %d: the result says %d", w, res.Workers)
				}
				if (o.Depth == 0) != res.Complete || (o.Depth > 0 && res.Cut != "depth") {
					t.Fatalf("workers %d: complete %v, cut %q", w, res.Complete, res.Cut)
				}
				if len(states) != res.States {
					t.Errorf("workers %d: %d states counted, %d in the visited set", w, res.States, len(states))
				}
				if w == 1 {
					ref, refStates = res, states
					t.Logf("%d states, %d transitions, %d ended", res.States, res.Transitions, res.Ended)
					continue
				}
				missed, extra := 0, 0
				for fp := range refStates {
					if _, ok := states[fp]; !ok {
						missed++
					}
				}
				for fp, d := range states {
					rd, ok := refStates[fp]
					if !ok {
						extra++
					} else if o.Depth > 0 && rd != d {
						t.Errorf("workers %d: a state's least depth %d, %d on one worker", w, d, rd)
						break
					}
				}
				if missed > 0 || extra > 0 || res.States != ref.States {
					t.Errorf("workers %d: %d states (%d of one worker's missed, %d extra), one worker %d", w, res.States, missed, extra, ref.States)
				}
				if res.Ended != ref.Ended && o.Depth == 0 {
					t.Errorf("workers %d: %d ended, one worker %d", w, res.Ended, ref.Ended)
				}
				if o.Depth == 0 && res.Transitions != ref.Transitions {
					t.Errorf("workers %d: %d transitions, one worker %d", w, res.Transitions, ref.Transitions)
				}
				if !reflect.DeepEqual(res.Coverage, ref.Coverage) {
					t.Errorf("workers %d: coverage %v, one worker %v", w, res.Coverage, ref.Coverage)
				}
			}
		})
	}
}

// TestParallelDFSFindsMutants: depth first on two workers finds catalogue
// mutants, and each counterexample replays to the same violation; with
// budget subsumption too, under one loss and one duplicate (no-expiry is
// found only through a loss).
func TestParallelDFSFindsMutants(t *testing.T) {
	for _, c := range []struct {
		mutant string
		want   string
		o      Options
	}{
		{"shared-direction-key", sim.InvNonceUnique, Options{Intent: qr.Login}},
		{"static-nonce", sim.InvNonceUnique, Options{Intent: qr.Login}},
		{"secrets-before-success", sim.InvSecretsAfterConfirmation, Options{Intent: qr.Login}},
		{"ignore-etag", sim.InvRendezvousLinearizable, Options{Intent: qr.Reciprocate, Adversaries: []string{"shoulder-surfer"}}},
		{"shared-direction-key", sim.InvNonceUnique, Options{Intent: qr.Login, Loss: 1, Dup: 1, Subsume: true}},
		{"secrets-before-success", sim.InvSecretsAfterConfirmation, Options{Intent: qr.Login, Loss: 1, Dup: 1, Subsume: true}},
		{"ignore-etag", sim.InvRendezvousLinearizable, Options{Intent: qr.Reciprocate, Adversaries: []string{"shoulder-surfer"}, Loss: 1,
			Dup: 1, Subsume: true}},
		{"no-expiry", sim.InvTermination, Options{Intent: qr.Login, Loss: 1, Subsume: true}},
	} {
		v, err := variant.LoadMutant(c.mutant)
		if err != nil {
			t.Fatal(err)
		}
		o := c.o
		o.Variant, o.VariantName, o.Seed, o.Mode, o.Workers, o.MaxStates = v, c.mutant, 1, "dfs", 2, 200_000
		res, err := Explore(o)
		if err != nil {
			t.Fatal(err)
		}
		if res.Workers != 2 || res.Serial != "" {
			t.Errorf("%s: %d workers (%s)", c.mutant, res.Workers, res.Serial)
		}
		if res.Violation == nil || res.Violation.Invariant != c.want {
			t.Errorf("%s: violation %v after %d states, want %s", c.mutant, res.Violation, res.States, c.want)
			continue
		}
		_, rr, err := Trace(o, res.Path)
		if err != nil {
			t.Fatal(err)
		}
		if rr.Violation == nil || rr.Violation.Invariant != res.Violation.Invariant {
			t.Errorf("%s: replaying %s gave %v", c.mutant, FormatPath(res.Path), rr.Violation)
		}
	}
}

// TestParallelDFSFallsBack: what the parallel search does not support runs
// on one worker, and the result says why.
func TestParallelDFSFallsBack(t *testing.T) {
	for _, o := range []Options{{Time: TimeAbstract}, {POR: PORSleep}, {Subsume: true, POR: PORSleep}, {Subsume: true, Time: TimeAbstract}} {
		o.Variant, o.VariantName, o.Intent, o.Seed, o.Mode, o.Workers = variant.MustLoad("msc4388"), "msc4388", qr.Reciprocate, 1, "dfs", 2
		res, err := Explore(o)
		if err != nil {
			t.Fatal(err)
		}
		if res.Workers != 1 || res.Serial == "" || !res.Complete {
			t.Errorf("%+v: %d workers, note %q, complete %v", o, res.Workers, res.Serial, res.Complete)
		}
	}
}

// TestExactTimeNoCycle is what the parallel depth-first search's lasso
// rule rests on (pdfs.go): with exact time, (1) the fingerprint encodes
// the run's clock by its value (the encoding's run.now field holds Now)
// and no step moves the clock back, on random walks of presets with
// faults, a careless user and adversaries, so a cycle of states can only
// be made of steps that leave the clock where it is; (2) complete
// depth-first explorations on one worker, whose stack check finds a cycle
// whenever one is reachable (a back edge to a state on the stack), find
// none in these configurations. It does not prove that no configuration
// has a zero-time cycle.
func TestExactTimeNoCycle(t *testing.T) {
	walks := []Options{
		{Intent: qr.Login, Loss: 1, Dup: 1},
		{Intent: qr.Reciprocate, Loss: 2, Resets: 1},
		{Intent: qr.Login, User: UserCareless, Dup: 1},
		{Intent: qr.Login, Adversaries: []string{"rogue-peer"}, Loss: 1},
		{Variant: variant.MustLoad("rust-sdk-main"), Intent: qr.Reciprocate, Loss: 1, Dup: 1},
		{Variant: variant.MustLoad("msc4108-2024"), Intent: qr.Login, Loss: 1, Dup: 1},
	}
	rng := rand.New(rand.NewPCG(7, 7))
	for _, o := range walks {
		if o.Variant.Name == "" {
			o.Variant = variant.MustLoad("msc4388")
		}
		o.Seed = 1
		r, err := o.Runner(false)
		if err != nil {
			t.Fatal(err)
		}
		steps := 0
		for walk := 0; walk < 8; walk++ {
			if err := o.Replay(r, nil); err != nil {
				t.Fatal(err)
			}
			for {
				checkClockEncoded(t, r)
				cs := r.Enabled(nil)
				if len(cs) == 0 || r.Violation() != nil {
					break
				}
				before := r.Now()
				if err := r.Take(cs[rng.IntN(len(cs))]); err != nil {
					t.Fatal(err)
				}
				steps++
				if r.Now() < before {
					t.Fatalf("%s %s: the clock went back from %d to %d", o.Variant.Name, o.Intent, before, r.Now())
				}
			}
		}
		t.Logf("%s %s: %d steps", o.Variant.Name, o.Intent, steps)
	}
	for _, o := range []Options{
		{Intent: qr.Reciprocate, Dup: 1},
		{Intent: qr.Reciprocate, User: UserCareless},
		{Intent: qr.Login, Adversaries: []string{"rogue-peer"}},
		{Variant: variant.MustLoad("msc4108-2024"), Intent: qr.Reciprocate},
	} {
		if o.Variant.Name == "" {
			o.Variant = variant.MustLoad("msc4388")
		}
		o.Seed, o.Workers = 1, 1
		res, _ := exploreDFS(t, o)
		if !res.Complete || res.Violation != nil {
			t.Errorf("%s %s: complete %v, violation %v", o.Variant.Name, o.Intent, res.Complete, res.Violation)
		}
	}
}

// checkClockEncoded fails unless r's fingerprint encoding has the run's
// clock, by its value, at the run.now field.
func checkClockEncoded(t *testing.T, r *sim.Runner) {
	t.Helper()
	enc, parts := r.FingerprintParts(1)
	rs := parts["run.now"]
	if len(rs) != 1 || rs[0][1]-rs[0][0] != 8 {
		t.Fatalf("the encoding's run.now field: %v (fields %v)", rs, slices.Sorted(maps.Keys(parts)))
	}
	b := enc[rs[0][0]:rs[0][1]]
	if v := int64(binary.LittleEndian.Uint64(b)); v != int64(r.Now()) {
		if v := int64(binary.BigEndian.Uint64(b)); v != int64(r.Now()) {
			t.Fatalf("run.now encoded as % x, the clock is %d", b, r.Now())
		}
	}
}
