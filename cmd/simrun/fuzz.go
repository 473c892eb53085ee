package main

import (
	"bufio"
	"bytes"
	"errors"
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

const fuzzUsage = `usage: simrun fuzz [--budget 60s] [--target NAME[,NAME]] [--parallel N] [--list]

Runs the module's native fuzz targets one after the other (go test -fuzz
takes one target at a time), each for an equal share of the budget, and
prints per target the executions per second (over the whole run, and while
fuzzing: go test -fuzz stops counting while it minimizes a new input), the
new interesting inputs and the crashes. A crash is the input go test wrote under the target's
testdata/fuzz/NAME/ folder, where it stays as a regression test that every
later go test runs; its path is printed. When FuzzEmpty (the do-nothing
target of ./fuzz/ceiling) runs too, each target's speed is also shown as a
share of it, the ceiling of go test -fuzz on this machine.

The targets are found with go test -list; a target named PKG:NAME (such as
./fuzz/ceiling:FuzzEmpty) skips the listing. Run it from inside the module.

Exit status: 0 no crash, 1 a target crashed or did not build, 2 bad usage.
Flags:
`

// fuzzTarget is one native fuzz target: its package directory (./model/qr)
// and function name.
type fuzzTarget struct {
	Dir, Name string
}

func (t fuzzTarget) String() string { return t.Dir + ":" + t.Name }

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
	fs := flag.NewFlagSet("simrun fuzz", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), fuzzUsage)
		fs.PrintDefaults()
	}
	budget := fs.Duration("budget", 60*time.Second, "the whole run's time, shared equally among the targets")
	target := fs.String("target", "", "only these targets (NAME or PKG:NAME, comma-separated)")
	parallel := fs.Int("parallel", 0, "fuzzing workers per target (go test -parallel; 0: GOMAXPROCS)")
	list := fs.Bool("list", false, "list the targets and exit")
	dir := fs.String("dir", "", "the module's root (default: found from the working directory)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "simrun fuzz: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *budget <= 0 || *parallel < 0 {
		fmt.Fprintln(stderr, "simrun fuzz: --budget must be positive and --parallel not negative")
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
	share := (*budget / time.Duration(len(targets))).Round(100 * time.Millisecond)
	if share < time.Second {
		share = time.Second
	}
	fmt.Fprintf(stdout, "fuzzing %d target(s), %s each\n", len(targets), share)
	var all []fuzzStats
	for _, t := range targets {
		st := fuzzOne(root, t, share, *parallel)
		all = append(all, st)
		fmt.Fprintln(stdout, statsLine(st, 0))
		for _, c := range st.Crashers {
			fmt.Fprintf(stdout, "  CRASH %s (now a regression input: go test -run '%s/%s' %s)\n", c, t.Name, filepath.Base(c), t.Dir)
		}
		if st.Failed && len(st.Crashers) == 0 {
			fmt.Fprintf(stderr, "simrun fuzz: %s failed without a new input:\n%s\n", t, tail(st.Output, 40))
		}
	}
	writeFuzzTable(stdout, all)
	code := 0
	for _, st := range all {
		if st.Failed || len(st.Crashers) > 0 {
			code = 1
		}
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
func fuzzOne(root string, t fuzzTarget, d time.Duration, parallel int) fuzzStats {
	corpus := filepath.Join(root, filepath.FromSlash(t.Dir), "testdata", "fuzz", t.Name)
	before := listDir(corpus)
	args := []string{"test", "-run", "^$", "-fuzz", "^" + regexp.QuoteMeta(t.Name) + "$", "-fuzztime", d.String()}
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
		if execs > st.Execs && d > st.Elapsed {
			st.Active += d - st.Elapsed
		}
		st.Elapsed, st.Execs = d, execs
		st.Interesting, _ = strconv.Atoi(m[3])
	}
	return st
}

// statsLine is one target's summary; ceiling > 0 adds its share of it.
func statsLine(st fuzzStats, ceiling float64) string {
	status := "ok"
	switch {
	case len(st.Crashers) > 0:
		status = fmt.Sprintf("CRASH (%d)", len(st.Crashers))
	case st.Failed:
		status = "FAILED"
	case st.DeadlineFlake:
		status = "ok (deadline race, go.dev/issue/75804)"
	}
	line := fmt.Sprintf("%-24s %-20s %9d execs %7.0f exec/s (%7.0f active) %4d new  %s",
		st.Target.Name, st.Target.Dir, st.Execs, st.ExecsPerSec(), st.ActiveExecsPerSec(), st.Interesting, status)
	if ceiling > 0 {
		line += fmt.Sprintf("  %5.1f%% of ceiling", 100*st.ActiveExecsPerSec()/ceiling)
	}
	return line
}

// writeFuzzTable prints the summary, with each target's share of
// FuzzEmpty's speed (active speeds compared) when it ran.
func writeFuzzTable(w io.Writer, all []fuzzStats) {
	ceiling := 0.0
	for _, st := range all {
		if st.Target.Name == "FuzzEmpty" && !st.Failed {
			ceiling = st.ActiveExecsPerSec()
		}
	}
	crashes := 0
	fmt.Fprintln(w, "\nsummary:")
	for _, st := range all {
		fmt.Fprintln(w, statsLine(st, ceiling))
		crashes += len(st.Crashers)
	}
	fmt.Fprintf(w, "%d target(s), %d crash(es)\n", len(all), crashes)
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
