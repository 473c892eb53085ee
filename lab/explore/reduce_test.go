package explore

import (
	"fmt"
	"maps"
	"os"
	"reflect"
	"slices"
	"testing"

	"qrlab/model/qr"
	"qrlab/model/variant"
	"qrlab/sim"
)

// outcome is what an exploration found, besides its counts: the violation
// (its invariant), every pair of device endings met at a state, and the
// states and transitions each login machine reached.
type outcome struct {
	res       Result
	violation string
	endings   []string
}

// exploreOutcome explores o, collecting the endings met at every state.
func exploreOutcome(t *testing.T, o Options) outcome {
	t.Helper()
	seen := map[string]bool{}
	stateHook = func(r *sim.Runner) {
		n, e := r.Endings()
		seen[fmt.Sprintf("%+v|%+v", n, e)] = true
	}
	defer func() { stateHook = nil }()
	o.Workers = 1
	res, err := Explore(o)
	if err != nil {
		t.Fatal(err)
	}
	out := outcome{res: res, endings: slices.Sorted(maps.Keys(seen))}
	if res.Violation != nil {
		out.violation = string(res.Violation.Invariant)
	}
	return out
}

// TestReductionSound: the fingerprint's reduction (sim/fingerprint_reduce.go:
// server and device clocks not ahead of the run's time, the exchanges'
// ledgers as differences, the grants' poll records as the provider reads
// them) merges only states with the same future. Each exploration is run
// with the reduced and with the exact fingerprint: complete ones must find
// the same violation (none), the same device endings and the same machine
// states and transitions, in no more states; ones that find a violation
// must find one of the same invariant, by a path that replays to it. Larger
// explorations (more presets, one duplicate) with QRLAB_EXPLORE_SOUND=1
// (go test -timeout 20m).
func TestReductionSound(t *testing.T) {
	if testing.Short() {
		t.Skip("explores about 12,000 states")
	}
	m4388 := variant.MustLoad("msc4388")
	mas := variant.MustLoad("msc4388-mas")
	noWhoami, err := variant.LoadMutant("no-whoami-check")
	if err != nil {
		t.Fatal(err)
	}
	shared, err := variant.LoadMutant("shared-direction-key")
	if err != nil {
		t.Fatal(err)
	}
	pace := sim.DefaultUser()
	pace.Scan = sim.Constant(60000)
	cases := []struct {
		name string
		o    Options
		big  bool
	}{
		{"msc4388 reciprocate careless", Options{Variant: m4388, Intent: qr.Reciprocate, User: UserCareless}, false},
		{"msc4388 login", Options{Variant: m4388, Intent: qr.Login}, true},
		{"msc4388-mas reciprocate (no slow_down)", Options{Variant: mas, Intent: qr.Reciprocate}, true},
		{"no-whoami-check account-confusion", Options{Variant: noWhoami, Intent: qr.Login, Adversaries: []string{"account-confusion"}, Pace: &pace}, false},
		{"no-whoami-check account-confusion careless", Options{Variant: noWhoami, Intent: qr.Login, Adversaries: []string{"account-confusion"}, Pace: &pace, User: UserCareless}, false},
		{"shared-direction-key", Options{Variant: shared, Intent: qr.Login}, false},
		{"msc4388 reciprocate dup 1", Options{Variant: m4388, Intent: qr.Reciprocate, Dup: 1}, true},
		{"msc4388 login dup 1", Options{Variant: m4388, Intent: qr.Login, Dup: 1}, true},
		{"msc4388-mas reciprocate dup 1", Options{Variant: mas, Intent: qr.Reciprocate, Dup: 1}, true},
	}
	big := os.Getenv("QRLAB_EXPLORE_SOUND") != ""
	for _, c := range cases {
		if c.big && !big {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			o := c.o
			o.Seed, o.Mode = 1, "dfs"
			red := exploreOutcome(t, o)
			o.exact = true
			ex := exploreOutcome(t, o)
			t.Logf("%s: %d states (%d transitions) reduced, %d exact", c.name, red.res.States, red.res.Transitions, ex.res.States)
			if red.violation != ex.violation {
				t.Fatalf("violation %q reduced, %q exact", red.violation, ex.violation)
			}
			if red.violation != "" {
				_, rr, err := Trace(o, red.res.Path)
				if err != nil {
					t.Fatal(err)
				}
				if rr.Violation == nil || string(rr.Violation.Invariant) != red.violation {
					t.Errorf("the reduced search's path %s replays to %v", FormatPath(red.res.Path), rr.Violation)
				}
				return
			}
			if !red.res.Complete || !ex.res.Complete {
				t.Fatalf("complete: %v reduced, %v exact", red.res.Complete, ex.res.Complete)
			}
			if red.res.States > ex.res.States {
				t.Errorf("%d states reduced, more than %d exact", red.res.States, ex.res.States)
			}
			if !slices.Equal(red.endings, ex.endings) {
				t.Errorf("endings differ:\nreduced %q\nexact   %q", red.endings, ex.endings)
			}
			if !reflect.DeepEqual(red.res.Coverage, ex.res.Coverage) {
				t.Errorf("coverage differs:\nreduced %+v\nexact   %+v", red.res.Coverage, ex.res.Coverage)
			}
		})
	}
}

// future is what a state shows of its future one step ahead: its endings
// and violation, and each enabled choice (without its sequence number)
// with the reduced fingerprint of the state it leads to.
func future(t *testing.T, r *sim.Runner) string {
	t.Helper()
	n, e := r.Endings()
	out := fmt.Sprintf("%+v|%+v|%v", n, e, r.Violation())
	if r.Violation() != nil {
		return out
	}
	return out + "|" + successors(t, r, func(c sim.Choice, fp sim.Fingerprint) string {
		c.Seq = 0
		return fmt.Sprintf("%+v→%x", c, fp)
	})
}

// successors takes each choice enabled at r's state in turn, restoring the
// state after each, and lists, sorted, what describe says of the choice
// (as it was offered) and the fingerprint of the state it led to.
func successors(t *testing.T, r *sim.Runner, describe func(c sim.Choice, fp sim.Fingerprint) string) string {
	t.Helper()
	snap, err := r.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	var succ []string
	for _, c := range r.Enabled(nil) {
		if err := r.Take(c); err != nil {
			t.Fatal(err)
		}
		fp, _ := r.Fingerprint()
		succ = append(succ, describe(c, fp))
		if err := r.Restore(snap); err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(succ)
	return fmt.Sprint(succ)
}

// TestReductionMergesSameFutures: wherever the reduced fingerprint merges
// two states the exact one tells apart, the two have the same endings,
// violation and enabled choices, and each choice leads to states the
// reduced fingerprint merges again: a bisimulation, checked at every
// merged pair an exploration meets (by induction, the merged states have
// the same futures). It also checks that the reduction merged some. More
// explorations with QRLAB_EXPLORE_SOUND=1.
func TestReductionMergesSameFutures(t *testing.T) {
	if testing.Short() {
		t.Skip("expands every state twice")
	}
	m4388 := variant.MustLoad("msc4388")
	cases := []Options{
		{Variant: m4388, Intent: qr.Reciprocate, Loss: 1, MaxStates: 1500},
		// A duplicated device check met a 404 twice: the device
		// checker's record is encoded by its earliest answers.
		{Variant: m4388, Intent: qr.Reciprocate, Dup: 1, MaxStates: 3000},
	}
	if os.Getenv("QRLAB_EXPLORE_SOUND") != "" {
		cases = append(cases,
			Options{Variant: m4388, Intent: qr.Login},
			Options{Variant: m4388, Intent: qr.Reciprocate, User: UserCareless},
			Options{Variant: variant.MustLoad("msc4388-mas"), Intent: qr.Reciprocate},
			Options{Variant: m4388, Intent: qr.Reciprocate, Loss: 1, MaxStates: 4000},
			Options{Variant: m4388, Intent: qr.Login, Dup: 1, MaxStates: 4000},
			Options{Variant: m4388, Intent: qr.Reciprocate, Dup: 1},
			Options{Variant: m4388, Intent: qr.Login, Resets: 1, MaxStates: 4000})
	}
	for _, o := range cases {
		t.Run(fmt.Sprintf("%s %v loss %d dup %d %s", o.Variant.Name, o.Intent, o.Loss, o.Dup, o.User), func(t *testing.T) {
			o.Seed, o.Mode, o.Workers = 1, "dfs", 1
			states, merged := exploreCheckingMerges(t, o, future)
			t.Logf("%d states, %d merged meetings checked", states, merged)
			if merged == 0 {
				t.Errorf("the reduction merged no state")
			}
		})
	}
}

// exploreCheckingMerges explores o with one worker and checks, at every
// state whose fingerprint (Runner.Fingerprint) equals an earlier state's
// that the exact fingerprint tells apart, that both show the same one step
// ahead (future); it reports the states explored and the merged meetings
// checked.
func exploreCheckingMerges(t *testing.T, o Options, future func(*testing.T, *sim.Runner) string) (states, merged int) {
	t.Helper()
	type first struct {
		exact  sim.Fingerprint
		future string
	}
	seen := map[sim.Fingerprint]first{}
	failed := false
	stateHook = func(r *sim.Runner) {
		if failed {
			return
		}
		fp, _ := r.Fingerprint()
		ex := r.FingerprintExact()
		f, ok := seen[fp]
		if !ok {
			seen[fp] = first{ex, future(t, r)}
			return
		}
		if f.exact == ex {
			return
		}
		merged++
		if got := future(t, r); got != f.future {
			failed = true
			t.Errorf("merged states differ one step ahead:\n%s\n%s", f.future, got)
		}
	}
	defer func() { stateHook = nil }()
	res, err := Explore(o)
	if err != nil {
		t.Fatal(err)
	}
	return res.States, merged
}
