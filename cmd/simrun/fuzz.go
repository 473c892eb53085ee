package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

const fuzzUsage = `usage: simrun fuzz [--budget 60s] [--target NAME[,NAME]] [--parallel N] [--rounds N]
                  [--minimize D] [--bar 0.7] [--enforce-bar] [--list]

Runs the module's native fuzz targets one after the other (go test -fuzz
takes one target at a time), each for an equal share of the budget, and
prints per target the executions per second (over the whole run, and while
fuzzing: go test -fuzz stops counting while it minimizes a new input), the
new interesting inputs and the crashes. A crash is the input go test wrote
under the target's testdata/fuzz/NAME/ folder, where it stays as a
regression test that every later go test runs; its path is printed.

When FuzzEmpty (the do-nothing target of ./fuzz/ceiling) runs too, each
target's speed while fuzzing is also shown as a share of its, the ceiling of
go test -fuzz on this machine. Decoder targets (those under ./fuzz/decode)
are held to a bar: at least --bar of the ceiling. The ceiling runs first,
the decoders right after it, then the ceiling again, then everything else;
the ceiling is the median of its runs. A decoder below the bar is reported
as SLOW; with --enforce-bar it also makes the exit status 3.

One run's speed can be 20-40% off on a shared machine (a neighbour's load,
workers reporting their counts in batches), the ceiling's too: for a
verdict, use --rounds 3 or more, which repeats the whole order and judges
each target by the median of its runs.

go test -fuzz minimizes every new interesting input for up to a minute by
default, during which it counts nothing; in a short run that is most of the
time. simrun fuzz gives minimization a twentieth of a target's share (at
least 0.5 s, at most a minute) unless --minimize says otherwise; --minimize
0 keeps new inputs as found, which is how to measure a target's speed
alone. Crashers are minimized within the same limit.

The targets are found with go test -list; a target named PKG:NAME (such as
./fuzz/ceiling:FuzzEmpty) skips the listing. Run it from inside the module.

Exit status: 0 no crash, 1 a target crashed or did not build, 2 bad usage,
3 (with --enforce-bar) no crash but a decoder below the bar.
Flags:
`

// fuzzTarget is one native fuzz target: its package directory (./model/qr)
// and function name.
type fuzzTarget struct {
	Dir, Name string
}

func (t fuzzTarget) String() string { return t.Dir + ":" + t.Name }

// The kinds of target simrun fuzz tells apart, by package directory.
const (
	ceilingDir = "./fuzz/ceiling" // FuzzEmpty: go test -fuzz's own speed
	decoderDir = "./fuzz/decode"  // decoder targets, held to the speed bar
)

// isCeiling reports whether t is the do-nothing target.
func (t fuzzTarget) isCeiling() bool { return t.Dir == ceilingDir && t.Name == "FuzzEmpty" }

// isDecoder reports whether t is a decoder target (in a lean package under
// ./fuzz/decode, see fuzz/decode/qr's doc).
func (t fuzzTarget) isDecoder() bool {
	return strings.HasPrefix(t.Dir+"/", decoderDir+"/")
}

// runOrder puts the ceiling first, the decoders right after it, the ceiling
// again, then the rest in their order, so that the decoders are measured
// between two ceiling runs. Without both a ceiling and a decoder the order
// is kept.
func runOrder(ts []fuzzTarget) []fuzzTarget {
	var ceiling, decoders, rest []fuzzTarget
	for _, t := range ts {
		switch {
		case t.isCeiling():
			if len(ceiling) == 0 {
				ceiling = append(ceiling, t)
			}
		case t.isDecoder():
			decoders = append(decoders, t)
		default:
			rest = append(rest, t)
		}
	}
	if len(ceiling) == 0 || len(decoders) == 0 {
		return ts
	}
	out := append(append(append([]fuzzTarget{}, ceiling...), decoders...), ceiling...)
	return append(out, rest...)
}

// fuzzStats is what one go test -fuzz run reported.
type fuzzStats struct {
	Target      fuzzTarget
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
}

// ExecsPerSec is the run's average speed, baseline coverage and
// minimization included.
func (s fuzzStats) ExecsPerSec() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Execs) / s.Elapsed.Seconds()
}

// ActiveExecsPerSec is the speed while fuzzing: executions over the
// intervals in which some were counted.
func (s fuzzStats) ActiveExecsPerSec() float64 {
	if s.Active <= 0 {
		return 0
	}
	return float64(s.Execs) / s.Active.Seconds()
}

// runFuzz is simrun fuzz.
func runFuzz(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("simrun fuzz", fuzzUsage, stderr, nil)
	budget := fs.Duration("budget", 60*time.Second, "the whole run's time, shared equally among the targets (and rounds)")
	rounds := fs.Int("rounds", 1, "run the whole order this many times; the summary gives each target's median")
	minimize := fs.Duration("minimize", 0, "time to minimize each new input or crasher (go test -fuzzminimizetime; 0: none; unset: a twentieth of a target's share, within 0.5s..60s)")
	target := fs.String("target", "", "only these targets (NAME or PKG:NAME, comma-separated)")
	parallel := fs.Int("parallel", 0, "fuzzing workers per target (go test -parallel; 0: GOMAXPROCS)")
	list := fs.Bool("list", false, "list the targets and exit")
	bar := fs.Float64("bar", 0.7, "the share of the ceiling's speed every decoder target must reach")
	enforce := fs.Bool("enforce-bar", false, "exit 3 when a decoder target is below the bar (and nothing crashed)")
	dir := fs.String("dir", "", "the module's root (default: found from the working directory)")
	if code := parseNoArgs(fs, args, stderr); code >= 0 {
		return code
	}
	if *budget <= 0 || *parallel < 0 || *rounds < 1 || *minimize < 0 || !(*bar >= 0 && *bar <= 1) {
		fmt.Fprintln(stderr, "simrun fuzz: --budget must be positive, --parallel and --minimize not negative, --rounds at least 1 and --bar within 0..1")
		return 2
	}
	root := *dir
	if root == "" {
		var err error
		if root, err = moduleRoot(); err != nil {
			fmt.Fprintf(stderr, "simrun fuzz: %v\n", err)
			return 2
		}
	}
	targets, err := selectTargets(root, *target, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "simrun fuzz: %v\n", err)
		return 2
	}
	if *list {
		for _, t := range targets {
			fmt.Fprintln(stdout, t)
		}
		return 0
	}
	targets = runOrder(targets)
	share := (*budget / time.Duration(len(targets)**rounds)).Round(100 * time.Millisecond)
	if share < time.Second {
		share = time.Second
	}
	minTime := min(max(share/20, 500*time.Millisecond), time.Minute).Round(100 * time.Millisecond)
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "minimize" {
			minTime = *minimize
		}
	})
	distinct := map[fuzzTarget]bool{}
	for _, t := range targets {
		distinct[t] = true
	}
	fmt.Fprintf(stdout, "fuzzing %d target(s) in %d runs of %s", len(distinct), len(targets), share)
	if *rounds > 1 {
		fmt.Fprintf(stdout, ", %d rounds", *rounds)
	}
	if minTime > 0 {
		fmt.Fprintf(stdout, "; minimizing a new input for at most %s\n", minTime)
	} else {
		fmt.Fprintln(stdout, "; new inputs kept as found, not minimized")
	}
	var all []fuzzStats
	code := 0
	for r := 1; r <= *rounds && code == 0; r++ {
		for _, t := range targets {
			st := fuzzOne(root, t, share, minTime, *parallel)
			all = append(all, st)
			prefix := ""
			if *rounds > 1 {
				prefix = fmt.Sprintf("[%d] ", r)
			}
			fmt.Fprintln(stdout, prefix+statsLine(st))
			for _, c := range st.Crashers {
				fmt.Fprintf(stdout, "  CRASH %s (now a regression input: go test -run '%s/%s' %s)\n", c, t.Name, filepath.Base(c), t.Dir)
			}
			if st.Failed && len(st.Crashers) == 0 {
				fmt.Fprintf(stderr, "simrun fuzz: %s failed without a new input:\n%s\n", t, tail(st.Output, 40))
			}
			if st.Failed || len(st.Crashers) > 0 {
				code = 1 // the rounds after this one would only replay it
			}
		}
	}
	if slow := writeFuzzTable(stdout, all, *bar); code == 0 && slow > 0 && *enforce {
		code = 3
	}
	return code
}

// moduleRoot walks up from the working directory to the go.mod.
func moduleRoot() (string, error) {
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

// selectTargets resolves --target: PKG:NAME entries as given, bare names
// (or none at all: every target) from go test -list.
func selectTargets(root, spec string, stderr io.Writer) ([]fuzzTarget, error) {
	var want []string
	var out []fuzzTarget
	for _, s := range strings.Split(spec, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if d, n, ok := strings.Cut(s, ":"); ok {
			if !strings.HasPrefix(d, ".") {
				d = "./" + d
			}
			out = append(out, fuzzTarget{Dir: d, Name: n})
			continue
		}
		want = append(want, s)
	}
	if len(out) > 0 && len(want) == 0 {
		return out, nil
	}
	found, err := listTargets(root, stderr)
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

// listTargets runs go test -list over the module.
func listTargets(root string, stderr io.Writer) ([]fuzzTarget, error) {
	mod, err := modulePath(root)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("go", "test", "-run", "^$", "-list", "^Fuzz", "./...")
	cmd.Dir = root
	var errb bytes.Buffer
	cmd.Stderr = &errb
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go test -list: %v\n%s%s", err, out, errb.Bytes())
	}
	ts := parseList(out, mod)
	if len(ts) == 0 {
		return nil, fmt.Errorf("go test -list found no fuzz target in %s", root)
	}
	return ts, nil
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

// parseList reads go test -list output: each package's names, then its
// "ok  <import path>" line. Targets come back sorted by package and name.
func parseList(out []byte, module string) []fuzzTarget {
	var ts, pending []fuzzTarget
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		f := strings.Fields(line)
		switch {
		case len(f) == 1 && strings.HasPrefix(f[0], "Fuzz"):
			pending = append(pending, fuzzTarget{Name: f[0]})
		case len(f) >= 2 && f[0] == "ok":
			dir := "."
			if rest, ok := strings.CutPrefix(f[1], module); ok && strings.HasPrefix(rest, "/") {
				dir = "." + rest
			}
			for _, t := range pending {
				t.Dir = dir
				ts = append(ts, t)
			}
			pending = pending[:0]
		}
	}
	sort.Slice(ts, func(i, j int) bool {
		if ts[i].Dir != ts[j].Dir {
			return ts[i].Dir < ts[j].Dir
		}
		return ts[i].Name < ts[j].Name
	})
	return ts
}

// fuzzOne runs go test -fuzz on one target and collects what it reported.
func fuzzOne(root string, t fuzzTarget, d, minimize time.Duration, parallel int) fuzzStats {
	corpus := filepath.Join(root, filepath.FromSlash(t.Dir), "testdata", "fuzz", t.Name)
	before := listDir(corpus)
	args := []string{"test", "-run", "^$", "-fuzz", "^" + regexp.QuoteMeta(t.Name) + "$", "-fuzztime", d.String(),
		"-fuzzminimizetime", minimize.String()}
	if parallel > 0 {
		args = append(args, "-parallel", strconv.Itoa(parallel))
	}
	cmd := exec.Command("go", append(args, t.Dir)...)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	st := parseFuzzOutput(out)
	st.Target = t
	st.Output = string(out)
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

// parseFuzzOutput takes the last progress line's totals, and adds up the
// intervals between progress lines in which the execution count moved.
// (Single intervals say little: workers report their counts in batches, so
// an interval's own rate swings by a factor of two either way.)
func parseFuzzOutput(out []byte) fuzzStats {
	var st fuzzStats
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		m := fuzzLine.FindStringSubmatch(strings.TrimSpace(sc.Text()))
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
func (s fuzzStats) status() string {
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

// statsLine is one run of one target.
func statsLine(st fuzzStats) string {
	return fmt.Sprintf("%-24s %-22s %9d execs %7.0f exec/s (%7.0f active) %4d new  %s",
		st.Target.Name, st.Target.Dir, st.Execs, st.ExecsPerSec(), st.ActiveExecsPerSec(), st.Interesting, st.status())
}

// median of xs (the mean of the middle two for an even count); xs is
// sorted in place.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	sort.Float64s(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// writeFuzzTable prints the summary, a line per target over all its runs:
// executions, the median speed while fuzzing (and the range when it ran
// more than once), new inputs, the worst outcome, and its share of the
// ceiling (the median of FuzzEmpty's runs) when that ran, with a decoder's
// verdict against bar. It returns how many decoders fell below bar.
func writeFuzzTable(w io.Writer, all []fuzzStats, bar float64) (slow int) {
	var order []fuzzTarget
	runs := map[fuzzTarget][]fuzzStats{}
	var ceilRuns []float64
	for _, st := range all {
		if _, ok := runs[st.Target]; !ok {
			order = append(order, st.Target)
		}
		runs[st.Target] = append(runs[st.Target], st)
		if st.Target.isCeiling() && !st.Failed {
			ceilRuns = append(ceilRuns, st.ActiveExecsPerSec())
		}
	}
	ceilText := make([]string, len(ceilRuns))
	for i, c := range ceilRuns {
		ceilText[i] = fmt.Sprintf("%.0f", c)
	}
	ceiling := median(ceilRuns)
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
			if st.status() != "ok" && (status == "ok" || st.Failed || len(st.Crashers) > 0) {
				status = st.status()
			}
		}
		speed := median(speeds)
		spread := ""
		if len(speeds) > 1 {
			spread = fmt.Sprintf(" %.0f-%.0f", speeds[0], speeds[len(speeds)-1])
		}
		line := fmt.Sprintf("%-24s %-22s %10d execs %7.0f exec/s%s %4d new  %s",
			t.Name, t.Dir, execs, speed, spread, interesting, status)
		if ceiling > 0 {
			share := speed / ceiling
			line += fmt.Sprintf("  %5.1f%% of ceiling", 100*share)
			if t.isDecoder() {
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
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
