package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"qrlab/lab/fuzzer"
)

const fuzzUsage = `usage: simrun fuzz [--budget 60s] [--budget-after-build] [--target NAME[,NAME]] [--parallel N]
                  [--rounds N] [--minimize D] [--bar 0.7] [--enforce-bar] [--allow-no-execs] [--list]

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

The budget is wall time, from start to exit, and the run ends within 5% of
it (unless it is too short to give every run a second: that is said at the
start): listing the targets, building each package's fuzz-instrumented
test binary once (go test -c -fuzz), and each run's start-up and shutdown
all count against it. The targets' binaries run directly, in their
package's folder, with go test's fuzz cache, as go test -fuzz would run
them. A run's start-up is the binary's and its workers', and go test
-fuzz's baseline coverage: one run of every input of the target's seed
corpus and of its fuzz cache (which grows with every new input found), a
fraction of a second for most targets on an idle machine, seconds for a
slow target with a large cache on a loaded one. Each run fuzzes for its
share from the end of its start-up, and is then interrupted as by ^C; the
share is the time left, less the start-up and shutdown cost the runs so far
have shown, split evenly among the runs still to go, so a slow start-up
takes from the later runs, not from its own fuzzing.

With --budget-after-build the budget is the fuzzing's alone: it starts once
the binaries are built, and each run's start-up moves its end on, so
neither a slow build (a cold cache, a loaded machine) nor a slow start-up
(a large fuzz cache) takes anything from the fuzzing; a run may take as
long as the whole budget to start. The command then lasts the builds, the
start-ups and the budget.

A run that counted no execution fuzzed nothing: it fails the command, named
with why (its start-up took all the time it could have: the rest of the
budget, or with --budget-after-build the whole budget), unless
--allow-no-execs makes that a warning.

The targets are found with go test -list; a target named PKG:NAME (such as
./fuzz/ceiling:FuzzEmpty) skips the listing. Run it from inside the module.

Exit status: 0 no crash, 1 a target crashed, did not build or (without
--allow-no-execs) counted no execution, 2 bad usage, 3 (with --enforce-bar)
none of those but a decoder below the bar.
Flags:
`

// runFuzz is simrun fuzz.
func runFuzz(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("simrun fuzz", fuzzUsage, stderr, nil)
	budget := fs.Duration("budget", 60*time.Second, "the whole command's wall time, builds included, shared equally among the targets (and rounds)")
	rounds := intFlagOf(fs, "rounds", 1, 1, 1000, "run the whole order this many times; the summary gives each target's median")
	minimize := fs.Duration("minimize", 0, "time to minimize each new input or crasher (go test -fuzzminimizetime; 0: none; unset: a twentieth of a target's share, within 0.5s..60s)")
	target := fs.String("target", "", "only these targets (NAME or PKG:NAME, comma-separated)")
	parallel := intFlagOf(fs, "parallel", 0, 0, maxWorkers, "fuzzing workers per target (go test -parallel; 0: GOMAXPROCS)")
	afterBuild := fs.Bool("budget-after-build", false, "count only the fuzzing: start the budget once the binaries are built, and move its end on by each run's start-up")
	list := fs.Bool("list", false, "list the targets and exit")
	bar := fs.Float64("bar", 0.7, "the share of the ceiling's speed every decoder target must reach")
	enforce := fs.Bool("enforce-bar", false, "exit 3 when a decoder target is below the bar (and nothing crashed)")
	allowNoExecs := fs.Bool("allow-no-execs", false, "a run that counted no execution is a warning, not a failure")
	dir := fs.String("dir", "", "the module's root (default: found from the working directory)")
	if code := parseNoArgs(fs, args, stderr); code >= 0 {
		return code
	}
	if code := checkFlags(fs, stderr, flagCheck{*budget > 0, "budget", "must be positive (like 60s)"},
		flagCheck{*minimize >= 0, "minimize", "must not be negative"}, flagCheck{*bar >= 0 && *bar <= 1, "bar", "must be from 0 to 1"}); code >= 0 {
		return code
	}
	start := time.Now()
	root := *dir
	if root == "" {
		var err error
		if root, err = fuzzer.ModuleRoot(); err != nil {
			fmt.Fprintf(stderr, "simrun fuzz: %v\n", err)
			return 2
		}
	}
	targets, err := fuzzer.Select(root, *target)
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
	targets = fuzzer.RunOrder(targets)
	bins, err := fuzzer.Build(root, targets)
	if err != nil {
		fmt.Fprintf(stderr, "simrun fuzz: %v\n", err)
		return 1
	}
	defer bins.Close()
	built := time.Since(start)
	clockStart := start
	if *afterBuild {
		clockStart = time.Now()
	}
	clock := fuzzer.NewClock(clockStart, *budget, nil)
	if *afterBuild {
		clock.StartUpsOutside()
	}
	runs := len(targets) * *rounds
	first, fits := clock.Share(runs)
	_, minTime := fuzzer.Shares(*budget, len(targets), *rounds)
	if fits {
		_, minTime = fuzzer.Shares(first*time.Duration(runs), len(targets), *rounds)
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "minimize" {
			minTime = *minimize
		}
	})
	distinct := map[fuzzer.Target]bool{}
	for _, t := range targets {
		distinct[t] = true
	}
	fmt.Fprintf(stdout, "fuzzing %d target(s) in %d runs of about %s within %s (listing and building took %s)",
		len(distinct), runs, first, *budget, built.Round(100*time.Millisecond))
	if *rounds > 1 {
		fmt.Fprintf(stdout, ", %d rounds", *rounds)
	}
	if minTime > 0 {
		fmt.Fprintf(stdout, "; minimizing a new input for at most %s\n", minTime)
	} else {
		fmt.Fprintln(stdout, "; new inputs kept as found, not minimized")
	}
	if !fits {
		fmt.Fprintf(stderr, "simrun fuzz: warning: %s left for %d runs is less than %s each: the budget will be overrun\n",
			clock.Left().Round(100*time.Millisecond), runs, fuzzer.MinShare)
	}
	var all []fuzzer.Stats
	var startUps time.Duration
	code := 0
	for r := 1; r <= *rounds && code == 0; r++ {
		for _, t := range targets {
			share, _ := clock.Share(runs - len(all))
			limit := clock.Limit(runs-len(all), share)
			began := time.Now()
			st := bins.Run(root, t, share, limit, minTime, *parallel)
			took, startUp := time.Since(began), st.StartUp
			if startUp == 0 { // it never began to fuzz
				startUp = took
			}
			clock.Ran(share, took, startUp)
			startUps += startUp
			all = append(all, st)
			prefix := ""
			if *rounds > 1 {
				prefix = fmt.Sprintf("[%d] ", r)
			}
			fmt.Fprintln(stdout, prefix+fuzzer.Line(st))
			for _, c := range st.Crashers {
				fmt.Fprintf(stdout, "  CRASH %s (now a regression input: go test -run '%s/%s' %s)\n", c, t.Name, filepath.Base(c), t.Dir)
			}
			if st.Failed && len(st.Crashers) == 0 {
				fmt.Fprintf(stderr, "simrun fuzz: %s failed without a new input:\n%s\n", t, fuzzer.Tail(st.Output, 40))
			}
			if st.Failed || len(st.Crashers) > 0 {
				code = 1 // the rounds after this one would only replay it
			}
		}
	}
	slow := fuzzer.WriteTable(stdout, all, *bar)
	buildsTook := ""
	if !*afterBuild {
		buildsTook = fmt.Sprintf("listing and building took %s of the %s budget (--budget-after-build keeps builds and start-ups out of it)",
			built.Round(100*time.Millisecond), *budget)
	}
	if noExecs(stderr, all, *allowNoExecs, buildsTook) && code == 0 {
		code = 1
	}
	if code == 0 && slow > 0 && *enforce {
		code = 3
	}
	fmt.Fprintf(stdout, "wall time %s of a %s budget", time.Since(start).Round(100*time.Millisecond), *budget)
	if *afterBuild {
		fmt.Fprintf(stdout, " (outside it: listing and building %s, the runs' start-ups %s)",
			built.Round(100*time.Millisecond), startUps.Round(100*time.Millisecond))
	}
	fmt.Fprintln(stdout)
	return code
}

// noExecs names on w every run that counted no execution, and why, as an
// error or (allowed) a warning; buildsTook, when not empty, says that the
// builds took the budget. It reports whether such a run fails the command.
func noExecs(w io.Writer, all []fuzzer.Stats, allowed bool, buildsTook string) (fail bool) {
	kind := "error"
	if allowed {
		kind = "warning"
	}
	for _, st := range all {
		why := st.NoExecs()
		if why == "" {
			continue
		}
		if buildsTook != "" {
			why += "; " + buildsTook
		}
		fmt.Fprintf(w, "simrun fuzz: %s: %s fuzzed nothing (0 executions): %s\n", kind, st.Target, why)
		fail = !allowed
	}
	return fail
}
