package lab

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"qrlab/reports"
	"qrlab/scenarios"
)

func tinySweep(t *testing.T) scenarios.Scenario {
	t.Helper()
	sc, err := scenarios.Load("happy-path")
	if err != nil {
		t.Fatal(err)
	}
	sc.Runs, sc.Seed = 3, 1
	return sc
}

func records(t *testing.T, dir string) map[[2]uint64]string {
	t.Helper()
	got := map[[2]uint64]string{}
	_, _, err := reports.ScanFile(filepath.Join(dir, "runs.jsonl"), func(r *reports.Record) error {
		got[[2]uint64{uint64(r.Point), r.Seed}] = r.TraceHash
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestSweepShardsMerge: a sweep records every (point, seed) once; two
// shards merged hold the same records; a resumed complete sweep runs
// nothing; a second sweep into the same directory is refused.
func TestSweepShardsMerge(t *testing.T) {
	sc := tinySweep(t)
	dir := t.TempDir()
	full := filepath.Join(dir, "full")
	r, err := Sweep(sc, SweepOptions{Dir: full, Workers: 2})
	if err != nil || r.Ran != 6 || r.ShardJobs != 6 || r.Interrupted {
		t.Fatalf("sweep: %+v, %v", r, err)
	}
	want := records(t, full)
	if len(want) != 6 {
		t.Fatalf("%d records, want 6", len(want))
	}
	if r, err := Sweep(sc, SweepOptions{Dir: full, Workers: 2, Resume: true}); err != nil || r.Ran != 0 || r.Prior != 6 {
		t.Fatalf("resume of a complete sweep: %+v, %v", r, err)
	}
	if _, err := Sweep(sc, SweepOptions{Dir: full, Workers: 2}); err == nil || !strings.Contains(err.Error(), "already holds a sweep") {
		t.Fatalf("a second sweep into the directory: %v", err)
	}
	var shards []string
	for k := range 2 {
		d := filepath.Join(dir, "shard", string(rune('a'+k)))
		if _, err := Sweep(sc, SweepOptions{Dir: d, Workers: 1, ShardK: k, ShardN: 2}); err != nil {
			t.Fatal(err)
		}
		shards = append(shards, d)
	}
	merged := filepath.Join(dir, "merged")
	m, err := Merge(merged, shards, false)
	if err != nil || m.Kept != 6 || m.Dups != 0 {
		t.Fatalf("merge: %+v, %v", m, err)
	}
	got := records(t, merged)
	for k, h := range want {
		if got[k] != h {
			t.Errorf("point %d seed %d: merged trace hash %q, the full sweep's %q", k[0], k[1], got[k], h)
		}
	}
	if _, err := os.Stat(filepath.Join(merged, "runs.csv")); err != nil {
		t.Errorf("no CSV after merge: %v", err)
	}
}

// TestSimulateOrderAndStop: outcomes come in seed order with the seeds
// asked for, and stopping at one starts no more than the window after it.
func TestSimulateOrderAndStop(t *testing.T) {
	cfg, sc, err := Config("default", scenarios.Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	tot := NewTotals()
	var seeds []uint64
	err = Simulate(cfg, sc.Seed, 8, 2, func(oc Outcome) bool {
		if oc.Err != nil {
			t.Fatal(oc.Err)
		}
		seeds = append(seeds, oc.Result.Seed)
		tot.Add(&oc.Result)
		return oc.Index < 3
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range seeds {
		if s != sc.Seed+uint64(i) {
			t.Fatalf("seeds %v, want consecutive from %d", seeds, sc.Seed)
		}
	}
	if len(seeds) < 4 || tot.Runs != len(seeds) {
		t.Fatalf("%d outcomes, totals of %d runs; want at least 4", len(seeds), tot.Runs)
	}
}

// TestSweepCounts: run counts whose product with the points overflows, or
// passes MaxJobs, are refused before anything is written, as are seeds
// that would wrap past the largest; a sweep of ten billion runs allocates
// by what it runs, not by its size (stopped at once, it uses little
// memory).
func TestSweepCounts(t *testing.T) {
	sc, err := scenarios.Load("generations")
	if err != nil {
		t.Fatal(err)
	}
	pts := sc.GridSize()
	for _, runs := range []int{3074457345618258603, 6148914691236517206, math.MaxInt, MaxJobs/pts + 1} {
		sc.Runs = runs
		dir := filepath.Join(t.TempDir(), "x")
		if _, err := Sweep(sc, SweepOptions{Dir: dir, Workers: 1}); err == nil || !strings.Contains(err.Error(), "is more than") {
			t.Errorf("runs %d × %d points: %v, want refused", runs, pts, err)
		}
		if _, err := os.Stat(dir); err == nil {
			t.Errorf("runs %d: a refused sweep made its directory", runs)
		}
	}
	sc.Runs, sc.Seed = 3, math.MaxUint64
	if _, err := Sweep(sc, SweepOptions{Dir: filepath.Join(t.TempDir(), "x"), Workers: 1}); err == nil || !strings.Contains(err.Error(), "largest seed") {
		t.Errorf("seeds past the largest: %v", err)
	}
	sc.Runs, sc.Seed = 10_000_000_000/pts, 0
	stop := make(chan struct{})
	close(stop)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	r, err := Sweep(sc, SweepOptions{Dir: filepath.Join(t.TempDir(), "x"), Workers: 1, Stop: stop})
	runtime.ReadMemStats(&after)
	if err != nil || !r.Interrupted || r.ShardJobs != sc.Runs*pts {
		t.Fatalf("a stopped sweep of %d runs: %+v, %v", sc.Runs*pts, r, err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
		t.Errorf("a stopped sweep of %d runs allocated %d MB", sc.Runs*pts, grew>>20)
	}
}

// TestSimulateSeeds: runs that would wrap past the largest seed are
// refused, not run from seed 0.
func TestSimulateSeeds(t *testing.T) {
	cfg, _, err := Config("happy-path", scenarios.Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	ran := 0
	err = Simulate(cfg, math.MaxUint64, 3, 1, func(Outcome) bool { ran++; return true })
	if err == nil || ran != 0 {
		t.Errorf("seeds from 2^64-1, 3 runs: ran %d, %v", ran, err)
	}
	seed, runs := uint64(math.MaxUint64), 3
	if _, _, err := Config("happy-path", scenarios.Overrides{Seed: &seed, Runs: &runs}); err == nil || !strings.Contains(err.Error(), "largest seed") {
		t.Errorf("Config with seeds past the largest: %v", err)
	}
	if err := Simulate(cfg, math.MaxUint64, 1, 1, func(Outcome) bool { ran++; return true }); err != nil || ran != 1 {
		t.Errorf("the largest seed alone: ran %d, %v", ran, err)
	}
}

// TestManifestErrors: a sweep.json of the wrong shape is refused in the
// terms of its JSON, naming the field, not a Go type.
func TestManifestErrors(t *testing.T) {
	dir := t.TempDir()
	shard := filepath.Join(dir, "s")
	if err := os.MkdirAll(shard, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(shard, "sweep.json"), []byte(`{"points": "x"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Merge(filepath.Join(dir, "m"), []string{shard}, false)
	if err == nil || !strings.Contains(err.Error(), `field "points" must be a number, not a string`) || strings.Contains(err.Error(), "Go ") {
		t.Errorf("merge of a bad sweep.json: %v", err)
	}
}

// TestManifestCounts: a sweep.json whose points or runs no sweep writes
// (more points than its axes span, a product past MaxJobs) is refused
// before a report or a merge sizes anything by it.
func TestManifestCounts(t *testing.T) {
	sc := tinySweep(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	if _, err := Sweep(sc, SweepOptions{Dir: src, Workers: 1}); err != nil {
		t.Fatal(err)
	}
	m, err := reports.ReadManifest(filepath.Join(src, "sweep.json"))
	if err != nil {
		t.Fatal(err)
	}
	for name, edit := range map[string]func(m *reports.Manifest){
		"points 10^15":  func(m *reports.Manifest) { m.Points = 1_000_000_000_000_000 },
		"points 3":      func(m *reports.Manifest) { m.Points = 3 },
		"runs 2^62":     func(m *reports.Manifest) { m.Runs = 1 << 62 },
		"seed past max": func(m *reports.Manifest) { m.Seed = math.MaxUint64 },
	} {
		c := *m
		edit(&c)
		d := filepath.Join(dir, strings.ReplaceAll(name, " ", "-"))
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := reports.WriteManifest(filepath.Join(d, "sweep.json"), &c); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(filepath.Join(src, "runs.jsonl"))
		os.WriteFile(filepath.Join(d, "runs.jsonl"), b, 0o644)
		if _, err := Report(d, d, nil); err == nil {
			t.Errorf("%s: report accepted it", name)
		}
		if _, err := Merge(filepath.Join(d, "merged"), []string{d}, true); err == nil {
			t.Errorf("%s: merge accepted it", name)
		}
	}
}

// TestSweepFolderLocked: while a writer holds a sweep folder, a second
// sweep into it (a --resume racing the first) and a merge of it as a shard
// are refused, and nothing is written; once the writer lets go, both work.
func TestSweepFolderLocked(t *testing.T) {
	sc := tinySweep(t)
	dir := filepath.Join(t.TempDir(), "s")
	if _, err := Sweep(sc, SweepOptions{Dir: dir, Workers: 1}); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(filepath.Join(dir, "runs.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	held, err := reports.LockDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Sweep(sc, SweepOptions{Dir: dir, Workers: 1, Resume: true}); !errors.Is(err, reports.ErrLocked) {
		t.Fatalf("second writer: %v, want ErrLocked", err)
	}
	out := filepath.Join(t.TempDir(), "m")
	if _, err := Merge(out, []string{dir}, false); !errors.Is(err, reports.ErrLocked) {
		t.Fatalf("merge of a shard being written: %v, want ErrLocked", err)
	}
	if _, err := os.Stat(filepath.Join(out, "runs.jsonl")); err == nil {
		t.Fatal("a refused merge wrote records")
	}
	if after, _ := os.ReadFile(filepath.Join(dir, "runs.jsonl")); string(after) != string(before) {
		t.Fatal("a refused sweep changed the records")
	}
	held.Close()
	if _, err := Sweep(sc, SweepOptions{Dir: dir, Workers: 1, Resume: true}); err != nil {
		t.Fatalf("resume after the writer ended: %v", err)
	}
	if _, err := Merge(out, []string{dir}, false); err != nil {
		t.Fatalf("merge after the writer ended: %v", err)
	}
}

// TestReportWarnsOfDuplicates: a records file holding every run twice is
// reported once per run, and the caller is told what was dropped.
func TestReportWarnsOfDuplicates(t *testing.T) {
	sc := tinySweep(t)
	dir := filepath.Join(t.TempDir(), "s")
	if _, err := Sweep(sc, SweepOptions{Dir: dir, Workers: 1}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "runs.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "runs.jsonl"), append(b, b...), 0o644); err != nil {
		t.Fatal(err)
	}
	var warned []string
	runs, err := Report(dir, t.TempDir(), func(err error) { warned = append(warned, err.Error()) })
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Count(string(b), "\n"); runs != want {
		t.Fatalf("report of %d runs, want %d", runs, want)
	}
	if len(warned) != 1 || !strings.Contains(warned[0], "duplicate") {
		t.Fatalf("warnings %q, want one about duplicates", warned)
	}
}
