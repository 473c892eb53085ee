package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"qrlab/lab"
	"qrlab/lab/mutants"
	"qrlab/model/variant"
	"qrlab/sim"
)

const mutantsUsage = `usage: simrun mutants [--budget D] [--mutant NAME] [--json] [--honest-seeds N]
       simrun mutants --patches DIR [--explore] [--budget D] [--md FILE] [--json] [--workers N]
       simrun mutants --explore [--mutant NAME] [--budget D] [--json]

Runs every known-bad design (model/variant/mutants: an honest preset plus
one mutation) against its battery: in-process properties of the channel and
the login machines, then simulated logins under the adversaries that should
expose it, seed by seed, until the first violation or until the mutant's
share of the budget runs out. Prints a table: mutant, caught, by which
invariant or property, time to first detection (wall and runs), seed and
the simrun replay command. Then runs every honest preset under every
adversary (both intents, an attentive and a blind user) and reports any
violation; an attacker's win that the run names an exposure for
(human-factor, physical-access, not-prevented, unverifiable-consent) is not
one.
Exit status: 0 when every mutant was caught and no honest preset broke an
invariant, 1 otherwise, 2 for bad usage.

With --patches DIR it judges implementation bugs instead: every DIR/*.patch
(a unified diff against this module, lab/mutants/testdata/patches holds the
project's set) is applied to its own scratch copy of the module, that
copy's simrun is built, and its simulation battery runs for --budget per
patch: every honest preset under every adversary (and none), both intents,
an attentive, a blind and a careless user, a clean and a lossy network,
seed by seed until the first invariant violation. Only the simulator's
monitors judge: no unit test runs. The unchanged tree runs first, as a
baseline that must stay clean. Prints a table (patch, builds, caught, first
invariant, probe, seed, simulated time) and the catch rate; --md writes it
as Markdown. Exit status 0 when the baseline held (whatever the rate).
With --patches DIR --explore each patched tree is judged by the explorer
instead (simrun explore, depth first, an equal share of --budget each): the
default and the 2024 design, both intents, an attentive and a careless
user, one lost and one duplicated message, the device-id-confusion,
shoulder-surfer and account-confusion attackers, and each case of the
camera and of the malicious homeserver (seeds 1 to 5), until one
exploration finds a violation.

With --explore alone it looks for each catalogue mutant with the explorer
(its flags are printed; --budget each, 60s by default) and measures the
simulation's first detection of it (the run simrun mutants reports: its
events up to the violation); prints a Markdown table: the counterexample's
length in events, and whether it is no longer than the simulation's.
Exit status 1 when a mutant was not found.
Flags:
`

// runMutants is simrun mutants.
func runMutants(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("simrun mutants", mutantsUsage, stderr, func(w io.Writer) {
		fmt.Fprintf(w, "\nMutants: %s\n", strings.Join(variant.MutantNames(), ", "))
	})
	budget := fs.Duration("budget", 60*time.Second, "wall-time budget for the mutants, shared equally among them")
	only := fs.String("mutant", "", "run only this mutant (a name from model/variant/mutants)")
	asJSON := fs.Bool("json", false, "print one JSON record per mutant and per honest violation, and a totals record")
	honestSeeds := intFlagOf(fs, "honest-seeds", 10, 0, 1<<20, "seeds per honest preset, adversary, intent and user (0: skip the honest presets)")
	maxSeeds := intFlagOf(fs, "max-seeds", 5000, 1, 1<<30, "at most this many seeds per mutant probe")
	patches := fs.String("patches", "", "judge the `DIR`/*.patch implementation bugs by simulation alone (see above)")
	md := fs.String("md", "", "with --patches: also write the table as Markdown to `FILE`")
	workers := intFlagOf(fs, "workers", lab.DefaultWorkers(), 1, maxWorkers, "with --patches: patches judged at once (each battery runs on one core)")
	module := fs.String("module", "", "with --patches: the module to copy (default: the one around the working directory)")
	exploreMode := fs.Bool("explore", false, "look for the mutants (or, with --patches, the patches' bugs) with the explorer (see above)")
	exploreBattery := fs.Bool("explore-battery", false, "run the explorer battery of this tree for --budget and print its JSON result (what --patches --explore runs in each patched copy)")
	battery := fs.Bool("sim-battery", false, "run the simulation battery of this tree for --budget and print its JSON result (what --patches runs in each patched copy)")
	if code := parseNoArgs(fs, args, stderr); code >= 0 {
		return code
	}
	if code := checkFlags(fs, stderr, flagCheck{*budget > 0, "budget", "must be positive (like 60s)"}); code >= 0 {
		return code
	}
	if *battery {
		res := mutants.Battery(*budget, *maxSeeds, *workers)
		json.NewEncoder(stdout).Encode(res)
		return 0
	}
	if *exploreBattery {
		res := mutants.ExploreBattery(*budget)
		json.NewEncoder(stdout).Encode(res)
		return 0
	}
	if *patches != "" {
		return runPatches(patchFlags{dir: *patches, md: *md, module: *module, asJSON: *asJSON, budget: *budget,
			maxSeeds: *maxSeeds, workers: *workers, explore: *exploreMode}, stdout, stderr)
	}
	names := variant.MutantNames()
	if *only != "" {
		if _, err := variant.LoadMutant(*only); err != nil {
			fmt.Fprintf(stderr, "simrun mutants: --mutant: %v\n", err)
			return 2
		}
		names = []string{*only}
	}
	if *exploreMode {
		return exploreMutants(names, *budget, *asJSON, stdout, stderr)
	}
	rows := mutants.HuntAll(names, *budget, *maxSeeds)
	var honest []mutants.HonestRow
	var honestRuns int
	if *honestSeeds > 0 {
		honest, honestRuns = mutants.Honest(*honestSeeds)
	}
	survived := 0
	for _, r := range rows {
		if !r.Caught {
			survived++
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		for _, r := range rows {
			enc.Encode(map[string]any{"record": "mutant", "mutant": r})
		}
		for _, h := range honest {
			enc.Encode(map[string]any{"record": "honest-violation", "preset": h.Preset, "probe": h.Probe, "invariant": h.Invariant,
				"detail": h.Detail, "seed": h.Seed, "replay": h.Replay})
		}
		enc.Encode(map[string]any{"record": "totals", "mutants": len(rows), "survived": survived, "honest_runs": honestRuns,
			"honest_violations": len(honest)})
	} else {
		mutants.WriteTable(stdout, rows)
		if *honestSeeds > 0 {
			fmt.Fprintf(stdout, "\nhonest presets: %d runs (%d presets x %d adversaries and none x 2 intents x 2 users x %d seeds): %d violations\n",
				honestRuns, len(variant.Names()), len(sim.AdversaryNames()), *honestSeeds, len(honest))
			for _, h := range honest {
				fmt.Fprintf(stdout, "  %s %s: %s (seed %d): %s\n    %s\n", h.Preset, h.Probe, h.Invariant, h.Seed, h.Detail, h.Replay)
			}
		}
		fmt.Fprintf(stdout, "\n%d mutants, %d caught, %d survived\n", len(rows), len(rows)-survived, survived)
	}
	if survived > 0 || len(honest) > 0 {
		return 1
	}
	return 0
}

type patchFlags struct {
	dir, md, module   string
	asJSON            bool
	budget            time.Duration
	maxSeeds, workers int
	explore           bool
}

// exploreMutants is simrun mutants --explore.
func exploreMutants(names []string, budget time.Duration, asJSON bool, stdout, stderr io.Writer) int {
	var rows []mutants.ExploreRow
	missed := 0
	for _, n := range names {
		r := mutants.ExploreMutant(n, budget, 0, 30*time.Second)
		fmt.Fprintf(stderr, "%s: found %v, %d events, %.1f s\n", n, r.Found, r.Events, r.Seconds)
		if !r.Found {
			missed++
		}
		rows = append(rows, r)
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		for _, r := range rows {
			enc.Encode(map[string]any{"record": "explore", "mutant": r})
		}
	} else {
		mutants.WriteExploreTable(stdout, rows)
	}
	if missed > 0 {
		return 1
	}
	return 0
}

// runPatches is simrun mutants --patches.
func runPatches(f patchFlags, stdout, stderr io.Writer) int {
	list, err := mutants.ListPatches(f.dir)
	if err != nil {
		fmt.Fprintf(stderr, "simrun mutants: --patches: %v\n", err)
		return 2
	}
	root := f.module
	if root == "" {
		wd, err := os.Getwd()
		if err == nil {
			root, err = mutants.ModuleRoot(wd)
		}
		if err != nil {
			fmt.Fprintf(stderr, "simrun mutants: --patches: %v\n", err)
			return 2
		}
	}
	rows := mutants.HuntPatches(list, mutants.PatchOptions{Root: root, Budget: f.budget, MaxSeeds: f.maxSeeds,
		Workers: f.workers, Baseline: true, Log: stderr, Explore: f.explore})
	n, built, caught := mutants.PatchTotals(rows)
	if f.asJSON {
		enc := json.NewEncoder(stdout)
		for _, r := range rows {
			enc.Encode(map[string]any{"record": "patch", "patch": r})
		}
		enc.Encode(map[string]any{"record": "totals", "patches": n, "built": built, "caught": caught})
	} else {
		mutants.WritePatchTable(stdout, rows)
		by := "simulation alone"
		if f.explore {
			by = "the explorer"
		}
		fmt.Fprintf(stdout, "\n%d patches, %d build, caught by %s: %d of %d\n", n, built, by, caught, n)
	}
	if f.md != "" {
		var b strings.Builder
		mutants.WritePatchMarkdown(&b, rows)
		if err := os.WriteFile(f.md, []byte(b.String()), 0o644); err != nil {
			fmt.Fprintf(stderr, "simrun mutants: --md: %v\n", err)
			return 1
		}
	}
	if len(rows) > 0 && rows[0].Patch == mutants.Baseline && (rows[0].Caught || rows[0].Error != "") {
		fmt.Fprintf(stderr, "simrun mutants: the unchanged tree failed its own battery: %s\n", rows[0].Error)
		if f := rows[0].Found; f != nil {
			fmt.Fprintf(stderr, "  %s (%s %s, seed %d): %s\n", f.Invariant, f.Preset, f.Probe, f.Seed, f.Detail)
		}
		return 1
	}
	return 0
}
