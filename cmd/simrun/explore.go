package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"qrlab/lab/explore"
	"qrlab/model/qr"
	"qrlab/model/variant"
	"qrlab/sim"
)

const exploreUsage = `usage: simrun explore [--variant V] [--intent login|reciprocate] [--loss K] [--dup K]
       [--depth D] [--budget T] [--states N] [--mode bfs|dfs|walk] [--adversary A]
       [--latency MS] [--seed S] [--reach REASON] [--path P] [--json]

Explores every order of the simulator's enabled events (a request reaching
its server, an answer reaching its client, a timer, the user's acts) and
every placement of at most --loss lost and --dup duplicated messages, with
every invariant checked at every state (package lab/explore says what the
time abstraction keeps). Progress goes to stderr each second; the summary
(complete or cut, distinct states, transitions, depth, the login machines'
coverage) and, on a violation, the counterexample as the simulator's JSON
lines and a Mermaid diagram with the command that replays it, to stdout.
--path replays one path of choices (a counterexample's) and prints its
trace. --reach REASON asks a design question: can a device end with REASON
(write_conflict, timeout, ...)? The search stops at the first (breadth
first: the shortest) way there and prints it like a counterexample.
Exit status: 0 no violation, 1 a violation, 2 bad usage.
Flags:
`

// runExplore is simrun explore.
func runExplore(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("simrun explore", exploreUsage, stderr, nil)
	vname := fs.String("variant", "msc4388", "the design: a preset or a mutant (simrun variants lists them)")
	intent := fs.String("intent", "login", "login (the new device shows the QR code) or reciprocate")
	loss := intFlagOf(fs, "loss", 0, 0, 8, "messages the network may lose in a run")
	dup := intFlagOf(fs, "dup", 0, 0, 8, "messages the network may duplicate in a run")
	depth := intFlagOf(fs, "depth", 0, 0, 1<<20, "longest path in events (0: no bound)")
	states := intFlagOf(fs, "states", 0, 0, 1<<30, "stop after this many distinct states (0: no bound)")
	budget := fs.Duration("budget", 5*time.Minute, "wall-time budget (0: none)")
	mode := fs.String("mode", "bfs", "bfs (shortest counterexample, parallel), dfs or walk (random walks)")
	adversary := fs.String("adversary", "", "comma-separated attackers (simrun run --help lists them)")
	latency := intFlagOf(fs, "latency", 200, 1, 10_000, "every link's latency bound L in ms: a message arrives anywhere in [0, L]")
	seed := fs.Uint64("seed", 1, "the seed of the keys and of the user's pace")
	workers := intFlagOf(fs, "workers", 0, 0, maxWorkers, "goroutines expanding a breadth-first level (0: every core)")
	pathText := fs.String("path", "", "replay this path of choices (a counterexample's) and print its trace")
	asJSON := fs.Bool("json", false, "print the summary as one JSON object")
	reach := fs.String("reach", "", "look for a device ending with this reason (like write_conflict) and print the shortest way there")
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
		flagCheck{*mode == "bfs" || *mode == "dfs" || *mode == "walk", "mode", "must be bfs, dfs or walk"}); code >= 0 {
		return code
	}
	o := explore.Options{Variant: v, VariantName: *vname, Intent: in, Loss: *loss, Dup: *dup, Depth: *depth, MaxStates: *states,
		Budget: *budget, Mode: *mode, LatencyMillis: int64(*latency), Seed: *seed, Workers: *workers, Reach: *reach}
	if *adversary != "" {
		o.Adversaries = strings.Split(*adversary, ",")
	}
	if _, err := o.Runner(false); err != nil {
		fmt.Fprintf(stderr, "simrun explore: %v\n", err)
		return 2
	}
	if *pathText != "" {
		return replayPath(o, *pathText, stdout, stderr)
	}
	o.Progress = func(p explore.Progress) {
		fmt.Fprintf(stderr, "explore: %d states, %d transitions, depth %d, queue %d, %.0f states/s\n", p.States, p.Transitions, p.Depth,
			p.Queue, float64(p.States)/max(p.Elapsed.Seconds(), 1e-9))
	}
	res, err := explore.Explore(o)
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
		if err := writeCounterexample(stdout, o, res.Path); err != nil {
			fmt.Fprintf(stderr, "simrun explore: %v\n", err)
		}
	}
	if res.Violation == nil {
		return 0
	}
	if !*asJSON {
		fmt.Fprintf(stdout, "\ncounterexample: %d events; replay: %s\n", len(res.Path), replay)
		fmt.Fprintln(stdout, "replays in sim: in the stepped simulator only (the command above); a seeded simrun run draws its own schedule")
		if err := writeCounterexample(stdout, o, res.Path); err != nil {
			fmt.Fprintf(stderr, "simrun explore: %v\n", err)
		}
	}
	return 1
}

// replayCommand is the simrun command that replays path.
func replayCommand(o explore.Options, path []explore.Step) string {
	cmd := fmt.Sprintf("simrun explore --variant %s --intent %s --loss %d --dup %d --latency %d --seed %d", o.VariantName, o.Intent,
		o.Loss, o.Dup, o.LatencyMillis, o.Seed)
	if len(o.Adversaries) > 0 {
		cmd += " --adversary " + strings.Join(o.Adversaries, ",")
	}
	if o.Reach != "" {
		cmd += " --reach " + o.Reach
	}
	return cmd + " --path " + explore.FormatPath(path)
}

func writeExploreSummary(w io.Writer, o explore.Options, res explore.Result) {
	status := "complete"
	if !res.Complete {
		status = "cut by " + res.Cut
		if res.Violation != nil {
			status = "stopped at a violation"
		}
	}
	fmt.Fprintf(w, "explore %s, intent %s, loss %d, dup %d, latency %d ms, seed %d, mode %s: %s\n", o.VariantName, o.Intent, o.Loss, o.Dup,
		o.LatencyMillis, o.Seed, res.Mode, status)
	fmt.Fprintf(w, "%d distinct states, %d transitions, %d ended, depth %d, %.1f s (%.0f states/s)\n", res.States, res.Transitions,
		res.Ended, res.MaxDepth, res.Elapsed.Seconds(), float64(res.States)/max(res.Elapsed.Seconds(), 1e-9))
	fmt.Fprintf(w, "state encoding %.0f bytes (hashed), %d bytes kept per state; omission probability %.1e\n", res.StateBytes,
		res.StoredBytes, res.Omission)
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
