package explore

import (
	"slices"
	"testing"

	"qrlab/model/qr"
	"qrlab/model/variant"
	"qrlab/sim"
)

// TestFindsMutant: the explorer must find the catalogue mutant
// shared-direction-key (both directions sealed under one key: a nonce
// reused), breadth first, and the counterexample must replay to the same
// violation.
func TestFindsMutant(t *testing.T) {
	v, err := variant.LoadMutant("shared-direction-key")
	if err != nil {
		t.Fatal(err)
	}
	o := Options{Variant: v, VariantName: "shared-direction-key", Intent: qr.Login, Seed: 1, MaxStates: 100_000}
	res, err := Explore(o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Violation == nil {
		t.Fatalf("no violation found in %d states", res.States)
	}
	if res.Violation.Invariant != sim.InvNonceUnique {
		t.Errorf("violation %s, want %s", res.Violation.Invariant, sim.InvNonceUnique)
	}
	_, rr, err := Trace(o, res.Path)
	if err != nil {
		t.Fatal(err)
	}
	if rr.Violation == nil || rr.Violation.Invariant != res.Violation.Invariant {
		t.Errorf("replaying %s gave %v, want %s", FormatPath(res.Path), rr.Violation, res.Violation.Invariant)
	}
}

// TestHonestComplete: the default preset, no faults, explored depth first
// to the end: complete, no violation, and both devices reach done.
func TestHonestComplete(t *testing.T) {
	if testing.Short() {
		t.Skip("explores about 9,000 states")
	}
	o := Options{Variant: variant.MustLoad("msc4388"), VariantName: "msc4388", Intent: qr.Login, Seed: 1, Mode: "dfs"}
	res, err := Explore(o)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Complete || res.Violation != nil {
		t.Fatalf("complete %v, cut %q, violation %v", res.Complete, res.Cut, res.Violation)
	}
	if res.Ended == 0 || res.States < 100 {
		t.Errorf("%d states, %d ended: the exploration did not reach the end of a login", res.States, res.Ended)
	}
	for _, m := range []string{"new", "existing"} {
		found := false
		for _, s := range res.Coverage.States[m] {
			found = found || s == "done"
		}
		if !found {
			t.Errorf("the %s device never reached done: %v", m, res.Coverage.States[m])
		}
	}
}

// TestSameCounts: the same exploration gives the same counts, whatever the
// number of workers expanding a level (3: more than the cores, so workers
// take states whose snapshot another holds) and whether states come back
// by snapshot or, with a snapshot bound of one byte, by replaying their
// paths; in depth first too.
func TestSameCounts(t *testing.T) {
	runs := []struct {
		mode    string
		workers int
		bytes   int64
	}{{"bfs", 1, 0}, {"bfs", 3, 0}, {"bfs", 2, 0}, {"bfs", 2, 1}, {"dfs", 1, 0}, {"dfs", 1, 1}}
	got := make([]Result, len(runs))
	for i, run := range runs {
		workers := run.workers
		o := Options{Variant: variant.MustLoad("msc4388"), VariantName: "msc4388", Intent: qr.Reciprocate, Seed: 3, Depth: 24,
			Loss: 1, Workers: workers, Mode: run.mode, SnapshotBytes: run.bytes}
		res, err := Explore(o)
		if err != nil {
			t.Fatal(err)
		}
		if res.Cut != "depth" || res.Violation != nil {
			t.Fatalf("workers %d: cut %q, violation %v", workers, res.Cut, res.Violation)
		}
		got[i] = res
		if run.bytes > 0 && (res.SnapshotPeak == 0 || res.SnapshotPeak >= got[i-1].SnapshotPeak) {
			t.Errorf("%+v: snapshots held at most %d bytes, %d unbounded", run, res.SnapshotPeak, got[i-1].SnapshotPeak)
		}
	}
	for i, run := range runs {
		ref := got[0]
		if run.mode == "dfs" {
			ref = got[4]
		}
		if got[i].States != ref.States || got[i].Transitions != ref.Transitions || got[i].Ended != ref.Ended {
			t.Errorf("%+v: %d states %d transitions %d ended; %+v: %d, %d, %d", run, got[i].States, got[i].Transitions, got[i].Ended,
				runs[0], ref.States, ref.Transitions, ref.Ended)
		}
	}
}

func TestPathText(t *testing.T) {
	p := []Step{{Seq: 4}, {Seq: 12, Fault: sim.FaultLose}, {Seq: 30, Fault: sim.FaultDuplicate}, {Seq: 31, Fault: sim.DecideTypo},
		{Seq: 32, Fault: sim.DecideBlind}, {Seq: 33, Fault: sim.DecideRefuse}, {Seq: 34, Fault: sim.DecideCancel},
		{Seq: 35, Fault: sim.DecideBrowserFail}, {Seq: 36, Fault: sim.DecideTypoFirst}, {Seq: 37, Fault: sim.FaultReset}}
	s := FormatPath(p)
	if s != "4,12l,30d,31t,32b,33r,34c,35f,36y,37x" {
		t.Errorf("FormatPath = %q", s)
	}
	q, err := ParsePath(s)
	if err != nil || !slices.Equal(q, p) {
		t.Errorf("ParsePath(%q) = %v, %v", s, q, err)
	}
	if Decisions(p) != 6 {
		t.Errorf("Decisions = %d, want 6", Decisions(p))
	}
	for _, bad := range []string{"x", "1,,2", "0", "3q", "-1", "3lb", "t"} {
		if _, err := ParsePath(bad); err == nil {
			t.Errorf("ParsePath(%q) took it", bad)
		}
	}
}

func TestBadOptions(t *testing.T) {
	for _, o := range []Options{{Mode: "bogus"}, {Loss: -1}, {LatencyMillis: -5}, {User: "sloppy"}} {
		o.Variant = variant.MustLoad("msc4388")
		if _, err := Explore(o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}

// TestWalk: random walks are reproducible (the same seed, the same
// states), never claim completeness, and find the shared-direction-key
// mutant, which breaks on every path.
func TestWalk(t *testing.T) {
	o := Options{Variant: variant.MustLoad("msc4388"), Intent: qr.Login, Seed: 2, Mode: "walk", Walks: 3, Loss: 1, Dup: 1}
	a, err := Explore(o)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Explore(o)
	if err != nil {
		t.Fatal(err)
	}
	if a.Complete || a.States != b.States || a.Transitions != b.Transitions || a.Violation != nil {
		t.Errorf("complete %v, states %d and %d, transitions %d and %d, violation %v", a.Complete, a.States, b.States,
			a.Transitions, b.Transitions, a.Violation)
	}
	v, err := variant.LoadMutant("shared-direction-key")
	if err != nil {
		t.Fatal(err)
	}
	o.Variant = v
	if res, err := Explore(o); err != nil || res.Violation == nil {
		t.Errorf("walk on shared-direction-key: %v, %v", err, res.Violation)
	}
}

// TestReachWriteConflict pins a design finding: under the idempotent PUT
// (msc4388), one lost answer is enough for the new device to end with
// write_conflict, and the path to it replays to the same ending.
func TestReachWriteConflict(t *testing.T) {
	o := Options{Variant: variant.MustLoad("msc4388"), VariantName: "msc4388", Intent: qr.Login, Seed: 1, Mode: "dfs", Loss: 1,
		Reach: "write_conflict", MaxStates: 50_000}
	res, err := Explore(o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Reached == "" || res.Violation != nil {
		t.Fatalf("reached %q, violation %v, cut %q after %d states", res.Reached, res.Violation, res.Cut, res.States)
	}
	lost := 0
	for _, s := range res.Path {
		if s.Fault == sim.FaultLose {
			lost++
		}
	}
	if lost != 1 {
		t.Errorf("the path loses %d messages, want 1", lost)
	}
	_, rr, err := Trace(o, res.Path)
	if err != nil {
		t.Fatal(err)
	}
	if rr.Violation == nil || rr.Violation.Invariant != reachInvariant {
		t.Errorf("replaying the path: %v", rr.Violation)
	}
}

// TestCarelessFindsNoWhoami: the no-whoami-check mutant breaks only for a
// user who types the attacker's check code and confirms the attacker's
// account: with the attentive user the exploration is complete and clean,
// with the careless one it finds signed-into-expected-account by a path
// that takes such decisions, and that path replays to the same violation.
func TestCarelessFindsNoWhoami(t *testing.T) {
	v, err := variant.LoadMutant("no-whoami-check")
	if err != nil {
		t.Fatal(err)
	}
	pace := sim.DefaultUser()
	pace.Scan = sim.Constant(60000) // the attack-account-confusion-blind-user scenario's
	o := Options{Variant: v, VariantName: "no-whoami-check", Intent: qr.Login, Seed: 1, Adversaries: []string{"account-confusion"}, Pace: &pace}
	res, err := Explore(o)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Complete || res.Violation != nil {
		t.Fatalf("attentive: complete %v, violation %v", res.Complete, res.Violation)
	}
	o.User = UserCareless
	res, err = Explore(o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Violation == nil || res.Violation.Invariant != sim.InvExpectedAccount {
		t.Fatalf("careless: violation %v in %d states", res.Violation, res.States)
	}
	blind := 0
	for _, s := range res.Path {
		if s.Fault == sim.DecideBlind {
			blind++
		}
	}
	if blind == 0 {
		t.Errorf("path %s has no blind decision", FormatPath(res.Path))
	}
	_, rr, err := Trace(o, res.Path)
	if err != nil {
		t.Fatal(err)
	}
	if rr.Violation == nil || rr.Violation.Invariant != res.Violation.Invariant {
		t.Errorf("replaying %s gave %v", FormatPath(res.Path), rr.Violation)
	}
}
