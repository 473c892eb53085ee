package fuzzer

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestListTargets finds fuzz targets by go test's rule in a throwaway
// module: Fuzz and FuzzX functions taking one *testing.F, in the test files
// the build constraints keep, across packages, sorted.
func TestListTargets(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":            "module m\n\ngo 1.26\n",
		"a_test.go":         "package m\n\nimport \"testing\"\n\nfunc FuzzRoot(f *testing.F) {}\nfunc Fuzz(f *testing.F) {}\nfunc Fuzzy(f *testing.F) {}\nfunc FuzzT(t *testing.T) {}\n",
		"sub/b_test.go":     "package sub_test\n\nimport \"testing\"\n\nfunc FuzzB(f *testing.F) {}\nfunc FuzzA(f *testing.F) {}\n",
		"sub/b.go":          "package sub\n",
		"sub/other_test.go": "//go:build never\n\npackage sub\n\nimport \"testing\"\n\nfunc FuzzNever(f *testing.F) {}\n",
	}
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := listTargets(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []Target{{".", "Fuzz"}, {".", "FuzzRoot"}, {"./sub", "FuzzA"}, {"./sub", "FuzzB"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestParseFuzzOutput(t *testing.T) {
	out := []byte(`fuzz: elapsed: 0s, gathering baseline coverage: 0/27 completed
fuzz: elapsed: 0s, gathering baseline coverage: 27/27 completed, now fuzzing with 2 workers
fuzz: elapsed: 3s, execs: 24817 (8272/sec), new interesting: 6 (total: 33)
fuzz: elapsed: 6s, execs: 30000 (1727/sec), new interesting: 7 (total: 34)
fuzz: elapsed: 57s, execs: 30000 (0/sec), new interesting: 7 (total: 34)
fuzz: elapsed: 1m0s, execs: 60000 (10000/sec), new interesting: 10 (total: 37)
PASS
`)
	st := parseOutput(out)
	if st.Elapsed != time.Minute || st.Execs != 60000 || st.Interesting != 10 || st.ExecsPerSec() != 1000 ||
		st.Active != 9*time.Second || st.ActiveExecsPerSec() < 6666 || st.ActiveExecsPerSec() > 6667 {
		t.Fatalf("%+v", st)
	}
}

// TestNoExecs: a run that counted no execution is told apart by why: its
// start-up's baseline coverage not finished (with how far it got), or no
// progress line at all; a run that counted executions, failed or crashed
// has no such reason (those are reported as such).
func TestNoExecs(t *testing.T) {
	tg := Target{"./fuzz", "FuzzSimRun"}
	stopped := parseOutput([]byte(`fuzz: elapsed: 0s, gathering baseline coverage: 0/355 completed
fuzz: elapsed: 3s, gathering baseline coverage: 41/355 completed
fuzz: elapsed: 7s, gathering baseline coverage: 97/355 completed
PASS
`))
	stopped.Target, stopped.Limit = tg, 7*time.Second
	if stopped.Execs != 0 || stopped.Baseline != 97 || stopped.BaselineOf != 355 {
		t.Fatalf("parsed %+v", stopped)
	}
	silent := Stats{Target: tg, Limit: 1200 * time.Millisecond}
	fuzzed := parseOutput([]byte(`fuzz: elapsed: 0s, gathering baseline coverage: 0/2 completed
fuzz: elapsed: 0s, gathering baseline coverage: 2/2 completed, now fuzzing with 2 workers
fuzz: elapsed: 1s, execs: 2 (2/sec), new interesting: 0 (total: 2)
`))
	if fuzzed.Execs != 2 || fuzzed.Baseline != 2 || fuzzed.BaselineOf != 2 {
		t.Fatalf("parsed %+v", fuzzed)
	}
	for _, c := range []struct {
		name string
		st   Stats
		want []string // in the reason; none: no reason
	}{
		{"stopped in its start-up", stopped, []string{"start-up took all of the 7s", "ran 97 of the 355 inputs", "never fuzzed"}},
		{"no progress at all", silent, []string{"no progress in the 1.2s", "binary's own start-up"}},
		{"fuzzed", fuzzed, nil},
		{"failed", Stats{Target: tg, Failed: true}, nil},
		{"crashed", Stats{Target: tg, Crashers: []string{"testdata/fuzz/FuzzSimRun/x"}}, nil},
		{"deadline race, no executions", Stats{Target: tg, DeadlineFlake: true, Limit: time.Second}, []string{"no progress"}},
	} {
		got := c.st.NoExecs()
		if (got == "") != (len(c.want) == 0) {
			t.Errorf("%s: reason %q", c.name, got)
		}
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: reason %q lacks %q", c.name, got, w)
			}
		}
	}
}

// TestStartWatch: a run's share starts at the progress line that ends the
// start-up, wherever the writes split the lines, and not before; a binary
// without coverage says so by its first execution count instead.
func TestStartWatch(t *testing.T) {
	out := "warning: starting with empty corpus\n" +
		"fuzz: elapsed: 0s, gathering baseline coverage: 0/12 completed\n" +
		"fuzz: elapsed: 3s, gathering baseline coverage: 5/12 completed\n" +
		"fuzz: elapsed: 4s, gathering baseline coverage: 12/12 completed, now fuzzing with 2 workers\n" +
		"fuzz: elapsed: 6s, execs: 9000 (3000/sec), new interesting: 1 (total: 13)\n"
	end := strings.Index(out, ", now fuzzing") + len(", now fuzzing with 2 workers\n")
	for _, chunk := range []int{1, 7, 64, len(out)} {
		w := &startWatch{fuzzing: make(chan struct{})}
		for i := 0; i < len(out); i += chunk {
			j := min(i+chunk, len(out))
			w.Write([]byte(out[i:j]))
			began := false
			select {
			case <-w.fuzzing:
				began = true
			default:
			}
			if began != (j >= end) {
				t.Fatalf("chunks of %d: after %d bytes began=%v, the start-up ends at %d", chunk, j, began, end)
			}
		}
		if w.out.String() != out {
			t.Fatalf("chunks of %d: kept %q", chunk, w.out.String())
		}
	}
	w := &startWatch{fuzzing: make(chan struct{})}
	w.Write([]byte("fuzz: elapsed: 0s, testing seed corpus: 3/3 completed\n"))
	select {
	case <-w.fuzzing:
		t.Fatal("began on a seed-corpus line without \"now fuzzing\"")
	default:
	}
	w.Write([]byte("fuzz: elapsed: 3s, execs: 30 (10/sec)\n"))
	select {
	case <-w.fuzzing:
	default:
		t.Fatal("did not begin at the first execution count")
	}
}

func TestDeadlineFlake(t *testing.T) {
	flake := []byte("fuzz: elapsed: 11s, execs: 6937 (603/sec), new interesting: 6 (total: 75)\n" +
		"--- FAIL: FuzzExistingDeviceStep (11.02s)\n    context deadline exceeded\nFAIL\nexit status 1\n")
	crash := []byte("--- FAIL: FuzzX (1.2s)\n    context deadline exceeded\n    Failing input written to testdata/fuzz/FuzzX/ab\n")
	other := []byte("--- FAIL: FuzzX (1.2s)\n    x_test.go:9: boom\n")
	if !deadlineFlake(flake) || deadlineFlake(crash) || deadlineFlake(other) {
		t.Fatal("deadlineFlake misclassifies")
	}
}

// TestRunOrder: the decoders run between two ceiling runs, the rest after;
// with no decoder (or no ceiling) the order is the caller's.
func TestRunOrder(t *testing.T) {
	ceil := Target{"./fuzz/ceiling", "FuzzEmpty"}
	a := Target{"./fuzz", "FuzzSimRun"}
	d1 := Target{"./fuzz/decode/qr", "FuzzQRDecode"}
	d2 := Target{"./fuzz/decode/msg", "FuzzMessageDecode"}
	b := Target{"./model/qr", "FuzzOther"}
	got := RunOrder([]Target{a, ceil, d1, b, d2})
	want := []Target{ceil, d1, d2, ceil, a, b}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	if got := RunOrder([]Target{a, ceil, b}); len(got) != 3 || got[0] != a {
		t.Fatalf("without decoders: %v", got)
	}
	if got := RunOrder([]Target{d1, a}); len(got) != 2 || got[0] != d1 {
		t.Fatalf("without the ceiling: %v", got)
	}
	if (Target{"./fuzz/decoder", "FuzzX"}).IsDecoder() || !(Target{"./fuzz/decode", "FuzzX"}).IsDecoder() {
		t.Fatal("IsDecoder must match the directory ./fuzz/decode and below only")
	}
}

// TestFuzzTableBar: each target is judged by the median of its runs, the
// ceiling is the median of FuzzEmpty's; only decoders are held to the bar.
func TestFuzzTableBar(t *testing.T) {
	run := func(tg Target, perSec int64) Stats {
		return Stats{Target: tg, Elapsed: 10 * time.Second, Active: 10 * time.Second, Execs: 10 * perSec}
	}
	ceil := Target{"./fuzz/ceiling", "FuzzEmpty"}
	fast := Target{"./fuzz/decode/qr", "FuzzFast"}
	slowT := Target{"./fuzz/decode/qr", "FuzzSlow"}
	other := Target{"./model/channel", "FuzzCrypto"}
	var all []Stats
	for _, r := range [][5]int64{
		{80_000, 70_000, 90_000, 120_000, 1_000},
		{100_000, 75_000, 60_000, 90_000, 2_000},
		{120_000, 72_000, 69_000, 100_000, 3_000},
	} {
		all = append(all, run(ceil, r[0]), run(fast, r[1]), run(slowT, r[2]), run(ceil, r[3]), run(other, r[4]))
	}
	// Ceiling runs 80k, 120k, 100k, 90k, 120k, 100k: median 100k. FuzzFast
	// 70k, 75k, 72k: median 72k, at the bar. FuzzSlow 90k, 60k, 69k: 69k.
	var out bytes.Buffer
	if slow := WriteTable(&out, all, 0.7); slow != 1 {
		t.Fatalf("slow = %d, want 1\n%s", slow, out.String())
	}
	for _, want := range []string{
		"FuzzFast                 ./fuzz/decode/qr",
		"72000 exec/s 70000-75000    0 new  ok   72.0% of ceiling  decoder: at the bar",
		"69000 exec/s 60000-90000    0 new  ok   69.0% of ceiling  decoder: SLOW (bar 70%)",
		"4 target(s), 15 run(s), 0 crash(es)",
		"ceiling 100000 exec/s (median of 80000, 120000, 100000, 90000, 120000, 100000); decoders at 70% of it or more: 1 of 2",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, out.String())
		}
	}
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(line, "FuzzCrypto") && strings.Contains(line, "decoder") {
			t.Errorf("a non-decoder was judged: %s", line)
		}
	}
}

// TestClusterFuzzLiteTargets keeps .clusterfuzzlite/build.sh in step with
// the module: it must build every native fuzz target, and nothing else.
func TestClusterFuzzLiteTargets(t *testing.T) {
	root := filepath.Join("..", "..")
	script, err := os.ReadFile(filepath.Join(root, ".clusterfuzzlite", "build.sh"))
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\t"([a-z/]+) (Fuzz\w+)"$`).FindAllStringSubmatch(string(script), -1) {
		listed[m[1]+" "+m[2]] = true
	}
	found := map[string]bool{}
	err = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") && path != root) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		for _, d := range f.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil && strings.HasPrefix(fn.Name.Name, "Fuzz") && isTestingF(fn) {
				found[filepath.ToSlash(rel)+" "+fn.Name.Name] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for k := range found {
		if !listed[k] {
			t.Errorf("build.sh does not build %s", k)
		}
	}
	for k := range listed {
		if !found[k] {
			t.Errorf("build.sh builds %s, which does not exist", k)
		}
	}
}

// TestShares: the budget is split evenly (at least a second a run) and a
// new input is minimized for a twentieth of a share within 0.5 s..1 min.
func TestShares(t *testing.T) {
	for _, c := range []struct {
		budget         time.Duration
		n, rounds      int
		share, minimum time.Duration
	}{
		{60 * time.Second, 12, 1, 5 * time.Second, 500 * time.Millisecond},
		{10 * time.Minute, 2, 1, 5 * time.Minute, 15 * time.Second},
		{3 * time.Second, 10, 2, time.Second, 500 * time.Millisecond},
		{4 * time.Hour, 1, 1, 4 * time.Hour, time.Minute},
	} {
		share, minimize := Shares(c.budget, c.n, c.rounds)
		if share != c.share || minimize != c.minimum {
			t.Errorf("Shares(%v, %d, %d) = %v, %v; want %v, %v", c.budget, c.n, c.rounds, share, minimize, c.share, c.minimum)
		}
	}
}

// TestClockKeepsBudget plays a whole command on a simulated clock: the
// listing and builds take a tenth of the budget, and each run costs its
// fuzz time plus a start-up and shutdown that differ from the first guess.
// The command must end within 5% of the budget, every run getting a share
// of at least MinShare and a limit that lets it fuzz at least that after
// its start-up, even one start-up far slower than the rest (a large fuzz
// cache on a loaded machine); a budget too small for that is said up front.
func TestClockKeepsBudget(t *testing.T) {
	for _, c := range []struct {
		name     string
		budget   time.Duration
		build    time.Duration
		runs     int
		overhead func(i int) time.Duration
	}{
		{"ci", 210 * time.Second, 20 * time.Second, 21, func(int) time.Duration { return 900 * time.Millisecond }},
		{"60s slow start", 60 * time.Second, 6 * time.Second, 21, func(i int) time.Duration { return 1500 * time.Millisecond }},
		{"60s uneven", 60 * time.Second, 3 * time.Second, 21, func(i int) time.Duration { return time.Duration(400+100*(i%7)) * time.Millisecond }},
		{"one target", 10 * time.Second, 2 * time.Second, 1, func(int) time.Duration { return 700 * time.Millisecond }},
		{"ci loaded, one slow start-up", 184 * time.Second, 0, 23, func(i int) time.Duration {
			if i == 5 {
				return 25 * time.Second
			}
			return 1500 * time.Millisecond
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			now := start.Add(c.build)
			clock := NewClock(start, c.budget, func() time.Time { return now })
			for i := 0; i < c.runs; i++ {
				share, fits := clock.Share(c.runs - i)
				if !fits || share < MinShare {
					t.Fatalf("run %d: share %v (fits %v) at %v of %v", i, share, fits, now.Sub(start), c.budget)
				}
				// The run fuzzes its share after its start-up, or until its
				// limit (the budget's end, for a last run slower than the
				// rest): at least MinShare.
				fuzz := min(share, clock.Limit(c.runs-i, share)-c.overhead(i))
				if fuzz < MinShare {
					t.Fatalf("run %d: fuzzed %v of its share %v", i, fuzz, share)
				}
				took := fuzz + c.overhead(i)
				now = now.Add(took)
				clock.Ran(share, took, c.overhead(i)*3/4)
			}
			total := now.Sub(start)
			if total > c.budget+c.budget/20 || total < c.budget-c.budget/10 {
				t.Errorf("the command took %v of a %v budget", total, c.budget)
			}
		})
	}
	start := time.Now()
	clock := NewClock(start, 5*time.Second, func() time.Time { return start.Add(4 * time.Second) })
	if share, fits := clock.Share(10); fits || share != MinShare {
		t.Errorf("10 runs in the last second: share %v, fits %v; want %v and false", share, fits, MinShare)
	}
}

// TestClockStartUpsOutside plays CI's command (23 targets, 8 s each, the
// budget counted from the builds' end) with start-ups outside the budget:
// one of 25 s, the others of a second, each run 0.3 s to stop. Every run
// may start for as long as the whole budget and then fuzz its share; the
// shares add up to the budget within 5%, and the command lasts the budget
// and the start-ups within 5%.
func TestClockStartUpsOutside(t *testing.T) {
	const runs, budget = 23, 184 * time.Second
	startUp := func(i int) time.Duration {
		if i == 5 {
			return 25 * time.Second
		}
		return time.Second
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := start
	clock := NewClock(start, budget, func() time.Time { return now })
	clock.StartUpsOutside()
	var fuzzed, startUps time.Duration
	for i := 0; i < runs; i++ {
		share, fits := clock.Share(runs - i)
		if !fits {
			t.Fatalf("run %d: share %v does not fit", i, share)
		}
		if limit := clock.Limit(runs-i, share); limit < share+budget {
			t.Fatalf("run %d: limit %v leaves less than the budget to start", i, limit)
		}
		took := startUp(i) + share + 300*time.Millisecond
		now = now.Add(took)
		clock.Ran(share, took, startUp(i))
		fuzzed += share
		startUps += startUp(i)
	}
	if fuzzed < budget-budget/20 || fuzzed > budget {
		t.Errorf("the runs fuzzed %v of a %v budget", fuzzed, budget)
	}
	if total, want := now.Sub(start), budget+startUps; total > want+want/20 || total < want-want/20 {
		t.Errorf("the command took %v; the budget and the start-ups are %v", total, want)
	}
}
