// Package fuzzer drives the module's native fuzz targets with go test
// -fuzz, one after the other (it takes one target at a time): it finds the
// targets, orders them so that the decoders are measured between two runs
// of the do-nothing ceiling, reads go test's progress lines, and sums the
// runs up in a table (simrun fuzz).
package fuzzer

import (
	"bufio"
	"bytes"
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

// listTargets runs go test -list over the module.
func listTargets(root string) ([]Target, error) {
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
func parseList(out []byte, module string) []Target {
	var ts, pending []Target
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		f := strings.Fields(line)
		switch {
		case len(f) == 1 && strings.HasPrefix(f[0], "Fuzz"):
			pending = append(pending, Target{Name: f[0]})
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

// Run runs go test -fuzz on one target for d and collects what it reported.
func Run(root string, t Target, d, minimize time.Duration, parallel int) Stats {
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
	st := parseOutput(out)
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

// parseOutput takes the last progress line's totals, and adds up the
// intervals between progress lines in which the execution count moved.
// (Single intervals say little: workers report their counts in batches, so
// an interval's own rate swings by a factor of two either way.)
func parseOutput(out []byte) Stats {
	var st Stats
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

// Line is one run of one target.
func Line(st Stats) string {
	return fmt.Sprintf("%-24s %-22s %9d execs %7.0f exec/s (%7.0f active) %4d new  %s",
		st.Target.Name, st.Target.Dir, st.Execs, st.ExecsPerSec(), st.ActiveExecsPerSec(), st.Interesting, st.Status())
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
