package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"qrlab/model/qr"
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

// runOpts are the flags of run and replay.
type runOpts struct {
	scenario, variant, newVariant, network, intent string
	seed                                           uint64
	runs, workers                                  int
	swarm, asJSON, verbose, backup                 bool
	trace, mermaid, out, adversary                 string
	set                                            map[string]bool
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
	fs.StringVar(&o.variant, "variant", "", "the design variant (a preset name)")
	fs.StringVar(&o.newVariant, "new-variant", "", "a different preset for the new device (mixing clients)")
	fs.StringVar(&o.network, "network", "", "the network profile")
	fs.StringVar(&o.intent, "intent", "", "login (the new device shows the QR code) or reciprocate (the existing device does)")
	fs.Uint64Var(&o.seed, "seed", 0, "the first seed")
	fs.IntVar(&o.runs, "runs", 0, "how many runs (seeds seed, seed+1, ...)")
	fs.IntVar(&o.workers, "workers", runtime.GOMAXPROCS(0), "runs in parallel (results stay in seed order)")
	fs.BoolVar(&o.swarm, "swarm", false, "swarm mode: each seed draws its own faults, then the network heals")
	fs.StringVar(&o.adversary, "adversary", "", "attackers of every run, NAME[,NAME] (\"none\" clears the scenario's)")
	fs.BoolVar(&o.backup, "backup", false, "the account has a key backup the secrets carry")
	fs.BoolVar(&o.asJSON, "json", false, "print one JSON record per run and a totals record, instead of text")
	fs.BoolVar(&o.verbose, "v", false, "print a line per run however many runs there are")
	fs.StringVar(&o.trace, "trace", "", "write every run's events to this file as JSON Lines")
	fs.StringVar(&o.mermaid, "mermaid", "", "write the first run as a Mermaid sequenceDiagram to this file")
	fs.StringVar(&o.out, "out", "", "stream one JSON record per run to this file as runs finish")
	return fs, o
}

// config resolves the scenario and the flags into a simulator config.
func (o *runOpts) config() (sim.Config, scenarios.Scenario, error) {
	var sc scenarios.Scenario
	var err error
	if b, rerr := os.ReadFile(o.scenario); rerr == nil {
		sc, err = scenarios.Parse(b, o.scenario)
	} else if strings.ContainsAny(o.scenario, "/.") {
		return sim.Config{}, sc, fmt.Errorf("scenario file: %v", rerr)
	} else {
		sc, err = scenarios.Load(o.scenario)
	}
	if err != nil {
		return sim.Config{}, sc, err
	}
	if o.set["variant"] {
		sc.Variant = o.variant
	}
	if o.set["new-variant"] {
		sc.NewVariant = o.newVariant
	}
	if o.set["intent"] {
		sc.Intent = o.intent
	}
	if o.set["network"] {
		b, _ := json.Marshal(o.network)
		sc.Network = b
	}
	if o.set["swarm"] {
		sc.Swarm = nil
		if o.swarm {
			sc.Swarm = json.RawMessage("{}")
		}
	}
	if o.set["backup"] {
		sc.Backup = o.backup
	}
	if o.set["adversary"] {
		sc.Adversaries = nil
		if o.adversary != "none" && o.adversary != "" {
			sc.Adversaries = strings.Split(o.adversary, ",")
		}
	}
	if o.set["seed"] {
		sc.Seed = o.seed
	}
	if o.set["runs"] {
		sc.Runs = o.runs
	}
	if sc.Runs == 0 {
		sc.Runs = 1
	}
	cfg, err := sc.Config()
	return cfg, sc, err
}

func parseRun(name, usage string, args []string, stderr io.Writer) (*runOpts, int) {
	fs, o := runFlags(name, usage, stderr)
	if code := parseNoArgs(fs, args, stderr); code >= 0 {
		return nil, code
	}
	o.set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { o.set[f.Name] = true })
	if o.workers < 1 {
		fmt.Fprintf(stderr, "%s: --workers must be at least 1\n", name)
		return nil, 2
	}
	if o.set["runs"] && o.runs < 1 {
		fmt.Fprintf(stderr, "%s: --runs must be at least 1\n", name)
		return nil, 2
	}
	return o, -1
}

// runRun is simrun run.
func runRun(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	o, code := parseRun("simrun run", runUsage, args, stderr)
	if o == nil {
		return code
	}
	cfg, sc, err := o.config()
	if err != nil {
		fmt.Fprintf(stderr, "simrun run: %v\n", err)
		return 2
	}
	if len(sc.Sweep) > 0 {
		fmt.Fprintf(stderr, "simrun run: scenario %s has a sweep of %d points; this runs its base only (simrun sweep runs the grid)\n", sc.Name, sc.GridSize())
	}
	return simulate(o, cfg, sc, stdout, stderr, false)
}

// runReplay is simrun replay: one seed, its whole trace.
func runReplay(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	o, code := parseRun("simrun replay", replayUsage, args, stderr)
	if o == nil {
		return code
	}
	if !o.set["seed"] {
		fmt.Fprintln(stderr, "simrun replay: --seed is required")
		return 2
	}
	o.set["runs"], o.runs = true, 1
	cfg, sc, err := o.config()
	if err != nil {
		fmt.Fprintf(stderr, "simrun replay: %v\n", err)
		return 2
	}
	return simulate(o, cfg, sc, stdout, stderr, true)
}

// outcome is one finished run on its way to the printer.
type outcome struct {
	i      int
	res    sim.Result
	events []sim.Event
	err    error
}

// simulate runs the scenario's seeds on workers and prints in seed order.
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
	var traceW, outW *bufio.Writer
	for _, f := range []struct {
		path string
		w    **bufio.Writer
	}{{o.trace, &traceW}, {o.out, &outW}} {
		if f.path == "" {
			continue
		}
		fh, err := os.Create(f.path)
		if err != nil {
			fmt.Fprintf(stderr, "simrun: %v\n", err)
			return 2
		}
		defer fh.Close()
		*f.w = bufio.NewWriter(fh)
		defer (*f.w).Flush()
	}
	jobs := make(chan int)
	results := make(chan outcome, workers*4)
	var wg sync.WaitGroup
	var stop sync.Once
	quit := make(chan struct{})
	for range workers {
		r, err := sim.NewRunner(cfg)
		if err != nil {
			fmt.Fprintf(stderr, "simrun: %v\n", err)
			return 2
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				res, err := r.Run(sc.Seed + uint64(i))
				oc := outcome{i: i, res: res, err: err}
				if keep {
					oc.events = append([]sim.Event(nil), r.Trace().Events...)
				}
				results <- oc
			}
		}()
	}
	go func() {
		defer close(jobs)
		for i := 0; i < sc.Runs; i++ {
			select {
			case jobs <- i:
			case <-quit:
				return
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()

	start := time.Now()
	tot := newTotals()
	pending := map[int]outcome{}
	next := 0
	perRun := o.verbose || replay || sc.Runs <= 20
	var violation *sim.Result
	var violationEvents []sim.Event
	progressEvery := max(sc.Runs/10, 1)
	for oc := range results {
		pending[oc.i] = oc
		for {
			oc, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			if oc.err != nil {
				fmt.Fprintf(stderr, "simrun: seed %d: %v\n", oc.res.Seed, oc.err)
				stop.Do(func() { close(quit) })
				continue
			}
			res := oc.res
			tot.add(&res)
			if outW != nil {
				b, _ := json.Marshal(res)
				outW.Write(append(b, '\n'))
			}
			if traceW != nil {
				if err := sim.WriteJSONL(traceW, oc.i, oc.events); err != nil {
					fmt.Fprintf(stderr, "simrun: trace: %v\n", err)
				}
			}
			if o.mermaid != "" && oc.i == 0 {
				if err := writeMermaid(o.mermaid, oc.events); err != nil {
					fmt.Fprintf(stderr, "simrun: %v\n", err)
				}
			}
			switch {
			case o.asJSON:
				b, _ := json.Marshal(res)
				fmt.Fprintf(stdout, "%s\n", b)
			case replay:
				sim.WriteText(stdout, oc.events)
				fmt.Fprintln(stdout, runLine(oc.i, &res))
			case perRun:
				fmt.Fprintln(stdout, runLine(oc.i, &res))
			}
			if res.Violation != nil && violation == nil {
				violation = &res
				violationEvents = oc.events
				stop.Do(func() { close(quit) })
			}
			if !perRun && !o.asJSON && sc.Runs >= 1000 && next%progressEvery == 0 {
				fmt.Fprintf(stderr, "simrun: %d/%d runs, %.0f runs/s\n", next, sc.Runs, float64(next)/time.Since(start).Seconds())
			}
		}
	}
	elapsed := time.Since(start)
	if o.asJSON {
		b, _ := json.Marshal(map[string]any{"totals": tot.summary(elapsed)})
		fmt.Fprintf(stdout, "%s\n", b)
	} else if !replay {
		tot.print(stdout, sc, cfg, elapsed)
	}
	if violation != nil {
		v := violation.Violation
		fmt.Fprintf(stderr, "\nINVARIANT VIOLATED: %s\n  seed %d, variant %s, at %d ms virtual time\n  %s\n", v.Invariant, v.Seed, v.Variant, v.At, v.Detail)
		fmt.Fprintf(stderr, "  replay: simrun replay %s\n", replayArgs(o, sc, v.Seed))
		if violationEvents == nil {
			cfg.KeepTrace = true
			if r, err := sim.NewRunner(cfg); err == nil {
				r.Run(v.Seed)
				violationEvents = r.Trace().Events
			}
		}
		fmt.Fprintln(stderr, "  trace up to the violation:")
		sim.WriteText(stderr, violationEvents)
		return 1
	}
	return 0
}

func writeMermaid(path string, events []sim.Event) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := sim.WriteMermaid(f, events); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// replayArgs is the command line that reproduces one seed.
func replayArgs(o *runOpts, sc scenarios.Scenario, seed uint64) string {
	args := []string{"--scenario", o.scenario}
	for _, f := range []struct{ name, val string }{{"variant", o.variant}, {"new-variant", o.newVariant},
		{"network", o.network}, {"intent", o.intent}, {"adversary", o.adversary}} {
		if o.set[f.name] {
			args = append(args, "--"+f.name, f.val)
		}
	}
	if o.set["swarm"] {
		args = append(args, fmt.Sprintf("--swarm=%v", o.swarm))
	}
	if o.set["backup"] {
		args = append(args, fmt.Sprintf("--backup=%v", o.backup))
	}
	args = append(args, "--seed", fmt.Sprint(seed))
	return strings.Join(args, " ")
}

// runLine is one run's summary.
func runLine(i int, r *sim.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "run %d seed %d: ", i, r.Seed)
	if r.Success() {
		b.WriteString("signed in")
	} else {
		fmt.Fprintf(&b, "FAILED  N %s / E %s", r.New.Outcome, r.Existing.Outcome)
		if r.New.Outcome == "" {
			fmt.Fprintf(&b, " (N in %s)", r.NewState)
		}
	}
	fmt.Fprintf(&b, "  [%s]", r.Agreement)
	if r.SignedInMillis >= 0 {
		fmt.Fprintf(&b, "  token %.1fs", float64(r.SignedInMillis)/1000)
	}
	if r.SecretsMillis >= 0 {
		fmt.Fprintf(&b, "  secrets %.1fs", float64(r.SecretsMillis)/1000)
	}
	fmt.Fprintf(&b, "  end %.1fs  msgs %d  reqs %d  lost %d", float64(r.EndMillis)/1000, r.Messages, r.Requests, r.Lost)
	if r.Faults != "" {
		fmt.Fprintf(&b, "  faults {%s}", r.Faults)
	}
	if r.Violation != nil {
		fmt.Fprintf(&b, "  VIOLATION %s", r.Violation.Invariant)
	}
	return b.String()
}

// totals aggregates runs.
type totals struct {
	runs, success, violations int
	reasons                   map[string]int
	agreement                 map[string]int
	signedIn, secrets         []float64
	requests, lost            int
	// attacker counts what attackers obtained, by "what (exposure)".
	attacker map[string]int
}

func newTotals() *totals {
	return &totals{reasons: map[string]int{}, agreement: map[string]int{}, attacker: map[string]int{}}
}

func (t *totals) add(r *sim.Result) {
	t.runs++
	if r.Success() {
		t.success++
	} else {
		reason := r.New.Reason
		if reason == "" {
			reason = r.Existing.Reason
		}
		if reason == "" {
			reason = "unfinished"
		}
		t.reasons[reason]++
	}
	if r.Violation != nil {
		t.violations++
	}
	t.agreement[r.Agreement]++
	if r.SignedInMillis >= 0 {
		t.signedIn = append(t.signedIn, float64(r.SignedInMillis)/1000)
	}
	if r.SecretsMillis >= 0 {
		t.secrets = append(t.secrets, float64(r.SecretsMillis)/1000)
	}
	t.requests += r.Requests
	t.lost += r.Lost
	if r.AttackerWon != "" {
		k := r.AttackerWon
		if r.Exposure != "" {
			k += " (" + r.Exposure + ")"
		}
		t.attacker[k]++
	}
}

// quantiles returns the p50, p90 and p99 of xs, sorting xs in place once.
func quantiles(xs []float64) (p50, p90, p99 float64) {
	if len(xs) == 0 {
		return 0, 0, 0
	}
	if !sort.Float64sAreSorted(xs) {
		sort.Float64s(xs)
	}
	at := func(p float64) float64 { return xs[int(p*float64(len(xs)-1))] }
	return at(.5), at(.9), at(.99)
}

// writeCounts writes a line of label and each key with its count: most
// frequent first (ties by name) when byCount, else by name.
func writeCounts(w io.Writer, label string, m map[string]int, byCount bool) {
	keys := slices.Sorted(maps.Keys(m))
	if byCount {
		sort.SliceStable(keys, func(i, j int) bool { return m[keys[i]] > m[keys[j]] })
	}
	fmt.Fprint(w, label)
	for _, k := range keys {
		fmt.Fprintf(w, "  %s %d", k, m[k])
	}
	fmt.Fprintln(w)
}

func quantileMap(xs []float64) map[string]float64 {
	p50, p90, p99 := quantiles(xs)
	return map[string]float64{"p50": p50, "p90": p90, "p99": p99}
}

func (t *totals) summary(elapsed time.Duration) map[string]any {
	return map[string]any{
		"runs": t.runs, "success": t.success, "violations": t.violations, "failure_reasons": t.reasons,
		"agreement": t.agreement, "requests": t.requests, "lost": t.lost, "attacker_won": t.attacker,
		"token_s":         quantileMap(t.signedIn),
		"secrets_s":       quantileMap(t.secrets),
		"runs_per_second": float64(t.runs) / elapsed.Seconds(),
	}
}

func (t *totals) print(w io.Writer, sc scenarios.Scenario, cfg sim.Config, elapsed time.Duration) {
	intent := "the new device shows the QR code"
	if cfg.Intent == qr.Reciprocate {
		intent = "the existing device shows the QR code"
	}
	mode := ""
	if cfg.Swarm != nil {
		mode = ", swarm"
	}
	fmt.Fprintf(w, "\nscenario %s: variant %s, network %s%s, %s; seeds %d..%d\n", sc.Name, cfg.Variant.Name, cfg.Network.Name, mode,
		intent, sc.Seed, sc.Seed+uint64(max(t.runs, 1))-1)
	fmt.Fprintf(w, "runs %d  signed in %d (%.1f%%)  invariant violations %d\n", t.runs, t.success,
		100*float64(t.success)/float64(max(t.runs, 1)), t.violations)
	if len(t.signedIn) > 0 {
		p50, p90, p99 := quantiles(t.signedIn)
		fmt.Fprintf(w, "time to token   p50 %.1fs  p90 %.1fs  p99 %.1fs\n", p50, p90, p99)
	}
	if len(t.secrets) > 0 {
		p50, p90, p99 := quantiles(t.secrets)
		fmt.Fprintf(w, "time to secrets p50 %.1fs  p90 %.1fs  p99 %.1fs\n", p50, p90, p99)
	}
	if len(t.reasons) > 0 {
		writeCounts(w, "failures by reason:", t.reasons, true)
	}
	writeCounts(w, "endings:", t.agreement, false)
	if len(t.attacker) > 0 {
		writeCounts(w, "attacker won:", t.attacker, false)
	}
	fmt.Fprintf(w, "requests %d  lost on the network %d  wall %.2fs (%.0f runs/s)\n", t.requests, t.lost, elapsed.Seconds(),
		float64(t.runs)/elapsed.Seconds())
}
