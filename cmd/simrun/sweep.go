package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"time"

	"qrlab/lab"
	"qrlab/reports"
	"qrlab/scenarios"
)

const sweepUsage = `usage: simrun sweep SCENARIO [flags]

Runs a scenario's sweep: every point of the grid its "sweep" axes span (a
scenario without axes is one point), the scenario's runs at each point,
on every core. One record per run goes to DIR/runs.jsonl and DIR/runs.csv
as runs finish (in job order), so an interrupted sweep loses nothing and
--resume continues it; DIR/sweep.json describes the sweep. At the end it
writes DIR/report.md and DIR/report.html (simrun report).

SCENARIO is a scenario file or the name of a built-in one (simrun list).
--shard K/N runs jobs K, K+N, K+2N, ... of the (point, seed) list (K from 0
to N-1, as a Kubernetes Indexed Job numbers its pods), so N machines can
split a sweep; simrun merge joins their directories.

Exit status: 0 when every invariant held, 1 when one was violated (stderr
names the run and the command that replays it), 2 for bad usage or input.
Flags:
`

// sweepOpts are the flags of simrun sweep.
type sweepOpts struct {
	out, shard, scenario    string
	transport               string
	runs, workers           int
	seed                    uint64
	resume, noReport, quiet bool
	progressForce           bool
	cpuprofile, memprofile  string
}

// runSweep is simrun sweep.
func runSweep(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	o := &sweepOpts{}
	fs := newFlagSet("simrun sweep", sweepUsage, stderr, func(w io.Writer) {
		fmt.Fprintf(w, "\nBuilt-in scenarios: %s\nKnob paths for \"set\" and \"sweep\": %s\n", strings.Join(scenarios.Names(), ", "), scenarios.KnobPaths())
	})
	fs.StringVar(&o.out, "out", "", "the output directory (default sweep-NAME)")
	intVar(fs, &o.runs, "runs", 0, 1, lab.MaxJobs, "runs (seeds) per grid point, overriding the scenario's")
	fs.Uint64Var(&o.seed, "seed", 0, "the first seed, overriding the scenario's")
	fs.StringVar(&o.transport, "transport", "", "tcp or datagram, overriding the scenario's (a transport axis still sets each point's)")
	intVar(fs, &o.workers, "workers", lab.DefaultWorkers(), 1, maxWorkers, "runs in parallel")
	fs.StringVar(&o.shard, "shard", "", "run one deterministic slice K/N of the sweep (K from 0 to N-1)")
	fs.BoolVar(&o.resume, "resume", false, "continue the sweep in --out: skip the runs already recorded")
	fs.BoolVar(&o.noReport, "no-report", false, "do not write the report at the end")
	fs.BoolVar(&o.quiet, "quiet", false, "no progress on stderr")
	fs.BoolVar(&o.progressForce, "progress", false, "show progress on stderr however few the runs")
	fs.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of the sweep (pprof format) to this file")
	fs.StringVar(&o.memprofile, "memprofile", "", "write an allocation profile of the sweep (pprof format) to this file at the end")
	// Flags may follow the scenario name.
	pos, code := parseInterspersed(fs, args)
	if code >= 0 {
		return code
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "simrun sweep: want one SCENARIO (a file or a built-in name; simrun list)")
		return 2
	}
	var ov scenarios.Overrides
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "runs":
			ov.Runs = &o.runs
		case "seed":
			ov.Seed = &o.seed
		case "transport":
			ov.Transport = &o.transport
		}
	})
	so := lab.SweepOptions{Workers: o.workers, Resume: o.resume, ShardK: 0, ShardN: 1}
	if o.shard != "" {
		k, n, err := lab.ParseShard(o.shard)
		if err != nil {
			fmt.Fprintf(stderr, "simrun sweep: --shard: %v\n", err)
			return 2
		}
		so.ShardK, so.ShardN = k, n
	}
	sc, err := lab.LoadScenario(pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "simrun sweep: %v\n", err)
		return 2
	}
	ov.Apply(&sc)
	if sc.Runs < 1 {
		sc.Runs = 1
	}
	if o.out == "" {
		o.out = "sweep-" + sc.Name
	}
	if os.Getenv("GOGC") == "" {
		// A run allocates about 130 kB and keeps almost none of it (the
		// live heap stays near 2 MB): with the default GOGC the collector
		// runs tens of times a second and costs a fifth of the CPU. At
		// 1600 it runs about twice a second (11 collections in a
		// 5,000-run sweep against 51 at 400, 1% fewer instructions per
		// run) and the process stays near 90 MB resident (40 MB at 400;
		// a 50,000-run sweep peaked at 132 MB); the soft limit bounds it.
		defer debug.SetGCPercent(debug.SetGCPercent(sweepGCPercent))
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(sweepMemoryLimit))
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	so.Dir, so.Stop = o.out, ctx.Done()
	o.scenario = pos[0]
	return sweep(o, so, sc, stdout, stderr)
}

// The collector settings of a sweep (unless GOGC is set).
const (
	sweepGCPercent   = 1600
	sweepMemoryLimit = 150 << 20
	reportGCPercent  = 400 // the report after the runs
)

// sweep runs the sweep and prints what it did.
func sweep(o *sweepOpts, so lab.SweepOptions, sc scenarios.Scenario, stdout, stderr io.Writer) int {
	var prog *progress
	so.Warn = func(err error) { fmt.Fprintf(stderr, "simrun sweep: %v\n", err) }
	so.Begin = func(todo int) { prog = newProgress(stderr, todo, o) }
	so.Progress = func(ran int) { prog.update(ran) }
	stop, err := startProfiles(o.cpuprofile, o.memprofile)
	if err != nil {
		fmt.Fprintf(stderr, "simrun sweep: %v\n", err)
		return 2
	}
	r, err := lab.Sweep(sc, so)
	if perr := stop(); perr != nil {
		fmt.Fprintf(stderr, "simrun sweep: %v\n", perr)
	}
	if prog != nil {
		prog.finish(r.Ran)
	}
	if err != nil {
		if !errors.Is(err, lab.ErrStopped) {
			fmt.Fprintf(stderr, "simrun sweep: %v\n", err)
		}
		return 2
	}
	m := r.Manifest
	fmt.Fprintf(stdout, "sweep %s: %d point(s) × %d seed(s) = %d runs", m.Name, m.Points, m.Runs, m.Jobs())
	if m.Shard != "" {
		fmt.Fprintf(stdout, ", shard %s: %d runs", m.Shard, r.ShardJobs)
	}
	fmt.Fprintf(stdout, "\nran %d now (%d recorded before), %d of %d done; failed logins %d of %d; invariant violations %d\n",
		r.Ran, r.Prior, r.Prior+r.Ran, r.ShardJobs, r.Failed, r.Ran, r.Violations)
	fmt.Fprintf(stdout, "wall %.1fs (%.0f runs/s on %d workers)\n", r.Elapsed.Seconds(), float64(r.Ran)/max(r.Elapsed.Seconds(), 1e-9), r.Workers)
	fmt.Fprintf(stdout, "records: %s, %s\n", r.JSONLPath, r.CSVPath)
	if r.Interrupted {
		fmt.Fprintf(stderr, "simrun sweep: interrupted after %d runs; this continues it: %s\n", r.Ran, resumeCommand(o.scenario, so, m))
		return 2
	}
	if !o.noReport && r.Prior+r.Ran > 0 {
		if os.Getenv("GOGC") == "" {
			// The report keeps what it counts live, growing with the
			// records: it runs at the former target (a report of 20,000
			// records: 53 MB resident at 400, 86 MB at 1600; of a million
			// records at 400, 73 MB).
			defer debug.SetGCPercent(debug.SetGCPercent(reportGCPercent))
		}
		if code := writeReport(so.Dir, so.Dir, stdout, stderr); code != 0 {
			return code
		}
	}
	if r.FirstViolation != nil {
		reportViolation(so.Dir, sc, m, r.FirstViolation, stderr)
		return 1
	}
	return 0
}

// resumeCommand is the whole command line that resumes the sweep m in
// so.Dir: the same scenario, runs, first seed and shard.
func resumeCommand(scenario string, so lab.SweepOptions, m *reports.Manifest) string {
	args := []string{"simrun", "sweep", scenario, "--out", so.Dir, "--runs", fmt.Sprint(m.Runs), "--seed", fmt.Sprint(m.Seed)}
	if m.Shard != "" {
		args = append(args, "--shard", m.Shard)
	}
	args = append(args, "--resume")
	for i, a := range args {
		args[i] = shellQuote(a)
	}
	return strings.Join(args, " ")
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// reportViolation tells where the first violated invariant is and how to
// replay it: the grid point's scenario goes to DIR/points/point-P.json.
func reportViolation(dir string, sc scenarios.Scenario, m *reports.Manifest, r *reports.Record, stderr io.Writer) {
	v := r.Violation
	fmt.Fprintf(stderr, "\nINVARIANT VIOLATED: %s\n  point %d seed %d, variant %s, at %d ms virtual time\n  %s\n", v.Invariant, r.Point, v.Seed, v.Variant, v.At, v.Detail)
	if path, err := lab.WritePoint(dir, sc, m, r); err == nil {
		fmt.Fprintf(stderr, "  replay: simrun replay --scenario %s --seed %d\n", path, r.Seed)
	}
}

// progress draws a bar with an ETA on stderr: redrawn in place on a
// terminal, a line every tenth otherwise; only for long sweeps.
type progress struct {
	w         io.Writer
	on, tty   bool
	total     int
	start     time.Time
	last      time.Time
	lastTenth int
}

func newProgress(w io.Writer, total int, o *sweepOpts) *progress {
	p := &progress{w: w, total: total, start: time.Now()}
	p.on = !o.quiet && total > 0 && (total >= 2000 || o.progressForce)
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

func (p *progress) line(done int) string {
	el := time.Since(p.start)
	rate := float64(done) / max(el.Seconds(), 1e-9)
	eta := "?"
	if done > 0 {
		eta = time.Duration(float64(p.total-done) / rate * float64(time.Second)).Round(time.Second).String()
	}
	frac := float64(done) / float64(p.total)
	const width = 30
	fill := int(frac * width)
	return fmt.Sprintf("[%s%s] %5.1f%% %d/%d  %.0f runs/s  ETA %s", strings.Repeat("#", fill), strings.Repeat(".", width-fill),
		100*frac, done, p.total, rate, eta)
}

func (p *progress) update(done int) {
	if !p.on {
		return
	}
	if p.tty {
		if time.Since(p.last) >= 200*time.Millisecond {
			p.last = time.Now()
			fmt.Fprintf(p.w, "\r%s ", p.line(done))
		}
		return
	}
	if t := done * 10 / p.total; t > p.lastTenth {
		p.lastTenth = t
		fmt.Fprintln(p.w, "simrun sweep: "+p.line(done))
	}
}

func (p *progress) finish(done int) {
	if p.on && p.tty {
		fmt.Fprintf(p.w, "\r%s\n", p.line(done))
	}
}
