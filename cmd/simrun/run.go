package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"qrlab/lab"
	"qrlab/model/variant"
	"qrlab/scenarios"
	"qrlab/sim"
)

const runUsage = `usage: simrun run [flags]

Simulates logins: both devices, the homeserver, the provider and the user
over a virtual network, one seed per run, with every invariant monitor on.
Prints a line per run (with -v, or when there are at most 20 runs) and the
totals. Exit status: 0 when every invariant held, 1 when one was violated
(the run's trace and a replay command go to stderr), 2 for bad usage or input.

With no flags it runs the built-in scenario "default". Flags given on the
command line override the scenario's.
Flags:
`

const replayUsage = `usage: simrun replay --seed N [flags]

Re-runs one seed exactly (same flags as simrun run) and prints its whole
trace, one event per line.
Flags:
`

// runOpts are the flags of run and replay: the scenario, what the command
// line puts over it, and how to run and print.
type runOpts struct {
	scenario                   string
	ov                         scenarios.Overrides
	workers                    int
	asJSON, verbose            bool
	trace, mermaid, out        string
	variant, newVariant        string
	network, intent, adversary string
	transport                  string
	swarm, backup, base        bool
	seed                       uint64
	runs                       int
}

func runFlags(name, usage string, stderr io.Writer) (*flag.FlagSet, *runOpts) {
	o := &runOpts{}
	fs := newFlagSet(name, usage, stderr, func(w io.Writer) {
		fmt.Fprintf(w, "\nScenarios: %s\nVariants: %s\nNetworks: %s\nAdversaries:\n", strings.Join(scenarios.Names(), ", "),
			strings.Join(variant.Names(), ", "), strings.Join(sim.ProfileNames(), ", "))
		for _, a := range sim.AdversaryNames() {
			fmt.Fprintf(w, "  %-21s %s\n", a, sim.AdversarySummary(a))
		}
	})
	fs.StringVar(&o.scenario, "scenario", "default", "a scenario file, or the name of a built-in one")
	fs.StringVar(&o.variant, "variant", "", "the design variant: a preset name, or a preset file NAME.json (simrun variants --json NAME > NAME.json)")
	fs.StringVar(&o.newVariant, "new-variant", "", "a different preset (or preset file) for the new device (mixing clients)")
	fs.StringVar(&o.network, "network", "", "the network profile (of the transport's profiles)")
	fs.StringVar(&o.transport, "transport", "", "tcp (the default) or datagram (whole messages lost; the default with --swarm, and the earlier uncalibrated profiles)")
	fs.StringVar(&o.intent, "intent", "", "login (the new device shows the QR code) or reciprocate (the existing device does)")
	fs.Uint64Var(&o.seed, "seed", 0, "the first seed")
	intVar(fs, &o.runs, "runs", 0, 1, lab.MaxJobs, "how many runs (seeds seed, seed+1, ...)")
	intVar(fs, &o.workers, "workers", lab.DefaultWorkers(), 1, maxWorkers, "runs in parallel (results stay in seed order)")
	fs.BoolVar(&o.swarm, "swarm", false, "swarm mode: each seed draws its own faults, then the network heals")
	fs.StringVar(&o.adversary, "adversary", "", "attackers of every run, NAME[,NAME] (\"none\" clears the scenario's)")
	fs.BoolVar(&o.backup, "backup", false, "the account has a key backup the secrets carry")
	fs.BoolVar(&o.base, "base", false, "on a scenario with a sweep grid, run its base configuration only (simrun sweep runs the grid)")
	fs.BoolVar(&o.asJSON, "json", false, "print one JSON record per run and a totals record, instead of text")
	fs.BoolVar(&o.verbose, "v", false, "print a line per run however many runs there are")
	fs.StringVar(&o.trace, "trace", "", "write every run's events to this file as JSON Lines")
	fs.StringVar(&o.mermaid, "mermaid", "", "write the first run as a Mermaid sequenceDiagram to this file")
	fs.StringVar(&o.out, "out", "", "stream one JSON record per run to this file as runs finish")
	return fs, o
}

// overrides points the scenario overrides at the flags given.
func (o *runOpts) overrides(fs *flag.FlagSet) {
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "variant":
			o.ov.Variant = &o.variant
		case "new-variant":
			o.ov.NewVariant = &o.newVariant
		case "network":
			o.ov.Network = &o.network
		case "transport":
			o.ov.Transport = &o.transport
		case "intent":
			o.ov.Intent = &o.intent
		case "adversary":
			o.ov.Adversary = &o.adversary
		case "swarm":
			o.ov.Swarm = &o.swarm
		case "backup":
			o.ov.Backup = &o.backup
		case "seed":
			o.ov.Seed = &o.seed
		case "runs":
			o.ov.Runs = &o.runs
		}
	})
}

func parseRun(name, usage string, args []string, stderr io.Writer) (*runOpts, int) {
	fs, o := runFlags(name, usage, stderr)
	if code := parseNoArgs(fs, args, stderr); code >= 0 {
		return nil, code
	}
	o.overrides(fs)
	return o, -1
}

// runRun is simrun run.
func runRun(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	o, code := parseRun("simrun run", runUsage, args, stderr)
	if o == nil {
		return code
	}
	cfg, sc, err := lab.Config(o.scenario, o.ov)
	if err != nil {
		fmt.Fprintf(stderr, "simrun run: %v\n", err)
		return 2
	}
	if code := refuseGrid("simrun run", o, sc, stderr); code >= 0 {
		return code
	}
	return simulate(o, cfg, sc, stdout, stderr, false)
}

// refuseGrid refuses a scenario with a sweep grid unless --base asks for
// its base configuration: run and replay simulate one configuration, and
// running the base of a grid silently would answer another question than
// the scenario's. It returns the exit status, or -1 to go on.
func refuseGrid(cmd string, o *runOpts, sc scenarios.Scenario, stderr io.Writer) int {
	if len(sc.Sweep) == 0 || o.base {
		return -1
	}
	fmt.Fprintf(stderr, "%s: scenario %s has a sweep grid of %d points; simrun sweep %s runs the grid (or add --base to run its base configuration only)\n",
		cmd, sc.Name, sc.GridSize(), o.scenario)
	return 2
}

// runReplay is simrun replay: one seed, its whole trace.
func runReplay(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	o, code := parseRun("simrun replay", replayUsage, args, stderr)
	if o == nil {
		return code
	}
	if o.ov.Seed == nil {
		fmt.Fprintln(stderr, "simrun replay: --seed is required")
		return 2
	}
	if o.ov.Runs != nil && o.runs != 1 {
		fmt.Fprintln(stderr, "simrun replay: --runs: replay re-runs one seed, --seed's (simrun run --seed S --runs N runs several)")
		return 2
	}
	o.runs = 1
	o.ov.Runs = &o.runs
	cfg, sc, err := lab.Config(o.scenario, o.ov)
	if err != nil {
		fmt.Fprintf(stderr, "simrun replay: %v\n", err)
		return 2
	}
	if code := refuseGrid("simrun replay", o, sc, stderr); code >= 0 {
		return code
	}
	return simulate(o, cfg, sc, stdout, stderr, true)
}

// printer prints the outcomes of simulate as they come, in seed order.
type printer struct {
	o                 *runOpts
	sc                scenarios.Scenario
	stdout, stderr    io.Writer
	replay, perRun    bool
	traceW, outW      *bufio.Writer
	mermaidF          *os.File
	failed            bool
	tot               *lab.Totals
	start             time.Time
	violation         *sim.Result
	violationEvents   []sim.Event
	done, progressGap int
}

// simulate runs the scenario's seeds and prints them in seed order.
func simulate(o *runOpts, cfg sim.Config, sc scenarios.Scenario, stdout, stderr io.Writer, replay bool) int {
	keep := replay || o.trace != "" || o.mermaid != ""
	cfg.KeepTrace = keep
	workers := o.workers
	if keep || sc.Runs < workers {
		workers = max(1, min(workers, sc.Runs))
	}
	if keep {
		workers = 1
	}
	p := &printer{o: o, sc: sc, stdout: stdout, stderr: stderr, replay: replay, perRun: o.verbose || replay || sc.Runs <= 20,
		tot: lab.NewTotals(), progressGap: max(sc.Runs/10, 1)}
	closeFiles, err := p.openFiles()
	if err != nil {
		fmt.Fprintf(stderr, "simrun: %v\n", err)
		return 2
	}
	p.start = time.Now()
	err = lab.Simulate(cfg, sc.Seed, sc.Runs, workers, p.print)
	if cerr := closeFiles(); err == nil {
		err = cerr
	}
	if err != nil {
		fmt.Fprintf(stderr, "simrun: %v\n", err)
		return 2
	}
	if p.failed {
		return 2
	}
	elapsed := time.Since(p.start)
	if o.asJSON {
		b, _ := json.Marshal(map[string]any{"totals": p.tot.Summary(elapsed)})
		fmt.Fprintf(stdout, "%s\n", b)
	} else if !replay {
		p.tot.WriteText(stdout, sc, cfg, elapsed)
	}
	if p.violation == nil {
		return 0
	}
	v := p.violation.Violation
	fmt.Fprintf(stderr, "\nINVARIANT VIOLATED: %s\n  seed %d, variant %s, at %d ms virtual time\n  %s\n", v.Invariant, v.Seed, v.Variant, v.At, v.Detail)
	base := ""
	if o.base {
		base = " --base"
	}
	fmt.Fprintf(stderr, "  replay: simrun replay %s%s\n", lab.ReplayArgs(o.scenario, o.ov, v.Seed), base)
	if p.violationEvents == nil {
		p.violationEvents, _ = lab.Trace(cfg, v.Seed)
	}
	fmt.Fprintln(stderr, "  trace up to the violation:")
	sim.WriteText(stderr, p.violationEvents)
	return 1
}

// print prints one outcome; false after an error or the first violation.
func (p *printer) print(oc lab.Outcome) bool {
	p.done++
	if oc.Err != nil {
		fmt.Fprintf(p.stderr, "simrun: seed %d: %v\n", oc.Result.Seed, oc.Err)
		return false
	}
	res := oc.Result
	p.tot.Add(&res)
	if p.outW != nil {
		b, _ := json.Marshal(res)
		p.outW.Write(append(b, '\n'))
	}
	if p.traceW != nil {
		if err := sim.WriteJSONL(p.traceW, oc.Index, oc.Events); err != nil {
			fmt.Fprintf(p.stderr, "simrun: --trace: %v\n", err)
			p.failed = true
			return false
		}
	}
	if p.mermaidF != nil && oc.Index == 0 {
		if err := sim.WriteMermaid(p.mermaidF, oc.Events); err != nil {
			fmt.Fprintf(p.stderr, "simrun: --mermaid: %v\n", err)
			p.failed = true
			return false
		}
	}
	switch {
	case p.o.asJSON:
		b, _ := json.Marshal(res)
		fmt.Fprintf(p.stdout, "%s\n", b)
	case p.replay:
		sim.WriteText(p.stdout, oc.Events)
		fmt.Fprintln(p.stdout, lab.RunLine(oc.Index, &res))
	case p.perRun:
		fmt.Fprintln(p.stdout, lab.RunLine(oc.Index, &res))
	}
	more := true
	if res.Violation != nil && p.violation == nil {
		p.violation, p.violationEvents = &res, oc.Events
		more = false
	}
	if !p.perRun && !p.o.asJSON && p.sc.Runs >= 1000 && p.done%p.progressGap == 0 {
		fmt.Fprintf(p.stderr, "simrun: %d/%d runs, %.0f runs/s\n", p.done, p.sc.Runs, float64(p.done)/time.Since(p.start).Seconds())
	}
	return more
}

// openFiles creates the files of --trace, --out and --mermaid before any
// run, so that a path that cannot be written stops the command at once;
// closeFiles flushes and closes them, and says the first error.
func (p *printer) openFiles() (closeFiles func() error, err error) {
	var files []*os.File
	var bufs []*bufio.Writer
	closeFiles = func() error {
		var first error
		for _, b := range bufs {
			if err := b.Flush(); first == nil {
				first = err
			}
		}
		for _, f := range files {
			if err := f.Close(); first == nil {
				first = err
			}
		}
		return first
	}
	for _, f := range []struct {
		flag, path string
		w          **bufio.Writer
	}{{"trace", p.o.trace, &p.traceW}, {"out", p.o.out, &p.outW}, {"mermaid", p.o.mermaid, nil}} {
		if f.path == "" {
			continue
		}
		fh, err := os.Create(f.path)
		if err != nil {
			closeFiles()
			return nil, fmt.Errorf("--%s: %v", f.flag, err)
		}
		files = append(files, fh)
		if f.w == nil {
			p.mermaidF = fh
			continue
		}
		*f.w = bufio.NewWriter(fh)
		bufs = append(bufs, *f.w)
	}
	return closeFiles, nil
}
