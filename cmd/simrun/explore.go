package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"qrlab/lab"
	"qrlab/lab/explore"
	"qrlab/model/qr"
	"qrlab/model/variant"
	"qrlab/scenarios"
	"qrlab/sim"
)

const exploreUsage = `usage: simrun explore [--variant V] [--intent login|reciprocate] [--loss K] [--dup K] [--resets K]
       [--depth D] [--budget T] [--states N] [--mode bfs|dfs|walk] [--adversary A]
       [--latency MS] [--seed S] [--user attentive|careless] [--pace SCENARIO] [--reach REASON]
       [--por sleep|persistent|none] [--subsume] [--time exact|abstract] [--untimed-above MS] [--free-lost-timeouts]
       [--workers W] [--path P] [--json] [--cpuprofile FILE] [--memprofile FILE]

Explores every order of the simulator's enabled events (a request reaching
its server, an answer reaching its client, a timer, the user's acts) and
every placement of at most --loss lost and --dup duplicated messages and
--resets exchanges broken by a transport error (a reset connection: the
client hears of it at once, where a lost message makes it wait for its
timeout), with every invariant checked at every state (package lab/explore
says what the time abstraction keeps). Progress goes to stderr each second;
the summary (complete or cut, distinct states, transitions, depth, the
login machines' coverage) and, on a violation, the counterexample as the
simulator's JSON lines and a Mermaid diagram with the command that replays
it, to stdout.
--user careless makes the user's decisions choices too: at each of the
user's acts, besides the attentive one, every slip the user model knows
there (a typo, typing a code or confirming an account that is not theirs,
denying or refusing, cancelling, a browser that cannot open); they show in
the path as letters t, y, b, r, c, f after the event's number (l, d, x for
a lost, duplicated or reset message). --pace SCENARIO takes the user's
times (how long scanning, typing, consenting take) from a built-in
scenario instead of the default user's.
--reorder is accepted and ignored: a message may arrive anywhere in [0, L]
after its sending, whatever the others do, so every order of the messages
in flight is already explored.
--path replays one path of choices (a counterexample's) and prints its
trace. --reach REASON asks a design question: can a device end with REASON
(write_conflict, timeout, ...)? The search stops at the first (breadth
first: the shortest) way there and prints it like a counterexample.
--workers W (0: every core) expands breadth-first levels on W goroutines,
or shares a depth-first search between W (each its own stack, one
visited set; an idle one takes choices from another's shallowest frame).
Depth first without a depth bound explores each state once, so a complete
search has the same states and transitions at any W; it runs on one
worker, with a note, under --time abstract (a lasso is looked for on one
stack) and --por. With --subsume the workers share the pruning (which
states are pruned, so the counts, depend on the order; the ended states
up to the budgets, the coverage and the verdict do not).
--por sleep (depth first only) leaves out the orders of independent
choices with sleep sets: the same states, fewer transitions.
--por persistent (depth first, exact time) takes at each state only a
persistent set of its choices (lab/explore persistent.go): the same ended
states and violations; with the simulator's present independence relation
the set is every enabled choice, so it cuts nothing.
--subsume (bfs and dfs) does not explore a state that equals a visited one
but for the fault budgets spent, when the visited one had at least as much
of each budget left (lab/explore subsume.go: the budgets only gate fault
choices, so its futures are among the visited one's): the same violations,
endings and coverage in fewer states.
--time abstract over-approximates time (lab/explore timeabs.go): a timer or
timeout set more than --untimed-above ms ahead (default 60000) may fire at
any moment from its arming on, and states one time shift apart are one; a
violation found so says whether it relies on the abstraction (a timer fired
before its due time) and whether it came back when replayed with exact time.
--free-lost-timeouts (with --time abstract) also makes a request's timeout
fire at any moment once its exchange can no longer complete (its request or
answer lost, no copy in flight); measured to cost more states than it
merges and to bring violations that rely on the abstraction (README).
--cpuprofile FILE writes a CPU profile of the search (pprof format, go
tool pprof) and --memprofile FILE an allocation profile at its end.
Exit status: 0 no violation, 1 a violation (under --time abstract too,
whether or not the exact replay reproduced it: the summary says), 2 bad
usage.
Flags:
`

// runExplore is simrun explore.
func runExplore(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("simrun explore", exploreUsage, stderr, nil)
	vname := fs.String("variant", "msc4388", "the design: a preset or a mutant (simrun variants lists them)")
	intent := fs.String("intent", "login", "login (the new device shows the QR code) or reciprocate")
	loss := intFlagOf(fs, "loss", 0, 0, 8, "messages the network may lose in a run")
	dup := intFlagOf(fs, "dup", 0, 0, 8, "messages the network may duplicate in a run")
	resets := intFlagOf(fs, "resets", 0, 0, 8, "exchanges the network may break with a transport error (a connection reset) in a run")
	reorder := intFlagOf(fs, "reorder", 0, 0, 1<<20, "accepted and not needed: every order of the messages in flight is explored already (see above)")
	depth := intFlagOf(fs, "depth", 0, 0, 1<<20, "longest path in events (0: no bound)")
	states := intFlagOf(fs, "states", 0, 0, 1<<30, "stop after this many distinct states (0: no bound)")
	budget := fs.Duration("budget", 5*time.Minute, "wall-time budget (0: none)")
	mode := fs.String("mode", "bfs", "bfs (shortest counterexample, parallel), dfs or walk (random walks)")
	adversary := fs.String("adversary", "", "comma-separated attackers (simrun run --help lists them)")
	latency := intFlagOf(fs, "latency", 200, 1, 10_000, "every link's latency bound L in ms: a message arrives anywhere in [0, L]")
	seed := fs.Uint64("seed", 1, "the seed of the keys and of the user's pace")
	workers := intFlagOf(fs, "workers", 0, 0, maxWorkers, "goroutines expanding a breadth-first level or sharing a depth-first search (0: every core)")
	pathText := fs.String("path", "", "replay this path of choices (a counterexample's) and print its trace")
	asJSON := fs.Bool("json", false, "print the summary as one JSON object")
	user := fs.String("user", "attentive", "attentive (the seed's user, nothing goes wrong) or careless (the user's slips are choices)")
	pace := fs.String("pace", "", "the user's times from this built-in scenario (its user's slips are not drawn; --user careless makes them choices)")
	reach := fs.String("reach", "", "look for a device ending with this reason (like write_conflict) and print the shortest way there")
	porName := fs.String("por", "none", "partial-order reduction: sleep (sleep sets; --mode dfs), persistent (persistent sets; --mode dfs) or none")
	subsume := fs.Bool("subsume", false, "budget subsumption: skip a state a visited one covers with at least as much of each fault budget left (bfs, dfs)")
	timeMode := fs.String("time", "exact", "exact (every timer at its time) or abstract (timers longer than --untimed-above fire at any moment)")
	freeLost := fs.Bool("free-lost-timeouts", false, "with --time abstract: a request's timeout whose exchange can no longer complete (request or answer lost, no copy in flight) fires at any moment, whatever --untimed-above")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the search (pprof format) to this file")
	memprofile := fs.String("memprofile", "", "write an allocation profile of the search (pprof format) to this file at the end")
	untimed := intFlagOf(fs, "untimed-above", explore.DefaultUntimedAbove, 1, 1<<40, "with --time abstract: timers and timeouts set more than this many ms ahead are untimed")
	if code := parseNoArgs(fs, args, stderr); code >= 0 {
		return code
	}
	v, err := variant.Load(*vname)
	if err != nil {
		if v, err = variant.LoadMutant(*vname); err != nil {
			fmt.Fprintf(stderr, "simrun explore: --variant: %q is neither a preset nor a mutant\n", *vname)
			return 2
		}
	}
	in, err := qr.ParseIntent(*intent)
	if err != nil {
		fmt.Fprintf(stderr, "simrun explore: --intent: %v\n", err)
		return 2
	}
	if code := checkFlags(fs, stderr, flagCheck{*budget >= 0, "budget", "must not be negative"},
		flagCheck{*mode == "bfs" || *mode == "dfs" || *mode == "walk", "mode", "must be bfs, dfs or walk"},
		flagCheck{*porName == explore.PORNone || *porName == explore.PORSleep || *porName == explore.PORPersistent, "por",
			"must be sleep, persistent or none"},
		flagCheck{*porName == explore.PORNone || *mode == "dfs", "por", *porName + " needs --mode dfs"},
		flagCheck{*porName != explore.PORPersistent || (!*subsume && *timeMode == explore.TimeExact), "por",
			"persistent needs --time exact and no --subsume"},
		flagCheck{!*subsume || *mode != "walk", "subsume", "needs --mode bfs or dfs"},
		flagCheck{*user == explore.UserAttentive || *user == explore.UserCareless, "user", "must be attentive or careless"},
		flagCheck{*timeMode == explore.TimeExact || *timeMode == explore.TimeAbstract, "time", "must be exact or abstract"}); code >= 0 {
		return code
	}
	o := explore.Options{Variant: v, VariantName: *vname, Intent: in, Loss: *loss, Dup: *dup, Depth: *depth, MaxStates: *states,
		Budget: *budget, Mode: *mode, LatencyMillis: int64(*latency), Seed: *seed, Workers: *workers, Reach: *reach,
		POR: *porName, User: *user, Resets: *resets, Time: *timeMode, Subsume: *subsume}
	if o.Time == explore.TimeAbstract {
		o.UntimedAboveMillis = int64(*untimed)
		o.FreeLostTimeouts = *freeLost
	}
	if *adversary != "" {
		o.Adversaries = strings.Split(*adversary, ",")
	}
	if *pace != "" {
		cfg, _, err := lab.Config(*pace, scenarios.Overrides{})
		if err != nil {
			fmt.Fprintf(stderr, "simrun explore: --pace: %v\n", err)
			return 2
		}
		o.Pace, o.PaceName = &cfg.User, *pace
	}
	if _, err := o.Runner(false); err != nil {
		fmt.Fprintf(stderr, "simrun explore: %v\n", err)
		return 2
	}
	if *reorder > 0 {
		fmt.Fprintln(stderr, "simrun explore: --reorder needs no budget: a message arrives anywhere in [0, L] after its sending, so every order of the messages in flight is explored already; the value is ignored")
	}
	if *pathText != "" {
		return replayPath(o, *pathText, stdout, stderr)
	}
	o.Progress = func(p explore.Progress) {
		fmt.Fprintf(stderr, "explore: %d states, %d transitions, depth %d, queue %d, %.0f states/s\n", p.States, p.Transitions, p.Depth,
			p.Queue, float64(p.States)/max(p.Elapsed.Seconds(), 1e-9))
	}
	defer explore.SetCollector()() // unless GOGC is set
	stop, err := startProfiles(*cpuprofile, *memprofile)
	if err != nil {
		fmt.Fprintf(stderr, "simrun explore: %v\n", err)
		return 2
	}
	res, err := explore.Explore(o)
	if perr := stop(); perr != nil {
		fmt.Fprintf(stderr, "simrun explore: %v\n", perr)
	}
	if err != nil {
		fmt.Fprintf(stderr, "simrun explore: %v\n", err)
		return 2
	}
	replay := replayCommand(o, res.Path)
	if *asJSON {
		out := map[string]any{"result": res}
		if res.Violation != nil || res.Reached != "" {
			out["path"], out["replay"] = explore.FormatPath(res.Path), replay
		}
		json.NewEncoder(stdout).Encode(out)
	} else {
		writeExploreSummary(stdout, o, res)
	}
	if res.Reached != "" && !*asJSON {
		fmt.Fprintf(stdout, "\nreached %s: %s, in %d events; replay: %s\n", o.Reach, res.Reached, len(res.Path), replay)
		if a := res.Abstraction; a != nil {
			fmt.Fprintln(stdout, abstractionLine(a))
		}
		if err := writeCounterexample(stdout, o, res.Path); err != nil {
			fmt.Fprintf(stderr, "simrun explore: %v\n", err)
		}
	}
	if res.Violation == nil {
		return 0
	}
	if !*asJSON {
		fmt.Fprintf(stdout, "\ncounterexample: %d events (%d of them the user's decisions); replay: %s\n", len(res.Path),
			explore.Decisions(res.Path), replay)
		fmt.Fprintln(stdout, "replays in sim: in the stepped simulator only (the command above); a seeded simrun run draws its own schedule")
		if a := res.Abstraction; a != nil {
			fmt.Fprintln(stdout, abstractionLine(a))
		}
		if err := writeCounterexample(stdout, o, res.Path); err != nil {
			fmt.Fprintf(stderr, "simrun explore: %v\n", err)
		}
	}
	return 1
}

// replayCommand is the simrun command that replays path.
func replayCommand(o explore.Options, path []explore.Step) string {
	flags := o.Flags([]string{"variant", "intent", "loss", "dup", "latency", "seed", "resets", "adversary", "user", "pace", "reach", "time", "untimed-above", "free-lost-timeouts"},
		func(f string, isDefault bool) bool {
			switch f {
			case "resets", "adversary", "user", "pace", "reach", "time", "untimed-above", "free-lost-timeouts":
				return !isDefault
			}
			return true // the search's bounds and seed, whatever their value
		})
	return "simrun explore " + flags + " --path " + explore.FormatPath(path)
}

func writeExploreSummary(w io.Writer, o explore.Options, res explore.Result) {
	status := "complete"
	if !res.Complete {
		status = "cut by " + res.Cut
		if res.Violation != nil {
			status = "stopped at a violation"
		}
	}
	user := o.User
	if user == "" {
		user = explore.UserAttentive
	}
	fmt.Fprintf(w, "explore %s, intent %s, loss %d, dup %d, resets %d, latency %d ms, seed %d, %s user, mode %s: %s\n", o.VariantName, o.Intent,
		o.Loss, o.Dup, o.Resets, o.LatencyMillis, o.Seed, user, res.Mode, status)
	fmt.Fprintf(w, "%d distinct states, %d transitions, %d ended, depth %d, %.1f s (%.0f states/s)\n", res.States, res.Transitions,
		res.Ended, res.MaxDepth, res.Elapsed.Seconds(), float64(res.States)/max(res.Elapsed.Seconds(), 1e-9))
	switch {
	case res.Serial != "":
		fmt.Fprintf(w, "1 worker (%d asked for): %s\n", o.Workers, res.Serial)
	case res.Workers > 0 && res.Mode != "walk":
		fmt.Fprintf(w, "workers: %d", res.Workers)
		if res.Mode == "dfs" && res.Workers > 1 {
			fmt.Fprintf(w, "; work taken from another worker's stack (reached by replaying its path): %d", res.Taken)
		}
		fmt.Fprintln(w)
	}
	paths := ""
	if res.Mode == "bfs" {
		paths = fmt.Sprintf(", plus the frontier's paths (at most %d steps, %.1f MB)", res.PathNodes, float64(res.PathBytes)/1e6)
	}
	fmt.Fprintf(w, "state encoding %.0f bytes a state (hashed; parts a step did not touch kept), %d bytes kept per state%s; omission probability %.1e\n", res.StateBytes,
		res.StoredBytes, paths, res.Omission)
	if res.Time != nil {
		fmt.Fprintf(w, "time abstraction: timers and timeouts set more than %d ms ahead are untimed (fire at any moment from their arming on); times relative to the run's\n",
			res.Time.UntimedAboveMillis)
	}
	if res.Subsume {
		fmt.Fprintf(w, "budget subsumption: %d states not explored, each covered by a visited state with at least as much of every fault budget left\n", res.Subsumed)
	}
	switch res.POR {
	case explore.PORPersistent:
		fmt.Fprintf(w, "partial-order reduction %s: %d states expanded with a proper subset of their choices, %d choices left out there, %d states expanded fully by the cycle proviso\n",
			res.POR, res.Reduced, res.LeftOut, res.Proviso)
	case "":
	default:
		fmt.Fprintf(w, "partial-order reduction %s: %d choices left out as asleep, %d states explored again\n", res.POR, res.Slept, res.Again)
	}
	fmt.Fprintf(w, "snapshots of the frontier: %.0f bytes each, %.1f MiB at most\n", res.SnapshotBytes, float64(res.SnapshotPeak)/(1<<20))
	for _, m := range []string{"new", "existing"} {
		fmt.Fprintf(w, "%s device reached %d states: %s\n", m, len(res.Coverage.States[m]), strings.Join(res.Coverage.States[m], ", "))
		fmt.Fprintf(w, "%s device took %d transitions\n", m, len(res.Coverage.Transitions[m]))
	}
	fmt.Fprintf(w, "never reached by either device: %s\n", strings.Join(res.Coverage.Never, ", "))
	if res.Violation == nil {
		fmt.Fprintln(w, "no violation")
		if o.Reach != "" && res.Reached == "" {
			fmt.Fprintf(w, "no device ended %s within the bounds explored\n", o.Reach)
		}
		return
	}
	fmt.Fprintf(w, "VIOLATION %s at %d ms: %s\n", res.Violation.Invariant, res.Violation.At, res.Violation.Detail)
	if a := res.Abstraction; a != nil {
		fmt.Fprintln(w, abstractionLine(a))
	}
}

// abstractionLine says whether a counterexample relies on the time
// abstraction and what its exact replay gave.
func abstractionLine(a *explore.Abstraction) string {
	s := "does not rely on the time abstraction (no untimed timer fired before its due time)"
	if a.Relies {
		s = fmt.Sprintf("relies on the time abstraction (%d untimed timers fired before their due time)", a.EarlyFirings)
	}
	return s + "; exact replay: " + a.Exact
}

// writeCounterexample replays path with the trace kept and writes it as
// the simulator's JSON lines and Mermaid.
func writeCounterexample(w io.Writer, o explore.Options, path []explore.Step) error {
	events, _, err := explore.Trace(o, path)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "\ntrace (JSON lines):")
	if err := sim.WriteJSONL(w, 0, events); err != nil {
		return err
	}
	fmt.Fprintln(w, "\n```mermaid")
	if err := sim.WriteMermaid(w, events); err != nil {
		return err
	}
	fmt.Fprintln(w, "```")
	return nil
}

// replayPath is simrun explore --path.
func replayPath(o explore.Options, text string, stdout, stderr io.Writer) int {
	path, err := explore.ParsePath(text)
	if err != nil {
		fmt.Fprintf(stderr, "simrun explore: --path: %v\n", err)
		return 2
	}
	events, res, err := explore.Trace(o, path)
	if err != nil {
		fmt.Fprintf(stderr, "simrun explore: --path: %v\n", err)
		return 2
	}
	if err := sim.WriteText(stdout, events); err != nil {
		return 2
	}
	if v := res.Violation; v != nil && o.Reach != "" && v.Invariant == "reach" {
		fmt.Fprintf(stdout, "reached %s: %s\n", o.Reach, v.Detail)
		return 0
	}
	if res.Violation != nil {
		fmt.Fprintf(stdout, "VIOLATION %s at %d ms: %s\n", res.Violation.Invariant, res.Violation.At, res.Violation.Detail)
		return 1
	}
	fmt.Fprintln(stdout, "no violation")
	return 0
}
