// Package fuzzer drives the module's native fuzz targets with go test
// -fuzz, one after the other (it takes one target at a time): it finds the
// targets, orders them so that the decoders are measured between two runs
// of the do-nothing ceiling, reads go test's progress lines, and sums the
// runs up in a table (simrun fuzz).
package fuzzer

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"qrlab/lab"
)

// Target is one native fuzz target: its package directory (./model/qr)
// and function name.
type Target struct {
	Dir, Name string
}

func (t Target) String() string { return t.Dir + ":" + t.Name }

// The kinds of target simrun fuzz tells apart, by package directory.
const (
	ceilingDir = "./fuzz/ceiling" // FuzzEmpty: go test -fuzz's own speed
	decoderDir = "./fuzz/decode"  // decoder targets, held to the speed bar
)

// IsCeiling reports whether t is the do-nothing target.
func (t Target) IsCeiling() bool { return t.Dir == ceilingDir && t.Name == "FuzzEmpty" }

// IsDecoder reports whether t is a decoder target (in a lean package under
// ./fuzz/decode, see fuzz/decode/qr's doc).
func (t Target) IsDecoder() bool {
	return strings.HasPrefix(t.Dir+"/", decoderDir+"/")
}

// RunOrder puts the ceiling first, the decoders right after it, the ceiling
// again, then the rest in their order, so that the decoders are measured
// between two ceiling runs. Without both a ceiling and a decoder the order
// is kept.
func RunOrder(ts []Target) []Target {
	var ceiling, decoders, rest []Target
	for _, t := range ts {
		switch {
		case t.IsCeiling():
			if len(ceiling) == 0 {
				ceiling = append(ceiling, t)
			}
		case t.IsDecoder():
			decoders = append(decoders, t)
		default:
			rest = append(rest, t)
		}
	}
	if len(ceiling) == 0 || len(decoders) == 0 {
		return ts
	}
	out := append(append(append([]Target{}, ceiling...), decoders...), ceiling...)
	return append(out, rest...)
}

// Stats is what one go test -fuzz run reported.
type Stats struct {
	Target      Target
	Elapsed     time.Duration
	Execs       int64
	Interesting int
	// Active is the time of the progress intervals in which executions
	// were counted: go test -fuzz stops counting while a worker minimizes
	// a new input (up to a minute each), and those pauses say nothing
	// about the target's speed.
	Active   time.Duration
	Crashers []string // paths of new inputs under testdata/fuzz/NAME/
	Failed   bool     // go test exited non-zero, and not for DeadlineFlake
	// DeadlineFlake: go test -fuzz failed with only "context deadline
	// exceeded" and wrote no input, the race of its coordinator with
	// -fuzztime (go.dev/issue/75804, fixed in Go 1.27), not a finding.
	DeadlineFlake bool
	Output        string // go test's output, kept for a failure
	// Share is the fuzz time the run was given, counted from the end of
	// its start-up; Limit is the longest it could take from go test
	// -fuzz's own start, start-up included (-test.fuzztime).
	Share, Limit time.Duration
	// Baseline and BaselineOf are the last progress of go test -fuzz's
	// start-up it reported: it runs every input of the seed corpus and of
	// its fuzz cache once, for baseline coverage, and only then fuzzes.
	Baseline, BaselineOf int
	// StartUp is the wall time from starting the binary to the end of
	// that baseline (0 when it did not end).
	StartUp time.Duration
}

// ExecsPerSec is the run's average speed, baseline coverage and
// minimization included.
func (s Stats) ExecsPerSec() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Execs) / s.Elapsed.Seconds()
}

// ActiveExecsPerSec is the speed while fuzzing: executions over the
// intervals in which some were counted.
func (s Stats) ActiveExecsPerSec() float64 {
	if s.Active <= 0 {
		return 0
	}
	return float64(s.Execs) / s.Active.Seconds()
}

// ModuleRoot walks up from the working directory to the go.mod.
func ModuleRoot() (string, error) {
	d, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		up := filepath.Dir(d)
		if up == d {
			return "", fmt.Errorf("no go.mod above the working directory: run simrun fuzz inside the module")
		}
		d = up
	}
}

// Select resolves --target: PKG:NAME entries as given, bare names
// (or none at all: every target) from go test -list.
func Select(root, spec string) ([]Target, error) {
	var want []string
	var out []Target
	for _, s := range strings.Split(spec, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if d, n, ok := strings.Cut(s, ":"); ok {
			if !strings.HasPrefix(d, ".") {
				d = "./" + d
			}
			out = append(out, Target{Dir: d, Name: n})
			continue
		}
		want = append(want, s)
	}
	if len(out) > 0 && len(want) == 0 {
		return out, nil
	}
	found, err := listTargets(root)
	if err != nil {
		return nil, err
	}
	if len(want) == 0 && len(out) == 0 {
		return found, nil
	}
	for _, w := range want {
		n := 0
		for _, t := range found {
			if t.Name == w {
				out = append(out, t)
				n++
			}
		}
		if n == 0 {
			names := make([]string, len(found))
			for i, t := range found {
				names[i] = t.Name
			}
			return nil, fmt.Errorf("no fuzz target %q (have %s)", w, strings.Join(names, ", "))
		}
	}
	return out, nil
}

// listTargets finds the module's fuzz targets as go test does, without
// building anything (go test -list links every test binary of the module,
// 15 s here): go list gives each package's test files under the build
// constraints, and each file's top-level func FuzzXxx(*testing.F) is one.
func listTargets(root string) ([]Target, error) {
	mod, err := modulePath(root)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("go", "list", "-f", "{{.ImportPath}}\t{{.Dir}}{{range .TestGoFiles}}\t{{.}}{{end}}{{range .XTestGoFiles}}\t{{.}}{{end}}", "./...")
	cmd.Dir = root
	var errb bytes.Buffer
	cmd.Stderr = &errb
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %v\n%s", err, errb.Bytes())
	}
	var ts []Target
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "\t")
		if len(f) < 3 {
			continue
		}
		dir := "."
		if rest, ok := strings.CutPrefix(f[0], mod); ok && strings.HasPrefix(rest, "/") {
			dir = "." + rest
		}
		for _, file := range f[2:] {
			names, err := fuzzFuncs(filepath.Join(f[1], file))
			if err != nil {
				return nil, err
			}
			for _, n := range names {
				ts = append(ts, Target{Dir: dir, Name: n})
			}
		}
	}
	if len(ts) == 0 {
		return nil, fmt.Errorf("found no fuzz target in %s", root)
	}
	sortTargets(ts)
	return ts, nil
}

// fuzzFuncs returns the fuzz targets a test file declares: top-level
// functions named Fuzz, or Fuzz and a word not starting in lower case, that
// take one *testing.F (go test's rule).
func fuzzFuncs(path string) ([]string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
	if err != nil {
		return nil, fmt.Errorf("reading fuzz targets: %v", err)
	}
	var names []string
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Recv != nil || !isTestingF(fn) {
			continue
		}
		rest, ok := strings.CutPrefix(fn.Name.Name, "Fuzz")
		if ok && (rest == "" || !unicode.IsLower([]rune(rest)[0])) {
			names = append(names, fn.Name.Name)
		}
	}
	return names, nil
}

// isTestingF reports whether fn takes one *testing.F.
func isTestingF(fn *ast.FuncDecl) bool {
	ps := fn.Type.Params.List
	if len(ps) != 1 || len(ps[0].Names) > 1 {
		return false
	}
	star, ok := ps[0].Type.(*ast.StarExpr)
	if !ok {
		return false
	}
	sel, ok := star.X.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	pkg, ok := sel.X.(*ast.Ident)
	return ok && pkg.Name == "testing" && sel.Sel.Name == "F"
}

func sortTargets(ts []Target) {
	sort.Slice(ts, func(i, j int) bool {
		if ts[i].Dir != ts[j].Dir {
			return ts[i].Dir < ts[j].Dir
		}
		return ts[i].Name < ts[j].Name
	})
}

// modulePath reads the module line of root/go.mod.
func modulePath(root string) (string, error) {
	b, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if m, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
			return strings.Trim(strings.TrimSpace(m), `"`), nil
		}
	}
	return "", fmt.Errorf("%s/go.mod has no module line", root)
}

// Binaries are the fuzz-instrumented test binaries of the targets'
// packages, built once (go test -c -fuzz) so that a target's run is the
// binary's own time, not a build's.
type Binaries struct {
	dir   string            // where they are
	bins  map[string]string // package directory -> binary
	cache string            // go test's fuzz cache (GOCACHE/fuzz)
}

// Build builds the test binary of every distinct package of ts into a new
// temporary folder (Close removes it), with the instrumentation go test
// -fuzz uses.
func Build(root string, ts []Target) (*Binaries, error) {
	dir, err := os.MkdirTemp("", "simrun-fuzz-")
	if err != nil {
		return nil, err
	}
	b := &Binaries{dir: dir, bins: map[string]string{}}
	out, err := exec.Command("go", "env", "GOCACHE").Output()
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("go env GOCACHE: %v", err)
	}
	if c := strings.TrimSpace(string(out)); c != "" && c != "off" {
		b.cache = filepath.Join(c, "fuzz")
	}
	var dirs []string
	for _, t := range ts {
		if _, ok := b.bins[t.Dir]; !ok {
			b.bins[t.Dir] = filepath.Join(dir, fmt.Sprintf("pkg%d.test", len(dirs)))
			dirs = append(dirs, t.Dir)
		}
	}
	// Linking is mostly serial: build as many packages at once as there
	// are processors.
	errs := make([]error, len(dirs))
	sem := make(chan struct{}, max(runtime.NumCPU(), 1))
	var wg sync.WaitGroup
	for i, d := range dirs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			cmd := exec.Command("go", "test", "-c", "-fuzz", ".", "-o", b.bins[d], d)
			cmd.Dir = root
			if out, err := cmd.CombinedOutput(); err != nil {
				errs[i] = fmt.Errorf("go test -c %s: %v\n%s", d, err, Tail(string(out), 40))
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

// Close removes the binaries.
func (b *Binaries) Close() { os.RemoveAll(b.dir) }

// Run runs one target's binary in the target's package directory, where
// its testdata/fuzz corpus is, with go test's fuzz cache, and collects what
// it reported. The run fuzzes for share from the end of its start-up (go
// test -fuzz's baseline coverage of the seed corpus and the fuzz cache),
// then is interrupted as go test -fuzz is by ^C; limit stops it in any case
// (-test.fuzztime, which go test counts from its own start, start-up
// included).
func (b *Binaries) Run(root string, t Target, share, limit, minimize time.Duration, parallel int) Stats {
	pkgDir := filepath.Join(root, filepath.FromSlash(t.Dir))
	corpus := filepath.Join(pkgDir, "testdata", "fuzz", t.Name)
	before := listDir(corpus)
	limit = max(limit, share)
	args := []string{"-test.run=^$", "-test.fuzz=^" + regexp.QuoteMeta(t.Name) + "$", "-test.fuzztime=" + limit.String(),
		"-test.fuzzminimizetime=" + minimize.String()}
	if b.cache != "" {
		args = append(args, "-test.fuzzcachedir="+b.cache)
	}
	if parallel > 0 {
		args = append(args, "-test.parallel="+strconv.Itoa(parallel))
	}
	bin, ok := b.bins[t.Dir]
	if !ok {
		return Stats{Target: t, Failed: true, Output: "no test binary built for " + t.Dir}
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = pkgDir
	w := &startWatch{fuzzing: make(chan struct{}), start: time.Now()}
	cmd.Stdout, cmd.Stderr = w, w
	err := cmd.Start()
	if err == nil {
		ended := make(chan struct{})
		go func() {
			select {
			case <-w.fuzzing:
			case <-ended:
				return
			}
			stop := time.NewTimer(share)
			defer stop.Stop()
			select {
			case <-stop.C:
				// An error means it has just ended by itself.
				_ = cmd.Process.Signal(os.Interrupt)
			case <-ended:
			}
		}()
		err = cmd.Wait()
		close(ended)
	}
	out := w.out.Bytes()
	st := parseOutput(out)
	st.Target = t
	st.Output = string(out)
	st.Share, st.Limit, st.StartUp = share, limit, w.startUp
	for name := range listDir(corpus) {
		if !before[name] {
			st.Crashers = append(st.Crashers, filepath.Join(corpus, name))
		}
	}
	sort.Strings(st.Crashers)
	st.Failed = err != nil
	if st.Failed && len(st.Crashers) == 0 && deadlineFlake(out) {
		st.Failed, st.DeadlineFlake = false, true
	}
	return st
}

// startWatch takes a go test -fuzz run's output as it comes: it keeps all
// of it, and closes fuzzing at the first progress line that shows the
// start-up over (the baseline coverage complete, or executions counted),
// and notes when. It is the run's stdout and stderr both, which os/exec
// writes from one goroutine at a time, done before Wait returns.
type startWatch struct {
	out     bytes.Buffer
	scanned int // bytes of out read for progress lines
	fuzzing chan struct{}
	start   time.Time
	startUp time.Duration // from start to the start-up's end
	began   bool
}

func (w *startWatch) Write(p []byte) (int, error) {
	w.out.Write(p)
	for !w.began {
		rest := w.out.Bytes()[w.scanned:]
		nl := bytes.IndexByte(rest, '\n')
		if nl < 0 {
			break
		}
		line := strings.TrimSpace(string(rest[:nl]))
		w.scanned += nl + 1
		if m := baselineLine.FindStringSubmatch(line); (m != nil && m[3] != "") || execsLine.MatchString(line) {
			w.began, w.startUp = true, time.Since(w.start)
			close(w.fuzzing)
		}
	}
	return len(p), nil
}

// deadlineFlake reports whether go test -fuzz's output shows only the
// coordinator's deadline race: "context deadline exceeded" as the failure,
// and no failing input written.
func deadlineFlake(out []byte) bool {
	return bytes.Contains(out, []byte("\n    context deadline exceeded\n")) &&
		!bytes.Contains(out, []byte("Failing input written to"))
}

func listDir(dir string) map[string]bool {
	m := map[string]bool{}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		m[e.Name()] = true
	}
	return m
}

// fuzzLine matches go test -fuzz's progress lines.
var fuzzLine = regexp.MustCompile(`^fuzz: elapsed: (\S+), execs: (\d+) \(\d+/sec\), new interesting: (\d+) \(total: \d+\)`)

// baselineLine matches go test -fuzz's progress lines of its start-up
// (the second form is that of a binary built without coverage), the last
// one ending in ", now fuzzing with N workers".
var baselineLine = regexp.MustCompile(`^fuzz: elapsed: \S+, (?:gathering baseline coverage|testing seed corpus): (\d+)/(\d+) completed(, now fuzzing)?`)

// execsLine matches a progress line with an execution count, with or
// without coverage.
var execsLine = regexp.MustCompile(`^fuzz: elapsed: \S+, execs: \d+ `)

// parseOutput takes the last progress line's totals, and adds up the
// intervals between progress lines in which the execution count moved.
// (Single intervals say little: workers report their counts in batches, so
// an interval's own rate swings by a factor of two either way.) It also
// keeps the start-up's progress.
func parseOutput(out []byte) Stats {
	var st Stats
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if m := baselineLine.FindStringSubmatch(line); m != nil {
			st.Baseline, _ = strconv.Atoi(m[1])
			st.BaselineOf, _ = strconv.Atoi(m[2])
			continue
		}
		m := fuzzLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		d, err := time.ParseDuration(m[1])
		if err != nil {
			continue
		}
		execs, _ := strconv.ParseInt(m[2], 10, 64)
		interesting, _ := strconv.Atoi(m[3])
		if execs > st.Execs && d > st.Elapsed {
			st.Active += d - st.Elapsed
		}
		st.Elapsed, st.Execs, st.Interesting = d, execs, interesting
	}
	return st
}

// status is a run's outcome in a word or two.
func (s Stats) Status() string {
	switch {
	case len(s.Crashers) > 0:
		return fmt.Sprintf("CRASH (%d)", len(s.Crashers))
	case s.Failed:
		return "FAILED"
	case s.DeadlineFlake:
		return "ok (deadline race, go.dev/issue/75804)"
	}
	return "ok"
}

// NoExecs says why a run counted no execution, or "" when it counted some,
// or failed or crashed (which are reported as such). go test -fuzz counts
// the start-up's runs of the seed corpus and the fuzz cache as executions,
// so a run that counted none was stopped before its start-up was over.
func (s Stats) NoExecs() string {
	if s.Execs > 0 || s.Failed || len(s.Crashers) > 0 {
		return ""
	}
	limit := s.Limit.Round(100 * time.Millisecond)
	if s.BaselineOf > 0 {
		return fmt.Sprintf("its start-up took all of the %s it could run: go test -fuzz ran %d of the %d inputs of its seed corpus and fuzz cache for baseline coverage, and never fuzzed",
			limit, s.Baseline, s.BaselineOf)
	}
	return fmt.Sprintf("it reported no progress in the %s it could run: the test binary's own start-up took it", limit)
}

// Line is one run of one target.
func Line(st Stats) string {
	startUp := fmt.Sprintf("%5.1fs", st.StartUp.Seconds())
	if st.StartUp == 0 {
		startUp = "not over"
	}
	return fmt.Sprintf("%-24s %-22s %9d execs %7.0f exec/s (%7.0f active) %4d new  start-up %s  %s",
		st.Target.Name, st.Target.Dir, st.Execs, st.ExecsPerSec(), st.ActiveExecsPerSec(), st.Interesting, startUp, st.Status())
}

// WriteTable prints the summary, a line per target over all its runs:
// executions, the median speed while fuzzing (and the range when it ran
// more than once), new inputs, the worst outcome, and its share of the
// ceiling (the median of FuzzEmpty's runs) when that ran, with a decoder's
// verdict against bar. It returns how many decoders fell below bar.
func WriteTable(w io.Writer, all []Stats, bar float64) (slow int) {
	var order []Target
	runs := map[Target][]Stats{}
	var ceilRuns []float64
	for _, st := range all {
		if _, ok := runs[st.Target]; !ok {
			order = append(order, st.Target)
		}
		runs[st.Target] = append(runs[st.Target], st)
		if st.Target.IsCeiling() && !st.Failed {
			ceilRuns = append(ceilRuns, st.ActiveExecsPerSec())
		}
	}
	ceilText := make([]string, len(ceilRuns))
	for i, c := range ceilRuns {
		ceilText[i] = fmt.Sprintf("%.0f", c)
	}
	ceiling := lab.Median(ceilRuns)
	crashes, decoders := 0, 0
	fmt.Fprintln(w, "\nsummary:")
	for _, t := range order {
		rs := runs[t]
		var execs int64
		var speeds []float64
		interesting, status := 0, "ok"
		for _, st := range rs {
			execs += st.Execs
			speeds = append(speeds, st.ActiveExecsPerSec())
			interesting += st.Interesting
			crashes += len(st.Crashers)
			if st.Status() != "ok" && (status == "ok" || st.Failed || len(st.Crashers) > 0) {
				status = st.Status()
			}
		}
		speed := lab.Median(speeds)
		spread := ""
		if len(speeds) > 1 {
			spread = fmt.Sprintf(" %.0f-%.0f", speeds[0], speeds[len(speeds)-1])
		}
		line := fmt.Sprintf("%-24s %-22s %10d execs %7.0f exec/s%s %4d new  %s",
			t.Name, t.Dir, execs, speed, spread, interesting, status)
		if ceiling > 0 {
			share := speed / ceiling
			line += fmt.Sprintf("  %5.1f%% of ceiling", 100*share)
			if t.IsDecoder() {
				decoders++
				if share >= bar {
					line += "  decoder: at the bar"
				} else {
					slow++
					line += fmt.Sprintf("  decoder: SLOW (bar %.0f%%)", 100*bar)
				}
			}
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintf(w, "%d target(s), %d run(s), %d crash(es)\n", len(order), len(all), crashes)
	if decoders > 0 {
		fmt.Fprintf(w, "ceiling %.0f exec/s (median of %s); decoders at %.0f%% of it or more: %d of %d\n",
			ceiling, strings.Join(ceilText, ", "), 100*bar, decoders-slow, decoders)
	}
	return slow
}

// tail returns the last n lines of s.
func Tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// MinShare is the shortest run of a target: less is mostly start-up and
// baseline coverage.
const MinShare = time.Second

// Clock keeps a run of many targets within a wall-time budget that started
// at a given time (builds and listing included): each run's share is the
// time left, less the expected cost of starting and stopping the remaining
// runs (learned from the runs so far), split evenly among them. A run's
// start-up is the test binary's, its workers' and go test -fuzz's baseline
// coverage of the seed corpus and the fuzz cache; with StartUpsOutside, the
// budget counts none of it (as it counts no build), and the deadline moves
// on by each start-up.
type Clock struct {
	deadline time.Time
	budget   time.Duration
	now      func() time.Time
	overhead time.Duration // per run, beyond its fuzz time (and start-up, when outside): the running mean
	ran      int
	outside  bool
}

// initialOverhead is a run's start-up and shutdown before any was timed.
const initialOverhead = time.Second

// NewClock starts a budget at start; now is the wall clock (nil: time.Now).
func NewClock(start time.Time, budget time.Duration, now func() time.Time) *Clock {
	if now == nil {
		now = time.Now
	}
	return &Clock{deadline: start.Add(budget), budget: budget, now: now, overhead: initialOverhead}
}

// StartUpsOutside keeps the runs' start-ups out of the budget from now on:
// each moves the deadline on by its own length (Ran), and a run may take
// up to the whole budget to start (Limit).
func (c *Clock) StartUpsOutside() { c.outside = true }

// Share is the fuzz time of the next run when left runs remain, this one
// included, rounded down to 100 ms; fits is false when that is less than
// MinShare, which Share returns then (the budget will be overrun).
func (c *Clock) Share(left int) (share time.Duration, fits bool) {
	if left < 1 {
		left = 1
	}
	rest := c.deadline.Sub(c.now()) - time.Duration(left)*c.overhead
	share = (rest / time.Duration(left)).Truncate(100 * time.Millisecond)
	if share < MinShare {
		return MinShare, false
	}
	return share, true
}

// Limit is the longest the next run, given share, may take in all, its
// start-up included, when left runs remain (this one included). With the
// start-ups outside the budget, that is share, the expected shutdown and the
// whole budget for the start-up. Otherwise it is the time left, less what
// each of the others needs at the least (MinShare and the expected start-up
// and shutdown), and never less than share and the expected start-up and
// shutdown: a start-up slower than expected takes from the later runs (Ran
// learns it and their shares shrink), not from this run's fuzzing, and only
// one slower than all the budget has left keeps it from fuzzing.
func (c *Clock) Limit(left int, share time.Duration) time.Duration {
	if c.outside {
		return share + c.overhead + c.budget
	}
	if left < 1 {
		left = 1
	}
	others := time.Duration(left-1) * (MinShare + c.overhead)
	return max((c.deadline.Sub(c.now()) - others).Truncate(100*time.Millisecond), share+c.overhead)
}

// Ran records that a run given share took took, wall time, of which
// startUp (all of took when its start-up did not end) was its start-up.
func (c *Clock) Ran(share, took, startUp time.Duration) {
	over := max(took-share, 0)
	if c.outside {
		c.deadline = c.deadline.Add(startUp)
		over = max(over-startUp, 0)
	}
	c.overhead = (c.overhead*time.Duration(c.ran) + over) / time.Duration(c.ran+1)
	c.ran++
}

// Left is the time until the deadline (negative past it).
func (c *Clock) Left() time.Duration { return c.deadline.Sub(c.now()) }

// Shares splits budget among n target runs in each of rounds: each run's
// share (at least a second), and the time to minimize a new input: a
// twentieth of the share, within 0.5 s and a minute.
func Shares(budget time.Duration, n, rounds int) (share, minimize time.Duration) {
	share = (budget / time.Duration(n*rounds)).Round(100 * time.Millisecond)
	if share < time.Second {
		share = time.Second
	}
	return share, min(max(share/20, 500*time.Millisecond), time.Minute).Round(100 * time.Millisecond)
}
