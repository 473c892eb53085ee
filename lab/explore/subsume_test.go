package explore

import (
	"fmt"
	"maps"
	"os"
	"reflect"
	"slices"
	"sync"
	"testing"

	"qrlab/model/qr"
	"qrlab/model/variant"
	"qrlab/sim"
)

// reached is what an exploration met, for comparing searches with and
// without budget subsumption: the outcome, the fingerprints without the
// budgets of every state the search fingerprinted, and the pairs of
// (fingerprint without budgets, vector spent) among them.
type reached struct {
	outcome
	keys  map[sim.Fingerprint]bool
	pairs map[sim.Fingerprint][]spent
}

// exploreReached explores o, recording every state it fingerprints.
func exploreReached(t *testing.T, o Options) reached {
	t.Helper()
	out := reached{keys: map[sim.Fingerprint]bool{}, pairs: map[sim.Fingerprint][]spent{}}
	seen := map[string]bool{}
	var mu sync.Mutex
	stateHook = func(r *sim.Runner) {
		mu.Lock()
		defer mu.Unlock()
		n, e := r.Endings()
		seen[fmt.Sprintf("%+v|%+v", n, e)] = true
		r.FingerprintBudgets(false)
		key, _ := r.Fingerprint()
		r.FingerprintBudgets(!o.Subsume)
		out.keys[key] = true
		if u := spentOf(r); !slices.Contains(out.pairs[key], u) {
			out.pairs[key] = append(out.pairs[key], u)
		}
	}
	defer func() { stateHook = nil }()
	res, err := Explore(o)
	if err != nil {
		t.Fatal(err)
	}
	out.res, out.endings = res, slices.Sorted(maps.Keys(seen))
	if res.Violation != nil {
		out.violation = res.Violation.Invariant
	}
	return out
}

// subsumeCase is one exploration compared with and without subsumption.
type subsumeCase struct {
	name string
	o    Options
}

// compareSubsumed explores c with and without subsumption and returns what
// differs ("" when nothing does): the violation's invariant (and that its
// path replays to it, and breadth first that it is as short); else the
// device endings, the coverage of the login machines, the states (by
// their fingerprints without budgets) the searches met, and that every
// state the plain search met was met by the other with no more spent.
func compareSubsumed(t *testing.T, c subsumeCase) (string, Result, Result) {
	t.Helper()
	o := c.o
	o.Seed = 1
	if o.Workers == 0 {
		o.Workers = 1
	}
	if o.Variant.Name == "" {
		o.Variant, o.VariantName = variant.MustLoad("msc4388"), "msc4388"
	}
	plain := exploreReached(t, o)
	o.Subsume = true
	sub := exploreReached(t, o)
	if plain.violation != sub.violation {
		return fmt.Sprintf("violation %q without subsumption, %q with", plain.violation, sub.violation), plain.res, sub.res
	}
	if sub.violation != "" {
		_, rr, err := Trace(o, sub.res.Path)
		if err != nil {
			t.Fatal(err)
		}
		if rr.Violation == nil || rr.Violation.Invariant != sub.violation {
			return fmt.Sprintf("the path %s replays to %v, not %s", FormatPath(sub.res.Path), rr.Violation, sub.violation), plain.res, sub.res
		}
		if o.Mode == "bfs" && len(sub.res.Path) != len(plain.res.Path) {
			return fmt.Sprintf("breadth first: a counterexample of %d steps with subsumption, %d without", len(sub.res.Path), len(plain.res.Path)),
				plain.res, sub.res
		}
		return "", plain.res, sub.res
	}
	if plain.res.Complete != sub.res.Complete || plain.res.Cut != sub.res.Cut {
		return fmt.Sprintf("complete %v (cut %q) without subsumption, %v (cut %q) with", plain.res.Complete, plain.res.Cut, sub.res.Complete,
			sub.res.Cut), plain.res, sub.res
	}
	if !slices.Equal(plain.endings, sub.endings) {
		return fmt.Sprintf("endings differ:\nwithout %q\nwith    %q", plain.endings, sub.endings), plain.res, sub.res
	}
	if !reflect.DeepEqual(plain.res.Coverage, sub.res.Coverage) {
		return fmt.Sprintf("coverage differs:\nwithout %+v\nwith    %+v", plain.res.Coverage, sub.res.Coverage), plain.res, sub.res
	}
	missed, extra := 0, 0
	for k := range plain.keys {
		if !sub.keys[k] {
			missed++
		}
	}
	for k := range sub.keys {
		if !plain.keys[k] {
			extra++
		}
	}
	if missed > 0 || extra > 0 {
		return fmt.Sprintf("%d states (fingerprints without budgets) met without subsumption only, %d with it only", missed, extra), plain.res, sub.res
	}
	uncovered := 0
	for k, us := range plain.pairs {
		for _, u := range us {
			if !slices.ContainsFunc(sub.pairs[k], func(v spent) bool { return v[0] <= u[0] && v[1] <= u[1] && v[2] <= u[2] }) {
				uncovered++
			}
		}
	}
	if uncovered > 0 {
		return fmt.Sprintf("%d states met without subsumption have no state with as much budget left met with it", uncovered), plain.res, sub.res
	}
	if sub.res.States > plain.res.States {
		return fmt.Sprintf("%d states with subsumption, more than %d without", sub.res.States, plain.res.States), plain.res, sub.res
	}
	return "", plain.res, sub.res
}

// subsumeCases are the explorations TestSubsumptionSound compares: both
// intents with one duplicate, one loss, one reset, a careless user, an
// adversary, sleep sets, both search modes, and catalogue mutants (one of
// them found only through a loss); depth-bounded where the whole space
// takes more than a second or two (a depth bound keeps the comparison
// exact: a covered state is never deeper than its cover). long adds
// complete explorations of tens of thousands of states.
func subsumeCases(t *testing.T, long bool) []subsumeCase {
	mutant := func(name string) variant.Variant {
		v, err := variant.LoadMutant(name)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	pace := sim.DefaultUser()
	pace.Scan = sim.Constant(60000)
	cases := []subsumeCase{
		{"login dup 1 bfs depth 32", Options{Intent: qr.Login, Dup: 1, Mode: "bfs", Depth: 32}},
		{"reciprocate dup 1 dfs depth 32", Options{Intent: qr.Reciprocate, Dup: 1, Mode: "dfs", Depth: 32}},
		{"reciprocate loss 1 bfs depth 30", Options{Intent: qr.Reciprocate, Loss: 1, Mode: "bfs", Depth: 30}},
		{"login loss 1 dup 1 dfs depth 24", Options{Intent: qr.Login, Loss: 1, Dup: 1, Mode: "dfs", Depth: 24}},
		{"login loss 1 dup 1 dfs sleep sets depth 24", Options{Intent: qr.Login, Loss: 1, Dup: 1, Mode: "dfs", Depth: 24, POR: PORSleep}},
		{"reciprocate resets 1 dup 1 bfs depth 22", Options{Intent: qr.Reciprocate, Resets: 1, Dup: 1, Mode: "bfs", Depth: 22}},
		{"reciprocate careless dup 1 dfs depth 30", Options{Intent: qr.Reciprocate, User: UserCareless, Dup: 1, Mode: "dfs", Depth: 30}},
		{"no-whoami-check account-confusion dup 1 dfs", Options{Variant: mutant("no-whoami-check"), VariantName: "no-whoami-check",
			Intent: qr.Login, Adversaries: []string{"account-confusion"}, Pace: &pace, Dup: 1, Mode: "dfs"}},
		{"mutant shared-direction-key dup 1 bfs", Options{Variant: mutant("shared-direction-key"), VariantName: "shared-direction-key",
			Intent: qr.Login, Dup: 1, Mode: "bfs"}},
		{"mutant static-nonce loss 1 dup 1 bfs", Options{Variant: mutant("static-nonce"), VariantName: "static-nonce",
			Intent: qr.Login, Loss: 1, Dup: 1, Mode: "bfs"}},
		{"mutant no-expiry loss 1 dfs", Options{Variant: mutant("no-expiry"), VariantName: "no-expiry", Intent: qr.Login, Loss: 1, Mode: "dfs"}},
	}
	if long {
		cases = append(cases,
			subsumeCase{"reciprocate dup 1 dfs", Options{Intent: qr.Reciprocate, Dup: 1, Mode: "dfs"}},
			subsumeCase{"login dup 1 dfs", Options{Intent: qr.Login, Dup: 1, Mode: "dfs"}},
			subsumeCase{"reciprocate dup 1 bfs 2 workers", Options{Intent: qr.Reciprocate, Dup: 1, Mode: "bfs", Workers: 2}},
			subsumeCase{"reciprocate dup 1 dfs sleep sets", Options{Intent: qr.Reciprocate, Dup: 1, Mode: "dfs", POR: PORSleep}},
			subsumeCase{"reciprocate loss 1 abstract dfs", Options{Intent: qr.Reciprocate, Loss: 1, Mode: "dfs", Time: TimeAbstract}},
			subsumeCase{"reciprocate resets 1 dfs", Options{Intent: qr.Reciprocate, Resets: 1, Mode: "dfs"}},
			subsumeCase{"reciprocate careless dup 1 dfs", Options{Intent: qr.Reciprocate, User: UserCareless, Dup: 1, Mode: "dfs"}},
			subsumeCase{"mutant secrets-before-success dup 1 bfs", Options{Variant: mutant("secrets-before-success"),
				VariantName: "secrets-before-success", Intent: qr.Login, Dup: 1, Mode: "bfs"}})
	}
	return cases
}

// TestSubsumptionSound: budget subsumption prunes only states whose
// futures a visited state has. Each exploration is run with and without
// it: both find the same violation (none, or one of the same invariant by
// a path that replays to it, breadth first as short), the same device
// endings, the same machine states and transitions, the same states up to
// the budgets spent (every state the plain search met was met with no
// more spent), in no more states. QRLAB_SUBSUME_LONG=1 adds complete
// explorations of tens of thousands of states (a few minutes).
func TestSubsumptionSound(t *testing.T) {
	if testing.Short() {
		t.Skip("explores each case twice")
	}
	pruned := 0
	for _, c := range subsumeCases(t, os.Getenv("QRLAB_SUBSUME_LONG") != "") {
		t.Run(c.name, func(t *testing.T) {
			diff, plain, sub := compareSubsumed(t, c)
			if diff != "" {
				t.Error(diff)
			}
			pruned += sub.Subsumed
			t.Logf("%d states (%d transitions) without subsumption, %d (%d) with, %d pruned as covered", plain.States, plain.Transitions,
				sub.States, sub.Transitions, sub.Subsumed)
		})
	}
	if pruned == 0 {
		t.Errorf("subsumption pruned no state in any case")
	}
}

// TestSubsumptionCatchesWrongWay: the comparison above fails when the
// rule is turned round (a state pruned when a visited one has spent more,
// so less budget left: its futures may be fewer). Of the default cases,
// the two depth-first ones with one loss and one duplicate catch it (the
// others meet no state whose twin with more spent was visited first:
// depth first takes a delivery before its loss or duplicate).
func TestSubsumptionCatchesWrongWay(t *testing.T) {
	if testing.Short() {
		t.Skip("explores twice")
	}
	subsumeWrongWay = true
	defer func() { subsumeWrongWay = false }()
	c := subsumeCase{"login loss 1 dup 1 dfs depth 24", Options{Intent: qr.Login, Loss: 1, Dup: 1, Mode: "dfs", Depth: 24}}
	diff, _, sub := compareSubsumed(t, c)
	if diff == "" {
		t.Fatalf("the wrong-way rule pruned %d states and the comparison found no difference", sub.Subsumed)
	}
	t.Logf("wrong way (%d pruned): %s", sub.Subsumed, diff)
}

// TestSubsumeOptions: subsumption is refused for random walks, and leaves
// the fingerprint's budgets out only while it is on.
func TestSubsumeOptions(t *testing.T) {
	o := Options{Variant: variant.MustLoad("msc4388"), Mode: "walk", Subsume: true}
	if _, err := Explore(o); err == nil {
		t.Errorf("subsumption with random walks: no error")
	}
	if stateID(sim.Fingerprint{1, 2}, spent{}) != (sim.Fingerprint{1, 2}) {
		t.Errorf("the identity of a state that spent nothing is not its fingerprint")
	}
	ids := map[sim.Fingerprint]spent{}
	for l := int32(0); l < 3; l++ {
		for d := int32(0); d < 3; d++ {
			for x := int32(0); x < 3; x++ {
				u := spent{l, d, x}
				id := stateID(sim.Fingerprint{7, 9}, u)
				if v, dup := ids[id]; dup {
					t.Errorf("vectors %v and %v share an identity", u, v)
				}
				ids[id] = u
			}
		}
	}
}

// TestSubsumptionWorkersAgree: breadth first with subsumption, the
// states, transitions and pruned states do not depend on the number of
// workers (the merge checks covers in (parent, choice) order).
func TestSubsumptionWorkersAgree(t *testing.T) {
	if testing.Short() {
		t.Skip("explores three times")
	}
	var first Result
	for _, n := range []int{1, 2, 3} {
		o := Options{Variant: variant.MustLoad("msc4388"), VariantName: "msc4388", Intent: qr.Login, Loss: 1, Dup: 1, Depth: 18,
			Mode: "bfs", Seed: 1, Workers: n, Subsume: true}
		res, err := Explore(o)
		if err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			first = res
			if res.Subsumed == 0 {
				t.Fatalf("nothing pruned in %d states", res.States)
			}
			continue
		}
		if res.States != first.States || res.Transitions != first.Transitions || res.Subsumed != first.Subsumed {
			t.Errorf("%d workers: %d states, %d transitions, %d pruned; 1 worker: %d, %d, %d", n, res.States, res.Transitions, res.Subsumed,
				first.States, first.Transitions, first.Subsumed)
		}
	}
	t.Logf("%d states, %d transitions, %d pruned at 1, 2 and 3 workers", first.States, first.Transitions, first.Subsumed)
}

// endedKeys explores o depth first as Explore does on o.Workers workers
// (exploreDFS: failing if it would fall back to one) and returns the
// result, the fingerprints without budgets of the states where the run
// ended (the end-of-run checks' inputs), and the visited set (identities:
// under subsumption stateID of the key and the vector spent).
func endedKeys(t *testing.T, o Options) (Result, map[sim.Fingerprint]bool, map[sim.Fingerprint]int32) {
	t.Helper()
	keys := map[sim.Fingerprint]bool{}
	var mu sync.Mutex
	leafHook = func(r *sim.Runner) {
		r.FingerprintBudgets(false)
		key, _ := r.Fingerprint()
		r.FingerprintBudgets(!o.Subsume)
		mu.Lock()
		keys[key] = true
		mu.Unlock()
	}
	defer func() { leafHook = nil }()
	res, states := exploreDFS(t, o)
	return res, keys, states
}

// parallelSubsumedDiffs explores o depth first, plainly on one worker and
// with budget subsumption on each number of workers in ws (exploreDFS:
// failing if it would fall back to one), and returns what differs: the
// verdict or cut; the ended states up to the budgets (every key the plain
// search ended in, no other); the coverage of the login machines; a state
// the visited set holds that the plain search never met (as key and
// vector); a key the plain search met that is not held with some vector;
// a (key, vector) the plain search met with none held no larger in any
// component at a depth no greater than the plain search's least; more
// states than the plain search, or a count other than the visited set's
// size. pruned sums the states pruned as covered.
func parallelSubsumedDiffs(t *testing.T, o Options, ws []int) (diffs []string, pruned int) {
	t.Helper()
	o.Seed, o.Workers, o.Subsume = 1, 1, false
	// The plain search, with the (key, vector) of every state it
	// fingerprints (one worker: the state hook is not shared).
	pairs := map[sim.Fingerprint][]spent{}
	ids := map[sim.Fingerprint]sim.Fingerprint{}  // identity -> key
	fpID := map[sim.Fingerprint]sim.Fingerprint{} // fingerprint -> identity
	stateHook = func(r *sim.Runner) {
		fp, _ := r.Fingerprint()
		r.FingerprintBudgets(false)
		key, _ := r.Fingerprint()
		r.FingerprintBudgets(true)
		u := spentOf(r)
		if !slices.Contains(pairs[key], u) {
			pairs[key] = append(pairs[key], u)
			ids[stateID(key, u)] = key
		}
		fpID[fp] = stateID(key, u)
	}
	plain, want, plainStates := endedKeys(t, o)
	stateHook = nil
	least := map[sim.Fingerprint]int32{} // identity -> least depth the plain search met it at
	for fp, d := range plainStates {
		least[fpID[fp]] = d
	}
	if (o.Depth > 0) != (plain.Cut == "depth") || plain.Violation != nil {
		t.Fatalf("plain: cut %q, violation %v", plain.Cut, plain.Violation)
	}
	t.Logf("plain, 1 worker: %d states, %d transitions, %d ended (%d keys)", plain.States, plain.Transitions, plain.Ended, len(want))
	for _, w := range ws {
		o.Subsume, o.Workers = true, w
		res, got, states := endedKeys(t, o)
		t.Logf("subsumed, %d workers: %d states, %d transitions, %d pruned, %d ended (%d keys), %d taken", w, res.States, res.Transitions,
			res.Subsumed, res.Ended, len(got), res.Taken)
		pruned += res.Subsumed
		if res.Workers != w || res.Cut != plain.Cut || res.Violation != nil {
			diffs = append(diffs, fmt.Sprintf("%d workers: ran on %d, cut %q, violation %v", w, res.Workers, res.Cut, res.Violation))
			continue
		}
		missed, extra := 0, 0
		for k := range want {
			if !got[k] {
				missed++
			}
		}
		for k := range got {
			if !want[k] {
				extra++
			}
		}
		if missed > 0 || extra > 0 {
			diffs = append(diffs, fmt.Sprintf("%d workers: %d ended keys of the plain search missed, %d extra", w, missed, extra))
		}
		held := map[sim.Fingerprint]bool{}
		unknown := 0
		for id := range states {
			if key, ok := ids[id]; ok {
				held[key] = true
			} else {
				unknown++
			}
		}
		uncovered := 0
		for key, us := range pairs {
			for _, u := range us {
				d := least[stateID(key, u)]
				if !slices.ContainsFunc(us, func(v spent) bool {
					dv, in := states[stateID(key, v)]
					return in && dv <= d && v[0] <= u[0] && v[1] <= u[1] && v[2] <= u[2]
				}) {
					uncovered++
				}
			}
		}
		if unknown > 0 || len(held) != len(pairs) || uncovered > 0 {
			diffs = append(diffs, fmt.Sprintf("%d workers: %d visited states the plain search never met, %d of its %d keys held, %d of its states with no cover",
				w, unknown, len(held), len(pairs), uncovered))
		}
		if !reflect.DeepEqual(res.Coverage, plain.Coverage) {
			diffs = append(diffs, fmt.Sprintf("%d workers: coverage %+v, plain %+v", w, res.Coverage, plain.Coverage))
		}
		if res.States > plain.States || len(states) != res.States {
			diffs = append(diffs, fmt.Sprintf("%d workers: %d states (%d in the visited set), the plain search %d", w, res.States, len(states),
				plain.States))
		}
	}
	return diffs, pruned
}

// TestParallelSubsumptionSameEndings: depth first with budget
// subsumption on 1, 2 and 3 workers (3: more than the cores, so work is
// taken often, and the order in which states are met, so what is pruned,
// differs) agrees with the plain search on one worker in everything
// parallelSubsumedDiffs compares, on presets with one loss and one
// duplicate (depth-bounded to take seconds; a cover is never deeper than
// what it prunes, so the bound keeps the comparison exact).
// QRLAB_SUBSUME_LONG=1 adds a complete exploration, with ended states.
func TestParallelSubsumptionSameEndings(t *testing.T) {
	if testing.Short() {
		t.Skip("explores each case four times")
	}
	cases := []struct {
		name string
		o    Options
	}{
		{"msc4388 login loss 1 dup 1 depth 24", Options{Variant: variant.MustLoad("msc4388"), Intent: qr.Login, Loss: 1, Dup: 1, Depth: 24}},
		{"msc4388 reciprocate loss 1 dup 1 depth 26", Options{Variant: variant.MustLoad("msc4388"), Intent: qr.Reciprocate, Loss: 1, Dup: 1,
			Depth: 26}},
		{"rust-sdk-main reciprocate dup 1 depth 30", Options{Variant: variant.MustLoad("rust-sdk-main"), Intent: qr.Reciprocate, Dup: 1,
			Depth: 30}},
		{"msc4108-2024 login loss 1 dup 1 depth 22", Options{Variant: variant.MustLoad("msc4108-2024"), Intent: qr.Login, Loss: 1, Dup: 1,
			Depth: 22}},
		{"msc4388-mas login loss 1 dup 1 depth 22", Options{Variant: variant.MustLoad("msc4388-mas"), Intent: qr.Login, Loss: 1, Dup: 1,
			Depth: 22}},
	}
	if os.Getenv("QRLAB_SUBSUME_LONG") != "" { // 42,513 states plain
		cases = append(cases, struct {
			name string
			o    Options
		}{"msc4388 reciprocate dup 1", Options{Variant: variant.MustLoad("msc4388"), Intent: qr.Reciprocate, Dup: 1}})
	}
	pruned := 0
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			diffs, n := parallelSubsumedDiffs(t, c.o, []int{1, 2, 3})
			for _, d := range diffs {
				t.Error(d)
			}
			pruned += n
		})
	}
	if pruned == 0 {
		t.Errorf("subsumption pruned nothing in any case")
	}
}

// TestParallelSubsumptionCatchesWrongWay: the comparison above fails on
// two workers when the rule is turned round (a state pruned when a
// visited one has spent more).
func TestParallelSubsumptionCatchesWrongWay(t *testing.T) {
	if testing.Short() {
		t.Skip("explores twice")
	}
	subsumeWrongWay = true
	defer func() { subsumeWrongWay = false }()
	o := Options{Variant: variant.MustLoad("msc4388"), Intent: qr.Login, Loss: 1, Dup: 1, Depth: 24}
	diffs, pruned := parallelSubsumedDiffs(t, o, []int{2})
	if len(diffs) == 0 {
		t.Fatalf("the wrong-way rule pruned %d states on two workers and the comparison found no difference", pruned)
	}
	t.Logf("wrong way on two workers (%d pruned): %s", pruned, diffs)
}
